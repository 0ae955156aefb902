"""The tree is consistent: every model change has its migration, and ruff finds nothing."""

import os
import subprocess
import sys
from pathlib import Path

from tests.servers import ROOT


def _run(*args: str, tmp_path) -> subprocess.CompletedProcess:
    # The embedded defaults (SQLite in a private VAR_DIR): no service is needed to compare models and migrations.
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.test", VAR_DIR=str(tmp_path))
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_no_model_change_is_missing_a_migration(tmp_path):
    result = _run(sys.executable, "manage.py", "makemigrations", "--check", "--dry-run", tmp_path=tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_finds_nothing(tmp_path):
    ruff = Path(sys.executable).parent / "ruff"

    result = _run(str(ruff), "check", ".", tmp_path=tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
