"""Why a read or write of the clinical record was refused. Each says what happened and what to do next.

All are ``core.errors.ApplicationError`` (problem+json from the API, a message on pages). A refused read
or write is also written to the access log (records.access) before the error leaves.
"""

from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError, Conflict, NotFound, PermissionRefused


class RecordAccessDenied(PermissionRefused):
    """A member of staff may know the patient exists but may not see or change this part of the record."""

    code = "record_access_denied"
    default_message = _("You do not have access to this patient's record. Doctors without a care relationship "
                        "can state a reason to get emergency access (break the glass).")


class RecordNotFound(NotFound):
    """Used where even the existence of the record must not leak (patients, accounts without a role)."""

    code = "record_not_found"
    default_message = _("We could not find this record. Check the link, or ask the hospital for help.")


class EncounterSignedError(Conflict):
    code = "encounter_signed"
    default_message = _("This note is signed and can no longer be changed. Write an amendment instead.")


class EncounterNotSignedError(Conflict):
    code = "encounter_not_signed"
    default_message = _("Only a signed note can be amended. Edit the draft instead.")


class EncounterSupersededError(Conflict):
    code = "encounter_superseded"
    default_message = _("This version has already been amended. Open the latest version and amend that one.")


class AllergyConflictError(ApplicationError):
    """The drug matches a recorded allergy; prescribing it anyway needs a stated reason."""

    code = "allergy_conflict"
    http_status = 409
    default_message = _("This drug matches a recorded allergy. Choose another drug, or give the reason to "
                        "prescribe it anyway.")


class UploadRefused(ApplicationError):
    code = "upload_refused"
    http_status = 415
    default_message = _("This file cannot be accepted. Upload a PDF, PNG or JPEG document.")


class FhirBundleInvalid(ApplicationError):
    code = "fhir_invalid"
    http_status = 422
    default_message = _("The FHIR Bundle is not valid. The problems are listed by their place in the Bundle.")
