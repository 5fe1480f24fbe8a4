"""The reminder rules of postmortems: action items due soon and overdue, and
postmortem drafts past their review deadline.

Each finder returns one page of due subjects in one query, built on the
set-based selectors (`action_items_due`, `action_items_overdue`,
`postmortems_stuck_in_draft`) with NOT EXISTS anti-joins against the reminders
already recorded; none issues a query per row. Items and postmortems of retired
products are not chased. See tracker/reminders/registry.py for the contract.
"""

from datetime import date, datetime, time

from django.conf import settings
from django.db.models import (
    Case,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator

from tracker.incidents.models import Incident
from tracker.postmortems.models import ActionItem, ActionStatus, Postmortem, Status
from tracker.postmortems.selectors.action_items import (
    action_items_due,
    action_items_overdue,
)
from tracker.postmortems.selectors.deadlines import (
    add_business_days,
    review_business_days,
)
from tracker.postmortems.selectors.policies import violations
from tracker.postmortems.selectors.reports import SEVERE, postmortems_stuck_in_draft
from tracker.products.models import Stage
from tracker.reminders.models import Reminder
from tracker.reminders.registry import (
    OCCURRENCE,
    SUBJECT_ID,
    Due,
    not_reminded,
    recipients,
    rule,
)

ACTION_ITEM, POSTMORTEM = "action_item", "postmortem"
DUE_SOON, OVERDUE = "action_item_due_soon", "action_item_overdue"
# The reminder's occurrence as a typed expression, for date functions.
OCCURRENCE_AT = ExpressionWrapper(OCCURRENCE, output_field=DateTimeField())


def due_soon_days() -> int:
    return settings.REMINDERS_ACTION_ITEM_DUE_SOON_DAYS


# Due dates are days in the tracker's time zone (the selectors' "today"); as an
# occurrence a due date becomes the start of that day (due soon) or its end
# (overdue): two instants, so the two reminders of one due date do not collide
# on the `reminder_once` constraint. `occurrence__date` maps both back to it.


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _day_end(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.max))


# --- Action items -------------------------------------------------------------------


def _running(items: QuerySet[ActionItem]) -> QuerySet[ActionItem]:
    """Items of products not retired, with their product and the person who
    chases them when overdue: the postmortem's review owner, else the product's
    PM owner (always, for items from planning sessions)."""
    return items.annotate(
        product_id=Coalesce("postmortem__product_id", "session__product_id"),
        product_name=Coalesce("postmortem__product__name", "session__product__name"),
        product_slug=Coalesce("postmortem__product__slug", "session__product__slug"),
        product_stage=Coalesce("postmortem__product__stage", "session__product__stage"),
        chaser=Coalesce(
            "postmortem__review_owner_id",
            "postmortem__product__pm_owner_id",
            "session__product__pm_owner_id",
        ),
    ).exclude(product_stage=Stage.RETIRED)


def action_item_current() -> Exists:
    """Still due while the item is open with the due date the reminder was for:
    closing it (done or won't do) or moving its date ends the occurrence."""
    return Exists(
        _running(
            ActionItem.objects.filter(
                pk=SUBJECT_ID,
                status=ActionStatus.OPEN,
                due_date=TruncDate(OCCURRENCE_AT),
            )
        )
    )


def _action_title(description: str, product: str) -> str:
    return f"{Truncator(' '.join(description.split())).chars(80)} · {product}"


def _action_url(pk: int, postmortem: int | None, session: int | None, slug: str) -> str:
    """The row of the item on its postmortem's or planning session's page, where
    it is closed (as ActionItem.get_absolute_url, without loading the item)."""
    if postmortem:
        page = reverse("postmortems:detail", args=[postmortem])
    else:
        page = reverse("products:session_detail", args=[slug, session])
    return f"{page}#action-{pk}"


# What every action-item finder reads for a Due, beside its own columns.
ACTION_COLUMNS = [
    "pk",
    "due_date",
    "description",
    "product_id",
    "product_name",
    "product_slug",
    "postmortem_id",
    "session_id",
]


