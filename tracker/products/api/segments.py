"""A product's declared segments: read them, or declare the whole set at once."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from tracker.lib.api import ApiView
from tracker.products import selectors
from tracker.products.segments import segments_set


class SegmentsSerializer(serializers.Serializer):
    segments = serializers.ListField(
        child=serializers.CharField(max_length=101),
        max_length=200,
        help_text="dimension=value names, e.g. merchant_size=small.",
    )


class ProductSegmentsView(ApiView):
    @extend_schema(responses=SegmentsSerializer)
    def get(self, request: Request, slug: str) -> Response:
        product = selectors.product_get_for_user(user=request.user, slug=slug)
        return Response({"segments": [s.name for s in product.segments.all()]})

    @extend_schema(request=SegmentsSerializer, responses=SegmentsSerializer)
    def put(self, request: Request, slug: str) -> Response:
        product = selectors.product_get_for_user(
            user=request.user, slug=slug, for_edit=True
        )
        names = self.validated(SegmentsSerializer)["segments"]
        return Response(
            {"segments": [s.name for s in segments_set(product=product, names=names)]}
        )
