"""NEWS2 scoring throughput: score_news2_frame() beside a bare numpy banding pass and beside news2() row by row.

    python bench/scoring.py [--rows 10000000] [--scalar-rows 100000] [--repeat 3]

Baselines are measured in the same run over the same data:
* bare numpy: the five numeric columns banded by the printed chart edges and summed, nothing else (no rounding, no
  missing values, no validation, no ACVPU or oxygen, no risk), written three ways: np.select (the issue's example),
  comparisons indexing a points table, and comparisons adding each band's step (score_news2_frame's own technique,
  the fastest). The frame's time is reported against np.select and against the fastest of the three.
* typed: the same frame with consciousness as a categorical and on_oxygen as a nullable boolean instead of Python
  objects, to show what the two object columns cost.
* scalar: news2() called once per row over --scalar-rows rows (arguments prepared beforehand, not timed).
Targets (issue 7): frame time at most 2x the bare pass; at least 20x faster per row than the scalar function.
Each timing is the best of --repeat runs. The last lines are `figure: ...` lines read by bench/run_all.py.
"""

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from telemonitor.scoring import news2, score_news2_frame

MISSING_SHARE = 0.02  # each measured column: share of rows with nothing measured

# Printed chart-1 bands for the bare pass: (upper bounds of all bands but the last, points per band).
BARE_BANDS = {
    "resp_rate": ((8, 11, 20, 24), (3, 1, 0, 2, 3)),
    "spo2": ((91, 93, 95), (3, 2, 1, 0)),
    "systolic_bp": ((90, 100, 110, 219), (3, 2, 1, 0, 3)),
    "pulse": ((40, 50, 90, 110, 130), (3, 1, 0, 1, 2, 3)),
    "temperature": ((35.0, 36.0, 38.0, 39.0), (3, 1, 0, 1, 2)),
}


def make_frame(rows: int, seed: int) -> pd.DataFrame:
    """Home-monitoring-like observations: mostly well, a tail getting worse, some values missing."""
    rng = np.random.default_rng(seed)

    def measured(values: np.ndarray) -> np.ndarray:
        values[rng.random(rows) < MISSING_SHARE] = np.nan
        return values

    oxygen = np.array([False, True, None], dtype=object)[rng.choice(3, size=rows, p=[0.9, 0.05, 0.05])]
    letters = np.array(["A", "a", "C", "V", "P", "U", None], dtype=object)
    consciousness = letters[rng.choice(len(letters), size=rows, p=[0.91, 0.02, 0.02, 0.01, 0.005, 0.005, 0.03])]
    return pd.DataFrame(
        {
            "resp_rate": measured(np.round(rng.normal(17, 4, rows))),
            "spo2": measured(np.clip(np.round(rng.normal(96, 2.5, rows)), 70, 100)),
            "spo2_scale": rng.choice(np.array([np.nan, 1.0, 2.0]), size=rows, p=[0.95, 0.03, 0.02]),
            "on_oxygen": pd.Series(oxygen, dtype=object),
            "systolic_bp": measured(np.round(rng.normal(130, 20, rows))),
            "pulse": measured(np.round(rng.normal(78, 15, rows))),
            "consciousness": pd.Series(consciousness, dtype="str"),
            "temperature": measured(np.round(rng.normal(36.8, 0.6, rows), 1)),
        }
    )


def bare_select(columns: dict[str, np.ndarray]) -> np.ndarray:
    total = np.zeros(len(next(iter(columns.values()))), dtype=np.int8)
    for name, (bounds, points) in BARE_BANDS.items():
        x = columns[name]
        total += np.select([x <= bound for bound in bounds], points[:-1], points[-1]).astype(np.int8)
    return total


def bare_compare(columns: dict[str, np.ndarray]) -> np.ndarray:
    total = np.zeros(len(next(iter(columns.values()))), dtype=np.int8)
    for name, (bounds, points) in BARE_BANDS.items():
        x = columns[name]
        index = np.zeros(x.shape, dtype=np.int8)
        for bound in bounds:
            index += x > bound
        total += np.asarray(points, dtype=np.int8)[index]
    return total


