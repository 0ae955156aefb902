"""Issue 8, acceptance 2: every admin page loads with a constant number of queries as rows grow.

Walks every model registered in every admin site (models added later are covered without editing this file, and
fail loudly until tests/admin_site/rows.py can make their rows): the changelist and one change page are loaded
with N rows, then with 3N, and must cost the same number of queries. Loaded as a superuser who also holds the
clinical roles, so clinical admins (visible to clinicians only) are measured too.
"""

import pytest
from django.contrib.admin.sites import all_sites
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from tests.admin_site.rows import ROW_MAKERS

pytestmark = pytest.mark.django_db

N = 2


def registered():
    return sorted(((site, model, model_admin) for site in all_sites for model, model_admin in site._registry.items()),
                  key=lambda entry: (entry[0].name, entry[1]._meta.label))


def _id(entry) -> str:
    site, model, _admin = entry
    return f"{site.name}:{model._meta.label}"


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    return len(captured)


def options(client, url: str) -> int:
    """Choices drawn into the page: a related-row select that lists every row grows with the table (autocomplete)."""
    return client.get(url).text.count("<option")


@pytest.fixture
def operator(make_user, client):
    """A superuser who is also a doctor caring for every patient (a care source of this test's own), so clinical
    admins list every row and open any of them."""
    from records.care import register_care_relationship_source, unregister_care_relationship_source
    from records.models import Patient

    user = make_user(Role.DOCTOR, Role.NURSE, Role.HOSPITAL_ADMIN, is_staff=True, is_superuser=True)

    def cares_for_everyone(*, user, today, window_days):
        return Patient.objects.values("pk") if user.pk == operator_pk else None

    operator_pk = user.pk
    register_care_relationship_source(cares_for_everyone, name="tests.admin_site.operator")
    client.force_login(user)
    yield user
    unregister_care_relationship_source("tests.admin_site.operator")


@pytest.mark.parametrize("entry", registered(), ids=_id)
def test_admin_pages_cost_the_same_queries_for_n_and_3n_rows(client, operator, entry):
    site, model, _model_admin = entry
    label = model._meta.label
    if label not in ROW_MAKERS:
        pytest.fail(f"{label} is registered in the admin site {site.name!r} but tests/admin_site/rows.py has no row "
                    "maker for it: add one (@rows(...)) so its admin pages are measured.")
    opts = model._meta
    changelist = reverse(f"{site.name}:{opts.app_label}_{opts.model_name}_changelist")
    ROW_MAKERS[label](N)
    first = model._default_manager.order_by("pk").values_list("pk", flat=True).first()
    change = reverse(f"{site.name}:{opts.app_label}_{opts.model_name}_change", args=[first])
    # Warm-up: caches filled once per process (content types, the permission cache, the site's app list).
    client.get(changelist)
    client.get(change)

    with_n = (queries(client, changelist), queries(client, change), options(client, change))
    ROW_MAKERS[label](2 * N)
    with_3n = (queries(client, changelist), queries(client, change), options(client, change))

    assert model._default_manager.count() >= 3 * N
    assert client.get(changelist).context["cl"].result_count >= 3 * N  # the rows are on the page measured
    assert with_3n == with_n, (
        f"{label}: (changelist queries, change page queries, change page choices) {with_n} with {N} rows, "
        f"{with_3n} with {3 * N}")


def test_every_registered_model_has_a_row_maker():
    missing = sorted({model._meta.label for _site, model, _admin in registered()} - set(ROW_MAKERS))

    assert missing == []
