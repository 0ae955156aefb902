"""Orders for lab tests and examinations, their results (entered one by one or imported from a lab's CSV
file) and reports (text and an optional document).

Flags are computed here from the value and the ranges, never typed by a person. An import is all or
nothing: every row is checked first, bad rows are reported by their line number, and only a file without
errors is written, in one transaction.
"""

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Role
from core.errors import PermissionRefused, ValidationFailed
from records.access import AuditContext, access_log_write, acting_role
from records.care import staff_department
from records.coding import loinc_check, ucum_check
from records.models import (
    AccessAction,
    AccessLog,
    Encounter,
    Order,
    OrderKind,
    OrderStatus,
    Patient,
    Report,
    ResultFlag,
    ResultItem,
)
from records.uploads import report_file_check

IMPORT_MAX_ROWS = 5000
IMPORT_REQUIRED_COLUMNS = ("mrn", "loinc", "value")
IMPORT_COLUMNS = ("mrn", "order", "loinc", "name", "value", "unit", "low", "high", "critical_low", "critical_high",
                  "observed_at")


def _require_clinician(user: User) -> None:
    if not (user.has_role(Role.DOCTOR) or user.has_role(Role.NURSE)):
        raise PermissionRefused(_("Only doctors and nurses record results and reports."))


def _log_write(*, by: User, patient: Patient, object_type: str, object_id, audit: AuditContext | None,
               reason: str = "") -> None:
    access_log_write(user=by, role=acting_role(by), patient=patient, action=AccessAction.WRITE, object_type=object_type,
                     object_id=str(object_id), purpose="care", reason=reason, audit=audit)


def order_create(*, patient: Patient, kind: str, name: str, by: User, code: str = "", note: str = "",
                 encounter: Encounter | None = None, audit: AuditContext | None = None) -> Order:
    """Order a lab test (optionally by its LOINC code) or an examination for `patient`. Doctors only."""
    if not by.has_role(Role.DOCTOR):
        raise PermissionRefused(_("Only doctors order tests and examinations."))
    errors = {}
    if kind not in OrderKind.values:
        errors["kind"] = [_("Choose a laboratory test or an examination.")]
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Name the test or examination.")]
    if code:
        try:
            code = loinc_check(code)
        except ValidationError as exc:
            errors["code"] = exc.messages
    if encounter is not None and encounter.patient_id != patient.pk:
        errors["encounter"] = [_("This note belongs to another patient.")]
    if errors:
        raise ValidationFailed(errors=errors)
    with transaction.atomic():
        order = Order.objects.create(patient=patient, kind=kind, name=name[:200], code=code, note=(note or "").strip()[:300],
                                     encounter=encounter, ordered_by=by)
        _log_write(by=by, patient=patient, object_type="order", object_id=order.public_id, audit=audit)
    return order


def result_flag(*, value: Decimal, reference_low: Decimal | None = None, reference_high: Decimal | None = None,
                critical_low: Decimal | None = None, critical_high: Decimal | None = None) -> str:
    """The flag for `value`: critical limits first (they are what a lab telephones about), then the reference range.
    Limits are exclusive: a value equal to a limit is inside it."""
    if critical_low is not None and value < critical_low:
        return ResultFlag.CRITICAL_LOW
    if critical_high is not None and value > critical_high:
        return ResultFlag.CRITICAL_HIGH
    if reference_low is not None and value < reference_low:
        return ResultFlag.LOW
    if reference_high is not None and value > reference_high:
        return ResultFlag.HIGH
    return ResultFlag.NORMAL


@dataclass
class _ResultInput:
    loinc_code: str
    name: str
    value: Decimal
    unit: str
    reference_low: Decimal | None
    reference_high: Decimal | None
    critical_low: Decimal | None
    critical_high: Decimal | None
    observed_at: datetime


def _decimal(raw, *, field: str, errors: dict, required: bool = False) -> Decimal | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            errors.setdefault(field, []).append(_("Give a number."))
        return None
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        errors.setdefault(field, []).append(_("%(value)s is not a number.") % {"value": raw})
        return None
    if not value.is_finite() or abs(value) >= Decimal("1e10"):
        errors.setdefault(field, []).append(_("%(value)s is not a number we can store.") % {"value": raw})
        return None
    return value.quantize(Decimal("0.0001")) if value.as_tuple().exponent < -4 else value


def _moment(raw, *, errors: dict) -> datetime:
    if isinstance(raw, datetime):
        moment = raw
    elif raw is None or not str(raw).strip():
        return timezone.now()
    else:
        text = str(raw).strip()
        moment = parse_datetime(text)
        if moment is None and parse_date(text) is not None:
            moment = datetime.combine(parse_date(text), datetime.min.time())
        if moment is None:
            errors.setdefault("observed_at", []).append(
                _("%(value)s is not a date and time; write it as 2026-03-01 08:30.") % {"value": text})
            return timezone.now()
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)  # the hospital's local time
    if moment > timezone.now() + timedelta(minutes=5):
        errors.setdefault("observed_at", []).append(_("The collection time is in the future."))
    return moment


