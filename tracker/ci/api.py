"""API views for CI status: pipelines report each stage of a commit, people and
dashboards read the combined state (like GitHub's commit statuses)."""

from typing import Any

from django.core.validators import MaxLengthValidator, RegexValidator
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from tracker.accounts.api_auth import request_actor
from tracker.accounts.models import ApiToken
from tracker.ci import selectors, services
from tracker.ci.filters import CIStatusEventFilter
from tracker.ci.models import (
    DESCRIPTION_MAX_BYTES,
    MAX_METRICS,
    CIReport,
    CIStatusEvent,
    CombinedState,
    State,
    validate_context,
    validate_metrics,
    validate_sha,
)
from tracker.lib.api import ApiView, HtmlUrlField, StrictInputMixin
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


def _report_text(name: str, **kwargs: Any) -> serializers.CharField:
    """An optional text field of a report, with the model field's length,
    checks and help text (read once, at import)."""
    field = CIReport._meta.get_field(name)
    kwargs.setdefault("help_text", field.help_text or None)
    return serializers.CharField(
        max_length=field.max_length,
        allow_blank=True,
        required=False,
        validators=[
            v for v in field.validators if not isinstance(v, MaxLengthValidator)
        ],
        **kwargs,
    )


class _ReportFields(serializers.Serializer):
    """The fields of a report (CIReport's), declared rather than read off the
    model: the busiest write of the API builds them on every request."""

    state = serializers.ChoiceField(choices=State.choices)
    ref = _report_text("ref")
    target_url = _report_text("target_url")
    description = _report_text(
        "description", help_text=f"At most {DESCRIPTION_MAX_BYTES} bytes (UTF-8)."
    )
    run_id = _report_text("run_id")
    model_version = _report_text("model_version")
    started_at = serializers.DateTimeField(allow_null=True, required=False)
    completed_at = serializers.DateTimeField(allow_null=True, required=False)
    metrics = MetricsField(required=False, validators=[validate_metrics])

    def get_fields(self) -> dict:
        fields = super().get_fields()
        return {name: fields[name] for name in self.Meta.fields}


class CIStatusIn(StrictInputMixin, _ReportFields):
    """A stage's report: fields left out keep the value an earlier report of the
    stage gave; unknown fields are refused."""

    sha = serializers.CharField(max_length=64, validators=[_sha_input])
    context = serializers.CharField(
        max_length=100,
        validators=[validate_context],
        help_text="The pipeline stage, e.g. train or deploy.",
    )

    class Meta:
        fields = ["sha", "context", *services.REPORT_FIELDS]

    def validate_sha(self, value: str) -> str:
        return value.lower()


class _ReportOut(_ReportFields):
    """A report as shown."""

    id = serializers.IntegerField(read_only=True)
    metrics = MetricsField(read_only=True)
    reported_by = serializers.CharField(
        source="reported_by.username",
        read_only=True,
        allow_null=True,
        help_text="The person who reported it (username); null for a CI token.",
    )
    html_url = HtmlUrlField()


_REPORT_OUT = ["sha", "context", *services.REPORT_FIELDS, "reported_by"]


class CIStatusOut(_ReportOut):
    """The current state of one stage of one commit."""

    sha = serializers.CharField(
        max_length=64, validators=[validate_sha], read_only=True
    )
    context = serializers.CharField(
        max_length=100, validators=[validate_context], read_only=True
    )
    created_at = serializers.DateTimeField(
        read_only=True, help_text="When the first report arrived."
    )
    updated_at = serializers.DateTimeField(
        read_only=True, help_text="When the latest report arrived."
    )

    class Meta:
        fields = ["id", *_REPORT_OUT, "created_at", "updated_at", "html_url"]


class CIStatusEventOut(_ReportOut):
    """One accepted report: the stage's status as it stood after it."""

    sha = serializers.CharField(source="status.sha", read_only=True)
    context = serializers.CharField(source="status.context", read_only=True)
    recorded_at = serializers.DateTimeField(read_only=True)

    class Meta:
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
