"""The library's full-text search on PostgreSQL: stemming, ranking, websearch
syntax, the GIN index, and the vector following edits."""

import pytest
from django.db import connection

from tests.factories import staff_reader
from tests.postmortems.conftest import make_ready, move, resolved_incident
from tracker.postmortems.models import Postmortem, Status
from tracker.postmortems.selectors.lists import library_list, library_search
from tracker.postmortems.services.parts import factor_add
from tracker.postmortems.services.writeup import postmortem_create, postmortem_update

pytestmark = pytest.mark.postgres


def _published(product, alice, bob, title, **sections):
    incident = resolved_incident(product, bob, title=title)
    postmortem = postmortem_create(
        product=product, actor=alice, data={"title": title, "incidents": [incident]}
    )
    make_ready(postmortem, author=alice, reviewer=bob)
    postmortem_update(postmortem=postmortem, actor=alice, data=sections)
    move(postmortem, alice, Status.IN_REVIEW)
    move(postmortem, bob, Status.REVIEWED)
    move(postmortem, alice, Status.PUBLISHED)
    return postmortem


def _republished(postmortem, alice, bob, change) -> None:
    """Reopen a published postmortem, `change` it, and publish it again (a
    published one is read-only)."""
    move(postmortem, alice, Status.DRAFT, reason="A finding came late.")
    change()
    for actor, status in (
        (alice, Status.IN_REVIEW),
        (bob, Status.REVIEWED),
        (alice, Status.PUBLISHED),
    ):
        move(postmortem, actor, status)


def _search(text: str) -> list[str]:
    library = library_list(user=staff_reader())
    return [p.title for p in library_search(library, text)]


def test_stemming_finds_other_forms_of_a_word(product, alice, bob):
    _published(
        product,
        alice,
        bob,
        "Stale churn model",
        lessons="Retraining stopped silently when credentials rotated.",
    )
    assert _search("retrained") == ["Stale churn model"]
    assert _search("rotating credential") == ["Stale churn model"]
    assert _search("zeppelin") == []


def test_title_matches_rank_above_matches_in_the_body(product, alice, bob):
    _published(product, alice, bob, "Feature pipeline outage", went_well="drift noted")
    _published(product, alice, bob, "Drift in card scores", went_well="Quick rollback")
    _published(product, alice, bob, "Unrelated", lessons="drift happens; drift again")
    assert _search("drift") == [
        "Drift in card scores",
        "Unrelated",
        "Feature pipeline outage",
    ]


def test_websearch_syntax_and_factors(product, alice, bob):
    schema = _published(product, alice, bob, "Schema rename", summary="A rename.")
    _published(product, alice, bob, "Schema drift", summary="A drift.")
    _republished(
        schema,
        alice,
        bob,
        lambda: factor_add(
            postmortem=schema,
            actor=alice,
            data={
                "category": "data",
                "description": "Upstream payments events changed.",
            },
        ),
    )
    assert _search("schema -drift") == ["Schema rename"]
    assert _search('"payments events"') == ["Schema rename"]


def test_the_vector_follows_edits_after_reopening(product, alice, bob):
    postmortem = _published(product, alice, bob, "Outage", summary="Disk full.")
    assert _search("kafka") == []
    _republished(
        postmortem,
        alice,
        bob,
        lambda: postmortem_update(
            postmortem=postmortem, actor=alice, data={"summary": "Kafka lag grew."}
        ),
    )
    assert _search("kafka") == ["Outage"]


def test_the_search_uses_the_gin_index(product, alice, bob):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = %s",
            ["postmortem_search_gin_idx"],
        )
        [(definition,)] = cursor.fetchall()
    assert "gin (search_vector)" in definition
    _published(product, alice, bob, "Indexed", summary="Something.")
    sql = str(library_search(Postmortem.objects.all(), "something").query)
    assert "search_vector" in sql and "@@" in sql


def test_library_page_searches_with_full_text(alice_client, product, alice, bob):
    _published(product, alice, bob, "Label delay hid the drift", lessons="Labels lag.")
    html = alice_client.get("/postmortems/library/?q=labelled+lagging").content
    assert b"Label delay hid the drift" in html
