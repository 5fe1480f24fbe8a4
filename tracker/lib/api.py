"""What every /api/v1 view shares: the error shape, the base view, serializer
helpers and the OpenAPI additions. It knows no domain app: who is asking
(request_actor, username_field) and the permission, which know people and CI
tokens, are tracker.accounts' (api_auth, api_policies). The throttle and the
pagination REST_FRAMEWORK names are in tracker.lib.api_policies.

A service's django ValidationError needs no handling in a view: the exception
handler below answers it as a 400 with the fields named.

Every error response has one shape (documented in docs/api.md):

    {"error": {"code": "validation_error",
               "message": "Invalid input: see fields.",
               "fields": {"sha": ["This field is required."]}}}

`fields` maps field names (dotted for nested input, e.g. "metrics.auc") to lists
of messages; it is empty for errors that are not about one field.
"""

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, models
from django.db.models import Model, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from drf_spectacular import openapi
from drf_spectacular.plumbing import get_lib_doc_excludes
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, generics, serializers
from rest_framework.fields import empty
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

from tracker.lib import unavailable
from tracker.lib.durations import format_duration, parse_human_duration

# --- Errors ---------------------------------------------------------------------


class Conflict(exceptions.APIException):
    status_code = 409
    default_detail = "The request conflicts with a concurrent change; retry it."
    default_code = "conflict"


class ServiceUnavailable(exceptions.APIException):
    """The database could not be reached (tracker.lib.unavailable); DRF's
    handler turns `wait` into the Retry-After header."""

    status_code = 503
    default_detail = unavailable.MESSAGE
    default_code = "service_unavailable"
    wait = unavailable.RETRY_AFTER_SECONDS


class FieldsError(exceptions.APIException):
    """An error other than a 400 that is still about fields: `fields` fills the
    error's "fields" member (e.g. a stage move refused with the reasons why)."""

    def __init__(self, detail: str, *, fields: dict[str, list[str]]) -> None:
        super().__init__(detail)
        self.fields = fields


_CODES = {"invalid": "validation_error"}


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as {"field" or "field.sub": [messages]}."""
    if isinstance(detail, Mapping):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            flat.update(_flatten(value, name))
        return flat
    if isinstance(detail, list):
        if all(isinstance(item, str) for item in detail):
            return {prefix or "non_field_errors": [str(item) for item in detail]}
        flat = {}
        for index, item in enumerate(detail):
            if item:
                flat.update(
                    _flatten(item, f"{prefix}.{index}" if prefix else str(index))
                )
        return flat
    return {prefix or "non_field_errors": [str(detail)]}


def _error_body(exc: exceptions.APIException) -> dict[str, Any]:
    code = exc.default_code
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        general = fields.get("non_field_errors") or fields.get("__all__")
        message = general[0] if general else "Invalid input: see fields."
    else:
        fields = getattr(exc, "fields", {})
        message = str(exc.detail)
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else code
    return {"code": _CODES.get(code, code), "message": message, "fields": fields}


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's handler, plus: model/service validation errors are 400, races on a
    unique constraint are 409 and an unreachable database is 503 (never 500);
    every body has the shape above."""
    if unavailable.database_unavailable(exc):
        exc = ServiceUnavailable()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, IntegrityError):
        exc = Conflict()
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.APIException):
        response.data = {"error": _error_body(exc)}
    return response


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField())
    )


class ErrorSerializer(serializers.Serializer):
    """The body of every 4xx response."""

    error = ErrorDetailSerializer()


# --- Views and serializers -------------------------------------------------------


class ApiView(generics.GenericAPIView):
    """Base of the /api/v1 views: thin methods call a selector or service.

    Serializers here are never saved: input serializers validate, services write,
    output serializers shape the response.
    """

    def validated(
        self,
        serializer_class: type[serializers.Serializer],
        *,
        instance: Model | None = None,
        partial: bool = False,
        **context: Any,
    ) -> dict[str, Any]:
        """The input's validated data, or a 400 with field messages. `instance`
        only lets unique checks exclude the object being changed."""
        serializer = serializer_class(
            instance,
            data=self.request.data,
            partial=partial,
            context={**self.get_serializer_context(), **context},
        )
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def output(
        self,
        serializer_class: type[serializers.Serializer],
        instance: Any,
        status=200,
        **context: Any,
    ) -> Response:
        context = {**self.get_serializer_context(), **context}
        return Response(serializer_class(instance, context=context).data, status=status)

    def paginated(
        self,
        serializer_class: type[serializers.Serializer],
        queryset: QuerySet | list,
        prepare=None,
    ) -> Response:
        """One page of `queryset`; `prepare(rows)` may annotate the page's rows
        in bulk (a fixed number of queries whatever the page size)."""
        page = self.paginate_queryset(queryset)
        if prepare is not None:
            page = prepare(page)
        context = self.get_serializer_context()
        data = serializer_class(page, many=True, context=context).data
        return self.get_paginated_response(data)


@extend_schema_field(OpenApiTypes.URI)
class HtmlUrlField(serializers.Field):
    """The object's page in the browser, as an absolute URL."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, value: Model) -> str:
        url = value.get_absolute_url()
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


@extend_schema_field(OpenApiTypes.URI)
class AbsoluteUrlField(serializers.Field):
    """A path on this site (e.g. "/products/x/edit/"), as an absolute URL."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(value) if request else value


@extend_schema_field({"type": "integer", "nullable": True, "example": 5400})
class SecondsField(serializers.Field):
    """A duration in whole seconds."""

    def __init__(self, **kwargs) -> None:
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value: timedelta) -> int:
        return round(value.total_seconds())


