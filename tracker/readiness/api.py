"""API views for readiness: a product's checklist, its ML Test Score with the 28
tests and their history, setting one test's level, and reading or updating a
product (a new stage passes the readiness gate, which this app owns).

Any signed-in person may read; only the product's team and owners may set a test
(CI tokens may not: CI marks tests automated through the CI status it posts).
"""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from tracker.accounts.api_auth import request_actor
from tracker.lib.api import (
    AbsoluteUrlField,
    ApiView,
    ErrorSerializer,
    FieldsError,
    HtmlUrlField,
)
from tracker.products.api.products import (
    ProductOut,
    ProductUpdateIn,
    require_team,
)
from tracker.products.models import Stage
from tracker.products.selectors import product_get_for_user
from tracker.readiness import selectors, services
from tracker.readiness.models import Level, MLTestResult
from tracker.readiness.rubric import SECTIONS, TESTS_BY_CODE
from tracker.readiness.selectors import Item

EVIDENCE_REQUIRED = "Give a link or a note showing how it is done."


class MLTestSectionsOut(serializers.Serializer):
    """Points per section of the rubric (0 to 7 each)."""

    data = serializers.FloatField(help_text=SECTIONS["data"])
    model = serializers.FloatField(help_text=SECTIONS["model"])
    infra = serializers.FloatField(help_text=SECTIONS["infra"])
    monitoring = serializers.FloatField(help_text=SECTIONS["monitoring"])


class MLTestScoreSummaryOut(serializers.Serializer):
    score = serializers.FloatField(help_text="The lowest of the four sections.")
    out_of = serializers.IntegerField(help_text="The best possible score (7).")
    interpretation = serializers.CharField(help_text="The paper's reading of it.")
    sections = MLTestSectionsOut()


class ReadinessItemOut(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    passed = serializers.BooleanField(
        allow_null=True, help_text="null: the item does not apply to this product."
    )
    detail = serializers.CharField()
    fix_url = AbsoluteUrlField(help_text="The page where the item is fixed.")


class ReadinessSummaryOut(serializers.Serializer):
    passed = serializers.IntegerField(source="passed_count")
    applicable = serializers.IntegerField(source="applicable_count")


class ReadinessOut(serializers.Serializer):
    product = serializers.CharField(source="product.slug")
    items = ReadinessItemOut(many=True, source="readiness.items")
    summary = ReadinessSummaryOut(source="readiness")
    ml_test_score = MLTestScoreSummaryOut(source="score")
    html_url = HtmlUrlField()


@extend_schema_field(OpenApiTypes.URI)
class _TestUrlField(serializers.Field):
    """The test's edit page; the product comes from the serializer's context."""

    def __init__(self, **kwargs) -> None:
        super().__init__(source="test.code", read_only=True, **kwargs)

    def to_representation(self, code: str) -> str:
        url = reverse("readiness:ml_test_edit", args=[self.context["slug"], code])
        return self.context["request"].build_absolute_uri(url)


class MLTestOut(serializers.Serializer):
    code = serializers.CharField(source="test.code")
    section = serializers.ChoiceField(choices=list(SECTIONS), source="test.section")
    title = serializers.CharField(source="test.title")
    hint = serializers.CharField(source="test.hint")
    level = serializers.ChoiceField(choices=Level.choices)
    points = serializers.FloatField(help_text="0, 0.5 (manual) or 1 (automated).")
    evidence = serializers.CharField()
    ci_context = serializers.CharField(
        help_text="A CI status context whose repeated successes automate the test."
    )
    automated_by_ci = serializers.BooleanField()
    ci_note = serializers.CharField(help_text="How CI stands for this test, if mapped.")
    html_url = _TestUrlField()


class MLTestSnapshotOut(serializers.Serializer):
    recorded_at = serializers.DateTimeField()
    score = serializers.FloatField()
    sections = MLTestSectionsOut(source="*")


class MLTestScoreOut(serializers.Serializer):
    product = serializers.CharField(source="product.slug")
    score = serializers.FloatField(source="score.score")
    out_of = serializers.IntegerField(
        source="score.out_of", help_text="The best possible score (7)."
    )
    interpretation = serializers.CharField(source="score.interpretation")
    sections = MLTestSectionsOut(source="score.sections")
    tests = MLTestOut(many=True, source="score.rows")
    history = MLTestSnapshotOut(
        many=True, help_text="The score after each change, oldest first (last 100)."
    )
    html_url = HtmlUrlField()


class MLTestIn(serializers.Serializer):
    level = serializers.ChoiceField(choices=Level.choices, required=False)
    evidence = serializers.CharField(
        required=False, allow_blank=True, help_text="A link or a note."
    )
    ci_context = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="A CI status context (e.g. evaluate); empty to unmap.",
    )

    def validate(self, data: dict) -> dict:
        """Manual or automated needs evidence, whether sent now or kept."""
        current: MLTestResult | None = self.context["current"]
        level = data.get("level", current.level if current else Level.NOT_DONE)
        evidence = data.get("evidence", current.evidence if current else "")
        if level != Level.NOT_DONE and not evidence.strip():
            raise serializers.ValidationError({"evidence": [EVIDENCE_REQUIRED]})
        return data


