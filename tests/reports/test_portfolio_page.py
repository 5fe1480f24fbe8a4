"""The portfolio page at scale: a summary per team, the attention list bounded,
one page of a sortable products table (HTML and API), and an HTML size that does
not grow with the number of products."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import (
    IncidentFactory,
    MeasurementFactory,
    MetricFactory,
    ProductFactory,
    SLACheckFactory,
    SLAFactory,
    TeamFactory,
)
from tracker.products.models import Product
from tracker.reports import views
from tracker.reports.standings import standings_refresh_all

pytestmark = pytest.mark.django_db
URL = "/reports/portfolio/"
API = "/api/v1/reports/portfolio/"


def _names(html: str) -> list[str]:
    """The products of the table's page, in its order."""
    table = html[html.index('id="products-h"') :]
    return re.findall(r'<tr><td><a class="strong" href="[^"]+">([^<]+)</a>', table)


@pytest.fixture
def portfolio(team, other_team, alice):
    """Three products in alice's team, one in a second team she is in, one in
    carol's: production ones with an open SEV1 and a breached SLA."""
    now = timezone.now()
    fraud = ProductFactory(
        name="Fraud score",
        slug="fraud",
        team=team,
        stage="production",
        launched_at=now - timedelta(days=30),
    )
    IncidentFactory(
        product=fraud,
        severity="sev1",
        started_at=now - timedelta(hours=2),
        detected_at=now - timedelta(hours=1),
        status="open",
    )
    sla = SLAFactory(product=fraud, name="Latency", threshold=100, objective=99)
    for value in (10, 500):
        SLACheckFactory(sla=sla, value=value, checked_at=now - timedelta(hours=1))
    metric = MetricFactory(product=fraud, name="Losses", baseline=400, target=300)
    MeasurementFactory(metric=metric, value=390, measured_at=now - timedelta(days=1))
    ProductFactory(name="Anomaly", slug="anomaly", team=team, stage="proposed")
    ProductFactory(name="Churn", slug="churn", team=team, stage="pilot")
    second = TeamFactory(name="Ads", slug="ads", members=[alice])
    ProductFactory(name="Bidder", slug="bidder", team=second, stage="building")
    standings_refresh_all()  # what beat does every few minutes
    return fraud


def test_the_page_leads_with_a_summary_per_team(alice_client, portfolio):
    html = alice_client.get(URL).content.decode()
    summary = html[html.index('id="teams-h"') : html.index('id="attention-h"')]
    rows = re.findall(r"<tr>(.*?)</tr>", summary, re.S)[1:]
    first = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", rows[0])).split()
    # Risk (alice's team) needs most attention: the open SEV1 and the breach.
    assert first[:2] == ["Risk", "3"]
    assert "Production 1" in " ".join(first) and "Pilot 1" in " ".join(first)
    assert '<td class="num bad-text">1</td>' in rows[0]  # SLA breaches, SEV1
    assert 'href="?team=ads"' in rows[1]  # filters the report to the team
    assert len(rows) == 2  # carol's team is not alice's to see


def test_team_summary_over_the_api(alice_api, portfolio):
    teams = alice_api.get(API).json()["teams"]
    assert [t["team"] for t in teams] == ["risk", "ads"]
    risk = teams[0]
    assert risk["products"] == 3
    assert risk["products_by_stage"] == {"production": 1, "proposed": 1, "pilot": 1}
    assert (risk["sla_breaches"], risk["open_sev12_incidents"]) == (1, 1)
    assert risk["needing_attention"] == 3


@pytest.mark.parametrize(
    "sort, expected",
    [
        ("", ["Bidder", "Anomaly", "Churn", "Fraud score"]),  # team, then name
        ("name", ["Anomaly", "Bidder", "Churn", "Fraud score"]),
        ("-name", ["Fraud score", "Churn", "Bidder", "Anomaly"]),
        ("stage", ["Anomaly", "Bidder", "Churn", "Fraud score"]),
        ("attention", ["Fraud score"]),  # the most urgent first
        ("slas", ["Fraud score"]),  # the worst measured SLA first
        ("incidents", ["Fraud score"]),
    ],
)
def test_the_table_sorts_by_its_columns(
    alice_client, alice_api, portfolio, sort, expected
):
    html = alice_client.get(URL, {"sort": sort}).content.decode()
    assert _names(html)[: len(expected)] == expected
    products = alice_api.get(API, {"sort": sort}).json()["products"]
    assert [p["name"] for p in products][: len(expected)] == expected


def test_sort_links_keep_the_filters_and_reverse(alice_client, portfolio):
    html = alice_client.get(URL, {"stage": "pilot", "sort": "name"}).content.decode()
    assert 'href="?stage=pilot&amp;sort=-name#products-h"' in html
    assert 'aria-sort="ascending"' in html
    assert 'href="?stage=pilot&amp;sort=stage#products-h"' in html


def test_teams_come_a_page_at_a_time_and_filter_the_report(alice_client, alice):
    for i in range(views.TEAMS_PER_PAGE + 1):
        team = TeamFactory(name=f"T{i:02}", slug=f"t{i:02}", members=[alice])
        ProductFactory(team=team, name=f"P{i:02}", slug=f"p{i:02}")
    standings_refresh_all()
    html = alice_client.get(URL, {"period": "12m"}).content.decode()
    assert "Teams 1–20 of 21" in html
    assert 'href="?period=12m&amp;teams_page=2" rel="next">More teams' in html
    assert 'href="?period=12m&amp;team=t00"' in html  # the period kept
    # The cost and value per team comes 20 teams at a time too.
    value = html[html.index('id="value-h"') : html.index('id="products-h"')]
    assert value.count("<tr><td>") == views.TEAMS_PER_PAGE
    assert 'href="?period=12m&amp;values_page=2#value-h" rel="next">' in value
    value = alice_client.get(URL, {"values_page": 2}).content.decode()
    value = value[value.index('id="value-h"') : value.index('id="products-h"')]
    assert "<tr><td>T20</td>" in value and "<tr><td>T00</td>" not in value
    html = alice_client.get(URL, {"teams_page": 2}).content.decode()
    summary = html[html.index('id="teams-h"') : html.index('id="attention-h"')]
    assert "T20" in summary and "T00" not in summary


