"""What the audit trail costs: the CI measurement POST with and without it, a
cascading delete, bulk seeding, and the history page over a large trail.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tracker_audit_bench \\
        .venv/bin/python benchmarks/audit_overhead.py [--products 200] [--posts 300]

DATABASE_URL names a scratch database that the script creates (it refuses one
that exists), migrates, fills with tracker.demo.scale.portfolio.seed_scale and drops at
the end (--keep leaves it). In-process (Django's test clients, DEBUG off):

- POST /api/v1/metrics/{id}/measurements/ with a product CI token, --posts
  times with the recorder's receivers disconnected and as many with them on
  (alternating blocks, so load drifts hit both): median and p99 ms, queries;
- deleting a product with 5 metrics and 100 measurements, without and with;
- seed_scale with and without recording its bulk inserts (in bulk);
- /products/{slug}/history/ (all kinds, and one rare kind) on the largest
  product's trail, and its API.

Goal: one extra statement per audited write, and the CI POST within 1.2x.
"""

import argparse
import os
import secrets
import statistics
import sys
import time
import warnings
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.report_render import (  # noqa: E402
    ENV,
    Counter,
    create_database,
    drop_database,
    measure,
    scratch_url,
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=200)
    parser.add_argument("--posts", type=int, default=300, help="per mode")
    parser.add_argument("--runs", type=int, default=10, help="page renders")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    return parser.parse_args()


@contextmanager
def audit_off():
    """The recorder's save and delete receivers disconnected."""
    from django.db.models import signals

    from tracker.audit import recorder, registry

    for spec in registry.AUDITED:
        model = spec.model_class
        uid = f"audit:{model._meta.label_lower}"
        for signal in (
            signals.pre_save,
            signals.post_save,
            signals.pre_delete,
            signals.post_delete,
        ):
            signal.disconnect(sender=model, dispatch_uid=uid)
    try:
        yield
    finally:
        recorder.connect()


def timed(call) -> tuple[float, int]:
    from django.db import connection

    counter = Counter()
    with connection.execute_wrapper(counter):
        start = time.perf_counter()
        call()
    return (time.perf_counter() - start) * 1000, counter.queries


def posts(client, url: str, count: int) -> tuple[list[float], int]:
    times, queries = [], 0
    for n in range(count):
        ms, queries = timed(lambda n=n: client.post(url, {"value": n}, format="json"))
        times.append(ms)
    return times, queries


def summary(times: list[float]) -> str:
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"median {statistics.median(times):6.2f} ms  p99 {p99:6.2f} ms"


