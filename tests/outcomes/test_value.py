"""Costs and value: the API, bad input, and the value rule (post-launch
measurements of valued business KPIs against the baseline) with its payback
date."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from tests.factories import MetricFactory
from tracker.outcomes import selectors
from tracker.outcomes.models import Cost
from tracker.products.models import Measurement

pytestmark = pytest.mark.django_db

LAUNCH = datetime(2026, 3, 1, tzinfo=UTC)


def _costs(product):
    return f"/api/v1/products/{product.slug}/costs/"


def _value(product):
    return f"/api/v1/products/{product.slug}/value/"


@pytest.fixture
def launched(product):
    product.stage = "production"
    product.launched_at = LAUNCH
    product.save()
    return product


def _kpi(product, **extra):
    values = {
        "product": product,
        "name": "Chargebacks avoided",
        "kind": "business_kpi",
        "direction": "higher",
        "baseline": 100.0,
        "baseline_at": date(2026, 2, 1),
        "target": 150.0,
        "value_per_unit": Decimal("12.50"),
        **extra,
    }
    return MetricFactory(**values)


def _measure(metric, value, when):
    Measurement.objects.create(metric=metric, value=value, measured_at=when)


def test_editor_records_and_reads_costs(bob_api, product, settings):
    settings.TRACKER_CURRENCY = "GBP"
    response = bob_api.post(
        _costs(product),
        {
            "kind": "build",
            "amount": "1500.50",
            "incurred_at": "2026-01-10",
            "note": "Two sprints",
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["amount"] == "1500.50"
    assert body["currency"] == "GBP"
    assert body["recorded_by"] == "bob"
    listed = bob_api.get(_costs(product)).json()
    assert [c["kind"] for c in listed["results"]] == ["build"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "build", "amount": "-1", "incurred_at": "2026-01-10"}, "amount"),
        ({"kind": "coffee", "amount": "1", "incurred_at": "2026-01-10"}, "kind"),
        ({"kind": "build", "amount": "lots", "incurred_at": "2026-01-10"}, "amount"),
        ({"kind": "build", "amount": "1", "incurred_at": "yesterday"}, "incurred_at"),
        ({"kind": "build", "amount": "1e20", "incurred_at": "2026-01-10"}, "amount"),
        ({"kind": "build", "incurred_at": "2026-01-10"}, "amount"),
    ],
)
def test_bad_cost_is_a_400_naming_the_field(bob_api, product, body, field):
    response = bob_api.post(_costs(product), body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not Cost.objects.exists()


def test_non_editor_may_read_but_not_record(carol_api, product):
    assert carol_api.get(_costs(product)).status_code == 200
    body = {"kind": "build", "amount": "1", "incurred_at": "2026-01-10"}
    assert carol_api.post(_costs(product), body).status_code == 403


def test_private_product_is_404(carol_api, product):
    product.team.visibility = "private"
    product.team.save()
    assert carol_api.get(_costs(product)).status_code == 404
    assert carol_api.get(_value(product)).status_code == 404


def test_value_per_unit_only_on_a_business_kpi(bob_api, product):
    response = bob_api.post(
        f"/api/v1/products/{product.slug}/metrics/",
        {"name": "AUC", "kind": "model_metric", "value_per_unit": "3"},
    )
    # Either the API refuses the field for this kind, or the model does.
    assert response.status_code == 400


def test_value_and_payback(bob_api, launched):
    kpi = _kpi(launched)
    Cost.objects.create(
        product=launched,
        kind="build",
        amount=Decimal("1000"),
        incurred_at=date(2026, 2, 1),
    )
    Cost.objects.create(
        product=launched,
        kind="running",
        amount=Decimal("200"),
        incurred_at=date(2026, 4, 15),
    )
    # Before launch: not value. Segments: not counted (the whole is).
    _measure(kpi, 140, datetime(2026, 2, 15, tzinfo=UTC))
    _measure(kpi, 140, datetime(2026, 3, 31, tzinfo=UTC))  # +40 × 12.50 = 500
    _measure(kpi, 160, datetime(2026, 4, 30, tzinfo=UTC))  # +60 × 12.50 = 750
    _measure(kpi, 90, datetime(2026, 5, 31, tzinfo=UTC))  # −10 × 12.50 = −125
    body = bob_api.get(_value(launched)).json()
    assert body["cost_to_date"] == "1200.00"
    assert body["value_to_date"] == "1125.00"
    assert body["net"] == "-75.00"
    assert body["currency"] == "EUR"
    # 30 April: 1250 earned against 1200 spent.
    assert body["payback_date"] == "2026-04-30"
    assert body["costs_by_kind"] == {"build": "1000.00", "running": "200.00"}
    assert body["valued_metrics"] == 1


def test_lower_is_better_counts_a_fall_as_value(launched):
    kpi = _kpi(launched, direction="lower", target=50.0)
    _measure(kpi, 80, datetime(2026, 3, 31, tzinfo=UTC))
    value = selectors.value_for_product(launched)
    assert value.value == Decimal("250.00")  # 20 fewer × 12.50
    # No cost recorded: paid back on the first day it earned anything.
    assert value.payback_date == date(2026, 3, 31)


def test_no_payback_while_value_trails_cost(launched):
    kpi = _kpi(launched)
    Cost.objects.create(
        product=launched,
        kind="build",
        amount=Decimal("5000"),
        incurred_at=date(2026, 2, 1),
    )
    _measure(kpi, 120, datetime(2026, 3, 31, tzinfo=UTC))
    value = selectors.value_for_product(launched)
    assert value.value == Decimal("250.00")
    assert value.payback_date is None


def test_not_launched_or_unvalued_earns_nothing(product):
    kpi = _kpi(product)
    _measure(kpi, 200, datetime(2026, 3, 31, tzinfo=UTC))
    assert selectors.value_for_product(product).value == 0


def test_value_for_many_products_in_two_queries(
    launched, team, django_assert_num_queries
):
    from tests.factories import ProductFactory

    others = [ProductFactory(team=team) for _ in range(5)]
    kpi = _kpi(launched)
    _measure(kpi, 140, datetime(2026, 3, 31, tzinfo=UTC))
    with django_assert_num_queries(2):
        values = selectors.value_for_products([launched.pk, *(p.pk for p in others)])
    assert values[launched.pk].value == Decimal("500.00")


def test_portfolio_sums_cost_and_value_per_team(launched, team, alice):
    from tests.factories import ProductFactory
    from tracker.lib.periods import period_get
    from tracker.reports.selectors.portfolio import portfolio_report

    other = ProductFactory(team=team, name="Second", slug="second")
    kpi = _kpi(launched)
    _measure(kpi, 140, datetime(2026, 3, 31, tzinfo=UTC))  # 500 earned
    for product, amount in ((launched, "300"), (other, "1000")):
        Cost.objects.create(
            product=product,
            kind="build",
            amount=Decimal(amount),
            incurred_at=date(2026, 1, 1),
        )
    portfolio = portfolio_report(filters={}, period=period_get(None), user=alice)
    row = next(r for r in portfolio.rows if r.product.slug == launched.slug)
    assert row.figures["payback_date"] == date(2026, 3, 31)
    (risk,) = portfolio.value_by_team()
    assert risk["team"] == team.name
    assert (risk["cost"], risk["value"], risk["net"]) == (
        Decimal("1300.00"),
        Decimal("500.00"),
        Decimal("-800.00"),
    )
    assert (risk["products"], risk["paid_back"]) == (2, 1)
