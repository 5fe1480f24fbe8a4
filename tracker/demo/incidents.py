"""Demo incidents for `make run`, written through the same services the app uses:
two integrations, alerts delivered as Alertmanager and Grafana send them (some
resolved, one untriaged), and incidents people reported, acknowledged and
resolved. Called by tracker.demo.seed.seed_demo after the products exist."""

import json
from datetime import datetime, timedelta

from tracker.accounts.models import User
from tracker.incidents.models import Incident
from tracker.incidents.services.incidents import (
    incident_acknowledge,
    incident_note_add,
    incident_open,
    incident_resolve,
    integration_create,
)
from tracker.incidents.services.ingest import alerts_ingest
from tracker.incidents.services.sla import sla_check_submit
from tracker.products.models import Product

ZERO_TIME = "0001-01-01T00:00:00Z"


def _rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _alert(status, labels, summary, starts, ends=None, **extra) -> dict:
    return {
        "status": status,
        "labels": labels,
        "annotations": {"summary": summary, **extra.pop("annotations", {})},
        "startsAt": _rfc3339(starts),
        "endsAt": _rfc3339(ends) if ends else ZERO_TIME,
        "generatorURL": "http://prometheus-0:9090/graph?g0.expr=up",
        **extra,
    }


def _delivery(alerts: list[dict], *, grafana: bool = False) -> bytes:
    firing = any(a["status"] == "firing" for a in alerts)
    body = {
        "receiver": "tracker",
        "status": "firing" if firing else "resolved",
        "alerts": alerts,
        "groupLabels": {"alertname": alerts[0]["labels"]["alertname"]},
        "commonLabels": {"alertname": alerts[0]["labels"]["alertname"]},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example.org:9093",
        "version": "1" if grafana else "4",
        "groupKey": "{}:{}",
        "truncatedAlerts": 0,
    }
    if grafana:
        body |= {"orgId": 1, "state": "alerting" if firing else "ok", "title": ""}
    return json.dumps(body).encode()


def seed_incidents(*, now: datetime) -> None:
    alice, bob, dan, erin = (
        User.objects.get(username=name) for name in ("alice", "bob", "dan", "erin")
    )
    fraud = Product.objects.get(slug="fraud-score")
    churn = Product.objects.get(slug="churn-warning")
    prometheus, _ = integration_create(
        actor=alice,
        data={"name": "Prometheus prod-eu", "kind": "alertmanager", "product": fraud},
    )
    grafana, _ = integration_create(
        actor=alice, data={"name": "Grafana ML dashboards", "kind": "grafana"}
    )
    _null_rate_resolved(prometheus, bob, now)
    _latency_open(prometheus, alice, now)
    _drift_open(grafana, now)
    _untriaged(grafana, now)
    _reported_and_resolved(churn, dan, erin, now)
    _sla_breach(churn, now)


def _null_rate_resolved(integration, bob, now) -> None:
    started = now - timedelta(days=3, hours=2)
    labels = {
        "alertname": "FeatureNullRateHigh",
        "severity": "warning",
        "product": "fraud-score",
        "kind": "data_quality",
        "feature": "merchant_country",
    }
    summary = "Null rate of merchant_country above 5% for 15m"
    runbook = {"runbook_url": "https://runbooks.example.org/null-rate"}
    firing = _alert("firing", labels, summary, started, annotations=runbook)
    alerts_ingest(
        integration=integration,
        body=_delivery([{**firing, "fingerprint": "5e1f0a9c2b7d4e33"}]),
        now=started + timedelta(minutes=16),
    )
    incident = Incident.objects.get(fingerprint="5e1f0a9c2b7d4e33")
    incident_acknowledge(
        incident=incident, actor=bob, at=started + timedelta(minutes=24)
    )
    incident_note_add(
        incident=incident,
        actor=bob,
        text="Merchants DB migration renamed the column; the feature job reads NULLs.",
        at=started + timedelta(minutes=41),
    )
    ended = started + timedelta(minutes=95)
    resolved = _alert("resolved", labels, summary, started, ended, annotations=runbook)
    alerts_ingest(
        integration=integration,
        body=_delivery([{**resolved, "fingerprint": "5e1f0a9c2b7d4e33"}]),
        now=ended + timedelta(minutes=1),
    )


