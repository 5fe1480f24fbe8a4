"""The production-data survey: one row per feature the model needs."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from tracker.lib.api import (
    ApiView,
    HtmlUrlField,
    HumanDurationField,
    ModelSerializer,
    slug_of,
)
from tracker.products import selectors, services
from tracker.products.filters import FeatureFilter
from tracker.products.models import FeatureSource


class FeatureOut(ModelSerializer):
    product = slug_of()
    freshness_needed = HumanDurationField(read_only=True)
    freshness_actual = HumanDurationField(read_only=True)
    html_url = HtmlUrlField()

    class Meta:
        model = FeatureSource
        fields = [
            "id",
            "product",
            *services.SURVEY_FIELDS,
            "is_rated",
            "is_risky",
            "created_at",
            "updated_at",
            "html_url",
        ]


class FeatureIn(ModelSerializer):
    freshness_needed = HumanDurationField(help_text='e.g. "15m", "2h", "1d", "PT15M".')
    freshness_actual = HumanDurationField(help_text="How fresh production is today.")

    class Meta:
        model = FeatureSource
        fields = services.SURVEY_FIELDS


class ProductSurveyListView(ApiView):
    """The production-data survey: one row per feature the model needs."""

    queryset = FeatureSource.objects.none()
    filterset_class = FeatureFilter

    @extend_schema(responses=FeatureOut(many=True))
    def get(self, request: Request, slug: str) -> Response:
        product = selectors.product_get_for_user(user=request.user, slug=slug)
        return self.paginated(FeatureOut, self.filter_queryset(product.survey.all()))

    @extend_schema(request=FeatureIn, responses={201: FeatureOut})
    def post(self, request: Request, slug: str) -> Response:
        product = selectors.product_get_for_user(
            user=request.user, slug=slug, for_edit=True
        )
        feature = services.survey_feature_create(
            product=product, data=self.validated(FeatureIn)
        )
        return self.output(FeatureOut, feature, status=201)


class SurveyFeatureDetailView(ApiView):
    def _feature(self, slug: str, pk: int, for_edit: bool = False) -> FeatureSource:
        product = selectors.product_get_for_user(
            user=self.request.user, slug=slug, for_edit=for_edit
        )
        return get_object_or_404(product.survey, pk=pk)

    @extend_schema(responses=FeatureOut)
    def get(self, request: Request, slug: str, pk: int) -> Response:
        return self.output(FeatureOut, self._feature(slug, pk))

    @extend_schema(request=FeatureIn(partial=True), responses=FeatureOut)
    def patch(self, request: Request, slug: str, pk: int) -> Response:
        feature = self._feature(slug, pk, for_edit=True)
        data = self.validated(FeatureIn, partial=True)
        services.survey_feature_update(feature=feature, data=data)
        return self.output(FeatureOut, feature)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, slug: str, pk: int) -> Response:
        services.survey_feature_delete(feature=self._feature(slug, pk, for_edit=True))
        return Response(status=204)
