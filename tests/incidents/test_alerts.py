"""Reading alert payloads (no database): the real shapes, and the reasons given
for the ones we refuse."""

import json
import re
from datetime import UTC, datetime

import pytest

from tests.incidents.conftest import load_payload
from tracker.incidents.alerts import AlertPayloadError, parse_payload


def parse(payload, kind="alertmanager"):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return parse_payload(body, kind=kind)


def test_alertmanager_firing_is_read_as_sent():
    batch = parse(load_payload("alertmanager-v4-firing.json"))
    assert batch.status == "firing"
    assert batch.truncated_alerts == 0
    [alert] = batch.alerts
    assert alert.firing
    assert alert.fingerprint == "5e1f0a9c2b7d4e33"
    assert alert.starts_at == datetime(2026, 10, 2, 14, 5, tzinfo=UTC)
    assert alert.ends_at is None  # Go's zero time means "not set"
    assert alert.title == "Null rate of merchant_country above 5% for 15m"
    assert alert.severity == "sev3"  # warning
    assert alert.kind == "data_quality"
    assert alert.product_slug == "fraud-score"
    assert alert.description == "Upstream schema change suspected"
    assert alert.runbook_url == "https://runbooks.example.org/null-rate"
    assert alert.generator_url.startswith("http://prometheus.example.org/graph")


def test_alertmanager_resolved_has_its_end_time():
    [alert] = parse(load_payload("alertmanager-v4-resolved.json")).alerts
    assert not alert.firing
    assert alert.ends_at == datetime(2026, 10, 2, 15, 20, tzinfo=UTC)


def test_group_with_truncated_alerts_and_nanosecond_times():
    batch = parse(load_payload("alertmanager-v4-group-truncated.json"))
    assert len(batch.alerts) == 3
    assert batch.truncated_alerts == 2
    first = batch.alerts[0]
    assert first.starts_at == datetime(2026, 10, 3, 8, 0, 30, 123456, tzinfo=UTC)
    assert first.severity == "sev1"
    # In-cluster host names are kept: Django's URLValidator would refuse them.
    assert first.generator_url.startswith("http://prometheus-0:9090/")


def test_grafana_firing_keeps_panel_link_and_maps_critical_to_sev1():
    [alert] = parse(load_payload("grafana-firing.json"), "grafana").alerts
    assert alert.severity == "sev1"
    assert alert.kind == "other"  # no kind label
    assert alert.title == "Serving model older than 14 days"
    assert alert.dashboard_url == "https://grafana.example.org/d/ml-models?viewPanel=4"
    assert alert.fingerprint == "0b9a4c1d77e2f610"


def test_grafana_resolved():
    batch = parse(load_payload("grafana-resolved.json"), "grafana")
    assert batch.status == "resolved"
    assert batch.alerts[0].ends_at == datetime(2026, 10, 5, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("label", "severity"),
    [
        ("critical", "sev1"),
        ("error", "sev2"),
        ("high", "sev2"),
        ("warning", "sev3"),
        ("info", "sev4"),
        ("low", "sev4"),
        ("CRITICAL", "sev1"),
        ("sev2", "sev2"),
        ("page-everyone", "sev3"),
        (None, "sev3"),
    ],
)
def test_severity_from_label(label, severity):
    payload = load_payload("alertmanager-v4-firing.json")
    labels = payload["alerts"][0]["labels"]
    labels.pop("severity")
    if label is not None:
        labels["severity"] = label
    assert parse(payload).alerts[0].severity == severity


def test_unknown_kind_is_other_and_title_falls_back_to_alertname():
    payload = load_payload("alertmanager-v4-firing.json")
    payload["alerts"][0]["labels"]["kind"] = "gremlins"
    del payload["alerts"][0]["annotations"]["summary"]
    alert = parse(payload).alerts[0]
    assert alert.kind == "other"
    assert alert.title == "FeatureNullRateHigh"


def test_missing_fingerprint_is_derived_from_labels_and_stable():
    payload = load_payload("alertmanager-v4-firing.json")
    del payload["alerts"][0]["fingerprint"]
    first = parse(payload).alerts[0].fingerprint
    payload["alerts"][0]["annotations"]["summary"] = "changed wording"
    assert parse(payload).alerts[0].fingerprint == first
    payload["alerts"][0]["labels"]["feature"] = "other_feature"
    assert parse(payload).alerts[0].fingerprint != first


