"""API views for model versions and deployments (docs/api.md, "Model releases").

A product's CI token may create versions and record deployments of its own
product (403 for any other); people follow the product's rules.
"""

from typing import Any

from django.db import transaction
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from tracker.accounts.api_auth import request_actor, username_field
from tracker.ci.api import MetricsField
from tracker.ci.models import validate_metrics
from tracker.lib.api import ApiView, HtmlUrlField, StrictInputMixin
from tracker.products.selectors import product_get_for_user
from tracker.releases import selectors, services
from tracker.releases.models import Alias, Deployment, Environment, ModelVersion


class ModelVersionIn(StrictInputMixin, serializers.ModelSerializer):
    metrics = MetricsField(required=False, validators=[validate_metrics])
    approved_by = username_field(required=False, allow_null=True)

    class Meta:
        model = ModelVersion
        fields = ["version", *services.VERSION_FIELDS, "approved_at"]
        # Uniqueness is the database's (a duplicate is a 409).
        validators: list[Any] = []


class ModelVersionPatch(ModelVersionIn):
    aliases = serializers.ListField(
        child=serializers.ChoiceField(choices=Alias.choices),
        required=False,
        max_length=len(Alias),
        help_text="Exactly the aliases naming this version: one on another "
        "version of the product moves here, one left out is removed.",
    )

    class Meta(ModelVersionIn.Meta):
        fields = [*services.VERSION_FIELDS, "approved_at", "aliases"]


class ModelVersionOut(serializers.ModelSerializer):
    product = serializers.CharField(source="product.slug")
    metrics = MetricsField(read_only=True)
    approved_by = username_field(read_only=True)
    aliases = serializers.SerializerMethodField()
    html_url = HtmlUrlField()

    class Meta:
        model = ModelVersion
        fields = [
            "id",
            "product",
            "version",
            *services.VERSION_FIELDS,
            "approved_at",
            "aliases",
            "deleted_in_registry_at",
            "created_at",
            "html_url",
        ]

    def get_aliases(self, version: ModelVersion) -> list[str]:
        return sorted(alias.alias for alias in version.aliases.all())


class VersionOfProductField(serializers.SlugRelatedField):
    """A version of the product in the URL, by its `version` string."""

    default_error_messages = {
        "does_not_exist": "This product has no version {value}.",
        "invalid": "Give the version as a string.",
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(slug_field="version", **kwargs)

    def get_queryset(self):
        return ModelVersion.objects.filter(product=self.context["product"])

    def to_internal_value(self, data: Any) -> ModelVersion:
        if not isinstance(data, str) or "\x00" in data:
            self.fail("invalid")
        return super().to_internal_value(data)


class DeploymentIn(StrictInputMixin, serializers.ModelSerializer):
    version = VersionOfProductField()
    deployed_at = serializers.DateTimeField(required=False)

    class Meta:
        model = Deployment
        fields = ["version", "environment", *services.DEPLOYMENT_FIELDS]


class DeploymentOut(serializers.ModelSerializer):
    version = serializers.CharField(source="version.version")
    version_id = serializers.IntegerField()
    deployed_by = username_field(read_only=True)
    html_url = HtmlUrlField()

    class Meta:
        model = Deployment
        fields = [
            "id",
            "version",
            "version_id",
            "environment",
            "traffic_percent",
            "deployed_at",
            "deployed_by",
            "run_url",
            "notes",
            "is_rollback",
            "replaced",
            "html_url",
        ]
        read_only_fields = fields


class ProductModelVersionsView(ApiView):
    """GET: the product's versions, newest first. POST: register a version
    (a product's CI token may, for its own product)."""

    queryset = ModelVersion.objects.none()
    ci_token_methods = {"POST"}

    @extend_schema(responses=ModelVersionOut(many=True))
    def get(self, request: Request, slug: str) -> Response:
        product = product_get_for_user(user=request.user, slug=slug)
        return self.paginated(
            ModelVersionOut, selectors.model_version_list(product=product)
        )

    @extend_schema(
        request=ModelVersionIn,
        responses={
            201: ModelVersionOut,
            409: OpenApiResponse(description="The product has this version already."),
        },
    )
    def post(self, request: Request, slug: str) -> Response:
        product = product_get_for_user(user=request.user, slug=slug, for_edit=True)
        data = self.validated(ModelVersionIn)
        version = services.model_version_create(
            product=product,
            version=data.pop("version"),
            data=data,
            actor=request_actor(request),
        )
        return self.output(ModelVersionOut, version, status=201)


class ModelVersionDetailView(ApiView):
    """GET: one version. PATCH: change its record (not its version string)."""

    ci_token_methods = {"GET", "PATCH"}

    @extend_schema(responses=ModelVersionOut)
    def get(self, request: Request, pk: int) -> Response:
        version = selectors.model_version_get_for_user(user=request.user, pk=pk)
        return self.output(ModelVersionOut, version)

    @extend_schema(request=ModelVersionPatch, responses=ModelVersionOut)
    def patch(self, request: Request, pk: int) -> Response:
        version = selectors.model_version_get_for_user(
            user=request.user, pk=pk, for_edit=True
        )
        data = self.validated(ModelVersionPatch, instance=version, partial=True)
        aliases = data.pop("aliases", None)
        with transaction.atomic():
            services.model_version_update(
                version=version, data=data, actor=request_actor(request)
            )
            if aliases is not None:
                services.model_version_aliases_set(version=version, aliases=aliases)
        return self.output(ModelVersionOut, version)


class ProductDeploymentsView(ApiView):
    """GET: the product's deployments, newest first (`environment` filters).
    POST: record one; `is_rollback` is derived (a version older than the one it
    replaces in that environment)."""

    queryset = Deployment.objects.none()
    ci_token_methods = {"POST"}

    @extend_schema(responses=DeploymentOut(many=True))
    def get(self, request: Request, slug: str) -> Response:
        product = product_get_for_user(user=request.user, slug=slug)
        deployments = selectors.deployment_list(product=product)
        environment = request.query_params.get("environment")
        if environment in Environment.values:
            deployments = deployments.filter(environment=environment)
        return self.paginated(DeploymentOut, deployments)

    @extend_schema(request=DeploymentIn, responses={201: DeploymentOut})
    def post(self, request: Request, slug: str) -> Response:
        product = product_get_for_user(user=request.user, slug=slug, for_edit=True)
        data = self.validated(DeploymentIn, product=product)
        deployment = services.deployment_record(
            product=product,
            version=data.pop("version"),
            environment=data.pop("environment", Environment.PRODUCTION),
            data=data,
            actor=request_actor(request),
        )
        return self.output(DeploymentOut, deployment, status=201)
