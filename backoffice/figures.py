"""The dashboard's figures: read per local date from the database, combined and computed with pandas.

Each date is read once into plain columns (``day_data``) and, once the date is over, kept in the cache: a
finished day's figures do not change, so a year's dashboard reads the database only for the days it has not
seen and for today. Everything else (rates, percentiles, tables per day and per department) is computed from
those columns by pandas, so the figures for any range and department come from the same cached days.

Definitions (docs/admin.md repeats them for administrators):
- visits: queue tickets in a consulting room's queue finished by the doctor (walk-ins included);
- bookings: appointments of the period that held a number at their session (booked, checked in, with the doctor,
  completed or missed); capacity: the numbers of the period's slots not cancelled by the hospital;
  utilisation = bookings / capacity;
- no-show rate = missed appointments / bookings;
- wait: minutes from check-in to the (last) call; consultation: minutes from the start to the end of the
  consultation; median and 90th percentile by linear interpolation (Excel's PERCENTILE.INC);
- alerts: home-monitoring alerts opened in the period, and of those the ones escalated; open and escalated now.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import pandas as pd
from django.core.cache import cache
from django.db.models import Count, OuterRef, Subquery, Sum

from appointments.localtime import hospital_today, local_to_utc
from appointments.models import (
    Appointment,
    AppointmentStatus,
    Department,
    QueueTicket,
    ServicePointKind,
    Slot,
    SlotStatus,
    TicketStatus,
)
from backoffice import revenue
from telemonitor.models import Alert, AlertStatus, MonitoringPlan

CACHE_VERSION = 2
CACHE_SECONDS = 60 * 60 * 24 * 120
# Appointments that held a number when their session came.
BOOKED_STATUSES = (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN, AppointmentStatus.IN_CONSULTATION,
                   AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW)
TABLES = ("capacity", "appointments", "tickets", "alerts", "revenue")


def day_key(day: date) -> str:
    return f"backoffice:day:v{CACHE_VERSION}:{day.isoformat()}"


def _local_day_bounds(day: date) -> tuple[datetime, datetime]:
    return local_to_utc(day, time(0)), local_to_utc(day + timedelta(days=1), time(0))


def _columns(rows: list[dict], names: tuple[str, ...]) -> dict[str, list]:
    return {name: [row[name] for row in rows] for name in names}


def _minutes(later: datetime | None, earlier: datetime | None) -> float | None:
    if later is None or earlier is None:
        return None
    return (later - earlier).total_seconds() / 60


def day_read(day: date) -> dict[str, dict[str, list]]:
    """Everything the dashboard needs from local date `day`, as columns of plain values (cacheable)."""
    capacity = list(Slot.objects.filter(date=day).exclude(status=SlotStatus.CANCELLED).order_by()
                    .values("department_id").annotate(capacity=Sum("capacity")))
    appointments = list(Appointment.objects.filter(date=day).order_by()
                        .values("doctor__department_id", "status").annotate(n=Count("pk")))
    for row in appointments:
        row["department_id"] = row.pop("doctor__department_id")
    tickets = [
        {"department_id": department_id, "done": status == TicketStatus.DONE,
         "wait_min": _minutes(called_at, checked_in_at),
         "consult_min": _minutes(done_at, started_at) if status == TicketStatus.DONE else None}
        for department_id, status, checked_in_at, called_at, started_at, done_at in
        QueueTicket.objects.filter(date=day, service_point__kind=ServicePointKind.CONSULTING_ROOM).order_by()
        .values_list("service_point__department_id", "status", "checked_in_at", "called_at", "serving_started_at",
                     "done_at")
    ]
    start, end = _local_day_bounds(day)
    # telemonitor keeps a plan's department by code (it sits below appointments); an alert counts for the
    # department of its patient's latest plan.
    plan_department = (MonitoringPlan.objects.filter(patient_id=OuterRef("patient_id")).order_by("-starts_on", "-pk")
                       .values("department_code")[:1])
    codes = dict(Department.objects.values_list("code", "pk"))
    alerts = [{"department_id": codes.get(code), "escalated": escalated_at is not None}
              for code, escalated_at in Alert.objects.filter(opened_at__gte=start, opened_at__lt=end).order_by()
              .annotate(code=Subquery(plan_department)).values_list("code", "escalated_at")]
    return {
        "capacity": _columns(capacity, ("department_id", "capacity")),
        "appointments": _columns(appointments, ("department_id", "status", "n")),
        "tickets": _columns(tickets, ("department_id", "done", "wait_min", "consult_min")),
        "alerts": _columns(alerts, ("department_id", "escalated")),
        "revenue": revenue.day_read(start, end),
    }


def day_data(day: date, *, today: date | None = None) -> dict:
    """`day`'s columns: from the cache for a finished day (read and kept on first use), always read for today
    and later days, whose figures are still changing."""
    today = today or hospital_today()
    if day >= today:
        return day_read(day)
    data = cache.get(day_key(day))
    if data is None:
        data = day_read(day)
        cache.set(day_key(day), data, CACHE_SECONDS)
    return data


def days_missing(date_from: date, date_to: date, *, today: date | None = None) -> list[date]:
    """The finished days of the range not in the cache yet (what a heavy range would have to read)."""
    today = today or hospital_today()
    days = [d for d in date_range(date_from, date_to) if d < today]
    cached = cache.get_many([day_key(d) for d in days])
    return [d for d in days if day_key(d) not in cached]


def date_range(date_from: date, date_to: date) -> list[date]:
    return [date_from + timedelta(days=n) for n in range((date_to - date_from).days + 1)]


# --- Combining days with pandas -----------------------------------------------------------------------------

@dataclass
class Dashboard:
    date_from: date
    date_to: date
    department_id: int | None
    totals: dict
    by_day: pd.DataFrame
    by_department: pd.DataFrame
    revenue: pd.DataFrame
    alerts_now: dict = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not any(self.totals[k] for k in ("capacity", "bookings", "visits", "alerts_opened", "revenue_total",
                                                "refunds_total")) and self.totals["wait_median"] is None

    @property
    def has_revenue(self) -> bool:
        return revenue.available()


FIGURE_COLUMNS = ("visits", "bookings", "capacity", "utilisation", "no_shows", "no_show_rate", "wait_median", "wait_p90",
                  "consult_median", "consult_p90", "alerts_opened", "alerts_escalated", "revenue_total",
                  "revenue_insurer", "revenue_patient", "refunds_total")


def _frame(days: dict[date, dict], table: str, department_id: int | None) -> pd.DataFrame:
    parts = []
    for day, data in days.items():
        part = pd.DataFrame(data[table])
        if not part.empty:
            part["date"] = day
            parts.append(part)
    if not parts:
        return pd.DataFrame(columns=[*revenue.COLUMNS, "date"] if table == "revenue" else ["date", "department_id"])
    frame = pd.concat(parts, ignore_index=True)
    if department_id is not None:
        frame = frame[frame["department_id"] == department_id]
    return frame


def _table(frames: dict[str, pd.DataFrame], keys: list[str]) -> pd.DataFrame:
    """The figures per group of `keys` (["date"], ["department_id"] or ["_all"]) as one DataFrame, a row a group."""
    def series(table: str, compute) -> pd.Series:
        frame = frames[table]
        if frame.empty:
            return pd.Series(dtype="float64")
        return compute(frame.groupby(keys))

    appointments = frames["appointments"]
    booked = appointments[appointments["status"].isin(BOOKED_STATUSES)] if not appointments.empty else appointments
    missed = appointments[appointments["status"] == AppointmentStatus.NO_SHOW] if not appointments.empty else appointments
    tickets = frames["tickets"]
    waits = tickets.dropna(subset=["wait_min"]) if not tickets.empty else tickets
    consults = tickets.dropna(subset=["consult_min"]) if not tickets.empty else tickets
    money = frames["revenue"]
    columns = {
        "visits": series("tickets", lambda g: g["done"].sum()),
        "bookings": booked.groupby(keys)["n"].sum() if not booked.empty else pd.Series(dtype="float64"),
        "capacity": series("capacity", lambda g: g["capacity"].sum()),
        "no_shows": missed.groupby(keys)["n"].sum() if not missed.empty else pd.Series(dtype="float64"),
        "wait_median": waits.groupby(keys)["wait_min"].median() if not waits.empty else pd.Series(dtype="float64"),
        "wait_p90": waits.groupby(keys)["wait_min"].quantile(0.9) if not waits.empty else pd.Series(dtype="float64"),
        "consult_median": consults.groupby(keys)["consult_min"].median() if not consults.empty else pd.Series(dtype="float64"),
        "consult_p90": consults.groupby(keys)["consult_min"].quantile(0.9) if not consults.empty else pd.Series(dtype="float64"),
        "alerts_opened": series("alerts", lambda g: g.size()),
        "alerts_escalated": series("alerts", lambda g: g["escalated"].sum()),
        # Money is kept in whole fen (backoffice.revenue) and turned into CNY here, after summing.
        "revenue_total": money.groupby(keys)["amount"].sum() / 100 if not money.empty else pd.Series(dtype="float64"),
        "revenue_insurer": money.groupby(keys)["insurer"].sum() / 100 if not money.empty else pd.Series(dtype="float64"),
        "revenue_patient": money.groupby(keys)["patient"].sum() / 100 if not money.empty else pd.Series(dtype="float64"),
        "refunds_total": money.groupby(keys)["refunded"].sum() / 100 if not money.empty else pd.Series(dtype="float64"),
    }
    table = pd.DataFrame(columns)
    counts = ["visits", "bookings", "capacity", "no_shows", "alerts_opened", "alerts_escalated"]
    table[counts] = table[counts].fillna(0).astype("int64")
    for money_column in ("revenue_total", "revenue_insurer", "revenue_patient", "refunds_total"):
        table[money_column] = table[money_column].fillna(0).astype("float64").round(2)
    table["utilisation"] = (table["bookings"] / table["capacity"].where(table["capacity"] > 0)).astype("float64")
    table["no_show_rate"] = (table["no_shows"] / table["bookings"].where(table["bookings"] > 0)).astype("float64")
    return table[list(FIGURE_COLUMNS)]


def records(frame: pd.DataFrame) -> list[tuple]:
    """(index, {column: value}) per row, each value in its column's own type (iterrows would make counts floats)."""
    return list(frame.to_dict("index").items())


