"""API views for CI status: pipelines report each stage of a commit, people and
dashboards read the combined state (like GitHub's commit statuses)."""

from django.core.validators import RegexValidator
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from tracker.accounts.api_auth import request_actor, username_field
from tracker.accounts.models import ApiToken
from tracker.ci import selectors, services
from tracker.ci.filters import CIStatusEventFilter
from tracker.ci.models import (
    MAX_METRICS,
    CIStatus,
    CIStatusEvent,
    CombinedState,
    validate_metrics,
)
from tracker.lib.api import ApiView, HtmlUrlField, ModelSerializer, StrictInputMixin
from tracker.products.selectors import product_get_for_user

# Any case on input; stored lower-case so one commit is one commit.
_sha_input = RegexValidator(
    r"^[0-9a-fA-F]{7,64}$", "Give the commit SHA as 7–64 hexadecimal characters."
)


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {"type": "number"},
        "maxProperties": MAX_METRICS,
        "example": {"auc": 0.91, "recall_at_1pct": 0.62},
    }
)
class MetricsField(serializers.JSONField):
    """Evaluation scores and the like: an object of name → number."""


class CIStatusIn(StrictInputMixin, ModelSerializer):
    sha = serializers.CharField(max_length=64, validators=[_sha_input])
    metrics = MetricsField(required=False, validators=[validate_metrics])

    class Meta:
        model = CIStatus
        fields = ["sha", "context", *services.REPORT_FIELDS]
        extra_kwargs = {
            "context": {"help_text": "The pipeline stage, e.g. train or deploy."},
            "description": {"help_text": "At most 1024 bytes (UTF-8)."},
        }

    def validate_sha(self, value: str) -> str:
        return value.lower()


_REPORT_OUT = [
    "sha",
    "context",
    *services.REPORT_FIELDS,
    "reported_by",
]


class CIStatusOut(ModelSerializer):
    metrics = MetricsField(read_only=True)
    reported_by = username_field(read_only=True)
    html_url = HtmlUrlField()

    class Meta:
        model = CIStatus
        fields = ["id", *_REPORT_OUT, "created_at", "updated_at", "html_url"]


class CIStatusEventOut(ModelSerializer):
    metrics = MetricsField(read_only=True)
    sha = serializers.CharField(source="status.sha")
    context = serializers.CharField(source="status.context")
    reported_by = username_field(read_only=True)
    html_url = HtmlUrlField()

    class Meta:
        model = CIStatusEvent
        fields = ["id", *_REPORT_OUT, "recorded_at", "html_url"]


@extend_schema_field({"type": "string", "enum": CombinedState.values, "nullable": True})
class _CombinedStateField(serializers.ReadOnlyField):
    pass


class CombinedStatusOut(serializers.Serializer):
    sha = serializers.CharField(allow_null=True)
    state = _CombinedStateField(
        help_text="failure or error if any stage failed, pending while any is "
        "pending or running, success when all succeeded; null without reports."
    )
    total_count = serializers.IntegerField()
    statuses = CIStatusOut(many=True, help_text="The latest state of every stage.")
    html_url = HtmlUrlField()


class CombinedStatusQuery(serializers.Serializer):
    sha = serializers.CharField(
        required=False,
        max_length=64,
        validators=[_sha_input],
        help_text="The commit; the latest one reported when left out.",
    )


class CIStatusView(ApiView):
    """Report a stage's state (CI tokens welcome) or read the combined state."""

    throttle_scope = "ci"
    ci_token_methods = {"POST"}

    @extend_schema(parameters=[CombinedStatusQuery], responses=CombinedStatusOut)
    def get(self, request: Request, slug: str) -> Response:
        product = product_get_for_user(user=request.user, slug=slug)
        query = CombinedStatusQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        sha = query.validated_data.get("sha")
        combined = selectors.ci_status_combined(
            product=product, sha=sha.lower() if sha else None
        )
        return self.output(CombinedStatusOut, combined)

    @extend_schema(
        request=CIStatusIn,
        responses={
            201: OpenApiResponse(CIStatusOut, "First report for this stage."),
            200: OpenApiResponse(CIStatusOut, "The stage's status was updated."),
        },
    )
    def post(self, request: Request, slug: str) -> Response:
        product = product_get_for_user(user=request.user, slug=slug, for_edit=True)
        data = self.validated(CIStatusIn)
        status, created = services.ci_status_report(
            product=product,
            sha=data.pop("sha"),
            context=data.pop("context"),
            data=data,
            actor=request_actor(request),
            token=request.auth if isinstance(request.auth, ApiToken) else None,
        )
        return self.output(CIStatusOut, status, status=201 if created else 200)


class CIStatusHistoryView(ApiView):
    """Every accepted report, newest first."""

    queryset = CIStatusEvent.objects.none()
    filterset_class = CIStatusEventFilter

    @extend_schema(responses=CIStatusEventOut(many=True))
    def get(self, request: Request, slug: str) -> Response:
        product = product_get_for_user(user=request.user, slug=slug)
        events = self.filter_queryset(selectors.ci_status_history(product=product))
        return self.paginated(CIStatusEventOut, events)
