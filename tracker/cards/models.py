"""What a model is for and who agreed to how it is built: a product's model card
(Mitchell et al., "Model Cards for Model Reporting", 2019), its scope (the use
cases it serves and those it explicitly does not), and planning decisions with
the sign-off of the people who must approve them.

This app sits above products (it reads a product's segments and metrics for the
card's quantitative analyses) and below readiness and reminders, which read it.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from tracker.products.models import PlanningSession, Product

User = settings.AUTH_USER_MODEL

# The card's typed sections, in the paper's order. Model details come from the
# product (owners) and the card (version, date); factors list the product's
# segments and the quantitative analyses are read from measurements, not typed.
CARD_SECTIONS = [
    ("model_details", "Model details"),
    ("intended_use", "Intended use"),
    ("intended_users", "Intended users"),
    ("out_of_scope_uses", "Out-of-scope uses"),
    ("factors", "Factors"),
    ("metrics", "Metrics and decision thresholds"),
    ("evaluation_data", "Evaluation data"),
    ("training_data", "Training data"),
    ("ethical_considerations", "Ethical considerations"),
    ("caveats", "Caveats and recommendations"),
]
CARD_FIELDS = ["model_version", "model_date", *(name for name, _ in CARD_SECTIONS)]
# Readiness asks these of high- and critical-risk products before pilot.
CARD_REQUIRED_FOR_RISK = ["intended_use", "out_of_scope_uses", "caveats"]


def _section(label: str, help_text: str) -> models.TextField:
    return models.TextField(label, blank=True, help_text=help_text)


class CardSections(models.Model):
    """The sections a card is written in: a product's card and a version's."""

    model_date = models.DateField(null=True, blank=True)
    model_details = _section(
        "model details", "Architecture, training approach, licence, contact."
    )
    intended_use = _section("intended use", "The narrow use cases it is built for.")
    intended_users = _section("intended users", "Who uses its output, and how.")
    out_of_scope_uses = _section(
        "out-of-scope uses", "Uses it is not fit for, said plainly."
    )
    factors = _section(
        "factors", "Why these segments matter (they are declared on the product)."
    )
    metrics = _section(
        "metrics", "Which metrics judge it, and the decision thresholds used."
    )
    evaluation_data = _section("evaluation data", "Data sets, why chosen, how split.")
    training_data = _section("training data", "What it learnt from, and its gaps.")
    ethical_considerations = _section(
        "ethical considerations", "Sensitive data, risks to people, mitigations."
    )
    caveats = _section(
        "caveats and recommendations",
        "What the product's users are told about its limits.",
    )

    class Meta:
        abstract = True


class ModelCard(CardSections):
    """A product's model card: what the model is for, where it fails, and what its
    users are told about its limits. One per product."""

    product = models.OneToOneField(
        Product, on_delete=models.CASCADE, related_name="model_card"
    )
    model_version = models.CharField(max_length=100, blank=True)
    # The 90-day review reminder counts from here (the card's last save).
    reviewed_at = models.DateTimeField()
    updated_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            # The card review reminder finds cards not reviewed for 90 days.
            models.Index(fields=["reviewed_at"], name="modelcard_reviewed_idx"),
        ]

    def __str__(self) -> str:
        return f"Model card of {self.product}"

    def get_absolute_url(self) -> str:
        return reverse("cards:card", args=[self.product.slug])

    @property
    def missing_for_risk(self) -> list[str]:
        """The sections readiness asks of high-risk products that are empty."""
        labels = dict(CARD_SECTIONS)
        return [
            labels[name]
            for name in CARD_REQUIRED_FOR_RISK
            if not getattr(self, name).strip()
        ]


# What a version's card holds: the sections (its version is the one it belongs to).
VERSION_CARD_FIELDS = ["model_date", *(name for name, _ in CARD_SECTIONS)]


class VersionModelCard(CardSections):
    """A model version's own card, started as a copy of the product's card
    (services.version_card_save) and edited on its own from then on."""

    version = models.OneToOneField(
        "releases.ModelVersion", on_delete=models.CASCADE, related_name="model_card"
    )
    updated_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "version model card"

    def __str__(self) -> str:
        return f"Model card of version {self.version_id}"

    def get_absolute_url(self) -> str:
        return reverse(
            "cards:version_card",
            args=[self.version.product.slug, self.version_id],
        )

    @property
    def model_version(self) -> str:
        """The version it describes (the product card's field of that name)."""
        return self.version.version


class UseCase(models.Model):
    """One use case in the product's scope: served, or explicitly not served."""

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="use_cases"
    )
    description = models.CharField(max_length=300)
    served = models.BooleanField(
        default=True, help_text="Off: a use case the product explicitly does not serve."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-served", "description"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "description"], name="usecase_unique"
            ),
            models.CheckConstraint(
                condition=~Q(description=""), name="usecase_not_blank"
            ),
        ]

    def __str__(self) -> str:
        return self.description


class Decision(models.Model):
    """A choice made while planning (e.g. listwise deletion for missing values),
    the alternatives weighed, and why; approved by the people named on it."""

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="decisions"
    )
    session = models.ForeignKey(
        PlanningSession,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="decision_records",
        help_text="The planning session it was taken in, if any.",
    )
    title = models.CharField(max_length=200)
    decision = models.TextField(help_text="What was decided.")
    alternatives = models.TextField(
        blank=True, help_text="The alternatives considered, and why each was rejected."
    )
    reason = models.TextField(help_text="Why this choice.")
    decided_at = models.DateTimeField()
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-decided_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(title="") & ~Q(decision="") & ~Q(reason=""),
                name="decision_not_blank",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("cards:decisions", args=[self.product.slug]) + f"#d{self.pk}"

    @property
    def status(self) -> str:
        """objected if anyone objected, pending while anyone has not answered,
        else approved (from the prefetched approvals)."""
        states = {approval.state for approval in self.approvals.all()}
        for state in (ApprovalState.OBJECTED, ApprovalState.PENDING):
            if state in states:
                return state
        return ApprovalState.APPROVED


class ApprovalState(models.TextChoices):
    PENDING = "pending", "Awaiting approval"
    APPROVED = "approved", "Approved"
    OBJECTED = "objected", "Objected"


class Approval(models.Model):
    """One person's sign-off on a decision: pending until they approve or object,
    with a comment, dated."""

    decision = models.ForeignKey(
        Decision, on_delete=models.CASCADE, related_name="approvals"
    )
    approver = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(
        max_length=10, choices=ApprovalState, default=ApprovalState.PENDING
    )
    comment = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["decision", "approver"], name="approval_unique"
            ),
            models.CheckConstraint(
                condition=Q(state__in=ApprovalState.values), name="approval_state"
            ),
            # Answered exactly when no longer pending.
            models.CheckConstraint(
                condition=Q(state=ApprovalState.PENDING, answered_at__isnull=True)
                | (~Q(state=ApprovalState.PENDING) & Q(answered_at__isnull=False)),
                name="approval_answered_when_not_pending",
            ),
        ]
        indexes = [
            # The approval reminder and "awaiting approval" lists read pending rows.
            models.Index(
                fields=["approver", "id"],
                condition=Q(state=ApprovalState.PENDING),
                name="approval_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.approver}: {self.get_state_display()}"
