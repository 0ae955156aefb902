"""Writes to the master patient index and the family list (就诊人). Every rule the pages and API keep lives here."""

import uuid
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from pypinyin import Style, lazy_pinyin

from accounts.models import User
from accounts.phone import phone_normalise
from accounts.roles import Role
from core.branding import hospital_name
from core.errors import ValidationFailed
from core.sequences import sequence_next
from notifications.services import notification_send
from records import identity
from records.models import FamilyMember, Patient, Relationship, Sex

MAX_AGE_YEARS = 130


@dataclass(frozen=True)
class PatientDetails:
    name: str
    sex: str
    date_of_birth: date
    phone: str
    national_id: identity.NationalId | None
    insurance_number: str


def patient_details_check(*, name: str, sex: str | None = None, date_of_birth: date | None = None,
                          phone: str = "", national_id: str = "", insurance_number: str = "",
                          phone_required: bool = False, exclude: Patient | None = None) -> PatientDetails:
    """Validate what a form or API gave for a person; raise ValidationFailed listing every bad field."""
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Enter the person's full name as on their ID card.")]
    elif len(name) > 100:
        errors["name"] = [_("A name can have at most 100 characters.")]

    parsed_id = None
    if (national_id or "").strip():
        try:
            parsed_id = identity.national_id_parse(national_id)
        except ValidationError as exc:
            errors["national_id"] = list(exc.messages)
    if parsed_id is not None:
        existing = Patient.objects.filter(national_id_hash=identity.lookup_hash(parsed_id.number))
        if exclude is not None:
            existing = existing.exclude(pk=exclude.pk)
        if existing.exists():
            errors["national_id"] = [_("This ID card number is already registered at the hospital. If this is the same "
                                       "person, ask the front desk to link their record to your account.")]
        if date_of_birth and date_of_birth != parsed_id.date_of_birth:
            errors["date_of_birth"] = [_("The date of birth does not match the ID card number.")]
        if sex and sex in (Sex.MALE, Sex.FEMALE) and sex != parsed_id.sex:
            errors["sex"] = [_("The sex does not match the ID card number.")]
        date_of_birth = date_of_birth or parsed_id.date_of_birth
        sex = sex or parsed_id.sex

    # An ID number was typed but is wrong: sex and date of birth come from it once it is corrected,
    # so asking for them as well would send the person to fill in fields they were told to leave.
    id_given_but_invalid = "national_id" in errors and parsed_id is None
    if not sex:
        if not id_given_but_invalid:
            errors.setdefault("sex", [_("Choose the person's sex.")])
    elif sex not in Sex.values:
        errors.setdefault("sex", [_("Choose one of the listed options.")])
    if not date_of_birth:
        if not id_given_but_invalid:
            errors.setdefault("date_of_birth", [_("Enter the date of birth.")])
    else:
        today = timezone.localdate()
        if date_of_birth > today:
            errors.setdefault("date_of_birth", [_("The date of birth cannot be in the future.")])
        elif today.year - date_of_birth.year > MAX_AGE_YEARS:
            errors.setdefault("date_of_birth", [_("Please check the year of birth.")])

    normalised_phone = ""
    if (phone or "").strip():
        try:
            normalised_phone = phone_normalise(phone)
        except ValidationError as exc:
            errors["phone"] = list(exc.messages)
    elif phone_required:
        errors["phone"] = [_("Enter a mobile number.")]

    insurance_number = (insurance_number or "").strip()
    if len(insurance_number) > 40:
        errors["insurance_number"] = [_("A medical insurance number has at most 40 characters.")]
    if errors:
        raise ValidationFailed(errors=errors)
    return PatientDetails(name=name, sex=sex, date_of_birth=date_of_birth, phone=normalised_phone,
                          national_id=parsed_id, insurance_number=insurance_number)


def _apply_details(patient: Patient, details: PatientDetails) -> None:
    patient.name = details.name
    patient.name_pinyin = " ".join(lazy_pinyin(details.name)).lower()
    patient.name_initials = "".join(lazy_pinyin(details.name, style=Style.FIRST_LETTER)).lower()
    patient.sex = details.sex
    patient.date_of_birth = details.date_of_birth
    patient.phone = details.phone
    patient.insurance_number = details.insurance_number
    if details.national_id is not None:
        patient.national_id_sealed = identity.seal(details.national_id.number)
        patient.national_id_hash = identity.lookup_hash(details.national_id.number)
        patient.national_id_last4 = details.national_id.last4


def _save_patient(patient: Patient) -> None:
    try:
        with transaction.atomic():
            patient.save()
    except IntegrityError as exc:
        # Two registrations of one ID number at the same moment: the unique hash lets one through.
        if "national_id_hash" in str(exc):
            message = _("This ID card number is already registered at the hospital.")
            raise ValidationFailed(errors={"national_id": [message]}) from exc
        raise


def patient_create(*, details: PatientDetails, account: User | None = None, created_by: User | None = None,
                   public_id: uuid.UUID | None = None, mrn: str | None = None) -> Patient:
    """Register a person in the master index and issue their MRN (once, from the 'mrn' sequence).

    ``public_id`` and ``mrn`` are given only when a record of this hospital comes back (a FHIR import of
    our own export, records.fhir): the person keeps the ids they had, if no one else holds them now.
    """
    with transaction.atomic():
        patient = Patient(account=account, created_by=created_by)
        if public_id is not None:
            patient.public_id = public_id
        _apply_details(patient, details)
        if mrn and not Patient.objects.filter(mrn=mrn).exists():
            patient.mrn = mrn
        else:
            patient.mrn = f"{settings.HOSPITAL_MRN_PREFIX}{sequence_next(name='mrn'):08d}"
        _save_patient(patient)
    return patient


