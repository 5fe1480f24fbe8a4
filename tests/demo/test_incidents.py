"""The demo data includes incidents, made through the services."""

from tracker.demo.seed import seed_demo
from tracker.incidents.models import AlertDelivery, AlertIntegration, Incident


def test_demo_has_open_resolved_and_untriaged_incidents(db):
    assert seed_demo()
    assert AlertIntegration.objects.count() == 2
    assert AlertDelivery.objects.exists()
    assert Incident.objects.filter(status="resolved").count() >= 2
    assert Incident.objects.filter(status="acknowledged").exists()
    assert Incident.objects.filter(product__isnull=True).count() == 1
    assert Incident.objects.filter(source="sla", kind="sla_breach").exists()
    for incident in Incident.objects.all():
        assert incident.timeline.filter(kind="opened").count() == 1
    assert not seed_demo()  # a second run changes nothing
