"""Model cards due for review after the period, and approvers chased once."""

import pytest

from tests.reminders.helpers import DAY, HOUR, LAUNCH, rows, run
from tracker.cards import services
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
