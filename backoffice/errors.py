"""Why a back-office act was refused: each says what happened and what to do next."""

from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError, ValidationFailed


class DoctorDetailsInvalid(ValidationFailed):
    code = "doctor_invalid"
    default_message = _("The doctor could not be created: please correct the marked fields. Nothing was saved.")


class StaffDeactivationRefused(ApplicationError):
    code = "staff_deactivation_refused"
    http_status = 409
    default_message = _("This member of staff cannot be deactivated.")
