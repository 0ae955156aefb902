"""The payment ledger is append-only: a database trigger refuses UPDATE and DELETE of payment events.

Balances are sums of these rows, so a changed or deleted row would change money already paid or refunded.
On PostgreSQL both are refused; on SQLite only UPDATE (the test suite empties SQLite tables with DELETE).
PostgreSQL's TRUNCATE (used by `flush`) fires no row trigger. SQLSTATE 23001 (restrict_violation) reaches
Django as IntegrityError, like records' audit triggers (records/migrations/0003_record_triggers.py).
"""

from django.db import migrations

POSTGRES_UP = [
    """
    CREATE OR REPLACE FUNCTION payments_paymentevent_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'payment events are append-only: % refused', TG_OP USING ERRCODE = 'restrict_violation';
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER payments_paymentevent_append_only BEFORE UPDATE OR DELETE ON payments_paymentevent
        FOR EACH ROW EXECUTE FUNCTION payments_paymentevent_append_only();
    """,
]
POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS payments_paymentevent_append_only ON payments_paymentevent;",
    "DROP FUNCTION IF EXISTS payments_paymentevent_append_only();",
]
SQLITE_UP = [
    """
    CREATE TRIGGER payments_paymentevent_no_update BEFORE UPDATE ON payments_paymentevent
    BEGIN
        SELECT RAISE(ABORT, 'payment events are append-only: UPDATE refused');
    END;
    """,
]
SQLITE_DOWN = ["DROP TRIGGER IF EXISTS payments_paymentevent_no_update;"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)  # None: the % in RAISE is not a placeholder

    return run


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRES_UP, "sqlite": SQLITE_UP}),
            _run({"postgresql": POSTGRES_DOWN, "sqlite": SQLITE_DOWN}),
        ),
    ]