def bare_steps(columns: dict[str, np.ndarray]) -> np.ndarray:
    total = np.zeros(len(next(iter(columns.values()))), dtype=np.int8)
    for name, (bounds, points) in BARE_BANDS.items():
        x = columns[name]
        total += np.int8(points[0])
        for bound, step in zip(bounds, np.diff(points), strict=True):
            total += (x > bound).view(np.int8) * np.int8(step)
    return total


def best_of(repeat: int, run) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows for the frame and bare passes")
    parser.add_argument("--scalar-rows", type=int, default=100_000, help="rows for the scalar news2() loop")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per measurement; the best is kept")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    started = time.perf_counter()
    frame = make_frame(args.rows, args.seed)
    print(f"data: {args.rows:,} rows generated in {time.perf_counter() - started:.1f} s")
    columns = {name: frame[name].to_numpy() for name in BARE_BANDS}

    scored = score_news2_frame(frame)  # warm-up, and a look at what came out
    shares = scored["news2_risk"].value_counts(normalize=True).sort_index()
    print("risk mix: " + ", ".join(f"{risk} {share:.1%}" for risk, share in shares.items()))
    del scored

    typed = frame.assign(consciousness=frame["consciousness"].astype("category"), on_oxygen=frame["on_oxygen"].astype("boolean"))
    frame_s = best_of(args.repeat, lambda: score_news2_frame(frame))
    typed_s = best_of(args.repeat, lambda: score_news2_frame(typed))
    bare = {
        "np.select": best_of(args.repeat, lambda: bare_select(columns)),
        "comparisons + table": best_of(args.repeat, lambda: bare_compare(columns)),
        "comparisons + steps": best_of(args.repeat, lambda: bare_steps(columns)),
    }
    select_s = bare["np.select"]
    fastest_s = min(bare.values())
    # The variants must compute the same thing (where nothing is missing: bare passes ignore NaN), or nothing is compared.
    measured = ~np.logical_or.reduce([np.isnan(x) for x in columns.values()])
    steps = bare_steps(columns)[measured]
    assert (bare_select(columns)[measured] == steps).all() and (bare_compare(columns)[measured] == steps).all()
    assert score_news2_frame(typed)["news2_total"].equals(score_news2_frame(frame)["news2_total"])

    scalar_rows = min(args.scalar_rows, args.rows)
    arguments = frame.iloc[:scalar_rows].to_dict("records")
    scalar_s = best_of(args.repeat, lambda: [news2(**row) for row in arguments])

    frame_rate = args.rows / frame_s
    scalar_rate = scalar_rows / scalar_s
    speedup = frame_rate / scalar_rate
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def line(label: str, rows: int, seconds: float) -> None:
        print(f"{label:34s} {rows:>12,} rows  {seconds:7.3f} s  {rows / seconds:>14,.0f} rows/s")

    line("score_news2_frame (object columns)", args.rows, frame_s)
    line("score_news2_frame (typed columns)", args.rows, typed_s)
    for label, seconds in bare.items():
        line(f"bare numpy, {label}", args.rows, seconds)
    line("scalar news2(), one call per row", scalar_rows, scalar_s)
    print(f"frame / bare np.select = {frame_s / select_s:.2f}x (target <= 2x)")
    print(f"frame / fastest bare pass = {frame_s / fastest_s:.2f}x; typed frame / fastest bare pass = {typed_s / fastest_s:.2f}x")
    print(f"frame per row vs scalar = {speedup:.0f}x faster (target >= 20x)")
    print(f"peak memory: {peak_mb:,.0f} MB")
    print(f"figure: news2_frame_rate = {frame_rate:.0f} rows/s (baseline bare_select_rate = {args.rows / select_s:.0f})")
    print(f"figure: news2_frame_over_bare_select = {frame_s / select_s:.2f} x (baseline bare_select_s = {select_s:.3f})")
    print(f"figure: news2_frame_over_fastest_bare = {frame_s / fastest_s:.2f} x (baseline fastest_bare_s = {fastest_s:.3f})")
    print(
        f"figure: news2_typed_frame_over_fastest_bare = {typed_s / fastest_s:.2f} x (baseline fastest_bare_s = {fastest_s:.3f})"
    )
    print(f"figure: news2_frame_speedup_over_scalar = {speedup:.1f} x (baseline scalar_rate = {scalar_rate:.0f})")


if __name__ == "__main__":
    main()
