"""Database triggers that keep two rules even against code that forgets them.

- A signed encounter is never changed: any UPDATE of a row whose status was 'signed' is refused
  (corrections are amendments, a new row). PostgreSQL and SQLite.
- The access log is append-only: UPDATE and DELETE are refused. On PostgreSQL only: the test suite
  empties SQLite tables with DELETE, and there the model refuses instead (AccessLog.save/delete).
  PostgreSQL's TRUNCATE (used by `flush`) fires no row trigger, so tests can still reset the database.
Both raise SQLSTATE 23001 (restrict_violation), which Django reports as IntegrityError.
"""

from django.db import migrations

POSTGRES_UP = [
    """
    CREATE OR REPLACE FUNCTION records_encounter_signed_is_final() RETURNS trigger AS $$
    BEGIN
        IF OLD.status = 'signed' THEN
            RAISE EXCEPTION 'encounter % is signed and cannot be changed; amend it instead', OLD.public_id
                USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER records_encounter_signed_is_final BEFORE UPDATE ON records_encounter
        FOR EACH ROW EXECUTE FUNCTION records_encounter_signed_is_final();
    """,
    """
    CREATE OR REPLACE FUNCTION records_accesslog_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'the access log is append-only: % refused', TG_OP USING ERRCODE = 'restrict_violation';
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER records_accesslog_append_only BEFORE UPDATE OR DELETE ON records_accesslog
        FOR EACH ROW EXECUTE FUNCTION records_accesslog_append_only();
    """,
]
POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS records_accesslog_append_only ON records_accesslog;",
    "DROP FUNCTION IF EXISTS records_accesslog_append_only();",
    "DROP TRIGGER IF EXISTS records_encounter_signed_is_final ON records_encounter;",
    "DROP FUNCTION IF EXISTS records_encounter_signed_is_final();",
]
SQLITE_UP = [
    """
    CREATE TRIGGER records_encounter_signed_is_final BEFORE UPDATE ON records_encounter
    WHEN OLD.status = 'signed'
    BEGIN
        SELECT RAISE(ABORT, 'encounter is signed and cannot be changed; amend it instead');
    END;
    """,
    """
    CREATE TRIGGER records_accesslog_no_update BEFORE UPDATE ON records_accesslog
    BEGIN
        SELECT RAISE(ABORT, 'the access log is append-only: UPDATE refused');
    END;
    """,
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS records_accesslog_no_update;",
    "DROP TRIGGER IF EXISTS records_encounter_signed_is_final;",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)  # None: the % in RAISE is not a placeholder

    return run


class Migration(migrations.Migration):
    dependencies = [("records", "0002_clinical_record")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRES_UP, "sqlite": SQLITE_UP}),
            _run({"postgresql": POSTGRES_DOWN, "sqlite": SQLITE_DOWN}),
        ),
    ]
