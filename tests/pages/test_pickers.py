"""The picker endpoints (/pick/<kind>/): what they offer, to whom, how many; and
the pages whose filters and forms use pickers stay small however many products
the organisation has."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import (
    FeatureFactory,
    IncidentFactory,
    ProductFactory,
    TeamFactory,
    UserFactory,
)
from tracker.accounts.models import Visibility
from tracker.pages.pickers import PICKER_LIMIT
from tracker.products.models import Product

pytestmark = pytest.mark.django_db


@pytest.fixture
def carol_client(carol, other_team):
    """Carol in a browser of her own (the shared `client` is alice's here)."""
    client = Client()
    client.force_login(carol)
    return client


@pytest.fixture
def lab(carol):
    """A private team alice is not in, with a product and an incident."""
    lab = TeamFactory(
        name="Lab", slug="lab", members=[carol], visibility=Visibility.PRIVATE
    )
    secret = ProductFactory(name="Secret fraud model", slug="secret-fraud", team=lab)
    IncidentFactory(product=secret, title="Secret fraud drift")
    return lab


def _product(name: str, slug: str, team) -> Product:
    return Product(name=name, slug=slug, team=team, stage_entered_at=timezone.now())


def _pick(client, kind: str, **params):
    response = client.get(f"/pick/{kind}/", params)
    assert response.status_code == 200, response.content
    return response.json()


def _labels(answer) -> list[str]:
    return [row["label"] for row in answer["results"]]


# --- products ------------------------------------------------------------------------


def test_products_match_every_word_in_name_or_slug(alice_client, product):
    ProductFactory(name="Churn early warning", slug="churn-warning", team=product.team)
    answer = _pick(alice_client, "products", q="score FRAUD")
    assert answer == {
        "results": [
            {"id": product.pk, "label": "Fraud score (Risk)", "slug": "fraud-score"}
        ],
        "more": False,
    }
    assert _labels(_pick(alice_client, "products", q="churn-warn")) == [
        "Churn early warning (Risk)"
    ]
    assert _pick(alice_client, "products", q="nothing like it")["results"] == []


def test_private_teams_products_are_absent_for_outsiders(
    alice_client, carol_client, product, lab
):
    assert _labels(_pick(alice_client, "products", q="fraud")) == ["Fraud score (Risk)"]
    assert "Secret fraud model (Lab)" in _labels(
        _pick(carol_client, "products", q="fraud")
    )


def test_editable_offers_only_products_the_reader_may_change(
    alice_client, carol_client, product, other_team
):
    theirs = ProductFactory(name="Fraud rules", slug="fraud-rules", team=other_team)
    assert _labels(_pick(carol_client, "products", q="fraud")) == [
        "Fraud rules (Elsewhere)",
        "Fraud score (Risk)",
    ]
    editable = _pick(carol_client, "products", q="fraud", editable="1")
    assert [row["slug"] for row in editable["results"]] == [theirs.slug]


def test_at_most_the_limit_in_a_stable_order_with_a_more_flag(alice_client, team):
    Product.objects.bulk_create(
        _product(f"Model {i:02}", f"model-{i:02}", team)
        for i in range(PICKER_LIMIT + 5)
    )
    answer = _pick(alice_client, "products", q="model")
    assert len(answer["results"]) == PICKER_LIMIT
    assert answer["more"] is True
    assert _labels(answer) == [f"Model {i:02} (Risk)" for i in range(PICKER_LIMIT)]
    answer = _pick(alice_client, "products", q="model 2")
    assert answer["more"] is False


def test_one_query_for_the_matches(alice_client, team):
    Product.objects.bulk_create(
        _product(f"Model {i}", f"model-{i}", team) for i in range(50)
    )
    alice_client.get("/pick/products/")  # the session is loaded once
    with CaptureQueriesContext(connection) as queries:
        _pick(alice_client, "products", q="model")
    reads = [q["sql"] for q in queries if "products_product" in q["sql"]]
    assert len(reads) == 1
    assert len(queries) <= 3  # session, user, the matches


@pytest.mark.parametrize(
    "params, field",
    [
        ({"q": "x" * 101}, "q"),
        ({"product": "not a slug!"}, "product"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(alice_client, params, field):
    for kind in ("products", "people", "teams", "incidents"):
        response = alice_client.get(f"/pick/{kind}/", params)
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == "validation_error"
        assert list(error["fields"]) == [field]


def test_nul_in_the_query_is_refused_not_a_500(alice_client):
    response = alice_client.get("/pick/people/", {"q": "al\x00ice"})
    assert response.status_code == 400


def test_signed_out_people_are_sent_to_sign_in(client):
    for kind in ("products", "people", "teams", "incidents"):
        response = client.get(f"/pick/{kind}/", {"q": "a"})
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_only_reading_methods(alice_client):
    assert alice_client.post("/pick/people/", {"q": "a"}).status_code == 405


# --- people, teams, incidents ------------------------------------------------------


def test_people_by_username_or_name_active_only(alice_client, alice, bob):
    UserFactory(username="alina", first_name="Alina", last_name="Berg")
    UserFactory(username="alfred", is_active=False)
    answer = _pick(alice_client, "people", q="al")
    assert [row["username"] for row in answer["results"]] == ["alice", "alina"]
    assert _labels(_pick(alice_client, "people", q="berg")) == ["Alina Berg (alina)"]
    assert answer["results"][0] == {
        "id": alice.pk,
        "username": "alice",
        "label": "Alice (alice)",
    }


def test_teams_within_visibility(alice_client, carol_client, team, other_team, lab):
    assert _labels(_pick(alice_client, "teams")) == ["Elsewhere", "Risk"]
    assert _labels(_pick(carol_client, "teams")) == ["Elsewhere", "Lab", "Risk"]
    assert _pick(alice_client, "teams", q="ris")["results"][0]["slug"] == "risk"


def test_incidents_within_visibility_by_product_and_number(alice_client, product, lab):
    drift = IncidentFactory(product=product, title="Score drift")
    IncidentFactory(product=ProductFactory(team=product.team), title="Other drift")
    assert _labels(_pick(alice_client, "incidents", q="secret")) == []
    assert _pick(alice_client, "incidents", product="secret-fraud")["results"] == []
    mine = _pick(alice_client, "incidents", q="drift", product="fraud-score")
    assert [row["id"] for row in mine["results"]] == [drift.pk]
    assert mine["results"][0]["label"].startswith(f"#{drift.pk} Score drift · SEV3")
    by_number = _pick(alice_client, "incidents", q=f"#{drift.pk}")
    assert drift.pk in [row["id"] for row in by_number["results"]]


# --- pages: a bounded number of <option>s at any size --------------------------------


@pytest.fixture
def thousand_products(team):
    Product.objects.bulk_create(
        _product(f"Scale product {i:04}", f"scale-{i:04}", team) for i in range(1000)
    )


def _options(html: str) -> int:
    return len(re.findall(r"<option\b", html))


def _page(client, url: str) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode(), len(queries)


PAGES = [
    "/incidents/",
    "/incidents/?product=fraud-score&team=risk",
    "/incidents/inbox/",
    "/postmortems/",
    "/postmortems/?product=fraud-score",
    "/postmortems/library/?q=drift",
    "/postmortems/new/",
    "/products/?team=risk&owner=alice",
    "/incidents/new/",
    "/insights/",
    "/reports/portfolio/",
    "/action-items/",
    "/products/fraud-score/contracts/",
]


@pytest.mark.parametrize("url", PAGES)
def test_pages_render_few_options_with_a_thousand_products(
    alice_client, product, thousand_products, url
):
    html, _ = _page(alice_client, url)
    assert _options(html) < 60
    if not url.startswith("/reports/"):  # the portfolio lists the products
        assert "scale-0999" not in html


def test_incident_page_renders_few_options_and_the_same_queries_at_any_size(
    alice_client, product, team
):
    incident = IncidentFactory(product=product)
    small_html, small_queries = _page(alice_client, f"/incidents/{incident.pk}/")
    Product.objects.bulk_create(
        _product(f"Scale product {i:04}", f"scale-{i:04}", team) for i in range(1000)
    )
    html, queries = _page(alice_client, f"/incidents/{incident.pk}/")
    assert _options(html) < 60
    assert "Scale product" not in html
    assert queries == small_queries
    # The change form's product picker shows the incident's product, picked.
    assert 'data-picker="/pick/products/"' in html
    assert "Fraud score (Risk)" in html
    assert len(html) < len(small_html) + 500


def test_incident_list_queries_do_not_grow_with_products(alice_client, product, team):
    IncidentFactory(product=product)
    _, small = _page(alice_client, "/incidents/?product=fraud-score")
    Product.objects.bulk_create(
        _product(f"Scale product {i:04}", f"scale-{i:04}", team) for i in range(1000)
    )
    _, large = _page(alice_client, "/incidents/?product=fraud-score")
    assert large == small


# --- forms: picked ids accepted, unknown or invisible ones refused -------------------


def test_an_incident_is_reported_on_a_picked_product(alice_client, product):
    response = alice_client.post(
        "/incidents/new/",
        {
            "title": "Scores drifting",
            "product": product.pk,
            "kind": "drift",
            "severity": "sev3",
            "started_at": "2026-01-01T10:00",
        },
    )
    assert response.status_code == 302
    assert product.incidents.get().title == "Scores drifting"


@pytest.mark.parametrize("bad", ["secret", "unknown", "abc", "9" * 30, "-5"])
def test_reporting_on_a_product_not_on_offer_is_a_form_error(
    alice_client, product, lab, bad
):
    secret = Product.objects.get(slug="secret-fraud")
    value = {"secret": secret.pk, "unknown": 987654321}.get(bad, bad)
    response = alice_client.post(
        "/incidents/new/",
        {
            "title": "Scores drifting",
            "product": value,
            "kind": "drift",
            "severity": "sev3",
            "started_at": "2026-01-01T10:00",
        },
    )
    assert response.status_code == 200
    assert b"Select a valid choice" in response.content
    assert b"Secret fraud" not in response.content
    assert not product.incidents.exists()


def test_a_filter_naming_a_private_product_is_refused_without_leaking(
    alice_client, product, lab
):
    response = alice_client.get("/incidents/", {"product": "secret-fraud"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Select a valid choice" in html
    assert "Secret fraud" not in html
    response = alice_client.get("/products/", {"team": "lab"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_a_filter_shows_the_picked_products_label(alice_client, product):
    html = alice_client.get("/incidents/", {"product": "fraud-score"}).content.decode()
    assert 'name="product" value="fraud-score"' in html
    assert (
        '<span class="picker-chip" data-value="fraud-score">Fraud score</span>' in html
    )


def test_owner_filter_picks_a_person_by_username(alice_client, product):
    html = alice_client.get("/products/", {"owner": "alice"}).content.decode()
    assert 'data-picker="/pick/people/" data-value-key="username"' in html
    assert "Fraud score" in html


# --- lists: paged, in a stable order ----------------------------------------------


def test_products_tied_on_the_order_are_paged_by_id(alice_api, team):
    Product.objects.bulk_create(
        _product("Same name", f"same-{i:02}", team) for i in range(30)
    )
    for ordering in ("stage", "-name", ""):
        seen = []
        for page in (1, 2, 3):
            response = alice_api.get(
                "/api/v1/products/",
                {"ordering": ordering, "page_size": 10, "page": page},
            )
            assert response.status_code == 200
            seen += [row["slug"] for row in response.json()["results"]]
        assert seen == [f"same-{i:02}" for i in range(30)], ordering


def test_a_teams_page_pages_its_products_and_members(alice_client, team):
    Product.objects.bulk_create(
        _product(f"Model {i:02}", f"model-{i:02}", team) for i in range(60)
    )
    html = alice_client.get("/accounts/teams/risk/").content.decode()
    assert "Model 49" in html and "Model 50" not in html
    assert 'href="?products_page=2"' in html
    assert "Page 1 of 2 · 60 in all" in html
    html = alice_client.get(
        "/accounts/teams/risk/", {"products_page": "2", "members_page": "9"}
    ).content.decode()
    assert "Model 50" in html and "Model 49" not in html
    assert "@alice" in html and "@bob" in html  # one page of members: the last


def test_the_teams_list_is_paged(alice_client, team):
    for i in range(55):
        TeamFactory(name=f"Squad {i:02}", slug=f"squad-{i:02}")
    html = alice_client.get("/accounts/teams/").content.decode()
    assert "Risk" in html and "Squad 48" in html and "Squad 49" not in html
    assert "Page 1 of 2 · 56 in all" in html
    html = alice_client.get("/accounts/teams/", {"page": "2"}).content.decode()
    assert "Squad 49" in html and "Squad 54" in html and "Squad 48" not in html


def test_contract_form_renders_few_options_with_a_thousand_products(
    alice_client, product, thousand_products
):
    # Its owner team and its provider are picked by searching.
    source = FeatureFactory(product=product)
    html, _ = _page(
        alice_client, f"/products/fraud-score/contracts/sources/{source.pk}/"
    )
    assert _options(html) < 60
    assert "scale-0999" not in html
    assert 'data-picker="/pick/teams/"' in html
    assert 'data-picker="/pick/products/"' in html
