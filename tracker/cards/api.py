"""The API of model cards, scope and decisions (docs/cards.md).

Thin: each method fetches-and-authorizes the product through
tracker.products.selectors, validates with an input serializer, calls one
service and shapes the response.
"""

from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from tracker.accounts.api_auth import username_field
from tracker.accounts.models import User
from tracker.cards import selectors, services
from tracker.cards.models import (
    CARD_FIELDS,
    VERSION_CARD_FIELDS,
    Approval,
    ApprovalState,
    Decision,
    ModelCard,
    VersionModelCard,
)
from tracker.lib.api import (
    ApiView,
    HtmlUrlField,
    ModelSerializer,
    StrictInputMixin,
    slug_of,
)
from tracker.products import selectors as products
from tracker.products.api.metrics import SegmentValueOut
from tracker.products.models import PlanningSession
from tracker.releases.selectors import model_version_get_for_user


class AnalysisOut(serializers.Serializer):
    metric = serializers.CharField(source="metric.name")
    worst_case_floor = serializers.FloatField(source="metric.worst_case_floor")
    direction = serializers.CharField(source="metric.direction")
    segments = SegmentValueOut(source="values", many=True)
    worst_segment = SegmentValueOut(source="worst", allow_null=True)


class ModelCardOut(ModelSerializer):
    product = slug_of()
    owners = serializers.SerializerMethodField()
    segments = serializers.SerializerMethodField()
    use_cases_served = serializers.SerializerMethodField()
    use_cases_not_served = serializers.SerializerMethodField()
    quantitative_analyses = serializers.SerializerMethodField()
    updated_by = username_field(read_only=True)
    # Null until the card is first saved (a product without one reads as empty).
    reviewed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    updated_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = ModelCard
        fields = [
            "product",
            "owners",
            *CARD_FIELDS,
            "segments",
            "use_cases_served",
            "use_cases_not_served",
            "quantitative_analyses",
            "reviewed_at",
            "updated_by",
            "updated_at",
        ]

    def get_owners(self, card: ModelCard) -> dict[str, str | None]:
        """The product's PM, ML and engineering owners (usernames)."""
        product = card.product
        return {
            role: getattr(getattr(product, f"{role}_owner"), "username", None)
            for role in ("pm", "ml", "eng")
        }

    def get_segments(self, card: ModelCard) -> list[str]:
        """The factors: the product's declared segments."""
        return [s.name for s in card.product.segments.all()]

    def get_use_cases_served(self, card: ModelCard) -> list[str]:
        return [u.description for u in card.product.use_cases.all() if u.served]

    def get_use_cases_not_served(self, card: ModelCard) -> list[str]:
        return [u.description for u in card.product.use_cases.all() if not u.served]

    @extend_schema_field(AnalysisOut(many=True))
    def get_quantitative_analyses(self, card: ModelCard) -> list[dict]:
        """Per metric, each segment's latest value and the worst: from the data."""
        analyses = selectors.model_card_analyses(product=card.product)
        return AnalysisOut(analyses, many=True).data


class ModelCardIn(ModelSerializer):
    segments = serializers.ListField(
        child=serializers.CharField(max_length=101),
        required=False,
        max_length=200,
        help_text="The product's segments (dimension=value), replaced as a whole.",
    )
    use_cases_served = serializers.ListField(
        child=serializers.CharField(max_length=300), required=False, max_length=50
    )
    use_cases_not_served = serializers.ListField(
        child=serializers.CharField(max_length=300), required=False, max_length=50
    )

    class Meta:
        model = ModelCard
        fields = [*CARD_FIELDS, "segments", "use_cases_served", "use_cases_not_served"]


class ModelCardView(ApiView):
    @extend_schema(responses=ModelCardOut)
    def get(self, request: Request, slug: str) -> Response:
        product = products.product_get_for_user(user=request.user, slug=slug)
        return self.output(
            ModelCardOut, selectors.model_card_for_product(product=product)
        )

    @extend_schema(request=ModelCardIn, responses=ModelCardOut)
    def put(self, request: Request, slug: str) -> Response:
        product = products.product_get_for_user(
            user=request.user, slug=slug, for_edit=True
        )
        data = self.validated(ModelCardIn, partial=True)
        card = services.model_card_with_scope_save(
            product=product, data=data, actor=request.user
        )
        return self.output(ModelCardOut, card)


class VersionModelCardOut(ModelSerializer):
    product = serializers.CharField(source="version.product.slug")
    version = serializers.CharField(source="version.version")
    version_id = serializers.IntegerField()
    updated_by = username_field(read_only=True)
    html_url = HtmlUrlField()

    class Meta:
        model = VersionModelCard
        fields = [
            "product",
            "version",
            "version_id",
            *VERSION_CARD_FIELDS,
            "created_at",
            "updated_by",
            "updated_at",
            "html_url",
        ]


