"""API fuzzing: schemathesis feeds every operation of the served OpenAPI schema generated data, as every role.

Each role signs in (a fresh session per operation, with its CSRF token) and every operation gets
``FUZZ_EXAMPLES`` positive examples (valid by the schema) and as many negative ones (invalid by the schema),
sent to the Django app in-process through its WSGI handler. Ids in paths are drawn from real rows
(tests/fuzz/world.py) as often as from random UUIDs, so the answers are real ones, not only 404s.

Checks on every answer: no 5xx; the status is one the schema documents for the operation; the content type
and the body match what the schema says for that status; documented headers conform; and invalid data is
refused with a 4xx. Every failure of the run is listed at the end, one per operation, with how to reproduce it.

Examples are chosen deterministically (same examples each run, so CI never flakes on luck); ``FUZZ_RANDOM=1``
explores new ones, ``FUZZ_EXAMPLES=n`` changes the count. Figures: docs/reliability.md.
"""

import os
import re
import time
import uuid
from dataclasses import dataclass

import hypothesis
import pytest
import schemathesis
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.roles import Role
from appointments.queue.services import service_point_for_slot
from records.models import FamilyMember
from tests.core.support import unit_isolation  # noqa: F401
from tests.fuzz.world import Hospital, hospital

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))
RANDOM = os.environ.get("FUZZ_RANDOM") == "1"
SESSION_ROLES = [Role.PATIENT, Role.DOCTOR, Role.NURSE, Role.FRONT_DESK, Role.HOSPITAL_ADMIN]
ROLES = [*SESSION_ROLES, "anonymous", "device"]
POSITIVE_CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
                   response_headers_conformance]
FORM_MEDIA_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


# Operations that accept invalid items and answer per item, by design (their 200 lists each item's fate).
PER_ITEM_REJECTION = {"POST /api/v1/telemonitor/readings": "a batch's invalid readings are 'rejected' one by one "
                                                             "beside the accepted ones (docs/api.md, telemonitor)"}


def invalid_data_refused(ctx, response, case):
    """schemathesis' negative_data_rejection, less what cannot be invalid on the wire: a form body carries text
    only (null, "" and numbers all arrive as strings), so a form's "type" violations are not violations there."""
    if case.media_type in FORM_MEDIA_TYPES or case.operation.label in PER_ITEM_REJECTION:
        return None
    return negative_data_rejection(ctx, response, case)


NEGATIVE_CHECKS = [*POSITIVE_CHECKS, invalid_data_refused]

_app = None


def wsgi_app():
    global _app
    if _app is None:
        _app = get_wsgi_application()
    return _app


@pytest.fixture(scope="module", autouse=True)
def keep_connections():
    """The app runs in this process on the test's own transaction: as in Django's test client, a request's end must
    not close the database connection (request_finished -> close_old_connections)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def api_schema(keep_connections, django_db_blocker):
    with django_db_blocker.unblock():
        return schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app())


# --- real ids for path parameters -------------------------------------------------------------------------------------
# The URL segment before a parameter says what kind of object it names. A path whose segment is not listed here
# still gets fuzzed, with random ids only.


def id_pools(h: Hospital) -> dict[str, list]:
    members = list(FamilyMember.objects.filter(account__in=[h.a, h.b]).values_list("public_id", flat=True))
    point = service_point_for_slot(slot=h.slots[0])
    return {
        "patients": [h.a_self.public_id, h.a_parent.public_id, h.b_self.public_id],
        "encounters": [h.signed.public_id, h.draft.public_id],
        "reports": [h.report.public_id],
        "family": members,
        "notifications": [h.notification.public_id],
        "doctors": [h.carer.public_id, h.doctor.public_id],
        "appointments": [h.appointment_today.public_id, h.appointment_later.public_id],
        "tickets": [h.ticket.public_id],
        "boards": [h.department.public_id],
        "console": [point.public_id],
        "invoices": [h.extra["invoice"].public_id],
        "coverages": [h.extra["coverage"].public_id],
    }


def path_parameter_sets(path: str, pools: dict[str, list]) -> list[dict]:
    """Every combination of real ids for the parameters of `path` (``/queue/console/{public_id}/tickets/{ticket_id}``)."""
    combos: list[dict] = [{}]
    for segment, name in re.findall(r"([\w-]+)/\{(\w+)\}", path):
        ids = pools.get(segment)
        if not ids:
            continue
        combos = [{**combo, name: str(value)} for combo in combos for value in ids]
    return [combo for combo in combos if combo]


# --- who calls ---------------------------------------------------------------------------------------------------------


CSRF = "fuzzcsrftoken0123456789abcdefghi"  # 32 letters and digits: a CSRF secret Django accepts


def credentials_for(role: str, h: Hospital) -> tuple[dict, dict]:
    """(headers, cookies) of a fresh signed-in session of `role`'s user with its CSRF token, or of a device."""
    if role == "anonymous":
        return {}, {}
    if role == "device":
        return {"Authorization": f"Device {h.device_token}"}, {}
    client = Client()
    client.force_login(h.user(role))
    return {"X-CSRFToken": CSRF}, {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value,
                                   settings.CSRF_COOKIE_NAME: CSRF}


