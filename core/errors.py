"""The one error type the portal raises for a refused request, and its common meanings.

A person reads ``message``: it says what happened and what to do next, in their language.
The API renders these as problem+json (core.exceptions); pages show ``message`` in a form error or a flash.
"""

from typing import Any

from django.utils.translation import gettext_lazy as _


class ApplicationError(Exception):
    code = "error"
    http_status = 400
    default_message = _("The request could not be completed.")

    def __init__(self, message: Any = None, *, code: str | None = None, http_status: int | None = None,
                 extra: dict | None = None, errors: dict | None = None) -> None:
        self.message = message if message is not None else self.default_message
        self.code = code or self.code
        self.http_status = http_status or self.http_status
        self.extra = extra or {}
        # Field-level problems, {field: [messages]}, like a form's errors.
        self.errors = errors or {}
        super().__init__(str(self.message))


class ValidationFailed(ApplicationError):
    code = "invalid"
    http_status = 400
    default_message = _("Some of the information given is not valid. Please correct the marked fields.")


class PermissionRefused(ApplicationError):
    code = "forbidden"
    http_status = 403
    default_message = _("You do not have permission to do this.")


class NotFound(ApplicationError):
    code = "not_found"
    http_status = 404
    default_message = _("We could not find what you were looking for.")


class Conflict(ApplicationError):
    code = "conflict"
    http_status = 409
    default_message = _("This could not be done because something changed in the meantime. Please reload and try again.")
