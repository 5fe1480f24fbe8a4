"""Readiness over the API: the checklist, the ML Test Score and its tests, and the
readiness gate on stage moves through PATCH /api/v1/products/{slug}/."""

import pytest

from tests.factories import ProductFactory
from tests.readiness.test_readiness import ci_report, ready_product
from tracker.products.models import Product, StageChange
from tracker.readiness import services
from tracker.readiness.models import GateOverride, MLTestResult, MLTestScoreSnapshot

READINESS = "/api/v1/products/fraud-score/readiness/"
SCORE = "/api/v1/products/fraud-score/ml-test-score/"


def set_level(product, code, level, **extra):
    return services.ml_test_result_set(
        product=product,
        code=code,
        actor=None,
        data={"level": level, "evidence": "https://ci.example.org/run", **extra},
    )


# --- The checklist --------------------------------------------------------------------


def test_readiness_lists_items_with_absolute_fix_links_a_summary_and_the_score(
    alice_api, product
):
    set_level(product, "data-1", "manual")
    response = alice_api.get(READINESS)
    assert response.status_code == 200
    body = response.json()
    items = {item["key"]: item for item in body["items"]}
    assert list(items) == [
        "owners",
        "kpi",
        "sla",
        "survey",
        "monitoring",
        "ci",
        "deployment",
        "baseline",
        "worst_case",
        "model_card",
        "experiment",
    ]
    assert items["owners"] == {
        "key": "owners",
        "label": "Three owners set",
        "passed": False,
        "detail": "Missing: ML, Engineering.",
        "fix_url": "http://testserver/products/fraud-score/edit/",
    }
    assert items["worst_case"]["passed"] is None  # not asked at medium risk
    assert items["model_card"]["passed"] is None
    assert body["summary"] == {"passed": 0, "applicable": 7}
    assert body["ml_test_score"] == {
        "score": 0.0,
        "out_of": 7,
        "interpretation": "More of a research project than a productionized system.",
        "sections": {"data": 0.5, "model": 0.0, "infra": 0.0, "monitoring": 0.0},
    }
    assert body["product"] == "fraud-score"
    assert body["html_url"] == "http://testserver/products/fraud-score/readiness/"


def test_a_ready_product_passes_every_applicable_item(alice_api, team, alice, bob):
    from tests.factories import UserFactory

    product = ready_product(team, alice, bob, UserFactory())
    body = alice_api.get(f"/api/v1/products/{product.slug}/readiness/").json()
    assert body["summary"] == {"passed": 7, "applicable": 7}
    assert all(item["passed"] in (True, None) for item in body["items"])


def test_outsider_can_read_readiness_and_the_score(carol_api, product):
    assert carol_api.get(READINESS).status_code == 200
    assert carol_api.get(SCORE).status_code == 200


def test_anonymous_is_401_and_ci_tokens_403(anon, ci_api, product):
    for path in (READINESS, SCORE):
        assert anon.get(path).status_code == 401
        assert ci_api.get(path).status_code == 403
    response = ci_api.patch(f"{SCORE}data-1/", {"level": "not_done"}, format="json")
    assert response.status_code == 403
    assert not MLTestResult.objects.exists()


def test_unknown_product_is_404(alice_api, product):
    assert alice_api.get("/api/v1/products/nope/readiness/").status_code == 404
    assert alice_api.get("/api/v1/products/nope/ml-test-score/").status_code == 404


def _map_tests(product, codes):
    for n, code in enumerate(codes):
        set_level(product, code, "manual", ci_context=f"ctx{n}")
        ci_report(product, f"ctx{n}", "success", sha=f"{n:040x}")


def test_readiness_query_count_does_not_grow(
    alice_api, product, django_assert_num_queries
):
    _map_tests(product, ["model-1"])
    alice_api.get(READINESS)  # the token's last use is written once a minute
    # Token, product, checklist, ML test results, their CI states.
    with django_assert_num_queries(5):
        assert alice_api.get(READINESS).status_code == 200
    _map_tests(product, [f"infra-{n}" for n in range(1, 8)])
    with django_assert_num_queries(5):
        assert alice_api.get(READINESS).status_code == 200