def test_javascript_links_are_dropped_not_refused():
    payload = load_payload("alertmanager-v4-firing.json")
    payload["alerts"][0]["generatorURL"] = "javascript:alert(1)"
    assert parse(payload).alerts[0].generator_url == ""


def test_generic_single_alert():
    batch = parse(
        {
            "title": "Nightly scoring job failed",
            "severity": "error",
            "kind": "outage",
            "product": "fraud-score",
            "started_at": "2026-10-04T02:00:00+02:00",
            "url": "https://ci.example.org/jobs/17",
        },
        "generic",
    )
    [alert] = batch.alerts
    assert alert.firing
    assert alert.title == "Nightly scoring job failed"
    assert (alert.severity, alert.kind, alert.product_slug) == (
        "sev2",
        "outage",
        "fraud-score",
    )
    assert alert.starts_at == datetime(2026, 10, 4, 0, 0, tzinfo=UTC)
    assert alert.generator_url == "https://ci.example.org/jobs/17"
    assert len(alert.fingerprint) == 16


def test_generic_list_with_resolved():
    batch = parse(
        {"alerts": [{"fingerprint": "job-17", "status": "resolved"}]}, "generic"
    )
    assert batch.status == "resolved"
    assert batch.alerts[0].fingerprint == "job-17"


T = "2026-10-02T14:05:00Z"


def _one(**alert) -> bytes:
    """A delivery of one alert, for the refusal cases below."""
    return json.dumps({"alerts": [alert]}).encode()


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty"),
        (b"not json", "not valid JSON"),
        (b"\xff\xfe\x00", "not UTF-8"),
        (b"[1, 2]", "JSON object"),
        (b"[" * 5000 + b"]" * 5000, "not valid JSON"),
        (b'{"alerts": "nope", "version": "4"}', "`alerts` must be a list"),
        (b'{"version": "3", "alerts": []}', "version"),
        (b'{"alerts": [], "truncatedAlerts": -1}', "truncatedAlerts"),
        (b'{"evalMatches": [], "ruleName": "old"}', "legacy"),
    ],
)
def test_bad_deliveries_are_refused_whole_and_say_why(body, reason):
    with pytest.raises(AlertPayloadError, match=re.escape(reason)):
        parse(body)


@pytest.mark.parametrize(
    ("alert", "reason"),
    [
        (42, "alerts[0] must be an object"),
        ({"status": "firing", "startsAt": T}, "labels"),
        ({"status": "burning", "labels": {}, "startsAt": T}, "status"),
        ({"status": "firing", "labels": {}}, "startsAt is required"),
        ({"status": "firing", "labels": {}, "startsAt": "yesterday"}, "RFC 3339"),
        ({"status": "firing", "labels": {"a": {"b": 1}}, "startsAt": T}, "labels.a"),
        ({"status": "firing", "labels": {"a": "x\u0000"}, "startsAt": T}, "NUL"),
        ({"status": "firing", "labels": {"a\u0000": "x"}, "startsAt": T}, "NUL"),
        ({"status": "firing", "labels": {"a": "\ud800"}, "startsAt": T}, "surrogate"),
        (
            {"status": "firing", "labels": {}, "annotations": {"\udfff": "x"}}
            | {"startsAt": T},
            "surrogate",
        ),
        (
            {"status": "firing", "labels": {}, "startsAt": T, "fingerprint": "f" * 201},
            "fingerprint",
        ),
    ],
)
def test_a_bad_alert_is_rejected_alone_and_says_why(alert, reason):
    good = load_payload("alertmanager-v4-firing.json")["alerts"][0]
    batch = parse(json.dumps({"alerts": [alert, good]}).encode())
    assert [event.fingerprint for event in batch.alerts] == [good["fingerprint"]]
    [rejected] = batch.rejected
    assert rejected.index == 0
    assert reason in rejected.reason
    assert batch.total == 2


def test_generic_alert_without_identity_is_refused():
    with pytest.raises(AlertPayloadError, match="needs a title"):
        parse({"status": "firing"}, "generic")


def test_grafana_rejects_alertmanager_version():
    payload = load_payload("grafana-firing.json")
    payload["version"] = "4"
    with pytest.raises(AlertPayloadError, match="Grafana webhook version"):
        parse(payload, "grafana")
