"""Reading ingest: check a device's batch row by row, write the good rows in bulk, answer per reading.

One code path for the HTTP API and the MQTT bridge. The hot path (≥100k readings/s is the target) avoids per-row
objects: rows are checked in one plain loop into tuples, and written with COPY into a temporary table followed by one
``INSERT ... SELECT ... ON CONFLICT DO NOTHING RETURNING`` on PostgreSQL (``INSERT OR IGNORE`` on SQLite).

A reading's idempotency key is (device, device reading id): a resent batch, or the same batch sent twice at once,
stores each reading once; the second sender is told "duplicate".
"""

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.backends.postgresql.psycopg_any import is_psycopg3
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.outbox import enqueue
from core.postgres_copy import copy_from_text
from telemonitor.errors import BatchTooLarge
from telemonitor.models import ACVPU_LEVELS, Device, Reading, ReadingKind

MAX_BATCH = 5000

ACCEPTED = "accepted"
DUPLICATE = "duplicate"
REJECTED = "rejected"

# Units accepted per kind (UCUM codes), each with (scale, offset) to the canonical unit: canonical = raw*scale + offset.
UNITS: dict[str, dict[str, tuple[float, float]]] = {
    ReadingKind.HEART_RATE: {"/min": (1.0, 0.0)},
    ReadingKind.RESP_RATE: {"/min": (1.0, 0.0)},
    ReadingKind.SPO2: {"%": (1.0, 0.0)},
    ReadingKind.TEMPERATURE: {"Cel": (1.0, 0.0), "[degF]": (5 / 9, -32 * 5 / 9)},
    ReadingKind.BLOOD_PRESSURE: {"mm[Hg]": (1.0, 0.0)},
    # 1 mmol/L of glucose is 18.0156 mg/dL (molar mass of glucose 180.156 g/mol).
    ReadingKind.GLUCOSE: {"mmol/L": (1.0, 0.0), "mg/dL": (1 / 18.0156, 0.0)},
}
CONSCIOUSNESS_UNITS = frozenset({"{ACVPU}", None})

# What a living patient can show, in the canonical unit; outside this a reading is a device or typing fault.
PLAUSIBLE: dict[str, tuple[float, float]] = {
    ReadingKind.HEART_RATE: (20, 300),
    ReadingKind.RESP_RATE: (2, 80),
    ReadingKind.SPO2: (50, 100),
    ReadingKind.TEMPERATURE: (25, 45),
    "systolic": (40, 300),
    "diastolic": (20, 200),
    ReadingKind.GLUCOSE: (0.5, 50),
}

# IEEE 11073-20601 special values that personal health devices send instead of a measurement: SFLOAT (12-bit
# mantissa: NaN 0x07FF = 2047, NRes 0x0800, ±INF 0x07FE/0x0802, reserved 0x0801) read signed or unsigned, and the
# same for 32-bit FLOAT (24-bit mantissa).
DEVICE_ERROR_VALUES = frozenset({
    2047, 2046, 2048, 2049, 2050, -2048, -2047, -2046,
    8388607, 8388606, 8388608, 8388609, 8388610, -8388608, -8388607, -8388606,
})

REASONS = {
    "invalid_id": _("The reading id is missing or not 1–64 letters, digits or . _ : -"),
    "unknown_kind": _("Unknown kind of reading."),
    "unknown_unit": _("Unknown unit for this kind of reading."),
    "missing_value": _("The value is missing."),
    "not_a_number": _("The value is not a number."),
    "device_error": _("The device reported an error code instead of a measurement."),
    "implausible": _("The value is outside what can be measured on a person; measure again."),
    "invalid_time": _("measured_at is missing or not an ISO 8601 date and time."),
    "time_without_offset": _("measured_at has no UTC offset (for example +08:00)."),
    "future_time": _("measured_at is in the future; check the device clock."),
    "too_old": _("measured_at is too long ago; check the device clock."),
    "invalid_on_oxygen": _("on_oxygen must be true, false or left out."),
    "not_an_object": _("Each reading must be a JSON object."),
}

