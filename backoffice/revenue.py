"""Revenue for the dashboard, read from payments: per category, the insurer's and the patient's shares, refunds.

Kept apart from backoffice.figures because it follows the payments ledger's models (imported when used, so the
back office still works on a database without them: ``available()`` is then false and every day has no rows).

- Revenue of a day: the lines of the bills paid that day (``Invoice.paid_at``, bills since partly or wholly refunded
  included), by line category: the amount, the insurer's share and the patient's share (which add up to the amount,
  line by line, by the ledger's constraint).
- Refunds of a day: refunds completed that day, under the category of the refunded bill's largest line.
- Department: the doctor's of the appointment a bill is for (a consultation's bill: the appointment of its
  encounter; a monitoring plan's: the plan's department); none for bills made at the desk.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import pandas as pd
from django.apps import apps

COLUMNS = ("department_id", "category", "amount", "insurer", "patient", "refunded")
PAID_STATUSES = ("paid", "partially_refunded", "refunded")


def available() -> bool:
    return apps.is_installed("payments") and "invoiceline" in apps.all_models.get("payments", {})


def _departments_of(invoices: dict[int, tuple[str, object]]) -> dict[int, int | None]:
    """invoice id -> department id, from each bill's source (3 queries whatever the number of bills)."""
    from appointments.models import Appointment, Department
    from records.models import Encounter
    from telemonitor.models import MonitoringPlan

    refs = defaultdict(set)
    for source, ref in invoices.values():
        if ref is not None:
            refs[source].add(ref)
    encounter_appointment = dict(Encounter.objects.filter(public_id__in=refs["encounter"])
                                 .values_list("public_id", "appointment_public_id"))
    appointment_department = dict(Appointment.objects.filter(
        public_id__in=refs["appointment"] | {a for a in encounter_appointment.values() if a})
        .values_list("public_id", "doctor__department_id"))
    codes = dict(Department.objects.values_list("code", "pk"))
    plan_department = {ref: codes.get(code) for ref, code in MonitoringPlan.objects.filter(
        public_id__in=refs["monitoring_plan"]).values_list("public_id", "department_code")}
    result = {}
    for invoice_id, (source, ref) in invoices.items():
        if source == "appointment":
            result[invoice_id] = appointment_department.get(ref)
        elif source == "encounter":
            result[invoice_id] = appointment_department.get(encounter_appointment.get(ref))
        elif source == "monitoring_plan":
            result[invoice_id] = plan_department.get(ref)
        else:
            result[invoice_id] = None
    return result


def day_read(start: datetime, end: datetime) -> dict[str, list]:
    """Money taken and given back between `start` and `end` (UTC): one row per bill line and per refund, in fen."""
    columns: dict[str, list] = {name: [] for name in COLUMNS}
    if not available():
        return columns
    InvoiceLine = apps.get_model("payments", "InvoiceLine")
    Refund = apps.get_model("payments", "Refund")
    lines = list(InvoiceLine.objects.filter(invoice__paid_at__gte=start, invoice__paid_at__lt=end,
                                            invoice__status__in=PAID_STATUSES).order_by()
                 .values_list("invoice_id", "invoice__source", "invoice__source_ref", "category", "amount",
                              "insurer_share", "patient_share"))
    refunds = list(Refund.objects.filter(status="succeeded", completed_at__gte=start, completed_at__lt=end).order_by()
                   .values_list("invoice_id", "invoice__source", "invoice__source_ref", "amount"))
    refunded_invoices = {invoice_id for invoice_id, *_rest in refunds}
    largest: dict[int, tuple] = {}
    for invoice_id, category, amount in (InvoiceLine.objects.filter(invoice_id__in=refunded_invoices).order_by("position")
                                         .values_list("invoice_id", "category", "amount")):
        if invoice_id not in largest or amount > largest[invoice_id][1]:
            largest[invoice_id] = (category, amount)
    departments = _departments_of({row[0]: (row[1], row[2]) for row in [*lines, *refunds]})
    for invoice_id, _source, _ref, category, amount, insurer, patient in lines:
        for name, value in zip(COLUMNS, (departments[invoice_id], category, _fen(amount), _fen(insurer), _fen(patient), 0),
                               strict=True):
            columns[name].append(value)
    for invoice_id, _source, _ref, amount in refunds:
        category = largest.get(invoice_id, ("other", 0))[0]
        for name, value in zip(COLUMNS, (departments[invoice_id], category, 0, 0, 0, _fen(amount)), strict=True):
            columns[name].append(value)
    return columns


def _fen(amount) -> int:
    """Money as whole fen (分): sums of any number of rows stay exact, and shares still add up to the amount."""
    return int(amount * 100)


def category_label(code: str) -> str:
    if not available():
        return code
    from payments.models import LineCategory

    return str(dict(LineCategory.choices).get(code, code))


def by_category(frame: pd.DataFrame) -> pd.DataFrame:
    """Revenue per category over the period: amount, insurer's share, patient's share, refunds in CNY."""
    if frame.empty:
        return pd.DataFrame(columns=["amount", "insurer", "patient", "refunded"], index=pd.Index([], name="category"))
    table = frame.groupby("category")[["amount", "insurer", "patient", "refunded"]].sum() / 100
    table.index = [category_label(code) for code in table.index]
    table.index.name = "category"
    return table
