"""The demo data has model versions, a rollback and incidents after a deploy."""

import time_machine

from tracker.demo.seed import seed_demo
from tracker.incidents.models import Incident
from tracker.incidents.selectors import incidents_with_versions
from tracker.releases.models import Deployment, ModelVersion


@time_machine.travel("2026-07-01 12:00Z", tick=False)
def test_demo_has_versions_a_rollback_and_an_incident_after_a_deploy(db):
    assert seed_demo()
    assert ModelVersion.objects.filter(product__slug="fraud-score").count() == 3
    [rollback] = Deployment.objects.filter(is_rollback=True)
    assert rollback.version.version == "2026.06"
    latency = Incident.objects.get(title__icontains="latency", status="open")
    [latency] = incidents_with_versions([latency])
    assert latency.serving_version.version == "2026.07"
    churn = Incident.objects.get(title="Monday scores missing in the CRM")
    assert incidents_with_versions([churn])[0].serving_version.version == "1.1"
