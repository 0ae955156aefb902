"""``COPY ... FROM STDIN`` through a Django cursor, with either PostgreSQL driver.

Django uses psycopg 3 when it is installed (requirements.txt pins it: Django's connection pool needs it) and
psycopg2 otherwise; the two spell COPY differently (psycopg2: ``cursor.copy_expert(sql, file)``; psycopg 3:
``with cursor.copy(sql) as copy: copy.write(data)``). Django does not wrap either, so this also turns the driver's
errors into Django's database errors (``django.db.DataError`` etc.), whichever driver raised them.
"""

import io

from django.db.backends.postgresql.psycopg_any import is_psycopg3


def copy_from_text(cursor, sql: str, text: str) -> None:
    """Run `sql` (a ``COPY ... FROM STDIN`` statement) on the Django `cursor`, feeding it `text` (COPY text format)."""
    driver_cursor = cursor.cursor  # the driver's own cursor inside Django's wrapper
    with cursor.db.wrap_database_errors:
        if is_psycopg3:
            with driver_cursor.copy(sql) as copy:
                copy.write(text)
        else:
            driver_cursor.copy_expert(sql, io.StringIO(text))
