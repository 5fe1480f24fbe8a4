"""Every page kind reads as many statements at 30 products as at 10: the
structural half of "every page's cost is independent of the organisation's
size" (benchmarks/pages.py measures the time at 1,000 and 10,000)."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tracker.audit.context import acting
from tracker.audit.models import Via
from tracker.demo.scale import pages
from tracker.demo.scale.portfolio import seed_scale
from tracker.reminders.services.sweep import reminders_record_due

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 7, 1, 12, tzinfo=UTC)
# The pages every part of the site has; pages.page_urls() lists more that
# only count once they are served.
ALWAYS = {
    "product list",
    "product page",
    "product metrics",
    "product delivery",
    "product work",
    "survey",
    "history",
    "incident list",
    "incident page",
    "postmortem list",
    "library search",
    "postmortem page",
    "my action items",
    "notifications",
    "data contracts",
    "follow-up policies",
    "insights",
    "portfolio",
    "API products",
    "API incidents",
    "API postmortems",
    "API action items",
    "API notifications",
    "API history",
}


def grow_to(products: int) -> None:
    """The scale data up to `products`, with the reminders production has."""
    with acting(via=Via.COMMAND, label="test"):
        seed_scale(products - generated())
    reminders_record_due(now=NOW)


def generated() -> int:
    from tracker.products.models import Product

    return Product.objects.filter(slug__startswith="scale-").count()


def statements(client, urls: dict[str, str]) -> dict[str, int]:
    counts = {}
    for name, url in urls.items():
        client.get(url)  # the first request of a page may fill caches
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, (name, response.status_code)
        counts[name] = len(queries)
    return counts


def test_every_page_reads_as_many_statements_at_30_products_as_at_10(client):
    # Ten products hold every shape a page reads (each stage, high-risk products
    # in pilot and production whose experiments readiness asks for), so what
    # grows at thirty is only the number of rows.
    grow_to(10)
    client.force_login(pages.reader())
    urls = {name: url for name, url in pages.page_urls().items() if pages.served(url)}
    assert urls.keys() >= ALWAYS
    small = statements(client, urls)
    grow_to(30)
    large = statements(client, urls)
    grown = {
        name: (small[name], large[name]) for name in urls if small[name] != large[name]
    }
    assert grown == {}, grown
