"""Alert payloads as the monitoring tools send them, read into `AlertEvent`s.

Pure functions, no database. A delivery whose envelope is malformed (not JSON,
no `alerts` list, an unknown version) is refused whole (400, with the reason);
an alert that is malformed on its own (a bad time, a label holding NUL or a lone
surrogate) is set aside in `AlertBatch.rejected` with its reason, and the other
alerts of the delivery go ahead. Three dialects:

- Prometheus Alertmanager webhook, version "4";
- Grafana unified alerting webhook contact point, version "1" (Alertmanager's
  shape plus `orgId, title, state, message` and, per alert, `silenceURL,
  dashboardURL, panelURL, values`);
- the generic form documented in docs/alerting.md (one alert object, or
  `{"alerts": [...]}`), for scripts and tools without either.
"""

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tracker.incidents.models import IntegrationKind, Kind, Severity

ZERO_TIME_YEAR = 1  # Go's zero time, "0001-01-01T00:00:00Z": endsAt not set.
MAX_FINGERPRINT = 200
MAX_TITLE = 200
MAX_URL = 2000

# Severity labels as Prometheus rules and Grafana commonly use them.
SEVERITY_LABELS = {
    "critical": Severity.SEV1,
    "error": Severity.SEV2,
    "high": Severity.SEV2,
    "warning": Severity.SEV3,
    "info": Severity.SEV4,
    "low": Severity.SEV4,
    **{value: Severity(value) for value in Severity.values},
}
DEFAULT_SEVERITY = Severity.SEV3

_TIME = re.compile(
    r"^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})$",
    re.IGNORECASE,
)


class AlertPayloadError(ValueError):
    """The body is not an alert delivery we understand; the message says why."""


@dataclass(frozen=True)
class AlertEvent:
    """One alert of a delivery: firing or resolved, with its identity and labels."""

    status: str
    fingerprint: str
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: datetime | None
    ends_at: datetime | None
    generator_url: str = ""
    dashboard_url: str = ""

    @property
    def firing(self) -> bool:
        return self.status == "firing"

    @property
    def severity(self) -> str:
        label = self.labels.get("severity", "").strip().lower()
        return SEVERITY_LABELS.get(label, DEFAULT_SEVERITY).value

    @property
    def kind(self) -> str:
        label = self.labels.get("kind", "").strip().lower()
        return label if label in Kind.values else Kind.OTHER.value

    @property
    def title(self) -> str:
        text = (
            self.annotations.get("summary")
            or self.labels.get("alertname")
            or f"Alert {self.fingerprint}"
        )
        text = " ".join(text.split())
        return text if len(text) <= MAX_TITLE else text[: MAX_TITLE - 1] + "…"

    @property
    def description(self) -> str:
        return self.annotations.get("description", "")

    @property
    def product_slug(self) -> str:
        return self.labels.get("product", "").strip()

    @property
    def runbook_url(self) -> str:
        return _link(self.annotations.get("runbook_url", ""))


@dataclass(frozen=True)
class Rejected:
    """An alert of a delivery that could not be read: its place and why."""

    index: int
    reason: str


@dataclass(frozen=True)
class AlertBatch:
    """A whole delivery: its readable alerts, the rejected ones and how many the
    sender left out."""

    status: str
    alerts: list[AlertEvent] = field(default_factory=list)
    truncated_alerts: int = 0
    rejected: list[Rejected] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.alerts) + len(self.rejected)


@dataclass(frozen=True)
class Envelope:
    """A delivery checked as a whole (JSON, shape, version), its alerts not yet
    read: what the receiver checks before it answers."""

    status: str
    alerts: list[Any]
    truncated_alerts: int = 0
    single: bool = False  # the generic form's one bare alert


def parse_envelope(body: bytes, *, kind: str) -> Envelope:
    """The delivery-wide checks; AlertPayloadError if the delivery is bad as a
    whole. Cheap whatever the number of alerts: the receiver runs it."""
    data = _json_object(body)
    if kind == IntegrationKind.GENERIC:
        return _generic_envelope(data)
    return _alertmanager_envelope(data, grafana=kind == IntegrationKind.GRAFANA)


