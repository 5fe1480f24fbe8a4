"""The products' SLA endpoints, with where each SLA's indicator comes from:
pushed checks (the default) or a PromQL query on the team's Prometheus
(`source: "prometheus"`, `query`, `integration`). Routed in place of the
products' views (tracker/api_urls.py): products does not know integrations."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from tracker.integrations.models import Connection, ConnectionKind, SLAQuery
from tracker.integrations.selectors import connection_list
from tracker.integrations.services import prometheus
from tracker.products import selectors
from tracker.products.api.slas import (
    ProductSLAListView,
    SLADetailView,
    SLAIn,
    SLAOut,
)


# A pattern, not an enum: the schema's enums are named after fields, and this
# one would collide with the checks' and incidents' `source`.
@extend_schema_field({"type": "string", "pattern": "^(pushed|prometheus)$"})
class SourceField(serializers.ChoiceField):
    def __init__(self, **kwargs) -> None:
        super().__init__([("pushed", "pushed"), ("prometheus", "prometheus")], **kwargs)


@extend_schema_field(OpenApiTypes.INT)
class ConnectionField(serializers.PrimaryKeyRelatedField):
    """A Prometheus connection among those the requester sees: another private
    team's reads as one that does not exist."""

    def get_queryset(self):
        request = self.context.get("request")
        if request is None:
            return Connection.objects.none()
        return connection_list(user=request.user, kind=ConnectionKind.PROMETHEUS)


class MeasuredSLAIn(SLAIn):
    source = SourceField(default="pushed")
    query = serializers.CharField(required=False, max_length=4000)
    integration = ConnectionField(
        required=False,
        help_text="A Prometheus connection of the product's team (its id).",
    )
    interval_seconds = serializers.IntegerField(
        required=False, min_value=10, max_value=86400, default=300
    )

    class Meta(SLAIn.Meta):
        fields = [
            *SLAIn.Meta.fields,
            "source",
            "query",
            "integration",
            "interval_seconds",
        ]


class MeasurementOut(serializers.ModelSerializer):
    integration = serializers.IntegerField(source="connection_id")
    not_measured = serializers.BooleanField()

    class Meta:
        model = SLAQuery
        fields = [
            "integration",
            "query",
            "interval_seconds",
            "failures_in_a_row",
            "not_measured",
        ]


class MeasuredSLAOut(SLAOut):
    source = serializers.SerializerMethodField()
    prometheus = serializers.SerializerMethodField()

    class Meta(SLAOut.Meta):
        fields = [*SLAOut.Meta.fields, "source", "prometheus"]

    def _query(self, sla) -> SLAQuery | None:
        return getattr(sla, "prometheus", None)

    def get_source(self, sla) -> str:
        return "prometheus" if self._query(sla) else "pushed"

    @extend_schema(responses=MeasurementOut(allow_null=True))
    def get_prometheus(self, sla) -> dict | None:
        query = self._query(sla)
        return MeasurementOut(query).data if query else None


def _with_queries(slas):
    return slas.select_related("prometheus")


class MeasuredProductSLAListView(ProductSLAListView):
    @extend_schema(responses=MeasuredSLAOut(many=True))
    def get(self, request: Request, slug: str) -> Response:
        product = selectors.product_get_for_user(user=request.user, slug=slug)
        slas = self.filter_queryset(_with_queries(product.slas.all()))
        return self.paginated(
            MeasuredSLAOut, slas, prepare=selectors.slas_with_compliance
        )

    @extend_schema(request=MeasuredSLAIn, responses={201: MeasuredSLAOut})
    def post(self, request: Request, slug: str) -> Response:
        """Create an SLA; with `source: "prometheus"`, its indicator is read
        from `query` on the Prometheus connection `integration`, every
        `interval_seconds`."""
        product = selectors.product_get_for_user(
            user=request.user, slug=slug, for_edit=True
        )
        data = self.validated(MeasuredSLAIn)
        sla = prometheus.sla_create_measured(product=product, data=data)
        sla = _with_queries(product.slas.all()).get(pk=sla.pk)
        return self.output(
            MeasuredSLAOut, selectors.slas_with_compliance([sla])[0], status=201
        )


class MeasuredSLADetailView(SLADetailView):
    @extend_schema(responses=MeasuredSLAOut)
    def get(self, request: Request, pk: int) -> Response:
        sla = selectors.sla_get_for_user(user=request.user, pk=pk)
        return self.output(MeasuredSLAOut, selectors.slas_with_compliance([sla])[0])
