"""Connections to the tools teams run, and what the tracker sends them.

- `Connection`: a team's Prometheus (SLAs measured by PromQL) or GitHub
  repository (issues for action items). Tokens and webhook secrets must be
  usable again, so they are stored encrypted (tracker.lib.crypto), as the alert
  integrations' HMAC secrets are. The last error, with its time, is kept for the
  connection's page.
- `SLAQuery` / `SLAEvaluation`: an SLA whose indicator comes from a PromQL
  query, and every evaluation of it, failed ones included.
- `WebhookSubscription` / `WebhookDelivery`: events sent to chat or a JSON
  endpoint; one delivery row per event and subscription (a unique constraint)
  is claimed before sending, so each event goes out once.
- `IssueLink`: the GitHub issue opened for an action item.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from tracker.lib.crypto import EncryptedTextField

User = settings.AUTH_USER_MODEL


class ConnectionKind(models.TextChoices):
    PROMETHEUS = "prometheus", "Prometheus"
    GITHUB = "github", "GitHub issues"


class Connection(models.Model):
    """A team's Prometheus server or GitHub repository."""

    team = models.ForeignKey(
        "accounts.Team", on_delete=models.CASCADE, related_name="connections"
    )
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=ConnectionKind)
    base_url = models.URLField(
        "base URL",
        max_length=500,
        help_text="Prometheus: its address (http://prometheus:9090). GitHub: the "
        "REST API's (https://api.github.com, or your GitHub Enterprise's /api/v3).",
    )
    repository = models.CharField(
        max_length=200, blank=True, help_text="GitHub: owner/name."
    )
    token = EncryptedTextField(
        salt="tracker.integrations.Connection.token",
        max_length=500,
        blank=True,
        help_text="Prometheus: an optional bearer token. GitHub: a token that may "
        "create issues in the repository.",
    )
    webhook_secret = EncryptedTextField(
        salt="tracker.integrations.Connection.webhook_secret",
        max_length=200,
        blank=True,
        help_text="GitHub: the secret of the repository's `issues` webhook.",
    )
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_ok_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ConnectionKind.values),
                name="connection_kind_valid",
            ),
            models.CheckConstraint(
                condition=~Q(kind=ConnectionKind.GITHUB) | Q(repository__contains="/"),
                name="connection_github_has_repository",
                violation_error_message="A GitHub connection names its repository "
                "as owner/name.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("integrations:connection_detail", args=[self.pk])


class SLAQuery(models.Model):
    """An SLA measured by a PromQL query on a Prometheus connection, evaluated
    every `interval_seconds` (tasks.slas_evaluate_due)."""

    sla = models.OneToOneField(
        "products.ServiceLevel", on_delete=models.CASCADE, related_name="prometheus"
    )
    connection = models.ForeignKey(
        Connection, on_delete=models.PROTECT, related_name="sla_queries"
    )
    query = models.TextField(help_text="PromQL returning one series: its value.")
    interval_seconds = models.PositiveIntegerField(default=300)
    next_run_at = models.DateTimeField()
    failures_in_a_row = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "SLA query"
        verbose_name_plural = "SLA queries"
        constraints = [
            models.CheckConstraint(
                condition=Q(interval_seconds__gte=10), name="slaquery_interval_min"
            ),
            models.CheckConstraint(condition=~Q(query=""), name="slaquery_has_query"),
        ]
        indexes = [
            # The evaluation sweep picks the due ones (services.sla_queries_due).
            models.Index(fields=["next_run_at"], name="slaquery_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.sla}: {self.query[:60]}"

    # Consecutive failed evaluations after which the SLA shows "not measured".
    NOT_MEASURED_AFTER = 3

    @property
    def not_measured(self) -> bool:
        return self.failures_in_a_row >= self.NOT_MEASURED_AFTER


class SLAEvaluation(models.Model):
    """One run of an SLA's query: the value recorded as a check, or why none was."""

    sla_query = models.ForeignKey(
        SLAQuery, on_delete=models.CASCADE, related_name="evaluations"
    )
    at = models.DateTimeField()
    value = models.FloatField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "SLA evaluation"
        constraints = [
            models.CheckConstraint(
                condition=Q(value__isnull=False, error="")
                | Q(value__isnull=True) & ~Q(error=""),
                name="slaevaluation_value_or_error",
            ),
        ]
        indexes = [
            # The SLA page lists the newest (selectors.sla_evaluations).
            models.Index(fields=["sla_query", "-at"], name="slaevaluation_recent_idx"),
        ]

    def __str__(self) -> str:
        outcome = self.error if self.value is None else f"{self.value:g}"
        return f"{self.sla_query_id} @ {self.at:%Y-%m-%d %H:%M}: {outcome}"

    @property
    def failed(self) -> bool:
        return self.value is None


class WebhookKind(models.TextChoices):
    SLACK = "slack", "Slack incoming webhook"
    MATTERMOST = "mattermost", "Mattermost incoming webhook"
    TEAMS = "teams", "Microsoft Teams workflow webhook"
    GENERIC = "generic", "Generic JSON (HMAC-SHA256 signed)"


class Event(models.TextChoices):
    INCIDENT_OPENED = "incident.opened", "Incident opened"
    INCIDENT_ACKNOWLEDGED = "incident.acknowledged", "Incident acknowledged"
    INCIDENT_RESOLVED = "incident.resolved", "Incident resolved"
    POSTMORTEM_PUBLISHED = "postmortem.published", "Postmortem published"
    ACTION_ITEM_OVERDUE = "action_item.overdue", "Action item overdue"
    KPI_FOLLOWUP_OVERDUE = "kpi_followup.overdue", "KPI follow-up overdue"
    POLICY_VIOLATION = "policy.violation", "Follow-up policy violation"
    TEST = "test", "Test message"


class WebhookSubscription(models.Model):
    """Events of a team's products, or of one product, sent to a URL.

    The URL of a Slack, Mattermost or Teams webhook is itself the credential, so
    it is stored encrypted like the signing secret of a generic webhook."""

    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="webhooks",
    )
    product = models.ForeignKey(
        "products.Product",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="webhooks",
    )
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=WebhookKind)
    url = EncryptedTextField(
        "URL", salt="tracker.integrations.Webhook.url", max_length=2000
    )
    url_hint = models.CharField(max_length=200, editable=False, help_text="Its host.")
    secret = EncryptedTextField(
        salt="tracker.integrations.Webhook.secret", max_length=200, blank=True
    )
    events = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(team__isnull=False, product__isnull=True)
                | Q(team__isnull=True, product__isnull=False),
                name="webhook_team_or_product",
                violation_error_message="A subscription is for a team or for a "
                "product: exactly one.",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=WebhookKind.values), name="webhook_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("integrations:webhook_detail", args=[self.pk])


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class WebhookDelivery(models.Model):
    """One event for one subscription: inserted once (the unique key), claimed
    by one worker at a time, retried with back-off until sent or given up."""

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=40, choices=Event)
    key = models.CharField(max_length=120, help_text="Names the event occurrence.")
    payload = models.JSONField()
    status = models.CharField(
        max_length=10, choices=DeliveryStatus, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    response_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "key"], name="webhook_delivery_once"
            ),
            models.CheckConstraint(
                condition=Q(status__in=DeliveryStatus.values),
                name="webhook_delivery_status_valid",
            ),
        ]
        indexes = [
            # The dispatcher claims pending rows that are due (services.dispatch).
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="webhook_delivery_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.subscription_id} ({self.status})"


class IssueLink(models.Model):
    """The GitHub issue opened for an action item. Created pending by the page or
    API, filled in by the task that calls GitHub."""

    action_item = models.OneToOneField(
        "postmortems.ActionItem", on_delete=models.CASCADE, related_name="issue_link"
    )
    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, related_name="issue_links"
    )
    number = models.PositiveIntegerField(null=True, blank=True)
    html_url = models.URLField(max_length=500, blank=True)
    error = models.CharField(max_length=500, blank=True)
    requested_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # The webhook finds the item by the issue's number (hooks.github).
            models.UniqueConstraint(
                fields=["connection", "number"], name="issue_link_number_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.number} for action item {self.action_item_id}"
