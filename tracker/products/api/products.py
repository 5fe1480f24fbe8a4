"""Products and their stage timeline."""

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from tracker.accounts.api_auth import username_field
from tracker.accounts.models import Team, User
from tracker.accounts.selectors import team_visible_q
from tracker.lib.api import (
    ApiView,
    ErrorSerializer,
    FieldsError,
    HtmlUrlField,
    ReadableSlugField,
    slug_of,
)
from tracker.products import selectors, services
from tracker.products.filters import ProductFilter
from tracker.products.models import Product, Stage, StageChange
from tracker.readiness import services as readiness_services
from tracker.readiness.selectors import Item


class ProductOut(serializers.ModelSerializer):
    team = slug_of()
    pm_owner = username_field(read_only=True)
    ml_owner = username_field(read_only=True)
    eng_owner = username_field(read_only=True)
    html_url = HtmlUrlField()

    class Meta:
        model = Product
        fields = [
            *services.PRODUCT_FIELDS,
            "stage",
            "stage_entered_at",
            "launched_at",
            "owners_aligned",
            "created_at",
            "updated_at",
            "html_url",
        ]


class ProductIn(serializers.ModelSerializer):
    team = ReadableSlugField(visible_to=team_visible_q, queryset=Team.objects.all())
    pm_owner = username_field(required=False, allow_null=True)
    ml_owner = username_field(required=False, allow_null=True)
    eng_owner = username_field(required=False, allow_null=True)

    class Meta:
        model = Product
        fields = [*services.PRODUCT_FIELDS, "stage", "launched_at"]


class ProductUpdateIn(ProductIn):
    stage_note = serializers.CharField(
        max_length=1000,
        required=False,
        allow_blank=True,
        help_text="Why the stage changes (kept in the stage timeline).",
    )

    override_readiness = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Move into pilot or production although readiness items fail; "
        "the override is recorded with the failing items.",
    )

    class Meta(ProductIn.Meta):
        fields = [*ProductIn.Meta.fields, "stage_note", "override_readiness"]


class ReadinessGateBlocked(FieldsError):
    status_code = 409
    default_code = "readiness_gate"


def _gate_blocked(stage: str, failing: list[Item]) -> ReadinessGateBlocked:
    labels = ", ".join(item.label for item in failing)
    return ReadinessGateBlocked(
        f"Entering {Stage(stage).label} needs every readiness item to pass; "
        f'failing: {labels}. Fix them, or send "override_readiness": true to '
        "move anyway (the override is recorded).",
        fields={"stage": [f"{item.label}: {item.detail}" for item in failing]},
    )


def _require_team(user: User, team: Team) -> None:
    if not selectors.teams_editable_by(user).filter(pk=team.pk).exists():
        raise PermissionDenied("You can only put products in teams you belong to.")


class ProductListView(ApiView):
    queryset = Product.objects.none()
    filterset_class = ProductFilter

    @extend_schema(responses=ProductOut(many=True))
    def get(self, request: Request) -> Response:
        products = self.filter_queryset(selectors.product_list(user=request.user))
        return self.paginated(ProductOut, products)

    @extend_schema(request=ProductIn, responses={201: ProductOut})
    def post(self, request: Request) -> Response:
        data = self.validated(ProductIn)
        _require_team(request.user, data["team"])
        product = services.product_create(actor=request.user, data=data)
        return self.output(ProductOut, product, status=201)


class ProductDetailView(ApiView):
    @extend_schema(responses=ProductOut)
    def get(self, request: Request, slug: str) -> Response:
        product = selectors.product_get_for_user(user=request.user, slug=slug)
        return self.output(ProductOut, product)

    @extend_schema(
        request=ProductUpdateIn,
        responses={
            200: ProductOut,
            409: OpenApiResponse(
                ErrorSerializer,
                "Entering pilot or production with failing readiness items, "
                "without override_readiness: fields.stage lists them.",
            ),
        },
    )
    def patch(self, request: Request, slug: str) -> Response:
        """Update fields; a new `stage` is recorded in the stage timeline, and
        entering pilot or production passes the readiness gate."""
        product = selectors.product_get_for_user(
            user=request.user, slug=slug, for_edit=True
        )
        data = self.validated(ProductUpdateIn, instance=product, partial=True)
        if "team" in data and data["team"].pk != product.team_id:
            _require_team(request.user, data["team"])
        override = data.pop("override_readiness", False)
        try:
            readiness_services.product_update_gated(
                product=product, actor=request.user, data=data, override=override
            )
        except readiness_services.GateBlocked as blocked:
            raise _gate_blocked(data["stage"], blocked.failing) from None
        return self.output(ProductOut, product)


class StageChangeOut(serializers.ModelSerializer):
    changed_by = username_field(read_only=True)
    html_url = HtmlUrlField()

    class Meta:
        model = StageChange
        fields = [
            "from_stage",
            "to_stage",
            "changed_at",
            "changed_by",
            "note",
            "html_url",
        ]


class ProductStageChangeListView(ApiView):
    """The product's stage timeline, oldest first."""

    queryset = StageChange.objects.none()

    @extend_schema(responses=StageChangeOut(many=True))
    def get(self, request: Request, slug: str) -> Response:
        product = selectors.product_get_for_user(user=request.user, slug=slug)
        changes = product.stage_changes.select_related("changed_by")
        return self.paginated(StageChangeOut, changes)
