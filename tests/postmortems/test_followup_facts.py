"""Each postmortem keeps its follow-up facts and policy deadline
(services/followup.py) in step with its incidents, the policies and its
product's risk tier, whichever way they change; the violations list reads a
page at a time in the order the whole list would have."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.postmortems.conftest import resolved_incident
from tests.postmortems.test_learning import open_incident
from tracker.incidents.services.incidents import incident_resolve, incident_update
from tracker.postmortems.models import ActionItem, FollowUpPolicy, Postmortem
from tracker.postmortems.selectors.deadlines import add_business_days
from tracker.postmortems.selectors.policies import violations
from tracker.postmortems.services.action_items import action_item_create
from tracker.postmortems.services.followup import followup_refresh
from tracker.postmortems.services.writeup import postmortem_create, postmortem_update
from tracker.products.services import product_update

pytestmark = pytest.mark.django_db


def _facts(postmortem: Postmortem) -> tuple:
    postmortem.refresh_from_db()
    return (
        postmortem.followup_severity,
        postmortem.followup_from,
        postmortem.followup_deadline,
    )


def test_the_facts_follow_the_incidents(product, alice, bob):
    first = open_incident(product, severity="sev2")
    postmortem = postmortem_create(
        product=product, actor=alice, data={"title": "Outage", "incidents": [first]}
    )
    # Unresolved: no clock yet.
    assert _facts(postmortem) == ("sev2", None, None)

    incident_resolve(incident=first, actor=bob)
    first.refresh_from_db()
    due = add_business_days(first.resolved_at, 5)  # the default SEV2 policy
    assert _facts(postmortem) == ("sev2", first.resolved_at, due)

    incident_update(incident=first, actor=bob, data={"severity": "sev1"})
    assert _facts(postmortem)[0] == "sev1"

    # A second, later incident linked: its resolution starts the clock.
    later = resolved_incident(product, bob, severity="sev3", hours_ago=2)
    postmortem_update(
        postmortem=postmortem, actor=alice, data={"incidents": [first, later]}
    )
    assert _facts(postmortem) == (
        "sev1",
        later.resolved_at,
        add_business_days(later.resolved_at, 5),
    )
    # And unlinked again.
    postmortem_update(postmortem=postmortem, actor=alice, data={"incidents": [first]})
    assert _facts(postmortem)[1] == first.resolved_at


def test_a_product_failure_counts_from_its_creation(product, alice):
    postmortem = postmortem_create(
        product=product,
        actor=alice,
        data={"title": "Nobody adopted it", "failure_kind": "kpi_not_met"},
    )
    severity, start, deadline = _facts(postmortem)
    assert (severity, start) == ("sev2", postmortem.created_at)
    assert deadline == add_business_days(postmortem.created_at, 5)


def test_deadlines_follow_the_policies_and_the_risk_tier(product, alice, bob):
    incident = resolved_incident(product, bob, severity="sev1", hours_ago=100)
    postmortem = postmortem_create(
        product=product, actor=alice, data={"title": "x", "incidents": [incident]}
    )
    start = _facts(postmortem)[1]
    policy = FollowUpPolicy.objects.get(severity="sev1", risk_tier="")
    policy.postmortem_business_days = 10
    policy.save()
    assert _facts(postmortem)[2] == add_business_days(start, 10)

    other = "high" if product.risk_tier != "high" else "low"
    FollowUpPolicy.objects.create(
        severity="sev1", risk_tier=other, postmortem_business_days=1
    )
    assert _facts(postmortem)[2] == add_business_days(start, 10)
    product_update(product=product, actor=alice, data={"risk_tier": other})
    assert _facts(postmortem)[2] == add_business_days(start, 1)

    FollowUpPolicy.objects.filter(risk_tier=other).get().delete()
    policy.delete()
    assert _facts(postmortem)[2] is None


def test_rows_written_without_signals_are_set_by_their_writer(product, alice, bob):
    incident = resolved_incident(product, bob, severity="sev1", hours_ago=100)
    postmortem = postmortem_create(
        product=product, actor=alice, data={"title": "x", "incidents": [incident]}
    )
    Postmortem.objects.filter(pk=postmortem.pk).update(
        followup_severity="sev4", followup_from=None, followup_deadline=None
    )
    assert followup_refresh(Postmortem.objects.filter(pk=postmortem.pk)) == 1
    assert _facts(postmortem) == (
        "sev1",
        incident.resolved_at,
        add_business_days(incident.resolved_at, 5),
    )


def test_a_page_of_violations_is_that_page_of_the_whole_list(product, alice, bob):
    """Postmortems and action items, interleaved by deadline: any slice is the
    same as the whole list's, and the count is the list's length."""
    policy = FollowUpPolicy.objects.get(severity="sev1", risk_tier="")
    policy.prevent_days = 3
    policy.save()
    now = timezone.now()
    for n in range(4):
        incident = resolved_incident(
            product, bob, severity="sev1", hours_ago=24 * (20 + 5 * n)
        )
        postmortem = postmortem_create(
            product=product,
            actor=alice,
            data={"title": f"Outage {n}", "incidents": [incident]},
        )
        item = action_item_create(
            actor=alice,
            postmortem=postmortem,
            data={"description": f"Fix {n}", "kind": "prevent", "owner": bob},
        )
        ActionItem.objects.filter(pk=item.pk).update(
            created_at=now - timedelta(days=12 + 6 * n)
        )
    found = violations(now=now)
    whole = list(found)
    assert len(found) == len(whole) == 8
    kinds = [v.object_type for v in whole]
    assert kinds.count("action_item") == 4 and kinds != sorted(kinds)
    assert [v.late_by for v in whole] == sorted(
        (v.late_by for v in whole), reverse=True
    )
    for start in range(0, 8, 3):
        assert found[start : start + 3] == whole[start : start + 3]
    assert found[5] == whole[5]
    # A page counts only so far (tracker.lib.paging): at most limit + 1.
    assert (found.count_upto(2), found.count_upto(20)) == (3, 8)


def test_a_plain_save_keeps_the_facts(product, alice, bob):
    """The admin and a plain save() write the row's other fields only: an
    instance's older copy of the facts never overwrites them."""
    incident = resolved_incident(product, bob, severity="sev1", hours_ago=100)
    postmortem = postmortem_create(
        product=product, actor=alice, data={"title": "x", "incidents": [incident]}
    )
    kept = _facts(postmortem)
    assert kept[2] is not None
    stale = Postmortem.objects.get(pk=postmortem.pk)
    stale.followup_deadline = stale.followup_from = None
    stale.title = "Renamed"
    stale.save()
    assert _facts(postmortem) == kept
    assert postmortem.title == "Renamed"
