"""Writes: creating postmortems (also from an incident), the prefilled
timeline and its durations, keeping warnings in step with the text, factors,
KPI impacts and action items, with the rules the database enforces."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests.factories import MetricFactory, ProductFactory, SessionFactory
from tests.postmortems.conftest import resolved_incident
from tracker.incidents.services.incidents import incident_note_add, incident_open
from tracker.postmortems.models import (
    ActionItem,
    ActionStatus,
    BlamelessWarning,
    EventKind,
    MomentKind,
    Postmortem,
    Status,
    TimelineEvent,
)
from tracker.postmortems.selectors.page import postmortem_page, timeline
from tracker.postmortems.services.action_items import (
    action_item_create,
    action_item_set_status,
)
from tracker.postmortems.services.parts import (
    factor_add,
    factor_delete,
    impact_add,
    moment_add,
    moment_update,
    timeline_prefill,
)
from tracker.postmortems.services.warnings import warning_accept
from tracker.postmortems.services.writeup import (
    postmortem_create,
    postmortem_from_incident,
    postmortem_update,
)

# --- Creating -----------------------------------------------------------------------


def test_create_starts_a_draft_written_by_the_actor(postmortem, alice, incident):
    assert postmortem.status == Status.DRAFT
    assert list(postmortem.authors.all()) == [alice]
    assert list(postmortem.incidents.all()) == [incident]
    [event] = postmortem.events.all()
    assert (event.kind, event.new_status, event.actor) == (
        EventKind.CREATED,
        Status.DRAFT,
        alice,
    )


def test_create_needs_an_incident_of_the_same_product(product, alice, other_team):
    elsewhere = resolved_incident(ProductFactory(team=other_team), alice)
    for incidents_ in ([], [elsewhere]):
        with pytest.raises(ValidationError) as refused:
            postmortem_create(
                product=product,
                actor=alice,
                data={"title": "x", "incidents": incidents_},
            )
        assert "incidents" in refused.value.message_dict
    assert not Postmortem.objects.exists()


def test_from_incident_creates_a_draft_with_timeline_and_links(incident, alice):
    postmortem, created = postmortem_from_incident(incident=incident, actor=alice)
    assert created
    assert postmortem.product == incident.product
    assert postmortem.title == incident.title
    assert list(postmortem.incidents.all()) == [incident]
    assert f"/incidents/{incident.pk}/" in postmortem.links
    assert postmortem.timeline.count() == 4  # started, opened, acknowledged, resolved


def test_from_incident_twice_opens_the_same_draft(incident, alice, bob):
    first, _ = postmortem_from_incident(incident=incident, actor=alice)
    again, created = postmortem_from_incident(incident=incident, actor=bob)
    assert (again, created) == (first, False)
    assert Postmortem.objects.count() == 1


def test_from_an_untriaged_incident_is_refused(alice, team):
    incident = incident_open(actor=alice, data={"title": "No product"})
    with pytest.raises(ValidationError):
        postmortem_from_incident(incident=incident, actor=alice)


# --- Timeline -----------------------------------------------------------------------


def test_prefill_copies_the_incident_timeline(postmortem, incident, bob):
    incident_note_add(incident=incident, actor=bob, text="Feature was null.")
    timeline_prefill(postmortem=postmortem)
    moments = timeline(postmortem=postmortem)
    assert [m.kind for m in moments] == [
        MomentKind.STARTED,
        MomentKind.DETECTED,
        MomentKind.ACKNOWLEDGED,
        MomentKind.RESOLVED,
        MomentKind.NOTE,
    ]
    assert moments[0].at == incident.started_at
    assert "Alertmanager opened incident" in moments[1].description
    assert "Bob acknowledged" in moments[2].description
    assert "Rolled back." in moments[3].description
    assert "Feature was null." in moments[4].description
    assert all(m.incident == incident for m in moments)


def test_prefill_is_idempotent_and_restores_deleted_moments(postmortem):
    count = postmortem.timeline.count()
    assert timeline_prefill(postmortem=postmortem) == 0
    postmortem.timeline.filter(kind=MomentKind.ACKNOWLEDGED).delete()
    assert timeline_prefill(postmortem=postmortem) == 1
    assert postmortem.timeline.count() == count


def test_attaching_another_incident_adds_its_timeline(postmortem, product, alice, bob):
    second = resolved_incident(product, bob, hours_ago=10, title="Second wave")
    before = postmortem.timeline.count()
    postmortem_update(
        postmortem=postmortem,
        actor=alice,
        data={"incidents": [*postmortem.incidents.all(), second]},
    )
    assert postmortem.timeline.filter(incident=second).count() == 4
    assert postmortem.timeline.count() == before + 4


def test_durations_from_the_timeline(postmortem, incident, alice):
    page = postmortem_page(postmortem=postmortem, now=timezone.now())
    assert page.durations.time_to_detect == timedelta(minutes=12)
    assert page.durations.time_to_mitigate is None
    assert page.durations.time_to_resolve == timedelta(hours=2)
    moment_add(
        postmortem=postmortem,
        actor=alice,
        data={
            "at": incident.started_at + timedelta(minutes=50),
            "kind": MomentKind.MITIGATED,
            "description": "Fallback rules switched on.",
        },
    )
    # Editing the start moves every duration with it.
    start = postmortem.timeline.get(kind=MomentKind.STARTED)
    moment_update(
        moment=start, actor=alice, data={"at": start.at - timedelta(minutes=10)}
    )
    page = postmortem_page(postmortem=postmortem, now=timezone.now())
    assert page.durations.time_to_detect == timedelta(minutes=22)
    assert page.durations.time_to_mitigate == timedelta(minutes=60)
    assert page.durations.time_to_resolve == timedelta(hours=2, minutes=10)


def test_an_ongoing_incident_has_no_time_to_resolve(product, alice):
    ongoing = incident_open(
        actor=alice, data={"product": product, "title": "Still broken"}
    )
    postmortem = postmortem_create(
        product=product, actor=alice, data={"title": "x", "incidents": [ongoing]}
    )
    page = postmortem_page(postmortem=postmortem, now=timezone.now())
    assert page.durations.time_to_resolve is None
    assert page.durations.time_to_detect is not None


def test_starring_a_moment(postmortem, alice):
    moment = postmortem.timeline.first()
    moment_update(moment=moment, actor=alice, data={"starred": True})
    assert TimelineEvent.objects.get(pk=moment.pk).starred


# --- Warnings -----------------------------------------------------------------------


def test_warnings_follow_the_text_and_keep_their_acceptance(postmortem, alice, bob):
    postmortem_update(
        postmortem=postmortem,
        actor=alice,
        data={"reviewers": [bob], "summary": "Human error. Then blame."},
    )
    warnings = {w.phrase: w for w in postmortem.warnings.all()}
    assert set(warnings) == {"Human error", "blame"}
    warning_accept(warning=warnings["blame"], actor=bob)
    # Text added before it moves the phrase; the acceptance stays with it.
    postmortem_update(
        postmortem=postmortem,
        actor=alice,
        data={"summary": "Context first. Then blame."},
    )
    [kept] = postmortem.warnings.all()
    assert kept.pk == warnings["blame"].pk
    assert kept.accepted_by == bob
    assert kept.offset == len("Context first. Then ")


def test_warnings_in_contributing_factors(postmortem, alice):
    factor = factor_add(
        postmortem=postmortem,
        actor=alice,
        data={"category": "process", "description": "A careless rollout."},
    )
    [warning] = postmortem.warnings.all()
    assert (warning.section, warning.factor, warning.phrase) == (
        "factors",
        factor,
        "careless",
    )
    factor_delete(factor=factor, actor=alice)
    assert not postmortem.warnings.exists()


def test_names_of_people_in_the_tracker_are_recognised(postmortem, alice, bob):
    postmortem_update(
        postmortem=postmortem, actor=alice, data={"trigger": "Bob broke the feed."}
    )
    [warning] = postmortem.warnings.all()
    assert (warning.phrase, warning.rule) == ("Bob", "person")


def test_the_database_keeps_warnings_consistent(postmortem):
    with pytest.raises(IntegrityError), transaction.atomic():
        BlamelessWarning.objects.create(
            postmortem=postmortem, section="factors", phrase="x", rule="blame", offset=0
        )


# --- Factors and KPI impacts --------------------------------------------------------


def test_ml_kinds_qualify_data_model_or_code_factors(postmortem, alice):
    with pytest.raises(ValidationError):
        factor_add(
            postmortem=postmortem,
            actor=alice,
            data={
                "category": "infra",
                "ml_kind": "label_delay",
                "description": "Labels arrive late.",
            },
        )
    factor = factor_add(
        postmortem=postmortem,
        actor=alice,
        data={
            "category": "data",
            "ml_kind": "label_delay",
            "description": "Labels arrive 30 days late.",
        },
    )
    assert factor.get_ml_kind_display() == "Label delay"


def test_kpi_impacts_are_the_products_metrics(postmortem, product, alice):
    kpi = MetricFactory(product=product, name="Approval rate")
    elsewhere = MetricFactory(product=ProductFactory(), name="Other")
    impact = impact_add(
        postmortem=postmortem, actor=alice, metric=kpi, change="-4% for 3 hours"
    )
    assert impact.change == "-4% for 3 hours"
    with pytest.raises(ValidationError):
        impact_add(postmortem=postmortem, actor=alice, metric=elsewhere, change="x")


# --- Action items -------------------------------------------------------------------


def _item(**sources):
    return {"description": "Add a schema check", "kind": "prevent", **sources}


def test_action_items_from_a_planning_session(product, alice):
    session = SessionFactory(product=product)
    item = action_item_create(
        actor=alice,
        session=session,
        data=_item(owner=alice, due_date=timezone.localdate()),
    )
    assert (item.session, item.postmortem, item.status) == (session, None, "open")
    assert list(session.action_items.all()) == [item]


def test_an_action_item_has_exactly_one_source(postmortem, product, alice):
    session = SessionFactory(product=product)
    for sources in ({}, {"postmortem": postmortem, "session": session}):
        with pytest.raises(ValidationError) as refused:
            action_item_create(actor=alice, data=_item(), **sources)
        assert "exactly one" in str(refused.value)


def test_the_database_enforces_one_source(postmortem, product):
    session = SessionFactory(product=product)
    for sources in ({}, {"postmortem": postmortem, "session": session}):
        with pytest.raises(IntegrityError), transaction.atomic():
            ActionItem.objects.create(
                description="x", kind="prevent", status="open", **sources
            )


def test_closing_and_reopening_an_action_item(postmortem, alice):
    item = action_item_create(actor=alice, data=_item(), postmortem=postmortem)
    assert action_item_set_status(item=item, actor=alice, status="done")
    assert item.closed_at is not None
    assert not action_item_set_status(item=item, actor=alice, status="done")
    action_item_set_status(item=item, actor=alice, status="open")
    assert item.closed_at is None


def test_wont_do_needs_a_reason(postmortem, alice):
    item = action_item_create(actor=alice, data=_item(), postmortem=postmortem)
    with pytest.raises(ValidationError) as refused:
        action_item_set_status(item=item, actor=alice, status="wont_do")
    assert "why" in str(refused.value)
    action_item_set_status(
        item=item, actor=alice, status=ActionStatus.WONT_DO, note="Service retired."
    )
    item.refresh_from_db()
    assert (item.status, item.status_note) == ("wont_do", "Service retired.")


def test_an_action_item_clears_the_no_action_items_flag(postmortem, alice):
    postmortem_update(
        postmortem=postmortem, actor=alice, data={"no_action_items": True}
    )
    action_item_create(actor=alice, data=_item(), postmortem=postmortem)
    postmortem.refresh_from_db()
    assert not postmortem.no_action_items


def test_ticket_links_must_be_http(postmortem, alice):
    with pytest.raises(ValidationError):
        action_item_create(
            actor=alice,
            postmortem=postmortem,
            data=_item(ticket_url="javascript:alert(1)"),
        )
