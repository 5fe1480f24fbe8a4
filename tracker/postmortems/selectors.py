"""Reads for postmortems and action items, and who may change them.

Any signed-in user may read every postmortem, drafts included: the tracker is
an internal tool and learning is shared (the pages say so). Changing one needs
to be an author, a reviewer, its review owner, or someone who may edit its
product (team members and owners).

Other apps use the set-based selectors at the end (reminders, reports):
`action_items_due`, `action_items_overdue`, `postmortems_stuck_in_draft` and
`postmortem_completion`; docs/postmortems.md describes them.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from tracker.accounts.models import User
from tracker.incidents.models import Incident, Severity, TimelineEntry
from tracker.postmortems.blameless import People
from tracker.postmortems.models import (
    FACTOR_SECTION,
    SECTIONS,
    STATUS_ORDER,
    TRANSITIONS,
    ActionItem,
    ActionStatus,
    BlamelessWarning,
    ContributingFactor,
    MetricImpact,
    MomentKind,
    Postmortem,
    PostmortemEvent,
    Section,
    Status,
    TimelineEvent,
)
from tracker.products.models import PlanningSession, Product
from tracker.products.selectors import user_can_edit_product

# Severities whose incidents need a postmortem (reports' completion rate and
# the stuck-in-draft sweep).
SEVERE = [Severity.SEV1, Severity.SEV2]
# The text-search configuration (stemming language) of the library.
SEARCH_CONFIG = "english"


def review_business_days() -> int:
    """Business days after resolution by which a draft should be in review."""
    return getattr(settings, "POSTMORTEM_REVIEW_BUSINESS_DAYS", 5)


# --- Permissions -------------------------------------------------------------------


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
    """The postmortem `pk`, readable by any signed-in user.

    Raises Http404 when it does not exist (or for anonymous users) and
    PermissionDenied (403) when `for_edit` is asked by someone who may not
    change it.
    """
    postmortem = (
        Postmortem.objects.select_related("product__team", "review_owner")
        .prefetch_related("authors", "reviewers")
        .filter(pk=pk)
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
        .filter(pk=pk)
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
    """A planning session, for adding action items to it."""
    session = (
        PlanningSession.objects.select_related("product__team").filter(pk=pk).first()
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


def moves_for(user: User, postmortem: Postmortem) -> list[Move]:
    """The moves `user` may try from the current status (the service still
    checks the rest: reviewers present, the publish checklist)."""
    if not user_can_edit_postmortem(user, postmortem):
        return []
    moves = []
    for status in Status:
        if status not in TRANSITIONS[Status(postmortem.status)]:
            continue
        if status == Status.REVIEWED and not user_can_review(user, postmortem):
            continue
        moves.append(Move(status, _MOVE_LABELS[status], status == Status.DRAFT))
    return moves


# --- Lists ------------------------------------------------------------------------


def _count(queryset: QuerySet, column: str = "postmortem") -> Coalesce:
    """A correlated COUNT subquery: counts without multiplying joined rows."""
    return Coalesce(
        Subquery(
            queryset.order_by().values(column).annotate(n=Count("pk")).values("n"),
            output_field=IntegerField(),
        ),
        0,
    )


def postmortem_list() -> QuerySet[Postmortem]:
    """Postmortems for the list pages and the API, with what a row shows
    computed in the same query (plus one prefetch per relation)."""
    mine = {"postmortem": OuterRef("pk")}
    return (
        Postmortem.objects.select_related("product__team", "review_owner")
        .prefetch_related(
            "authors",
            "reviewers",
            Prefetch("incidents", queryset=Incident.objects.order_by("started_at")),
        )
        .annotate(
            open_actions=_count(
                ActionItem.objects.filter(**mine, status=ActionStatus.OPEN)
            ),
            open_warnings=_count(
                BlamelessWarning.objects.filter(**mine, accepted_at__isnull=True)
            ),
        )
        .order_by("-updated_at", "-id")
    )


def postmortem_api_list() -> QuerySet[Postmortem]:
    """The API's rows also carry their warnings (the `warnings` field)."""
    return postmortem_list().prefetch_related(
        Prefetch(
            "warnings",
            queryset=BlamelessWarning.objects.select_related("accepted_by"),
        )
    )


