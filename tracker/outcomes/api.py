"""API views for feedback, cost and value, and data contracts (docs/api.md,
"Outcomes after launch").

Feedback comes from the people who use the model: anyone who may read the
product, and its CI token (a service relaying its users' ratings), may post it,
at the `feedback` throttle rate. Costs, consumers and contracts are the team's:
editors write them. Change notices may be posted by the product's CI token.
"""

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from tracker.accounts.api_auth import request_actor, username_field
from tracker.accounts.models import Team
from tracker.lib.api import (
    ApiView,
    HumanDurationField,
    ModelSerializer,
    SlugRelatedField,
    StrictInputMixin,
    slug_of,
)
from tracker.outcomes import selectors, services
from tracker.outcomes.filters import FeedbackFilter
from tracker.outcomes.models import (
    Consumer,
    ContractChange,
    Cost,
    Feedback,
    SourceContract,
)
from tracker.products.models import FeatureSource, Product
from tracker.products.selectors import product_get_for_user, product_readable_q

# --- Feedback ---------------------------------------------------------------------


class FeedbackIn(StrictInputMixin, ModelSerializer):
    segment = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=101,
        help_text="One of the product's declared segments, e.g. region=eu.",
    )

    class Meta:
        model = Feedback
        fields = ["rating", "prediction_id", "segment", "comment"]
        extra_kwargs = {"rating": {"help_text": "good or bad."}}


class FeedbackOut(ModelSerializer):
    segment = serializers.CharField(
        source="segment.name", read_only=True, allow_null=True, default=None
    )
    submitted_by = username_field(read_only=True)

    class Meta:
        model = Feedback
        fields = [
            "id",
            "rating",
            "prediction_id",
            "segment",
            "comment",
            "submitted_by",
            "incident",
            "created_at",
        ]


class ProductFeedbackView(ApiView):
    """GET: the product's feedback, newest first (filters: rating, segment,
    since, until). POST: rate one prediction good or bad (anyone who may read
    the product, and its CI token)."""

    queryset = Feedback.objects.none()
    filterset_class = FeedbackFilter
    throttle_scope = "feedback"
    ci_token_methods = {"POST"}

    @extend_schema(responses=FeedbackOut(many=True))
    def get(self, request: Request, slug: str) -> Response:
        product = product_get_for_user(user=request.user, slug=slug)
        feedback = self.filter_queryset(selectors.feedback_list(product=product))
        return self.paginated(FeedbackOut, feedback)

    @extend_schema(request=FeedbackIn, responses={201: FeedbackOut})
    def post(self, request: Request, slug: str) -> Response:
        product = product_get_for_user(user=request.user, slug=slug)
        feedback = services.feedback_submit(
            product=product,
            data=self.validated(FeedbackIn),
            actor=request_actor(request),
        )
        return self.output(FeedbackOut, feedback, status=201)


# --- Costs and value ---------------------------------------------------------------


class CostIn(StrictInputMixin, ModelSerializer):
    class Meta:
        model = Cost
        fields = ["kind", "amount", "incurred_at", "note"]
        extra_kwargs = {
            "amount": {"help_text": "At least 0, in the instance's currency."}
        }


class CostOut(ModelSerializer):
    recorded_by = username_field(read_only=True)
    currency = serializers.SerializerMethodField()

    class Meta:
        model = Cost
        fields = [
            "id",
            "kind",
            "amount",
            "currency",
            "incurred_at",
            "note",
            "recorded_by",
            "created_at",
        ]

    def get_currency(self, cost: Cost) -> str:
        return selectors.currency()


class ProductCostsView(ApiView):
    """GET: the product's costs, latest first. POST: record one (editors)."""

    queryset = Cost.objects.none()

    @extend_schema(responses=CostOut(many=True))
    def get(self, request: Request, slug: str) -> Response:
        product = product_get_for_user(user=request.user, slug=slug)
        return self.paginated(CostOut, selectors.cost_list(product=product))

    @extend_schema(request=CostIn, responses={201: CostOut})
    def post(self, request: Request, slug: str) -> Response:
        product = product_get_for_user(user=request.user, slug=slug, for_edit=True)
        cost = services.cost_record(
            product=product, data=self.validated(CostIn), actor=request_actor(request)
        )
        return self.output(CostOut, cost, status=201)


