"""Portfolio report render time at 100 and 1,000 products, beside a framework floor.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tracker_report_bench \\
        .venv/bin/python benchmarks/report_render.py [--sizes 100 1000] [--runs 5]

DATABASE_URL names a scratch database that the script creates (it refuses one
that exists), migrates, fills with tracker.reports.scale.seed_scale (products
with their KPIs, SLAs, incidents and postmortems) and drops at the end (--keep
leaves it). At each size it renders, in-process with Django's test Client signed
in and with DEBUG off, after the garbage collector's freeze that the WSGI entry
point (tracker/wsgi.py) makes at start-up:

- the floor (benchmarks/floor_urls.py): the least a page listing these products
  can cost. The same rows (one per product) and the same number of cells (ten
  per row, one or two values each), from one plain query (no aggregates),
  written by a Django template loop inside the site's base template: the same
  template engine, page chrome, context processors and middleware as the report.
  What it leaves out is what the report is for: the figures of each product
  (KPIs, SLAs, incidents, postmortems, readiness), the charts and the attention
  list;
- /reports/portfolio/ (HTML), /reports/portfolio.csv and /reports/portfolio.pdf.

It prints, per target, the median and the fastest of the runs (wall time), the
median CPU time of this process (Python's share; the rest is waiting for
PostgreSQL), the queries per request and the ratio to the floor. Goal: the HTML
report within 3x the floor and under 500 ms at 1,000 products. On a shared
machine the ratio and the CPU times are steadier than the wall times; the load
average is printed. --profile prints where the HTML report spends its time at
the largest size (cProfile, CPU time). Bounded: --runs per target, and no target
runs again after --seconds.
"""

import argparse
import cProfile
import gc
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
    times, cpu, queries, deadline = [], [], 0, time.monotonic() + seconds
    for _ in range(runs):
        counter = Counter()
        with connection.execute_wrapper(counter):
            start, start_cpu = time.perf_counter(), time.process_time()
            response = client.get(path)
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        assert response.status_code == 200, (path, response.status_code)
        queries = counter.queries
        if time.monotonic() > deadline:
            break
    return {
        "ms": statistics.median(times) * 1000,
        "min_ms": min(times) * 1000,
        "cpu_ms": statistics.median(cpu) * 1000,
        "runs": len(times),
        "queries": queries,
        "bytes": len(response.content),
    }


def profile(client, path: str, limit: int = 25) -> None:
    profiler = cProfile.Profile(time.process_time)  # CPU: steady on a busy machine
    profiler.enable()
    client.get(path)
    profiler.disable()
    stats = pstats.Stats(profiler).strip_dirs().sort_stats("cumulative")
    print(f"\nProfile of {path} (CPU time, cumulative, top {limit}):")
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
            made = seed_scale(size - seeded)
            seeded = size
            with connection.cursor() as cursor:
                # Planner statistics, as a database in use has them (autovacuum
                # would gather them a little later).
                cursor.execute("VACUUM ANALYZE")
            print(
                f"seeded up to {size} products in "
                f"{time.perf_counter() - started:.0f} s (this step: "
                + ", ".join(f"{n:,} {kind}" for kind, n in made.items())
                + ")"
            )
            # As tracker/wsgi.py does once the site is loaded.
            gc.collect()
            gc.freeze()
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
        f"up to {args.runs} runs ({args.pdf_runs} for the PDF) after a warm-up. "
        f"Load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
        "after: {:.2f} {:.2f} {:.2f}\n".format(*os.getloadavg())
    )
    print(
        f"{'products':>8}  {'target':<24}{'median ms':>10}{'min ms':>9}"
        f"{'CPU ms':>9}{'runs':>6}{'queries':>9}{'KiB':>7}{'x floor':>9}"
        f"{'(min)':>7}"
    )
    floors = {r["size"]: r for r in results if r["target"].startswith("floor")}
    for r in results:
        floor = floors[r["size"]]
        print(
            f"{r['size']:>8}  {r['target']:<24}{r['ms']:>10.1f}{r['min_ms']:>9.1f}"
            f"{r['cpu_ms']:>9.1f}{r['runs']:>6}{r['queries']:>9}"
            f"{r['bytes'] / 1024:>7.0f}{r['ms'] / floor['ms']:>9.1f}"
            f"{r['min_ms'] / floor['min_ms']:>7.1f}"
        )
    largest = max(args.sizes)
    html = next(
        r for r in results if r["size"] == largest and r["target"] == "report HTML"
    )
    ratio = html["ms"] / floors[largest]["ms"]
    print(
        f"\nHTML at {largest} products: {html['ms']:.0f} ms, {ratio:.1f}x the floor "
        f"(goal: within 3x: {'met' if ratio <= 3 else 'MISSED'}; under 500 ms: "
        f"{'met' if html['ms'] < 500 else 'MISSED'})"
    )


def main() -> None:
    args = parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit(
            "Set DATABASE_URL to a scratch PostgreSQL database for the script to "
            "create, e.g. postgres://postgres@127.0.0.1:5432/tracker_report_bench"
        )
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