class VersionModelCardIn(StrictInputMixin, ModelSerializer):
    class Meta:
        model = VersionModelCard
        fields = VERSION_CARD_FIELDS


class VersionModelCardView(ApiView):
    """GET: the version's own card (404 while it has none: the product's card
    describes it). PUT: create it as a copy of the product's card with the
    fields given on top, or change the fields given."""

    @extend_schema(responses=VersionModelCardOut)
    def get(self, request: Request, pk: int) -> Response:
        version = model_version_get_for_user(user=request.user, pk=pk)
        card = selectors.version_card_of(version=version)
        if card is None:
            raise Http404(
                f"Version {version.version} has no card of its own; PUT creates "
                "one from the product's card."
            )
        return self.output(VersionModelCardOut, card)

    @extend_schema(request=VersionModelCardIn, responses=VersionModelCardOut)
    def put(self, request: Request, pk: int) -> Response:
        version = model_version_get_for_user(user=request.user, pk=pk, for_edit=True)
        data = self.validated(VersionModelCardIn, partial=True)
        card = services.version_card_save(
            version=version, data=data, actor=request.user
        )
        return self.output(VersionModelCardOut, card)


class ApprovalOut(ModelSerializer):
    approver = username_field(read_only=True)

    class Meta:
        model = Approval
        fields = ["id", "approver", "state", "comment", "answered_at"]


class DecisionOut(ModelSerializer):
    product = slug_of()
    session = serializers.PrimaryKeyRelatedField(read_only=True)
    approvals = ApprovalOut(many=True, read_only=True)
    status = serializers.SerializerMethodField()
    created_by = username_field(read_only=True)
    html_url = HtmlUrlField()

    class Meta:
        model = Decision
        fields = [
            "id",
            "product",
            "session",
            "title",
            "decision",
            "alternatives",
            "reason",
            "decided_at",
            "status",
            "approvals",
            "created_by",
            "created_at",
            "html_url",
        ]

    def get_status(self, decision: Decision) -> str:
        """objected if anyone objected, pending while anyone has not answered,
        else approved."""
        return decision.status


class DecisionIn(ModelSerializer):
    session = serializers.PrimaryKeyRelatedField(
        queryset=PlanningSession.objects.none(), required=False, allow_null=True
    )
    approvers = username_field(
        many=True,
        required=False,
        queryset=User.objects.none(),
        error_messages={"does_not_exist": "{value} is not in the team or an owner."},
        help_text="Who must approve; by default the product's PM owner.",
    )

    class Meta:
        model = Decision
        fields = [*services.DECISION_FIELDS, "approvers"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        product = self.context.get("product")  # absent only when the schema is built
        if product is not None:
            self.fields["session"].queryset = product.sessions.all()
            candidates = products.session_candidates(product=product)
            self.fields["approvers"].child_relation.queryset = candidates


class DecisionListView(ApiView):
    queryset = Decision.objects.none()

    @extend_schema(responses=DecisionOut(many=True))
    def get(self, request: Request, slug: str) -> Response:
        product = products.product_get_for_user(user=request.user, slug=slug)
        return self.paginated(DecisionOut, selectors.decision_list(product=product))

    @extend_schema(request=DecisionIn, responses={201: DecisionOut})
    def post(self, request: Request, slug: str) -> Response:
        product = products.product_get_for_user(
            user=request.user, slug=slug, for_edit=True
        )
        data = self.validated(DecisionIn, product=product)
        decision = services.decision_record(
            product=product,
            data=data,
            actor=request.user,
            approvers=data.pop("approvers", None),
        )
        return self.output(
            DecisionOut,
            selectors.decision_get(product=product, pk=decision.pk),
            status=201,
        )


class DecisionDetailView(ApiView):
    @extend_schema(responses=DecisionOut)
    def get(self, request: Request, slug: str, pk: int) -> Response:
        product = products.product_get_for_user(user=request.user, slug=slug)
        return self.output(DecisionOut, selectors.decision_get(product=product, pk=pk))


class AnswerIn(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class ApprovalAnswerView(ApiView):
    """Approve or object: only the person the approval asks (403 for others)."""

    state = ApprovalState.APPROVED

    @extend_schema(request=AnswerIn, responses=DecisionOut)
    def post(self, request: Request, slug: str, pk: int, approval_pk: int) -> Response:
        product = products.product_get_for_user(user=request.user, slug=slug)
        decision = selectors.decision_get(product=product, pk=pk)
        approval = selectors.approval_get_for_answer(
            decision=decision, pk=approval_pk, user=request.user
        )
        services.approval_answer(
            approval=approval,
            actor=request.user,
            state=self.state,
            **self.validated(AnswerIn),
        )
        return self.output(DecisionOut, selectors.decision_get(product=product, pk=pk))


class ApprovalObjectView(ApprovalAnswerView):
    state = ApprovalState.OBJECTED
