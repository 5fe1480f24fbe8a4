"""Reads other apps rely on (reminders, reports) and the permission rules:
set-based, in a fixed number of queries, and correct at the edges."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import ProductFactory, SessionFactory, UserFactory
from tests.postmortems.conftest import make_ready, move, resolved_incident
from tracker.incidents.services.incidents import incident_open
from tracker.postmortems.models import Postmortem, Status
from tracker.postmortems.selectors.access import (
    moves_for,
    user_can_edit_action_item,
    user_can_edit_postmortem,
    user_can_review,
)
from tracker.postmortems.selectors.action_items import (
    action_items_due,
    action_items_for_person,
    action_items_overdue,
    product_action_items,
)
from tracker.postmortems.selectors.deadlines import _resolved_cutoff, add_business_days
from tracker.postmortems.selectors.lists import library_list, library_search
from tracker.postmortems.selectors.reports import (
    postmortem_completion,
    postmortems_stuck_in_draft,
)
from tracker.postmortems.services.action_items import (
    action_item_create,
    action_item_set_status,
)
from tracker.postmortems.services.parts import factor_add
from tracker.postmortems.services.writeup import postmortem_create, postmortem_update

UTC = ZoneInfo("UTC")


def _item(postmortem, owner, due_in_days, status="open"):
    item = action_item_create(
        actor=owner,
        postmortem=postmortem,
        data={
            "description": f"Due in {due_in_days}",
            "kind": "detect",
            "owner": owner,
            "due_date": timezone.localdate() + timedelta(days=due_in_days)
            if due_in_days is not None
            else None,
        },
    )
    if status != "open":
        action_item_set_status(
            item=item, actor=owner, status=status, note="Not needed."
        )
    return item


# --- Action items due and overdue ---------------------------------------------------


def test_due_and_overdue_action_items(postmortem, alice):
    overdue = _item(postmortem, alice, -1)
    today = _item(postmortem, alice, 0)
    soon = _item(postmortem, alice, 3)
    _item(postmortem, alice, 10)  # not due yet
    _item(postmortem, alice, None)  # no date
    _item(postmortem, alice, -5, status="done")  # closed
    _item(postmortem, alice, 1, status="wont_do")  # closed
    now = timezone.now()
    assert list(action_items_overdue(now=now)) == [overdue]
    assert list(action_items_due(now=now, within_days=3)) == [today, soon]
    assert list(action_items_due(now=now, within_days=0)) == [today]


def test_due_selectors_are_one_query_whatever_the_number(postmortem, alice, bob):
    for days in (-3, -2, -1, 1, 2):
        _item(postmortem, alice, days)
        _item(postmortem, bob, days)
    now = timezone.now()
    with CaptureQueriesContext(connection) as queries:
        rows = [
            (item.owner.username, item.postmortem.product.slug)
            for item in action_items_overdue(now=now)
        ]
        rows += [
            (item.owner.username, item.postmortem.product.slug)
            for item in action_items_due(now=now, within_days=7)
        ]
    assert len(rows) == 10
    assert len(queries) == 2


def test_overdue_is_measured_in_the_tracker_time_zone(postmortem, alice, settings):
    settings.TIME_ZONE = "Pacific/Auckland"
    item = _item(postmortem, alice, 0)
    item.due_date = datetime(2026, 3, 10).date()
    item.save()
    # 11:30 UTC on the 10th is already the 11th in Auckland.
    late = datetime(2026, 3, 10, 11, 30, tzinfo=UTC)
    assert list(action_items_overdue(now=late)) == [item]
    early = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    assert list(action_items_overdue(now=early)) == []


# --- Business days and stuck drafts -------------------------------------------------


def test_five_business_days_skip_the_weekend():
    friday = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
    assert add_business_days(friday, 5) == friday + timedelta(days=7)
    saturday = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
    monday = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
    assert add_business_days(saturday, 1) == monday + timedelta(days=1)


def _walked(moment: datetime, days: int) -> datetime:
    """Business days counted one calendar day at a time: the reference."""
    local = timezone.localtime(moment)
    while local.weekday() >= 5:
        local = (local + timedelta(days=1)).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
    while days > 0:
        local += timedelta(days=1)
        if local.weekday() < 5:
            days -= 1
    return local


@pytest.mark.parametrize("zone", ["UTC", "Pacific/Auckland", "America/New_York"])
def test_business_days_are_counted_as_if_walked(zone):
    """Every hour of three weeks across a daylight-saving change, 0 to 12
    business days: the arithmetic lands where walking day by day does."""
    base = datetime(2026, 10, 26, 0, 7, tzinfo=UTC)  # before New York's change
    with timezone.override(zone):
        for hour in range(0, 21 * 24):
            moment = base + timedelta(hours=hour, minutes=hour % 60)
            for days in range(13):
                assert add_business_days(moment, days) == _walked(moment, days), (
                    moment,
                    days,
                )


@pytest.mark.parametrize("days", [1, 2, 5, 7])
def test_the_cutoff_is_the_inverse_of_the_deadline(days):
    """resolved < cutoff(now) ⇔ deadline(resolved) < now, hour by hour over three
    weeks (minutes chosen so no moment falls exactly on a boundary)."""
    base = datetime(2026, 11, 2, 0, 17, tzinfo=UTC)  # a Monday
    moments = [base + timedelta(hours=h, minutes=13 * (h % 3)) for h in range(0, 504)]
    for now in moments[::7]:
        now = now + timedelta(minutes=29)
        cutoff = _resolved_cutoff(now, days)
        for resolved in moments[::5]:
            late = add_business_days(resolved, days) < now
            assert (resolved < cutoff) == late, (resolved, now)


def _draft_for(product, actor, *, severity, resolved_days_ago):
    incident = resolved_incident(
        product, actor, severity=severity, hours_ago=24 * resolved_days_ago + 2
    )
    return postmortem_create(
        product=product, actor=actor, data={"title": severity, "incidents": [incident]}
    )


@time_machine.travel(datetime(2026, 11, 25, 12, 0, tzinfo=UTC))  # a Wednesday
def test_stuck_in_draft(product, alice, bob):
    stuck = _draft_for(product, alice, severity="sev1", resolved_days_ago=8)
    _draft_for(product, alice, severity="sev2", resolved_days_ago=3)  # not yet
    _draft_for(product, alice, severity="sev3", resolved_days_ago=20)  # minor
    moved_on = _draft_for(product, alice, severity="sev2", resolved_days_ago=20)
    make_ready(moved_on, author=alice, reviewer=bob)
    move(moved_on, alice, Status.IN_REVIEW)
    now = timezone.now()
    with CaptureQueriesContext(connection) as queries:
        rows = [(p, p.latest_resolved_at) for p in postmortems_stuck_in_draft(now=now)]
    assert [p for p, _ in rows] == [stuck]
    assert rows[0][1] == stuck.incidents.get().resolved_at
    assert len(queries) == 1


@time_machine.travel(datetime(2026, 11, 25, 12, 0, tzinfo=UTC))
def test_stuck_in_draft_uses_an_explicit_deadline_and_waits_for_resolution(
    product, alice
):
    recent = _draft_for(product, alice, severity="sev2", resolved_days_ago=1)
    postmortem_update(
        postmortem=recent,
        actor=alice,
        data={"review_deadline": timezone.localdate() - timedelta(days=1)},
    )
    ongoing_incident = incident_open(
        actor=alice,
        data={
            "product": product,
            "title": "Ongoing",
            "severity": "sev1",
            "started_at": timezone.now() - timedelta(days=30),
        },
    )
    postmortem_create(
        product=product,
        actor=alice,
        data={"title": "o", "incidents": [ongoing_incident]},
    )
    assert list(postmortems_stuck_in_draft(now=timezone.now())) == [recent]


# --- Completion (reports) -----------------------------------------------------------


def test_postmortem_completion(product, alice, bob, team):
    quiet = ProductFactory(team=team)
    other = ProductFactory(team=team)
    start, end = timezone.now() - timedelta(days=30), timezone.now()
    covered = resolved_incident(product, bob, severity="sev1")
    resolved_incident(product, bob, severity="sev2")  # no postmortem
    resolved_incident(product, bob, severity="sev3")  # not counted
    resolved_incident(product, bob, severity="sev1", hours_ago=24 * 40)  # before
    draft_only = resolved_incident(other, bob, severity="sev2")
    published = postmortem_create(
        product=product, actor=alice, data={"title": "p", "incidents": [covered]}
    )
    make_ready(published, author=alice, reviewer=bob)
    move(published, alice, Status.IN_REVIEW)
    move(published, bob, Status.REVIEWED)
    move(published, alice, Status.PUBLISHED)
    postmortem_create(
        product=other, actor=alice, data={"title": "d", "incidents": [draft_only]}
    )
    with CaptureQueriesContext(connection) as queries:
        result = postmortem_completion([product.pk, quiet.pk, other.pk], start, end)
    assert len(queries) == 1
    assert (result[product.pk].total, result[product.pk].covered) == (2, 1)
    assert result[product.pk].ratio == 0.5
    assert (result[quiet.pk].total, result[quiet.pk].ratio) == (0, None)
    assert (result[other.pk].total, result[other.pk].covered) == (1, 0)


# --- Permissions --------------------------------------------------------------------


def test_who_may_edit(postmortem, alice, bob, carol, other_team):
    stranger = UserFactory(username="stranger")
    assert user_can_edit_postmortem(alice, postmortem)  # author, owner
    assert user_can_edit_postmortem(bob, postmortem)  # team member
    assert not user_can_edit_postmortem(carol, postmortem)
    # An outside reviewer (another team) may edit what they review.
    postmortem_update(postmortem=postmortem, actor=alice, data={"reviewers": [carol]})
    postmortem = Postmortem.objects.get(pk=postmortem.pk)
    assert user_can_edit_postmortem(carol, postmortem)
    assert user_can_review(carol, postmortem)
    assert not user_can_edit_postmortem(stranger, postmortem)


def test_moves_offered(postmortem, alice, bob, carol):
    def moves(user):
        return moves_for(
            postmortem,
            can_edit=user_can_edit_postmortem(user, postmortem),
            can_review=user_can_review(user, postmortem),
        )

    make_ready(postmortem, author=alice, reviewer=bob)
    move(postmortem, alice, Status.IN_REVIEW)
    assert [m.status for m in moves(alice)] == ["draft"]
    assert [m.status for m in moves(bob)] == ["draft", "reviewed"]
    assert moves(carol) == []


def test_action_item_owner_may_update_it(postmortem, alice, carol, other_team):
    item = _item(postmortem, carol, 3)
    assert user_can_edit_action_item(carol, item)
    assert not user_can_edit_postmortem(carol, postmortem)


# --- Summaries ----------------------------------------------------------------------


def test_product_and_person_summaries(postmortem, product, alice, bob):
    session = SessionFactory(product=product)
    _item(postmortem, alice, -2)
    _item(postmortem, bob, 4)
    action_item_create(
        actor=alice,
        session=session,
        data={"description": "From planning", "kind": "process", "owner": alice},
    )
    _item(postmortem, alice, -9, status="done")
    summary = product_action_items(product=product, now=timezone.now())
    assert (summary.open_count, summary.overdue_count) == (3, 1)
    assert [i.description for i in summary.overdue] == ["Due in -2"]
    mine = action_items_for_person(person=alice, viewer=alice, now=timezone.now())
    assert [i.description for i in mine.items] == ["Due in -2", "From planning"]


def test_the_product_card_reads_what_it_shows_in_two_queries(
    postmortem, product, alice, django_assert_num_queries
):
    session = SessionFactory(product=product)
    _item(postmortem, alice, -2)
    action_item_create(
        actor=alice,
        session=session,
        data={"description": "From planning", "kind": "process", "owner": alice},
    )
    with django_assert_num_queries(2):
        summary = product_action_items(product=product, now=timezone.now())
        shown = [
            (i.get_absolute_url(), i.owner.display_name, i.get_kind_display())
            for i in summary.items
        ]
    by_pm, by_session = summary.items
    assert shown[0][0] == f"{postmortem.get_absolute_url()}#action-{by_pm.pk}"
    assert shown[1][0] == f"{session.get_absolute_url()}#action-{by_session.pk}"
    assert {owner for _, owner, _ in shown} == {alice.display_name}


def test_library_search_without_postgres_is_a_substring_search(postmortem, alice, bob):
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL searches with full text (test_search_postgres.py)")
    # Written before it is published: a published postmortem is read-only.
    factor_add(
        postmortem=postmortem,
        actor=alice,
        data={"category": "data", "description": "Upstream schema rename."},
    )
    make_ready(postmortem, author=alice, reviewer=bob)
    move(postmortem, alice, Status.IN_REVIEW)
    move(postmortem, bob, Status.REVIEWED)
    move(postmortem, alice, Status.PUBLISHED)
    published = postmortem
    library = library_list(user=alice)
    assert list(library_search(library, "SCHEMA")) == [published]
    assert list(library_search(library, "lessons learned, described")) == [published]
    assert list(library_search(library, "nothing like this")) == []
    assert list(library_search(library, "  ")) == [published]