class ProductCostDetailView(ApiView):
    @extend_schema(responses=CostOut)
    def get(self, request: Request, slug: str, pk: int) -> Response:
        product = product_get_for_user(user=request.user, slug=slug)
        return self.output(CostOut, get_object_or_404(product.costs, pk=pk))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, slug: str, pk: int) -> Response:
        product = product_get_for_user(user=request.user, slug=slug, for_edit=True)
        services.cost_delete(cost=get_object_or_404(product.costs, pk=pk))
        return Response(status=204)


class ValueOut(serializers.Serializer):
    currency = serializers.CharField()
    cost_to_date = serializers.DecimalField(14, 2, source="cost")
    value_to_date = serializers.DecimalField(
        14,
        2,
        source="value",
        help_text="Σ over post-launch measurements of each business KPI with a "
        "value per unit: (measurement − baseline) in the good direction × value "
        "per unit (docs/value.md).",
    )
    net = serializers.DecimalField(14, 2)
    payback_date = serializers.DateField(
        allow_null=True,
        help_text="The first day cumulative value reached cumulative cost; null "
        "while it has not.",
    )
    valued_metrics = serializers.IntegerField(
        help_text="Business KPIs whose measurements count as value."
    )
    costs_by_kind = serializers.DictField(
        child=serializers.DecimalField(14, 2), help_text="Cost to date per kind."
    )


class ProductValueView(ApiView):
    """Cost to date, value to date and the payback date (or null)."""

    @extend_schema(responses=ValueOut)
    def get(self, request: Request, slug: str) -> Response:
        product = product_get_for_user(user=request.user, slug=slug)
        return self.output(ValueOut, selectors.value_for_product(product))


# --- Data contracts ------------------------------------------------------------------


class ReadableProductField(SlugRelatedField):
    """Another product by slug, among those the requester may read."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("slug_field", "slug")
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet[Product]:
        request = self.context.get("request")
        if request is None or not hasattr(request.user, "is_superuser"):
            return Product.objects.none()
        return Product.objects.filter(product_readable_q(request.user))


class ConsumerIn(StrictInputMixin, ModelSerializer):
    owner = username_field()
    consumer_product = ReadableProductField(
        help_text="The tracked product that is this consumer, if any (its slug)."
    )

    class Meta:
        model = Consumer
        fields = ["name", "owner", "relies_on", "consumer_product"]
        validators: list[Any] = []  # a duplicate name is the service's 400


class ConsumerOut(ModelSerializer):
    owner = username_field(read_only=True)
    consumer_product = slug_of()

    class Meta:
        model = Consumer
        fields = ["id", "name", "owner", "relies_on", "consumer_product", "created_at"]


class ProductConsumersView(ApiView):
    """GET: who reads the product's outputs. POST: add a consumer (editors)."""

    queryset = Consumer.objects.none()

    @extend_schema(responses=ConsumerOut(many=True))
    def get(self, request: Request, slug: str) -> Response:
        product = product_get_for_user(user=request.user, slug=slug)
        return self.paginated(ConsumerOut, selectors.consumer_list(product=product))

    @extend_schema(request=ConsumerIn, responses={201: ConsumerOut})
    def post(self, request: Request, slug: str) -> Response:
        product = product_get_for_user(user=request.user, slug=slug, for_edit=True)
        consumer = services.consumer_add(
            product=product,
            data=self.validated(ConsumerIn),
            actor=request_actor(request),
        )
        return self.output(ConsumerOut, consumer, status=201)


class ProductConsumerDetailView(ApiView):
    @extend_schema(responses=ConsumerOut)
    def get(self, request: Request, slug: str, pk: int) -> Response:
        product = product_get_for_user(user=request.user, slug=slug)
        consumer = selectors.consumer_of_product(product=product, pk=pk)
        return self.output(ConsumerOut, consumer)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, slug: str, pk: int) -> Response:
        product = product_get_for_user(user=request.user, slug=slug, for_edit=True)
        consumer = selectors.consumer_of_product(product=product, pk=pk)
        services.consumer_delete(consumer=consumer)
        return Response(status=204)


