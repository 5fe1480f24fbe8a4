"""API views for CI status: pipelines report each stage of a commit, people and
dashboards read the combined state (like GitHub's commit statuses)."""

import json
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import RegexValidator
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.urls import get_script_prefix, get_urlconf
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import Throttled
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from tracker.accounts.authentication import recent_ci_token_of
from tracker.accounts.models import ApiToken, CIPrincipal
from tracker.accounts.services import token_touch
from tracker.ci import selectors, services
from tracker.ci.filters import CIStatusEventFilter
from tracker.ci.models import (
    MAX_METRICS,
    CIStatus,
    CIStatusEvent,
    CombinedState,
    validate_metrics,
)
from tracker.lib.api import (
    ApiView,
    HtmlUrlField,
    ModelSerializer,
    StrictInputMixin,
    exception_handler,
    request_actor,
    username_field,
    validated_quickly,
)
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


_DATETIME = serializers.DateTimeField(read_only=True)


def ci_status_out(status: CIStatus, request: Request) -> dict[str, Any]:
    """What CIStatusOut makes of `status` (tests hold the two equal), without the
    serializer: answering a CI report is the API's busiest path, and building
    the serializer costs more than the report's checks."""
    out = {}
    for name in CIStatusOut.Meta.fields:
        if name == "html_url":
            value = request.build_absolute_uri(_page_of(status))
        elif name == "reported_by":
            value = status.reported_by.username if status.reported_by_id else None
        else:
            value = getattr(status, name)
            if isinstance(value, datetime):
                value = _DATETIME.to_representation(value)
        out[name] = value
    return out


def _page_of(status: CIStatus) -> str:
    """status.get_absolute_url(), reversed once per product slug (and URL
    configuration) rather than once per report."""
    key = (status.product.slug, get_script_prefix(), get_urlconf())
    page = _PAGES.get(key)
    if page is None:
        if len(_PAGES) >= 1024:  # bounded: forget them all, now and then
            _PAGES.clear()
        page = _PAGES[key] = status.get_absolute_url()
    return page


_PAGES: dict[tuple, str] = {}


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

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.method == "POST":
            response = self.report_quickly(request, kwargs["slug"])
            if response is not None:
                return response
        return super().dispatch(request, *args, **kwargs)

    def report_quickly(self, request: HttpRequest, slug: str) -> HttpResponse | None:
        """A pipeline's report, the short way: the API's busiest request, sent in
        bursts with one CI token. Taken only when nothing about the request is
        unusual (a CI token this process verified moments ago, for this product,
        a small JSON body the quick checks accept, within the rate); anything
        else returns None and goes the full way, which words every refusal. The
        answer is the same either way (tests compare the two)."""
        token = recent_ci_token_of(request)
        if token is None or token.product.slug != slug or not _plain_json(request):
            return None
        data = validated_quickly(CIStatusIn, _json_or_none(request.body))
        if data is None:
            return None
        request.user = principal = CIPrincipal(token)  # as the full way leaves it
        who = SimpleNamespace(auth=token, user=principal, META=request.META)
        try:
            self._check_throttles(who)
            status, created = services.ci_status_report(
                product=token.product,
                sha=data.pop("sha"),
                context=data.pop("context"),
                data=data,
                actor=None,
                token=token,
            )
        except (Throttled, DjangoValidationError, IntegrityError) as exc:
            refusal = exception_handler(exc, {"view": self})
            return self._json(refusal.data, refusal.status_code, refusal.headers)
        body = ci_status_out(status, request)
        token_touch(token=token)
        return self._json(body, 201 if created else 200)

    def _check_throttles(self, request: Any) -> None:
        # DRF's check_throttles, for a request without DRF's Request around it.
        waits = [
            throttle.wait()
            for throttle in self.get_throttles()
            if not throttle.allow_request(request, self)
        ]
        if waits:
            self.throttled(request, max((w for w in waits if w), default=None))

    def _json(self, data: Any, status: int, headers: Any = ()) -> HttpResponse:
        # Rendered and finalized as DRF does the full way's answers.
        response = HttpResponse(
            JSONRenderer().render(data), status=status, content_type="application/json"
        )
        response["Allow"] = ", ".join(self.allowed_methods)
        for name, value in dict(headers).items():  # e.g. Retry-After
            if name.lower() != "content-type":
                response[name] = value
        return response

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
        data = self.validated(CIStatusIn, quick=True)
        status, created = services.ci_status_report(
            product=product,
            sha=data.pop("sha"),
            context=data.pop("context"),
            data=data,
            actor=request_actor(request),
            token=request.auth if isinstance(request.auth, ApiToken) else None,
        )
        return Response(ci_status_out(status, request), 201 if created else 200)


def _plain_json(request: HttpRequest) -> bool:
    # A JSON body in UTF-8 small enough to read at once; nothing in the URL.
    size = request.META.get("CONTENT_LENGTH") or ""
    return (
        request.content_type == "application/json"
        and (request.encoding or "utf-8").lower() in {"utf-8", "utf8"}
        and size.isdigit()
        and 0 < int(size) <= _QUICK_BODY_BYTES
        and not request.GET
    )


_QUICK_BODY_BYTES = 64 * 1024


def _json_or_none(body: bytes) -> Any:
    """The JSON document, parsed as DRF's JSON parser does (UTF-8, no NaN or
    Infinity), or None (then DRF's parser words the error)."""
    try:
        return json.loads(body.decode("utf-8"), parse_constant=_not_json)
    except ValueError:
        return None


def _not_json(constant: str) -> None:
    raise ValueError(f"{constant} is not JSON")


class CIStatusHistoryView(ApiView):
    """Every accepted report, newest first."""

    queryset = CIStatusEvent.objects.none()
    filterset_class = CIStatusEventFilter

    @extend_schema(responses=CIStatusEventOut(many=True))
    def get(self, request: Request, slug: str) -> Response:
        product = product_get_for_user(user=request.user, slug=slug)
        events = self.filter_queryset(selectors.ci_status_history(product=product))
        return self.paginated(CIStatusEventOut, events)
