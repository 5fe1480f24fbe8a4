"""Export and import over the API (docs/porting.md): one product's export for
anyone who may read it; the instance's export and the import for staff."""

from django.conf import settings
from django.http import StreamingHttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from tracker.accounts.api_policies import IsPersonOrScopedToken
from tracker.lib.api import ApiView, ErrorSerializer, FieldsError
from tracker.porting import schema, selectors
from tracker.porting.reader import DocumentError
from tracker.porting.services import data_import
from tracker.porting.views import json_download
from tracker.products.selectors import product_get_for_user

TAG = "export and import"
DOWNLOAD = OpenApiResponse(
    response=schema.REF,
    description="The export document, streamed as a file download.",
)


class StaffOnly(permissions.BasePermission):
    message = "Only staff can export or import the whole instance."

    def has_permission(self, request: Request, view) -> bool:
        return selectors.user_may_port(request.user)


class DocumentInvalid(FieldsError):
    status_code = 400
    default_code = "validation_error"


class DocumentConflict(FieldsError):
    status_code = 409
    default_code = "conflict"


class DocumentTooLarge(exceptions.APIException):
    status_code = 413
    default_code = "too_large"


class ImportOptionsIn(serializers.Serializer):
    skip_existing = serializers.BooleanField(
        default=False,
        help_text="Keep products and teams whose slug exists here (and "
        "integrations of the same name and kind) and import the rest; without "
        "it such a clash refuses the import (409).",
    )
    dry_run = serializers.BooleanField(
        default=False, help_text="Check and count everything, write nothing."
    )


class ImportKeptOut(serializers.Serializer):
    products = serializers.ListField(child=serializers.CharField(), required=False)
    teams = serializers.ListField(child=serializers.CharField(), required=False)
    integrations = serializers.ListField(child=serializers.CharField(), required=False)


class ImportSummaryOut(serializers.Serializer):
    dry_run = serializers.BooleanField()
    created = serializers.DictField(
        child=serializers.IntegerField(),
        help_text='Rows created per model, e.g. {"products.product": 3}.',
    )
    users_created = serializers.ListField(
        child=serializers.CharField(),
        help_text="People created inactive and without a password.",
    )
    users_matched = serializers.ListField(
        child=serializers.CharField(),
        help_text="People already here (by username), left as they are.",
    )
    kept = ImportKeptOut(help_text="What was already here and kept.")


class ProductExportApi(ApiView):
    """One product's export document."""

    @extend_schema(
        summary="Export one product as JSON",
        tags=[TAG],
        description="The product with everything in it, its team and the people "
        "and integrations it refers to. E-mail addresses and notification "
        "preferences only in exports by staff.",
        responses={200: DOWNLOAD},
    )
    def get(self, request: Request, slug: str) -> StreamingHttpResponse:
        product = product_get_for_user(user=request.user, slug=slug)
        personal = selectors.user_may_port(request.user)
        pieces = selectors.export_product(product=product, personal=personal)
        return json_download(pieces, product.slug)


class InstanceExportApi(ApiView):
    permission_classes = [IsPersonOrScopedToken, StaffOnly]

    @extend_schema(
        summary="Export everything as JSON (staff)",
        description="Every person, team, integration and product, and the "
        "untriaged incidents. Passwords, tokens and secrets are never exported.",
        tags=[TAG],
        responses={200: DOWNLOAD},
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        return json_download(selectors.export_instance(), "tracker")


class ImportApi(ApiView):
    """Import an export document."""

    permission_classes = [IsPersonOrScopedToken, StaffOnly]

    @extend_schema(
        summary="Import an export document (staff)",
        tags=[TAG],
        description="All or nothing: the whole document is checked first; every "
        "problem comes back in `fields`, keyed by its place in the document "
        "(e.g. `products[2].metrics[0].baseline`).",
        request={"application/json": schema.REF},
        parameters=[ImportOptionsIn],
        responses={
            201: ImportSummaryOut,
            200: OpenApiResponse(ImportSummaryOut, description="A dry run."),
            409: ErrorSerializer,
            413: ErrorSerializer,
        },
    )
    def post(self, request: Request) -> Response:
        options = ImportOptionsIn(data=request.query_params)
        options.is_valid(raise_exception=True)
        if _content_length(request) > settings.IMPORT_MAX_BYTES:
            raise DocumentTooLarge(
                "The document is larger than IMPORT_MAX_BYTES; import it with "
                "manage.py import_data."
            )
        try:
            summary = data_import(
                document=request.data, actor=request.user, **options.validated_data
            )
        except DocumentError as error:
            raise _refusal(error) from None
        status = 200 if summary.dry_run else 201
        return Response(ImportSummaryOut(summary.as_dict()).data, status=status)


def _content_length(request: Request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _refusal(error: DocumentError) -> FieldsError:
    if error.conflict:
        return DocumentConflict(
            "Some of it exists here already; nothing was imported. Send "
            "skip_existing=true to keep what exists and import the rest.",
            fields=error.fields,
        )
    return DocumentInvalid(
        "The document is not valid; nothing was imported.", fields=error.fields
    )