class ContractIn(StrictInputMixin, ModelSerializer):
    owner_team = SlugRelatedField(slug_field="slug", queryset=Team.objects.all())
    freshness_promised = HumanDurationField()
    provider = ReadableProductField(
        help_text="The tracked product whose output this source is, if any."
    )

    class Meta:
        model = SourceContract
        fields = [
            "owner_team",
            "fields_relied_on",
            "freshness_promised",
            "semantics",
            "provider",
        ]


class ContractOut(ModelSerializer):
    source = serializers.IntegerField(source="source_id")
    feature = serializers.CharField(source="source.feature")
    owner_team = slug_of()
    freshness_promised = HumanDurationField(read_only=True)
    provider = slug_of()

    class Meta:
        model = SourceContract
        fields = [
            "source",
            "feature",
            "owner_team",
            "fields_relied_on",
            "freshness_promised",
            "semantics",
            "provider",
            "updated_at",
        ]


class SurveySourceContractView(ApiView):
    """GET: the contract of one survey source (404 without one). PUT: set it
    (editors)."""

    @extend_schema(responses=ContractOut)
    def get(self, request: Request, slug: str, pk: int) -> Response:
        product = product_get_for_user(user=request.user, slug=slug)
        contract = selectors.contract_of_source(product=product, pk=pk)
        if contract is None:
            raise Http404("This source has no contract.")
        return self.output(ContractOut, contract)

    @extend_schema(request=ContractIn, responses=ContractOut)
    def put(self, request: Request, slug: str, pk: int) -> Response:
        product = product_get_for_user(user=request.user, slug=slug, for_edit=True)
        source = get_object_or_404(FeatureSource, product=product, pk=pk)
        contract = services.contract_set(
            source=source,
            data=self.validated(ContractIn),
            actor=request_actor(request),
        )
        return self.output(ContractOut, contract)


class OfProductField(serializers.PrimaryKeyRelatedField):
    """A survey source or consumer of the product in the URL, by id."""

    def __init__(self, model: type, **kwargs: Any) -> None:
        self.model = model
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet:
        return self.model.objects.filter(product=self.context["product"])


class ContractChangeIn(StrictInputMixin, ModelSerializer):
    source = OfProductField(FeatureSource, help_text="Upstream: the survey row id.")
    consumer = OfProductField(Consumer, help_text="Downstream: the consumer id.")

    class Meta:
        model = ContractChange
        fields = ["side", "source", "consumer", "summary", "effective_at"]


class ContractChangeOut(ModelSerializer):
    product = serializers.CharField(source="product.slug")
    source = serializers.IntegerField(source="source_id", allow_null=True)
    consumer = serializers.IntegerField(source="consumer_id", allow_null=True)
    posted_by = username_field(read_only=True)

    class Meta:
        model = ContractChange
        fields = [
            "id",
            "product",
            "side",
            "source",
            "consumer",
            "summary",
            "effective_at",
            "posted_by",
            "created_at",
        ]


class ProductContractChangesView(ApiView):
    """GET: change notices the product posted or received, newest first. POST:
    announce one (editors and the product's CI token); the other side's owners
    are notified once each."""

    queryset = ContractChange.objects.none()
    ci_token_methods = {"POST"}

    @extend_schema(responses=ContractChangeOut(many=True))
    def get(self, request: Request, slug: str) -> Response:
        product = product_get_for_user(user=request.user, slug=slug)
        return self.paginated(
            ContractChangeOut, selectors.contract_change_list(product=product)
        )

    @extend_schema(request=ContractChangeIn, responses={201: ContractChangeOut})
    def post(self, request: Request, slug: str) -> Response:
        product = product_get_for_user(user=request.user, slug=slug, for_edit=True)
        change = services.contract_change_post(
            product=product,
            data=self.validated(ContractChangeIn, product=product),
            actor=request_actor(request),
        )
        return self.output(ContractChangeOut, change, status=201)
