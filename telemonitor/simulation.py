"""Realistic home readings for demos and benchmarks (``python manage.py simulate_devices``).

Each simulated patient wears a multi-parameter device that sends, every minute, heart rate, SpO2 (on air) and
respiration rate; every 15 minutes temperature and blood pressure; every hour glucose (in mg/dL on odd patients, to
exercise the conversion) and an ACVPU check. A deteriorating patient drifts, over the simulated span, from normal
values to a NEWS2 of 7 or more (fast breathing, low SpO2, fast pulse, low pressure, fever, new confusion at the end).
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

SHANGHAI = dt_timezone(timedelta(hours=8))

# (start, end) of each parameter for a deteriorating patient; a stable one keeps near the start.
DRIFT = {
    "heart_rate": (76, 134),
    "spo2": (97, 89),
    "resp_rate": (15, 27),
    "temperature": (36.8, 39.4),
    "systolic": (128, 88),
    "diastolic": (80, 55),
    "glucose": (6.2, 13.5),
}


@dataclass
class SimulatedPatient:
    key: str  # stable per patient: the device's reading ids start with it
    deteriorating: bool
    seed: int

    def readings(self, *, start: datetime, minutes: int, first_minute: int = 0, span: int | None = None) -> list[dict]:
        """Readings for minutes [first_minute, first_minute + minutes) of a run of `span` minutes starting at `start`."""
        rng = random.Random(f"{self.seed}-{first_minute}")
        span = span or minutes
        rows: list[dict] = []
        for minute in range(first_minute, first_minute + minutes):
            progress = minute / max(span - 1, 1) if self.deteriorating else 0.0
            rows.extend(self._minute(rng, minute, progress, start + timedelta(minutes=minute)))
        return rows

    def _minute(self, rng: random.Random, minute: int, progress: float, moment: datetime) -> list[dict]:
        at = moment.astimezone(SHANGHAI).isoformat(timespec="seconds")
        rows: list[dict] = []

        def value(name: str, spread: float) -> float:
            begin, end = DRIFT[name]
            return begin + (end - begin) * progress + rng.gauss(0, spread)

        def add(kind: str, **fields) -> None:
            rows.append({"id": f"{self.key}-{minute}-{kind}", "kind": kind, "measured_at": at, **fields})

        add("heart_rate", value=round(value("heart_rate", 2)), unit="/min")
        add("spo2", value=min(100, round(value("spo2", 0.6))), unit="%", on_oxygen=False)
        add("resp_rate", value=max(4, round(value("resp_rate", 0.8))), unit="/min")
        if minute % 15 == 0:
            add("temperature", value=round(value("temperature", 0.1), 1), unit="Cel")
            systolic = round(value("systolic", 3))
            add("blood_pressure", systolic=systolic, diastolic=min(systolic - 20, round(value("diastolic", 2))),
                unit="mm[Hg]")
        if minute % 60 == 0:
            glucose = value("glucose", 0.3)
            if self.seed % 2:
                add("glucose", value=round(glucose * 18.0156), unit="mg/dL")
            else:
                add("glucose", value=round(glucose, 1), unit="mmol/L")
            add("consciousness", value="C" if progress > 0.9 else "A", unit="{ACVPU}")
        return rows
