"""The dashboard as files: CSV (the figures per day, then the period's total) and Excel (summary, per day,
per department, revenue by category), in the reader's language. Rates are fractions (0.25 = 25 %), times in
minutes, money in CNY.
"""

import csv
import io
from datetime import date

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook

from backoffice.figures import FIGURE_COLUMNS, Dashboard, records

FIGURE_LABELS = {
    "visits": gettext_lazy("Visits"),
    "bookings": gettext_lazy("Bookings"),
    "capacity": gettext_lazy("Capacity (numbers)"),
    "utilisation": gettext_lazy("Utilisation"),
    "no_shows": gettext_lazy("No-shows"),
    "no_show_rate": gettext_lazy("No-show rate"),
    "wait_median": gettext_lazy("Wait, median (min)"),
    "wait_p90": gettext_lazy("Wait, 90th percentile (min)"),
    "consult_median": gettext_lazy("Consultation, median (min)"),
    "consult_p90": gettext_lazy("Consultation, 90th percentile (min)"),
    "alerts_opened": gettext_lazy("Alerts opened"),
    "alerts_escalated": gettext_lazy("Alerts escalated"),
    "revenue_total": gettext_lazy("Revenue (CNY)"),
    "revenue_insurer": gettext_lazy("Paid by insurance (CNY)"),
    "revenue_patient": gettext_lazy("Paid by patients (CNY)"),
    "refunds_total": gettext_lazy("Refunds (CNY)"),
}


def _cell(value):
    if value is None:
        return None
    if isinstance(value, float):
        return None if value != value else round(value, 4)  # NaN: no figure (nothing to divide by)
    if hasattr(value, "item"):
        return _cell(value.item())
    return value


def export_filename(dashboard: Dashboard, extension: str) -> str:
    return f"dashboard-{dashboard.date_from.isoformat()}-{dashboard.date_to.isoformat()}.{extension}"


def dashboard_csv(dashboard: Dashboard) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Date"), *[str(FIGURE_LABELS[c]) for c in FIGURE_COLUMNS]])
    for day, row in records(dashboard.by_day):
        writer.writerow([day.isoformat(), *[_blank(_cell(row[c])) for c in FIGURE_COLUMNS]])
    writer.writerow([_("Total"), *[_blank(_cell(dashboard.totals[c])) for c in FIGURE_COLUMNS]])
    return out.getvalue()


def _blank(value):
    return "" if value is None else value


def dashboard_xlsx(dashboard: Dashboard, *, department_names: dict[int, str], department_label: str) -> bytes:
    book = Workbook()
    summary = book.active
    summary.title = _("Summary")[:31]
    summary.append([_("From"), dashboard.date_from])
    summary.append([_("To"), dashboard.date_to])
    summary.append([_("Department"), department_label])
    summary.append([])
    summary.append([_("Figure"), _("Value")])
    for column in FIGURE_COLUMNS:
        summary.append([str(FIGURE_LABELS[column]), _cell(dashboard.totals[column])])
    summary.append([str(_("Alerts open now")), dashboard.alerts_now.get("open", 0)])
    summary.append([str(_("Alerts escalated now")), dashboard.alerts_now.get("escalated", 0)])

    per_day = book.create_sheet(_("By day")[:31])
    per_day.append([_("Date"), *[str(FIGURE_LABELS[c]) for c in FIGURE_COLUMNS]])
    for day, row in records(dashboard.by_day):
        per_day.append([day if isinstance(day, date) else str(day), *[_cell(row[c]) for c in FIGURE_COLUMNS]])

    per_department = book.create_sheet(_("By department")[:31])
    per_department.append([_("Department"), *[str(FIGURE_LABELS[c]) for c in FIGURE_COLUMNS]])
    for department_id, row in records(dashboard.by_department):
        name = department_names.get(department_id, _("No department"))
        per_department.append([name, *[_cell(row[c]) for c in FIGURE_COLUMNS]])

    money = book.create_sheet(_("Revenue")[:31])
    money.append([_("Category"), _("Amount (CNY)"), _("Paid by insurance (CNY)"), _("Paid by patients (CNY)"),
                  _("Refunds (CNY)")])
    for category, row in records(dashboard.revenue):
        money.append([str(category), *[_cell(row[c]) for c in ("amount", "insurer", "patient", "refunded")]])

    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
