"""CI status: each pipeline stage (a `context`: data-validation, train, evaluate,
deploy…) reports its state for a commit, like GitHub's commit-status API.

`CIStatus` is the current state of one (product, sha, context); every accepted
report is also kept as a `CIStatusEvent`, so the history is rows, not overwrites.
"""

import math
import re
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.deconstruct import deconstructible

from tracker.products.models_segments import segment_parse

DESCRIPTION_MAX_BYTES = 1024
COMPLETED_BEFORE_STARTED = "A stage cannot complete before it started."
MAX_METRICS = 50
_METRIC_NAME = re.compile(r"[A-Za-z0-9_.:/-]{1,100}")
# A metric of one segment of the product: "auc[merchant_size=small]".
_SEGMENTED = re.compile(r"([A-Za-z0-9_.:/-]{1,100})\[([^\[\]]{1,101})\]")


class State(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    SUCCESS = "success", "Success"
    FAILURE = "failure", "Failure"
    ERROR = "error", "Error"
    CANCELLED = "cancelled", "Cancelled"
    SKIPPED = "skipped", "Skipped"


class CombinedState(models.TextChoices):
    """The state of a commit across its contexts (selectors.ci_combined_state)."""

    SUCCESS = "success", "Success"
    PENDING = "pending", "Pending"
    FAILURE = "failure", "Failure"
    ERROR = "error", "Error"


@deconstructible
class MaxBytesValidator:
    """Limits the UTF-8 size, not the character count (what CI systems enforce)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit

    def __call__(self, value: str) -> None:
        if len(value.encode("utf-8", "surrogatepass")) > self.limit:
            raise ValidationError(
                f"At most {self.limit} bytes (UTF-8).", code="max_bytes"
            )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MaxBytesValidator) and other.limit == self.limit


def metric_key_split(key: str) -> tuple[str, str]:
    """ "auc[merchant_size=small]" → ("auc", "merchant_size=small"); a metric of
    the whole product → ("auc", ""). ValueError for neither."""
    if _METRIC_NAME.fullmatch(key):
        return key, ""
    found = _SEGMENTED.fullmatch(key)
    if found is None:
        raise ValueError(
            f"{key[:100]!r} is not a metric name (letters, digits, . _ - / :, up "
            "to 100 characters), optionally with a segment in brackets: "
            "auc[merchant_size=small]."
        )
    segment = found.group(2)
    if "=".join(segment_parse(segment)) != segment:
        raise ValueError(f"Write the segment of {key[:100]!r} without spaces.")
    return found.group(1), segment


def metric_segments(metrics: dict[str, Any]) -> set[str]:
    """The segments the keys of valid `metrics` name ("merchant_size=small")."""
    return {metric_key_split(key)[1] for key in metrics} - {""}


def validate_metrics(value: Any) -> None:
    """An object of up to MAX_METRICS names → finite numbers (e.g. {"auc": 0.91});
    a name may carry a segment of the product: {"auc[merchant_size=small]": 0.84}
    (that the product declares it is checked where the product is known)."""
    if not isinstance(value, dict):
        raise ValidationError("Give an object of metric name → number.")
    if len(value) > MAX_METRICS:
        raise ValidationError(f"At most {MAX_METRICS} metrics.")
    for name, number in value.items():
        try:
            metric_key_split(name)
        except ValueError as error:
            raise ValidationError(str(error)) from None
        if not _is_finite_number(number):
            raise ValidationError(f"The value of {name!r} must be a finite number.")


def _is_finite_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:  # an integer beyond a double's range
        return False


validate_sha = RegexValidator(
    r"^[0-9a-f]{7,64}$", "Give the commit SHA as 7–64 hexadecimal characters."
)
validate_context = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9 ._:/()+-]{0,99}$",
    "A context is a pipeline stage name such as data-validation, train, evaluate or "
    "deploy: letters, digits, spaces and . _ : / ( ) + -, at most 100 characters.",
)


def validate_http_url(value: str) -> None:
    """An http(s) URL with a host. Looser than URLValidator on purpose: CI servers
    often live on internal names such as http://jenkins:8080/. The scheme check
    keeps javascript: and data: links off the product page."""
    try:
        parts = urlsplit(value)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        ok = False
    if not ok or any(c.isspace() or not c.isprintable() for c in value):
        raise ValidationError("Enter an http:// or https:// URL.", code="invalid")


class CIReport(models.Model):
    """What one report says about a stage; shared by the current row and history."""

    state = models.CharField(max_length=10, choices=State)
    ref = models.CharField(max_length=255, blank=True, help_text="Branch or tag.")
    target_url = models.CharField(
        max_length=2000,
        blank=True,
        validators=[validate_http_url],
        help_text="The CI run's page (http or https).",
    )
    description = models.CharField(
        max_length=DESCRIPTION_MAX_BYTES,
        blank=True,
        validators=[MaxBytesValidator(DESCRIPTION_MAX_BYTES)],
    )
    run_id = models.CharField(max_length=200, blank=True)
    model_version = models.CharField(max_length=200, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    metrics = models.JSONField(default=dict, blank=True, validators=[validate_metrics])
    # Indexed only where set (_report_indexes): a CI token's reports, the bulk of
    # them, have no person, and each index entry is a write per report.
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        help_text="The person who reported it; empty for a CI token.",
    )
    token = models.ForeignKey(
        "accounts.ApiToken",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The API token the report came with.",
    )

    class Meta:
        abstract = True

    def clean(self) -> None:
        if (
            self.started_at
            and self.completed_at
            and self.completed_at < self.started_at
        ):
            raise ValidationError({"completed_at": COMPLETED_BEFORE_STARTED})


def _report_indexes(prefix: str) -> list[models.Index]:
    return [
        # A person's reports, when deleting the person sets them to NULL.
        models.Index(
            fields=["reported_by"],
            condition=Q(reported_by__isnull=False),
            name=f"{prefix}_reported_by_idx",
        ),
    ]


def _report_constraints(prefix: str) -> list[models.BaseConstraint]:
    return [
        models.CheckConstraint(
            condition=Q(state__in=State.values), name=f"{prefix}_state_valid"
        ),
        models.CheckConstraint(
            condition=Q(started_at__isnull=True)
            | Q(completed_at__isnull=True)
            | Q(completed_at__gte=F("started_at")),
            name=f"{prefix}_completed_after_started",
        ),
    ]


def ci_card_url(product) -> str:
    """Where a product's CI status is shown: the card on its delivery tab."""
    return reverse("products:delivery", args=[product.slug]) + "#ci-h"


class CIStatus(CIReport):
    """The current state of one pipeline stage (`context`) for one commit."""

    # No index of its own: the unique constraint and cistatus_latest_sha_idx both
    # start with it, and every report writes each index.
    product = models.ForeignKey(
        "products.Product",
        on_delete=models.CASCADE,
        related_name="ci_statuses",
        db_index=False,
    )
    sha = models.CharField(max_length=64, validators=[validate_sha])
    context = models.CharField(max_length=100, validators=[validate_context])
    created_at = models.DateTimeField(help_text="When the first report arrived.")
    updated_at = models.DateTimeField(help_text="When the latest report arrived.")

    class Meta:
        ordering = ["context"]
        verbose_name = "CI status"
        verbose_name_plural = "CI statuses"
        constraints = [
            # One current row per stage and commit: services.ci_status_report
            # relies on it to turn a repeated post into an update, also under races.
            models.UniqueConstraint(
                fields=["product", "sha", "context"], name="cistatus_one_per_context"
            ),
            *_report_constraints("cistatus"),
        ]
        indexes = [
            # The latest commit of a product (selectors.ci_status_combined, badge).
            models.Index(
                fields=["product", "-created_at"], name="cistatus_latest_sha_idx"
            ),
            *_report_indexes("cistatus"),
        ]

    def __str__(self) -> str:
        return f"{self.product}: {self.context} @ {self.sha[:8]} = {self.state}"

    def get_absolute_url(self) -> str:
        return ci_card_url(self.product)


class CIStatusEvent(CIReport):
    """One accepted report: the status as it stood after that report."""

    # Indexed by cistatusevent_history_idx, which starts with it.
    status = models.ForeignKey(
        CIStatus, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name = "CI status report"
        constraints = _report_constraints("cistatusevent")
        indexes = [
            # A stage's history, newest first (selectors.ci_status_history).
            models.Index(
                fields=["status", "-recorded_at"], name="cistatusevent_history_idx"
            ),
            *_report_indexes("cistatusevent"),
        ]

    def __str__(self) -> str:
        return f"{self.status_id}: {self.state} @ {self.recorded_at:%Y-%m-%d %H:%M:%S}"

    def get_absolute_url(self) -> str:
        return self.status.get_absolute_url()
