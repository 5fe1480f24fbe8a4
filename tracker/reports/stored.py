"""Stored figures: report figures that add up the whole organisation.

The portfolio's summaries (its team summaries, attention list and totals,
added up from every product's standing, and the period's figures:
incidents and median time to resolve per month, postmortem completion,
recurrences, action items done on time) and the insights read every product
and a year of incidents, postmortems and action items: their cost grew with
the organisation, and medians do not add up from stored parts. So the
figures are kept whole (`StoredFigures`), one row per report, filters,
period and set of products the reader may read (`_key`):

- a page asks `stored()`: a row computed less than REFRESH_EVERY ago is read
  as it is; an older one is read too, and a task computes it again (the next
  request reads the new figures); with no row, the figures are computed in
  the request, exactly as before, and kept;
- the page says when its figures were computed ("as of"), as it does for the
  standings; the API has `as_of` / `period_as_of`;
- readers who may read the same products share the row: the key holds the
  products hidden from the reader (tracker.products.selectors), so a reader
  never sees figures over a product they may not read, nor misses one;
- rows nobody asked for in KEEP are deleted (beat, hourly).

Each report registers its Kind (the portfolio's in selectors/overview.py, the
insights' in tracker/insights/stored.py). A CI token reading the reports gets
figures computed for its request (the refresh task re-reads the reader, and
a token is not a person); people share the stored ones.
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from tracker.accounts.models import User
from tracker.accounts.selectors import Reader, sees_everything
from tracker.lib.periods import Period, period_get
from tracker.lib.tasks import enqueue_on_commit
from tracker.products.selectors import products_hidden_from
from tracker.reports.models import StoredFigures

# As often as beat refreshes the products' standings (reports.tasks).
REFRESH_EVERY = timedelta(minutes=5)
KEEP = timedelta(days=1)
# name → Kind: each registers its own (the portfolio's in
# selectors/overview.py, the insights' from tracker/insights/apps.py).
KINDS: dict[str, "Kind"] = {}


@dataclass(frozen=True)
class Kind:
    """A report whose figures are stored: how to compute them for a reader and
    the report's parameters (filters and period, as strings), and how they are
    written to and read from JSON."""

    name: str
    compute: Callable[[Reader, dict], Any]
    encode: Callable[[Any], dict]
    decode: Callable[[dict], Any]
    # Raised when the stored JSON changes shape: rows of an older shape are
    # then never read (their key differs) and age out.
    version: int = 1


@dataclass(frozen=True)
class Stored:
    figures: Any
    as_of: datetime  # when they were computed


def register(kind: Kind) -> Kind:
    KINDS[kind.name] = kind
    return kind


def period_of(params: dict) -> Period:
    """The period the parameters name (the default one without)."""
    return period_get(params.get("period") or None)


def _visibility(user: Reader) -> str:
    """What decides which products `user` may read: everything, or every
    product but these (the figures are the same for readers who share it)."""
    if sees_everything(user):
        return "*"
    hidden = products_hidden_from(user).order_by("pk").values_list("pk", flat=True)
    return ",".join(map(str, hidden))


def _key(kind: Kind, params: dict, user: Reader) -> str:
    """The report, its filters, the period's dates (the rolling year moves every
    day) and the reader's visibility, as one digest."""
    period = period_of(params)
    material = [
        kind.name,
        kind.version,
        sorted(params.items()),
        period.start.isoformat(),
        period.end.isoformat(),
        _visibility(user),
    ]
    return hashlib.sha256(json.dumps(material).encode()).hexdigest()


def _keep(kind: Kind, key: str, data: dict, computed_at: datetime) -> None:
    StoredFigures.objects.update_or_create(
        report=kind.name,
        key=key,
        defaults={"figures": data, "computed_at": computed_at},
    )


def stored(kind: Kind, *, user: Reader, params: dict) -> Stored:
    """`kind`'s figures for `user` and `params`: the stored ones (queued to be
    computed again when older than REFRESH_EVERY), else computed now and kept
    once the request's transaction (a read-only snapshot) has ended."""
    now = timezone.now()
    if not isinstance(user, User):
        return Stored(kind.compute(user, params), now)
    key = _key(kind, params, user)
    row = (
        StoredFigures.objects.filter(report=kind.name, key=key)
        .values_list("figures", "computed_at")
        .first()
    )
    if row is None:
        figures = kind.compute(user, params)
        transaction.on_commit(partial(_keep, kind, key, kind.encode(figures), now))
        return Stored(figures, now)
    data, computed_at = row
    if computed_at <= now - REFRESH_EVERY:
        enqueue_on_commit(stored_figures_refresh, kind.name, params, user.pk)
    return Stored(kind.decode(data), computed_at)


@shared_task
def stored_figures_refresh(name: str, params: dict, user_id: int) -> bool:
    """Queued by stored() when the figures it read were old (a task defined
    here, not in tasks.py, which reaches the pages' modules that import us)."""
    return refresh(name, params, user_id)


def refresh(name: str, params: dict, user_id: int) -> bool:
    """Compute `name`'s figures for the reader and parameters a page asked for,
    unless someone did since (True: computed). A reader gone or deactivated
    has nothing computed; their row ages out."""
    kind = KINDS[name]
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    key = _key(kind, params, user)
    now = timezone.now()
    fresh = StoredFigures.objects.filter(
        report=kind.name, key=key, computed_at__gt=now - REFRESH_EVERY
    )
    if fresh.exists():
        return False
    _keep(kind, key, kind.encode(kind.compute(user, params)), now)
    return True


def purge(now: datetime | None = None) -> int:
    """Delete the figures nobody asked for in KEEP."""
    cutoff = (now or timezone.now()) - KEEP
    return StoredFigures.objects.filter(computed_at__lt=cutoff).delete()[0]


def seconds(value: timedelta | None) -> float | None:
    return None if value is None else value.total_seconds()


def delta(value: float | None) -> timedelta | None:
    return None if value is None else timedelta(seconds=value)
