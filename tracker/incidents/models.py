"""Monitoring incidents, their timeline, and the alert integrations that feed them.

An incident moves open → acknowledged → resolved; every change to it is a
`TimelineEntry` row with the old and new value and who made it, so reports and
postmortems read what happened from rows rather than from a mutable record.
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.urls import reverse

from tracker.lib.crypto import EncryptedTextField

User = settings.AUTH_USER_MODEL


class Kind(models.TextChoices):
    DRIFT = "drift", "Drift"
    SLA_BREACH = "sla_breach", "SLA breach"
    DATA_QUALITY = "data_quality", "Data quality"
    OUTAGE = "outage", "Outage"
    BAD_PREDICTIONS = "bad_predictions", "Bad predictions"
    OTHER = "other", "Other"


class Severity(models.TextChoices):
    # Stored lower-case so API clients and alert labels can send them as they are.
    SEV1 = "sev1", "SEV1"
    SEV2 = "sev2", "SEV2"
    SEV3 = "sev3", "SEV3"
    SEV4 = "sev4", "SEV4"


class Status(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


# Statuses in which an incident still needs someone; the de-duplication
# constraints below and the "open first" ordering use it.
ACTIVE_STATUSES = [Status.OPEN, Status.ACKNOWLEDGED]
STATUS_ORDER = [choice.value for choice in Status]


class Source(models.TextChoices):
    ALERTMANAGER = "alertmanager", "Alertmanager"
    GRAFANA = "grafana", "Grafana"
    GENERIC = "generic", "Generic webhook"
    API = "api", "API"
    UI = "ui", "Browser"
    SLA = "sla", "SLA check"
    FEEDBACK = "feedback", "User feedback"


class RecurrenceRule(models.TextChoices):
    """Which resemblance made an incident a recurrence of an earlier one whose
    postmortem is published (tracker.postmortems.services.recurrence)."""

    FINGERPRINT = "fingerprint", "Same alert fingerprint"
    ALERT_NAME = "alert_name", "Same alert name and product"
    KIND_AND_FACTOR = "kind_and_factor", "Same kind and product, shared factor"


class IntegrationKind(models.TextChoices):
    ALERTMANAGER = "alertmanager", "Prometheus Alertmanager"
    GRAFANA = "grafana", "Grafana alerting"
    GENERIC = "generic", "Generic JSON"


def validate_http_url(value: str) -> None:
    """Links shown on incident pages must be http(s): never `javascript:`.

    Not Django's URLValidator: monitoring links often use in-cluster host names
    such as `http://prometheus-0:9090/graph`, which it rejects.
    """
    if value and not value.lower().startswith(("http://", "https://")):
        raise ValidationError("Enter an http:// or https:// URL.", code="invalid")


def _link_field(verbose_name: str) -> models.CharField:
    return models.CharField(
        verbose_name, max_length=2000, blank=True, validators=[validate_http_url]
    )


class AlertIntegration(models.Model):
    """A monitoring tool allowed to post alerts to `/hooks/alerts/<id>/`.

    The bearer secret is shown once and stored only as an HMAC-SHA256 keyed from
    SECRET_KEY (see signing.py), so a database leak does not leak working
    credentials. The optional HMAC secret has to be usable (verifying a signature
    needs the shared key itself), so it is stored encrypted with a key derived
    from SECRET_KEY (tracker.lib.crypto): a leak of the database alone does not
    reveal it, a leak of the database and SECRET_KEY together does.
    """

    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=IntegrationKind)
    product = models.ForeignKey(
        "products.Product",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="alert_integrations",
        verbose_name="default product",
        help_text="Alerts without a `product` label go here; none: the inbox.",
    )
    secret_hash = models.CharField(max_length=64, editable=False)
    secret_hint = models.CharField(
        max_length=8, editable=False, help_text="Last characters, to tell keys apart."
    )
    hmac_secret = EncryptedTextField(
        "HMAC secret",
        salt="tracker.incidents.AlertIntegration.hmac_secret",
        max_length=200,
        blank=True,
        help_text="Optional: the shared secret of Grafana's HMAC signature setting.",
    )
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # When the latest delivery arrived, set by the task ingesting it at most
    # once a minute (services.ingest._touch_integration): a burst of deliveries
    # does not queue on this row, whose lock opening incidents takes.
    last_delivery_at = models.DateTimeField(null=True, blank=True)
    # Revoked integrations stay so their deliveries and incidents keep their origin.
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=IntegrationKind.values),
                name="integration_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("incidents:integration_detail", args=[self.pk])

    @property
    def receiver_path(self) -> str:
        return reverse("alerts_receive", args=[self.pk])

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def source(self) -> str:
        """The incident source its alerts are recorded with."""
        return Source(self.kind).value


# Open first, then acknowledged, then resolved: what needs someone comes first
# (the list's order, selectors.incident_list; indexed as it is sorted).
STATUS_RANK = Case(
    When(status=Status.OPEN, then=Value(0)),
    When(status=Status.ACKNOWLEDGED, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


class Incident(models.Model):
    """Something is wrong with an ML product in production.

    Opened by an alert, an SLA breach, the API or a person; untriaged while it has
    no product. `fingerprint` identifies the alert that opened it: an integration
    has at most one unresolved incident per fingerprint (a DB constraint), which
    makes repeated and concurrent deliveries idempotent.
    """

    product = models.ForeignKey(
        "products.Product",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incidents",
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=20, choices=Kind, default=Kind.OTHER)
    severity = models.CharField(max_length=4, choices=Severity, default=Severity.SEV3)
    status = models.CharField(max_length=12, choices=Status, default=Status.OPEN)
    source = models.CharField(max_length=12, choices=Source, default=Source.UI)
    integration = models.ForeignKey(
        AlertIntegration,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="incidents",
        db_index=False,  # incident_alert_idx leads with it
    )
    sla = models.ForeignKey(
        "products.ServiceLevel",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="incidents",
        verbose_name="SLA",
    )
    fingerprint = models.CharField(max_length=200, blank=True)
    # The alert's labels and annotations as last received: a repeated delivery is
    # recognised by comparing against them (services.alert_apply).
    labels = models.JSONField(default=dict, blank=True)
    annotations = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField()
    detected_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    generator_url = _link_field("generator URL")
    dashboard_url = _link_field("dashboard URL")
    runbook_url = _link_field("runbook URL")
    # Set by the postmortems app, which knows what was published: "this
    # happened before" (tracker.postmortems.services.recurrence).
    recurrence_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="recurrences",
        help_text="An earlier incident with a published postmortem this repeats.",
    )
    recurrence_rule = models.CharField(
        max_length=20, choices=RecurrenceRule, blank=True
    )
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            # One unresolved incident per alert. services.alert_apply opens
            # under the integration's lock, so deliveries never race to insert;
            # this index is the backstop should anything else ever try.
            models.UniqueConstraint(
                fields=["integration", "fingerprint"],
                condition=Q(status__in=ACTIVE_STATUSES)
                & Q(integration__isnull=False)
                & ~Q(fingerprint=""),
                name="incident_one_active_per_alert",
                violation_error_message="This alert already has an open incident.",
            ),
            # One breach incident per SLA until it is resolved (sla_breach_sync).
            models.UniqueConstraint(
                fields=["sla"],
                condition=Q(status__in=ACTIVE_STATUSES) & Q(sla__isnull=False),
                name="incident_one_active_per_sla",
                violation_error_message="This SLA already has an open incident.",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=Kind.values), name="incident_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(severity__in=Severity.values),
                name="incident_severity_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=STATUS_ORDER), name="incident_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(source__in=Source.values), name="incident_source_valid"
            ),
            models.CheckConstraint(
                condition=Q(status=Status.RESOLVED, resolved_at__isnull=False)
                | (~Q(status=Status.RESOLVED) & Q(resolved_at__isnull=True)),
                name="incident_resolved_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.ACKNOWLEDGED)
                | Q(acknowledged_at__isnull=False),
                name="incident_acknowledged_has_time",
            ),
            models.CheckConstraint(
                condition=Q(detected_at__gte=models.F("started_at")),
                name="incident_detected_after_start",
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True)
                | Q(resolved_at__gte=models.F("started_at")),
                name="incident_resolved_after_start",
            ),
            # A recurrence always says which rule matched. (The rule stays when
            # the earlier incident is deleted and recurrence_of is set to NULL.)
            models.CheckConstraint(
                condition=Q(recurrence_of__isnull=True) | ~Q(recurrence_rule=""),
                name="incident_recurrence_has_rule",
            ),
            models.CheckConstraint(
                condition=Q(recurrence_rule="")
                | Q(recurrence_rule__in=RecurrenceRule.values),
                name="incident_recurrence_rule_valid",
            ),
        ]
        indexes = [
            # List page and API: by status, then start (selectors.incident_list).
            models.Index(fields=["status", "-started_at"], name="incident_status_idx"),
            # The list's order, so that a page of it reads only its rows.
            models.Index(
                STATUS_RANK,
                "severity",
                F("started_at").desc(),
                F("id").desc(),
                name="incident_list_order_idx",
            ),
            # The product page's open incidents (selectors.product_open_incidents).
            models.Index(fields=["product", "status"], name="incident_product_idx"),
            # alert_apply also looks at resolved incidents of the same alert.
            models.Index(
                fields=["integration", "fingerprint"], name="incident_alert_idx"
            ),
            # The untriaged inbox (selectors.incident_inbox).
            models.Index(
                fields=["-detected_at"],
                condition=Q(product__isnull=True),
                name="incident_untriaged_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("incidents:detail", args=[self.pk])

    @property
    def picker_label(self) -> str:
        """How pickers and choice fields name an incident."""
        return (
            f"#{self.pk} {self.title} · {self.get_severity_display()} · "
            f"{self.started_at:%d %b %Y}"
        )

    @property
    def is_active(self) -> bool:
        return self.status != Status.RESOLVED

    @property
    def time_to_detect(self) -> timedelta:
        """From the problem starting to the tracker knowing about it."""
        return self.detected_at - self.started_at

    @property
    def time_to_acknowledge(self) -> timedelta | None:
        """From detection to someone taking it on."""
        if self.acknowledged_at is None:
            return None
        return self.acknowledged_at - self.detected_at

    @property
    def time_to_resolve(self) -> timedelta | None:
        """From the problem starting to its end: how long users were affected."""
        if self.resolved_at is None:
            return None
        return self.resolved_at - self.started_at


class EntryKind(models.TextChoices):
    OPENED = "opened", "Opened"
    STATUS = "status", "Status changed"
    SEVERITY = "severity", "Severity changed"
    PRODUCT = "product", "Product changed"
    TITLE = "title", "Title changed"
    KIND = "kind", "Kind changed"
    NOTE = "note", "Note"


class TimelineEntry(models.Model):
    """One thing that happened to an incident: a change (old → new) or a note.

    `actor` is empty when the tracker itself made the change (an alert or an SLA
    check); `source` then says which.
    """

    incident = models.ForeignKey(
        Incident,
        on_delete=models.CASCADE,
        related_name="timeline",
        db_index=False,  # timeline_incident_idx leads with it
    )
    at = models.DateTimeField()
    kind = models.CharField(max_length=10, choices=EntryKind)
    old_value = models.CharField(max_length=200, blank=True)
    new_value = models.CharField(max_length=200, blank=True)
    note = models.TextField(blank=True)
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=12, choices=Source, default=Source.UI)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name_plural = "timeline entries"
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=EntryKind.values), name="timeline_kind_valid"
            ),
            models.CheckConstraint(
                condition=~Q(kind=EntryKind.NOTE) | ~Q(note=""),
                name="timeline_note_not_empty",
            ),
        ]
        indexes = [
            # The incident page reads it in order (selectors.incident_timeline).
            models.Index(fields=["incident", "at"], name="timeline_incident_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.kind}: {self.old_value} → {self.new_value}"


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Waiting to be ingested"
    PROCESSED = "processed", "Ingested"
    REFUSED = "refused", "Refused"


class AlertDelivery(models.Model):
    """One webhook delivery and what became of it.

    An authenticated delivery of the right size and shape is stored as it
    arrives (`pending`, raw body kept) and answered at once; a task ingests it
    (`processed`, with the counts and each rejected alert's reason). A refused
    delivery (bad secret or signature, too large, malformed) is kept too,
    without the body of a sender that did not authenticate, so a team can see
    why alerts did not arrive.
    """

    integration = models.ForeignKey(
        AlertIntegration,
        on_delete=models.CASCADE,
        related_name="deliveries",
        # delivery_latest_idx leads with it: a second index would only cost
        # every stored delivery one more write.
        db_index=False,
    )
    received_at = models.DateTimeField()
    state = models.CharField(
        max_length=10, choices=DeliveryState, default=DeliveryState.PENDING
    )
    reason = models.CharField(
        max_length=300, blank=True, help_text="Why a refused delivery was refused."
    )
    http_status = models.PositiveSmallIntegerField(
        default=202, help_text="What the sender was answered."
    )
    body = models.TextField(blank=True)
    status = models.CharField(max_length=20, blank=True, help_text="firing/resolved")
    alerts = models.PositiveIntegerField(default=0)
    truncated_alerts = models.PositiveIntegerField(default=0)
    opened = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    # [{"alert": index in the delivery, "reason": "..."}], one per rejected alert.
    rejections = models.JSONField(default=list, blank=True)
    # Set by the task that ingests it (a claim: see services.ingest), then done.
    claimed_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name_plural = "alert deliveries"
        indexes = [
            # The integration page lists its latest deliveries.
            models.Index(
                fields=["integration", "-received_at"], name="delivery_latest_idx"
            ),
            # The sweep (services.ingest.deliveries_sweep) finds the pending ones.
            models.Index(
                fields=["received_at"],
                condition=Q(state="pending"),
                name="delivery_pending_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=DeliveryState.values),
                name="delivery_state_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.integration} @ {self.received_at:%Y-%m-%d %H:%M:%S}"
