"""Products and their stage timeline. Reading and updating one product (an
update may move its stage through the readiness gate) is tracker.readiness.api's
ProductDetailView; its serializers are here."""

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from tracker.accounts.api_auth import username_field
from tracker.accounts.models import Team, User
from tracker.accounts.selectors import team_visible_q
from tracker.lib.api import (
    ApiView,
    HtmlUrlField,
    ModelSerializer,
    ReadableSlugField,
    slug_of,
)
from tracker.products import selectors, services
from tracker.products.filters import ProductFilter
from tracker.products.models import Product, StageChange


class ProductOut(ModelSerializer):
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


class ProductIn(ModelSerializer):
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


def require_team(user: User, team: Team) -> None:
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
        require_team(request.user, data["team"])
        product = services.product_create(actor=request.user, data=data)
        return self.output(ProductOut, product, status=201)


class StageChangeOut(ModelSerializer):
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
