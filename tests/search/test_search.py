"""The global search: grouped by kind, within the reader's visibility, a few
of each kind with "more" links, the same over the API, and a fixed number of
statements whatever the size of the organisation."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import IncidentFactory, ProductFactory, UserFactory
from tests.search.conftest import fraud_world
from tracker.search.selectors import PER_KIND, global_search


def _titles(results) -> dict[str, list[str]]:
    return {group.kind: [hit.title for hit in group.hits] for group in results.groups}


def test_results_are_grouped_by_kind(world, alice):
    results = _titles(global_search(user=alice, text="fraud"))
    assert results == {
        "products": ["Fraud score"],
        "incidents": ["Open fraud scores spiking"],
        "postmortems": ["Open fraud spike"],
        "action_items": ["Open fraud alert on latency"],
        "people": [],
    }
    people = _titles(global_search(user=alice, text="fras", kinds=["people"]))
    assert people == {"people": ["Fraser Quinn"]}


def test_every_word_must_match(world, alice):
    results = _titles(global_search(user=alice, text="fraud latency"))
    assert results["action_items"] == ["Open fraud alert on latency"]
    assert results["incidents"] == ["Open fraud scores spiking"]  # its description
    assert results["products"] == []
    assert _titles(global_search(user=alice, text="zeppelin")) == {
        "products": [],
        "incidents": [],
        "postmortems": [],
        "action_items": [],
        "people": [],
    }


def test_a_private_team_s_things_never_appear_to_outsiders(hidden, carol, alice):
    seen_by_carol = _titles(global_search(user=carol, text="secret"))
    assert seen_by_carol == {
        "products": [],
        "incidents": [],
        "postmortems": [],
        "action_items": [],
        "people": [],
    }
    # alice reads her own team's things, not the private team's
    assert all(
        not title.startswith("Secret")
        for titles in _titles(global_search(user=alice, text="fraud")).values()
        for title in titles
    )
    grace = hidden[1].authors.get()
    seen_by_grace = _titles(global_search(user=grace, text="secret"))
    assert seen_by_grace["products"] == ["Secret fraud"]
    assert seen_by_grace["incidents"] == ["Secret fraud scores spiking"]
    assert seen_by_grace["postmortems"] == ["Secret fraud spike"]
    assert seen_by_grace["action_items"] == ["Secret fraud alert on latency"]


def test_a_few_of_each_kind_with_a_link_to_more(product, alice):
    for n in range(PER_KIND + 2):
        IncidentFactory(product=product, title=f"Drift number {n}")
    group = global_search(user=alice, text="drift").groups[1]
    assert (group.kind, len(group.hits), group.more) == ("incidents", PER_KIND, True)
    assert group.more_url == "/incidents/?q=drift"
    alone = global_search(user=alice, text="drift", kinds=["incidents"]).groups
    assert (len(alone), len(alone[0].hits), alone[0].more) == (1, PER_KIND + 2, False)


def test_the_page_lists_the_groups_and_their_links(world, alice_client):
    response = alice_client.get("/search/", {"q": "fraud"})
    assert response.status_code == 200
    page = response.content.decode()
    for heading in ("Products", "Incidents", "Postmortems", "Action items"):
        assert f">{heading}</h2>" in page
    assert ">People</h2>" not in page  # no match: no empty group
    assert 'href="/products/fraud-score/"' in page
    assert "Nothing you may read matches" not in page
    nothing = alice_client.get("/search/", {"q": "zeppelin"}).content.decode()
    assert "Nothing you may read matches “zeppelin”" in nothing


def test_every_signed_in_page_has_the_search_box(alice_client, product):
    page = alice_client.get("/products/").content.decode()
    assert 'action="/search/"' in page
    assert 'aria-keyshortcuts="/"' in page


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"q": ""}, "q", "Type something to search for."),
        ({"q": "x" * 201}, "q", "at most 200 characters"),
        ({"q": "fraud", "kind": "planets"}, "kind", "Select a valid choice"),
    ],
)
def test_bad_input_is_a_400_with_the_field_s_message(
    alice_client, alice_api, db, params, field, message
):
    page = alice_client.get("/search/", params)
    assert page.status_code == 400
    assert message in page.content.decode()
    answer = alice_api.get("/api/v1/search/", params)
    assert answer.status_code == 400
    assert message in " ".join(answer.json()["error"]["fields"][field])


def test_the_api_answers_grouped_results(world, alice_api):
    answer = alice_api.get("/api/v1/search/", {"q": "fraud"})
    assert answer.status_code == 200
    body = answer.json()
    assert body["q"] == "fraud"
    products = body["groups"][0]
    assert products["kind"] == "products"
    assert products["results"] == [
        {
            "key": "fraud-score",
            "title": "Fraud score",
            "detail": "Risk · Proposed",
            "html_url": "http://testserver/products/fraud-score/",
        }
    ]
    assert products["more"] is False
    assert products["more_url"] == "http://testserver/products/?q=fraud"


def test_the_api_hides_private_things_and_needs_a_sign_in(hidden, carol_api, anon):
    answer = carol_api.get("/api/v1/search/", {"q": "secret"})
    assert [g["results"] for g in answer.json()["groups"]] == [[]] * 5
    assert anon.get("/api/v1/search/", {"q": "secret"}).status_code == 401


def _statements(client, text: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/search/", {"q": text}).status_code == 200
    return len(queries)


def test_the_number_of_statements_does_not_grow_with_the_organisation(
    world, alice, alice_client
):
    small = _statements(alice_client, "fraud")
    for n in range(3 * PER_KIND):
        product = ProductFactory(name=f"Fraud {n}", team=world[0].product.team)
        fraud_world(product, alice, prefix=f"More {n}")
        UserFactory(username=f"fraud{n}")
    assert _statements(alice_client, "fraud") == small
    # one statement per kind, plus the session, the user and the header's
    # count of unread notifications
    assert small == 5 + 3
