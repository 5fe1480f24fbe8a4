"""Success metrics and their measurements."""

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from tracker.accounts.api_auth import request_actor, request_source, username_field
from tracker.lib.api import ApiView, HtmlUrlField, ModelSerializer, slug_of
from tracker.products import selectors, services
from tracker.products.filters import MeasurementFilter, MetricFilter
from tracker.products.models import Measurement, SuccessMetric
from tracker.products.segments import metrics_with_segments


class SegmentValueOut(serializers.Serializer):
    name = serializers.CharField()
    value = serializers.FloatField()
    measured_at = serializers.DateTimeField()
    meets_floor = serializers.BooleanField(allow_null=True)


class MetricOut(ModelSerializer):
    product = slug_of()
    owner = username_field(read_only=True)
    html_url = HtmlUrlField()
    segments = SegmentValueOut(
        source="segment_values",
        many=True,
        read_only=True,
        help_text="Each segment's latest value, and whether it meets the floor.",
    )
    worst_segment = SegmentValueOut(
        read_only=True,
        allow_null=True,
        help_text="The segment doing worst by the metric's direction.",
    )

    class Meta:
        model = SuccessMetric
        fields = [
            "id",
            "product",
            *services.METRIC_FIELDS,
            "next_due_at",
            "segments",
            "worst_segment",
            "created_at",
            "updated_at",
            "html_url",
        ]


class MetricIn(ModelSerializer):
    owner = username_field(required=False, allow_null=True)

    class Meta:
        model = SuccessMetric
        fields = services.METRIC_FIELDS


class ProductMetricListView(ApiView):
    queryset = SuccessMetric.objects.none()
    filterset_class = MetricFilter

    @extend_schema(responses=MetricOut(many=True))
    def get(self, request: Request, slug: str) -> Response:
        product = selectors.product_get_for_user(user=request.user, slug=slug)
        metrics = self.filter_queryset(product.metrics.select_related("owner"))
        return self.paginated(MetricOut, metrics, prepare=metrics_with_segments)

    @extend_schema(request=MetricIn, responses={201: MetricOut})
    def post(self, request: Request, slug: str) -> Response:
        product = selectors.product_get_for_user(
            user=request.user, slug=slug, for_edit=True
        )
        metric = services.metric_create(product=product, data=self.validated(MetricIn))
        return self.output(MetricOut, metrics_with_segments([metric])[0], status=201)


class MetricDetailView(ApiView):
    @extend_schema(responses=MetricOut)
    def get(self, request: Request, pk: int) -> Response:
        metric = selectors.metric_get_for_user(user=request.user, pk=pk)
        return self.output(MetricOut, metrics_with_segments([metric])[0])

    @extend_schema(request=MetricIn(partial=True), responses=MetricOut)
    def patch(self, request: Request, pk: int) -> Response:
        metric = selectors.metric_get_for_user(user=request.user, pk=pk, for_edit=True)
        data = self.validated(MetricIn, partial=True)
        services.metric_update(metric=metric, data=data)
        return self.output(MetricOut, metrics_with_segments([metric])[0])


class MeasurementOut(ModelSerializer):
    recorded_by = username_field(read_only=True)
    segment = serializers.CharField(
        source="segment.name", read_only=True, allow_null=True, default=None
    )
    arm = serializers.CharField(
        source="arm.name", read_only=True, allow_null=True, default=None
    )
    html_url = HtmlUrlField()

    class Meta:
        model = Measurement
        fields = [
            "id",
            "metric",
            "value",
            "measured_at",
            "note",
            "segment",
            "arm",
            "source",
            "recorded_by",
            "created_at",
            "html_url",
        ]


class MeasurementIn(ModelSerializer):
    measured_at = serializers.DateTimeField(
        default=timezone.now, help_text="Defaults to now."
    )
    segment = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=101,
        help_text="One of the product's declared segments, e.g. merchant_size=small;"
        " empty: the metric as a whole.",
    )
    arm = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=60,
        help_text="An arm of the experiment running on this metric at measured_at,"
        " e.g. control; empty: not an experiment's value.",
    )

    class Meta:
        model = Measurement
        fields = ["value", "measured_at", "note", "segment", "arm"]


class MetricMeasurementListView(ApiView):
    """A metric's measurements, newest first. Product CI tokens may post here."""

    queryset = Measurement.objects.none()
    filterset_class = MeasurementFilter
    ci_token_methods = {"POST"}

    @extend_schema(responses=MeasurementOut(many=True))
    def get(self, request: Request, pk: int) -> Response:
        metric = selectors.metric_get_for_user(user=request.user, pk=pk)
        measurements = metric.measurements.select_related(
            "recorded_by", "segment", "arm"
        )
        return self.paginated(MeasurementOut, self.filter_queryset(measurements))

    @extend_schema(request=MeasurementIn, responses={201: MeasurementOut})
    def post(self, request: Request, pk: int) -> Response:
        metric = selectors.metric_get_for_user(user=request.user, pk=pk, for_edit=True)
        measurement = services.measurement_record(
            metric=metric,
            actor=request_actor(request),
            source=request_source(request),
            **self.validated(MeasurementIn),
        )
        return self.output(MeasurementOut, measurement, status=201)


class MeasurementDetailView(ApiView):
    @extend_schema(responses=MeasurementOut)
    def get(self, request: Request, pk: int, measurement_id: int) -> Response:
        metric = selectors.metric_get_for_user(user=request.user, pk=pk)
        return self.output(
            MeasurementOut, get_object_or_404(metric.measurements, pk=measurement_id)
        )

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int, measurement_id: int) -> Response:
        metric = selectors.metric_get_for_user(user=request.user, pk=pk, for_edit=True)
        measurement = get_object_or_404(metric.measurements, pk=measurement_id)
        services.measurement_delete(measurement=measurement)
        return Response(status=204)