def _result_check(*, loinc_code, name, value, unit, reference_low=None, reference_high=None, critical_low=None,
                  critical_high=None, observed_at=None) -> tuple[_ResultInput | None, dict]:
    errors: dict[str, list[str]] = {}
    try:
        loinc_code = loinc_check(loinc_code)
    except ValidationError as exc:
        errors["loinc"] = exc.messages
    try:
        unit = ucum_check(unit)
    except ValidationError as exc:
        errors["unit"] = exc.messages
    number = _decimal(value, field="value", errors=errors, required=True)
    low = _decimal(reference_low, field="low", errors=errors)
    high = _decimal(reference_high, field="high", errors=errors)
    crit_low = _decimal(critical_low, field="critical_low", errors=errors)
    crit_high = _decimal(critical_high, field="critical_high", errors=errors)
    if low is not None and high is not None and low > high:
        errors.setdefault("high", []).append(_("The upper limit is below the lower limit."))
    if crit_low is not None and low is not None and crit_low > low:
        errors.setdefault("critical_low", []).append(_("The critical low limit is above the reference range."))
    if crit_high is not None and high is not None and crit_high < high:
        errors.setdefault("critical_high", []).append(_("The critical high limit is below the reference range."))
    moment = _moment(observed_at, errors=errors)
    name = (name or "").strip()[:200] or (loinc_code if isinstance(loinc_code, str) else "")
    if errors:
        return None, errors
    return _ResultInput(loinc_code=loinc_code, name=name, value=number, unit=unit, reference_low=low, reference_high=high,
                        critical_low=crit_low, critical_high=crit_high, observed_at=moment), {}


def _result_item(*, patient: Patient, order: Order | None, data: _ResultInput, by: User) -> ResultItem:
    return ResultItem(
        patient=patient, order=order, loinc_code=data.loinc_code, name=data.name, value=data.value, unit=data.unit,
        reference_low=data.reference_low, reference_high=data.reference_high, critical_low=data.critical_low,
        critical_high=data.critical_high, observed_at=data.observed_at, entered_by=by,
        flag=result_flag(value=data.value, reference_low=data.reference_low, reference_high=data.reference_high,
                         critical_low=data.critical_low, critical_high=data.critical_high))


def result_record(*, patient: Patient, loinc_code: str, value, by: User, name: str = "", unit: str = "",
                  reference_low=None, reference_high=None, critical_low=None, critical_high=None, observed_at=None,
                  order: Order | None = None, audit: AuditContext | None = None) -> ResultItem:
    """Enter one lab value for `patient` (doctors and nurses). The flag is computed from the ranges."""
    _require_clinician(by)
    data, errors = _result_check(loinc_code=loinc_code, name=name, value=value, unit=unit, reference_low=reference_low,
                                 reference_high=reference_high, critical_low=critical_low, critical_high=critical_high,
                                 observed_at=observed_at)
    if order is not None and order.patient_id != patient.pk:
        errors["order"] = [_("This order belongs to another patient.")]
    if errors:
        raise ValidationFailed(errors=errors)
    with transaction.atomic():
        item = _result_item(patient=patient, order=order, data=data, by=by)
        item.save()
        if order is not None and order.status == OrderStatus.ORDERED:
            Order.objects.filter(pk=order.pk, status=OrderStatus.ORDERED).update(status=OrderStatus.COMPLETED)
        _log_write(by=by, patient=patient, object_type="result", object_id=item.public_id, audit=audit)
    return item


@dataclass(frozen=True)
class ImportSummary:
    created: int
    patients: int
    abnormal: int


def _csv_text(content: bytes | str) -> str:
    if isinstance(content, str):
        return content
    for encoding in ("utf-8-sig", "gb18030"):  # lab systems and Excel in China often write GB18030
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationFailed(errors={"file": [_("The file is not text (UTF-8 or GB18030). Export it as CSV again.")]})