def _action_due(
    row: dict, occurrence: datetime, people: tuple[tuple[int, bool], ...]
) -> Due:
    return Due(
        subject_id=row["pk"],
        occurrence=occurrence,
        recipients=people,
        title=_action_title(row["description"], row["product_name"]),
        url=_action_url(
            row["pk"], row["postmortem_id"], row["session_id"], row["product_slug"]
        ),
        product_id=row["product_id"],
    )


@rule(
    name=DUE_SOON,
    subject_type=ACTION_ITEM,
    label="Action item due soon",
    current=action_item_current,
)
def action_items_due_soon(*, now: datetime, after: int, limit: int) -> list[Due]:
    """Open items due today or in the next REMINDERS_ACTION_ITEM_DUE_SOON_DAYS
    days: their owner (the chaser when the item has none)."""
    rows = (
        _running(action_items_due(now=now, within_days=due_soon_days()))
        .filter(pk__gt=after)
        .annotate(
            reminded=Coalesce("owner_id", "chaser"),
            pending=not_reminded(
                ACTION_ITEM,
                "reminded",
                after=after,
                rule=DUE_SOON,
                occurrence__date=OuterRef("due_date"),
            ),
        )
        .filter(reminded__isnull=False, pending=True)
        .order_by("pk")
        .values("reminded", *ACTION_COLUMNS)[:limit]
    )
    return [
        _action_due(row, _day_start(row["due_date"]), ((row["reminded"], False),))
        for row in rows
    ]


@rule(
    name=OVERDUE,
    subject_type=ACTION_ITEM,
    label="Action item overdue",
    escalation_label="Overdue action item, escalated",
    current=action_item_current,
)
def action_items_past_due(*, now: datetime, after: int, limit: int) -> list[Due]:
    """Open items whose due date has passed: their owner, and (escalation) the
    postmortem's review owner, or the product's PM owner."""
    day = OuterRef("due_date")
    rows = (
        _running(action_items_overdue(now=now))
        .filter(pk__gt=after)
        .annotate(
            reminded=Coalesce("owner_id", "chaser"),
            owner_pending=not_reminded(
                ACTION_ITEM, "reminded", after=after, rule=OVERDUE, occurrence__date=day
            ),
            chaser_pending=not_reminded(
                ACTION_ITEM, "chaser", after=after, rule=OVERDUE, occurrence__date=day
            ),
        )
        .filter(
            Q(reminded__isnull=False, owner_pending=True)
            | Q(chaser__isnull=False, chaser_pending=True)
        )
        .order_by("pk")
        .values(
            "reminded", "owner_pending", "chaser", "chaser_pending", *ACTION_COLUMNS
        )[:limit]
    )
    return [
        _action_due(
            row,
            _day_end(row["due_date"]),
            recipients(
                (row["reminded"], False, row["owner_pending"]),
                (row["chaser"], True, row["chaser_pending"]),
            ),
        )
        for row in rows
    ]


# --- Postmortem drafts past their review deadline -----------------------------------
# The occurrence is when the draft became late: the end of its explicit
# `review_deadline` day, else POSTMORTEM_REVIEW_BUSINESS_DAYS business days after
# its last covered incident was resolved. Business days are not SQL, so a
# reminder is matched to the current lateness the way survey reviews are: with
# the default deadline, it is one whose occurrence is after the last resolution;
# with an explicit deadline, one for that day. Changing the deadline, or
# covering an incident resolved later, starts a new lateness.


def _deadline(review_deadline: date | None, latest_resolved_at: datetime) -> datetime:
    if review_deadline is not None:
        return _day_end(review_deadline)
    return add_business_days(latest_resolved_at, review_business_days())


