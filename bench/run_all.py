"""Run every benchmark in bench/ and print a table of their headline figures (`make bench`).

    python bench/run_all.py [--only booking scoring] [--timeout 900]

Each bench/*.py except this file and helpers whose names start with "_" runs in its own process, one after
the other (they would compete for the same cores), with its output shown as it comes. A benchmark reports
its headline figures on lines of the form

    figure: <name> = <value> [unit] (baseline <name> = <value> [unit])

and those lines become the table. A benchmark that fails, times out or prints no figure is listed as such,
and the exit status is then 1.
"""

import argparse
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIGURE = re.compile(r"^figure:\s*(?P<name>\S+)\s*=\s*(?P<value>.+?)"
                    r"(?:\s*\(baseline\s+(?P<baseline_name>\S+)\s*=\s*(?P<baseline>[^)]*)\))?\s*$")


def benchmarks(only: list[str] | None) -> list[Path]:
    found = sorted(p for p in HERE.glob("*.py") if p.name != Path(__file__).name and not p.name.startswith("_"))
    if only:
        found = [p for p in found if p.stem in only]
    return found


def run(path: Path, timeout: int) -> tuple[int | str, list[dict], float]:
    """Run one benchmark, echoing its output; return its status, its figures and how long it took."""
    started = time.monotonic()
    figures = []
    process = subprocess.Popen([sys.executable, str(path)], cwd=HERE.parent, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, bufsize=1)
    # SIGTERM first, so a benchmark can stop its servers and drop its database; SIGKILL if it does not.
    stopper = threading.Timer(timeout, process.terminate)
    killer = threading.Timer(timeout + 60, process.kill)
    stopper.start()
    killer.start()
    try:
        for line in process.stdout:
            print(f"  {line}", end="", flush=True)
            match = FIGURE.match(line.strip())
            if match:
                figures.append(match.groupdict())
        status: int | str = process.wait()
    finally:
        stopper.cancel()
        killer.cancel()
    if time.monotonic() - started >= timeout:
        status = "timeout"
    return status, figures, time.monotonic() - started


def table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="benchmark names to run (file names without .py)")
    parser.add_argument("--timeout", type=int, default=900, help="seconds allowed per benchmark (default 900)")
    args = parser.parse_args()

    rows = [["benchmark", "figure", "value", "baseline (same run)", "status"]]
    failed = False
    for path in benchmarks(args.only):
        print(f"== {path.name}", flush=True)
        status, figures, seconds = run(path, args.timeout)
        ok = status == 0 and figures
        failed |= not ok
        state = "ok" if ok else ("no figures" if status == 0 else f"failed ({status})")
        print(f"== {path.name}: {state} in {seconds:.0f} s\n", flush=True)
        for figure in figures or [{"name": "-", "value": "-", "baseline_name": None, "baseline": None}]:
            baseline = f"{figure['baseline_name']} = {figure['baseline']}" if figure["baseline_name"] else ""
            rows.append([path.stem, figure["name"], figure["value"], baseline, state])
    print(table(rows))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
