"""A product's rollout plan (one step at a time) and its experiments, with each
experiment's result: per arm the count and mean, and each later arm's uplift
over the first with Welch's 95 % t interval."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from tracker.accounts.api_auth import request_actor, username_field
from tracker.lib.api import ApiView, HtmlUrlField, ModelSerializer, slug_of
from tracker.products import experiments, selectors
from tracker.products.models import SuccessMetric
from tracker.products.models_experiments import Experiment, RolloutStep

# --- Rollout steps -----------------------------------------------------------------


class RolloutStepOut(ModelSerializer):
    product = slug_of()
    decider = username_field(read_only=True)
    label = serializers.CharField(read_only=True)

    class Meta:
        model = RolloutStep
        fields = [
            "id",
            "product",
            *experiments.ROLLOUT_STEP_FIELDS,
            "label",
            "created_at",
            "updated_at",
        ]


class RolloutStepIn(ModelSerializer):
    decider = username_field(required=False, allow_null=True)

    class Meta:
        model = RolloutStep
        fields = experiments.ROLLOUT_STEP_FIELDS


class ProductRolloutStepListView(ApiView):
    """The rollout plan, in order. Posting adds a step (last, without `position`)."""

    queryset = RolloutStep.objects.none()

    @extend_schema(responses=RolloutStepOut(many=True))
    def get(self, request: Request, slug: str) -> Response:
        product = selectors.product_get_for_user(user=request.user, slug=slug)
        steps = product.rollout_steps.select_related("decider", "product")
        return self.paginated(RolloutStepOut, steps)

    @extend_schema(request=RolloutStepIn, responses={201: RolloutStepOut})
    def post(self, request: Request, slug: str) -> Response:
        product = selectors.product_get_for_user(
            user=request.user, slug=slug, for_edit=True
        )
        step = experiments.rollout_step_create(
            product=product, data=self.validated(RolloutStepIn)
        )
        return self.output(RolloutStepOut, step, status=201)


class RolloutStepDetailView(ApiView):
    def _step(self, slug: str, pk: int, for_edit: bool = False) -> RolloutStep:
        product = selectors.product_get_for_user(
            user=self.request.user, slug=slug, for_edit=for_edit
        )
        return get_object_or_404(product.rollout_steps.select_related("decider"), pk=pk)

    @extend_schema(responses=RolloutStepOut)
    def get(self, request: Request, slug: str, pk: int) -> Response:
        return self.output(RolloutStepOut, self._step(slug, pk))

    @extend_schema(request=RolloutStepIn(partial=True), responses=RolloutStepOut)
    def patch(self, request: Request, slug: str, pk: int) -> Response:
        step = self._step(slug, pk, for_edit=True)
        experiments.rollout_step_update(
            step=step, data=self.validated(RolloutStepIn, partial=True)
        )
        return self.output(RolloutStepOut, step)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, slug: str, pk: int) -> Response:
        experiments.rollout_step_delete(step=self._step(slug, pk, for_edit=True))
        return Response(status=204)


# --- Experiments -------------------------------------------------------------------


class ArmResultOut(serializers.Serializer):
    name = serializers.CharField()
    count = serializers.IntegerField()
    mean = serializers.FloatField(allow_null=True)
    uplift = serializers.FloatField(
        source="uplift.difference",
        allow_null=True,
        default=None,
        help_text="Mean of this arm minus the first arm's (null for the first arm).",
    )
    ci_low = serializers.FloatField(source="uplift.low", allow_null=True, default=None)
    ci_high = serializers.FloatField(
        source="uplift.high", allow_null=True, default=None
    )
    df = serializers.FloatField(
        source="uplift.df",
        allow_null=True,
        default=None,
        help_text="Welch–Satterthwaite degrees of freedom.",
    )
    significant = serializers.BooleanField(
        allow_null=True,
        help_text="The interval excludes zero on the metric's good side; null "
        "without an interval.",
    )
    reason = serializers.CharField(
        help_text="Why there is no interval (e.g. not enough data); empty else."
    )


class ExperimentOut(ModelSerializer):
    product = slug_of()
    arms = serializers.SerializerMethodField()
    created_by = username_field(read_only=True)
    results = ArmResultOut(many=True, read_only=True)
    significant = serializers.BooleanField(read_only=True)
    method = serializers.SerializerMethodField()
    html_url = HtmlUrlField()

    class Meta:
        model = Experiment
        fields = [
            "id",
            "product",
            "name",
            "metric",
            "arms",
            "hypothesis",
            "started_at",
            "ended_at",
            "results",
            "significant",
            "method",
            "created_by",
            "created_at",
            "updated_at",
            "html_url",
        ]

    def get_arms(self, experiment: Experiment) -> list[str]:
        return [arm.name for arm in experiment.arms.all()]

    def get_method(self, experiment: Experiment) -> str:
        return experiments.METHOD


class ExperimentIn(ModelSerializer):
    metric = serializers.PrimaryKeyRelatedField(
        queryset=SuccessMetric.objects.none(),
        help_text="A metric id of this product.",
        error_messages={"does_not_exist": "No metric {pk_value} in this product."},
    )
    arms = serializers.ListField(
        child=serializers.CharField(max_length=experiments.ARM_NAME_MAX),
        min_length=2,
        max_length=20,
        help_text="Unique arm names, the first the one compared against, "
        'e.g. ["control", "model"].',
    )

    class Meta:
        model = Experiment
        fields = [*experiments.EXPERIMENT_FIELDS, "arms"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        product = self.context.get("product")  # absent only when the schema is built
        if product is not None:
            self.fields["metric"].queryset = product.metrics.all()


class ProductExperimentListView(ApiView):
    queryset = Experiment.objects.none()

    @extend_schema(responses=ExperimentOut(many=True))
    def get(self, request: Request, slug: str) -> Response:
        product = selectors.product_get_for_user(user=request.user, slug=slug)
        rows = experiments.experiment_list(product=product)
        return self.paginated(
            ExperimentOut, rows, prepare=experiments.experiments_with_results
        )

    @extend_schema(request=ExperimentIn, responses={201: ExperimentOut})
    def post(self, request: Request, slug: str) -> Response:
        product = selectors.product_get_for_user(
            user=request.user, slug=slug, for_edit=True
        )
        experiment = experiments.experiment_create(
            product=product,
            data=self.validated(ExperimentIn, product=product),
            actor=request_actor(request),
        )
        (experiment,) = experiments.experiments_with_results([experiment])
        return self.output(ExperimentOut, experiment, status=201)


class ExperimentDetailView(ApiView):
    @extend_schema(responses=ExperimentOut)
    def get(self, request: Request, pk: int) -> Response:
        experiment = experiments.experiment_get_for_user(user=request.user, pk=pk)
        (experiment,) = experiments.experiments_with_results([experiment])
        return self.output(ExperimentOut, experiment)

    @extend_schema(request=ExperimentIn(partial=True), responses=ExperimentOut)
    def patch(self, request: Request, pk: int) -> Response:
        experiment = experiments.experiment_get_for_user(
            user=request.user, pk=pk, for_edit=True
        )
        data = self.validated(ExperimentIn, partial=True, product=experiment.product)
        experiments.experiment_update(experiment=experiment, data=data)
        (experiment,) = experiments.experiments_with_results([experiment])
        return self.output(ExperimentOut, experiment)