def _reminded(*, postmortem, recipient, since, deadline, after: int) -> Exists:
    """A reminder to `recipient` about this lateness of `postmortem` exists
    (`since`: the last resolution when the deadline is the default, else NULL;
    `deadline`: the explicit deadline or NULL)."""
    return Exists(
        Reminder.objects.filter(
            Q(occurrence__gt=since) | Q(occurrence__date=deadline),
            subject_type=POSTMORTEM,
            subject_id=postmortem,
            subject_id__gt=after,
            recipient_id=recipient,
        )
    )


def postmortem_draft_current() -> Exists:
    """Still due while the postmortem is a draft covering a SEV1–2 incident,
    with the deadline the reminder was for. Submitting it for review (or
    publishing it) ends the occurrence."""
    covered = Incident.objects.filter(postmortems=OuterRef("pk"))
    latest = (
        covered.order_by()
        .values("postmortems")
        .annotate(latest=Max("resolved_at"))
        .values("latest")
    )
    same_deadline = Q(review_deadline=TruncDate(OCCURRENCE_AT)) | (
        Q(review_deadline__isnull=True, latest_resolved__lt=OCCURRENCE)
        & ~Exists(covered.filter(resolved_at__isnull=True))
    )
    return Exists(
        Postmortem.objects.filter(pk=SUBJECT_ID, status=Status.DRAFT)
        .exclude(product__stage=Stage.RETIRED)
        .filter(Exists(covered.filter(severity__in=SEVERE)))
        .alias(latest_resolved=Subquery(latest))
        .filter(same_deadline)
    )


def _late_drafts(now: datetime, after: int) -> QuerySet[Postmortem]:
    return (
        postmortems_stuck_in_draft(now=now)
        .filter(pk__gt=after)
        .exclude(product__stage=Stage.RETIRED)
        .annotate(
            since=Case(
                When(review_deadline__isnull=True, then=F("latest_resolved_at")),
                output_field=DateTimeField(),
            )
        )
    )


def _pending(recipient: str, after: int) -> Exists:
    return ~_reminded(
        postmortem=OuterRef("pk"),
        recipient=OuterRef(recipient),
        since=OuterRef("since"),
        deadline=OuterRef("review_deadline"),
        after=after,
    )


def _page_of_late_drafts(now: datetime, after: int, limit: int) -> QuerySet:
    """Ids of the next `limit` late drafts with someone still to remind: an
    author (through the authors table) or the review owner."""
    unreminded_author = Postmortem.authors.through.objects.filter(
        ~_reminded(
            postmortem=OuterRef(OuterRef("pk")),
            recipient=OuterRef("user_id"),
            since=OuterRef(OuterRef("since")),
            deadline=OuterRef(OuterRef("review_deadline")),
            after=after,
        ),
        postmortem_id=OuterRef("pk"),
    )
    return (
        _late_drafts(now, after)
        .annotate(owner_pending=_pending("review_owner_id", after))
        .filter(
            Q(review_owner__isnull=False, owner_pending=True)
            | Exists(unreminded_author)
        )
        .order_by("pk")
        .values("pk")[:limit]
    )


@rule(
    name="postmortem_draft_overdue",
    subject_type=POSTMORTEM,
    label="Postmortem draft past its review deadline",
    current=postmortem_draft_current,
)
def postmortem_drafts_overdue(*, now: datetime, after: int, limit: int) -> list[Due]:
    """Drafts for SEV1–2 incidents past their review deadline: the authors and
    the review owner. One query: a row per author of each draft in the page."""
    rows = (
        _late_drafts(now, after)
        .filter(pk__in=_page_of_late_drafts(now, after, limit))
        .annotate(
            author=F("authors"),
            author_pending=_pending("author", after),
            owner_pending=_pending("review_owner_id", after),
        )
        .order_by("pk", "author")
        .values_list(
            "pk",
            "title",
            "product_id",
            "product__name",
            "review_deadline",
            "latest_resolved_at",
            "author",
            "author_pending",
            "review_owner_id",
            "owner_pending",
        )
    )
    drafts: dict[int, tuple] = {}
    people: dict[int, list] = {}
    for pk, title, product_id, product, deadline, resolved, *who in rows:
        occurrence = _deadline(deadline, resolved)
        drafts.setdefault(pk, (f"{title} · {product}", occurrence, product_id))
        author, author_go, owner, owner_go = who
        people.setdefault(pk, []).extend(
            [(author, False, author_go), (owner, False, owner_go)]
        )
    return [
        Due(
            subject_id=pk,
            occurrence=occurrence,
            recipients=recipients(*people[pk]),
            title=title,
            url=reverse("postmortems:edit", args=[pk]),
            product_id=product_id,
        )
        for pk, (title, occurrence, product_id) in drafts.items()
    ]


