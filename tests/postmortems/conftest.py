"""Fixtures for the postmortems tests: a resolved incident with a real timeline
(written through the incidents services), postmortems at each step of the
workflow, and helpers that fill what publishing needs."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import UserFactory
from tracker.incidents.services.incidents import (
    incident_acknowledge,
    incident_open,
    incident_resolve,
)
from tracker.postmortems.models import SECTIONS, Status
from tracker.postmortems.services.action_items import action_item_create
from tracker.postmortems.services.parts import factor_add
from tracker.postmortems.services.writeup import (
    postmortem_create,
    postmortem_transition,
    postmortem_update,
)

FILLED = {
    section.key: f"The {section.title.lower()}, described." for section in SECTIONS
}


@pytest.fixture
def dave(db, team):
    """A second reviewer-to-be on alice's team (not an author)."""
    return UserFactory(username="dave", first_name="Dave")


def resolved_incident(product, actor, *, severity="sev2", hours_ago=30, title=None):
    """An incident opened, acknowledged and resolved through the services."""
    start = timezone.now() - timedelta(hours=hours_ago)
    incident = incident_open(
        actor=None,
        source="alertmanager",
        now=start + timedelta(minutes=12),
        data={
            "product": product,
            "title": title or "Scores drifting",
            "severity": severity,
            "kind": "drift",
            "started_at": start,
        },
    )
    incident_acknowledge(
        incident=incident, actor=actor, at=start + timedelta(minutes=20)
    )
    incident_resolve(
        incident=incident,
        actor=actor,
        at=start + timedelta(hours=2),
        note="Rolled back.",
    )
    incident.refresh_from_db()
    return incident


@pytest.fixture
def incident(product, bob):
    return resolved_incident(product, bob)


@pytest.fixture
def postmortem(incident, alice):
    """A draft written by alice, covering `incident`."""
    return postmortem_create(
        product=incident.product,
        actor=alice,
        data={"title": "Drift after retraining", "incidents": [incident]},
    )


def make_ready(postmortem, *, author, reviewer):
    """Everything publishing needs except the review itself."""
    postmortem_update(
        postmortem=postmortem,
        actor=author,
        data={**FILLED, "reviewers": [reviewer]},
    )
    action_item_create(
        actor=author,
        postmortem=postmortem,
        data={
            "description": "Alert on input null rates",
            "kind": "detect",
            "owner": author,
            "due_date": timezone.localdate() + timedelta(days=14),
        },
    )
    return postmortem


def move(postmortem, actor, status, reason=""):
    return postmortem_transition(
        postmortem=postmortem, actor=actor, status=status, reason=reason
    )


def publish(incident, alice, bob, *, factor=None):
    """A postmortem covering `incident`, written by alice, reviewed by bob and
    published (with `factor` among its contributing factors, if given)."""
    postmortem = postmortem_create(
        product=incident.product,
        actor=alice,
        data={"title": "Earlier", "incidents": [incident], "lessons": "Pin schemas."},
    )
    make_ready(postmortem, author=alice, reviewer=bob)
    if factor:
        factor_add(postmortem=postmortem, actor=alice, data=factor)
    move(postmortem, alice, Status.IN_REVIEW)
    move(postmortem, bob, Status.REVIEWED)
    move(postmortem, alice, Status.PUBLISHED)
    return postmortem


@pytest.fixture
def reviewed(postmortem, alice, bob):
    """Ready and reviewed by bob: one step from published."""
    make_ready(postmortem, author=alice, reviewer=bob)
    move(postmortem, alice, Status.IN_REVIEW)
    move(postmortem, bob, Status.REVIEWED)
    return postmortem


@pytest.fixture
def published(reviewed, alice):
    move(reviewed, alice, Status.PUBLISHED)
    return reviewed