def operations_for(role: str, api_schema) -> list:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    if role == "device":  # a device token opens the ingest API only; elsewhere it is nobody (the anonymous run)
        operations = [op for op in operations if any("deviceToken" in req for req in op.definition.raw.get("security", []))]
    # What ends the session or removes rows runs last, so the other operations meet the world whole.
    return sorted(operations, key=lambda op: (op.method.upper() == "DELETE" or op.path.endswith("/logout"), op.label))


# --- the run -----------------------------------------------------------------------------------------------------------


@dataclass
class Tally:
    operations: int = 0
    requests: int = 0
    statuses: dict | None = None


def fuzz_operation(operation, *, mode: GenerationMode, credentials, pools: dict, tally: Tally) -> None:
    # The session cookie is given, not generated: a negative case must never be "the same request, signed out".
    headers, cookies = credentials()
    strategies = [operation.as_strategy(generation_mode=mode, path_parameters=params, cookies=cookies)
                  for params in path_parameter_sets(operation.path, pools)]
    strategies.append(operation.as_strategy(generation_mode=mode, cookies=cookies))
    checks = NEGATIVE_CHECKS if mode == GenerationMode.NEGATIVE else POSITIVE_CHECKS

    @hypothesis.settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=not RANDOM,
                         phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
                         suppress_health_check=list(hypothesis.HealthCheck), print_blob=False)
    @hypothesis.given(case=st.one_of(*strategies))
    def run(case):
        response = case.call(app=wsgi_app(), headers=headers)
        tally.requests += 1
        tally.statuses[response.status_code] = tally.statuses.get(response.status_code, 0) + 1
        case.validate_response(response, checks=checks, headers=headers)

    run()


@pytest.mark.parametrize("role", ROLES)
def test_every_operation_answers_as_documented_and_never_5xx(role, api_schema, capsys):
    h = hospital()
    pools = id_pools(h)
    tally = Tally(statuses={})
    failures: list[str] = []
    started = time.monotonic()
    for operation in operations_for(role, api_schema):
        tally.operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                fuzz_operation(operation, mode=mode, credentials=lambda: credentials_for(role, h), pools=pools, tally=tally)
            except hypothesis.errors.Unsatisfiable:
                continue  # nothing in this operation can be made invalid (no parameters, no body): no negative case
            except (Exception, BaseExceptionGroup) as exc:
                failures.append(f"--- {role} {operation.label} ({mode.value}) ---\n{exc}")
    with capsys.disabled():
        print(f"\nfuzz {role}: {tally.operations} operations x 2 modes x {EXAMPLES} examples, {tally.requests} requests, "
              f"{time.monotonic() - started:.1f} s, statuses {dict(sorted(tally.statuses.items()))}")
    assert tally.requests >= tally.operations, "the fuzzer sent fewer requests than there are operations"
    assert not failures, f"{len(failures)} operation(s) failed as {role}:\n\n" + "\n\n".join(failures)


def test_real_ids_reach_every_parametrised_path(api_schema):
    """Every path with an id of a kind the world holds gets real ids, so the fuzzer meets real answers there."""
    h = hospital()
    pools = id_pools(h)
    unknown = [op.label for op in operations_for(Role.PATIENT, api_schema)
               if "{" in op.path and not path_parameter_sets(op.path, pools)]
    assert not unknown, f"no real ids for: {unknown}; add the object kind to id_pools() in tests/fuzz/test_api_fuzz.py"
    assert all(uuid.UUID(v) for params in path_parameter_sets("/x/patients/{public_id}", pools) for v in params.values())
