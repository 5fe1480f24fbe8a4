"""SLAs and their checks."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from tracker.accounts.api_auth import username_field
from tracker.lib.api import ApiView, HtmlUrlField, ModelSerializer, slug_of
from tracker.products import selectors, services
from tracker.products.filters import SLAFilter
from tracker.products.models import ServiceLevel, SLACheck


class ComplianceOut(serializers.Serializer):
    """Checks inside the SLA's window and how they stand against the objective."""

    checks = serializers.IntegerField(source="total")
    passed = serializers.IntegerField()
    percent = serializers.FloatField(allow_null=True)
    meets_objective = serializers.BooleanField(allow_null=True)
    error_budget_remaining = serializers.FloatField(
        source="budget_remaining",
        allow_null=True,
        help_text="Share of allowed failures still unspent (negative: overspent).",
    )


class SLAOut(ModelSerializer):
    product = slug_of()
    compliance = ComplianceOut(read_only=True)
    html_url = HtmlUrlField()

    class Meta:
        model = ServiceLevel
        fields = [
            "id",
            "product",
            *services.SLA_FIELDS,
            "compliance",
            "created_at",
            "updated_at",
            "html_url",
        ]


class SLAIn(ModelSerializer):
    class Meta:
        model = ServiceLevel
        fields = services.SLA_FIELDS
        extra_kwargs = {"objective": {"help_text": "Percent of checks, e.g. 99.5."}}


class ProductSLAListView(ApiView):
    queryset = ServiceLevel.objects.none()
    filterset_class = SLAFilter

    @extend_schema(responses=SLAOut(many=True))
    def get(self, request: Request, slug: str) -> Response:
        product = selectors.product_get_for_user(user=request.user, slug=slug)
        slas = self.filter_queryset(product.slas.all())
        return self.paginated(SLAOut, slas, prepare=selectors.slas_with_compliance)

    @extend_schema(request=SLAIn, responses={201: SLAOut})
    def post(self, request: Request, slug: str) -> Response:
        product = selectors.product_get_for_user(
            user=request.user, slug=slug, for_edit=True
        )
        sla = services.sla_create(product=product, data=self.validated(SLAIn))
        return self.output(SLAOut, selectors.slas_with_compliance([sla])[0], status=201)


class SLADetailView(ApiView):
    @extend_schema(responses=SLAOut)
    def get(self, request: Request, pk: int) -> Response:
        sla = selectors.sla_get_for_user(user=request.user, pk=pk)
        return self.output(SLAOut, selectors.slas_with_compliance([sla])[0])

    @extend_schema(request=SLAIn(partial=True), responses=SLAOut)
    def patch(self, request: Request, pk: int) -> Response:
        sla = selectors.sla_get_for_user(user=request.user, pk=pk, for_edit=True)
        services.sla_update(sla=sla, data=self.validated(SLAIn, partial=True))
        return self.output(SLAOut, selectors.slas_with_compliance([sla])[0])


class SLACheckOut(ModelSerializer):
    recorded_by = username_field(read_only=True)
    html_url = HtmlUrlField()

    class Meta:
        model = SLACheck
        fields = [
            "id",
            "sla",
            "value",
            "checked_at",
            "passed",
            "source",
            "recorded_by",
            "created_at",
            "html_url",
        ]


class SLACheckIn(ModelSerializer):
    checked_at = serializers.DateTimeField(
        default=timezone.now, help_text="Defaults to now."
    )

    class Meta:
        model = SLACheck
        fields = ["value", "checked_at"]
