"""Faults and load, at a larger scale than CI runs them: prints the request
rate held with zero errors, and each fault scenario's outcome counts.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tracker \\
    REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python benchmarks/faults_and_load.py --requests 5000

Runs the fault and load tests (tests/faults/) with bigger sizes through
pytest, which creates its own test database beside DATABASE_URL's and starts
gunicorn and Celery workers on 127.0.0.1; nothing leaves the machine. The
tests assert the outcomes (a failure is reported and the exit status is 1);
this script prints them:

- load: CI statuses and alert deliveries posted concurrently to gunicorn
  (2 workers × 4 threads), requests per second over the whole run, and the
  status codes (any non-2xx is an error);
- postgresql down: writes refused with 503 during the outage, sent again
  after it;
- redis down while alerts arrive: deliveries stored, incidents announced
  once the broker is back;
- celery worker killed mid-task: the redelivered sweep's mail.

A figure-printing script, not a test: run it by hand on a quiet machine.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COUNTS = ["sent", "stored", "duplicated", "lost"]
PYTEST_OPTIONS = ["-p", "no:cacheprovider", "-p", "no:xdist", "--durations=0"]


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=5000, help="load requests")
    parser.add_argument("--seconds", type=int, default=120, help="load time limit")
    parser.add_argument("--clients", type=int, default=16, help="client threads")
    parser.add_argument("--writes", type=int, default=100, help="per kind, DB down")
    parser.add_argument("--alerts", type=int, default=300, help="Redis down")
    parser.add_argument("--incidents", type=int, default=50, help="worker killed")
    return parser.parse_args()


def _environment(args: argparse.Namespace, report: str) -> dict[str, str]:
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres", "pgsql")):
        sys.exit("Set DATABASE_URL to PostgreSQL (a test_… database is created).")
    if not os.environ.get("REDIS_URL"):
        sys.exit("Set REDIS_URL to a Redis database (keys are cleaned up after).")
    return {
        **os.environ,
        "CI": "true",  # a missing service fails rather than skips
        "FAULTS_REPORT": report,
        "FAULTS_LOAD_REQUESTS": str(args.requests),
        "FAULTS_LOAD_SECONDS": str(args.seconds),
        "FAULTS_LOAD_CLIENTS": str(args.clients),
        "FAULTS_DATABASE_DOWN_WRITES": str(args.writes),
        "FAULTS_BROKER_DOWN_ALERTS": str(args.alerts),
        "FAULTS_WORKER_KILLED_INCIDENTS": str(args.incidents),
    }


def _print(rows: list[dict]) -> None:
    for row in rows:
        if row["scenario"] == "load":
            errors = sum(n for code, n in row["statuses"].items() if code[0] != "2")
            print(
                f"load: {row['requests']} requests in {row['seconds']} s = "
                f"{row['per_second']} req/s held, {errors} errors "
                f"(status codes {row['statuses']})"
            )
    print(f"\n{'scenario':<34}" + "".join(f"{c:>11}" for c in COUNTS) + "   other")
    for row in rows:
        if row["scenario"] == "load":
            continue
        other = {k: v for k, v in row.items() if k not in [*COUNTS, "scenario"]}
        print(
            f"{row['scenario']:<34}"
            + "".join(f"{row.get(c, '-'):>11}" for c in COUNTS)
            + f"   {other}"
        )


def main() -> int:
    args = _args()
    with tempfile.TemporaryDirectory() as tmp:
        report = str(Path(tmp) / "outcomes.jsonl")
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "tests/faults", "-q", *PYTEST_OPTIONS],
            cwd=ROOT,
            env=_environment(args, report),
            check=False,
        )
        rows = []
        if os.path.exists(report):
            rows = [json.loads(line) for line in Path(report).read_text().splitlines()]
    print()
    _print(rows)
    print("\nall checks passed" if result.returncode == 0 else "\nSOME CHECKS FAILED")
    return 0 if result.returncode == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
