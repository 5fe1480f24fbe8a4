"""Searching rows by their text, as people type: full text on PostgreSQL, a
plain substring search elsewhere (docs/search.md).

On PostgreSQL each word typed is a prefix ("fra" finds "fraud"), stemmed by
the configuration, every word must match, and rows come best first
(`SearchRank`). The vector is `search_vector(fields, config)`: the very
expression the GIN indexes of tracker.search's migration are built on, so the
planner uses them. On SQLite (`make run`) every word must appear in one of the
fields, case-insensitively, and rows keep their order.

Only the words reach the database: punctuation, NUL and tsquery operators are
dropped, so no input can make a query fail.
"""

import operator
import re
from collections.abc import Sequence
from functools import reduce

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import F, Q, QuerySet, Value
from django.db.models.expressions import Combinable

from tracker.lib.aggregates import in_subquery

# At most this many words of a search are used; the rest are ignored.
MAX_WORDS = 8
# A word longer than this is cut (a tsquery lexeme is at most 2 KB).
MAX_WORD = 60

_WORD = re.compile(r"[^\W_]+")


def search_words(text: str) -> list[str]:
    """The words of `text` that take part in a search (letters and digits)."""
    return [word[:MAX_WORD] for word in _WORD.findall(text or "")][:MAX_WORDS]


def search_vector(fields: Sequence[str], config: str) -> SearchVector:
    """The document searched: the fields, in order, in one configuration."""
    return SearchVector(*fields, config=config)


def prefix_query(words: Sequence[str], config: str) -> SearchQuery:
    """Every word as a prefix: `fra & scor` matches "fraud score"."""
    raw = " & ".join(f"{word}:*" for word in words)
    return SearchQuery(raw, search_type="raw", config=config)


def text_search(
    queryset: QuerySet,
    text: str,
    *,
    fields: Sequence[str],
    config: str = "english",
    vector: Combinable | None = None,
    window: int | None = None,
    ranked_from: QuerySet | None = None,
) -> QuerySet:
    """The rows of `queryset` matching every word of `text`, annotated with
    `rank` (0 off PostgreSQL) and, on PostgreSQL, ordered by it, best first,
    then by id. `vector` is a stored vector to search instead of
    `search_vector(fields, config)` (the postmortems'); `fields` are still
    what the substring search reads. `window` ranks only that many of the
    matches (those the index gives first, in no particular order): the rank
    recomputes the vector of each row it ranks, which for a word in 100,000
    rows takes seconds. `ranked_from` is what the window's rows are then read
    from (the queryset's columns and relations without its filters, which the
    window has applied already); by default the queryset itself. No words: the
    queryset unchanged."""
    words = search_words(text)
    if not words:
        return queryset
    if connection.vendor == "postgresql":
        document = vector if vector is not None else search_vector(fields, config)
        query = prefix_query(words, config)
        matches = queryset.alias(search_document=document)
        if window:
            # No order: an ORDER BY would let the planner walk an index of the
            # order and test every row's vector until it has enough.
            some = matches.filter(search_document=query).order_by().values("pk")
            # The window computed once, its rows then fetched by primary key,
            # not joined with every row the reader may read (in_subquery).
            rows = queryset if ranked_from is None else ranked_from
            matches = rows.alias(search_document=document).filter(
                in_subquery("pk", some[:window])
            )
        else:
            matches = matches.filter(search_document=query)
        return matches.annotate(rank=SearchRank(F("search_document"), query)).order_by(
            "-rank", "-pk"
        )
    every_word = [
        reduce(operator.or_, (Q(**{f"{field}__icontains": word}) for field in fields))
        for word in words
    ]
    return queryset.filter(*every_word).annotate(rank=Value(0.0))
