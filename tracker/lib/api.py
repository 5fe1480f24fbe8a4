"""What every /api/v1 view shares: the error shape, the base view, serializer
helpers and the OpenAPI additions. (The request policies REST_FRAMEWORK names,
permission, throttle and pagination, are in tracker.lib.api_policies.)

Every error response has one shape (documented in docs/api.md):

    {"error": {"code": "validation_error",
               "message": "Invalid input: see fields.",
               "fields": {"sha": ["This field is required."]}}}

`fields` maps field names (dotted for nested input, e.g. "metrics.auc") to lists
of messages; it is empty for errors that are not about one field.
"""

import copy
import functools
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import Model, Q, QuerySet
from django.http import Http404
from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, generics, serializers
from rest_framework.fields import SkipField, empty
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

from tracker.accounts.models import ApiToken, CIPrincipal, User
from tracker.accounts.services import token_touch
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


# --- Who is asking ---------------------------------------------------------------


def request_actor(request: Request) -> User | None:
    """The person behind a request; None for a CI token (not a person)."""
    return request.user if isinstance(request.user, User) else None


def request_source(request: Request) -> str:
    """How a measurement or check arrived: "ci" for CI tokens, else "api"."""
    return "ci" if isinstance(request.user, CIPrincipal) else "api"


# --- Views and serializers -------------------------------------------------------


class ApiView(generics.GenericAPIView):
    """Base of the /api/v1 views: thin methods call a selector or service.

    Serializers here are never saved: input serializers validate, services write,
    output serializers shape the response.
    """

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # Only requests that were accepted count as use (a refused request writes
        # nothing, bookkeeping included).
        if isinstance(request.auth, ApiToken) and response.status_code < 400:
            token_touch(token=request.auth)
        return response

    def validated(
        self,
        serializer_class: type[serializers.Serializer],
        *,
        instance: Model | None = None,
        partial: bool = False,
        quick: bool = False,
        **context: Any,
    ) -> dict[str, Any]:
        """The input's validated data, or a 400 with field messages. `instance`
        only lets unique checks exclude the object being changed. `quick` tries
        validated_quickly first (busy write paths, plain input serializers)."""
        if quick and instance is None and not partial and not context:
            data = validated_quickly(serializer_class, self.request.data)
            if data is not None:
                return data
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


class ModelSerializer(serializers.ModelSerializer):
    """DRF rebuilds a ModelSerializer's fields from the model on every use (about
    half a millisecond for a wide model, on every request); build them once per
    class and give each use a copy."""

    _templates: dict[type, dict] = {}
    _validators: dict[type, list] = {}

    def get_fields(self) -> dict[str, serializers.Field]:
        template = self._templates.get(type(self))
        if template is None:
            template = self._templates[type(self)] = super().get_fields()
        return {name: _field_copy(field) for name, field in template.items()}

    def get_validators(self) -> list:
        # The unique-together validators DRF derives from the model's constraints,
        # per class too (they keep no state between uses).
        validators = self._validators.get(type(self))
        if validators is None:
            validators = self._validators[type(self)] = super().get_validators()
        return list(validators)


def _field_copy(field: serializers.Field) -> serializers.Field:
    """A copy of an unbound field for one serializer instance. DRF's deep copy
    constructs the field anew (a tenth of a millisecond for a dozen fields); a
    plain field is copied as it is instead, since the only state it takes on in
    use is what bind() sets on the copy. A field holding other fields (nested
    serializers, list and dict fields, many-related fields) binds them to itself
    when constructed, so it gets DRF's deep copy."""
    if isinstance(field, serializers.BaseSerializer) or any(
        hasattr(field, name) for name in ("child", "child_relation")
    ):
        return copy.deepcopy(field)
    return copy.copy(field)


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


def username_field(**kwargs: Any) -> serializers.SlugRelatedField:
    """A person, written and shown as their username."""
    if not kwargs.get("read_only"):
        kwargs.setdefault("queryset", User.objects.filter(is_active=True))
        kwargs.setdefault(
            "error_messages", {"does_not_exist": "No active user {value}."}
        )
    return SlugRelatedField(slug_field="username", **kwargs)


def validated_quickly(
    serializer_class: type[serializers.Serializer], data: Any
) -> dict[str, Any] | None:
    """What `serializer_class(data=data)` validates `data` to, checked by the
    serializer's own fields without building a serializer for the request (that
    costs more than the checks, on a busy write path). None when `data` is not a
    valid object of known fields, or the serializer is not one this can stand in
    for: then the serializer itself decides, and words the errors.

    Stands in only for a serializer whose fields are plain (no nested or related
    fields, no defaults, no dotted sources) and which has no serializer-wide
    checks; its validate_<field> methods must not read the context."""
    fields = _quick_fields(serializer_class)
    if fields is None or type(data) is not dict or not data.keys() <= fields.keys():
        return None
    validated = {}
    for name, (field, validate) in fields.items():
        try:
            value = field.run_validation(data.get(name, empty))
            validated[name] = validate(value) if validate else value
        except SkipField:  # left out, and optional
            continue
        except (serializers.ValidationError, DjangoValidationError):
            return None
    return validated


@functools.cache
def _quick_fields(serializer_class: type) -> dict[str, tuple] | None:
    """{name: (bound field, validate_<name> method or None)}, from one instance
    kept for the purpose (its fields only ever validate); None if the class is
    not plain enough for validated_quickly."""
    serializer = serializer_class()
    if serializer.validators or type(serializer).validate is not (
        serializers.Serializer.validate
    ):
        return None
    fields = {}
    for field in serializer._writable_fields:
        plain = not isinstance(field, serializers.RelatedField | _Composite) and (
            field.default is empty and field.source_attrs == [field.field_name]
        )
        if not plain or any(hasattr(field, n) for n in ("child", "child_relation")):
            return None
        validate = getattr(serializer, f"validate_{field.field_name}", None)
        fields[field.field_name] = (field, validate)
    return fields


_Composite = serializers.BaseSerializer | serializers.ManyRelatedField


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


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "tracker.accounts.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A person token (POST /api/v1/auth/token/) or a "
            "product CI token, as `Authorization: Bearer trk_…`.",
        }


class AutoSchema(openapi.AutoSchema):
    """Documents the error responses every operation can give, in ErrorSerializer's
    shape, beside the success response."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = ["401", "403", "429"]
        if "{" in self.path:
            codes.append("404")
        if self.method in ("POST", "PUT", "PATCH"):
            codes += ["400", "415"]
        elif self.method == "GET" and self._is_list_view():
            codes.append("400")
        for code in codes:
            responses.setdefault(
                code,
                self._get_response_for_code(ErrorSerializer, code, direction=direction),
            )
        return responses


def call_service(service: Callable[[], Any]) -> Any:
    """Run a service; its model validation errors become the API's 400 with
    field messages (views that catch them themselves use this)."""
    try:
        return service()
    except DjangoValidationError as exc:
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        raise exceptions.ValidationError(detail) from None
