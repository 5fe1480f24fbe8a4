"""Segments: the slices of a product's traffic whose errors are looked at apart
(`merchant_size=small`, `region=eu`). Underrepresented segments fail first, so a
metric's worst-case floor is judged against each segment's latest value, not the
average (readiness, the metric page and the portfolio report read them).

models.py imports this module so Django registers the model with the products app.
"""

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

# `dimension=value`: a lower-case key and a value without spaces or `=`.
SEGMENT_PATTERN = re.compile(r"^([a-z][a-z0-9_]{0,39})=([A-Za-z0-9_.:+-]{1,60})$")


def segment_parse(name: str) -> tuple[str, str]:
    """`"merchant_size=small"` → `("merchant_size", "small")`; ValueError else."""
    found = SEGMENT_PATTERN.match(name.strip())
    if not found:
        raise ValueError(
            f"“{name}” is not a segment: write dimension=value, e.g. region=eu."
        )
    return found.group(1), found.group(2)


class Segment(models.Model):
    """One declared value of one dimension of a product, e.g. merchant_size=small."""

    product = models.ForeignKey(
        "products.Product", on_delete=models.CASCADE, related_name="segments"
    )
    # One string, `dimension=value`: measurements, the API and the export name a
    # segment by it, as they name a metric by its name.
    name = models.CharField(max_length=101)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["product", "name"], name="segment_unique"),
            models.CheckConstraint(
                condition=Q(name__contains="="), name="segment_name_has_dimension"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def dimension(self) -> str:
        return self.name.partition("=")[0]

    def clean(self) -> None:
        try:
            segment_parse(self.name)
        except ValueError as error:
            raise ValidationError({"name": str(error)}) from error
