"""Experiments and the rollout plan over the API: creating them, measurements
naming an arm, the per-arm result with Welch's interval, and the 400s/403s/404s
of bad input."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import MetricFactory
from tracker.accounts.models import Visibility
from tracker.products.selectors import metric_list_with_latest

URL = "/api/v1/products/fraud-score/experiments/"
STEPS = "/api/v1/products/fraud-score/rollout-steps/"
CONTROL = [10.0, 11.0, 12.0, 11.5, 10.5]
MODEL = [13.0, 14.0, 13.5, 14.5, 15.0]


@pytest.fixture
def metric(product):
    return MetricFactory(
        product=product, name="Approval rate", kind="business_kpi", direction="higher"
    )


def _start(api, on, **extra):
    body = {
        "name": "Model vs rules",
        "metric": on.pk,
        "arms": ["control", "model"],
        "started_at": (timezone.now() - timedelta(days=10)).isoformat(),
        **extra,
    }
    return api.post(URL, body, format="json")


@pytest.fixture
def experiment(alice_api, metric):
    response = _start(alice_api, metric)
    assert response.status_code == 201, response.json()
    return response.json()


def _measure(api, metric, value, arm="", days_ago=1):
    at = timezone.now() - timedelta(days=days_ago)
    body = {"value": value, "measured_at": at.isoformat(), "arm": arm}
    return api.post(f"/api/v1/metrics/{metric.pk}/measurements/", body, format="json")


def test_created_experiment_has_its_arms_and_no_result_yet(experiment, metric):
    assert experiment["arms"] == ["control", "model"]
    assert experiment["metric"] == metric.pk
    assert experiment["ended_at"] is None
    model = experiment["results"][1]
    assert (model["count"], model["ci_low"], model["significant"]) == (0, None, None)
    assert "not enough data" in model["reason"]
    assert "Welch" in experiment["method"]


def test_result_per_arm_with_welch_interval(alice_api, experiment, metric):
    for value in CONTROL:
        assert _measure(alice_api, metric, value, "control").status_code == 201
    for value in MODEL:
        assert _measure(alice_api, metric, value, "model").status_code == 201
    body = alice_api.get(f"/api/v1/experiments/{experiment['id']}/").json()
    control, model = body["results"]
    assert (control["name"], control["count"], control["mean"]) == ("control", 5, 11.0)
    assert control["uplift"] is None and control["significant"] is None
    # By hand: means 11 and 14, s² 0.625 each, se² = 0.25, df = 8,
    # t(0.975, 8) = 2.306: 3 ± 1.153.
    assert model["count"] == 5 and model["mean"] == 14.0
    assert model["uplift"] == pytest.approx(3.0)
    assert model["df"] == pytest.approx(8.0)
    assert model["ci_low"] == pytest.approx(3 - 2.306004 * 0.5, abs=1e-5)
    assert model["ci_high"] == pytest.approx(3 + 2.306004 * 0.5, abs=1e-5)
    assert model["significant"] is True and body["significant"] is True


def test_lower_is_better_needs_the_interval_below_zero(alice_api, experiment, metric):
    alice_api.patch(
        f"/api/v1/metrics/{metric.pk}/", {"direction": "lower"}, format="json"
    )
    for value in CONTROL:
        _measure(alice_api, metric, value, "control")
    for value in MODEL:
        _measure(alice_api, metric, value, "model")
    body = alice_api.get(f"/api/v1/experiments/{experiment['id']}/").json()
    assert body["results"][1]["ci_low"] > 0
    assert body["results"][1]["significant"] is False
    assert body["significant"] is False


def test_one_measurement_in_an_arm_is_not_enough_data(alice_api, experiment, metric):
    for value in CONTROL:
        _measure(alice_api, metric, value, "control")
    _measure(alice_api, metric, 20.0, "model")
    model = alice_api.get(f"/api/v1/experiments/{experiment['id']}/").json()["results"][
        1
    ]
    assert model["count"] == 1
    assert model["ci_low"] is None and model["ci_high"] is None
    assert model["uplift"] is None and model["significant"] is None
    assert model["reason"].startswith("not enough data")


def test_arm_values_are_not_the_metrics(alice_api, experiment, metric, product):
    _measure(alice_api, metric, 50.0, days_ago=2)
    _measure(alice_api, metric, 1.0, "control", days_ago=1)
    (found,) = metric_list_with_latest(product=product)
    assert found.latest.value == 50.0
    listed = alice_api.get(f"/api/v1/metrics/{metric.pk}/measurements/").json()
    assert [m["arm"] for m in listed["results"]] == ["control", None]


def test_unknown_arm_is_400_naming_arm(alice_api, experiment, metric):
    response = _measure(alice_api, metric, 1.0, "treatment")
    assert response.status_code == 400
    message = response.json()["error"]["fields"]["arm"][0]
    assert "treatment" in message and "control, model" in message


def test_arm_on_a_metric_without_experiment_is_400(alice_api, product):
    other = MetricFactory(product=product, name="Latency")
    response = _measure(alice_api, other, 1.0, "control")
    assert response.status_code == 400
    assert "No experiment" in response.json()["error"]["fields"]["arm"][0]


def test_arm_outside_the_experiments_time_is_400(alice_api, experiment, metric):
    response = _measure(alice_api, metric, 1.0, "control", days_ago=30)
    assert response.status_code == 400
    assert "arm" in response.json()["error"]["fields"]


def test_ended_experiment_takes_no_more_arm_values(alice_api, experiment, metric):
    ended = (timezone.now() - timedelta(days=3)).isoformat()
    response = alice_api.patch(
        f"/api/v1/experiments/{experiment['id']}/", {"ended_at": ended}, format="json"
    )
    assert response.status_code == 200
    assert _measure(alice_api, metric, 1.0, "control", days_ago=5).status_code == 201
    assert _measure(alice_api, metric, 1.0, "control", days_ago=1).status_code == 400


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"arms": ["control"]}, "arms"),
        ({"arms": ["control", "control"]}, "arms"),
        ({"arms": ["control", " "]}, "arms"),
        ({"arms": "control,model"}, "arms"),
        ({"metric": 999999}, "metric"),
        ({"metric": "x"}, "metric"),
        ({"started_at": "yesterday"}, "started_at"),
        ({"ended_at": "2000-01-01T00:00:00Z"}, "ended_at"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_experiment_is_400_naming_the_field(alice_api, metric, extra, field):
    response = _start(alice_api, metric, **extra)
    assert response.status_code == 400, response.json()
    # A list's item is named by its index: "arms.1".
    named = response.json()["error"]["fields"]
    assert any(name.split(".")[0] == field for name in named), named


def test_metric_of_another_product_is_400(alice_api, metric, team):
    from tests.factories import ProductFactory

    elsewhere = MetricFactory(product=ProductFactory(team=team, slug="other"))
    response = _start(alice_api, metric, metric=elsewhere.pk)
    assert response.status_code == 400
    assert "metric" in response.json()["error"]["fields"]


def test_overlapping_experiment_on_one_metric_is_400(alice_api, experiment, metric):
    response = _start(alice_api, metric, name="Second")
    assert response.status_code == 400
    assert "Model vs rules" in response.json()["error"]["fields"]["started_at"][0]


def test_arms_stay_once_measured(alice_api, experiment, metric):
    _measure(alice_api, metric, 1.0, "control")
    url = f"/api/v1/experiments/{experiment['id']}/"
    response = alice_api.patch(url, {"arms": ["a", "b"]}, format="json")
    assert response.status_code == 400
    assert "arms" in response.json()["error"]["fields"]


def test_another_teams_private_product_is_404(carol_api, experiment, team, metric):
    team.visibility = Visibility.PRIVATE
    team.save()
    assert carol_api.get(URL).status_code == 404
    assert carol_api.get(f"/api/v1/experiments/{experiment['id']}/").status_code == 404
    assert _start(carol_api, metric).status_code == 404


def test_outsider_may_read_but_not_write(carol_api, experiment, metric):
    url = f"/api/v1/experiments/{experiment['id']}/"
    assert carol_api.get(url).status_code == 200
    assert carol_api.patch(url, {"name": "x"}, format="json").status_code == 403
    assert _start(carol_api, metric, name="Mine").status_code == 403


def test_ci_token_may_record_arm_values(ci_api, experiment, metric):
    assert _measure(ci_api, metric, 3.0, "model").status_code == 201


# --- Rollout plan -----------------------------------------------------------------


def test_rollout_steps_in_order(alice_api, product):
    for body in (
        {"kind": "shadow", "status": "done", "decider": "alice"},
        {"kind": "internal_ab", "status": "active", "exit_criteria": "Uplift > 0"},
        {"kind": "ramp", "percent": 25},
        {"kind": "full"},
    ):
        assert alice_api.post(STEPS, body, format="json").status_code == 201
    steps = alice_api.get(STEPS).json()["results"]
    assert [(s["position"], s["label"]) for s in steps] == [
        (1, "Shadow"),
        (2, "Internal A/B"),
        (3, "Ramp to 25%"),
        (4, "Full"),
    ]
    assert steps[0]["decider"] == "alice"
    response = alice_api.patch(
        f"{STEPS}{steps[1]['id']}/", {"status": "done"}, format="json"
    )
    assert response.status_code == 200
    assert alice_api.delete(f"{STEPS}{steps[3]['id']}/").status_code == 204
    assert len(alice_api.get(STEPS).json()["results"]) == 3


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "ramp"}, "percent"),
        ({"kind": "ramp", "percent": 0}, "percent"),
        ({"kind": "ramp", "percent": 150}, "percent"),
        ({"kind": "canary"}, "kind"),
        ({"kind": "full", "status": "maybe"}, "status"),
        ({"kind": "full", "decider": "nobody"}, "decider"),
        (
            {"kind": "full", "starts_on": "2026-05-02", "ends_on": "2026-05-01"},
            "ends_on",
        ),
    ],
)
def test_bad_rollout_step_is_400_naming_the_field(alice_api, product, body, field):
    response = alice_api.post(STEPS, body, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["error"]["fields"]


def test_rollout_of_private_product_is_404_and_writes_403(
    carol_api, bob_api, product, team
):
    assert carol_api.post(STEPS, {"kind": "full"}, format="json").status_code == 403
    team.visibility = Visibility.PRIVATE
    team.save()
    assert carol_api.get(STEPS).status_code == 404
    assert bob_api.post(STEPS, {"kind": "full"}, format="json").status_code == 201
