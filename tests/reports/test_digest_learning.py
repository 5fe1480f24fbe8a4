"""The weekly leadership digest teaches: postmortems published in the week with
their one-line lesson, the quarter's top contributing factors, the week's
recurrences, and follow-ups late against policy (also in the attention list)."""

import pytest

from tests.postmortems.conftest import resolved_incident
from tests.postmortems.test_learning import open_incident, publish
from tests.reminders.conftest import _reminder_settings  # noqa: F401
from tests.reminders.helpers import DAY
from tests.reports.test_leadership_digest import MONDAY_8, SITE, leader, send_due  # noqa: F401
from tracker.postmortems.services.writeup import postmortem_create

pytestmark = pytest.mark.django_db


def test_the_digest_says_what_was_learned(
    leader,  # noqa: F811
    launched,
    alice,
    bob,
    time_machine,
    mailoutbox,
):
    time_machine.move_to(MONDAY_8 - 30 * DAY, tick=False)
    late = resolved_incident(launched, bob, severity="sev1")
    postmortem_create(
        product=launched, actor=alice, data={"title": "Late one", "incidents": [late]}
    )
    time_machine.move_to(MONDAY_8 - 3 * DAY, tick=False)
    earlier = resolved_incident(launched, bob)
    earlier.fingerprint = "drift-1"
    earlier.save()
    factor = {
        "category": "data",
        "ml_kind": "upstream_data_change",
        "description": "A source renamed a column.",
    }
    publish(earlier, alice, bob, factor=factor)
    time_machine.move_to(MONDAY_8 - DAY, tick=False)
    again = open_incident(launched, fingerprint="drift-1")
    send_due(time_machine, MONDAY_8)
    [digest] = mailoutbox
    body = digest.body
    assert "1 follow-up late against policy" in body
    assert "What we learned this week" in body
    assert "- Earlier (Fraud score): The lessons learned, described." in body
    assert (
        "Top contributing factors this quarter: Data · upstream data change (1)" in body
    )
    assert f"#{again.pk} Again (Fraud score) repeats #{earlier.pk}" in body
    html = digest.alternatives[0][0]
    assert f"{SITE}/postmortems/policies/" in html
    assert "What we learned this week" in html
