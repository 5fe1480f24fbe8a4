"""End to end through a real Redis broker and a real Celery worker on PostgreSQL:
the export page's request queues the export, the worker makes the file, and the
file is byte for byte the one the immediate export returns."""

import time
from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from tests.broker import WAIT_SECONDS, worker
from tests.factories import MetricFactory, ProductFactory
from tracker.reports.models import ReportExport

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]
NOW = datetime(2026, 7, 1, 12, tzinfo=UTC)


def _finished(pk: int) -> ReportExport:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        export = ReportExport.objects.get(pk=pk)
        if export.finished:
            return export
        time.sleep(0.1)
    raise AssertionError(f"export {pk} not finished: {export.status}")


@pytest.mark.parametrize("name", ["portfolio_csv", "portfolio_pdf"])
def test_a_worker_makes_the_immediate_exports_file(
    name, broker, alice_client, team, settings
):
    product = ProductFactory(team=team, name="Fraud score", slug="fraud")
    MetricFactory(product=product, name="Losses", baseline=400, target=300)
    ProductFactory(team=team, name="Churn", slug="churn", stage="pilot")
    url, query = reverse(f"reports:{name}"), {"team": "risk"}
    with time_machine.travel(NOW, tick=False):
        settings.REPORT_EXPORT_INLINE_MAX = 10
        immediate = alice_client.get(url, query)
        assert immediate.status_code == 200
        settings.REPORT_EXPORT_INLINE_MAX = 1
        asked = alice_client.get(url, query)  # queued: no worker yet
        export = ReportExport.objects.get()
        assert asked["Location"] == export.get_absolute_url()
        assert export.status == "queued"
        with worker(broker):
            export = _finished(export.pk)
    assert export.status == "done", export.error
    assert export.started_at is not None and export.finished_at is not None
    download = alice_client.get(export.get_download_url())
    assert download.content == immediate.content
    assert download["Content-Disposition"] == immediate["Content-Disposition"]