def library_list() -> QuerySet[Postmortem]:
    """Published postmortems, newest first, for the library."""
    return (
        Postmortem.objects.filter(status=Status.PUBLISHED)
        .select_related("product__team")
        .prefetch_related(
            Prefetch(
                "factors", queryset=ContributingFactor.objects.order_by("category")
            ),
            Prefetch("incidents", queryset=Incident.objects.order_by("started_at")),
        )
        .order_by("-published_at", "-id")
    )


def library_search(queryset: QuerySet[Postmortem], text: str) -> QuerySet[Postmortem]:
    """Full-text search, best match first, on PostgreSQL (stemmed and ranked,
    using the GIN-indexed search_vector); case-insensitive substring search on
    other databases."""
    text = text.strip()
    if not text:
        return queryset
    if connection.vendor == "postgresql":
        query = SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)
        return (
            queryset.filter(search_vector=query)
            .annotate(rank=SearchRank(F("search_vector"), query))
            .order_by("-rank", "-published_at", "-id")
        )
    in_text = Q(title__icontains=text)
    for section in SECTIONS:
        in_text |= Q(**{f"{section.key}__icontains": text})
    factors = ContributingFactor.objects.filter(
        postmortem=OuterRef("pk"), description__icontains=text
    )
    return queryset.filter(in_text | Exists(factors))


def postmortems_for_incident(*, incident: Incident) -> list[Postmortem]:
    return list(incident.postmortems.order_by("-updated_at"))


# --- One postmortem ---------------------------------------------------------------


@dataclass(frozen=True)
class CheckItem:
    """One line of the publish checklist: what is needed and what is missing."""

    key: str
    label: str
    ok: bool
    detail: str = ""
    anchor: str = ""


@dataclass(frozen=True)
class Durations:
    """Key moments of the timeline and the time from impact start to each."""

    started: datetime | None
    detected: datetime | None
    mitigated: datetime | None
    resolved: datetime | None

    def _since_start(self, moment: datetime | None) -> timedelta | None:
        if self.started is None or moment is None:
            return None
        return max(moment - self.started, timedelta(0))

    @property
    def time_to_detect(self) -> timedelta | None:
        return self._since_start(self.detected)

    @property
    def time_to_mitigate(self) -> timedelta | None:
        return self._since_start(self.mitigated)

    @property
    def time_to_resolve(self) -> timedelta | None:
        return self._since_start(self.resolved)


def timeline(*, postmortem: Postmortem) -> list[TimelineEvent]:
    return list(postmortem.timeline.select_related("incident").order_by("at", "id"))


def timeline_durations(
    moments: Iterable[TimelineEvent], incidents: Iterable[Incident] = ()
) -> Durations:
    """Time to detect, mitigate and resolve, from the timeline's kinds.

    Impact starts at the earliest "impact started" moment (else the earliest
    incident start); detection is the first "detected", mitigation the first
    "mitigated"; resolution is the last "resolved", and only once every covered
    incident is resolved.
    """
    moments = list(moments)
    incidents = list(incidents)

    def first(kind: str) -> datetime | None:
        return min((m.at for m in moments if m.kind == kind), default=None)

    started = first(MomentKind.STARTED) or min(
        (i.started_at for i in incidents), default=None
    )
    detected = first(MomentKind.DETECTED) or min(
        (i.detected_at for i in incidents), default=None
    )
    resolved = max(
        (m.at for m in moments if m.kind == MomentKind.RESOLVED), default=None
    )
    if any(i.resolved_at is None for i in incidents):
        resolved = None
    return Durations(started, detected, first(MomentKind.MITIGATED), resolved)


def warnings_for(*, postmortem: Postmortem) -> list[BlamelessWarning]:
    return list(
        postmortem.warnings.select_related("accepted_by", "factor").order_by(
            "section", "factor_id", "offset"
        )
    )


def action_items_of(*, postmortem: Postmortem) -> list[ActionItem]:
    return list(
        postmortem.action_items.select_related("owner").order_by(
            "status", F("due_date").asc(nulls_last=True), "id"
        )
    )


