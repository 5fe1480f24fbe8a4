"""CI status: reporting stages, the combined state, history."""

import json

import pytest
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request

from tests.factories import ProductFactory
from tracker.ci.api import CIStatusOut
from tracker.ci.models import CIStatus, CIStatusEvent
from tracker.ci.selectors import ci_combined_state
from tracker.readiness.models import MLTestScoreSnapshot
from tracker.readiness.services import ml_test_result_set

URL = "/api/v1/products/fraud-score/ci-status/"
SHA = "9fceb02d0ae598e95dc970b74767f19372d61af8"


def report(client, **fields):
    body = {"sha": SHA, "context": "train", "state": "pending", **fields}
    return client.post(URL, body, format="json")


def test_first_report_creates_201(alice_api, product, alice):
    response = report(
        alice_api,
        state="running",
        ref="main",
        target_url="https://ci.example.org/runs/42",
        description="Training on 2025-05 data",
        run_id="42",
        model_version="fraud-2025.05",
        started_at="2025-05-01T10:00:00Z",
        metrics={"auc": 0.91, "rows": 120000},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "running" and body["metrics"] == {
        "auc": 0.91,
        "rows": 120000,
    }
    assert body["reported_by"] == "alice"
    assert body["html_url"] == "http://testserver/products/fraud-score/delivery/#ci-h"


def test_repeat_post_updates_not_duplicates(alice_api, product):
    report(alice_api, state="pending", target_url="https://ci.example.org/1")
    response = report(alice_api, state="success", completed_at="2025-05-01T11:00:00Z")
    assert response.status_code == 200
    status = CIStatus.objects.get()
    assert status.state == "success"
    # Fields left out keep their value from the earlier report.
    assert status.target_url == "https://ci.example.org/1"
    events = list(CIStatusEvent.objects.order_by("recorded_at", "id"))
    assert [e.state for e in events] == ["pending", "success"]
    assert events[1].target_url == "https://ci.example.org/1"


def test_sha_is_case_insensitive(alice_api, product):
    report(alice_api, sha=SHA.upper())
    assert report(alice_api, sha=SHA).status_code == 200
    assert CIStatus.objects.get().sha == SHA


def test_each_context_is_its_own_row(alice_api, product):
    for context in ("data-validation", "train", "evaluate", "deploy"):
        assert report(alice_api, context=context).status_code == 201
    assert CIStatus.objects.count() == 4


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"sha": "xyz"}, "sha"),
        ({"sha": "abc"}, "sha"),
        ({"state": "done"}, "state"),
        ({"context": ""}, "context"),
        ({"context": "x" * 101}, "context"),
        ({"context": "train\nnow"}, "context"),
        ({"target_url": "javascript:alert(1)"}, "target_url"),
        ({"target_url": "ftp://ci.example.org/x"}, "target_url"),
        ({"description": "é" * 513}, "description"),  # 1026 bytes, 513 characters
        ({"metrics": {"auc": "high"}}, "metrics"),
        ({"metrics": {"auc": True}}, "metrics"),
        ({"metrics": {"bad name!": 1}}, "metrics"),
        ({"metrics": {"big": 10**400}}, "metrics"),
        ({"metrics": [1]}, "metrics"),
        ({"started_at": "yesterday"}, "started_at"),
        (
            {"started_at": "2025-05-01T10:00:00Z", "completed_at": "2025-05-01T09:00Z"},
            "completed_at",
        ),
        ({"colour": "green"}, "colour"),
    ],
)
def test_invalid_reports_are_400_and_write_nothing(alice_api, product, fields, bad):
    response = report(alice_api, **fields)
    assert response.status_code == 400
    assert bad in response.json()["error"]["fields"]
    assert not CIStatus.objects.exists() and not CIStatusEvent.objects.exists()


def test_required_fields(alice_api, product):
    response = alice_api.post(URL, {}, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"sha", "context", "state"}


def test_description_of_exactly_1024_bytes_is_fine(alice_api, product):
    assert report(alice_api, description="é" * 512).status_code == 201


def test_outsider_cannot_report(carol_api, product):
    assert report(carol_api).status_code == 403
    assert not CIStatus.objects.exists()


def test_unknown_product_is_404(alice_api, db):
    response = alice_api.post(
        "/api/v1/products/nope/ci-status/",
        {"sha": SHA, "context": "train", "state": "pending"},
        format="json",
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("states", "combined"),
    [
        ([], None),
        (["success"], "success"),
        (["success", "skipped"], "success"),
        (["success", "pending"], "pending"),
        (["success", "running"], "pending"),
        (["running", "failure"], "failure"),
        (["error", "pending"], "error"),
        (["cancelled", "success"], "error"),
        (["error", "failure"], "failure"),
    ],
)
def test_combined_state_rule(states, combined):
    assert ci_combined_state(states) == combined