# --- The ML Test Score ----------------------------------------------------------------


def test_score_lists_all_28_tests_with_section_sums_and_history(alice_api, product):
    set_level(product, "data-1", "manual")
    set_level(product, "model-2", "automated")
    body = alice_api.get(SCORE).json()
    assert len(body["tests"]) == 28
    tests = {t["code"]: t for t in body["tests"]}
    assert tests["data-1"] == {
        "code": "data-1",
        "section": "data",
        "title": "Feature expectations are captured in a schema.",
        "hint": tests["data-1"]["hint"],
        "level": "manual",
        "points": 0.5,
        "evidence": "https://ci.example.org/run",
        "ci_context": "",
        "automated_by_ci": False,
        "ci_note": "",
        "html_url": "http://testserver/products/fraud-score/readiness/tests/data-1/",
    }
    assert tests["infra-7"]["level"] == "not_done" and tests["infra-7"]["points"] == 0
    assert body["sections"] == {"data": 0.5, "model": 1.0, "infra": 0, "monitoring": 0}
    assert body["score"] == 0 and body["interpretation"].startswith("More of")
    assert [h["sections"]["model"] for h in body["history"]] == [0, 1.0]
    assert body["history"][0]["recorded_at"] <= body["history"][1]["recorded_at"]
    assert set(body["history"][0]) == {"recorded_at", "score", "sections"}
    assert body["html_url"].endswith("/products/fraud-score/readiness/#score-h")


def test_score_shows_tests_automated_by_ci(alice_api, product):
    set_level(product, "infra-3", "manual", ci_context="integration")
    for sha in ("1" * 40, "2" * 40):
        ci_report(product, "integration", "success", sha=sha)
    test = next(
        t for t in alice_api.get(SCORE).json()["tests"] if t["code"] == "infra-3"
    )
    assert (test["points"], test["automated_by_ci"]) == (1.0, True)
    assert test["ci_note"] == "2 successful CI runs of integration"


def test_score_query_count_does_not_grow(alice_api, product, django_assert_num_queries):
    _map_tests(product, ["model-1"])
    alice_api.get(SCORE)  # the token's last use is written once a minute
    # Token, product, ML test results, their CI states, the history.
    with django_assert_num_queries(5):
        assert alice_api.get(SCORE).status_code == 200
    _map_tests(product, [f"infra-{n}" for n in range(1, 8)])
    assert MLTestScoreSnapshot.objects.count() > 5
    with django_assert_num_queries(5):
        assert alice_api.get(SCORE).status_code == 200


# --- Setting a test -------------------------------------------------------------------


def test_member_sets_a_test_and_gets_the_row_back(bob_api, product, bob):
    response = bob_api.patch(
        f"{SCORE}model-5/",
        {"level": "manual", "evidence": "  Beats rules by 12%  ", "ci_context": ""},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["code"], body["level"], body["points"]) == ("model-5", "manual", 0.5)
    assert body["evidence"] == "Beats rules by 12%"
    result = MLTestResult.objects.get()
    assert (result.level, result.updated_by) == ("manual", bob)
    assert MLTestScoreSnapshot.objects.get().model == 0.5


