"""The review workflow: every allowed and refused move, reasons, who may make
which move, the publish gate item by item, and the history rows."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests.postmortems.conftest import make_ready, move
from tracker.postmortems.models import (
    TRANSITIONS,
    EventKind,
    PostmortemEvent,
    Status,
)
from tracker.postmortems.services.warnings import warning_accept, warnings_sync
from tracker.postmortems.services.writeup import postmortem_update

ALL_MOVES = [(old, new) for old in Status for new in Status]


def _bring_to(postmortem, status, *, alice, bob):
    """A ready postmortem in `status`, moved there through the workflow."""
    make_ready(postmortem, author=alice, reviewer=bob)
    path = [Status.IN_REVIEW, Status.REVIEWED, Status.PUBLISHED]
    for step in path[: path.index(status) + 1] if status != Status.DRAFT else []:
        move(postmortem, bob if step == Status.REVIEWED else alice, step)
    postmortem.refresh_from_db()
    assert postmortem.status == status
    return postmortem


@pytest.mark.parametrize(("old", "new"), ALL_MOVES)
def test_every_move_is_allowed_or_refused_as_the_workflow_says(
    postmortem, alice, bob, old, new
):
    _bring_to(postmortem, old, alice=alice, bob=bob)
    actor = bob if new == Status.REVIEWED else alice
    allowed = new in TRANSITIONS[old]
    if allowed:
        event = move(postmortem, actor, new, reason="Needs another pass.")
        postmortem.refresh_from_db()
        assert postmortem.status == new
        assert (event.kind, event.old_status, event.new_status) == (
            EventKind.STATUS,
            old,
            new,
        )
    else:
        with pytest.raises(ValidationError) as refused:
            move(postmortem, actor, new, reason="Needs another pass.")
        assert "cannot become" in str(refused.value)
        postmortem.refresh_from_db()
        assert postmortem.status == old


def test_the_allowed_moves_are_exactly_these():
    assert {(old, new) for old, moves in TRANSITIONS.items() for new in moves} == {
        (Status.DRAFT, Status.IN_REVIEW),
        (Status.IN_REVIEW, Status.REVIEWED),
        (Status.IN_REVIEW, Status.DRAFT),
        (Status.REVIEWED, Status.PUBLISHED),
        (Status.REVIEWED, Status.DRAFT),
        (Status.PUBLISHED, Status.DRAFT),
    }


@pytest.mark.parametrize("old", [Status.IN_REVIEW, Status.REVIEWED, Status.PUBLISHED])
@pytest.mark.parametrize("reason", ["", "   "])
def test_back_to_draft_needs_a_reason(postmortem, alice, bob, old, reason):
    _bring_to(postmortem, old, alice=alice, bob=bob)
    with pytest.raises(ValidationError) as refused:
        move(postmortem, alice, Status.DRAFT, reason=reason)
    assert "reason" in refused.value.message_dict
    event = move(postmortem, alice, Status.DRAFT, reason="The timeline is wrong.")
    assert event.reason == "The timeline is wrong."


def test_the_database_refuses_a_back_to_draft_row_without_reason(postmortem, alice):
    with pytest.raises(IntegrityError), transaction.atomic():
        PostmortemEvent.objects.create(
            postmortem=postmortem,
            kind=EventKind.STATUS,
            at=timezone.now(),
            old_status=Status.IN_REVIEW,
            new_status=Status.DRAFT,
        )


def test_unknown_status_is_refused(postmortem, alice):
    with pytest.raises(ValidationError):
        move(postmortem, alice, "archived")


def test_review_needs_a_reviewer(postmortem, alice):
    postmortem_update(
        postmortem=postmortem, actor=alice, data={"summary": "Something."}
    )
    with pytest.raises(ValidationError) as refused:
        move(postmortem, alice, Status.IN_REVIEW)
    assert "reviewer" in str(refused.value)


def test_only_a_reviewer_marks_it_reviewed(postmortem, alice, bob, dave):
    make_ready(postmortem, author=alice, reviewer=bob)
    move(postmortem, alice, Status.IN_REVIEW)
    for not_a_reviewer in (alice, dave):
        with pytest.raises(PermissionDenied):
            move(postmortem, not_a_reviewer, Status.REVIEWED)
    move(postmortem, bob, Status.REVIEWED)


def test_an_author_cannot_be_a_reviewer(postmortem, alice):
    with pytest.raises(ValidationError) as refused:
        postmortem_update(
            postmortem=postmortem, actor=alice, data={"reviewers": [alice]}
        )
    assert "reviewers" in refused.value.message_dict


# --- The publish gate -------------------------------------------------------------


def _blockers(error: ValidationError) -> str:
    return " ".join(error.message_dict["status"])


def _edit_and_review(postmortem, alice, bob, data) -> None:
    """An edit sends a reviewed postmortem back to review: bob reviews again."""
    postmortem_update(postmortem=postmortem, actor=alice, data=data)
    move(postmortem, bob, Status.REVIEWED)


def test_publishing_needs_every_section_written_or_not_applicable(reviewed, alice, bob):
    _edit_and_review(reviewed, alice, bob, {"lucky": "", "links": ""})
    with pytest.raises(ValidationError) as refused:
        move(reviewed, alice, Status.PUBLISHED)
    assert "Where we got lucky" in _blockers(refused.value)
    assert "Supporting links" in _blockers(refused.value)
    _edit_and_review(
        reviewed,
        alice,
        bob,
        {"lucky_na": True, "links": "- [Dashboard](https://grafana.example)"},
    )
    move(reviewed, alice, Status.PUBLISHED)


def test_publishing_needs_action_items_or_the_explicit_flag(reviewed, alice, bob):
    reviewed.action_items.all().delete()
    with pytest.raises(ValidationError) as refused:
        move(reviewed, alice, Status.PUBLISHED)
    assert "no action items" in _blockers(refused.value)
    _edit_and_review(reviewed, alice, bob, {"no_action_items": True})
    move(reviewed, alice, Status.PUBLISHED)


def test_publishing_needs_owned_and_dated_action_items(reviewed, alice):
    reviewed.action_items.update(owner=None)
    with pytest.raises(ValidationError) as refused:
        move(reviewed, alice, Status.PUBLISHED)
    assert "owner and a due date" in _blockers(refused.value)


def test_publishing_needs_warnings_fixed_or_accepted(reviewed, alice, bob):
    # A warning can appear after the review (a new colleague's name in the
    # text): the publish gate checks again.
    reviewed.summary = "Human error during the deploy."
    reviewed.save(update_fields=["summary"])
    warnings_sync(postmortem=reviewed)
    with pytest.raises(ValidationError) as refused:
        move(reviewed, alice, Status.PUBLISHED)
    assert "1 open warning" in _blockers(refused.value)
    [warning] = reviewed.warnings.all()
    with pytest.raises(PermissionDenied):
        warning_accept(warning=warning, actor=alice)  # an author
    assert warning_accept(warning=warning, actor=bob)
    warning.refresh_from_db()
    assert warning.accepted_by == bob
    assert warning.accepted_at is not None
    move(reviewed, alice, Status.PUBLISHED)


def test_fixing_the_text_resolves_the_warning(reviewed, alice, bob):
    postmortem_update(
        postmortem=reviewed, actor=alice, data={"went_wrong": "Careless deploy."}
    )
    assert reviewed.warnings.count() == 1
    postmortem_update(
        postmortem=reviewed,
        actor=alice,
        data={"went_wrong": "The deploy had no canary step."},
    )
    assert reviewed.warnings.count() == 0
    move(reviewed, bob, Status.REVIEWED)
    move(reviewed, alice, Status.PUBLISHED)


def test_publishing_records_the_time_and_the_move(reviewed, alice):
    event = move(reviewed, alice, Status.PUBLISHED)
    reviewed.refresh_from_db()
    assert reviewed.published_at == event.at
    assert list(reviewed.events.values_list("kind", "new_status")) == [
        (EventKind.CREATED, Status.DRAFT),
        (EventKind.STATUS, Status.IN_REVIEW),
        (EventKind.STATUS, Status.REVIEWED),
        (EventKind.STATUS, Status.PUBLISHED),
    ]


# --- Reopening ----------------------------------------------------------------------


def test_a_published_postmortem_changes_only_after_reopening(published, alice):
    with pytest.raises(ValidationError, match="read-only"):
        postmortem_update(
            postmortem=published, actor=alice, data={"lessons": "Watch the inputs."}
        )
    move(published, alice, Status.DRAFT, reason="A second cause came to light.")
    postmortem_update(
        postmortem=published, actor=alice, data={"lessons": "Watch the inputs."}
    )
    published.refresh_from_db()
    assert published.lessons == "Watch the inputs."
    assert not published.events.filter(kind=EventKind.EDITED).exists()
