"""The audit trail over the API: read-only, like the trail itself. The product
history endpoint that serves these is products' (tracker.products.api.history),
which checks who may read the product."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tracker.accounts.api_auth import username_field
from tracker.audit.models import AuditEvent
from tracker.lib.api import AbsoluteUrlField, ModelSerializer


@extend_schema_field(
    {
        "type": "object",
        "description": "What changed: field name → [old, new]. A create has no "
        "old values (null), a delete no new ones. Choices are their stored "
        'values, related objects {"id", "label"}, dates ISO 8601, durations '
        'like "1d 6h", long text {"excerpt", "length"}.',
        "additionalProperties": {
            "type": "array",
            "items": {},
            "minItems": 2,
            "maxItems": 2,
        },
        "example": {"baseline": [410.0, 400.0]},
    }
)
class ChangesField(serializers.JSONField):
    pass


class AuditEventOut(ModelSerializer):
    """One recorded change: who (`actor` is null for CI tokens, alert hooks,
    tasks and people since deleted; `actor_label` always names them), when, how,
    and what changed."""

    actor = username_field(read_only=True, allow_null=True)
    kind = serializers.CharField(
        read_only=True, help_text="metric, measurement, sla, survey, incident, …"
    )
    product = serializers.CharField(source="product_slug", read_only=True)
    changes = ChangesField(read_only=True)
    html_url = AbsoluteUrlField(
        source="history_path",
        help_text="This object's history on the product's history page.",
    )

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "at",
            "actor",
            "actor_label",
            "via",
            "action",
            "kind",
            "object_id",
            "object_repr",
            "product",
            "changes",
            "html_url",
        ]
