"""Models as they ship: the versions of a product's model, the registry-style
aliases pointing at them, and the deployments that put a version in an
environment (a rollback being a deployment of a version older than the one it
replaced). `ReleaseSettings` names the CI stages that feed them and
`MlflowRegistry` the MLflow registered model they are kept in step with.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from tracker.ci.models import validate_context, validate_http_url, validate_metrics
from tracker.lib.crypto import EncryptedTextField

validate_version = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9._:+-]{0,99}$",
    "A version is letters, digits and . _ : + -, at most 100 characters.",
)


class Environment(models.TextChoices):
    PRODUCTION = "production", "Production"
    STAGING = "staging", "Staging"
    SHADOW = "shadow", "Shadow"
    CANARY = "canary", "Canary"


class Alias(models.TextChoices):
    CHAMPION = "champion", "Champion"
    CHALLENGER = "challenger", "Challenger"
    SHADOW = "shadow", "Shadow"


class ModelVersion(models.Model):
    """One version of a product's model, as a registry keeps it.

    Versions are ordered by `created_at` (for MLflow versions, the registry's own
    creation time): a deployment of an earlier version than the one serving is a
    rollback (services.deployment_record).
    """

    product = models.ForeignKey(
        "products.Product", on_delete=models.CASCADE, related_name="model_versions"
    )
    version = models.CharField(max_length=100, validators=[validate_version])
    code_sha = models.CharField(
        "code commit",
        max_length=64,
        blank=True,
        validators=[
            RegexValidator(r"^[0-9a-f]{7,64}$", "7–64 lower-case hexadecimal digits.")
        ],
    )
    data_snapshot = models.CharField(
        "training-data snapshot",
        max_length=500,
        blank=True,
        help_text="A reference to the data it was trained on (path, table@version…).",
    )
    metrics = models.JSONField(
        default=dict,
        blank=True,
        validators=[validate_metrics],
        help_text="Evaluation metrics: name → number.",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True)
    # Kept in step with the product's MLflow registry (tracker.releases.mlflow),
    # and that registry's run, whose metrics it reads.
    in_registry = models.BooleanField(default=False, editable=False)
    registry_run_id = models.CharField(max_length=100, blank=True, editable=False)
    # Set by the MLflow sync when the registry no longer has the version: kept,
    # since deployments and incidents point at it.
    deleted_in_registry_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One row per version: CI reports and the MLflow sync upsert on it.
            models.UniqueConstraint(
                fields=["product", "version"],
                name="modelversion_unique_per_product",
                violation_error_message="This product already has this version.",
            ),
        ]
        indexes = [
            # The versions page and the version a new one replaced, newest first.
            models.Index(
                fields=["product", "-created_at"], name="modelversion_recent_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.version

    def get_absolute_url(self) -> str:
        return reverse("releases:version_detail", args=[self.product.slug, self.pk])


class ModelAlias(models.Model):
    """A registry alias (champion, challenger, shadow): one version at a time."""

    product = models.ForeignKey(
        "products.Product", on_delete=models.CASCADE, related_name="model_aliases"
    )
    alias = models.CharField(max_length=20, choices=Alias)
    version = models.ForeignKey(
        ModelVersion, on_delete=models.CASCADE, related_name="aliases"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["alias"]
        verbose_name_plural = "model aliases"
        constraints = [
            models.UniqueConstraint(
                fields=["product", "alias"], name="modelalias_one_per_product"
            ),
            models.CheckConstraint(
                condition=Q(alias__in=Alias.values), name="modelalias_alias_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.alias} → {self.version_id}"


class Deployment(models.Model):
    """A version put into an environment with a share of the traffic.

    `is_rollback` and `replaced` are derived when it is recorded
    (services.deployment_record), from the deployment it replaced there.
    """

    product = models.ForeignKey(
        "products.Product", on_delete=models.CASCADE, related_name="deployments"
    )
    version = models.ForeignKey(
        ModelVersion, on_delete=models.PROTECT, related_name="deployments"
    )
    environment = models.CharField(
        max_length=12, choices=Environment, default=Environment.PRODUCTION
    )
    traffic_percent = models.PositiveSmallIntegerField(
        default=100, validators=[MaxValueValidator(100)]
    )
    deployed_at = models.DateTimeField()
    deployed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The CI stage that reported it: one deployment per stage (idempotent).
    ci_status = models.ForeignKey(
        "ci.CIStatus",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    run_url = models.CharField(
        "CI run", max_length=2000, blank=True, validators=[validate_http_url]
    )
    notes = models.TextField(blank=True)
    replaced = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The deployment it replaced in its environment.",
    )
    is_rollback = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-deployed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(traffic_percent__gte=0) & Q(traffic_percent__lte=100),
                name="deployment_traffic_percent_range",
            ),
            models.CheckConstraint(
                condition=Q(environment__in=Environment.values),
                name="deployment_environment_valid",
            ),
            # A repeated CI report records its deployment once.
            models.UniqueConstraint(
                fields=["ci_status"],
                condition=Q(ci_status__isnull=False),
                name="deployment_one_per_ci_status",
            ),
        ]
        indexes = [
            # What serves now and the history (selectors.serving_now, the
            # incident's version at its start, chart markers).
            models.Index(
                fields=["product", "environment", "-deployed_at"],
                name="deployment_env_recent_idx",
            ),
            models.Index(
                fields=["product", "-deployed_at"], name="deployment_recent_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.version_id} → {self.environment} @ {self.deployed_at:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("releases:version_list", args=[self.product.slug]) + (
            f"#deployment-{self.pk}"
        )


class ReleaseSettings(models.Model):
    """Which CI stages feed a product's versions (defaults when there is no row)."""

    product = models.OneToOneField(
        "products.Product", on_delete=models.CASCADE, related_name="release_settings"
    )
    evaluate_context = models.CharField(
        "evaluation stage",
        max_length=100,
        default="evaluate",
        validators=[validate_context],
        help_text="Its reports' model_version and metrics are recorded on the version.",
    )
    deploy_context = models.CharField(
        "deploy stage",
        max_length=100,
        default="deploy",
        validators=[validate_context],
        help_text="A successful report with a model_version records a production "
        "deployment.",
    )

    class Meta:
        verbose_name_plural = "release settings"

    def __str__(self) -> str:
        return f"{self.product_id}: {self.evaluate_context}, {self.deploy_context}"


class MlflowRegistry(models.Model):
    """The MLflow registered model a product's versions are kept in step with
    (tasks.mlflow_sync). The token is stored encrypted (tracker.lib.crypto): the
    sync sends it, so it cannot be a hash."""

    product = models.OneToOneField(
        "products.Product", on_delete=models.CASCADE, related_name="mlflow_registry"
    )
    tracking_uri = models.CharField(
        "tracking URI", max_length=500, validators=[validate_http_url]
    )
    token = EncryptedTextField(
        salt="tracker.releases.MlflowRegistry.token",
        max_length=500,
        blank=True,
        help_text="Optional bearer token for MLflow's REST API.",
    )
    registered_model = models.CharField("registered model name", max_length=250)
    last_sync_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "MLflow registry"
        verbose_name_plural = "MLflow registries"

    def __str__(self) -> str:
        return f"{self.registered_model} @ {self.tracking_uri}"

    def get_absolute_url(self) -> str:
        return reverse("releases:mlflow", args=[self.product.slug])
