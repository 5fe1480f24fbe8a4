"""The audit trail: one row per create, update or delete of a governed object
(products, success metrics, measurements, SLAs, survey rows, incidents,
postmortems and action items), saying who, when, how and what changed.

Rows are only ever inserted: no code path updates or deletes them (the queryset
refuses to, the admin has no such permission, and on PostgreSQL a trigger
refuses UPDATE and DELETE, migration 0002). Nothing points at them with a
cascading key, so deleting a person or a product leaves their history alone.
See docs/governance.md.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from tracker.audit.choices import Action, Via
from tracker.audit.registry import by_label


def history_url(
    product_slug: str, *, kind: str | None = None, object_id: int | None = None
) -> str:
    """The product's history page, filtered to a kind of object or to one object
    (and what belongs to it)."""
    url = reverse("audit:product_history", args=[product_slug])
    params = {"kind": kind, "object": object_id}
    query = urlencode({key: value for key, value in params.items() if value})
    return f"{url}?{query}" if query else url


def _kept_reference(to: str) -> models.ForeignKey:
    """A key with no database constraint and no cascade: the row it names may be
    deleted (a person, a product), its events stay and keep the id."""
    return models.ForeignKey(
        to,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )


class AuditTrailImmutable(Exception):
    """Raised on an attempt to change or delete audit events."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditTrailImmutable("Audit events cannot be changed.")

    def delete(self):
        raise AuditTrailImmutable("Audit events cannot be deleted.")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AuditTrailImmutable("Audit events cannot be changed.")


class AuditEvent(models.Model):
    """Who changed what, when and how: written by tracker.audit.recorder.

    `changes` maps field names to [old, new]; values are kept readable (choices
    as their stored values, foreign keys as {"id", "label"}, dates in ISO 8601,
    long text as {"excerpt", "length"}). A create has no old values, a delete no
    new ones. The object, the actor and the product are kept by id and by a
    label captured at the time, so history stays readable after they are gone.
    """

    at = models.DateTimeField(default=timezone.now, editable=False)
    actor = _kept_reference(settings.AUTH_USER_MODEL)
    actor_label = models.CharField("who", max_length=200)
    via = models.CharField("how", max_length=10, choices=Via)
    action = models.CharField(max_length=10, choices=Action)
    # The model as "app_label.modelname" and the row's id.
    object_type = models.CharField(max_length=100)
    object_id = models.BigIntegerField()
    object_repr = models.CharField("object", max_length=200)
    # The object it belongs to (a measurement's metric, an action item's
    # postmortem or planning session), so that page lists it too.
    parent_type = models.CharField(max_length=100, blank=True)
    parent_id = models.BigIntegerField(null=True, blank=True)
    # A deleted product's history stays listable by its id.
    product = _kept_reference("products.Product")
    product_slug = models.CharField(max_length=100, blank=True)
    changes = models.JSONField(default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = "audit event"
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=Action.values), name="audit_action_valid"
            ),
            models.CheckConstraint(
                condition=Q(via__in=Via.values), name="audit_via_valid"
            ),
        ]
        indexes = [
            # An object's history, newest first (selectors.object_history).
            models.Index(
                fields=["object_type", "object_id", "-id"], name="audit_object_idx"
            ),
            # Children's history on the parent's page (selectors.object_history).
            models.Index(
                fields=["parent_type", "parent_id", "-id"],
                condition=Q(parent_id__isnull=False),
                name="audit_parent_idx",
            ),
            # A product's history, all kinds or one (selectors.product_history).
            models.Index(fields=["product", "-id"], name="audit_product_idx"),
            models.Index(
                fields=["product", "object_type", "-id"],
                name="audit_product_kind_idx",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.actor_label} {self.get_action_display().lower()} {self.object_repr}"
        )

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AuditTrailImmutable("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditTrailImmutable("Audit events cannot be deleted.")

    @property
    def kind(self) -> str:
        """The object's kind as the filters and the API name it ("metric")."""
        spec = by_label().get(self.object_type)
        return spec.kind if spec else self.object_type

    @property
    def history_path(self) -> str:
        """This object's history on its product's history page."""
        if not self.product_slug:
            return ""
        return history_url(self.product_slug, kind=self.kind, object_id=self.object_id)
