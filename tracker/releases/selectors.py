"""Reads for model versions and deployments. Objects reached by id come through
`model_version_get_for_user` (the product's rules: tracker.products.selectors);
the rest read under a product already read through its `*_get_for_user`.

The apps above read releases through here: incidents (the version serving when
an incident started, the deployments before it), postmortems (deployments as
timeline moments), pages (charts' markers), reports and readiness (each
product's production version).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import OuterRef, QuerySet, Subquery

from tracker.accounts.models import CIPrincipal, User
from tracker.lib.aggregates import in_ids
from tracker.products.models import Product
from tracker.products.selectors import _checked, readable
from tracker.releases.models import (
    Deployment,
    Environment,
    MlflowRegistry,
    ModelVersion,
)

# How far before an incident's start its page looks for deployments.
INCIDENT_LOOKBACK = timedelta(hours=24)


def model_version_get_for_user(
    *, user: User | CIPrincipal, pk: int, for_edit: bool = False
) -> ModelVersion:
    """A version by id, with its product; 404 for outsiders, 403 on `for_edit`
    for readers who may not change the product (and CI tokens of others)."""
    version = (
        ModelVersion.objects.select_related("product", "product__team", "approved_by")
        .filter(readable(user, "product"), pk=pk)
        .first()
    )
    return _checked(user, version, version and version.product, for_edit, "version")


def model_version_list(*, product: Product) -> QuerySet[ModelVersion]:
    return (
        ModelVersion.objects.filter(product=product)
        .select_related("approved_by")
        .prefetch_related("aliases")
    )


@dataclass(frozen=True)
class MetricCell:
    value: float | None
    delta: float | None

    @property
    def delta_text(self) -> str:
        """The change as people read it: "+0.013", "-2", "±0"."""
        if self.delta is None:
            return ""
        return "±0" if self.delta == 0 else f"{self.delta:+.4g}"


def versions_side_by_side(
    versions: list[ModelVersion],
) -> tuple[list[str], list[tuple[ModelVersion, list[MetricCell]]]]:
    """Metric names (sorted) and, per version (newest first), each metric's
    value and its change against the version it replaced (the one created just
    before it)."""
    names = sorted({name for v in versions for name in v.metrics})
    rows = []
    for index, version in enumerate(versions):
        before = versions[index + 1].metrics if index + 1 < len(versions) else {}
        cells = []
        for name in names:
            value, old = version.metrics.get(name), before.get(name)
            delta = value - old if value is not None and old is not None else None
            cells.append(MetricCell(value, delta))
        rows.append((version, cells))
    return names, rows


def version_previous(version: ModelVersion) -> ModelVersion | None:
    """The version this one replaced: the product's latest created before it."""
    return (
        ModelVersion.objects.filter(
            product_id=version.product_id, created_at__lt=version.created_at
        )
        .order_by("-created_at", "-id")
        .first()
    )


def deployment_list(*, product: Product) -> QuerySet[Deployment]:
    return Deployment.objects.filter(product=product).select_related(
        "version", "deployed_by"
    )


def deployments_readable(*, user: User | CIPrincipal) -> QuerySet[Deployment]:
    return Deployment.objects.filter(readable(user, "product"))


def serving_now(*, product: Product) -> list[tuple[str, Deployment | None]]:
    """Each environment with its latest deployment (None: nothing deployed), in
    one query."""
    newest = (
        Deployment.objects.filter(
            product_id=OuterRef("product_id"), environment=OuterRef("environment")
        )
        .order_by("-deployed_at", "-id")
        .values("pk")[:1]
    )
    latest = {
        d.environment: d
        for d in deployment_list(product=product).filter(pk=Subquery(newest))
    }
    return [(env.label, latest.get(env.value)) for env in Environment]


def production_version_at(*, product_id: int, at: datetime) -> ModelVersion | None:
    """The version serving in production at `at` (the latest deployed by then)."""
    deployment = (
        Deployment.objects.filter(
            product_id=product_id,
            environment=Environment.PRODUCTION,
            deployed_at__lte=at,
        )
        .select_related("version")
        .order_by("-deployed_at", "-id")
        .first()
    )
    return deployment.version if deployment else None


def production_versions_at(
    pairs: Iterable[tuple[int, int | None, datetime]],
) -> dict[int, ModelVersion]:
    """For many (key, product id, at) at once (a page of incidents): key → the
    version serving in production then. One query (none without products)."""
    wanted = [(key, product, at) for key, product, at in pairs if product]
    if not wanted:
        return {}
    history: dict[int, list[Deployment]] = {}
    rows = (
        Deployment.objects.filter(
            in_ids("product_id", {product for _, product, _ in wanted}),
            environment=Environment.PRODUCTION,
        )
        .select_related("version")
        .order_by("deployed_at", "id")
    )
    for row in rows:
        history.setdefault(row.product_id, []).append(row)
    found = {}
    for key, product, at in wanted:
        serving = [d for d in history.get(product, []) if d.deployed_at <= at]
        if serving:
            found[key] = serving[-1].version
    return found


def deployments_between(
    *, product_id: int, start: datetime, end: datetime
) -> list[Deployment]:
    """Deployments of any environment in [start, end], oldest first."""
    return list(
        Deployment.objects.filter(
            product_id=product_id, deployed_at__gte=start, deployed_at__lte=end
        )
        .select_related("version")
        .order_by("deployed_at", "id")
    )


def deployments_before(*, product_id: int, at: datetime) -> list[Deployment]:
    """The deployments in the hours before `at` (an incident's start)."""
    return deployments_between(
        product_id=product_id, start=at - INCIDENT_LOOKBACK, end=at
    )


def chart_markers(*, product_id: int) -> list[tuple[datetime, str, str]]:
    """Production deployments as markers for tracker.lib.charts: (when, label,
    "deploy" or "rollback")."""
    rows = Deployment.objects.filter(
        product_id=product_id, environment=Environment.PRODUCTION
    ).values_list("deployed_at", "version__version", "is_rollback")
    return [
        (at, f"rollback to {version}", "rollback")
        if rollback
        else (at, f"deployed {version}", "deploy")
        for at, version, rollback in rows.order_by("deployed_at")
    ]


def production_current(product_ids: Iterable[int]) -> dict[int, Deployment]:
    """Each product's latest production deployment (the portfolio report), in
    one query."""
    latest = (
        Deployment.objects.filter(
            product_id=OuterRef("product_id"), environment=Environment.PRODUCTION
        )
        .order_by("-deployed_at", "-id")
        .values("pk")[:1]
    )
    rows = (
        Deployment.objects.filter(in_ids("product_id", product_ids))
        .filter(pk=Subquery(latest))
        .select_related("version")
    )
    return {row.product_id: row for row in rows}


def products_with_production_deployment(product_ids: Iterable[int]) -> set[int]:
    return set(
        Deployment.objects.filter(
            in_ids("product_id", product_ids), environment=Environment.PRODUCTION
        ).values_list("product_id", flat=True)
    )


def mlflow_registry_for(product: Product) -> MlflowRegistry | None:
    return MlflowRegistry.objects.filter(product=product).first()
