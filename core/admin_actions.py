"""All-or-nothing bulk actions for the admin: an action on many rows that fails on one changes none.

``act_on_all`` runs ``act(row)`` for every row inside one transaction. The first refusal (an
``ApplicationError``) rolls every row back and the administrator is told which row failed and why, so
they can fix or leave out that row and run the action again. Each ``act`` is a service with its own
``transaction.atomic`` (a savepoint here), its own locks and its own after-commit work, which is
dropped with the rollback.
"""

from collections.abc import Callable, Iterable
from typing import TypeVar

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from core.errors import ApplicationError

Row = TypeVar("Row")


class BulkRowFailed(Exception):
    def __init__(self, row, error: ApplicationError, position: int) -> None:
        self.row, self.error, self.position = row, error, position
        super().__init__(str(error.message))


def act_on_all(rows: Iterable[Row], act: Callable[[Row], object]) -> list:
    """`act` on every row in one transaction; raises BulkRowFailed (and nothing stays changed) at the first refusal."""
    results = []
    with transaction.atomic():
        for position, row in enumerate(rows, start=1):
            try:
                results.append(act(row))
            except ApplicationError as exc:
                raise BulkRowFailed(row, exc, position) from exc
    return results


def act_on_all_or_report(modeladmin, request: HttpRequest, rows: Iterable[Row], act: Callable[[Row], object],
                         *, describe: Callable[[Row], str] = str) -> list | None:
    """act_on_all for an admin action: on a refusal, an error message naming the row; returns None then."""
    try:
        return act_on_all(rows, act)
    except BulkRowFailed as failed:
        modeladmin.message_user(request, _("Nothing was changed: row %(position)d (%(row)s) failed: %(reason)s")
                                % {"position": failed.position, "row": describe(failed.row),
                                   "reason": failed.error.message}, messages.ERROR)
        return None