def test_a_bad_sort_is_a_form_error_and_a_400(alice_client, alice_api, portfolio):
    response = alice_client.get(URL, {"sort": "price"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    response = alice_api.get(API, {"sort": "price"})
    assert response.status_code == 400
    assert "sort" in response.json()["error"]["fields"]


def test_pages_of_the_table_keep_filters_and_sort(alice_client, team, settings):
    for i in range(views.PRODUCTS_PER_PAGE + 5):
        ProductFactory(name=f"P{i:03}", slug=f"p{i:03}", team=team, stage="pilot")
    html = alice_client.get(URL, {"stage": "pilot", "sort": "-name"}).content.decode()
    last = f"P{views.PRODUCTS_PER_PAGE + 4:03}"
    assert _names(html)[0] == last and len(_names(html)) == views.PRODUCTS_PER_PAGE
    assert "?stage=pilot&amp;sort=-name&amp;page=2" in html
    second = alice_client.get(URL, {"stage": "pilot", "sort": "-name", "page": 2})
    assert _names(second.content.decode()) == ["P004", "P003", "P002", "P001", "P000"]
    junk = alice_client.get(URL, {"page": "x"})  # the nearest page, not an error
    assert junk.status_code == 200


def test_the_api_pages_the_products_and_keeps_the_rest(alice_api, team):
    for i in range(5):
        ProductFactory(name=f"P{i}", slug=f"p{i}", team=team)
    standings_refresh_all()
    body = alice_api.get(API, {"page_size": 2, "sort": "name"}).json()
    assert body["count"] == 5 and body["totals"]["products"] == 5
    assert [p["slug"] for p in body["products"]] == ["p0", "p1"]
    assert body["previous"] is None
    assert "page=2" in body["next"] and "sort=name" in body["next"]
    assert len(body["attention"]) == 5  # every product's plan is incomplete
    last = alice_api.get(API, {"page_size": 2, "page": 3, "sort": "name"}).json()
    assert [p["slug"] for p in last["products"]] == ["p4"] and last["next"] is None
    assert alice_api.get(API, {"page": 9}).status_code == 404


def test_the_attention_list_shows_the_most_urgent_and_links_to_the_rest(
    alice_client, team
):
    for i in range(views.ATTENTION_SHOWN + 3):
        ProductFactory(name=f"P{i:03}", slug=f"p{i:03}", team=team)
    standings_refresh_all()
    html = alice_client.get(URL, {"stage": "proposed"}).content.decode()
    assert html.count('<span class="rank">') == views.ATTENTION_SHOWN
    assert "3 more products need attention" in html
    assert 'href="?stage=proposed&amp;sort=attention#products-h"' in html


def _bulk(team, start: int, count: int) -> None:
    stages = ["proposed", "discovery", "building", "pilot", "production", "retired"]
    launched = timezone.now() - timedelta(days=90)
    Product.objects.bulk_create(
        Product(
            name=f"Scale product {i}",
            slug=f"scale-{i}",
            team=team,
            stage=stages[i % len(stages)],
            risk_tier=["low", "medium", "high", "critical"][i % 4],
            stage_entered_at=launched,
            launched_at=launched if i % len(stages) >= 4 else None,
        )
        for i in range(start, start + count)
    )


@pytest.mark.postgres
def test_html_size_does_not_grow_with_the_portfolio(alice_client, team, alice):
    """At N and 2N products the page is the same size, give or take the digits
    of the counts: well under 300 KB however large the organisation."""
    teams = [team] + [TeamFactory(members=[alice]) for _ in range(9)]
    n = 1500
    for t in teams:
        _bulk(t, teams.index(t) * 100_000, n // len(teams))
    standings_refresh_all()
    small = len(alice_client.get(URL).content)
    for t in teams:
        _bulk(t, teams.index(t) * 100_000 + n, n // len(teams))
    standings_refresh_all()
    assert Product.objects.count() == 2 * n
    large = len(alice_client.get(URL).content)
    assert large < 300 * 1024
    assert abs(large - small) < 0.01 * small, (small, large)


def test_a_long_table_is_counted_so_far_and_totalled_from_the_summaries(
    alice_client, portfolio, monkeypatch
):
    """Past what the table counts, its heading gives the summaries' total and
    the pages go on; within it, the count it made."""
    from tracker.lib import paging

    monkeypatch.setattr(views, "PRODUCTS_PER_PAGE", 2)
    html = alice_client.get(URL).content.decode()
    assert "Products <span" in html and "4 · 1–2 shown" in html
    assert "Page 1 of 2 · 4 in all" in html
    monkeypatch.setattr(paging, "COUNT_AHEAD", 2)
    html = alice_client.get(URL).content.decode()
    assert "4 · 1–2 shown" in html  # four readable products, from the summaries
    assert "Page 1 · more than 2" in html
    assert len(_names(html)) == 2
    html = alice_client.get(URL + "?page=2").content.decode()
    assert len(_names(html)) == 2 and "← Previous" in html
