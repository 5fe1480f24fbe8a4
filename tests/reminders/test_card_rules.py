"""Model cards due for review after the period, and approvers chased once."""

import pytest

from tests.reminders.helpers import DAY, HOUR, LAUNCH, rows, run
from tracker.cards import services
from tracker.releases import services as releases
from tracker.reminders.models import Reminder

pytestmark = pytest.mark.django_db


@pytest.fixture
def carded(launched, alice, time_machine):
    time_machine.move_to(LAUNCH, tick=False)
    services.model_card_save(
        product=launched, data={"intended_use": "Hold payments."}, actor=alice
    )
    return launched


def test_card_unreviewed_for_90_days_reminds_the_ml_owner(
    carded, time_machine, mailoutbox
):
    run(time_machine, LAUNCH + 90 * DAY - HOUR)
    assert rows(rule="model_card_review") == []
    run(time_machine, LAUNCH + 90 * DAY + HOUR)
    assert rows(rule="model_card_review") == [
        ("bob", "email", False),
        ("bob", "in_app", False),
    ]
    assert "/products/fraud-score/model-card/" in mailoutbox[0].body


def test_saving_the_card_counts_as_its_review(carded, alice, time_machine):
    run(time_machine, LAUNCH + 90 * DAY + HOUR)
    time_machine.move_to(LAUNCH + 91 * DAY, tick=False)
    services.model_card_save(product=carded, data={"caveats": "New."}, actor=alice)
    run(time_machine, LAUNCH + 91 * DAY + HOUR)
    assert not Reminder.objects.filter(
        rule="model_card_review", resolved_at__isnull=True
    ).exists()


def _version(product, version, at, actor):
    return releases.model_version_create(
        product=product, version=version, data={"created_at": at}, actor=actor
    )


def test_a_new_version_asks_for_a_card_review_once(
    carded, bob, time_machine, mailoutbox
):
    _version(carded, "1.0", LAUNCH - DAY, bob)  # older than the card: not chased
    run(time_machine, LAUNCH + HOUR)
    assert rows(rule="model_card_new_version") == []
    time_machine.move_to(LAUNCH + 10 * DAY, tick=False)
    version = _version(carded, "2.0", LAUNCH + 10 * DAY, bob)
    run(time_machine, LAUNCH + 10 * DAY + HOUR)
    run(time_machine, LAUNCH + 10 * DAY + 2 * HOUR)
    assert rows(rule="model_card_new_version") == [
        ("bob", "email", False),
        ("bob", "in_app", False),
    ]
    reminder = Reminder.objects.get(rule="model_card_new_version", channel="email")
    assert (reminder.subject_type, reminder.subject_id) == ("model_version", version.pk)
    [mail] = [m for m in mailoutbox if "version 2.0" in m.subject]
    assert "/products/fraud-score/model-card/" in mail.body
    assert "A new model version was registered" in mail.body


def test_each_new_version_is_its_own_reminder_until_the_card_is_saved(
    carded, alice, bob, time_machine
):
    time_machine.move_to(LAUNCH + DAY, tick=False)
    _version(carded, "2.0", LAUNCH + DAY, bob)
    run(time_machine, LAUNCH + DAY + HOUR)
    time_machine.move_to(LAUNCH + 2 * DAY, tick=False)
    _version(carded, "3.0", LAUNCH + 2 * DAY, bob)
    run(time_machine, LAUNCH + 2 * DAY + HOUR)
    assert len(rows(rule="model_card_new_version", channel="in_app")) == 2
    time_machine.move_to(LAUNCH + 3 * DAY, tick=False)
    services.model_card_save(product=carded, data={"caveats": "New."}, actor=alice)
    run(time_machine, LAUNCH + 3 * DAY + HOUR)
    assert not Reminder.objects.filter(
        rule="model_card_new_version", resolved_at__isnull=True
    ).exists()


def test_a_product_without_a_card_is_not_chased_for_versions(
    launched, bob, time_machine
):
    time_machine.move_to(LAUNCH + DAY, tick=False)
    _version(launched, "2.0", LAUNCH + DAY, bob)
    run(time_machine, LAUNCH + DAY + HOUR)
    assert rows(rule="model_card_new_version") == []


def test_pending_approval_chases_its_approver_once(
    launched, bob, alice, time_machine, mailoutbox
):
    time_machine.move_to(LAUNCH, tick=False)
    decision = services.decision_record(
        product=launched,
        actor=bob,
        data={"title": "Missing values", "decision": "Listwise", "reason": "Few."},
    )
    run(time_machine, LAUNCH + HOUR)
    run(time_machine, LAUNCH + 2 * HOUR)
    assert rows(rule="decision_approval") == [
        ("alice", "email", False),
        ("alice", "in_app", False),
    ]
    time_machine.move_to(LAUNCH + 3 * HOUR, tick=False)
    services.approval_answer(
        approval=decision.approvals.get(), actor=alice, state="approved"
    )
    run(time_machine, LAUNCH + 4 * HOUR)
    assert not Reminder.objects.filter(
        rule="decision_approval", resolved_at__isnull=True
    ).exists()