def publish_checklist(
    postmortem: Postmortem,
    *,
    incidents: list[Incident],
    warnings: list[BlamelessWarning],
    action_items: list[ActionItem],
) -> list[CheckItem]:
    """What publishing needs, each with what is missing (the publish gate)."""
    missing = postmortem.missing_sections
    open_warnings = [w for w in warnings if not w.is_accepted]
    undated = [
        a for a in action_items if a.is_open and (a.owner_id is None or not a.due_date)
    ]
    reviewed = postmortem.status in (Status.REVIEWED, Status.PUBLISHED)
    return [
        CheckItem(
            "incidents",
            "Covers at least one incident",
            bool(incidents),
            "" if incidents else "Attach the incident this postmortem is about.",
            "details",
        ),
        CheckItem(
            "sections",
            "Every section written or marked not applicable",
            not missing,
            "Missing: " + ", ".join(s.title for s in missing) if missing else "",
            "write-up",
        ),
        CheckItem(
            "actions",
            "Action items recorded, or “no action items” stated",
            bool(action_items) or postmortem.no_action_items,
            ""
            if action_items or postmortem.no_action_items
            else "Add what will prevent, detect or mitigate a repeat.",
            "actions",
        ),
        CheckItem(
            "owned",
            "Every open action item has an owner and a due date",
            not undated,
            f"{len(undated)} without an owner or a due date" if undated else "",
            "actions",
        ),
        CheckItem(
            "blameless",
            "Blameless check: every warning fixed or accepted by a reviewer",
            not open_warnings,
            f"{len(open_warnings)} open warning{'s' if len(open_warnings) != 1 else ''}"
            if open_warnings
            else "",
            "warnings",
        ),
        CheckItem(
            "reviewed",
            "Reviewed by a reviewer",
            reviewed,
            "" if reviewed else "Submit it for review; a reviewer marks it reviewed.",
            "workflow",
        ),
    ]


def publish_blockers(postmortem: Postmortem) -> list[CheckItem]:
    """The unmet publish conditions, read fresh (services.postmortem_transition)."""
    checklist = publish_checklist(
        postmortem,
        incidents=list(postmortem.incidents.all()),
        warnings=list(postmortem.warnings.all()),
        action_items=list(postmortem.action_items.all()),
    )
    return [item for item in checklist if not item.ok and item.key != "reviewed"]


def add_business_days(moment: datetime, days: int) -> datetime:
    """`moment` moved forward by `days` working days (Monday to Friday) in the
    tracker's time zone. A moment on a weekend counts from Monday 00:00."""
    local = timezone.localtime(moment)
    while local.weekday() >= 5:
        local = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0)
        local = local.replace(microsecond=0)
    while days > 0:
        local += timedelta(days=1)
        if local.weekday() < 5:
            days -= 1
    return local


def _resolved_cutoff(now: datetime, days: int) -> datetime:
    """The latest resolution time whose deadline (add_business_days) has passed:
    resolved < cutoff ⇔ add_business_days(resolved, days) < now."""
    local = timezone.localtime(now)
    if local.weekday() >= 5:  # on a weekend: deadlines fall on weekdays only
        local = (local - timedelta(days=local.weekday() - 5)).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
    while days > 0:
        local -= timedelta(days=1)
        if local.weekday() < 5:
            days -= 1
    if local.weekday() == 0 and local.time() == time(0):
        # The weekend before shares Monday 00:00's deadline, which is not late.
        local -= timedelta(days=2)
    return local


def review_due(postmortem: Postmortem, incidents: list[Incident]) -> date | None:
    """The date a draft should be in review by (shown on its page)."""
    if postmortem.review_deadline:
        return postmortem.review_deadline
    resolved = [i.resolved_at for i in incidents]
    if not resolved or None in resolved:
        return None
    return add_business_days(max(resolved), review_business_days()).date()


@dataclass(frozen=True)
class SectionView:
    """A section as a page shows it, with the warnings raised in it."""

    section: Section
    text: str
    not_applicable: bool
    warnings: list[BlamelessWarning]