def results_import_csv(*, content: bytes | str, by: User, audit: AuditContext | None = None) -> ImportSummary:
    """Import a lab file: a CSV with a header row naming the columns (mrn, loinc, value required; order, name,
    unit, low, high, critical_low, critical_high, observed_at optional). All or nothing: any bad row raises
    ValidationFailed with errors keyed "row N" (N is the line in the file, the header being line 1)."""
    _require_clinician(by)
    reader = csv.DictReader(io.StringIO(_csv_text(content)))
    header = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
    missing = [column for column in IMPORT_REQUIRED_COLUMNS if column not in header]
    if missing:
        raise ValidationFailed(_("The file's first line must name its columns."),
                               errors={"file": [_("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)}]})
    rows = []
    for line, raw in enumerate(reader, start=2):
        rows.append((line, {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if k is not None}))
        if len(rows) > IMPORT_MAX_ROWS:
            raise ValidationFailed(errors={"file": [_("At most %(n)d rows per file. Split the file.") % {"n": IMPORT_MAX_ROWS}]})
    if not rows:
        raise ValidationFailed(errors={"file": [_("The file has no result rows.")]})

    patients = {p.mrn: p for p in Patient.objects.filter(mrn__in={row.get("mrn", "") for _line, row in rows})}
    orders = {str(o.public_id): o for o in Order.objects.filter(
        public_id__in=[row["order"] for _line, row in rows if _is_uuid(row.get("order", ""))])}
    errors: dict[str, list[str]] = {}
    items = []
    for line, row in rows:
        problems = []
        patient = patients.get(row.get("mrn", ""))
        if patient is None:
            problems.append(_("no patient has the MRN %(mrn)s.") % {"mrn": row.get("mrn") or "''"})
        order = None
        if row.get("order"):
            order = orders.get(row["order"])
            if order is None:
                problems.append(_("order %(order)s does not exist.") % {"order": row["order"]})
            elif patient is not None and order.patient_id != patient.pk:
                problems.append(_("order %(order)s belongs to another patient.") % {"order": row["order"]})
        data, field_errors = _result_check(
            loinc_code=row.get("loinc", ""), name=row.get("name", ""), value=row.get("value", ""), unit=row.get("unit", ""),
            reference_low=row.get("low"), reference_high=row.get("high"), critical_low=row.get("critical_low"),
            critical_high=row.get("critical_high"), observed_at=row.get("observed_at"))
        problems.extend(f"{field}: {message}" for field, messages in field_errors.items() for message in messages)
        if problems:
            errors[_("row %(n)d") % {"n": line}] = problems
        else:
            items.append(_result_item(patient=patient, order=order, data=data, by=by))
    if errors:
        raise ValidationFailed(_("Nothing was imported: %(n)d rows have problems. Correct them and import the whole "
                                 "file again.") % {"n": len(errors)}, errors=errors)

    audit = audit or AuditContext()
    role = acting_role(by)
    with transaction.atomic():
        ResultItem.objects.bulk_create(items)
        order_ids = {item.order_id for item in items if item.order_id}
        Order.objects.filter(pk__in=order_ids, status=OrderStatus.ORDERED).update(status=OrderStatus.COMPLETED)
        department = staff_department(by).name
        AccessLog.objects.bulk_create([
            AccessLog(actor=by, actor_role=role, actor_department=department, patient=item.patient, object_type="result",
                      object_id=str(item.public_id), action=AccessAction.WRITE, purpose="care", reason="lab import",
                      ip=audit.ip, user_agent=audit.user_agent)
            for item in items])
    return ImportSummary(created=len(items), patients=len({item.patient_id for item in items}),
                         abnormal=sum(1 for item in items if item.flag))


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except (ValueError, TypeError, AttributeError):
        return False
    return True


def report_create(*, patient: Patient, title: str, text: str, by: User, kind: str = OrderKind.EXAM,
                  file_content: bytes | None = None, filename: str = "", claimed_type: str = "",
                  order: Order | None = None, encounter: Encounter | None = None,
                  audit: AuditContext | None = None) -> Report:
    """Issue a report. An attached document must be a PDF, PNG or JPEG by its content (records.uploads)."""
    _require_clinician(by)
    errors = {}
    title = (title or "").strip()
    text = (text or "").strip()
    if not title:
        errors["title"] = [_("Give the report a title, for example Chest X-ray.")]
    if not text:
        errors["text"] = [_("Write the findings and conclusion.")]
    if kind not in OrderKind.values:
        errors["kind"] = [_("Choose a laboratory or an examination report.")]
    if order is not None and order.patient_id != patient.pk:
        errors["order"] = [_("This order belongs to another patient.")]
    if encounter is not None and encounter.patient_id != patient.pk:
        errors["encounter"] = [_("This note belongs to another patient.")]
    if errors:
        raise ValidationFailed(errors=errors)
    checked = report_file_check(content=file_content, filename=filename, claimed_type=claimed_type) if file_content else None
    with transaction.atomic():
        report = Report(patient=patient, title=title[:200], text=text, kind=kind, order=order, encounter=encounter,
                        author=by)
        if checked is not None:
            report.file_content_type = checked.content_type
            report.file_size = checked.size
            report.file.save(f"report.{checked.extension}", ContentFile(checked.content), save=False)
        report.save()
        if order is not None:
            Order.objects.filter(pk=order.pk, status=OrderStatus.ORDERED).update(status=OrderStatus.COMPLETED)
        _log_write(by=by, patient=patient, object_type="report", object_id=report.public_id, audit=audit)
    return report
