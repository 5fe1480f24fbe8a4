"""Every page kind and the API's main lists at 1,000 and 10,000 products, beside
the framework floor page.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tracker_pages_bench \\
        .venv/bin/python benchmarks/pages.py [--sizes 1000 10000] [--runs 40]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tracker_big \\
        .venv/bin/python benchmarks/pages.py --reuse --save big.json
    .venv/bin/python benchmarks/pages.py --compare small.json big.json

DATABASE_URL names a scratch database that the script creates (it refuses one
that exists), migrates, fills with `seed_demo --scale` (tracker.demo.scale) up
to each size in turn and drops at the end (--keep leaves it). --reuse measures
a database filled earlier (`manage.py seed_demo --scale N`) at its size instead.
Before measuring, the reminder sweep records what is due (so that people have
notifications, as in production) if it never ran, the portfolio's standings are
computed if some product has none (beat's refresh), and the planner's statistics
are gathered (VACUUM ANALYZE).

In-process: Django's test Client, signed in as a member of the first generated
product's team (one of its owners, not staff), DEBUG off, on PostgreSQL. In
process rather than against a running server because what is measured is the
server's own time per request (the view, its queries and the template, through
the site's middleware), without the HTTP client and network in between, and
because the statement count needs the request's connection: both are what a
server would add the same for every page. The pages (tracker/demo/scale/pages.py)
are the same objects at every size: the first generated product, its incident
and postmortem. A page the site does not serve yet is printed as absent.

Requests go in rounds (each round: the floor, then every page once), so that a
page and the floor meet the same load on a shared machine. Per page it prints
the median and p95 wall time, the statements per request, the size of the
answer, the ratio of its p95 to the floor's and how many full garbage
collections ran during its requests ("gc": one walks every object the site
has loaded, so a p95 far above the median with a gc of 2 or more is the
collector, not the page; in the same order every round, a collection that
comes every so many rounds tends to land on the same page). Goal: p95 within
3x the floor and under 150 ms at 10,000 products, the statement counts equal
at every size.
--profile NAME prints where one page spends its time (cProfile, CPU).
"""

import argparse
import gc
import json
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.report_render import (  # noqa: E402
    ENV,
    Counter,
    create_database,
    drop_database,
    profile,
    scratch_url,
)

