"""Benchmark: one reminder sweep over many due KPI follow-ups, on PostgreSQL.

    createdb -h 127.0.0.1 -U postgres tracker_reminders_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tracker_reminders_bench \\
        .venv/bin/python benchmarks/reminders_sweep.py [--due 100000]

Fills the database (it empties the products and reminders tables first: use a
database of its own) with launched products whose metrics are all due, each
owned by one of 1,000 people with default preferences (in-app and e-mail), then
runs the sweep twice and prints the time, the number of queries and the number
of reminders. The second run must add nothing; the query count must depend on
the number of pages (REMINDERS_BATCH_SIZE), not on the number of rows in one.
"""

import argparse
import os
import sys
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
os.environ.setdefault("DEBUG", "true")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.utils import timezone  # noqa: E402

from tracker.accounts.models import Team, User  # noqa: E402
from tracker.products.models import Product, Stage, SuccessMetric  # noqa: E402
from tracker.reminders.models import KPIReviewPlan, Reminder  # noqa: E402
from tracker.reminders.services import delivery, sweep  # noqa: E402

PEOPLE = 1000
METRICS_PER_PRODUCT = 100
TABLES = [
    "reminders_reminder",
    "reminders_digest",
    "reminders_kpireview",
    "reminders_kpireviewplan",
    "reminders_reviewconfirmation",
    "reminders_notificationpreferences",
    "products_measurement",
    "products_successmetric",
    "products_stagechange",
    "products_product",
    "accounts_membership",
    "accounts_team",
    "accounts_user",
]


@contextmanager
def counted():
    """Count the statements sent to the database, without keeping their text."""
    box = {"queries": 0}

    def count(execute, sql, params, many, context):
        box["queries"] += 1
        return execute(sql, params, many, context)

    started = time.perf_counter()
    with connection.execute_wrapper(count):
        yield box
    box["seconds"] = time.perf_counter() - started


def fill(due: int, now) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
    people = User.objects.bulk_create(
        User(username=f"owner{n}", email=f"owner{n}@example.org", password="!")
        for n in range(PEOPLE)
    )
    team = Team.objects.create(name="Bench", slug="bench")
    launched = now - timedelta(days=200)
    products = Product.objects.bulk_create(
        Product(
            name=f"Product {n}",
            slug=f"product-{n}",
            team=team,
            stage=Stage.PRODUCTION,
            stage_entered_at=launched,
            launched_at=launched,
            pm_owner=people[n % PEOPLE],
        )
        for n in range(-(-due // METRICS_PER_PRODUCT))
    )
    # Only KPI follow-ups are due: no post-launch reviews planned.
    KPIReviewPlan.objects.bulk_create(
        KPIReviewPlan(product=product, weeks=[]) for product in products
    )
    SuccessMetric.objects.bulk_create(
        (
            SuccessMetric(
                product=products[n // METRICS_PER_PRODUCT],
                name=f"KPI {n}",
                owner=people[(n * 7) % PEOPLE],
                cadence_days=30,
                baseline=100.0,
                target=120.0,
                # Due yesterday: the owner is reminded, no escalation yet.
                next_due_at=now - timedelta(days=1, minutes=n % 600),
            )
            for n in range(due)
        ),
        batch_size=5000,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def report(label: str, run: dict) -> None:
    print(f"{label}: {run['seconds']:.1f} s, {run['queries']} queries")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--due", type=int, default=100_000)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run this against PostgreSQL: set DATABASE_URL.")
    call_command("migrate", verbosity=0)
    now = timezone.now()
    started = time.perf_counter()
    fill(args.due, now)
    size = settings.REMINDERS_BATCH_SIZE
    pages = -(-args.due // size)
    print(
        f"{args.due:,} due KPI follow-ups, {PEOPLE:,} owners "
        f"(filled in {time.perf_counter() - started:.1f} s); "
        f"pages of {size:,} → {pages} pages"
    )
    with counted() as first:
        recorded = sweep.reminders_record_due(now=now)
    report("first sweep", first)
    by_channel = dict(
        Reminder.objects.values_list("channel").annotate(n=Count("pk")).order_by()
    )
    occurrences = (
        Reminder.objects.values("subject_type", "subject_id", "occurrence")
        .distinct()
        .count()
    )
    print(
        f"  reminders: {by_channel.get('in_app', 0):,} in-app, "
        f"{by_channel.get('email', 0):,} e-mail; "
        f"{occurrences:,} distinct due occurrences (recorded {recorded})"
    )
    with counted() as second:
        sweep.reminders_record_due(now=now)
    report("second sweep", second)
    duplicates = (
        Reminder.objects.values(
            "subject_type", "subject_id", "occurrence", "recipient", "channel"
        )
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .count()
    )
    total = Reminder.objects.count()
    print(f"  reminders after it: {total:,}; duplicates: {duplicates}")
    with counted() as dispatch:
        queued = delivery.reminders_dispatch(now=now)
    report(f"dispatch (mark {len(queued):,} mails queued, none sent)", dispatch)
    # No private team in this data: the readers query finds no private product.
    fixed = first["queries"] - 4 * pages
    print(
        f"queries per page of due rows: 4 (find, preferences, private products, "
        f"insert); "
        f"fixed per sweep: {fixed}"
    )
    ok = (
        by_channel.get("in_app") == args.due
        and by_channel.get("email") == args.due
        and occurrences == args.due
        and duplicates == 0
        and Reminder.objects.count() == 2 * args.due
    )
    print("OK" if ok else "MISMATCH")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