@dataclass
class PostmortemPage:
    """Everything the postmortem pages show, read in a fixed number of queries."""

    postmortem: Postmortem
    incidents: list[Incident]
    timeline: list[TimelineEvent]
    durations: Durations
    factors: list[ContributingFactor]
    impacts: list[MetricImpact]
    action_items: list[ActionItem]
    warnings: list[BlamelessWarning]
    events: list[PostmortemEvent]
    checklist: list[CheckItem]
    review_due: date | None
    today: date
    warnings_by_section: dict[str, list[BlamelessWarning]] = field(default_factory=dict)

    @property
    def open_warnings(self) -> list[BlamelessWarning]:
        return [w for w in self.warnings if not w.is_accepted]

    @property
    def ready_to_publish(self) -> bool:
        return all(item.ok for item in self.checklist)

    @property
    def starred(self) -> list[TimelineEvent]:
        return [m for m in self.timeline if m.starred]

    @property
    def sections(self) -> list[SectionView]:
        return [
            SectionView(
                s,
                getattr(self.postmortem, s.key),
                getattr(self.postmortem, s.na_field),
                self.warnings_by_section.get(s.key, []),
            )
            for s in SECTIONS
        ]

    @property
    def factor_warnings(self) -> dict[int, list[BlamelessWarning]]:
        by_factor: dict[int, list[BlamelessWarning]] = {}
        for warning in self.warnings_by_section.get(FACTOR_SECTION, []):
            by_factor.setdefault(warning.factor_id, []).append(warning)
        return by_factor

    @property
    def steps(self) -> list[tuple[str, str]]:
        """The workflow as a stepper: (label, "done" | "current" | "")."""
        current = STATUS_ORDER.index(self.postmortem.status)
        if self.postmortem.is_published:  # the last step is done, not pending
            return [(label, "done") for _, label in Status.choices]
        return [
            (label, "current" if i == current else "done" if i < current else "")
            for i, (_, label) in enumerate(Status.choices)
        ]


def postmortem_page(*, postmortem: Postmortem, now: datetime) -> PostmortemPage:
    incidents = list(postmortem.incidents.order_by("started_at"))
    moments = timeline(postmortem=postmortem)
    warnings = warnings_for(postmortem=postmortem)
    items = action_items_of(postmortem=postmortem)
    by_section: dict[str, list[BlamelessWarning]] = {}
    for warning in warnings:
        by_section.setdefault(warning.section, []).append(warning)
    return PostmortemPage(
        postmortem=postmortem,
        incidents=incidents,
        timeline=moments,
        durations=timeline_durations(moments, incidents),
        factors=list(postmortem.factors.order_by("id")),
        impacts=list(postmortem.metric_impacts.select_related("metric")),
        action_items=items,
        warnings=warnings,
        events=list(postmortem.events.select_related("actor").order_by("at", "id")),
        checklist=publish_checklist(
            postmortem, incidents=incidents, warnings=warnings, action_items=items
        ),
        review_due=review_due(postmortem, incidents),
        today=timezone.localdate(now),
        warnings_by_section=by_section,
    )


def incident_timeline_entries(*, incidents: list[Incident]) -> QuerySet:
    """The covered incidents' timeline rows, for prefilling (one query)."""
    return (
        TimelineEntry.objects.filter(incident__in=incidents)
        .select_related("actor", "incident")
        .order_by("at", "id")
    )


# --- Action items -----------------------------------------------------------------


def _action_items() -> QuerySet[ActionItem]:
    return ActionItem.objects.select_related(
        "owner", "postmortem__product", "session__product"
    )


def _open_first(queryset: QuerySet[ActionItem]) -> QuerySet[ActionItem]:
    return queryset.order_by(F("due_date").asc(nulls_last=True), "priority", "id")


def action_item_list() -> QuerySet[ActionItem]:
    """Action items for the API list."""
    return _action_items().order_by("status", F("due_date").asc(nulls_last=True), "id")


def action_items_due(*, now: datetime, within_days: int) -> QuerySet[ActionItem]:
    """Open items due from today to `within_days` days ahead (not yet overdue):
    one query, for reminders."""
    today = timezone.localdate(now)
    return _open_first(
        _action_items().filter(
            status=ActionStatus.OPEN,
            due_date__gte=today,
            due_date__lte=today + timedelta(days=within_days),
        )
    )


def action_items_overdue(*, now: datetime) -> QuerySet[ActionItem]:
    """Open items whose due date has passed: one query, for reminders."""
    return _open_first(
        _action_items().filter(
            status=ActionStatus.OPEN, due_date__lt=timezone.localdate(now)
        )
    )


@dataclass(frozen=True)
class ActionSummary:
    """A product's or a person's open action items, overdue ones first."""

    items: list[ActionItem]
    open_count: int
    overdue_count: int
    today: date

    @property
    def overdue(self) -> list[ActionItem]:
        return [a for a in self.items if a.is_overdue(self.today)]

    @property
    def upcoming(self) -> list[ActionItem]:
        return [a for a in self.items if not a.is_overdue(self.today)]


def _summary(queryset: QuerySet[ActionItem], now: datetime, limit: int | None):
    today = timezone.localdate(now)
    open_items = queryset.filter(status=ActionStatus.OPEN)
    counts = open_items.aggregate(
        total=Count("pk"), overdue=Count("pk", filter=Q(due_date__lt=today))
    )
    items = list(_open_first(open_items)[:limit] if limit else _open_first(open_items))
    return ActionSummary(items, counts["total"], counts["overdue"], today)


