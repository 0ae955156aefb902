from tests.core.support import api_client, run_on_commit, unit_isolation  # noqa: F401