FLOOR = "floor: 1 query, 25 rows"
FLOOR_URL = "/benchmark/floor/page/"
GOAL_RATIO, GOAL_MS = 3, 150


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    # A p95 of n requests is the request n/20 from the slowest: 40 rounds let
    # two slow ones (a full garbage collection lands on one request in about
    # seventy) fall outside it, as they would in production's thousands.
    parser.add_argument("--runs", type=int, default=40, help="rounds per size")
    parser.add_argument("--seconds", type=float, default=600, help="cap per size")
    parser.add_argument("--profile", metavar="PAGE", help="a page kind to profile")
    parser.add_argument(
        "--pages",
        nargs="+",
        metavar="PAGE",
        help="measure only these page kinds (e.g. 'incident list' 'API incidents')",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument(
        "--reuse", action="store_true", help="measure DATABASE_URL as it is"
    )
    parser.add_argument("--save", type=Path, help="write the results as JSON")
    parser.add_argument(
        "--compare",
        type=Path,
        nargs="+",
        help="print saved results side by side, measure nothing",
    )
    return parser.parse_args()


# --- Measuring ---------------------------------------------------------------------


class FullCollections:
    """Counts the collector's full (oldest generation) collections, as
    `gc.callbacks` reports them: observed, never triggered or tuned."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "stop" and info["generation"] == 2:
            self.count += 1


FULL = FullCollections()


def request(client, path: str) -> tuple[float, int, int, int]:
    """One request: wall seconds, statements, bytes, full garbage collections
    during it."""
    from django.db import connection

    counter = Counter()
    collections_before = FULL.count
    with connection.execute_wrapper(counter):
        start = time.perf_counter()
        response = client.get(path)
        wall = time.perf_counter() - start
    assert response.status_code == 200, (path, response.status_code)
    return wall, counter.queries, len(response.content), FULL.count - collections_before


def p95(values: list[float]) -> float:
    """Nearest rank: the value 95% of the requests did not exceed."""
    ordered = sorted(values)
    return ordered[max(0, -(-len(ordered) * 95 // 100) - 1)]


def measure(client, pages: dict[str, str], runs: int, seconds: float) -> list[dict]:
    targets = {FLOOR: FLOOR_URL, **pages}
    for path in targets.values():
        client.get(path)  # warm-up: template compilation, first imports
    samples = {name: [] for name in targets}
    deadline = time.monotonic() + seconds
    gc.callbacks.append(FULL)
    try:
        for _ in range(runs):
            for name, path in targets.items():
                samples[name].append(request(client, path))
            if time.monotonic() > deadline:
                break
    finally:
        gc.callbacks.remove(FULL)
    floor_p95 = p95([s[0] for s in samples[FLOOR]])
    results = []
    for name, found in samples.items():
        walls = [s[0] for s in found]
        statements = sorted({s[1] for s in found})
        results.append(
            {
                "page": name,
                "url": targets[name],
                "runs": len(found),
                "median_ms": statistics.median(walls) * 1000,
                "p95_ms": p95(walls) * 1000,
                "statements": statements[0],
                "statements_vary": len(statements) > 1,
                "kib": found[-1][2] / 1024,
                "x_floor": p95(walls) / floor_p95,
                "full_gcs": sum(s[3] for s in found),
            }
        )
    return results


def prepare() -> None:
    """Notifications as production has them (the sweep has run), the
    portfolio's standings (beat's refresh has run), and the planner's
    statistics."""
    from django.db import connection

    from tracker.products.models import Product
    from tracker.reminders.models import Reminder
    from tracker.reminders.services import sweep
    from tracker.reports.models import ProductStanding
    from tracker.reports.selectors.rows import ROW_VERSION
    from tracker.reports.standings import standings_refresh_all

    if not Reminder.objects.exists():
        started = time.perf_counter()
        made = sweep.reminders_record_due()
        print(f"reminder sweep: {made} in {time.perf_counter() - started:.0f} s")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    computed = ProductStanding.objects.filter(row__version=ROW_VERSION)
    if computed.count() < Product.objects.count():
        started = time.perf_counter()
        made = standings_refresh_all()
        print(f"standings: {made} in {time.perf_counter() - started:.0f} s")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE reports_productstanding")


def seed(count: int, size: int) -> None:
    from tracker.audit.context import acting
    from tracker.audit.models import Via
    from tracker.demo.scale.portfolio import seed_scale

    started = time.perf_counter()
    with acting(via=Via.COMMAND, label="benchmarks/pages.py"):
        made = seed_scale(count)
    print(
        f"seeded up to {size:,} products in {time.perf_counter() - started:.0f} s ("
        + ", ".join(f"{n:,} {kind}" for kind, n in made.items())
        + ")",
        flush=True,
    )


def run(args: argparse.Namespace) -> list[dict]:
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import override_settings

    from tracker.demo.scale import pages
    from tracker.products.models import Product

    settings.ROOT_URLCONF = "benchmarks.floor_urls"
    call_command("migrate", verbosity=0)
    if args.reuse:
        args.sizes = [Product.objects.filter(slug__startswith="scale-").count()]
    results, seeded = [], 0
    static = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    with override_settings(STORAGES={**settings.STORAGES, "staticfiles": static}):
        for size in sorted(args.sizes):
            if not args.reuse:
                seed(size - seeded, size)
                seeded = size
            prepare()
            client = Client()
            client.force_login(pages.reader())
            urls = pages.page_urls()
            if args.pages:
                unknown = set(args.pages) - urls.keys()
                if unknown:
                    sys.exit(f"unknown page kinds: {', '.join(sorted(unknown))}")
                urls = {n: u for n, u in urls.items() if n in args.pages}
            present = {n: u for n, u in urls.items() if pages.served(u)}
            found = measure(client, present, args.runs, args.seconds)
            for row in found:
                results.append({"size": size, **row})
            for name in urls.keys() - present.keys():
                results.append({"size": size, "page": name, "url": urls[name]})
            if args.profile:
                profile(client, urls[args.profile])
    order = [FLOOR, *urls]
    results.sort(key=lambda r: (r["size"], order.index(r["page"])))
    return results


# --- Printing ----------------------------------------------------------------------


def table(results: list[dict]) -> None:
    sizes = sorted({r["size"] for r in results})
    print(
        f"{'page':<26}"
        + "".join(
            f"{f'{size:,}: median':>16}{'p95 ms':>8}{'stmts':>6}{'KiB':>7}{'x fl':>6}"
            f"{'gc':>4}"
            for size in sizes
        )
        + "  goal"
    )
    by_page: dict[str, dict[int, dict]] = {}
    for r in results:
        by_page.setdefault(r["page"], {})[r["size"]] = r
    for page, found in by_page.items():
        line = f"{page:<26}"
        for size in sizes:
            r = found.get(size, {})
            if "runs" not in r:
                line += f"{'absent':>16}{'':>31}"
                continue
            vary = "~" if r["statements_vary"] else ""
            line += (
                f"{r['median_ms']:>16.1f}{r['p95_ms']:>8.1f}"
                f"{vary + str(r['statements']):>6}{r['kib']:>7.0f}{r['x_floor']:>6.1f}"
                f"{r.get('full_gcs', ''):>4}"
            )
        print(line + "  " + verdict(page, found, sizes))


def verdict(page: str, found: dict[int, dict], sizes: list[int]) -> str:
    if page == FLOOR:
        return ""
    measured = [found[s] for s in sizes if "runs" in found.get(s, {})]
    if not measured:
        return ""
    largest = measured[-1]
    missed = []
    if largest["x_floor"] > GOAL_RATIO:
        missed.append(f">{GOAL_RATIO}x")
    if largest["p95_ms"] >= GOAL_MS:
        missed.append(f">={GOAL_MS} ms")
    if len({r["statements"] for r in measured}) > 1:
        missed.append("statements grow")
    return "met" if not missed else "MISSED: " + ", ".join(missed)


def main() -> None:
    args = parse_args()
    if args.compare:
        results = [r for path in args.compare for r in json.loads(path.read_text())]
        table(results)
        return
    url = scratch_url("tracker_pages_bench")
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
    print(
        f"\nIn-process (Django test Client, signed in, DEBUG off), PostgreSQL; "
        f"up to {args.runs} rounds after a warm-up. Load average before: "
        "{:.2f} {:.2f} {:.2f}; after: {:.2f} {:.2f} {:.2f}. Goal at the largest "
        "size: p95 within {}x the floor's p95 and under {} ms, statements equal "
        "at every size (~: varied between requests); gc: full garbage "
        "collections during the page's requests.\n".format(
            *load, *os.getloadavg(), GOAL_RATIO, GOAL_MS
        )
    )
    table(results)
    if args.save:
        args.save.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