def product_action_items(
    *, product: Product, now: datetime, limit: int = 5
) -> ActionSummary:
    """The product page's card: open items from its postmortems and planning
    sessions, overdue first (two queries)."""
    queryset = _action_items().filter(
        Q(postmortem__product=product) | Q(session__product=product)
    )
    return _summary(queryset, now, limit)


def action_items_for_person(*, person: User, now: datetime) -> ActionSummary:
    """A person's open action items, overdue first (two queries)."""
    return _summary(_action_items().filter(owner=person), now, None)


def person_reviews(*, person: User) -> QuerySet[Postmortem]:
    """Postmortems waiting for `person`: drafts they write, reviews they do."""
    return (
        Postmortem.objects.filter(
            Q(status=Status.DRAFT, authors=person)
            | Q(status=Status.IN_REVIEW, reviewers=person)
            | Q(status__in=[Status.DRAFT, Status.IN_REVIEW], review_owner=person)
        )
        .select_related("product")
        .distinct()
        .order_by("-updated_at")
    )


def person_get(*, username: str) -> User:
    if "\x00" in username:  # PostgreSQL refuses NUL in text
        raise Http404("No such person.")
    person = User.objects.filter(username=username, is_active=True).first()
    if person is None:
        raise Http404("No such person.")
    return person


def session_action_items(*, session: PlanningSession) -> list[ActionItem]:
    return list(
        session.action_items.select_related("owner").order_by(
            "status", F("due_date").asc(nulls_last=True), "id"
        )
    )


# --- For reminders and reports ----------------------------------------------------


def postmortems_stuck_in_draft(*, now: datetime) -> QuerySet[Postmortem]:
    """Drafts past their review deadline, for SEV1–2 incidents: one query.

    The deadline is the postmortem's `review_deadline` when set, else
    POSTMORTEM_REVIEW_BUSINESS_DAYS (default 5) business days after the last
    covered incident was resolved; a draft whose incidents are not all resolved
    has no deadline yet. Rows carry `latest_resolved_at`.
    """
    covered = Incident.objects.filter(postmortems=OuterRef("pk"))
    latest = (
        covered.order_by()
        .values("postmortems")
        .annotate(latest=Max("resolved_at"))
        .values("latest")
    )
    cutoff = _resolved_cutoff(now, review_business_days())
    explicit = Q(review_deadline__isnull=False) & Q(
        review_deadline__lt=timezone.localdate(now)
    )
    default = (
        Q(review_deadline__isnull=True)
        & Q(latest_resolved_at__lt=cutoff)
        & ~Exists(covered.filter(resolved_at__isnull=True))
    )
    return (
        Postmortem.objects.filter(status=Status.DRAFT)
        .filter(Exists(covered.filter(severity__in=SEVERE)))
        .annotate(latest_resolved_at=Subquery(latest))
        .filter(explicit | default)
        .select_related("product", "review_owner")
        .order_by("latest_resolved_at", "id")
    )


@dataclass(frozen=True)
class Completion:
    """SEV1–2 incidents of a product in a period, and how many of them a
    published postmortem covers."""

    total: int
    covered: int

    @property
    def ratio(self) -> float | None:
        return self.covered / self.total if self.total else None


def postmortem_completion(
    product_ids: Iterable[int], start: datetime, end: datetime
) -> dict[int, Completion]:
    """Per product: the share of its SEV1–2 incidents that started in
    [start, end) with a published postmortem. Every requested product is in the
    result (total 0 when it had none). One query whatever the number of
    products."""
    ids = list(product_ids)
    published = Postmortem.objects.filter(
        incidents=OuterRef("pk"), status=Status.PUBLISHED
    )
    rows = (
        Incident.objects.filter(
            product_id__in=ids,
            severity__in=SEVERE,
            started_at__gte=start,
            started_at__lt=end,
        )
        .annotate(is_covered=Exists(published))
        .values("product_id")
        .annotate(
            total=Count("pk"),
            covered=Count("pk", filter=Q(is_covered=True)),
        )
        .order_by()
    )
    result = {pk: Completion(0, 0) for pk in ids}
    for row in rows:
        result[row["product_id"]] = Completion(row["total"], row["covered"])
    return result
