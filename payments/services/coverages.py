"""Medical insurance (医保) linked by the patient or the account holder who looks after them: ``coverage_link`` and
``coverage_unlink`` (docs/payments.md, "Linking medical insurance").

Who may: the account holders of the patient, i.e. the patient is on their family list
(``payments.selectors.patients_of_account``, the rule that decides whose bills a user sees and pays). Front desk
staff edit coverages in the admin.

Linking asks the plan's insurer adapter whether the number is a member of the plan and the patient's
(``verify_member``), creates a Coverage valid from today, then splits again the patient's issued bills nobody has
started paying, so their page and their checkout show what insurance pays. A member number is once per plan (a
database constraint): a number already linked to another patient is refused, by a check first and by the constraint
when two requests race.
"""

import re

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import PermissionRefused, ValidationFailed
from payments.errors import InvoiceStateError
from payments.insurers import insurer_get
from payments.models import Coverage, InsurancePlan, Invoice, InvoiceStatus, Payment, PaymentStatus
from payments.selectors import patients_of_account
from payments.services.invoices import invoice_split_apply
from records.models import Patient

MEMBER_NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9-]{3,39}$")
_SPACES = re.compile(r"[\s\u3000]+")
# Payments that leave a bill's split free to change (checkout_start splits again only when there are no others).
_ENDED_PAYMENTS = (PaymentStatus.FAILED, PaymentStatus.CANCELLED, PaymentStatus.EXPIRED)


def member_number_normalise(value: str) -> str:
    """Spaces (also full-width) removed, full-width letters and digits made ASCII, upper case: ``sh 2026 1234`` →
    ``SH20261234``. Hyphens are kept (numbers like ``SH-20261234`` are stored so)."""
    value = (value or "").translate({code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)})
    return _SPACES.sub("", value).upper()


def _member_number_errors(number: str) -> list[str]:
    if not number:
        return [_("Enter the member number on the insurance card.")]
    if not MEMBER_NUMBER.match(number):
        return [_("A member number has 4 to 40 letters, digits or hyphens, and starts with a letter or a digit.")]
    return []


def _check_acts_for(by: User, patient: Patient) -> None:
    if not (by and by.is_authenticated and patients_of_account(by).filter(pk=patient.pk).exists()):
        raise PermissionRefused(_("You can only link insurance for the people on your family list."))


def _taken_error() -> ValidationFailed:
    return ValidationFailed(errors={"member_number": [
        _("This member number is already linked to another patient on this plan. Please ask the front desk.")]})


def coverage_link(*, patient: Patient, plan: InsurancePlan, member_number: str, by: User) -> Coverage:
    """Link `patient` to `plan` with `member_number` (normalised), valid from today. Idempotent: the same number
    linked again to the same patient answers the existing coverage (made valid again if it had been ended)."""
    _check_acts_for(by, patient)
    number = member_number_normalise(member_number)
    errors = {}
    if plan is None or not plan.is_active:
        errors["plan"] = [_("Choose one of the plans offered.")]
    if number_errors := _member_number_errors(number):
        errors["member_number"] = number_errors
    if errors:
        raise ValidationFailed(errors=errors)

    existing = Coverage.objects.filter(plan=plan, member_number__iexact=number).first()
    if existing is not None:
        if existing.patient_id != patient.pk:
            raise _taken_error()
        return _reopened(existing)

    check = insurer_get(plan.insurer).verify_member(plan, number, patient=patient)
    if not check.is_member:
        raise ValidationFailed(errors={"member_number": [check.message or _("The insurer does not know this number.")]})

    try:
        with transaction.atomic():
            coverage = Coverage.objects.create(patient=patient, plan=plan, member_number=number,
                                               valid_from=timezone.localdate())
    except IntegrityError:
        # Linked by someone else between the check and here: the constraint decides.
        existing = Coverage.objects.filter(plan=plan, member_number__iexact=number).first()
        if existing is None or existing.patient_id != patient.pk:
            raise _taken_error() from None
        return _reopened(existing)
    bills_split_again(patient=patient)
    return coverage


def _reopened(coverage: Coverage) -> Coverage:
    if coverage.valid_to is not None:
        Coverage.objects.filter(pk=coverage.pk).update(valid_to=None)
        coverage.refresh_from_db()
    bills_split_again(patient=coverage.patient)
    return coverage


def coverage_unlink(*, coverage: Coverage, by: User) -> Coverage:
    """End `coverage` today (valid_to = today, never before it started); the row and the bills split with it stay.
    Ending it again changes nothing."""
    _check_acts_for(by, coverage.patient)
    today = timezone.localdate()
    with transaction.atomic():
        coverage = Coverage.objects.select_for_update().get(pk=coverage.pk)
        if coverage.valid_to is None or coverage.valid_to > today:
            coverage.valid_to = max(today, coverage.valid_from)
            coverage.save(update_fields=["valid_to"])
    return coverage


def bills_split_again(*, patient: Patient) -> int:
    """Split again, with today's coverage, each issued bill of `patient` that nobody has started paying (the same
    rule as checkout_start). One transaction per bill, Invoice locked first (the payments lock order). Answers how
    many bills were split."""
    started = Payment.objects.exclude(status__in=_ENDED_PAYMENTS).values("invoice_id")
    count = 0
    for pk in Invoice.objects.filter(patient=patient, status=InvoiceStatus.ISSUED).exclude(pk__in=started).values_list(
            "pk", flat=True):
        with transaction.atomic():
            invoice = Invoice.objects.select_for_update().get(pk=pk)
            if invoice.status != InvoiceStatus.ISSUED or Payment.objects.filter(invoice=invoice).exclude(
                    status__in=_ENDED_PAYMENTS).exists():
                continue
            try:
                invoice_split_apply(invoice=invoice)
            except InvoiceStateError:  # money was taken after all: the split it was paid against stays
                continue
            count += 1
    return count

