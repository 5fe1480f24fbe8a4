"""Who may read and change postmortems and action items, and the objects
users reach by id (`*_get_for_user`: 404 when missing, 403 for edits by
someone who may not make them)."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import (
    Q,
    QuerySet,
)
from django.http import Http404

from tracker.accounts.models import User
from tracker.postmortems.blameless import People
from tracker.postmortems.models import (
    TRANSITIONS,
    ActionItem,
    Postmortem,
    Status,
)
from tracker.products.models import PlanningSession, Product
from tracker.products.selectors import (
    product_readable_q,
    readable,
    user_can_edit_product,
)


def _people_ids(postmortem: Postmortem, relation: str) -> set[int]:
    """Ids of authors or reviewers, from a prefetch when there is one."""
    cache = getattr(postmortem, "_prefetched_objects_cache", {})
    if relation in cache:
        return {user.pk for user in cache[relation]}
    return set(getattr(postmortem, relation).values_list("pk", flat=True))


def user_can_edit_postmortem(user: User, postmortem: Postmortem) -> bool:
    """Authors, reviewers, the review owner, and whoever may edit the product."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser or postmortem.review_owner_id == user.pk:
        return True
    if user.pk in _people_ids(postmortem, "authors"):
        return True
    if user.pk in _people_ids(postmortem, "reviewers"):
        return True
    return user_can_edit_product(user, postmortem.product)


def user_can_review(user: User, postmortem: Postmortem) -> bool:
    """Reviewers mark a postmortem reviewed and accept blameless warnings."""
    return user.is_authenticated and user.pk in _people_ids(postmortem, "reviewers")


def postmortem_get_for_user(
    *, user: User, pk: int, for_edit: bool = False
) -> Postmortem:
    """The postmortem `pk`, if `user` may read its product.

    Raises Http404 when it does not exist or `user` may not read it (or for
    anonymous users) and PermissionDenied (403) when `for_edit` is asked by
    someone who may read but not change it.
    """
    postmortem = (
        Postmortem.objects.select_related("product__team", "review_owner")
        .prefetch_related("authors", "reviewers")
        .filter(product_readable_q(user, "product__"), pk=pk)
        .first()
    )
    if postmortem is None or not user.is_authenticated:
        raise Http404("No such postmortem.")
    if for_edit and not user_can_edit_postmortem(user, postmortem):
        raise PermissionDenied(
            "Only its authors, reviewers and the product's team can change this "
            "postmortem."
        )
    return postmortem


def user_can_edit_action_item(user: User, item: ActionItem) -> bool:
    """Its owner, and whoever may edit where it came from."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser or item.owner_id == user.pk:
        return True
    if item.postmortem_id:
        return user_can_edit_postmortem(user, item.postmortem)
    return user_can_edit_product(user, item.session.product)


def action_item_get_for_user(
    *, user: User, pk: int, for_edit: bool = False
) -> ActionItem:
    item = (
        ActionItem.objects.select_related(
            "owner", "postmortem__product", "session__product"
        )
        .filter(readable(user, "postmortem__product", "session__product"), pk=pk)
        .first()
    )
    if item is None or not user.is_authenticated:
        raise Http404("No such action item.")
    if for_edit and not user_can_edit_action_item(user, item):
        raise PermissionDenied(
            "Only its owner and the people who may edit its postmortem or "
            "planning session can change this action item."
        )
    return item


def session_get_for_user(*, user: User, pk: int, for_edit: bool = False):
    """A planning session of a product `user` may read, for adding action items
    to it."""
    session = (
        PlanningSession.objects.select_related("product__team")
        .filter(readable(user, "product"), pk=pk)
        .first()
    )
    if session is None or not user.is_authenticated:
        raise Http404("No such planning session.")
    if for_edit and not user_can_edit_product(user, session.product):
        raise PermissionDenied("Only the product's team and owners can do this.")
    return session


def people_index() -> People:
    """Every active person's names, for the blameless check (one query)."""
    return People.from_rows(
        User.objects.filter(is_active=True).values_list(
            "first_name", "last_name", "username"
        )
    )


def people_choices() -> QuerySet[User]:
    return User.objects.filter(is_active=True).order_by("username")


def products_for_postmortems(user: User) -> QuerySet[Product]:
    """Products `user` may write postmortems for (same rule as editing them)."""
    products = Product.objects.select_related("team").order_by("name")
    if user.is_superuser:
        return products
    return products.filter(
        Q(team__members=user) | Q(pm_owner=user) | Q(ml_owner=user) | Q(eng_owner=user)
    ).distinct()


@dataclass(frozen=True)
class Move:
    """A status move offered on the page."""

    status: str
    label: str
    needs_reason: bool = False


_MOVE_LABELS = {
    Status.IN_REVIEW: "Submit for review",
    Status.REVIEWED: "Mark reviewed",
    Status.PUBLISHED: "Publish",
    Status.DRAFT: "Back to draft…",
}


def moves_for(
    postmortem: Postmortem, *, can_edit: bool, can_review: bool
) -> list[Move]:
    """The moves someone may try from the current status, given whether they
    may edit the postmortem and review it (user_can_edit_postmortem,
    user_can_review: the page asks both already); the service still checks
    the rest: reviewers present, the publish checklist."""
    if not can_edit:
        return []
    moves = []
    for status in Status:
        if status not in TRANSITIONS[Status(postmortem.status)]:
            continue
        if status == Status.REVIEWED and not can_review:
            continue
        label = _MOVE_LABELS[status]
        if postmortem.status == Status.PUBLISHED:
            label = "Reopen…"  # the only way to change a published one
        moves.append(Move(status, label, status == Status.DRAFT))
    return moves