_ID = re.compile(r"[A-Za-z0-9._:\-]{1,64}\Z").match

# The columns the check fills, in COPY order; device, patient and received time are constants of the batch.
_COLUMNS = ("device_reading_id", "kind", "value", "value2", "acvpu", "raw_value", "raw_value2", "raw_unit", "on_oxygen",
            "measured_at", "device_offset_minutes")


def future_tolerance() -> timedelta:
    return timedelta(seconds=getattr(settings, "TELEMONITOR_FUTURE_TOLERANCE_SECONDS", 300))


def max_age() -> timedelta:
    return timedelta(days=getattr(settings, "TELEMONITOR_MAX_READING_AGE_DAYS", 90))


@dataclass
class IngestResult:
    """Per reading, in the order sent: {"id", "status"} and, when rejected, "reason" (a code) and "detail"."""

    results: list[dict]
    accepted: int = 0
    duplicate: int = 0
    rejected: int = 0
    accepted_ids: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        return {"accepted": self.accepted, "duplicate": self.duplicate, "rejected": self.rejected, "results": self.results}


def _number(value):
    """A finite float, or a reason code."""
    if value is None:
        return "missing_value"
    if value.__class__ is bool or not isinstance(value, int | float):
        return "not_a_number"
    if value in DEVICE_ERROR_VALUES:
        return "device_error"
    value = float(value)
    if not math.isfinite(value):
        return "not_a_number"
    return value


def _canonical(raw: float, scale_offset: tuple[float, float]) -> float:
    scale, offset = scale_offset
    if scale == 1.0 and offset == 0.0:
        return raw
    # Rounded to 4 places only to drop binary noise of the conversion (98.6 °F is 37.0 °C, not 36.99999999999999),
    # far below any device's precision; clinical banding rounds half-up later (telemonitor.scoring).
    return round(raw * scale + offset, 4)


# (kind, unit) → (scale, offset, lowest, highest) of the one-value kinds, for _check_usual's single lookup.
_USUAL = {(kind, unit): (scale, offset, *PLAUSIBLE[kind])
          for kind, units in UNITS.items() if kind != ReadingKind.BLOOD_PRESSURE
          for unit, (scale, offset) in units.items()}
_NUMBER_TYPES = (int, float)


