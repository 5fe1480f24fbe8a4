"""What happens after launch: the feedback of the people who use the model, what
the product costs and earns, and the data contracts with the sources it reads
and the consumers who read it (docs/value.md)."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from tracker.accounts.models import Team
from tracker.incidents.models import Incident
from tracker.products.models import FeatureSource, Product, Segment

User = settings.AUTH_USER_MODEL


# --- Feedback -------------------------------------------------------------------------


class Rating(models.TextChoices):
    GOOD = "good", "Good"
    BAD = "bad", "Bad"


class Feedback(models.Model):
    """One rating of one prediction by someone who used it."""

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="feedback"
    )
    rating = models.CharField(max_length=4, choices=Rating)
    prediction_id = models.CharField(max_length=200, blank=True)
    segment = models.ForeignKey(
        Segment,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feedback",
    )
    comment = models.TextField(max_length=2000, blank=True)
    submitted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The bad_predictions incident this rating was part of, if it opened one.
    incident = models.ForeignKey(
        Incident,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feedback",
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "feedback"
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__in=Rating.values), name="feedback_rating_valid"
            ),
        ]
        indexes = [
            # The window count and the list, newest first, per product.
            models.Index(fields=["product", "-created_at"], name="feedback_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.rating} ({self.prediction_id or 'no prediction id'})"


# --- Cost and value ------------------------------------------------------------------


class CostKind(models.TextChoices):
    BUILD = "build", "Build effort"
    RUNNING = "running", "Running cost"
    LABELLING = "labelling", "Labelling"
    OTHER = "other", "Other"


class Cost(models.Model):
    """Money spent on a product, dated, in the instance's currency."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="costs")
    kind = models.CharField(max_length=10, choices=CostKind)
    amount = models.DecimalField(
        max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    incurred_at = models.DateField()
    note = models.CharField(max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-incurred_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=CostKind.values), name="cost_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="cost_amount_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["product", "incurred_at"], name="cost_product_idx")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} on {self.incurred_at}"


# --- Data contracts ------------------------------------------------------------------


class SourceContract(models.Model):
    """What a product relies on from one source of its production-data survey."""

    source = models.OneToOneField(
        FeatureSource, on_delete=models.CASCADE, related_name="contract"
    )
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="source_contracts"
    )
    # Required on input; null once the team is deleted (the contract stays).
    owner_team = models.ForeignKey(
        Team, null=True, on_delete=models.SET_NULL, related_name="source_contracts"
    )
    fields_relied_on = models.TextField(
        help_text="The schema or fields the product reads, e.g. one per line."
    )
    freshness_promised = models.DurationField(
        null=True, blank=True, help_text="How old the data may be at most."
    )
    semantics = models.TextField(
        blank=True, help_text="What the values mean, units, nulls, time zones."
    )
    provider = models.ForeignKey(
        Product,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="provided_contracts",
        help_text="The tracked product whose output this source is, if any.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Contract on {self.source.feature}"


class Consumer(models.Model):
    """Someone downstream who reads the product's outputs."""

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="consumers"
    )
    name = models.CharField(max_length=200)
    owner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    relies_on = models.TextField(help_text="Which outputs, fields or behaviour.")
    consumer_product = models.ForeignKey(
        Product,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="consumed",
        help_text="The tracked product that is this consumer, if any.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "name"], name="consumer_name_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Side(models.TextChoices):
    UPSTREAM = "upstream", "Upstream (a source the product reads)"
    DOWNSTREAM = "downstream", "Downstream (what a consumer reads)"


class ContractChange(models.Model):
    """A notice that one side of a contract changes: an upstream source (its
    product's owners hear of it) or the product's outputs a consumer relies on
    (the consumer's owner hears of it)."""

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="contract_changes"
    )
    side = models.CharField(max_length=10, choices=Side)
    source = models.ForeignKey(
        FeatureSource,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="contract_changes",
    )
    consumer = models.ForeignKey(
        Consumer,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="changes",
    )
    summary = models.TextField(max_length=2000)
    effective_at = models.DateTimeField()
    posted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    side=Side.UPSTREAM, source__isnull=False, consumer__isnull=True
                )
                | Q(side=Side.DOWNSTREAM, source__isnull=True, consumer__isnull=False),
                name="contract_change_names_its_side",
            ),
        ]
        indexes = [
            models.Index(fields=["created_at"], name="contract_change_created_idx")
        ]

    def __str__(self) -> str:
        return self.summary[:80]

    def get_absolute_url(self) -> str:
        return reverse("outcomes:contracts", args=[self.product.slug])


class ContractChangeShared(models.Model):
    """A change notice as it reaches the product on the other side, when that
    side is a tracked product too (a consumer's product, a source's provider):
    audited with that product, so the notice is on both products' histories."""

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="contract_changes_shared"
    )
    change = models.ForeignKey(
        ContractChange, on_delete=models.CASCADE, related_name="shared"
    )
    summary = models.CharField(max_length=200)

    class Meta:
        verbose_name = "shared change notice"
        constraints = [
            models.UniqueConstraint(
                fields=["product", "change"], name="contract_change_shared_once"
            )
        ]

    def __str__(self) -> str:
        return self.summary
