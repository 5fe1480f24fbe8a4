"""CI fills the registry as it runs: an evaluation report with a model_version
and metrics records them on that version, a successful deploy report records
a production deployment, once."""

import pytest

from tracker.releases.models import Deployment, ModelVersion
from tracker.releases.services import release_settings_update

SHA = "ab12" * 10

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]


def _report(api, product, context, state, **extra):
    return api.post(
        f"/api/v1/products/{product.slug}/ci-status/",
        {"sha": SHA, "context": context, "state": state, **extra},
        format="json",
    )


def test_evaluation_report_records_metrics_on_a_new_version(ci_api, product):
    response = _report(
        ci_api,
        product,
        "evaluate",
        "success",
        model_version="2.3.0",
        metrics={"auc": 0.93, "recall": 0.61},
    )
    assert response.status_code == 201, response.json()
    version = ModelVersion.objects.get(product=product, version="2.3.0")
    assert version.metrics == {"auc": 0.93, "recall": 0.61}
    assert version.code_sha == SHA
    # A later report on another commit adds to the same version's metrics.
    ci_api.post(
        f"/api/v1/products/{product.slug}/ci-status/",
        {
            "sha": "cd34" * 10,
            "context": "evaluate",
            "state": "failure",
            "model_version": "2.3.0",
            "metrics": {"auc": 0.94, "latency_ms": 12},
        },
        format="json",
    )
    version.refresh_from_db()
    assert version.metrics == {"auc": 0.94, "recall": 0.61, "latency_ms": 12}
    assert not Deployment.objects.exists()


def test_pending_evaluation_or_other_stage_records_nothing(ci_api, product):
    _report(ci_api, product, "evaluate", "running", model_version="1", metrics={"a": 1})
    _report(ci_api, product, "train", "success", model_version="1", metrics={"a": 1})
    assert not ModelVersion.objects.exists()


def test_successful_deploy_report_records_a_production_deployment_once(ci_api, product):
    run = "https://ci.example.org/runs/7"
    for state in ("pending", "success"):
        _report(ci_api, product, "deploy", state, model_version="3.0", target_url=run)
    _report(ci_api, product, "deploy", "success", model_version="3.0", ref="main")
    [deployment] = Deployment.objects.all()
    assert deployment.version.version == "3.0"
    assert deployment.environment == "production"
    assert deployment.run_url == run
    assert deployment.ci_status.context == "deploy"
    assert deployment.deployed_by is None


def test_failed_deploy_records_no_deployment(ci_api, product):
    _report(ci_api, product, "deploy", "failure", model_version="3.0")
    assert not Deployment.objects.exists()


def test_the_deploy_stage_is_configurable_per_product(ci_api, product):
    release_settings_update(
        product=product, data={"deploy_context": "release", "evaluate_context": "eval"}
    )
    _report(ci_api, product, "deploy", "success", model_version="1.0")
    assert not Deployment.objects.exists()
    _report(ci_api, product, "release", "success", model_version="1.0")
    assert Deployment.objects.get().version.version == "1.0"


def test_bad_version_in_a_report_is_400_and_records_nothing(ci_api, product):
    response = _report(ci_api, product, "deploy", "success", model_version="no way!")
    assert response.status_code == 400
    assert "model_version" in response.json()["error"]["fields"]
    assert not Deployment.objects.exists()


# --- Evaluation metrics of a segment -------------------------------------------


@pytest.fixture
def segmented(product):
    from tracker.products.segments import segments_set

    segments_set(product=product, names=["merchant_size=small", "merchant_size=large"])
    return product


def test_evaluation_metrics_may_name_a_segment(ci_api, segmented, alice_client):
    metrics = {
        "auc": 0.91,
        "auc[merchant_size=small]": 0.84,
        "auc[merchant_size=large]": 0.93,
    }
    response = _report(
        ci_api, segmented, "evaluate", "success", model_version="2.0", metrics=metrics
    )
    assert response.status_code == 201, response.json()
    version = ModelVersion.objects.get(product=segmented, version="2.0")
    assert version.metrics == metrics
    page = alice_client.get(version.get_absolute_url()).content.decode()
    assert "Per segment" in page
    assert '<code>merchant_size=small</code></td><td class="num">0.84' in page


@pytest.mark.parametrize(
    ("metrics", "message"),
    [
        ({"auc[region=eu]": 0.8}, "Unknown segment region=eu"),
        ({"auc[small]": 0.8}, "is not a segment"),
        ({"auc[merchant_size=small": 0.8}, "is not a metric name"),
        ({"auc[ merchant_size=small]": 0.8}, "without spaces"),
    ],
)
def test_a_bad_segment_is_a_400_naming_metrics(ci_api, segmented, metrics, message):
    response = _report(
        ci_api, segmented, "evaluate", "success", model_version="2.0", metrics=metrics
    )
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert message in " ".join(fields["metrics"])
    assert not ModelVersion.objects.exists()


def test_a_segment_of_a_product_that_declares_none_is_a_400(ci_api, product, bob_api):
    response = _report(
        ci_api,
        product,
        "evaluate",
        "success",
        model_version="2.0",
        metrics={"auc[merchant_size=small]": 0.8},
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["metrics"] == [
        "This product declares no segments."
    ]
    created = bob_api.post(
        f"/api/v1/products/{product.slug}/model-versions/",
        {"version": "3", "metrics": {"auc[merchant_size=small]": 0.8}},
        format="json",
    )
    assert created.status_code == 400 and "metrics" in created.json()["error"]["fields"]
