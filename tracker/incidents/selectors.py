"""Reads for incidents and alert integrations, and who may change them.

Incidents follow their product: whoever may read it reads them (a private team's
are 404 to everyone else, tracker.products.selectors); untriaged ones, on no
product yet, are read by every signed-in person. Changing an incident needs the
right to edit its product (tracker.products.selectors.user_can_edit_product); an
untriaged incident belongs to no product yet, so any team member may work on it,
and assigning it a product needs the right to edit that product.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from tracker.accounts.models import Membership, User
from tracker.accounts.selectors import Reader
from tracker.incidents.models import (
    ACTIVE_STATUSES,
    STATUS_RANK,
    AlertDelivery,
    AlertIntegration,
    Incident,
    TimelineEntry,
)
from tracker.products.models import Product
from tracker.products.selectors import readable, user_can_edit_product
from tracker.releases.selectors import deployments_before, production_versions_at


def user_can_triage(user: User) -> bool:
    """Members of any team (and superusers) work the untriaged inbox."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or Membership.objects.filter(user=user).exists()


def user_can_edit_incident(user: User, incident: Incident) -> bool:
    if incident.product_id is None:
        return user_can_triage(user)
    return user_can_edit_product(user, incident.product)


def user_can_assign(user: User, product: Product) -> bool:
    """May `user` put an incident on `product` (triage or reassign)?"""
    return user_can_edit_product(user, product)


def products_assignable(user: User) -> QuerySet[Product]:
    """Products `user` may assign incidents to: the same rule as
    user_can_edit_product, as one query for form choices."""
    products = Product.objects.select_related("team").order_by("name")
    if user.is_superuser:
        return products
    return products.filter(
        Q(team__members=user) | Q(pm_owner=user) | Q(ml_owner=user) | Q(eng_owner=user)
    ).distinct()


def products_assignable_by_slug(user: User, slugs) -> dict[str, Product]:
    """Of the products named by `slugs` (alerts' labels), those `user` may assign
    incidents to, by slug: one query."""
    wanted = {s for s in slugs if isinstance(s, str) and s and "\x00" not in s}
    if not wanted:
        return {}
    return {p.slug: p for p in products_assignable(user).filter(slug__in=wanted)}


def incident_get_for_user(*, user: User, pk: int, for_edit: bool = False) -> Incident:
    """The incident `pk`, if `user` may read it.

    Raises Http404 when it does not exist or `user` may not read it (or for
    anonymous users) and PermissionDenied (403) when `for_edit` is asked by
    someone who may read but not change it.
    """
    incident = (
        Incident.objects.select_related(
            "product__team", "integration", "sla__product", "created_by"
        )
        .filter(readable(user, "product", unassigned=True), pk=pk)
        .first()
    )
    if incident is None or not user.is_authenticated:
        raise Http404("No such incident.")
    if for_edit and not user_can_edit_incident(user, incident):
        raise PermissionDenied(
            "Only the product's team and owners can change this incident."
        )
    return incident


# What the list page and the API show of an incident: the incident whole, and
# the names of its product, team and integration (not their every column).
_LISTED = (
    *(field.name for field in Incident._meta.concrete_fields),
    "product__name",
    "product__slug",
    "product__team__name",
    "product__team__slug",
    "integration__name",
)


def incident_list(*, user: Reader) -> QuerySet[Incident]:
    """The incidents `user` may read, for the list page and API, with what they
    show in one query."""
    return (
        Incident.objects.select_related("product__team", "integration")
        .only(*_LISTED)
        .filter(readable(user, "product", unassigned=True))
        .annotate(status_rank=STATUS_RANK)
        .order_by("status_rank", "severity", "-started_at", "-id")
    )


def incident_inbox(*, user: Reader) -> QuerySet[Incident]:
    """Incidents no product has claimed yet, unresolved first."""
    return incident_list(user=user).filter(product__isnull=True)


def incident_inbox_count() -> int:
    return Incident.objects.filter(
        product__isnull=True, status__in=ACTIVE_STATUSES
    ).count()


def product_open_incidents(*, product: Product) -> list[Incident]:
    """The product's unresolved incidents, for its page."""
    return list(
        product.incidents.filter(status__in=ACTIVE_STATUSES)
        .annotate(status_rank=STATUS_RANK)
        .order_by("status_rank", "severity", "-started_at")
    )


def incident_timeline(*, incident: Incident) -> QuerySet[TimelineEntry]:
    return incident.timeline.select_related("actor").order_by("at", "id")


# --- Integrations -----------------------------------------------------------------


def user_can_manage_integration(user: User, integration: AlertIntegration) -> bool:
    """Its creator, whoever may edit its default product, and superusers."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser or integration.created_by_id == user.pk:
        return True
    return integration.product_id is not None and user_can_edit_product(
        user, integration.product
    )


def integration_list(*, user: Reader) -> QuerySet[AlertIntegration]:
    """Active integrations: shared ones (no default product) and those whose
    default product `user` may read."""
    return (
        AlertIntegration.objects.filter(revoked_at__isnull=True)
        .filter(readable(user, "product", unassigned=True))
        .select_related("product", "created_by")
    )


def integration_get_for_user(
    *, user: User, pk: int, for_edit: bool = False
) -> AlertIntegration:
    """An active integration; 404 if unknown, revoked or of a product `user`
    may not read, 403 for edits by someone who may not manage it."""
    integration = integration_list(user=user).filter(pk=pk).first()
    if integration is None or not user.is_authenticated:
        raise Http404("No such integration.")
    if for_edit and not user_can_manage_integration(user, integration):
        raise PermissionDenied(
            "Only its creator and the product's team can change this integration."
        )
    return integration


def integration_for_delivery(*, pk: int) -> AlertIntegration | None:
    """The receiver's lookup: the active integration (its default product is
    the ingesting task's business, not the receiver's). `get`, not `first`:
    by primary key there is nothing to order, and compiling an ORDER BY was a
    quarter of the lookup's cost."""
    try:
        return AlertIntegration.objects.get(pk=pk, revoked_at__isnull=True)
    except AlertIntegration.DoesNotExist:
        return None


def delivery_list(*, integration: AlertIntegration) -> QuerySet[AlertDelivery]:
    return integration.deliveries.order_by("-received_at", "-id")


def incidents_with_versions(incidents: list[Incident]) -> list[Incident]:
    """Each incident with `serving_version`: the model version serving in
    production when it started (tracker.releases), None without one."""
    versions = production_versions_at(
        (incident.pk, incident.product_id, incident.started_at)
        for incident in incidents
    )
    for incident in incidents:
        incident.serving_version = versions.get(incident.pk)
    return incidents


def incident_deployments_before(*, incident: Incident) -> list:
    """The product's deployments in the hours before the incident started."""
    if incident.product_id is None:
        return []
    return deployments_before(product_id=incident.product_id, at=incident.started_at)
