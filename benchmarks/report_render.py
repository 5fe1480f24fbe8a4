"""Portfolio report render time at 100 and 1,000 products, beside a framework floor.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tracker_report_bench \\
        .venv/bin/python benchmarks/report_render.py [--sizes 100 1000] [--runs 5]

DATABASE_URL names a scratch database that the script creates (it refuses one
that exists), migrates, fills with tracker.reports.scale.seed_scale and drops at
the end (--keep leaves it). At each size it renders, in-process with Django's
test Client signed in and with DEBUG off:

- the floor: the same products from one plain query in a simple template table
  (benchmarks/floor_urls.py, through the same middleware);
- /reports/portfolio/ (HTML), /reports/portfolio.csv and /reports/portfolio.pdf.

It prints the median time of the runs, the queries per request and the ratio to
the floor. Goal: the HTML report within 3x the floor and under 500 ms at 1,000
products. --profile prints where the HTML report spends its time at the largest
size (cProfile). Bounded: --runs per target, and no target runs again after
--seconds.
"""

import argparse
import cProfile
import os
import pstats
import secrets
import statistics
import sys
import time
import warnings
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# As in production (DEBUG off: cached templates, no query log), on plain HTTP.
ENV = {
    "DJANGO_SETTINGS_MODULE": "tracker.settings",
    "DEBUG": "false",
    "SECRET_KEY": "benchmark-only-" + secrets.token_hex(16),
    "ALLOWED_HOSTS": "testserver",
    "SECURE_SSL_REDIRECT": "false",
    "LOG_LEVEL": "WARNING",
}
TARGETS = {
    "floor (1 query, table)": "/benchmark/floor/report/",
    "report HTML": "/reports/portfolio/",
    "report CSV": "/reports/portfolio.csv",
    "report PDF": "/reports/portfolio.pdf",
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--runs", type=int, default=5, help="per target and size")
    parser.add_argument("--pdf-runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=60, help="cap per target")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    return parser.parse_args()


# --- The scratch database ------------------------------------------------------------


def scratch_url(example: str) -> str:
    """DATABASE_URL, which must name a PostgreSQL database for the script to
    create (`example`: a name to suggest)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit(
            "Set DATABASE_URL to a scratch PostgreSQL database for the script to "
            f"create, e.g. postgres://postgres@127.0.0.1:5432/{example}"
        )
    return url


def _admin_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts._replace(path="/postgres").geturl(), parts.path.lstrip("/")


def create_database(url: str) -> None:
    import psycopg

    admin, name = _admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if found.fetchone():
            raise SystemExit(
                f"Database {name} exists; this benchmark creates its own. "
                f"Drop it (dropdb {name}) or name another in DATABASE_URL."
            )
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(url: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    admin, name = _admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


# --- Measuring ---------------------------------------------------------------------


class Counter:
    """Counts the statements a request sends, without keeping their text."""

    def __init__(self) -> None:
        self.queries = 0

    def __call__(self, execute, sql, params, many, context):
        self.queries += 1
        return execute(sql, params, many, context)


def measure(client, path: str, runs: int, seconds: float) -> dict:
    from django.db import connection

    client.get(path)  # warm-up: template compilation, first-use imports
    times, queries, deadline = [], 0, time.monotonic() + seconds
    for _ in range(runs):
        counter = Counter()
        with connection.execute_wrapper(counter):
            start = time.perf_counter()
            response = client.get(path)
            times.append(time.perf_counter() - start)
        assert response.status_code == 200, (path, response.status_code)
        queries = counter.queries
        if time.monotonic() > deadline:
            break
    return {
        "ms": statistics.median(times) * 1000,
        "runs": len(times),
        "queries": queries,
        "bytes": len(response.content),
    }


def profile(client, path: str, limit: int = 25) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    client.get(path)
    profiler.disable()
    stats = pstats.Stats(profiler).strip_dirs().sort_stats("cumulative")
    print(f"\nProfile of {path} (cumulative, top {limit}):")
    stats.print_stats(limit)
    stats.sort_stats("tottime").print_stats(limit)


def run(args: argparse.Namespace) -> list[dict]:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings

    from tracker.accounts.models import User
    from tracker.reports.scale import seed_scale

    settings.ROOT_URLCONF = "benchmarks.floor_urls"
    call_command("migrate", verbosity=0)
    user = User.objects.create_user("benchmark", password=secrets.token_hex(8))
    client = Client()
    client.force_login(user)
    results, seeded = [], 0
    # No collected static files here: serve {% static %} without the manifest.
    static = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    with override_settings(STORAGES={**settings.STORAGES, "staticfiles": static}):
        for size in sorted(args.sizes):
            started = time.perf_counter()
            seed_scale(size - seeded)
            seeded = size
            with connection.cursor() as cursor:
                # Planner statistics, as a database in use has them (autovacuum
                # would gather them a little later).
                cursor.execute("VACUUM ANALYZE")
            print(f"seeded {size} products in {time.perf_counter() - started:.0f} s")
            for name, path in TARGETS.items():
                runs = args.pdf_runs if path.endswith(".pdf") else args.runs
                found = measure(client, path, runs, args.seconds)
                results.append({"size": size, "target": name, **found})
        if args.profile:
            profile(client, TARGETS["report HTML"])
    return results


def report(results: list[dict], load: tuple, args) -> None:
    print(
        f"\nIn-process (Django test Client, signed in, DEBUG off), PostgreSQL; "
        f"median of up to {args.runs} runs ({args.pdf_runs} for the PDF) after a "
        f"warm-up. Load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
        "after: {:.2f} {:.2f} {:.2f}\n".format(*os.getloadavg())
    )
    print(
        f"{'products':>8}  {'target':<24}{'median ms':>10}{'runs':>6}{'queries':>9}"
        f"{'KiB':>8}{'x floor':>9}"
    )
    floors = {r["size"]: r["ms"] for r in results if r["target"].startswith("floor")}
    for r in results:
        print(
            f"{r['size']:>8}  {r['target']:<24}{r['ms']:>10.1f}{r['runs']:>6}"
            f"{r['queries']:>9}{r['bytes'] / 1024:>8.0f}"
            f"{r['ms'] / floors[r['size']]:>9.1f}"
        )
    largest = max(args.sizes)
    html = next(
        r for r in results if r["size"] == largest and r["target"] == "report HTML"
    )
    ratio = html["ms"] / floors[largest]
    print(
        f"\nHTML at {largest} products: {html['ms']:.0f} ms, {ratio:.1f}x the floor "
        f"(goal: within 3x: {'met' if ratio <= 3 else 'MISSED'}; under 500 ms: "
        f"{'met' if html['ms'] < 500 else 'MISSED'})"
    )


def main() -> None:
    args = parse_args()
    url = scratch_url("tracker_report_bench")
    os.environ.update(ENV)
    # Whitenoise warns that no static files were collected: none are served here.
    warnings.filterwarnings("ignore", message="No directory at")
    load = os.getloadavg()
    create_database(url)
    try:
        import django

        django.setup()
        results = run(args)
    finally:
        if not args.keep:
            drop_database(url)
    report(results, load, args)


if __name__ == "__main__":
    main()
