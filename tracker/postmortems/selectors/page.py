"""One postmortem as its pages show it: timeline and durations, the publish
checklist, warnings, action items, history; read in a fixed number of
queries."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import (
    F,
    QuerySet,
)
from django.utils import timezone

from tracker.incidents.models import Incident, TimelineEntry
from tracker.postmortems.models import (
    FACTOR_SECTION,
    SECTIONS,
    STATUS_ORDER,
    ActionItem,
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
from tracker.postmortems.selectors.deadlines import (
    add_business_days,
    review_business_days,
)


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
            "Covers at least one incident, or a product failure",
            bool(incidents) or postmortem.is_product_failure,
            ""
            if incidents or postmortem.is_product_failure
            else "Attach the incident this postmortem is about, or say how the "
            "product failed.",
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
