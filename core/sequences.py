from django.db import connection, transaction

from core.models import Sequence


def sequence_next(*, name: str) -> int:
    """Return the next value of the named sequence, creating it at 1.

    One atomic ``UPDATE ... RETURNING``: concurrent callers queue on the row lock and each gets its
    own value. Inside an outer transaction the value is given back if that transaction rolls back,
    so numbers issued for committed rows have no gaps.
    """
    with transaction.atomic():
        Sequence.objects.get_or_create(name=name)
        table = Sequence._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET last_value = last_value + 1 WHERE name = %s RETURNING last_value",  # noqa: S608
                [name],
            )
            return cursor.fetchone()[0]
