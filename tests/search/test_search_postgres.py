"""The global search on PostgreSQL: prefixes, stemming, ranking, and each
kind's query using its GIN index (tracker.search migration 0001)."""

import pytest
from django.db import connection, transaction
from django.utils.timezone import now

from tests.factories import IncidentFactory, staff_reader
from tracker.accounts.models import User
from tracker.incidents.models import Incident
from tracker.lib.search import text_search
from tracker.postmortems.models import ActionItem, Postmortem
from tracker.postmortems.services.common import search_refresh
from tracker.products.models import Product
from tracker.search.selectors import KINDS, global_search

pytestmark = pytest.mark.postgres

INDEXES = {
    "products": "product_search_idx",
    "incidents": "incident_search_idx",
    "action_items": "actionitem_search_idx",
    "people": "user_search_idx",
}


def _titles(user, text, kind):
    return [
        hit.title
        for hit in global_search(user=user, text=text, kinds=[kind]).groups[0].hits
    ]


def test_the_start_of_a_word_and_other_forms_of_it_match(world, alice):
    assert _titles(alice, "fra sco", "products") == ["Fraud score"]
    assert _titles(alice, "spikes", "incidents") == ["Open fraud scores spiking"]
    assert _titles(alice, "latenc", "action_items") == ["Open fraud alert on latency"]
    assert _titles(alice, "quin", "people") == ["Fraser Quinn"]
    assert _titles(alice, "raud", "products") == []  # a word's start, not its middle


def test_better_matches_come_first(product, alice):
    IncidentFactory(product=product, title="Payments slow", description="drift seen")
    IncidentFactory(product=product, title="Drift in scores, drift everywhere")
    assert _titles(alice, "drift", "incidents") == [
        "Drift in scores, drift everywhere",
        "Payments slow",
    ]


@pytest.mark.parametrize("text", ["fraud & !", "a:* | b", "'));--", "\x00fraud", "()"])
def test_operators_and_punctuation_are_only_words(world, alice, text):
    results = global_search(user=alice, text=text)
    assert [group.kind for group in results.groups] == [kind.key for kind in KINDS]


def _many_other_rows(product, session, count=2000) -> None:
    """Rows that do not match, so that the planner prefers a selective index
    to reading the table."""
    words = [f"unrelated row {n}" for n in range(count)]
    Product.objects.bulk_create(
        Product(name=w, slug=f"other-{n}", team=product.team, stage_entered_at=now())
        for n, w in enumerate(words)
    )
    Incident.objects.bulk_create(
        Incident(product=product, title=w, started_at=now(), detected_at=now())
        for w in words
    )
    Postmortem.objects.bulk_create(Postmortem(product=product, title=w) for w in words)
    ActionItem.objects.bulk_create(
        ActionItem(session=session, description=w, kind="detect") for w in words
    )
    User.objects.bulk_create(User(username=f"other{n}") for n in range(count))
    search_refresh(Postmortem.objects.all())
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


# The kinds searched through an expression index, which only serves a query
# that spells the very same expression. Postmortems search their stored
# search_vector column, which any query on it can use; under the ranking window's
# LIMIT the planner may rightly prefer walking the key when matches look common,
# so a plan of theirs proves nothing either way.
EXPRESSION_KINDS = [kind for kind in KINDS if kind.key != "postmortems"]


@pytest.mark.parametrize("kind", EXPRESSION_KINDS, ids=lambda kind: kind.key)
def test_each_kind_searches_through_its_gin_index(world, kind):
    """With sequential and plain index scans off, a bitmap scan of a matching
    index is the cheap way: its name in the plan proves the expression in the
    query is the indexed one."""
    incident, _postmortem, item = world
    _many_other_rows(incident.product, item.session)
    rows = kind.search(staff_reader(), "fraud")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        plan = rows.explain()
    assert INDEXES[kind.key] in plan, plan


def test_only_a_window_of_the_matches_is_ranked(product):
    for n in range(4):
        IncidentFactory(product=product, title=f"Drift {n}")
    rows = Incident.objects.all()
    assert text_search(rows, "drift", fields=["title"]).count() == 4
    assert text_search(rows, "drift", fields=["title"], window=3).count() == 3