def _check_usual(row, reading_id: str, earliest: datetime, latest: datetime):
    """The common reading — one number of a known kind and unit, a time with an offset, nothing wrong — as its
    _COLUMNS tuple in one pass; None for anything else, which _check_one then checks rule by rule (and names the
    reason). Only a shortcut: what it accepts, _check_one accepts with the same values (test_ingest_check_paths_agree)."""
    kind, unit = row.get("kind"), row.get("unit")
    if kind.__class__ is not str or unit.__class__ is not str or row.get("error") not in (None, False, 0, ""):
        return None
    spec = _USUAL.get((kind, unit))
    if spec is None:
        return None
    raw = row.get("value")
    if raw.__class__ not in _NUMBER_TYPES or raw in DEVICE_ERROR_VALUES:
        return None
    raw = float(raw)
    scale, offset, low, high = spec
    value = raw if scale == 1.0 and offset == 0.0 else round(raw * scale + offset, 4)
    if not low <= value <= high:  # also False for NaN
        return None
    on_oxygen = None
    if kind == ReadingKind.SPO2:
        on_oxygen = row.get("on_oxygen")
        if on_oxygen is not None and on_oxygen.__class__ is not bool:
            return None
    text = row.get("measured_at")
    if text.__class__ is not str:
        return None
    try:
        measured = datetime.fromisoformat(text)
    except ValueError:
        return None
    utc_offset = measured.utcoffset()
    if utc_offset is None:
        return None
    measured = measured.astimezone(UTC)
    if not earliest <= measured <= latest:
        return None
    return (reading_id, kind, value, None, "", raw, None, unit, on_oxygen, measured, int(utc_offset.total_seconds() // 60))


def _check_one(row, reading_id: str, *, earliest: datetime, latest: datetime):
    """One reading as a tuple in _COLUMNS order, or a reason code (str)."""
    kind = row.get("kind")
    unit = row.get("unit")
    if row.get("error") not in (None, False, 0, ""):
        return "device_error"
    on_oxygen = None
    value2 = raw2 = None
    acvpu = ""
    if kind == ReadingKind.CONSCIOUSNESS:
        if unit not in CONSCIOUSNESS_UNITS:
            return "unknown_unit"
        letter = row.get("value")
        if letter is None:
            return "missing_value"
        if not isinstance(letter, str) or letter.upper() not in ACVPU_LEVELS:
            return "implausible"
        acvpu = letter.upper()
        value = raw = None
        unit = "{ACVPU}"
    else:
        units = UNITS.get(kind)
        if units is None:
            return "unknown_kind"
        conversion = units.get(unit)
        if conversion is None:
            return "unknown_unit"
        if kind == ReadingKind.BLOOD_PRESSURE:
            raw = _number(row.get("systolic"))
            if raw.__class__ is str:
                return raw
            raw2 = _number(row.get("diastolic"))
            if raw2.__class__ is str:
                return raw2
            value, value2 = raw, raw2
            low, high = PLAUSIBLE["systolic"]
            low2, high2 = PLAUSIBLE["diastolic"]
            if not (low <= value <= high and low2 <= value2 <= high2 and value > value2):
                return "implausible"
        else:
            raw = _number(row.get("value"))
            if raw.__class__ is str:
                return raw
            value = _canonical(raw, conversion)
            low, high = PLAUSIBLE[kind]
            if not low <= value <= high:
                return "implausible"
            if kind == ReadingKind.SPO2:
                on_oxygen = row.get("on_oxygen")
                if on_oxygen is not None and on_oxygen.__class__ is not bool:
                    return "invalid_on_oxygen"

    text = row.get("measured_at")
    if not isinstance(text, str):
        return "invalid_time"
    try:
        measured = datetime.fromisoformat(text)
    except ValueError:
        return "invalid_time"
    offset = measured.utcoffset()
    if offset is None:
        return "time_without_offset"
    measured = measured.astimezone(UTC)
    if measured > latest:
        return "future_time"
    if measured < earliest:
        return "too_old"
    return (reading_id, kind, value, value2, acvpu, raw, raw2, unit, on_oxygen, measured, int(offset.total_seconds() // 60))


def readings_check(rows: list, *, received_at: datetime) -> tuple[list[tuple], list[dict], list[int]]:
    """Check every row. Returns (good rows as _COLUMNS tuples, per-row results so far, index into results per good row).

    A row whose id was already seen earlier in the same batch is a duplicate of that one, not a second reading.
    """
    earliest, latest = received_at - max_age(), received_at + future_tolerance()
    reasons = {code: str(message) for code, message in REASONS.items()}  # translated once per batch
    good: list[tuple] = []
    positions: list[int] = []
    results: list[dict] = []
    seen: set[str] = set()
    check_usual = _check_usual
    for row in rows:
        if not isinstance(row, dict):
            results.append({"id": None, "status": REJECTED, "reason": "not_an_object", "detail": reasons["not_an_object"]})
            continue
        reading_id = row.get("id")
        if reading_id.__class__ is int:
            reading_id = str(reading_id)
        if reading_id.__class__ is not str or not _ID(reading_id):
            results.append({"id": reading_id if isinstance(reading_id, str | int) else None, "status": REJECTED,
                            "reason": "invalid_id", "detail": reasons["invalid_id"]})
            continue
        if reading_id in seen:
            results.append({"id": reading_id, "status": DUPLICATE})
            continue
        checked = check_usual(row, reading_id, earliest, latest) or _check_one(row, reading_id, earliest=earliest,
                                                                                latest=latest)
        if checked.__class__ is str:
            results.append({"id": reading_id, "status": REJECTED, "reason": checked, "detail": reasons[checked]})
            continue
        seen.add(reading_id)
        good.append(checked)
        positions.append(len(results))
        results.append({"id": reading_id, "status": ACCEPTED})
    return good, results, positions


# --- writing --------------------------------------------------------------------------------------------------------

def _copy_line(row: tuple) -> str:
    """One checked row as a line of COPY text. Ids are checked to hold no tab, newline or backslash; floats print
    exactly with repr; None is \\N. Written out by hand: this runs for every reading."""
    rid, kind, value, value2, acvpu, raw, raw2, unit, oxygen, measured, offset = row
    return (f"{rid}\t{kind}\t{_NULL if value is None else repr(value)}\t{_NULL if value2 is None else repr(value2)}\t"
            f"{acvpu}\t{_NULL if raw is None else repr(raw)}\t{_NULL if raw2 is None else repr(raw2)}\t{unit}\t"
            f"{_NULL if oxygen is None else ('t' if oxygen else 'f')}\t{measured.isoformat()}\t{offset}\n")


_NULL = "\\N"


def _write_postgres(*, device: Device, rows: list[tuple], received_at: datetime) -> set[str]:
    """Store the rows not stored yet. Returns the ids actually inserted. Runs under the device's row lock.

    readings_ingest has locked the device row (UPDATE of last_seen_at) first, so for this device nobody else inserts
    until this transaction ends, and the statements here see every batch committed before. That makes the fast path
    safe: one indexed read of which ids are stored already, then a COPY of the others straight into the table (no
    temporary table, no second pass; binary with psycopg 3). Should a row with one of these ids appear anyway (a
    writer that did not take the device lock), the unique constraint refuses the COPY, its savepoint is rolled back,
    and the batch goes the conflict-proof way (_write_postgres_merge).
    """
    # The ids as one comma-separated string, split by the server: checked ids hold no comma (_ID), and adapting a
    # Python list of 5,000 strings as an array cost more than the query (bench/README.md).
    ids = ",".join([row[0] for row in rows])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT device_reading_id FROM {_TABLE} WHERE device_id = %s "  # noqa: S608 - fixed name
                       "AND device_reading_id = ANY(string_to_array(%s, ','))", [device.pk, ids])
        existing = {row[0] for row in cursor.fetchall()}
    fresh = [row for row in rows if row[0] not in existing] if existing else rows
    if not fresh:
        return set()
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            _copy_rows(cursor, fresh, tail=(device.pk, device.patient_id, received_at, ""))
    except IntegrityError:
        return _write_postgres_merge(device=device, rows=rows, received_at=received_at)
    return {row[0] for row in fresh}


_TABLE = Reading._meta.db_table
# COPY column order: the checked columns, then the batch's constants (device, patient, received time, category).
_COPY_COLUMNS = (*_COLUMNS, "device_id", "patient_id", "received_at", "category")
# PostgreSQL types of _COPY_COLUMNS for binary COPY (exact: binary COPY does not convert int4 to int2).
_COPY_TYPES = ("varchar", "varchar", "float8", "float8", "varchar", "float8", "float8", "varchar", "bool",
               "timestamptz", "int2", "int8", "int8", "timestamptz", "varchar")


def _copy_rows(cursor, rows: list[tuple], *, tail: tuple) -> None:
    """COPY the rows (each followed by `tail`) into the reading table: binary with psycopg 3 (no text to build or
    parse; measured in bench/ingest.py), COPY text with psycopg2."""
    sql = f"COPY {_TABLE} ({', '.join(_COPY_COLUMNS)}) FROM STDIN"
    if not is_psycopg3:
        device_id, patient_id, received_at, _category = tail
        suffix = f"\t{device_id}\t{patient_id}\t{received_at.isoformat()}\t\n"
        copy_from_text(cursor, sql, "".join([_copy_line(row)[:-1] + suffix for row in rows]))
        return
    with cursor.db.wrap_database_errors, cursor.cursor.copy(sql + " (FORMAT BINARY)") as copy:
        copy.set_types(_COPY_TYPES)
        write_row = copy.write_row
        for row in rows:
            write_row(row + tail)


def _write_postgres_merge(*, device: Device, rows: list[tuple], received_at: datetime) -> set[str]:
    """COPY into a temporary table, then one INSERT ... ON CONFLICT DO NOTHING. Returns the ids actually inserted.

    Rows are inserted in device reading id order, so two transactions inserting overlapping batches take the unique
    index's locks in the same order and cannot deadlock; the later one waits, then skips what the first stored.
    """
    text = "".join([_copy_line(row) for row in rows])
    columns = ", ".join(_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS telemonitor_ingest (device_reading_id varchar(64), kind varchar(16), "
            "value double precision, value2 double precision, acvpu varchar(1), raw_value double precision, "
            "raw_value2 double precision, raw_unit varchar(16), on_oxygen boolean, measured_at timestamptz, "
            "device_offset_minutes smallint) ON COMMIT DELETE ROWS"
        )
        # Emptied here too, not only at commit: a caller's outer transaction may ingest several batches in a row.
        cursor.execute("TRUNCATE telemonitor_ingest")
        copy_from_text(cursor, f"COPY telemonitor_ingest ({columns}) FROM STDIN", text)
        cursor.execute(
            f"INSERT INTO {_TABLE} (device_id, patient_id, received_at, category, {columns}) "  # noqa: S608 - fixed names
            f"SELECT %s, %s, %s, '', {columns} FROM telemonitor_ingest ORDER BY device_reading_id "
            "ON CONFLICT (device_id, device_reading_id) DO NOTHING RETURNING device_reading_id",
            [device.pk, device.patient_id, received_at],
        )
        return {row[0] for row in cursor.fetchall()}


def _write_sqlite(*, device: Device, rows: list[tuple], received_at: datetime) -> set[str]:
    """Find the ids already stored, then INSERT OR IGNORE. SQLite transactions here are IMMEDIATE (settings), so the
    write lock is held from the start and nothing can slip in between the two statements."""
    ids = [row[0] for row in rows]
    existing: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        existing.update(Reading.objects.filter(device=device, device_reading_id__in=chunk)
                        .values_list("device_reading_id", flat=True))
    table = Reading._meta.db_table
    columns = ", ".join(_COLUMNS)
    placeholders = ", ".join(["%s"] * (len(_COLUMNS) + 4))
    fresh = [row for row in rows if row[0] not in existing]
    as_text = connection.ops.adapt_datetimefield_value  # the form Django stores and compares on SQLite
    received = as_text(received_at)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT OR IGNORE INTO {table} (device_id, patient_id, received_at, category, {columns}) "  # noqa: S608
            f"VALUES ({placeholders})",
            [(device.pk, device.patient_id, received, "", *row[:9], as_text(row[9]), row[10]) for row in fresh],
        )
    return {row[0] for row in fresh}


def readings_ingest(*, device: Device, readings: list, received_at: datetime | None = None) -> IngestResult:
    """Store `device`'s batch; answer per reading: accepted, duplicate, or rejected with the reason.

    Good readings are stored even when others in the batch are rejected. Locks the device row (its last-seen time)
    first, so batches of one device are written one after another. After commit, one scoring task for the patient.
    """
    if len(readings) > MAX_BATCH:
        raise BatchTooLarge()
    received_at = received_at or timezone.now()
    good, results, positions = readings_check(readings, received_at=received_at)
    inserted: set[str] = set()
    with transaction.atomic():
        Device.objects.filter(pk=device.pk).update(last_seen_at=received_at)
        if good:
            writer = _write_postgres if connection.vendor == "postgresql" else _write_sqlite
            inserted = writer(device=device, rows=good, received_at=received_at)
        if inserted:
            from telemonitor import tasks  # tasks import the services; imported here to keep the cycle open

            enqueue(tasks.readings_score, [device.patient_id])

    outcome = IngestResult(results=results)
    for row, position in zip(good, positions, strict=True):
        if row[0] not in inserted:
            results[position]["status"] = DUPLICATE
    for result in results:
        status = result["status"]
        if status == ACCEPTED:
            outcome.accepted += 1
        elif status == DUPLICATE:
            outcome.duplicate += 1
        else:
            outcome.rejected += 1
    outcome.accepted_ids = [row[0] for row in good if row[0] in inserted]
    return outcome