def patient_update(*, patient: Patient, details: PatientDetails) -> Patient:
    """Change a person's demographics. The MRN and public id never change."""
    with transaction.atomic():
        patient = Patient.objects.select_for_update().get(pk=patient.pk)
        _apply_details(patient, details)
        _save_patient(patient)
    return patient


def patient_sign_up(*, name: str, phone: str, email: str, password: str, national_id: str = "",
                    sex: str | None = None, date_of_birth: date | None = None) -> User:
    """Create a patient's account, their own Patient row and the 'myself' entry of their family list.

    All or nothing: a taken phone or email, a weak password or a bad ID leaves no row behind.
    Sends a welcome notification (email) after commit.
    """
    errors: dict[str, list[str]] = {}
    email = (email or "").strip().lower()
    try:
        details = patient_details_check(name=name, sex=sex, date_of_birth=date_of_birth, phone=phone,
                                        national_id=national_id, phone_required=True)
    except ValidationFailed as exc:
        errors.update(exc.errors)
        details = None
    if not email or "@" not in email:
        errors["email"] = [_("Enter a valid email address.")]
    elif User.objects.filter(email=email).exists():
        errors["email"] = [_("An account with this email address already exists. Sign in, or reset your password.")]
    try:
        # Checked even when other details are wrong, so every problem is listed at once.
        taken_phone = User.objects.filter(phone=phone_normalise(phone)).exists()
    except ValidationError:
        taken_phone = False  # the format error is already listed by patient_details_check
    if taken_phone:
        errors["phone"] = [_("An account with this mobile number already exists. Sign in, or reset your password.")]
    try:
        validate_password(password, user=User(name=name, email=email, phone=phone))
    except ValidationError as exc:
        errors["password"] = list(exc.messages)
    if errors:
        raise ValidationFailed(errors=errors)

    try:
        with transaction.atomic():
            # Remember the language they signed up in: notifications and emails are written in it later.
            user = User.objects.create_user(email=email, password=password, name=details.name, phone=details.phone,
                                            preferred_language=translation.get_language() or settings.LANGUAGE_CODE)
            user.groups.add(_role_group(Role.PATIENT))
            patient = patient_create(details=details, account=user, created_by=user)
            FamilyMember.objects.create(account=user, patient=patient, relationship=Relationship.SELF, is_guardian=True)
            notification_send(
                user=user, key="welcome", kind="account",
                title=_("Welcome to %(hospital)s") % {"hospital": hospital_name()},
                body=_("Your account is ready. Your medical record number is %(mrn)s. You can now add family "
                       "members and book appointments for them.") % {"mrn": patient.mrn},
                email=True,
            )
    except IntegrityError as exc:
        # Lost a race with another sign-up for the same email or phone between the check and the insert.
        field = "phone" if "phone" in str(exc) else "email"
        raise ValidationFailed(errors={field: [_("An account with this %(field)s already exists.") % {
            "field": _("mobile number") if field == "phone" else _("email address")}]}) from exc
    return user


def _role_group(role: str):
    from django.contrib.auth.models import Group

    return Group.objects.get_or_create(name=role)[0]


def family_member_add(*, account: User, relationship: str, is_guardian: bool, details: PatientDetails) -> FamilyMember:
    """Add a person to the account holder's list, registering them in the master index."""
    if relationship not in Relationship.values or relationship == Relationship.SELF:
        raise ValidationFailed(errors={"relationship": [_("Choose how this person is related to you.")]})
    with transaction.atomic():
        # Lock the account row so two tabs cannot both add the last allowed member.
        User.objects.select_for_update().filter(pk=account.pk).first()
        if FamilyMember.objects.filter(account=account).count() >= settings.MAX_FAMILY_MEMBERS:
            raise ValidationFailed(_("You can have at most %(n)d people on your list. Remove someone first.")
                                   % {"n": settings.MAX_FAMILY_MEMBERS})
        patient = patient_create(details=details, created_by=account)
        return FamilyMember.objects.create(account=account, patient=patient, relationship=relationship,
                                           is_guardian=is_guardian)


def family_member_update(*, member: FamilyMember, relationship: str, is_guardian: bool,
                         details: PatientDetails | None) -> FamilyMember:
    """Change the relationship and, unless the person has their own account, their details."""
    if member.relationship == Relationship.SELF:
        relationship, is_guardian = Relationship.SELF, True
    elif relationship not in Relationship.values or relationship == Relationship.SELF:
        raise ValidationFailed(errors={"relationship": [_("Choose how this person is related to you.")]})
    with transaction.atomic():
        if details is not None:
            if member.patient.account_id and member.patient.account_id != member.account_id:
                raise ValidationFailed(_("%(name)s has their own account and keeps their details up to date there.")
                                       % {"name": member.patient.name})
            patient_update(patient=member.patient, details=details)
        member.relationship = relationship
        member.is_guardian = is_guardian
        member.save(update_fields=["relationship", "is_guardian"])
    member.refresh_from_db()
    return member


def family_member_remove(*, member: FamilyMember) -> None:
    """Take a person off the list. Their patient record (and MRN) stays with the hospital."""
    if member.relationship == Relationship.SELF:
        raise ValidationFailed(_("You cannot remove yourself from your own list."))
    member.delete()