def _latency_open(integration, alice, now) -> None:
    started = now - timedelta(minutes=47)
    alerts = [
        {
            **_alert(
                "firing",
                {
                    "alertname": "PredictionLatencyHigh",
                    "severity": "critical",
                    "product": "fraud-score",
                    "kind": "outage",
                    "pod": pod,
                },
                f"p99 scoring latency above 80 ms on {pod}",
                started,
                annotations={
                    "runbook_url": "https://runbooks.example.org/scoring-latency"
                },
            ),
            "fingerprint": fingerprint,
        }
        for pod, fingerprint in (
            ("scorer-0", "a1c9e2f04b7d5511"),
            ("scorer-1", "a1c9e2f04b7d5512"),
        )
    ]
    alerts_ingest(
        integration=integration,
        body=_delivery(alerts),
        now=started + timedelta(minutes=3),
    )
    incident = Incident.objects.get(fingerprint="a1c9e2f04b7d5511")
    incident_acknowledge(
        incident=incident, actor=alice, at=started + timedelta(minutes=9)
    )
    incident_note_add(
        incident=incident,
        actor=alice,
        text="Traffic is 2x normal after the marketing campaign; scaling scorers.",
        at=started + timedelta(minutes=15),
    )


def _drift_open(integration, now) -> None:
    started = now - timedelta(hours=5)
    alert = _alert(
        "firing",
        {
            "alertname": "FeatureDriftPSI",
            "severity": "warning",
            "product": "churn-warning",
            "kind": "drift",
            "grafana_folder": "ML models",
        },
        "PSI of weekly_active_days above 0.2 against the training window",
        started,
    )
    alert |= {
        "fingerprint": "0b9a4c1d77e2f610",
        "dashboardURL": "https://grafana.example.org/d/ml-models",
        "panelURL": "https://grafana.example.org/d/ml-models?viewPanel=4",
        "values": {"A": 0.27},
    }
    alerts_ingest(
        integration=integration,
        body=_delivery([alert], grafana=True),
        now=started + timedelta(minutes=5),
    )


def _untriaged(integration, now) -> None:
    started = now - timedelta(hours=1, minutes=20)
    alert = _alert(
        "firing",
        {
            "alertname": "KafkaConsumerLag",
            "severity": "error",
            "topic": "payments-events",
            "consumer_group": "feature-builder",
        },
        "Consumer lag on payments-events above 50k messages",
        started,
    )
    alerts_ingest(
        integration=integration,
        body=_delivery([{**alert, "fingerprint": "77d2c0ffee1a9b04"}], grafana=True),
        now=started + timedelta(minutes=2),
    )


def _reported_and_resolved(churn, dan, erin, now) -> None:
    started = now - timedelta(days=9, hours=3)
    incident = incident_open(
        actor=erin,
        data={
            "product": churn,
            "title": "Monday scores missing in the CRM",
            "description": "Customer success found no churn scores for this week.",
            "kind": "bad_predictions",
            "severity": "sev2",
            "started_at": started,
        },
        now=started + timedelta(hours=2),
    )
    incident_acknowledge(
        incident=incident, actor=dan, at=started + timedelta(hours=2, minutes=10)
    )
    incident_resolve(
        incident=incident,
        actor=dan,
        at=started + timedelta(hours=6),
        note="Re-ran the batch after the warehouse export finished; added a "
        "freshness check before scoring.",
    )


def _sla_breach(churn, now) -> None:
    sla = churn.slas.get(indicator="freshness_minutes")
    sla_check_submit(sla=sla, value=140, checked_at=now, actor=None, source="api")
