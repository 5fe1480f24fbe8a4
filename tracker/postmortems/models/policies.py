"""Follow-up policies: how soon, by severity and optionally risk tier, a
postmortem is published and its action items of each kind are done.

The most specific policy applies: one for the incident's severity and the
product's risk tier, else the one for the severity with no tier. A product
failure (no incident) follows the SEV2 policies. Migration 0004 turns the
former fixed deadline (SEV1–2 postmortems within 5 business days) into the
default rows; selectors.policies computes the violations.
"""

from django.db import models
from django.db.models import Q

from tracker.incidents.models import Severity
from tracker.postmortems.models.action_items import ActionKind
from tracker.products.models import RiskTier

# ActionKind → the policy field limiting that kind of action item.
ACTION_DAYS_FIELDS = {kind.value: f"{kind.value}_days" for kind in ActionKind}


def _days(label: str) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        f"{label} action items done within (days)",
        null=True,
        blank=True,
        help_text="Calendar days from the item's creation; empty: no limit.",
    )


class FollowUpPolicy(models.Model):
    """What the organisation expects after an incident of a severity."""

    severity = models.CharField(max_length=4, choices=Severity)
    risk_tier = models.CharField(
        max_length=10,
        choices=RiskTier,
        blank=True,
        help_text="Empty: every product without a policy of its own tier.",
    )
    postmortem_business_days = models.PositiveSmallIntegerField(
        "postmortem published within (business days)",
        null=True,
        blank=True,
        help_text="After the last covered incident was resolved (a product "
        "failure: after the postmortem was started); empty: no limit.",
    )
    prevent_days = _days("Prevent")
    detect_days = _days("Detect")
    mitigate_days = _days("Mitigate")
    process_days = _days("Process")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["severity", "risk_tier"]
        verbose_name_plural = "follow-up policies"
        constraints = [
            models.UniqueConstraint(
                fields=["severity", "risk_tier"],
                name="policy_one_per_severity_tier",
                violation_error_message="A policy for this severity and risk tier "
                "exists already.",
            ),
            models.CheckConstraint(
                condition=Q(severity__in=Severity.values), name="policy_severity_valid"
            ),
            models.CheckConstraint(
                condition=Q(risk_tier="") | Q(risk_tier__in=RiskTier.values),
                name="policy_risk_tier_valid",
            ),
        ]

    def __str__(self) -> str:
        tier = f", {self.get_risk_tier_display()} risk" if self.risk_tier else ""
        return f"{self.get_severity_display()}{tier}"

    def action_days(self, kind: str) -> int | None:
        return getattr(self, ACTION_DAYS_FIELDS[kind])
