"""Model cards, scope and decisions with sign-off, over the API."""

import pytest
from django.utils import timezone

from tests.factories import MetricFactory
from tracker.accounts.models import Visibility
from tracker.audit.models import AuditEvent
from tracker.products.segments import segments_set
from tracker.products.services import measurement_record

CARD = "/api/v1/products/fraud-score/model-card/"
DECISIONS = "/api/v1/products/fraud-score/decisions/"


@pytest.fixture(autouse=True)
def _fraud_score(product):
    return product


def test_empty_card_reads_with_owners_before_anything_is_written(alice_api):
    body = alice_api.get(CARD).json()
    assert body["intended_use"] == "" and body["reviewed_at"] is None
    assert body["owners"]["pm"] == "alice"


def test_put_writes_the_card_and_the_scope(alice_api, product):
    response = alice_api.put(
        CARD,
        {
            "intended_use": "Hold risky card payments for review.",
            "out_of_scope_uses": "Not for credit decisions.",
            "caveats": "Small merchants are scored less well.",
            "model_version": "2026.06",
            "use_cases_served": ["card-present payments"],
            "use_cases_not_served": ["bank transfers"],
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = alice_api.get(CARD).json()
    assert body["caveats"] == "Small merchants are scored less well."
    assert body["use_cases_served"] == ["card-present payments"]
    assert body["use_cases_not_served"] == ["bank transfers"]
    assert body["reviewed_at"] is not None and body["updated_by"] == "alice"
    assert AuditEvent.objects.filter(object_type="cards.modelcard").exists()


def test_quantitative_analyses_come_from_segment_measurements(alice_api, product):
    segments_set(product=product, names=["size=small", "size=large"])
    metric = MetricFactory(
        product=product, direction="higher", target=0.9, worst_case_floor=0.5
    )
    for name, value in (("size=small", 0.4), ("size=large", 0.8)):
        measurement_record(
            metric=metric,
            value=value,
            measured_at=timezone.now(),
            actor=None,
            segment=name,
        )
    body = alice_api.get(CARD).json()
    assert body["segments"] == ["size=large", "size=small"]
    (analysis,) = body["quantitative_analyses"]
    assert analysis["worst_segment"]["name"] == "size=small"
    assert analysis["worst_segment"]["meets_floor"] is False


def test_a_use_case_in_both_lists_is_400(alice_api):
    response = alice_api.put(
        CARD,
        {"use_cases_served": ["refunds"], "use_cases_not_served": ["refunds"]},
        format="json",
    )
    assert response.status_code == 400
    assert "use_cases_not_served" in response.json()["error"]["fields"]


def test_reader_may_not_write_the_card(carol_api):
    assert carol_api.get(CARD).status_code == 200
    response = carol_api.put(CARD, {"caveats": "x"}, format="json")
    assert response.status_code == 403


def test_outsider_gets_404_on_a_private_team(carol_api, team):
    team.visibility = Visibility.PRIVATE
    team.save()
    assert carol_api.get(CARD).status_code == 404
    assert carol_api.get(DECISIONS).status_code == 404


@pytest.fixture
def decision(bob_api):
    response = bob_api.post(
        DECISIONS,
        {
            "title": "Missing values",
            "decision": "Listwise deletion for missing values.",
            "alternatives": "Median imputation: rejected, it hides the gaps.",
            "reason": "Under 1% of rows miss a value.",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()


def test_decision_asks_the_pm_owner_by_default(decision):
    assert decision["status"] == "pending"
    [approval] = decision["approvals"]
    assert approval["approver"] == "alice" and approval["state"] == "pending"


def _answer(api, decision, action, comment=""):
    approval = decision["approvals"][0]["id"]
    url = f"{DECISIONS}{decision['id']}/approvals/{approval}/{action}/"
    return api.post(url, {"comment": comment}, format="json")


def test_the_approver_approves_with_a_dated_comment(alice_api, decision):
    response = _answer(alice_api, decision, "approve", "Agreed.")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "approved"
    assert body["approvals"][0]["comment"] == "Agreed."
    assert body["approvals"][0]["answered_at"]


def test_an_objection_needs_a_reason(alice_api, decision):
    response = _answer(alice_api, decision, "object")
    assert response.status_code == 400
    assert "comment" in response.json()["error"]["fields"]
    response = _answer(alice_api, decision, "object", "Imputation is safer.")
    assert response.json()["status"] == "objected"


def test_approving_someone_elses_approval_is_403(bob_api, carol_api, decision):
    assert _answer(bob_api, decision, "approve").status_code == 403
    assert _answer(carol_api, decision, "approve").status_code == 403


def test_named_approvers_replace_the_default(bob_api):
    response = bob_api.post(
        DECISIONS,
        {
            "title": "Threshold",
            "decision": "Review above 0.8.",
            "reason": "Review capacity.",
            "approvers": ["bob"],
        },
        format="json",
    )
    assert [a["approver"] for a in response.json()["approvals"]] == ["bob"]


def test_an_approver_outside_the_product_is_400(bob_api, carol):
    response = bob_api.post(
        DECISIONS,
        {"title": "T", "decision": "D", "reason": "R", "approvers": ["carol"]},
        format="json",
    )
    assert response.status_code == 400
    assert "approvers" in response.json()["error"]["fields"]


def test_decision_list_queries_do_not_grow(
    alice_api, bob_api, django_assert_max_num_queries
):
    for title in ("A", "B", "C"):
        bob_api.post(
            DECISIONS, {"title": title, "decision": "d", "reason": "r"}, format="json"
        )
    with django_assert_max_num_queries(8):
        response = alice_api.get(DECISIONS)
    assert response.json()["count"] == 3
