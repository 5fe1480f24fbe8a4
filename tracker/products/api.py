"""API views for products and what hangs off them: metrics and measurements, SLAs
and checks, the data survey, planning sessions and the stage timeline.

Thin: each method fetches-and-authorizes through a selector, validates with an
input serializer, calls one service and shapes the response with an output
serializer. Class-level `queryset`s are `.none()`: they name the model for the
filter backend and the schema; rows always come from the selectors.
"""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from tracker.accounts.models import Team, User
from tracker.lib.api import (
    ApiView,
    HtmlUrlField,
    HumanDurationField,
    ModelSerializer,
    request_actor,
    request_source,
    username_field,
)
from tracker.products import selectors, services
from tracker.products.filters import (
    FeatureFilter,
    MeasurementFilter,
    MetricFilter,
    ProductFilter,
    SessionFilter,
    SLACheckFilter,
    SLAFilter,
)
from tracker.products.models import (
    FeatureSource,
    Measurement,
    PlanningSession,
    Product,
    ServiceLevel,
    SLACheck,
    StageChange,
    SuccessMetric,
)

_slug_of = {"slug_field": "slug", "read_only": True}

# --- Products --------------------------------------------------------------------


class ProductOut(ModelSerializer):
    team = serializers.SlugRelatedField(**_slug_of)
    pm_owner = username_field(read_only=True)
    ml_owner = username_field(read_only=True)
    eng_owner = username_field(read_only=True)
    html_url = HtmlUrlField()

    class Meta:
        model = Product
        fields = [
            "name",
            "slug",
            "team",
            "stage",
            "stage_entered_at",
            "launched_at",
            "summary",
            "problem_statement",
            "success_definition",
            "business_context",
            "risk_tier",
            "worst_case_matters",
            "worst_case_evaluation",
            "constraints",
            "simple_baseline",
            "pm_owner",
            "ml_owner",
            "eng_owner",
            "shared_ownership_accepted",
            "owners_aligned",
            "badge_public",
            "created_at",
            "updated_at",
            "html_url",
        ]


class ProductIn(ModelSerializer):
    team = serializers.SlugRelatedField(slug_field="slug", queryset=Team.objects.all())
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

    class Meta(ProductIn.Meta):
        fields = [*ProductIn.Meta.fields, "stage_note"]


def _require_team(user: User, team: Team) -> None:
    if not selectors.teams_editable_by(user).filter(pk=team.pk).exists():
        raise PermissionDenied("You can only put products in teams you belong to.")


class ProductListView(ApiView):
    queryset = Product.objects.none()
    filterset_class = ProductFilter

    @extend_schema(responses=ProductOut(many=True))
    def get(self, request: Request) -> Response:
        products = self.filter_queryset(selectors.product_list())
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

    @extend_schema(request=ProductUpdateIn, responses=ProductOut)
    def patch(self, request: Request, slug: str) -> Response:
        """Update fields; a new `stage` is recorded in the stage timeline."""
        product = selectors.product_get_for_user(
            user=request.user, slug=slug, for_edit=True
        )
        data = self.validated(ProductUpdateIn, instance=product, partial=True)
        if "team" in data and data["team"].pk != product.team_id:
            _require_team(request.user, data["team"])
        services.product_update(product=product, actor=request.user, data=data)
        return self.output(ProductOut, product)


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


# --- Success metrics and measurements -------------------------------------------------


