"""Portfolio report render time at 100 and 1,000 products, beside a framework floor.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tracker_report_bench \\
        .venv/bin/python benchmarks/report_render.py [--sizes 100 1000] [--runs 9]

DATABASE_URL names a scratch database that the script creates (it refuses one
that exists), migrates, fills with tracker.demo.scale.portfolio.seed_scale (products
with their KPIs, SLAs, incidents and postmortems) and drops at the end (--keep
leaves it). At each size it renders, in-process with Django's test Client signed
in and with DEBUG off:

- the floor (benchmarks/floor_urls.py): the least a page listing these products
  can cost. The same rows (one per product) and the same number of cells (ten
  per row, one or two values each), from one plain query (no aggregates),
  written by a Django template loop inside the site's base template: the same
  template engine, page chrome, context processors and middleware as the report.
  What it leaves out is what the report is for: the figures of each product
  (KPIs, SLAs, incidents, postmortems, readiness), the charts and the attention
  list;
- /reports/portfolio/ (HTML: the team summary, the 20 most urgent products and
  one page of 50 rows of the products table, so its size does not grow with
  the portfolio), /reports/portfolio.csv and /reports/portfolio.pdf. Exports of
  more than REPORT_EXPORT_INLINE_MAX products are made by a worker; here they
  are made within the request (the setting raised), which measures the work
  the worker does.

Targets are requested in rounds, the floor first and then each target once
(the PDF in rounds of its own), so that a target and its floor meet the same
load: other work on a shared machine comes and goes. It prints, per target, the
median and the fastest wall time, the median CPU time of this process (Python's
share; the rest is waiting for PostgreSQL), the statements per request (the
report reads everything on the request's connection, in one REPEATABLE READ,
READ ONLY transaction whose isolation statement counts too) and the ratio to
the floor (the median of the rounds' ratios). Goal: the HTML report
within 3x the floor and under 500 ms at 1,000 products; the load average is
printed. --profile prints where the HTML report spends its time at the largest
size (cProfile, CPU time). Bounded: --runs rounds, and no new round after
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
FLOOR, HTML, CSV, PDF = "floor (1 query, table)", "report HTML", "CSV", "PDF"
TARGETS = {
    FLOOR: "/benchmark/floor/report/",
    HTML: "/reports/portfolio/",
    CSV: "/reports/portfolio.csv",
    PDF: "/reports/portfolio.pdf",
}
FAST = [HTML, CSV]  # measured in the same rounds; the PDF in rounds of its own


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--runs", type=int, default=9, help="rounds per size")
    parser.add_argument("--pdf-runs", type=int, default=3, help="0: no PDF")
    parser.add_argument("--seconds", type=float, default=60, help="cap per target")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure a database an earlier --keep run left, at its size (no seeding)",
    )
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


def request(client, path: str) -> tuple[float, float, int, int]:
    """One request: wall seconds, CPU seconds of this process, queries, bytes."""
    from django.db import connection

    counter = Counter()
    with connection.execute_wrapper(counter):
        start, start_cpu = time.perf_counter(), time.process_time()
        response = client.get(path)
        wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    assert response.status_code == 200, (path, response.status_code)
    return wall, cpu, counter.queries, len(response.content)


def measure(client, names: list[str], runs: int, seconds: float) -> dict[str, dict]:
    """Round robin: each round requests the floor and then every target once, so
    that a target and the floor meet the same load (other work on the machine
    comes and goes); a target's ratio is the median of its rounds' ratios."""
    for name in names:
        client.get(TARGETS[name])  # warm-up: template compilation, first imports
    samples = {name: [] for name in names}
    deadline = time.monotonic() + seconds
    for _ in range(runs):
        for name in names:
            samples[name].append(request(client, TARGETS[name]))
        if time.monotonic() > deadline:
            break
    floor = [wall for wall, *_ in samples[names[0]]]
    return {
        name: {
            "ms": statistics.median(s[0] for s in found) * 1000,
            "min_ms": min(s[0] for s in found) * 1000,
            "cpu_ms": statistics.median(s[1] for s in found) * 1000,
            "runs": len(found),
            "queries": found[-1][2],
            "bytes": found[-1][3],
            "ratio": statistics.median(
                s[0] / f for s, f in zip(found, floor, strict=True)
            ),
        }
        for name, found in samples.items()
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


def seed(count: int, size: int) -> None:
    from django.db import connection

    from tracker.demo.scale.portfolio import seed_scale

    started = time.perf_counter()
    made = seed_scale(count)
    with connection.cursor() as cursor:
        # Planner statistics, as a database in use has them (autovacuum would
        # gather them a little later).
        cursor.execute("VACUUM ANALYZE")
    print(
        f"seeded up to {size} products in "
        f"{time.perf_counter() - started:.0f} s (this step: "
        + ", ".join(f"{n:,} {kind}" for kind, n in made.items())
        + ")"
    )


def run(args: argparse.Namespace) -> list[dict]:
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import override_settings

    from tracker.accounts.models import User

    settings.ROOT_URLCONF = "benchmarks.floor_urls"
    call_command("migrate", verbosity=0)
    if args.reuse:
        from tracker.products.models import Product

        args.sizes = [Product.objects.count()]
        user = User.objects.get(username="benchmark")
    else:
        user = User.objects.create_user("benchmark", password=secrets.token_hex(8))
    client = Client()
    client.force_login(user)
    results, seeded = [], 0
    # No collected static files here: serve {% static %} without the manifest.
    static = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    with override_settings(
        STORAGES={**settings.STORAGES, "staticfiles": static},
        REPORT_EXPORT_INLINE_MAX=10**9,  # every export within the request
    ):
        for size in sorted(args.sizes):
            if not args.reuse:
                seed(size - seeded, size)
                seeded = size
            found = measure(client, [FLOOR, *FAST], args.runs, args.seconds)
            if args.pdf_runs:
                slow = measure(client, [FLOOR, PDF], args.pdf_runs, args.seconds)
                found[PDF] = slow[PDF]
            for name, figures in found.items():
                results.append({"size": size, "target": name, **figures})
        if args.profile:
            profile(client, TARGETS[HTML])
    return results


def report(results: list[dict], load: tuple, args) -> None:
    print(
        f"\nIn-process (Django test Client, signed in, DEBUG off), PostgreSQL; "
        f"up to {args.runs} rounds ({args.pdf_runs} for the PDF) after a "
        f"warm-up. Load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
        "after: {:.2f} {:.2f} {:.2f}\n".format(*os.getloadavg())
    )
    print(
        f"{'products':>8}  {'target':<24}{'median ms':>10}{'min ms':>9}"
        f"{'CPU ms':>9}{'runs':>6}{'queries':>9}{'KiB':>7}{'x floor':>9}"
    )
    for r in results:
        print(
            f"{r['size']:>8}  {r['target']:<24}{r['ms']:>10.1f}{r['min_ms']:>9.1f}"
            f"{r['cpu_ms']:>9.1f}{r['runs']:>6}{r['queries']:>9}"
            f"{r['bytes'] / 1024:>7.0f}{r['ratio']:>9.1f}"
        )
    largest = max(args.sizes)
    html = next(r for r in results if r["size"] == largest and r["target"] == HTML)
    print(
        f"\nHTML at {largest} products: {html['ms']:.0f} ms, {html['ratio']:.1f}x "
        f"the floor (goal: within 3x: {'met' if html['ratio'] <= 3 else 'MISSED'}; "
        f"under 500 ms: {'met' if html['ms'] < 500 else 'MISSED'})"
    )


def main() -> None:
    args = parse_args()
    url = scratch_url("tracker_report_bench")
    os.environ.update(ENV)
    # Whitenoise warns that no static files were collected: none are served here.
    warnings.filterwarnings("ignore", message="No directory at")
    load = os.getloadavg()
    if not args.reuse:
        create_database(url)
    try:
        import django

        django.setup()
        results = run(args)
    finally:
        if not (args.keep or args.reuse):
            drop_database(url)
    report(results, load, args)


if __name__ == "__main__":
    main()