def test_combined_state_for_a_sha(carol_api, alice_api, product):
    report(alice_api, context="data-validation", state="success")
    report(alice_api, context="train", state="failure", target_url="https://ci/1")
    body = carol_api.get(URL + f"?sha={SHA}").json()
    assert body["state"] == "failure" and body["sha"] == SHA
    assert body["total_count"] == 2
    assert {s["context"]: s["state"] for s in body["statuses"]} == {
        "data-validation": "success",
        "train": "failure",
    }


def test_without_sha_the_latest_commit_is_shown(carol_api, alice_api, product):
    report(alice_api, sha="a" * 40, state="failure")
    report(alice_api, sha="b" * 40, state="success")
    report(alice_api, sha="a" * 40, state="failure", context="deploy")  # late news
    body = carol_api.get(URL).json()
    assert body["sha"] == "b" * 40 and body["state"] == "success"


def test_no_reports_yet(carol_api, product):
    body = carol_api.get(URL).json()
    assert body == {
        "sha": None,
        "state": None,
        "total_count": 0,
        "statuses": [],
        "html_url": "http://testserver/products/fraud-score/delivery/#ci-h",
    }


def test_bad_sha_query_is_400(carol_api, product):
    assert carol_api.get(URL + "?sha=zzz").status_code == 400


def test_history_lists_every_report(carol_api, alice_api, product):
    report(alice_api, state="pending")
    report(alice_api, state="running")
    report(alice_api, state="success", context="evaluate")
    history = carol_api.get(URL + "history/").json()["results"]
    assert [(h["context"], h["state"]) for h in history] == [
        ("evaluate", "success"),
        ("train", "running"),
        ("train", "pending"),
    ]
    train = carol_api.get(URL + "history/?context=train&state=pending").json()
    assert len(train["results"]) == 1


@pytest.mark.parametrize("count", [2, 8])
def test_ci_lists_queries_do_not_grow(
    count, alice_api, product, django_assert_max_num_queries
):
    for n in range(count):
        report(alice_api, context=f"stage-{n}")
        report(alice_api, context=f"stage-{n}", state="success")
    with django_assert_max_num_queries(4):
        assert alice_api.get(URL).json()["total_count"] == count
    with django_assert_max_num_queries(4):
        assert alice_api.get(URL + "history/").json()["count"] == 2 * count


def test_report_does_not_leak_to_other_products(alice_api, product, team):
    other = ProductFactory(slug="other", team=team)
    report(alice_api)
    body = alice_api.get(f"/api/v1/products/{other.slug}/ci-status/").json()
    assert body["total_count"] == 0


def test_product_page_shows_the_ci_card(alice_client, alice_api, product):
    report(alice_api, context="train", state="failure", target_url="https://ci/run/7")
    report(alice_api, context="evaluate", state="success")
    page = alice_client.get(f"/products/{product.slug}/delivery/").content.decode()
    assert "CI status" in page
    assert 'href="https://ci/run/7"' in page
    assert "failure" in page and "evaluate" in page


def test_product_page_without_reports_explains_how(alice_client, product):
    page = alice_client.get(f"/products/{product.slug}/delivery/").content.decode()
    assert "No CI reports yet" in page


def test_completing_before_an_earlier_start_is_400(alice_api, product):
    report(alice_api, started_at="2025-05-01T10:00:00Z")
    response = report(alice_api, state="success", completed_at="2025-05-01T09:00:00Z")
    assert response.status_code == 400
    assert "completed_at" in response.json()["error"]["fields"]
    assert CIStatus.objects.get().state == "pending"
    assert CIStatusEvent.objects.count() == 1


def test_unknown_fields_are_reported_with_the_other_errors(alice_api, product):
    response = alice_api.post(URL, {"sha": "nope", "colour": "green"}, format="json")
    assert response.status_code == 400
    assert {"sha", "context", "state", "colour"} <= set(
        response.json()["error"]["fields"]
    )


# --- The hot path: what one report costs ------------------------------------------


def _map_test(product, context):
    ml_test_result_set(
        product=product,
        code="infra-3",
        actor=None,
        data={"level": "manual", "evidence": "https://ci/x", "ci_context": context},
    )


