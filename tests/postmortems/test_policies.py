"""Follow-up policies: the default policy, violations of postmortems and
action items (naming the object, the policy and how late), the API (staff
write, everyone reads; 400 with field messages), the page, and who may see
which violation."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import UserFactory
from tests.postmortems.conftest import resolved_incident
from tracker.postmortems.models import ActionItem, FollowUpPolicy
from tracker.postmortems.selectors.policies import violations
from tracker.postmortems.services.action_items import action_item_create
from tracker.postmortems.services.writeup import postmortem_create


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def late_draft(product, alice, bob):
    """A draft for a SEV1 resolved three weeks ago: past the default policy."""
    incident = resolved_incident(product, bob, severity="sev1", hours_ago=21 * 24)
    return postmortem_create(
        product=product, actor=alice, data={"title": "Outage", "incidents": [incident]}
    )


def test_the_former_fixed_deadline_is_the_default_policy(db):
    rows = FollowUpPolicy.objects.values_list(
        "severity", "risk_tier", "postmortem_business_days"
    )
    assert sorted(rows) == [("sev1", "", 5), ("sev2", "", 5)]


def test_an_unpublished_postmortem_past_its_policy_is_a_violation(late_draft, alice):
    response = api_as(alice).get("/api/v1/follow-up-policies/violations/")
    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row["object_type"] == "postmortem"
    assert row["object_id"] == late_draft.pk
    assert row["policy"]["severity"] == "sev1"
    assert row["policy"]["postmortem_business_days"] == 5
    # Resolved 19 days and 22 hours ago, due 5 business days (7 days) after.
    assert 12 <= row["late_by_days"] <= 13
    assert row["late_by_seconds"] > 12 * 86400


def test_a_recent_draft_is_not_late(product, alice, bob):
    incident = resolved_incident(product, bob, severity="sev1", hours_ago=30)
    postmortem_create(
        product=product, actor=alice, data={"title": "x", "incidents": [incident]}
    )
    assert list(violations()) == []


def test_an_action_item_past_its_kind_s_days_is_a_violation(late_draft, alice, bob):
    policy = FollowUpPolicy.objects.get(severity="sev1", risk_tier="")
    policy.prevent_days, policy.postmortem_business_days = 30, None
    policy.save()
    item = action_item_create(
        actor=alice,
        postmortem=late_draft,
        data={"description": "Pin the schema", "kind": "prevent", "owner": bob},
    )
    detect = action_item_create(
        actor=alice,
        postmortem=late_draft,
        data={"description": "Alert on nulls", "kind": "detect", "owner": bob},
    )
    ActionItem.objects.filter(pk__in=[item.pk, detect.pk]).update(
        created_at=timezone.now() - timedelta(days=40)
    )
    [found] = violations()
    assert (found.object_type, found.object_id, found.owners) == (
        "action_item",
        item.pk,
        (bob.pk,),
    )
    assert found.late_days == 10


def test_a_risk_tier_policy_wins_over_the_severity_s(late_draft, product):
    FollowUpPolicy.objects.create(
        severity="sev1", risk_tier=product.risk_tier, postmortem_business_days=60
    )
    assert list(violations()) == []


def test_outsiders_of_a_private_team_see_none_of_its_violations(
    late_draft, team, carol, other_team
):
    team.visibility = "private"
    team.save()
    body = api_as(carol).get("/api/v1/follow-up-policies/violations/").json()
    assert body["results"] == []


def test_staff_create_a_policy_others_cannot(alice, bob):
    alice.is_staff = True
    alice.save()
    payload = {"severity": "sev3", "prevent_days": 60}
    assert (
        api_as(bob).post("/api/v1/follow-up-policies/", payload, format="json")
    ).status_code == 403
    response = api_as(alice).post("/api/v1/follow-up-policies/", payload, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["prevent_days"] == 60
    again = api_as(alice).post("/api/v1/follow-up-policies/", payload, format="json")
    assert again.status_code == 400
    listed = api_as(bob).get("/api/v1/follow-up-policies/").json()["results"]
    assert [p["severity"] for p in listed] == ["sev1", "sev2", "sev3"]


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"severity": "sev9"}, "severity"),
        ({"severity": "sev3", "prevent_days": -1}, "prevent_days"),
        ({"severity": "sev3", "risk_tier": "huge"}, "risk_tier"),
        ({"severity": "sev3", "nonsense": 1}, "nonsense"),
    ],
)
def test_bad_policy_input_is_400_with_field_messages(db, payload, field):
    staff = UserFactory(username="root", is_staff=True)
    response = api_as(staff).post("/api/v1/follow-up-policies/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_the_page_lists_policies_and_violations(late_draft, alice_client):
    page = alice_client.get("/postmortems/policies/").content.decode()
    assert "Follow-up policies" in page
    assert "Outage" in page
    assert "5 business days" in page


def test_violations_take_a_fixed_number_of_queries(
    late_draft, product, alice, bob, django_assert_max_num_queries
):
    for n in range(5):
        incident = resolved_incident(product, bob, severity="sev2", hours_ago=500)
        postmortem_create(
            product=product,
            actor=alice,
            data={"title": f"x{n}", "incidents": [incident]},
        )
    with django_assert_max_num_queries(4):
        assert len(list(violations())) == 6