@extend_schema_field({"type": "string", "nullable": True, "example": "15m"})
class HumanDurationField(serializers.Field):
    """A duration as "15m", "2h", "1d 6h" or ISO 8601 ("PT15M"); shown as "15m"."""

    default_error_messages = {"invalid": "Enter a duration such as 15m, 2h, 1d or 1w."}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> timedelta | None:
        if data in ("", None):
            return None
        value = parse_human_duration(data) if isinstance(data, str) else None
        if value is None:
            self.fail("invalid")
        return value

    def to_representation(self, value: timedelta) -> str:
        return format_duration(value)


class SlugRelatedField(serializers.SlugRelatedField):
    """DRF's, refusing NUL: PostgreSQL text cannot hold it, so looking such a
    value up would be a database error rather than "does not exist"."""

    def to_internal_value(self, data: Any) -> Model:
        if isinstance(data, str) and "\x00" in data:
            self.fail("invalid")
        return super().to_internal_value(data)


class ReadableSlugField(SlugRelatedField):
    """A product or team by slug, among those the requester may read
    (`visible_to(user)` is tracker.accounts.selectors' filter for the model): a
    private team's slug is "does not exist", as an unknown one is, so input
    never tells an outsider that it exists. `queryset` gives the model and any
    select_related."""

    def __init__(self, *, visible_to: Callable[[Any], Q], **kwargs: Any) -> None:
        self.visible_to = visible_to
        kwargs.setdefault("slug_field", "slug")
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet:
        request = self.context.get("request")
        if request is None:
            return self.queryset.none()
        return self.queryset.filter(self.visible_to(request.user))


def slug_of() -> serializers.SlugRelatedField:
    """A related product or team, shown by its slug."""
    return serializers.SlugRelatedField(slug_field="slug", read_only=True)


class FloatField(serializers.FloatField):
    """DRF's, refusing true and false: Python counts a bool as a number, so DRF's
    would store true as 1.0. (DRF's IntegerField and DecimalField already refuse
    them.)"""

    def to_internal_value(self, data: Any) -> float:
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


class ModelSerializer(serializers.ModelSerializer):
    """The base of every model serializer of the API: model float columns get the
    FloatField above (tests/lib/test_api_bad_input.py checks no input serializer
    has DRF's own)."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.FloatField: FloatField,
    }


class StrictInputMixin:
    """Reject fields the endpoint does not know (typos must not pass silently),
    reported together with any other field errors."""

    def to_internal_value(self, data: Any) -> dict:
        unknown = {}
        if isinstance(data, Mapping):
            unknown = {
                name: ["Unknown field."] for name in data if name not in self.fields
            }
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if unknown and isinstance(exc.detail, dict):
                raise serializers.ValidationError({**exc.detail, **unknown}) from exc
            raise
        if unknown:
            raise serializers.ValidationError(unknown)
        return value


# --- OpenAPI ------------------------------------------------------------------------


def schema_doc_excludes() -> list[type]:
    """SPECTACULAR_SETTINGS' GET_LIB_DOC_EXCLUDES: a serializer or view without a
    docstring of its own has no description, rather than its base class's
    (which describes the base, not the endpoint)."""
    return [*get_lib_doc_excludes(), ModelSerializer, StrictInputMixin, ApiView]


class AutoSchema(openapi.AutoSchema):
    """Documents the error responses every operation can give, in ErrorSerializer's
    shape, beside the success response; every response field that can be null as
    nullable; and, for inputs that refuse unknown fields, that they do."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = ["401", "403", "429"]
        is_list = self.method == "GET" and self._is_list_view()
        # 404: the object in the path, or a list's page that does not exist
        # ("Invalid page.").
        if "{" in self.path or is_list:
            codes.append("404")
        # 400: a body, or query parameters, that do not validate.
        if self.method in ("POST", "PUT", "PATCH"):
            codes += ["400", "415"]
        elif is_list or self._get_filter_parameters() or self.get_override_parameters():
            codes.append("400")
        for code in codes:
            responses.setdefault(
                code,
                self._get_response_for_code(ErrorSerializer, code, direction=direction),
            )
        return responses

    def _map_basic_serializer(self, serializer: Any, direction: str) -> dict:
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "request" and isinstance(serializer, StrictInputMixin):
            schema["additionalProperties"] = False  # unknown fields are refused
        return schema

    def _get_serializer_field_meta(self, field: Any, direction: str) -> dict:
        meta = super()._get_serializer_field_meta(field, direction)
        if direction == "response" and _may_be_null(field):
            meta["nullable"] = True
        return meta


def _may_be_null(field: Any) -> bool:
    """A response field that can be null: it says so (allow_null, or default=None
    for a missing source such as "product.slug" of an untriaged incident), or it
    reads a nullable column, or a column through a nullable relation, of its
    model serializer's model."""
    if getattr(field, "default", empty) is None:
        return True
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    if model is None or not field.source or field.source == "*":
        return False
    for name in field.source.split("."):
        try:
            column = model._meta.get_field(name)
        except FieldDoesNotExist:
            return False
        if column.null:
            return True
        model = column.related_model
        if model is None:
            return False
    return False


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler404: under /api/ (a URL no route matches, e.g. a negative id), the
    API's error shape in JSON as every other API answer; Django's page elsewhere."""
    if request.path.startswith("/api/"):
        error = {"code": "not_found", "message": "Not found.", "fields": {}}
        return JsonResponse({"error": error}, status=404)
    return defaults.page_not_found(request, exception)