# --- Follow-up policy violations ----------------------------------------------------
# One reminder per violation and owner: the occurrence is the deadline the
# object missed, so the `reminder_once` row of (subject, deadline, person) makes
# it once, whatever the number of sweeps; a new deadline (a policy changed) is a
# new violation. Deadlines are computed in Python (business days), so the finder
# reads every current violation and drops, in one query, the owners already
# reminded of it.

POLICY_POSTMORTEM, POLICY_ACTION_ITEM = (
    "postmortem_policy_late",
    "action_item_policy_late",
)


def _violations_due(
    object_type: str, rule_name: str, *, now: datetime, after: int, limit: int
) -> list[Due]:
    late = [
        v
        for v in violations(now=now, owners=True)
        if v.object_type == object_type
        and v.object_id > after
        and v.owners
        and not _chased_as_late_draft(v)
    ]
    late.sort(key=lambda v: v.object_id)
    reminded = set(
        Reminder.objects.filter(
            rule=rule_name,
            subject_type=object_type,
            subject_id__in=[v.object_id for v in late],
        ).values_list("subject_id", "occurrence", "recipient_id")
    )
    found = []
    for v in late:
        people = tuple(
            (o, False) for o in v.owners if (v.object_id, v.deadline, o) not in reminded
        )
        if people:
            found.append(
                Due(
                    subject_id=v.object_id,
                    occurrence=v.deadline,
                    recipients=people,
                    title=f"{v.title} · {v.product_name} · {v.late_days} day(s) late",
                    url=v.url,
                    product_id=v.product_id,
                )
            )
    return found[:limit]


def _chased_as_late_draft(violation) -> bool:
    """A SEV1–2 draft past its deadline is chased by `postmortem_draft_overdue`
    already (to the same people): one reminder about one lateness is enough."""
    return (
        violation.object_type == POSTMORTEM
        and violation.status == Status.DRAFT
        and violation.severity in SEVERE
    )


def postmortem_unpublished() -> Exists:
    """Still due while the postmortem is not published."""
    return Exists(
        Postmortem.objects.filter(pk=SUBJECT_ID).exclude(status=Status.PUBLISHED)
    )


def action_item_still_open() -> Exists:
    return Exists(ActionItem.objects.filter(pk=SUBJECT_ID, status=ActionStatus.OPEN))


@rule(
    name=POLICY_POSTMORTEM,
    subject_type=POSTMORTEM,
    label="Postmortem late against the follow-up policy",
    current=postmortem_unpublished,
)
def postmortems_policy_late(*, now: datetime, after: int, limit: int) -> list[Due]:
    """Postmortems not published within their policy: the review owner and the
    authors (the product's PM owner when there are none), once per violation."""
    return _violations_due(
        POSTMORTEM, POLICY_POSTMORTEM, now=now, after=after, limit=limit
    )


@rule(
    name=POLICY_ACTION_ITEM,
    subject_type=ACTION_ITEM,
    label="Action item late against the follow-up policy",
    current=action_item_still_open,
)
def action_items_policy_late(*, now: datetime, after: int, limit: int) -> list[Due]:
    """Open action items not done within their policy: the owner (the review
    owner when there is none), once per violation."""
    return _violations_due(
        ACTION_ITEM, POLICY_ACTION_ITEM, now=now, after=after, limit=limit
    )
