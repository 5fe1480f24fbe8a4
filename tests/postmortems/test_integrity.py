"""Review integrity: what gets published is what a reviewer saw.

A reviewer cannot sign off while a blameless warning is open; any change to a
reviewed postmortem's content sends it back to in review (on its history and
in the audit trail); a published postmortem is read-only for every service
and the API until it is reopened with a reason. Progress on its action items
goes on."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.factories import MetricFactory
from tests.postmortems.conftest import make_ready, move, resolved_incident
from tests.postmortems.test_api import api_as
from tracker.audit.models import AuditEvent
from tracker.postmortems.models import EventKind, Postmortem, Status
from tracker.postmortems.services.action_items import (
    action_item_create,
    action_item_set_status,
    action_item_update,
)
from tracker.postmortems.services.parts import (
    factor_add,
    factor_delete,
    factor_update,
    impact_add,
    impact_remove,
    moment_add,
    moment_delete,
    moment_update,
    timeline_prefill,
)
from tracker.postmortems.services.warnings import warning_accept
from tracker.postmortems.services.writeup import postmortem_update

BLAMING = {
    "summary": "Human error during the deploy.",
    "detection": "Someone should have looked at the dashboard.",
    "went_wrong": "A careless config change.",
}


def _status(postmortem) -> str:
    return Postmortem.objects.get(pk=postmortem.pk).status


def _audited_status_moves(postmortem) -> list[list[str]]:
    events = AuditEvent.objects.filter(
        object_type="postmortems.postmortem", object_id=postmortem.pk
    ).order_by("id")
    return [e.changes["status"] for e in events if "status" in e.changes]


# --- Marking reviewed needs every warning fixed or accepted ------------------------


@pytest.fixture
def in_review_with_warnings(reviewed, alice, bob):
    """In review again with three blaming phrases nobody has accepted."""
    postmortem_update(postmortem=reviewed, actor=alice, data=BLAMING)
    assert _status(reviewed) == Status.IN_REVIEW
    assert reviewed.warnings.filter(accepted_at__isnull=True).count() == 3
    return reviewed


def test_reviewer_cannot_mark_reviewed_while_warnings_are_open(
    in_review_with_warnings, bob
):
    with pytest.raises(ValidationError) as refused:
        move(in_review_with_warnings, bob, Status.REVIEWED)
    message = " ".join(refused.value.message_dict["status"])
    assert "3 blameless warnings neither fixed nor accepted" in message
    assert "“Human error”" in message
    assert _status(in_review_with_warnings) == Status.IN_REVIEW


def test_accepting_or_fixing_every_warning_lets_the_review_through(
    in_review_with_warnings, alice, bob
):
    accepted = in_review_with_warnings.warnings.order_by("id").first()
    warning_accept(warning=accepted, actor=bob)
    with pytest.raises(ValidationError, match="2 blameless warnings"):
        move(in_review_with_warnings, bob, Status.REVIEWED)
    postmortem_update(
        postmortem=in_review_with_warnings,
        actor=alice,
        data={
            key: "The change had no canary step."
            for key in BLAMING
            if key != accepted.section
        },
    )
    move(in_review_with_warnings, bob, Status.REVIEWED)
    assert _status(in_review_with_warnings) == Status.REVIEWED


def test_the_api_refuses_the_review_with_the_open_phrases(in_review_with_warnings, bob):
    response = api_as(bob).post(
        f"/api/v1/postmortems/{in_review_with_warnings.pk}/transition/",
        {"status": "reviewed"},
        format="json",
    )
    assert response.status_code == 400
    [message] = response.json()["error"]["fields"]["status"]
    assert "3 blameless warnings" in message and "“careless”" in message


def test_the_page_disables_mark_reviewed_and_says_why(
    in_review_with_warnings, client, bob
):
    client.force_login(bob)
    html = client.get(f"/postmortems/{in_review_with_warnings.pk}/").content.decode()
    assert 'aria-describedby="review-blocked"' in html
    assert "3 blameless warnings</a> neither fixed nor accepted" in html


# --- A change to a reviewed postmortem sends it back to review ---------------------


def _moment(pm):
    return pm.timeline.order_by("id").first()


def _add_factor(pm, actor):
    return factor_add(
        postmortem=pm, actor=actor, data={"category": "infra", "description": "x"}
    )


EDITS = {
    "section": lambda pm, a: postmortem_update(
        postmortem=pm, actor=a, data={"lessons": "Watch the inputs."}
    ),
    "title": lambda pm, a: postmortem_update(
        postmortem=pm, actor=a, data={"title": "A better title"}
    ),
    "impact figures": lambda pm, a: postmortem_update(
        postmortem=pm, actor=a, data={"users_affected": 1200}
    ),
    "timeline added": lambda pm, a: moment_add(
        postmortem=pm,
        actor=a,
        data={"at": timezone.now(), "kind": "note", "description": "Late finding."},
    ),
    "timeline reworded": lambda pm, a: moment_update(
        moment=_moment(pm), actor=a, data={"description": "Reworded."}
    ),
    "timeline removed": lambda pm, a: moment_delete(moment=_moment(pm), actor=a),
    "factor added": _add_factor,
    "factor reworded": lambda pm, a: factor_update(
        factor=pm.factors.get(), actor=a, data={"description": "No canary step."}
    ),
    "factor removed": lambda pm, a: factor_delete(factor=pm.factors.get(), actor=a),
    "KPI impact added": lambda pm, a: impact_add(
        postmortem=pm,
        actor=a,
        metric=MetricFactory(product=pm.product),
        change="-4% approvals",
    ),
    "KPI impact removed": lambda pm, a: impact_remove(
        impact=pm.metric_impacts.get(), actor=a
    ),
    "action item reworded": lambda pm, a: action_item_update(
        item=pm.action_items.get(), actor=a, data={"description": "Alert sooner."}
    ),
    "action item added": lambda pm, a: action_item_create(
        actor=a,
        postmortem=pm,
        data={"description": "Add a canary", "kind": "prevent", "owner": a},
    ),
}


@pytest.fixture
def reviewed_with_parts(postmortem, alice, bob):
    """Reviewed, with a factor and a KPI impact to change."""
    make_ready(postmortem, author=alice, reviewer=bob)
    _add_factor(postmortem, alice)
    impact_add(
        postmortem=postmortem,
        actor=alice,
        metric=MetricFactory(product=postmortem.product, name="Approval rate"),
        change="-2%",
    )
    move(postmortem, alice, Status.IN_REVIEW)
    move(postmortem, bob, Status.REVIEWED)
    return postmortem


@pytest.mark.parametrize("edit", EDITS, ids=list(EDITS))
def test_any_content_change_sends_a_reviewed_postmortem_back_to_review(
    reviewed_with_parts, alice, edit
):
    EDITS[edit](reviewed_with_parts, alice)
    assert _status(reviewed_with_parts) == Status.IN_REVIEW
    event = reviewed_with_parts.events.order_by("-id").first()
    assert (event.kind, event.old_status, event.new_status, event.actor) == (
        EventKind.STATUS,
        Status.REVIEWED,
        Status.IN_REVIEW,
        alice,
    )
    assert event.changed_fields and "reviewer reads it again" in event.reason
    assert _audited_status_moves(reviewed_with_parts)[-1] == [
        Status.REVIEWED,
        Status.IN_REVIEW,
    ]


def test_people_dates_progress_and_stars_keep_the_review(reviewed, alice, dave):
    item = reviewed.action_items.get()
    postmortem_update(
        postmortem=reviewed,
        actor=alice,
        data={
            "reviewers": [reviewed.reviewers.get(), dave],
            "review_meeting_at": timezone.now(),
        },
    )
    action_item_update(
        item=item,
        actor=alice,
        data={"due_date": item.due_date + timedelta(days=7), "priority": "low"},
    )
    action_item_set_status(item=item, actor=alice, status="done")
    moment_update(moment=_moment(reviewed), actor=alice, data={"starred": True})
    assert _status(reviewed) == Status.REVIEWED


def test_a_postmortem_sent_back_is_reviewed_again_before_publishing(
    reviewed, alice, bob
):
    EDITS["section"](reviewed, alice)
    with pytest.raises(ValidationError, match="cannot become published"):
        move(reviewed, alice, Status.PUBLISHED)
    move(reviewed, bob, Status.REVIEWED)
    move(reviewed, alice, Status.PUBLISHED)
    assert _status(reviewed) == Status.PUBLISHED


# --- A published postmortem is read-only until reopened ----------------------------


@pytest.fixture
def published_with_parts(reviewed_with_parts, alice):
    move(reviewed_with_parts, alice, Status.PUBLISHED)
    return reviewed_with_parts


REFUSED = {
    **EDITS,
    "people": lambda pm, a: postmortem_update(
        postmortem=pm, actor=a, data={"review_meeting_at": timezone.now()}
    ),
    "star": lambda pm, a: moment_update(
        moment=_moment(pm), actor=a, data={"starred": True}
    ),
    "copy the timeline again": lambda pm, a: timeline_prefill(postmortem=pm, actor=a),
}


@pytest.mark.parametrize("edit", REFUSED, ids=list(REFUSED))
def test_every_change_to_a_published_postmortem_is_refused(
    published_with_parts, alice, edit
):
    pm = published_with_parts
    before = _snapshot(pm)
    with pytest.raises(ValidationError, match="published, so it is read-only"):
        REFUSED[edit](pm, alice)
    assert _snapshot(pm) == before


def _snapshot(pm) -> tuple:
    """Everything a published postmortem shows, as stored."""
    return (
        Postmortem.objects.filter(pk=pm.pk).values().get(),
        list(pm.timeline.values()),
        list(pm.factors.values()),
        list(pm.metric_impacts.values()),
        list(pm.action_items.values()),
        pm.events.count(),
    )


def test_action_item_progress_goes_on_after_publishing(published, alice, bob):
    item = published.action_items.get()
    action_item_update(
        item=item,
        actor=alice,
        data={"owner": bob, "due_date": item.due_date + timedelta(days=3)},
    )
    action_item_set_status(item=item, actor=bob, status="done")
    item.refresh_from_db()
    assert (item.owner, item.status) == (bob, "done")
    assert _status(published) == Status.PUBLISHED


def test_the_api_refuses_changes_to_a_published_postmortem(published, alice):
    client = api_as(alice)
    response = client.patch(
        f"/api/v1/postmortems/{published.pk}/", {"lessons": "New"}, format="json"
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert "published, so it is read-only: reopen it" in error["message"]
    item = published.action_items.get()
    reworded = client.patch(
        f"/api/v1/action-items/{item.pk}/", {"description": "New"}, format="json"
    )
    assert reworded.status_code == 400
    added = client.post(
        "/api/v1/action-items/",
        {"postmortem": published.pk, "description": "More", "kind": "detect"},
        format="json",
    )
    assert added.status_code == 400
    closed = client.patch(
        f"/api/v1/action-items/{item.pk}/", {"status": "done"}, format="json"
    )
    assert closed.status_code == 200
    published.refresh_from_db()
    assert published.lessons != "New" and published.action_items.count() == 1


def test_reopening_needs_a_reason_and_is_recorded(published, alice):
    client = api_as(alice)
    url = f"/api/v1/postmortems/{published.pk}/transition/"
    refused = client.post(url, {"status": "draft"}, format="json")
    assert refused.status_code == 400
    assert "reason" in refused.json()["error"]["fields"]
    assert _status(published) == Status.PUBLISHED
    reason = "The root cause turned out to be the feature store, not the release."
    response = client.post(url, {"status": "draft", "reason": reason}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "draft"
    event = published.events.order_by("-id").first()
    assert (event.old_status, event.new_status, event.reason, event.actor) == (
        Status.PUBLISHED,
        Status.DRAFT,
        reason,
        alice,
    )
    assert _audited_status_moves(published)[-1] == [Status.PUBLISHED, Status.DRAFT]
    # Open again for changes, which go through review before publishing.
    patched = client.patch(
        url.replace("transition/", ""), {"lessons": "New"}, format="json"
    )
    assert patched.status_code == 200


# --- The page ----------------------------------------------------------------------


def test_a_published_page_has_no_edit_or_remove_controls(
    published_with_parts, client, alice
):
    pm = published_with_parts
    client.force_login(alice)
    html = client.get(f"/postmortems/{pm.pk}/").content.decode()
    assert "Published: read-only." in html
    for control in (
        f"/postmortems/{pm.pk}/edit/",
        f"/postmortems/{pm.pk}/details/",
        f"/postmortems/{pm.pk}/timeline/",
        "/star/",
        f"/postmortems/{pm.pk}/factors/",
        f"/postmortems/{pm.pk}/impacts/",
        f"/postmortems/{pm.pk}/actions/",
        ">Remove<",
        "Copy again from incidents",
    ):
        assert control not in html, control
    assert "Reopen…" in html and "Why reopen it?" in html
    # Closing an action item stays possible.
    assert f"/action-items/{pm.action_items.get().pk}/status/" in html


def test_editing_pages_of_a_published_postmortem_send_back_to_it(
    published_with_parts, client, alice
):
    pm = published_with_parts
    client.force_login(alice)
    moment, factor = _moment(pm), pm.factors.get()
    for url in (
        f"/postmortems/{pm.pk}/edit/",
        f"/postmortems/{pm.pk}/details/",
        f"/postmortems/{pm.pk}/timeline/{moment.pk}/edit/",
        f"/postmortems/{pm.pk}/factors/{factor.pk}/edit/",
    ):
        response = client.get(url, follow=True)
        assert response.redirect_chain[-1][0] == f"/postmortems/{pm.pk}/", url
        assert "reopen it (with a reason)" in response.content.decode()
    for url in (
        f"/postmortems/{pm.pk}/timeline/{moment.pk}/delete/",
        f"/postmortems/{pm.pk}/timeline/{moment.pk}/star/",
        f"/postmortems/{pm.pk}/factors/{factor.pk}/delete/",
        f"/postmortems/{pm.pk}/impacts/{pm.metric_impacts.get().pk}/delete/",
        f"/postmortems/{pm.pk}/timeline/prefill/",
        f"/postmortems/{pm.pk}/factors/",
    ):
        response = client.post(url, {"factor-description": "x"})
        assert response.status_code == 302, url
    assert pm.timeline.filter(pk=moment.pk).exists()
    assert pm.factors.count() == 1 and pm.metric_impacts.count() == 1


def test_the_action_item_form_of_a_published_postmortem_keeps_its_wording(
    published, client, alice, bob
):
    item = published.action_items.get()
    client.force_login(alice)
    response = client.post(
        f"/action-items/{item.pk}/edit/",
        {
            "action-description": "Reworded",
            "action-kind": "prevent",
            "action-owner": bob.pk,
            "action-due_date": item.due_date.isoformat(),
            "action-priority": "high",
        },
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.description, item.kind, item.owner) == (
        "Alert on input null rates",
        "detect",
        bob,
    )


def test_reopening_from_the_page_records_the_reason(published, client, alice):
    client.force_login(alice)
    url = f"/postmortems/{published.pk}/transition/"
    client.post(url, {"status": "draft", "reason": ""})
    assert _status(published) == Status.PUBLISHED
    response = client.post(
        url, {"status": "draft", "reason": "A second incident shares the cause."}
    )
    assert response.status_code == 302
    assert _status(published) == Status.DRAFT
    html = client.get(f"/postmortems/{published.pk}/").content.decode()
    assert "<strong>reopened</strong> it as a draft" in html
    assert "A second incident shares the cause." in html


def test_an_incident_added_to_a_reviewed_postmortem_sends_it_back(reviewed, alice, bob):
    second = resolved_incident(reviewed.product, bob, title="Second drift")
    postmortem_update(
        postmortem=reviewed,
        actor=alice,
        data={"incidents": [*reviewed.incidents.all(), second]},
    )
    assert _status(reviewed) == Status.IN_REVIEW
    event = reviewed.events.order_by("-id").first()
    assert event.changed_fields == ["incidents"]
