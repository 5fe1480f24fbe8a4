"""Action items, from a postmortem or a planning session."""

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from tracker.incidents.models import validate_http_url
from tracker.postmortems.models.postmortem import Postmortem

User = settings.AUTH_USER_MODEL


class ActionKind(models.TextChoices):
    PREVENT = "prevent", "Prevent"
    DETECT = "detect", "Detect"
    MITIGATE = "mitigate", "Mitigate"
    PROCESS = "process", "Process"


class Priority(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class ActionStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    WONT_DO = "wont_do", "Won't do"


class ActionItem(models.Model):
    """Owned, dated work that came out of a postmortem or a planning session.

    Exactly one of `postmortem` and `session` is set (a DB check). Closing an
    item stamps `closed_at`; "won't do" says why.
    """

    postmortem = models.ForeignKey(
        Postmortem,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="action_items",
    )
    session = models.ForeignKey(
        "products.PlanningSession",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="action_items",
    )
    description = models.TextField()
    kind = models.CharField(max_length=10, choices=ActionKind)
    owner = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="action_items",
    )
    due_date = models.DateField(null=True, blank=True)
    priority = models.CharField(max_length=6, choices=Priority, default=Priority.MEDIUM)
    status = models.CharField(
        max_length=8, choices=ActionStatus, default=ActionStatus.OPEN
    )
    status_note = models.CharField(
        max_length=500, blank=True, help_text="Why it won't be done, or how it was."
    )
    ticket_url = models.CharField(
        "ticket URL", max_length=2000, blank=True, validators=[validate_http_url]
    )
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(postmortem__isnull=False, session__isnull=True)
                | Q(postmortem__isnull=True, session__isnull=False),
                name="action_item_exactly_one_source",
                violation_error_message="An action item comes from a postmortem "
                "or a planning session: exactly one.",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ActionKind.values), name="action_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(priority__in=Priority.values),
                name="action_priority_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ActionStatus.values),
                name="action_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(status=ActionStatus.OPEN, closed_at__isnull=True)
                | (~Q(status=ActionStatus.OPEN) & Q(closed_at__isnull=False)),
                name="action_closed_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status=ActionStatus.WONT_DO) | ~Q(status_note=""),
                name="action_wont_do_has_reason",
                violation_error_message="Say why it won't be done.",
            ),
            models.CheckConstraint(
                condition=~Q(description=""), name="action_has_description"
            ),
        ]
        indexes = [
            # Reminder sweeps: open items by due date (selectors.action_items_due,
            # action_items_overdue).
            models.Index(
                fields=["due_date"],
                condition=Q(status=ActionStatus.OPEN),
                name="action_open_due_idx",
            ),
            # A person's page (selectors.action_items_for_person).
            models.Index(fields=["owner", "status"], name="action_owner_idx"),
            # The API list's order (selectors.action_item_list): a page of it
            # reads only its rows, not every readable one sorted.
            models.Index(fields=["status", "due_date", "id"], name="action_list_idx"),
        ]

    def __str__(self) -> str:
        return self.description[:60]

    def get_absolute_url(self) -> str:
        if self.postmortem_id:
            page = reverse("postmortems:detail", args=[self.postmortem_id])
        else:
            page = self.session.get_absolute_url()
        return f"{page}#action-{self.pk}"

    @property
    def source(self):
        """The postmortem or the planning session it came from."""
        return self.postmortem if self.postmortem_id else self.session

    @property
    def is_open(self) -> bool:
        return self.status == ActionStatus.OPEN

    def is_overdue(self, today: date) -> bool:
        return self.is_open and self.due_date is not None and self.due_date < today