class ProductReadinessView(ApiView):
    @extend_schema(responses=ReadinessOut)
    def get(self, request: Request, slug: str) -> Response:
        """The readiness checklist, its summary and the ML Test Score."""
        product = product_get_for_user(user=request.user, slug=slug)
        return self.output(ReadinessOut, selectors.product_readiness(product))


class ProductMLTestScoreView(ApiView):
    @extend_schema(responses=MLTestScoreOut)
    def get(self, request: Request, slug: str) -> Response:
        """All 28 tests of the rubric, the section sums and the score's history."""
        product = product_get_for_user(user=request.user, slug=slug)
        found = selectors.product_ml_test_score(product)
        return self.output(MLTestScoreOut, found, slug=product.slug)


class MLTestDetailView(ApiView):
    @extend_schema(request=MLTestIn, responses=MLTestOut)
    def patch(self, request: Request, slug: str, code: str) -> Response:
        """Set one test's level, evidence or CI context."""
        product = product_get_for_user(user=request.user, slug=slug, for_edit=True)
        if code not in TESTS_BY_CODE:
            raise exceptions.NotFound("No such test.")
        current = MLTestResult.objects.filter(product=product, code=code).first()
        data = self.validated(MLTestIn, current=current)
        services.ml_test_result_set(
            product=product, code=code, actor=request_actor(request), data=data
        )
        row = selectors.ml_test_score(product).row(code)
        return self.output(MLTestOut, row, slug=product.slug)


# --- One product: read and update, its stage through the readiness gate ----------


class ReadinessGateBlocked(FieldsError):
    status_code = 409
    default_code = "readiness_gate"


def _gate_blocked(stage: str, failing: list[Item]) -> ReadinessGateBlocked:
    labels = ", ".join(item.label for item in failing)
    return ReadinessGateBlocked(
        f"Entering {Stage(stage).label} needs every readiness item to pass; "
        f'failing: {labels}. Fix them, or send "override_readiness": true to '
        "move anyway (the override is recorded).",
        fields={"stage": [f"{item.label}: {item.detail}" for item in failing]},
    )


class ProductDetailView(ApiView):
    @extend_schema(responses=ProductOut)
    def get(self, request: Request, slug: str) -> Response:
        product = product_get_for_user(user=request.user, slug=slug)
        return self.output(ProductOut, product)

    @extend_schema(
        request=ProductUpdateIn,
        responses={
            200: ProductOut,
            409: OpenApiResponse(
                ErrorSerializer,
                "Entering pilot or production with failing readiness items, "
                "without override_readiness: fields.stage lists them.",
            ),
        },
    )
    def patch(self, request: Request, slug: str) -> Response:
        """Update fields; a new `stage` is recorded in the stage timeline, and
        entering pilot or production passes the readiness gate."""
        product = product_get_for_user(user=request.user, slug=slug, for_edit=True)
        data = self.validated(ProductUpdateIn, instance=product, partial=True)
        if "team" in data and data["team"].pk != product.team_id:
            require_team(request.user, data["team"])
        override = data.pop("override_readiness", False)
        try:
            services.product_update_gated(
                product=product, actor=request.user, data=data, override=override
            )
        except services.GateBlocked as blocked:
            raise _gate_blocked(data["stage"], blocked.failing) from None
        return self.output(ProductOut, product)
