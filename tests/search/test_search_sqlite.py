"""Off PostgreSQL (SQLite, as `make run` uses) the search is a substring
search: every word somewhere in the fields, in any case."""

import pytest
from django.db import connection

from tracker.search.selectors import global_search


@pytest.fixture(autouse=True)
def _not_postgres():
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL searches with full text (test_search_postgres.py)")


def _titles(user, text, kind):
    return [
        hit.title
        for hit in global_search(user=user, text=text, kinds=[kind]).groups[0].hits
    ]


def test_every_word_anywhere_in_any_case(world, alice):
    assert _titles(alice, "RAUD", "products") == ["Fraud score"]  # inside a word
    assert _titles(alice, "doubled fraud", "incidents") == ["Open fraud scores spiking"]
    assert _titles(alice, "uinn", "people") == ["Fraser Quinn"]
    assert _titles(alice, "fraud zeppelin", "action_items") == []


def test_punctuation_is_not_searched(world, alice):
    assert _titles(alice, "%fraud_", "products") == ["Fraud score"]