def _clean(value):
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if hasattr(value, "item"):
        value = value.item()
    return value


def dashboard_compute(*, date_from: date, date_to: date, department_id: int | None = None,
                      today: date | None = None) -> Dashboard:
    """The dashboard for local dates `date_from`..`date_to` (inclusive), for one department or (None) all."""
    days = {day: day_data(day, today=today) for day in date_range(date_from, date_to)}
    frames = {table: _frame(days, table, department_id) for table in TABLES}
    for name in ("capacity", "appointments", "tickets", "alerts", "revenue"):
        frames[name] = frames[name].assign(_all=0)
    totals_frame = _table(frames, ["_all"])
    totals = ({k: _clean(totals_frame[k].iloc[0]) for k in FIGURE_COLUMNS} if not totals_frame.empty
              else {k: (0 if k not in ("utilisation", "no_show_rate", "wait_median", "wait_p90", "consult_median",
                                      "consult_p90") else None) for k in FIGURE_COLUMNS})
    by_day = _table(frames, ["date"]).reindex(date_range(date_from, date_to))
    by_day[["visits", "bookings", "capacity", "no_shows", "alerts_opened", "alerts_escalated"]] = (
        by_day[["visits", "bookings", "capacity", "no_shows", "alerts_opened", "alerts_escalated"]].fillna(0).astype("int64"))
    for money_column in ("revenue_total", "revenue_insurer", "revenue_patient", "refunds_total"):
        by_day[money_column] = by_day[money_column].fillna(0.0)
    by_day.index.name = "date"
    by_department = _table(frames, ["department_id"])
    by_department.index.name = "department_id"
    return Dashboard(date_from=date_from, date_to=date_to, department_id=department_id, totals=totals, by_day=by_day,
                     by_department=by_department, revenue=revenue.by_category(frames["revenue"]),
                     alerts_now=alerts_now(department_id=department_id))


def alerts_now(*, department_id: int | None = None) -> dict:
    """Alerts open and escalated at this moment (live, never cached)."""
    alerts = Alert.objects.filter(status__in=(AlertStatus.OPEN, AlertStatus.ESCALATED))
    if department_id is not None:
        code = Department.objects.filter(pk=department_id).values_list("code", flat=True).first()
        plan_department = (MonitoringPlan.objects.filter(patient_id=OuterRef("patient_id"))
                           .order_by("-starts_on", "-pk").values("department_code")[:1])
        alerts = alerts.annotate(code=Subquery(plan_department)).filter(code=code)
    counts = dict(alerts.order_by().values_list("status").annotate(n=Count("pk")))
    return {"open": counts.get(AlertStatus.OPEN, 0), "escalated": counts.get(AlertStatus.ESCALATED, 0)}
