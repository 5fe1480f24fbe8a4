"""Reminders: the record of every reminder sent (or held, or cancelled), per-person
notification preferences, daily digests and weekly leadership digests, and the
follow-ups that only exist to be chased: post-launch KPI reviews and "still
accurate?" confirmations of data surveys and SLAs.

Exactly-once delivery rests on two things in the database: the unique constraint
`reminder_once` (one row per subject, due occurrence, recipient and channel) and a
claim taken with a conditional UPDATE before a mail goes out (services.py).
"""

import zoneinfo
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

User = settings.AUTH_USER_MODEL
HOURS = [MinValueValidator(0), MaxValueValidator(23)]
DEFAULT_KPI_REVIEW_WEEKS = [2, 6, 13]
MAX_REVIEW_WEEKS = 156


def default_timezone() -> str:
    return settings.TIME_ZONE


class Channel(models.TextChoices):
    EMAIL = "email", "E-mail"
    IN_APP = "in_app", "In-app notification"


class Reminder(models.Model):
    """One reminder for one due occurrence of a subject, to one person, over one
    channel. In-app reminders are the notifications people read (delivered when
    the row is inserted); e-mail rows wait in the outbox until a worker claims
    and sends them, or they are cancelled because the occurrence stopped being
    due.

    The subject is referenced generically (`subject_type` + `subject_id`, e.g.
    "metric" 42) so rules for new kinds of subjects need no schema change; `url`
    is the page where the recipient can act. `product` is the product the
    subject belongs to: a notification is shown (and mail sent) only while its
    recipient may read that product (a private team's, docs/access.md).
    """

    rule = models.CharField(max_length=40, help_text="The rule that found it due.")
    subject_type = models.CharField(max_length=40)
    subject_id = models.PositiveBigIntegerField()
    occurrence = models.DateTimeField(
        help_text="When the subject fell due; identifies the occurrence."
    )
    recipient = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="reminders"
    )
    # Indexed (Django's FK index): the notification lists and the bell keep only
    # reminders about products their reader may read (selectors.notification_list).
    product = models.ForeignKey(
        "products.Product",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The product the subject belongs to, if any.",
    )
    channel = models.CharField(max_length=10, choices=Channel)
    escalation = models.BooleanField(
        default=False, help_text="Sent because the subject is long overdue."
    )
    title = models.CharField(max_length=300)
    url = models.CharField(max_length=500, help_text="Path of the page to act on.")
    created_at = models.DateTimeField()
    queued_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(
        null=True, blank=True, help_text="The occurrence stopped being due."
    )
    read_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    digest = models.ForeignKey(
        "Digest",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reminders",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Exactly once: a second sweep, an overlapping worker or a retry
            # inserting the same reminder hits this and changes nothing.
            models.UniqueConstraint(
                fields=[
                    "subject_type",
                    "subject_id",
                    "occurrence",
                    "recipient",
                    "channel",
                ],
                name="reminder_once",
            ),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="reminder_channel_valid"
            ),
            models.CheckConstraint(
                condition=Q(sent_at__isnull=True) | Q(cancelled_at__isnull=True),
                name="reminder_sent_or_cancelled",
            ),
            models.CheckConstraint(
                condition=Q(read_at__isnull=True)
                | Q(channel=Channel.IN_APP, sent_at__isnull=False),
                name="reminder_read_only_in_app",
            ),
            models.CheckConstraint(
                condition=Q(digest__isnull=True) | Q(channel=Channel.EMAIL),
                name="reminder_digest_only_email",
            ),
        ]
        indexes = [
            # The bell's unread count, on every page (context_processors.py).
            models.Index(
                fields=["recipient"],
                condition=Q(channel="in_app", read_at__isnull=True),
                name="reminder_unread_idx",
            ),
            # Notifications page and API, newest first (selectors.notification_list).
            models.Index(
                fields=["recipient", "-created_at", "-id"],
                condition=Q(channel="in_app"),
                name="reminder_inbox_idx",
            ),
            # Mail waiting to go out (services.reminders_dispatch, digest_send).
            models.Index(
                fields=["id"],
                condition=Q(
                    channel="email", sent_at__isnull=True, cancelled_at__isnull=True
                ),
                name="reminder_outbox_idx",
            ),
            # Reminders whose occurrence may have stopped being due
            # (services.reminders_resolve_stale).
            models.Index(
                fields=["rule"],
                condition=Q(resolved_at__isnull=True),
                name="reminder_open_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule} → {self.recipient_id} ({self.channel}): {self.title}"

    @property
    def status(self) -> str:
        if self.cancelled_at:
            return "cancelled"
        if self.sent_at:
            return "sent"
        if self.claimed_at:
            return "sending"
        return "pending"

    @property
    def absolute_url(self) -> str:
        return settings.SITE_URL + self.url

    @property
    def is_unread(self) -> bool:
        return self.read_at is None


class NotificationPreferences(models.Model):
    """How a person wants to be reminded. No row means the defaults: both
    channels on, no quiet hours, one mail per reminder."""

    user = models.OneToOneField(
        User,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="notification_preferences",
    )
    email_enabled = models.BooleanField("e-mail", default=True)
    in_app_enabled = models.BooleanField("in-app notifications", default=True)
    timezone = models.CharField(max_length=64, default=default_timezone)
    quiet_start_hour = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=HOURS
    )
    quiet_end_hour = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=HOURS
    )
    digest_enabled = models.BooleanField("daily digest", default=False)
    digest_hour = models.PositiveSmallIntegerField(default=8, validators=HOURS)
    leadership_digest = models.BooleanField(
        "weekly leadership digest",
        default=False,
        help_text="On Mondays: the portfolio's products that need attention.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "notification preferences"
        verbose_name_plural = "notification preferences"
        constraints = [
            models.CheckConstraint(
                condition=Q(quiet_start_hour__isnull=True, quiet_end_hour__isnull=True)
                | Q(
                    quiet_start_hour__gte=0,
                    quiet_start_hour__lte=23,
                    quiet_end_hour__gte=0,
                    quiet_end_hour__lte=23,
                ),
                name="prefs_quiet_hours_pair",
            ),
            models.CheckConstraint(
                condition=Q(quiet_start_hour__isnull=True)
                | ~Q(quiet_start_hour=models.F("quiet_end_hour")),
                name="prefs_quiet_hours_not_empty",
            ),
            models.CheckConstraint(
                condition=Q(digest_hour__gte=0, digest_hour__lte=23),
                name="prefs_digest_hour_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Notification preferences of {self.user_id}"

    def clean(self) -> None:
        if self.timezone not in zoneinfo.available_timezones():
            raise ValidationError({"timezone": "Choose a time zone from the list."})
        if (self.quiet_start_hour is None) != (self.quiet_end_hour is None):
            raise ValidationError("Give both ends of the quiet hours, or neither.")
        if self.quiet_start_hour is not None and (
            self.quiet_start_hour == self.quiet_end_hour
        ):
            raise ValidationError("Quiet hours must start and end at different hours.")

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        try:
            return zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo("UTC")

    @property
    def has_quiet_hours(self) -> bool:
        return self.quiet_start_hour is not None and self.quiet_end_hour is not None

    def in_quiet_hours(self, at: datetime) -> bool:
        """Quiet from the start hour (inclusive) to the end hour (exclusive), local
        time; a start after the end spans midnight (22 → 7)."""
        if not self.has_quiet_hours:
            return False
        hour = at.astimezone(self.zone).hour
        start, end = self.quiet_start_hour, self.quiet_end_hour
        if start < end:
            return start <= hour < end
        return hour >= start or hour < end

    def quiet_hours_end(self, at: datetime) -> datetime | None:
        """When mail held at `at` goes out; None when `at` is not quiet."""
        if not self.in_quiet_hours(at):
            return None
        local = at.astimezone(self.zone)
        end = datetime.combine(local.date(), time(self.quiet_end_hour), self.zone)
        return end if end > local else end + timedelta(days=1)

    def mails_each_reminder(self, at: datetime) -> bool:
        """Single reminder mails may go out now."""
        return (
            self.email_enabled
            and not self.digest_enabled
            and not self.in_quiet_hours(at)
        )

    def digest_day(self, at: datetime) -> date | None:
        """The local day whose digest is due at `at`, or None (not yet the digest
        hour, quiet hours, or no digest wanted)."""
        if not (self.email_enabled and self.digest_enabled):
            return None
        local = at.astimezone(self.zone)
        if local.hour < self.digest_hour or self.in_quiet_hours(at):
            return None
        return local.date()

    def leadership_week(self, at: datetime) -> tuple[int, int] | None:
        """The ISO (year, week) whose leadership digest is due at `at`, or None:
        it goes out on Monday, local time, from the digest hour and outside
        quiet hours."""
        if not (self.email_enabled and self.leadership_digest):
            return None
        local = at.astimezone(self.zone)
        if local.isoweekday() != 1 or local.hour < self.digest_hour:
            return None
        if self.in_quiet_hours(at):
            return None
        year, week, _ = local.isocalendar()
        return year, week


class Digest(models.Model):
    """One digest mail to one person for one local day: the unique constraint and
    a claim make it go out once even when the digest task runs twice."""

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    created_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    item_count = models.PositiveIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-day", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "day"], name="digest_once")
        ]
        indexes = [
            # Digests still to send (services.digests_prepare).
            models.Index(
                fields=["id"],
                condition=Q(sent_at__isnull=True),
                name="digest_pending_idx",
            )
        ]

    def __str__(self) -> str:
        return f"Digest for {self.recipient_id} on {self.day}"


class LeadershipDigest(models.Model):
    """One weekly leadership digest (the portfolio's "what needs attention") to
    one person for one ISO week: the unique constraint and a claim make it go
    out once even when the task runs twice or on two workers."""

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(help_text="ISO year.")
    week = models.PositiveSmallIntegerField(help_text="ISO week, 1 to 53.")
    created_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    item_count = models.PositiveIntegerField(
        default=0, help_text="Products that needed attention."
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-year", "-week", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "year", "week"], name="leadership_digest_once"
            ),
            models.CheckConstraint(
                condition=Q(week__gte=1, week__lte=53),
                name="leadership_digest_week_range",
            ),
        ]
        indexes = [
            # Leadership digests still to send (reports.digest).
            models.Index(
                fields=["id"],
                condition=Q(sent_at__isnull=True),
                name="leadership_digest_pending_idx",
            )
        ]

    def __str__(self) -> str:
        return (
            f"Leadership digest for {self.recipient_id}, {self.year}-W{self.week:02d}"
        )


class KPIReviewPlan(models.Model):
    """The weeks after launch at which a product's KPIs are reviewed. Without a
    plan the defaults apply (DEFAULT_KPI_REVIEW_WEEKS); an empty list means the
    team wants no scheduled reviews."""

    product = models.OneToOneField(
        "products.Product",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="kpi_review_plan",
    )
    weeks = models.JSONField(default=list)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "KPI review plan"

    def __str__(self) -> str:
        return f"KPI reviews of {self.product_id} at weeks {self.weeks}"


class KPIReview(models.Model):
    """A post-launch KPI review: `weeks` after launch the product's owners compare
    the after-launch measurements with the baseline and write down what they
    conclude. Scheduled from the plan when the product is launched."""

    product = models.ForeignKey(
        "products.Product", on_delete=models.CASCADE, related_name="kpi_reviews"
    )
    weeks = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_REVIEW_WEEKS)]
    )
    due_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    conclusion = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["weeks"]
        verbose_name = "KPI review"
        constraints = [
            models.UniqueConstraint(
                fields=["product", "weeks"], name="kpi_review_once_per_offset"
            ),
            models.CheckConstraint(
                condition=Q(weeks__gte=1, weeks__lte=MAX_REVIEW_WEEKS),
                name="kpi_review_weeks_range",
            ),
            models.CheckConstraint(
                condition=Q(completed_at__isnull=True) | ~Q(conclusion=""),
                name="kpi_review_completed_has_conclusion",
            ),
        ]
        indexes = [
            # Open reviews past due (products/reminder_rules.kpi_reviews_due).
            models.Index(
                fields=["due_at"],
                condition=Q(completed_at__isnull=True),
                name="kpi_review_open_due_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.product}: {self.weeks}-week KPI review"

    def get_absolute_url(self) -> str:
        return reverse("reminders:kpi_review", args=[self.product.slug, self.pk])

    @property
    def is_done(self) -> bool:
        return self.completed_at is not None


class ReviewConfirmation(models.Model):
    """Someone checked a product's production-data survey (`sla` empty) or one of
    its SLAs and confirmed it is still accurate; restarts its review clock."""

    product = models.ForeignKey(
        "products.Product", on_delete=models.CASCADE, related_name="+"
    )
    sla = models.ForeignKey(
        "products.ServiceLevel",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    reviewed_at = models.DateTimeField()
    reviewed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-reviewed_at"]
        indexes = [
            # Latest confirmation of a survey or an SLA (products/reminder_rules.py).
            models.Index(
                fields=["product", "sla", "-reviewed_at"], name="review_confirm_idx"
            )
        ]

    def __str__(self) -> str:
        what = f"SLA {self.sla_id}" if self.sla_id else "survey"
        return f"{what} of {self.product_id} reviewed {self.reviewed_at:%Y-%m-%d}"