def hot_path(args, product) -> None:
    from rest_framework.test import APIClient

    from tracker.accounts.models import User
    from tracker.accounts.services import token_create

    owner = User.objects.create_user("bench-ci", password=secrets.token_hex(8))
    raw = token_create(user=owner, name="bench", product=product)[1]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    url = f"/api/v1/metrics/{product.metrics.first().pk}/measurements/"
    posts(client, url, 20)  # warm-up
    plain, audited, block = [], [], max(1, args.posts // 10)
    for _ in range(args.posts // block):
        with audit_off():
            times, plain_queries = posts(client, url, block)
            plain += times
        times, audited_queries = posts(client, url, block)
        audited += times
    ratio = statistics.median(audited) / statistics.median(plain)
    met = audited_queries - plain_queries == 1 and ratio <= 1.2
    print(f"\nCI measurement POST ({len(plain)} each):")
    print(f"  without the trail  {summary(plain)}  {plain_queries} queries")
    print(f"  with the trail     {summary(audited)}  {audited_queries} queries")
    print(
        f"  {audited_queries - plain_queries} extra statement(s), {ratio:.2f}x "
        f"(goal: 1 and within 1.2x: {'met' if met else 'MISSED'})"
    )


def cascade() -> None:
    from datetime import timedelta

    from django.utils import timezone

    from tracker.accounts.models import Team
    from tracker.audit.models import AuditEvent
    from tracker.products.models import Measurement, Product, SuccessMetric

    team = Team.objects.first()

    def product_with_rows(slug: str) -> Product:
        product = Product.objects.create(
            name=slug, slug=slug, team=team, stage_entered_at=timezone.now()
        )
        for m in range(5):
            metric = SuccessMetric.objects.create(product=product, name=f"m{m}")
            Measurement.objects.bulk_create(
                Measurement(
                    metric=metric,
                    value=v,
                    measured_at=timezone.now() - timedelta(days=v),
                )
                for v in range(20)
            )
        return product

    print("\nDeleting a product with 5 metrics and 100 measurements:")
    with audit_off():
        victim = product_with_rows("bench-plain")
        ms, queries = timed(victim.delete)
    print(f"  without the trail  {ms:7.1f} ms  {queries} queries")
    victim = product_with_rows("bench-audited")
    pk = victim.pk
    ms, queries = timed(victim.delete)
    deleted = AuditEvent.objects.filter(product_id=pk, action="delete").count()
    print(f"  with the trail     {ms:7.1f} ms  {queries} queries, {deleted} events")


def history_pages(args) -> None:
    from django.db.models import Count
    from django.test import Client
    from rest_framework.test import APIClient

    from tracker.accounts.models import User
    from tracker.audit.models import AuditEvent

    busiest = (
        AuditEvent.objects.values("product_slug")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    slug, events = busiest["product_slug"], busiest["n"]
    user = User.objects.create_user("bench-reader", password=secrets.token_hex(8))
    client, api = Client(), APIClient()
    client.force_login(user)
    api.force_authenticate(user)
    total = AuditEvent.objects.count()
    print(f"\nHistory of {slug} ({events:,} events of {total:,} in the trail):")
    for label, path, c in (
        ("page, all kinds", f"/products/{slug}/history/", client),
        ("page, postmortems", f"/products/{slug}/history/?kind=postmortem", client),
        ("API, all kinds", f"/api/v1/products/{slug}/history/", api),
    ):
        found = measure(c, path, args.runs, 60)
        print(f"  {label:<20} median {found['ms']:6.1f} ms  {found['queries']} queries")


def run(args: argparse.Namespace) -> None:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import override_settings

    from tracker.audit.models import AuditEvent
    from tracker.demo.scale import portfolio as scale
    from tracker.demo.scale import rows
    from tracker.products.models import Product

    call_command("migrate", verbosity=0)
    static = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    with override_settings(STORAGES={**settings.STORAGES, "staticfiles": static}):
        started = time.perf_counter()
        with mock.patch.object(rows, "created_events", lambda objs: []):
            scale.seed_scale(args.products)
        plain = time.perf_counter() - started
        started = time.perf_counter()
        scale.seed_scale(args.products)
        audited = time.perf_counter() - started
        print(
            f"seed_scale({args.products}): {plain:.1f} s without recording its bulk "
            f"inserts, {audited:.1f} s with ({AuditEvent.objects.count():,} events "
            "recorded in bulk)"
        )
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
            table = AuditEvent._meta.db_table
            cursor.execute(f"SELECT pg_total_relation_size('{table}')")
            size = cursor.fetchone()[0]
        print(
            f"the trail takes {size / AuditEvent.objects.count():.0f} bytes per "
            "event on disk, indexes included"
        )
        hot_path(args, Product.objects.filter(slug__startswith="scale-").first())
        cascade()
        history_pages(args)


def main() -> None:
    args = parse_args()
    url = scratch_url("tracker_audit_bench")
    os.environ.update({**ENV, "API_RATE_CI": "10000000/min"})
    warnings.filterwarnings("ignore", message="No directory at")
    load = os.getloadavg()
    create_database(url)
    try:
        import django

        django.setup()
        run(args)
    finally:
        if not args.keep:
            drop_database(url)
    print(
        f"\nLoad average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
        "after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    )


if __name__ == "__main__":
    main()