def test_level_alone_keeps_the_evidence_already_given(alice_api, product):
    set_level(product, "data-1", "manual")
    response = alice_api.patch(f"{SCORE}data-1/", {"level": "automated"}, format="json")
    assert response.status_code == 200
    assert response.json()["points"] == 1.0
    assert MLTestResult.objects.get().evidence == "https://ci.example.org/run"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"level": "manual"}, "evidence"),
        ({"level": "automated", "evidence": "   "}, "evidence"),
        ({"level": "done"}, "level"),
        ({"ci_context": "x" * 101}, "ci_context"),
    ],
)
def test_bad_input_is_400_beside_its_field(alice_api, product, body, field):
    response = alice_api.patch(f"{SCORE}data-1/", body, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert list(error["fields"]) == [field]
    assert not MLTestResult.objects.exists()


def test_clearing_the_evidence_of_a_done_test_is_refused(alice_api, product):
    set_level(product, "data-1", "manual")
    response = alice_api.patch(f"{SCORE}data-1/", {"evidence": ""}, format="json")
    assert response.status_code == 400
    assert "evidence" in response.json()["error"]["fields"]
    response = alice_api.patch(
        f"{SCORE}data-1/", {"level": "not_done", "evidence": ""}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["points"] == 0


def test_unknown_test_code_is_404(alice_api, product):
    response = alice_api.patch(f"{SCORE}data-99/", {"level": "not_done"}, format="json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_outsider_cannot_set_a_test(carol_api, product):
    response = carol_api.patch(
        f"{SCORE}data-1/", {"level": "manual", "evidence": "mine"}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert not MLTestResult.objects.exists()


# --- The readiness gate on PATCH /products/{slug}/ ------------------------------------


def test_entering_pilot_with_failing_items_is_409_listing_them(alice_api, product):
    response = alice_api.patch(
        "/api/v1/products/fraud-score/",
        {"stage": "pilot", "summary": "Scores card payments"},
        format="json",
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert set(error) == {"code", "message", "fields"}
    assert error["code"] == "readiness_gate"
    assert "override_readiness" in error["message"]
    assert "Three owners set: Missing: ML, Engineering." in error["fields"]["stage"]
    assert "An SLA: No SLA defined." in error["fields"]["stage"]
    assert len(error["fields"]["stage"]) == 7
    # A refused request writes nothing, the other fields included.
    product.refresh_from_db()
    assert (product.stage, product.summary) == ("proposed", "")
    assert not StageChange.objects.filter(to_stage="pilot").exists()
    assert not GateOverride.objects.exists()


def test_override_moves_and_records_the_failing_items(alice_api, product, alice):
    response = alice_api.patch(
        "/api/v1/products/fraud-score/",
        {
            "stage": "production",
            "stage_note": "Board asked",
            "override_readiness": True,
        },
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["stage"] == "production"
    override = GateOverride.objects.get()
    assert override.overridden_by == alice
    assert override.stage_change.note == "Board asked"
    assert {"key": "sla", "label": "An SLA"} in override.failing_items


def test_ready_products_and_ungated_stages_need_no_override(
    alice_api, team, alice, bob
):
    from tests.factories import UserFactory

    ready = ready_product(team, alice, bob, UserFactory())
    response = alice_api.patch(
        f"/api/v1/products/{ready.slug}/", {"stage": "pilot"}, format="json"
    )
    assert response.status_code == 200
    other = ProductFactory(team=team)
    response = alice_api.patch(
        f"/api/v1/products/{other.slug}/", {"stage": "building"}, format="json"
    )
    assert response.status_code == 200
    assert not GateOverride.objects.exists()


def test_the_gate_sees_fields_fixed_in_the_same_request(alice_api, team, alice, bob):
    from tests.factories import UserFactory

    product = ready_product(team, alice, bob, UserFactory())
    Product.objects.filter(pk=product.pk).update(simple_baseline="")
    path = f"/api/v1/products/{product.slug}/"
    blocked = alice_api.patch(path, {"stage": "pilot"}, format="json")
    assert blocked.json()["error"]["fields"]["stage"] == [
        "A simple baseline recorded: What is the simplest thing that could work?"
    ]
    response = alice_api.patch(
        path, {"stage": "pilot", "simple_baseline": "Velocity rules"}, format="json"
    )
    assert response.status_code == 200
    assert not GateOverride.objects.exists()


def test_override_without_a_failing_item_records_nothing(alice_api, product):
    response = alice_api.patch(
        "/api/v1/products/fraud-score/",
        {"summary": "x", "override_readiness": True},
        format="json",
    )
    assert response.status_code == 200
    assert not GateOverride.objects.exists()


def test_outsider_cannot_move_the_stage_even_with_override(carol_api, product):
    response = carol_api.patch(
        "/api/v1/products/fraud-score/",
        {"stage": "production", "override_readiness": True},
        format="json",
    )
    assert response.status_code == 403
    product.refresh_from_db()
    assert product.stage == "proposed"
    assert not GateOverride.objects.exists()