def parse_payload(body: bytes, *, kind: str) -> AlertBatch:
    """Read a delivery for an integration of `kind`: AlertPayloadError if it is
    bad as a whole, each bad alert rejected alone (one bare generic alert,
    from a script, is the delivery: refused whole)."""
    envelope = parse_envelope(body, kind=kind)
    if kind != IntegrationKind.GENERIC:
        events, rejected = _each(envelope.alerts, _alertmanager_alert)
        return AlertBatch(
            status=envelope.status,
            alerts=events,
            truncated_alerts=envelope.truncated_alerts,
            rejected=rejected,
        )
    if envelope.single:
        events, rejected = [_generic_alert(envelope.alerts[0], "the alert")], []
    else:
        events, rejected = _each(
            envelope.alerts, lambda raw, i: _generic_alert(raw, f"alerts[{i}]")
        )
    firing = any(event.firing for event in events) or not events
    return AlertBatch(
        status="firing" if firing else "resolved", alerts=events, rejected=rejected
    )


def _json_object(body: bytes) -> dict[str, Any]:
    if not body.strip():
        raise AlertPayloadError("The body is empty; send the alert as JSON.")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise AlertPayloadError("The body is not UTF-8.") from None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nesting too deep
        raise AlertPayloadError("The body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise AlertPayloadError("The body must be a JSON object.")
    return data


# --- Alertmanager and Grafana -----------------------------------------------------


def _alertmanager_envelope(data: dict[str, Any], *, grafana: bool) -> Envelope:
    expected = "1" if grafana else "4"
    version = data.get("version")
    if "alerts" not in data and ("evalMatches" in data or "ruleName" in data):
        raise AlertPayloadError(
            "This is Grafana's legacy alerting payload; use a unified alerting "
            "webhook contact point."
        )
    if version is not None and str(version) != expected:
        tool = "Grafana" if grafana else "Alertmanager"
        raise AlertPayloadError(
            f"Unsupported {tool} webhook version {version!r}; expected {expected!r}."
        )
    alerts = data.get("alerts")
    if not isinstance(alerts, list):
        raise AlertPayloadError("`alerts` must be a list of alerts.")
    return Envelope(
        status=_choice(data.get("status", "firing"), "status"),
        alerts=alerts,
        truncated_alerts=_count(data.get("truncatedAlerts", 0), "truncatedAlerts"),
    )


def _each(
    alerts: list[Any], read: Callable[[Any, int], AlertEvent]
) -> tuple[list[AlertEvent], list[Rejected]]:
    """Read every alert of a delivery; one that fails is rejected alone."""
    events, rejected = [], []
    for index, raw in enumerate(alerts):
        try:
            events.append(read(raw, index))
        except AlertPayloadError as exc:
            rejected.append(Rejected(index=index, reason=str(exc)))
    return events, rejected


def _alertmanager_alert(raw: Any, index: int) -> AlertEvent:
    where = f"alerts[{index}]"
    if not isinstance(raw, dict):
        raise AlertPayloadError(f"{where} must be an object.")
    labels = _strings(raw.get("labels"), f"{where}.labels", required=True)
    starts_at = _time(raw.get("startsAt"), f"{where}.startsAt", required=True)
    return AlertEvent(
        status=_choice(raw.get("status"), f"{where}.status"),
        fingerprint=_fingerprint(raw.get("fingerprint"), labels, where),
        labels=labels,
        annotations=_strings(raw.get("annotations"), f"{where}.annotations"),
        starts_at=starts_at,
        ends_at=_time(raw.get("endsAt"), f"{where}.endsAt"),
        generator_url=_link(raw.get("generatorURL")),
        # Grafana only: the panel is the closer view when both are given.
        dashboard_url=_link(raw.get("panelURL")) or _link(raw.get("dashboardURL")),
    )


# --- Generic JSON -----------------------------------------------------------------


def _generic_envelope(data: dict[str, Any]) -> Envelope:
    if "alerts" in data:
        alerts = data["alerts"]
        if not isinstance(alerts, list):
            raise AlertPayloadError("`alerts` must be a list of alerts.")
        return Envelope(status="", alerts=alerts)
    _generic_alert(data, "the alert")  # one bare alert: checked now, refused whole
    return Envelope(status="", alerts=[data], single=True)


def _generic_alert(raw: Any, where: str) -> AlertEvent:
    if not isinstance(raw, dict):
        raise AlertPayloadError(f"{where} must be an object.")
    labels = _strings(raw.get("labels"), f"{where}.labels")
    for key in ("severity", "kind", "product"):
        if raw.get(key) is not None:
            labels[key] = _string(raw[key], f"{where}.{key}")
    annotations = {}
    for key, target in (("title", "summary"), ("description", "description")):
        if raw.get(key) is not None:
            annotations[target] = _string(raw[key], f"{where}.{key}")
    if not annotations.get("summary") and not labels and not raw.get("fingerprint"):
        raise AlertPayloadError(f"{where} needs a title, labels or a fingerprint.")
    if raw.get("runbook_url"):
        annotations["runbook_url"] = _string(raw["runbook_url"], f"{where}.runbook_url")
    identity = labels or {"title": annotations.get("summary", "")}
    return AlertEvent(
        status=_choice(raw.get("status", "firing"), f"{where}.status"),
        fingerprint=_fingerprint(raw.get("fingerprint"), identity, where),
        labels=labels,
        annotations=annotations,
        starts_at=_time(raw.get("started_at"), f"{where}.started_at"),
        ends_at=_time(raw.get("ended_at"), f"{where}.ended_at"),
        generator_url=_link(raw.get("url")),
        dashboard_url=_link(raw.get("dashboard_url")),
    )


# --- Field readers ----------------------------------------------------------------


def _choice(value: Any, where: str) -> str:
    if value not in ("firing", "resolved"):
        raise AlertPayloadError(f"{where} must be 'firing' or 'resolved'.")
    return value


def _count(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise AlertPayloadError(f"{where} must be a whole number ≥ 0.")
    return value


def _string(value: Any, where: str) -> str:
    # Label values are strings on the wire; numbers and booleans are tolerated.
    if isinstance(value, str):
        return _storable(value, where)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    raise AlertPayloadError(f"{where} must be a string.")


def _strings(value: Any, where: str, *, required: bool = False) -> dict[str, str]:
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise AlertPayloadError(f"{where} must be an object of strings.")
    return {
        _storable(key, f"{where} key"): _string(item, f"{where}.{key}")
        for key, item in value.items()
    }


def _storable(text: str, where: str) -> str:
    """Text PostgreSQL can store: no NUL, and valid UTF-8 (JSON's "\\ud800"
    escapes decode to lone surrogates, which no encoding can write)."""
    if "\x00" in text:
        raise AlertPayloadError(f"{where} holds a NUL character (\\u0000).")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise AlertPayloadError(f"{where} holds a lone surrogate.") from None
    return text


def _fingerprint(value: Any, identity: dict[str, str], where: str) -> str:
    """The sender's fingerprint, or one derived from the labels (stable across
    deliveries because the labels identify an alert in Prometheus' model)."""
    if value is None or value == "":
        canonical = json.dumps(identity, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]
    if not isinstance(value, str) or len(value) > MAX_FINGERPRINT:
        raise AlertPayloadError(
            f"{where}.fingerprint must be a string of at most {MAX_FINGERPRINT} "
            "characters."
        )
    return _storable(value, f"{where}.fingerprint")


def _time(value: Any, where: str, *, required: bool = False) -> datetime | None:
    """An RFC 3339 time; Go's zero time and absent values mean "not set"."""
    if value is None or value == "":
        if required:
            raise AlertPayloadError(f"{where} is required.")
        return None
    match = _TIME.match(value) if isinstance(value, str) else None
    if match is None:
        raise AlertPayloadError(f"{where} must be an RFC 3339 time.")
    whole, fraction, zone = match.groups()
    # Go sends nanoseconds; Python keeps microseconds.
    text = whole.replace(" ", "T") + (fraction or "")[:7] + zone.upper()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise AlertPayloadError(f"{where} must be an RFC 3339 time.") from None
    if moment.year <= ZERO_TIME_YEAR:
        return None
    return moment.astimezone(UTC)


def _link(value: Any) -> str:
    """Keep http(s) links that fit; drop anything else rather than refuse the alert."""
    if not isinstance(value, str) or len(value) > MAX_URL:
        return ""
    try:
        value = _storable(value.strip(), "a link")
    except AlertPayloadError:
        return ""
    return value if value.lower().startswith(("http://", "https://")) else ""