class MetricOut(ModelSerializer):
    product = serializers.SlugRelatedField(**_slug_of)
    owner = username_field(read_only=True)
    html_url = HtmlUrlField()

    class Meta:
        model = SuccessMetric
        fields = [
            "id",
            "product",
            *services.METRIC_FIELDS,
            "next_due_at",
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
        return self.paginated(MetricOut, metrics)

    @extend_schema(request=MetricIn, responses={201: MetricOut})
    def post(self, request: Request, slug: str) -> Response:
        product = selectors.product_get_for_user(
            user=request.user, slug=slug, for_edit=True
        )
        metric = services.metric_create(product=product, data=self.validated(MetricIn))
        return self.output(MetricOut, metric, status=201)


class MetricDetailView(ApiView):
    @extend_schema(responses=MetricOut)
    def get(self, request: Request, pk: int) -> Response:
        metric = selectors.metric_get_for_user(user=request.user, pk=pk)
        return self.output(MetricOut, metric)

    @extend_schema(request=MetricIn(partial=True), responses=MetricOut)
    def patch(self, request: Request, pk: int) -> Response:
        metric = selectors.metric_get_for_user(user=request.user, pk=pk, for_edit=True)
        data = self.validated(MetricIn, partial=True)
        services.metric_update(metric=metric, data=data)
        return self.output(MetricOut, metric)


class MeasurementOut(ModelSerializer):
    recorded_by = username_field(read_only=True)
    html_url = HtmlUrlField()

    class Meta:
        model = Measurement
        fields = [
            "id",
            "metric",
            "value",
            "measured_at",
            "note",
            "source",
            "recorded_by",
            "created_at",
            "html_url",
        ]


class MeasurementIn(ModelSerializer):
    measured_at = serializers.DateTimeField(
        default=timezone.now, help_text="Defaults to now."
    )

    class Meta:
        model = Measurement
        fields = ["value", "measured_at", "note"]


class MetricMeasurementListView(ApiView):
    """A metric's measurements, newest first. Product CI tokens may post here."""

    queryset = Measurement.objects.none()
    filterset_class = MeasurementFilter
    ci_token_methods = {"POST"}

    @extend_schema(responses=MeasurementOut(many=True))
    def get(self, request: Request, pk: int) -> Response:
        metric = selectors.metric_get_for_user(user=request.user, pk=pk)
        measurements = metric.measurements.select_related("recorded_by")
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


# --- SLAs and checks --------------------------------------------------------------


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
    product = serializers.SlugRelatedField(**_slug_of)
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


class SLACheckListView(ApiView):
    """An SLA's checks, newest first. Product CI tokens may post here."""

    queryset = SLACheck.objects.none()
    filterset_class = SLACheckFilter
    ci_token_methods = {"POST"}

    @extend_schema(responses=SLACheckOut(many=True))
    def get(self, request: Request, pk: int) -> Response:
        sla = selectors.sla_get_for_user(user=request.user, pk=pk)
        checks = self.filter_queryset(sla.checks.select_related("recorded_by"))
        return self.paginated(SLACheckOut, checks)

    @extend_schema(request=SLACheckIn, responses={201: SLACheckOut})
    def post(self, request: Request, pk: int) -> Response:
        sla = selectors.sla_get_for_user(user=request.user, pk=pk, for_edit=True)
        check = services.sla_check_record(
            sla=sla,
            actor=request_actor(request),
            source=request_source(request),
            **self.validated(SLACheckIn),
        )
        return self.output(SLACheckOut, check, status=201)


# --- Production-data survey ----------------------------------------------------------


class FeatureOut(ModelSerializer):
    product = serializers.SlugRelatedField(**_slug_of)
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


# --- Planning sessions ---------------------------------------------------------------


class PersonasOut(serializers.Serializer):
    pm = serializers.BooleanField()
    ml = serializers.BooleanField()
    eng = serializers.BooleanField()


class SessionOut(ModelSerializer):
    product = serializers.SlugRelatedField(**_slug_of)
    attendees = serializers.SerializerMethodField()
    personas_present = serializers.SerializerMethodField()
    created_by = username_field(read_only=True)
    html_url = HtmlUrlField()

    class Meta:
        model = PlanningSession
        fields = [
            "id",
            "product",
            "title",
            "held_at",
            "attendees",
            "personas_present",
            "decisions",
            "notes",
            "open_questions",
            "created_by",
            "created_at",
            "updated_at",
            "html_url",
        ]

    def get_attendees(self, session: PlanningSession) -> list[str]:
        """Usernames, sorted (uses the prefetched attendees)."""
        return sorted(user.username for user in session.attendees.all())

    @extend_schema_field(PersonasOut)
    def get_personas_present(self, session: PlanningSession) -> dict[str, bool]:
        """Which of the three owners attended."""
        return selectors.personas_present(session, session.product)


class SessionIn(ModelSerializer):
    attendees = username_field(
        many=True,
        required=False,
        queryset=User.objects.none(),
        error_messages={"does_not_exist": "{value} is not in the team or an owner."},
    )

    class Meta:
        model = PlanningSession
        fields = [*services.SESSION_FIELDS, "attendees"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Attendees come from the product's team and owners, as in the HTML form.
        product = self.context.get("product")  # absent only when the schema is built
        if product is not None:
            candidates = selectors.session_candidates(product=product)
            self.fields["attendees"].child_relation.queryset = candidates


class ProductSessionListView(ApiView):
    queryset = PlanningSession.objects.none()
    filterset_class = SessionFilter

    @extend_schema(responses=SessionOut(many=True))
    def get(self, request: Request, slug: str) -> Response:
        product = selectors.product_get_for_user(user=request.user, slug=slug)
        sessions = self.filter_queryset(
            selectors.session_list(product=product).select_related("created_by")
        )
        return self.paginated(SessionOut, sessions)

    @extend_schema(request=SessionIn, responses={201: SessionOut})
    def post(self, request: Request, slug: str) -> Response:
        product = selectors.product_get_for_user(
            user=request.user, slug=slug, for_edit=True
        )
        data = self.validated(SessionIn, product=product)
        session = services.session_create(
            product=product, actor=request.user, data=data
        )
        return self.output(SessionOut, session, status=201)


class SessionDetailView(ApiView):
    def _session(self, slug: str, pk: int, for_edit: bool = False):
        product = selectors.product_get_for_user(
            user=self.request.user, slug=slug, for_edit=for_edit
        )
        sessions = selectors.session_list(product=product).select_related("created_by")
        return product, get_object_or_404(sessions, pk=pk)

    @extend_schema(responses=SessionOut)
    def get(self, request: Request, slug: str, pk: int) -> Response:
        return self.output(SessionOut, self._session(slug, pk)[1])

    @extend_schema(request=SessionIn(partial=True), responses=SessionOut)
    def patch(self, request: Request, slug: str, pk: int) -> Response:
        product, session = self._session(slug, pk, for_edit=True)
        data = self.validated(SessionIn, partial=True, product=product)
        services.session_update(session=session, data=data)
        return self.output(SessionOut, session)