# What one report costs, as served (no test transaction around it): the token,
# then in one transaction the stage's row locked (or inserted in a savepoint),
# its change and its history row; a finished stage also asks whether an ML test
# is mapped to it. BEGIN and COMMIT are counted too.
UPDATE = ["token", "BEGIN", "lock", "UPDATE", "history", "COMMIT"]
# No savepoint around the INSERT: a lost race rolls back and is applied again.
FIRST = ["token", "BEGIN", "lock", "INSERT", "history", "COMMIT"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_ci_report_is_a_fixed_handful_of_queries(
    ci_api, product, django_assert_num_queries
):
    """After a pipeline's first post (its token's use recorded), whatever the
    stage and whether tests are mapped to other stages."""
    _map_test(product, "evaluate")
    assert report(ci_api, state="running").status_code == 201
    with django_assert_num_queries(len(UPDATE) + 1):  # finished: mapped tests?
        assert report(ci_api, state="success").status_code == 200
    with django_assert_num_queries(len(FIRST)):
        assert report(ci_api, sha="b" * 40).status_code == 201
    with django_assert_num_queries(4):  # a repeat: token, BEGIN, lock, COMMIT
        assert report(ci_api, sha="b" * 40).status_code == 200
    assert CIStatusEvent.objects.count() == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_persons_report_reads_the_product_too(
    alice_api, product, django_assert_num_queries
):
    """The product with what the permission check needs, beside a CI report's
    queries; showing who reported it costs nothing more."""
    assert report(alice_api, state="running").status_code == 201
    with django_assert_num_queries(len(UPDATE) + 1):
        response = report(alice_api, state="running", run_id="2")
    assert response.json()["reported_by"] == "alice"


def test_a_finished_mapped_stage_updates_the_score_history(ci_api, product):
    _map_test(product, "evaluate")
    before = MLTestScoreSnapshot.objects.count()
    for n, context in enumerate(["train", "train", "evaluate", "evaluate"]):
        report(ci_api, sha=f"{n}" * 40, context=context, state="success")
    # Two successes of the mapped stage automate the test: one new score.
    assert MLTestScoreSnapshot.objects.count() == before + 1
    assert MLTestScoreSnapshot.objects.first().infra == 1.0


@pytest.mark.parametrize("who", ["alice_api", "ci_api"])
def test_the_report_answer_is_what_the_documented_serializer_gives(
    who, request, product
):
    """The schema documents CIStatusOut as the POST's answer: the answer must
    be that, field for field."""
    client = request.getfixturevalue(who)
    report(client, state="running", started_at="2025-05-01T10:00:00.5+02:00")
    response = report(
        client,
        state="success",
        ref="main",
        target_url="https://ci.example.org/runs/42",
        description="Évaluation",
        run_id="42",
        model_version="fraud-2025.05",
        completed_at="2025-05-01T11:00:00Z",
        metrics={"auc": 0.91, "rows": 120000},
    )
    status = CIStatus.objects.select_related("product", "reported_by").get()
    context = {"request": Request(response.wsgi_request)}
    documented = JSONRenderer().render(CIStatusOut(status, context=context).data)
    assert response.json() == json.loads(documented)
    assert response.json()["reported_by"] == ("alice" if who == "alice_api" else None)


# --- Bursts, refusals ------------------------------------------------------------


def test_a_pipelines_burst_is_recorded_in_order(ci_api, product):
    assert report(ci_api, state="running").status_code == 201
    assert report(ci_api, state="success").status_code == 200
    assert report(ci_api, sha="b" * 40).status_code == 201
    states = [e.state for e in CIStatusEvent.objects.order_by("id")]
    assert states == ["running", "success", "pending"]


def test_a_repeated_report_is_answered_and_not_recorded_again(ci_api, product):
    first = report(ci_api, state="running", description="queued")
    again = report(ci_api, state="running", description="queued")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["updated_at"] == first.json()["updated_at"]
    assert CIStatusEvent.objects.count() == 1


def test_reports_over_the_rate_are_refused(ci_api, product, settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**rates, "ci": "2/min"},
    }
    statuses = [report(ci_api, sha=f"{n}" * 40).status_code for n in range(3)]
    assert statuses == [201, 201, 429]
    refused = report(ci_api)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert refused["Content-Type"] == "application/json"
    assert refused.json()["error"]["code"] == "throttled"
    assert CIStatus.objects.count() == 2


def test_a_report_at_odds_with_the_last_is_refused(ci_api, product):
    report(ci_api, started_at="2025-05-01T10:00:00Z")
    response = report(ci_api, state="success", completed_at="2025-05-01T09:00:00Z")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "completed_at" in response.json()["error"]["fields"]
    assert CIStatusEvent.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        ('{"sha": "xyz", "context": "train", "state": "pending"}', None, 400),
        (
            '{"sha": "abcdef1", "context": "train", "state": "pending", "x": 1}',
            None,
            400,
        ),
        ('{"sha": "abcdef1", "context": "train", "state": NaN}', None, 400),
        ("{not json", None, 400),
        ("[]", None, 400),
        (
            '{"sha": "abcdef1", "context": "train", "state": "pending"}',
            "text/plain",
            415,
        ),
    ],
)
def test_malformed_reports_are_refused_in_the_error_shape(
    ci_api, product, body, content_type, status
):
    assert report(ci_api).status_code == 201
    response = ci_api.generic(
        "POST", URL, body, content_type=content_type or "application/json"
    )
    assert response.status_code == status
    assert set(response.json()["error"]) == {"code", "message", "fields"}
    assert CIStatusEvent.objects.count() == 1


def test_the_answer_links_to_the_products_page_under_its_current_slug(
    alice_api, product
):
    assert report(alice_api).json()["html_url"].endswith("/fraud-score/delivery/#ci-h")
    product.slug = "fraud-score-v2"
    product.save()
    url = "/api/v1/products/fraud-score-v2/ci-status/"
    body = {"sha": SHA, "context": "train", "state": "success"}
    answer = alice_api.post(url, body, format="json").json()
    assert (
        answer["html_url"] == "http://testserver/products/fraud-score-v2/delivery/#ci-h"
    )
