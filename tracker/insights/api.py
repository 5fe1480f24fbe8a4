"""GET /api/v1/insights/: the insights page's figures as JSON, each with the URL
of the incidents or postmortems behind it. Filters team, product (slugs) and
period (as the portfolio report's); an unknown or unreadable one is a 400."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from tracker.insights.forms import InsightsFilterForm
from tracker.insights.stored import insights_for
from tracker.lib.api import AbsoluteUrlField, ApiView, ErrorSerializer, SecondsField


class FactorOut(serializers.Serializer):
    quarter = serializers.CharField()
    label = serializers.CharField()
    category = serializers.CharField()
    count = serializers.IntegerField()
    url = AbsoluteUrlField(help_text="The published postmortems behind it.")


class TimingOut(serializers.Serializer):
    label = serializers.CharField()
    incidents = serializers.IntegerField()
    median_time_to_detect_seconds = SecondsField(source="median_ttd", allow_null=True)
    median_time_to_resolve_seconds = SecondsField(source="median_ttr", allow_null=True)
    url = AbsoluteUrlField()


class RatioOut(serializers.Serializer):
    label = serializers.CharField()
    total = serializers.IntegerField()
    part = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True)
    total_url = AbsoluteUrlField()
    part_url = AbsoluteUrlField()


class InsightsOut(serializers.Serializer):
    as_of = serializers.DateTimeField(
        help_text="When these figures were computed: they are kept, and computed "
        "again when a request finds them older than five minutes."
    )
    period = serializers.CharField(source="filters.period.key")
    period_start = serializers.DateTimeField(source="filters.period.start")
    period_end = serializers.DateTimeField(source="filters.period.end")
    factors_by_quarter = FactorOut(many=True, source="factors")
    time_by_factor_category = TimingOut(many=True, source="by_category")
    time_by_severity = TimingOut(many=True, source="by_severity")
    recurrence = RatioOut(help_text="Incidents that repeated an earlier one.")
    action_items_on_time = RatioOut(
        many=True, source="action_items", help_text="By kind: created, done on time."
    )
    postmortems_published_on_time = RatioOut(source="published_on_time")


_FILTERS = [
    OpenApiParameter("team", str, description="A team's slug."),
    OpenApiParameter("product", str, description="A product's slug."),
    OpenApiParameter(
        "period", str, description="12m (the default) or a quarter, e.g. 2026-Q3."
    ),
]


class InsightsView(ApiView):
    @extend_schema(
        parameters=_FILTERS, responses={200: InsightsOut, 400: ErrorSerializer}
    )
    def get(self, request: Request) -> Response:
        """Insights across failures: factors, times, recurrences, follow-ups."""
        form = InsightsFilterForm(request.query_params, user=request.user)
        if not form.is_valid():
            raise exceptions.ValidationError(
                {name: list(errors) for name, errors in form.errors.items()}
            )
        insights = insights_for(user=request.user, filters=form.filters())
        return self.output(InsightsOut, insights)
