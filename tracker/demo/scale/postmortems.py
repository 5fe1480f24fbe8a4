"""Generated postmortems for `seed_demo --scale N` (tracker/demo/scale/portfolio.py).

Two postmortems per product on its resolved SEV1–2 incidents (one in ten covers
a second incident too), in a realistic mix of states: most published, some
reviewed or in review, some drafts (most past their review deadline, a few with
a deadline still ahead), one in ten sent back to draft once with a reason. Each
has the write-up (blameless text chosen by the incident's kind), a timeline,
contributing factors, its history of status moves, a KPI impact when published,
and owned, dated action items: done (on time or late), dropped with a reason,
open, overdue. Rows are bulk-inserted with the invariants the services keep
(the database checks hold them too), and the library's search vector is built
in one statement.
"""

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise

from django.db.models import Max, Min, OuterRef, Subquery
from django.db.models.functions import Coalesce

from tracker.demo.scale.rows import bulk_insert
from tracker.incidents.models import Incident
from tracker.lib.aggregates import in_ids
from tracker.postmortems.models import (
    ActionItem,
    ActionStatus,
    ContributingFactor,
    EventKind,
    MetricImpact,
    MomentKind,
    Postmortem,
    PostmortemEvent,
    Status,
    TimelineEvent,
)
from tracker.postmortems.selectors.reports import SEVERE
from tracker.postmortems.services.common import search_refresh
from tracker.postmortems.services.followup import followup_refresh

PER_PRODUCT = 2
# Target state → weight. Drafts include those sent back from review.
STATES = {
    Status.PUBLISHED: 60,
    Status.REVIEWED: 8,
    Status.IN_REVIEW: 12,
    Status.DRAFT: 20,
}
FORWARD = [Status.DRAFT, Status.IN_REVIEW, Status.REVIEWED, Status.PUBLISHED]


@dataclass(frozen=True)
class Story:
    """What an incident of one kind looks like in a write-up."""

    title: str
    trigger: str
    detection: str
    resolution: str
    factors: tuple[tuple[str, str, str], ...]  # category, ML kind, description
    actions: tuple[tuple[str, str], ...]  # kind, description


STORIES = {
    "drift": Story(
        "Prediction quality fell as the input distribution moved",
        "A seasonal change in customer behaviour moved the distribution of "
        "`{feature}` outside the range seen in training.",
        "The drift monitor on model inputs fired {ttd} after the shift began; "
        "the business KPI dashboard showed the drop a day later.",
        "Retrained on the last eight weeks of data and rolled out behind a canary; "
        "the simple baseline served the riskiest segment meanwhile.",
        (
            (
                "data",
                "distribution_shift",
                "Inputs drifted beyond the training range.",
            ),
            ("model", "stale_model", "The model was last retrained four months ago."),
            ("process", "", "No retraining cadence was agreed for this product."),
        ),
        (
            ("detect", "Alert on population stability of every input feature"),
            ("prevent", "Retrain monthly on a rolling window, with a canary"),
            ("process", "Agree a retraining cadence in the product plan"),
        ),
    ),
    "data_quality": Story(
        "Upstream data change left a feature empty",
        "An upstream release renamed a field in the events `{feature}` is built "
        "from; the feature became empty for most requests.",
        "The null-rate check on `{feature}` fired {ttd} after the release.",
        "Pinned the upstream schema version and backfilled the feature; the model "
        "was switched back on after a validation run.",
        (
            (
                "data",
                "upstream_data_change",
                "A field the feature reads was renamed upstream with no contract.",
            ),
            (
                "code",
                "training_serving_skew",
                "Serving filled missing values differently from training.",
            ),
            (
                "communication",
                "",
                "Schema changes were announced in a channel the team does not follow.",
            ),
        ),
        (
            ("prevent", "Validate the event schema before computing features"),
            ("detect", "Alert on the null rate of every model input"),
            ("process", "Agree a schema contract with the upstream team"),
        ),
    ),
    "outage": Story(
        "Scoring service unavailable after a deploy",
        "A deploy raised the service's memory use past its limit; pods restarted "
        "in a loop under peak traffic.",
        "The availability SLO alert fired {ttd} after the first errors.",
        "Rolled back the deploy and raised the memory limit; traffic fell back to "
        "the rule baseline while the service was down.",
        (
            ("infra", "", "Memory limits were not load-tested with the new model."),
            ("code", "", "The new model loaded every artefact eagerly at start-up."),
        ),
        (
            ("prevent", "Load-test every model release at peak traffic"),
            ("mitigate", "Fall back to the rule baseline automatically on errors"),
            ("detect", "Alert on restarts of the scoring pods"),
        ),
    ),
    "bad_predictions": Story(
        "Wrong scores served for a customer segment",
        "A feature for `{feature}` was computed in a different unit in serving "
        "than in training after a library upgrade.",
        "Support tickets from the affected segment; the shadow comparison "
        "against the previous model confirmed it {ttd} after the upgrade.",
        "Reverted the library upgrade and rescored the affected requests.",
        (
            (
                "code",
                "training_serving_skew",
                "Feature code in serving and training diverged after an upgrade.",
            ),
            (
                "model",
                "feedback_loop",
                "The model's own decisions shaped the labels it was evaluated on.",
            ),
            ("process", "", "No shadow evaluation gate before library upgrades."),
        ),
        (
            ("prevent", "Share one feature library between training and serving"),
            ("detect", "Compare live scores with the previous model in shadow"),
            ("process", "Gate dependency upgrades on the offline evaluation"),
        ),
    ),
    "sla_breach": Story(
        "Latency SLO breached during a traffic peak",
        "Traffic doubled during a campaign; feature lookups queued behind batch "
        "jobs on the shared store.",
        "The latency SLO burn-rate alert fired {ttd} after the peak began.",
        "Moved the batch jobs off the peak window and added read replicas.",
        (
            ("infra", "", "Online lookups shared a store with batch jobs."),
            ("process", "", "The campaign was not announced to the platform team."),
        ),
        (
            ("prevent", "Separate online feature lookups from batch workloads"),
            ("detect", "Alert on error budget burn rate over one hour"),
            ("process", "Add ML services to the campaign launch checklist"),
        ),
    ),
    "other": Story(
        "Labels arrived late and the evaluation went stale",
        "The labelling vendor's export was delayed by two weeks; evaluation ran "
        "on an incomplete window.",
        "The label freshness check fired {ttd} after the export was due.",
        "Re-ran the evaluation once labels arrived; decisions in the window were "
        "reviewed by hand.",
        (
            ("data", "label_delay", "Labels arrive weeks after predictions."),
            ("process", "", "No agreed delivery date with the labelling vendor."),
        ),
        (
            ("detect", "Alert when labels are older than the evaluation window"),
            ("process", "Agree a delivery SLA with the labelling vendor"),
            ("mitigate", "Evaluate on proxy labels while true labels are late"),
        ),
    ),
}
WENT_WELL = (
    "- The simple baseline was one switch away and worked as written.\n"
    "- The runbook's fallback step was current.",
    "- The alert reached the on-call engineer within minutes.\n"
    "- The rollback took one command.",
    "- The team had a dashboard of the business KPI next to the model metrics.",
)
WENT_WRONG = (
    "- Nothing checked the inputs before features were computed.\n"
    "- The alert went to a channel nobody watches at night.",
    "- The runbook did not cover this failure mode.\n"
    "- Two teams changed the pipeline in the same week without a shared calendar.",
    "- The canary compared only error rates, not prediction quality.",
)
LUCKY = (
    "It happened during office hours with the whole team in.",
    "Traffic was low that day; a weekday peak would have doubled the impact.",
    "A downstream team noticed the odd scores before customers did.",
)
LESSONS = (
    "- Monitor **inputs**, not only outputs.\n"
    "- A simple baseline is an operational asset, not only a benchmark.",
    "- Data contracts between teams prevent more incidents than model changes.\n"
    "- Describe mechanisms: the review found conditions, not culprits.",
    "- Shadow evaluation catches what offline metrics miss.\n"
    "- Retraining needs an owner and a cadence like any other release.",
)
BACK_TO_DRAFT = (
    "The timeline is missing the rollback; adding it before review.",
    "Reviewers asked for the business impact in numbers.",
    "Contributing factors describe the people involved; rewriting as mechanisms.",
)
WONT_DO = "Superseded by the platform-wide schema registry."


@dataclass
class _Draft:
    """One postmortem being generated, with the rows that hang off it."""

    postmortem: Postmortem
    incidents: list[Incident]
    authors: list = field(default_factory=list)
    reviewers: list = field(default_factory=list)
    events: list[PostmortemEvent] = field(default_factory=list)
    moments: list[TimelineEvent] = field(default_factory=list)
    factors: list[ContributingFactor] = field(default_factory=list)
    actions: list[ActionItem] = field(default_factory=list)
    kpi: int | None = None  # a business KPI it moved


def seed_postmortems(
    incidents: list[Incident],
    people: list,
    kpis: dict[int, int],
    *,
    count: int,
    rng: random.Random,
    now: datetime,
) -> dict[str, int]:
    """Insert `count` postmortems on the SEV1–2 `incidents` (at most two per
    product where possible); `kpis` maps a product to one business KPI."""
    chosen = _pick_incidents(incidents, count, rng)
    drafts = [_generate(covered, people, kpis, rng, now) for covered in chosen]
    return _insert(drafts)


def _pick_incidents(
    incidents: list[Incident], count: int, rng: random.Random
) -> list[list[Incident]]:
    """Groups of incidents of one product, one group per postmortem."""
    by_product = defaultdict(list)
    for incident in incidents:
        if incident.severity in SEVERE and incident.resolved_at is not None:
            by_product[incident.product_id].append(incident)
    first, spare = [], []
    for found in by_product.values():
        rng.shuffle(found)
        first += found[:PER_PRODUCT]
        spare += found[PER_PRODUCT:]
    rng.shuffle(spare)
    leads = (first + spare)[:count]
    used = {incident.pk for incident in leads}
    groups = []
    for lead in leads:
        group = [lead]
        if rng.random() < 0.1:
            other = next(
                (i for i in by_product[lead.product_id] if i.pk not in used), None
            )
            if other is not None:
                used.add(other.pk)
                group.append(other)
        groups.append(sorted(group, key=lambda i: i.started_at))
    return groups


def _generate(covered, people, kpis, rng, now) -> _Draft:
    lead, last = covered[0], max(covered, key=lambda i: i.resolved_at)
    story = STORIES[lead.kind]
    state = rng.choices(list(STATES), weights=list(STATES.values()))[0]
    authors = rng.sample(people, 2 if rng.random() < 0.3 else 1)
    reviewer = rng.choice([p for p in people if p not in authors])
    created = min(last.resolved_at + timedelta(hours=rng.randint(1, 48)), now)
    postmortem = Postmortem(
        product=lead.product,  # held: its audit event reads no slug
        title=f"{lead.product.name}: {story.title}",
        status=state,
        review_owner=reviewer,
        users_affected=rng.randint(50, 50_000),
        error_budget_consumed=round(rng.uniform(2, 80), 1),
        **_sections(story, lead, state, rng),
    )
    draft = _Draft(postmortem, covered, authors, [reviewer])
    _history(draft, state, created, rng, now)
    _timeline(draft, rng)
    _factors(draft, story, rng)
    _actions(draft, story, people, created, rng, now)
    if state == Status.PUBLISHED and rng.random() < 0.5:
        draft.kpi = kpis.get(lead.product_id)
    return draft


def _sections(story: Story, incident: Incident, state: str, rng) -> dict:
    feature = f"feature_{rng.randint(0, 3)}"
    ttd = _duration(incident.detected_at - incident.started_at)
    ttr = _duration(incident.resolved_at - incident.started_at)
    text = {
        "summary": f"For {ttr}, {story.title[0].lower()}{story.title[1:]}. "
        f"{story.resolution}",
        "impact": f"- The business KPI moved for {ttr}.\n"
        "- Part of the month's SLA error budget was used.",
        "trigger": story.trigger.format(feature=feature),
        "detection": story.detection.format(feature=feature, ttd=ttd),
        "resolution": story.resolution,
        "went_well": rng.choice(WENT_WELL),
        "went_wrong": rng.choice(WENT_WRONG),
        "lucky": rng.choice(LUCKY),
        "lessons": rng.choice(LESSONS),
        "links": f"- [Incident #{incident.pk}]({incident.get_absolute_url()})",
    }
    if state == Status.DRAFT:  # drafts are unfinished: the later sections wait
        for key in ("went_well", "went_wrong", "lucky", "lessons"):
            text[key] = "" if rng.random() < 0.6 else text[key]
    elif rng.random() < 0.2:
        text["lucky"], text["lucky_na"] = "", True
    return text


def _duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes} minutes" if minutes < 120 else f"{minutes // 60} hours"


def _history(draft: _Draft, state: str, created: datetime, rng, now) -> None:
    """The created event and every status move up to `state`, in time order,
    none in the future; one in ten reviews sends it back to draft once."""
    events, at = draft.events, created
    author = draft.authors[0]
    events.append(
        PostmortemEvent(
            at=at, kind=EventKind.CREATED, new_status=Status.DRAFT, actor=author
        )
    )
    if state == Status.DRAFT and rng.random() < 0.25:
        draft.postmortem.review_deadline = (
            now + timedelta(days=rng.randint(2, 9))
        ).date()
    target = FORWARD.index(state)
    sent_back = target >= 1 and rng.random() < 0.1
    steps = [*FORWARD[: target + 1]]
    if sent_back:  # in review → back to draft → in review again
        steps[1:2] = [Status.IN_REVIEW, Status.DRAFT, Status.IN_REVIEW]
    elif state == Status.DRAFT and rng.random() < 0.1:
        steps = [Status.DRAFT, Status.IN_REVIEW, Status.DRAFT]
    for old, new in pairwise(steps):
        at = min(at + timedelta(hours=rng.randint(4, 72)), now)
        back = new == Status.DRAFT
        events.append(
            PostmortemEvent(
                at=at,
                kind=EventKind.STATUS,
                old_status=old,
                new_status=new,
                reason=rng.choice(BACK_TO_DRAFT) if back else "",
                actor=draft.reviewers[0] if back or new == Status.REVIEWED else author,
            )
        )
        if new == Status.REVIEWED:
            draft.postmortem.review_meeting_at = at
        if new == Status.PUBLISHED:
            draft.postmortem.published_at = at


def _timeline(draft: _Draft, rng) -> None:
    moments = draft.moments
    for incident in draft.incidents:
        detected = incident.detected_at
        moments += [
            TimelineEvent(
                at=incident.started_at,
                kind=MomentKind.STARTED,
                description=f"Impact started: {incident.title}.",
                incident=incident,
            ),
            TimelineEvent(
                at=detected,
                kind=MomentKind.DETECTED,
                description="Alert fired and paged the on-call engineer.",
                incident=incident,
                starred=True,
            ),
            TimelineEvent(
                at=detected + (incident.resolved_at - detected) / 3,
                kind=MomentKind.MITIGATED,
                description="Switched to the simple baseline; impact contained.",
                incident=incident,
                starred=True,
            ),
            TimelineEvent(
                at=incident.resolved_at,
                kind=MomentKind.RESOLVED,
                description="Model back in service; metrics back to normal.",
                incident=incident,
            ),
        ]
    if rng.random() < 0.6:
        moments.append(
            TimelineEvent(
                at=draft.incidents[0].started_at
                - timedelta(minutes=rng.randint(5, 90)),
                kind=MomentKind.CHANGE,
                description="Release of the upstream service deployed.",
            )
        )


def _factors(draft: _Draft, story: Story, rng) -> None:
    picked = rng.sample(story.factors, rng.randint(1, len(story.factors)))
    draft.factors = [
        ContributingFactor(category=category, ml_kind=ml_kind, description=text)
        for category, ml_kind, text in picked
    ]


def _actions(draft: _Draft, story: Story, people, created, rng, now) -> None:
    for kind, description in rng.sample(story.actions, rng.randint(2, 3)):
        due = (created + timedelta(days=rng.randint(7, 60))).date()
        item = ActionItem(
            description=description,
            kind=kind,
            owner=rng.choice(people),
            due_date=due,
            priority=rng.choice(["high", "medium", "medium", "low"]),
        )
        _close(item, created, due, rng, now)
        draft.actions.append(item)


def _close(item: ActionItem, created, due, rng, now) -> None:
    """Past due: mostly done (some late), some dropped, the rest overdue.
    Not yet due: a fifth done early."""
    roll = rng.random()
    if due < now.date():
        if roll < 0.65:
            late = timedelta(days=rng.randint(-20, 0 if roll < 0.5 else 15))
            closed = created + (due - created.date()) + late
            item.status, item.closed_at = ActionStatus.DONE, min(closed, now)
            item.closed_at = max(item.closed_at, created)
        elif roll < 0.75:
            dropped = created + timedelta(days=rng.randint(1, 20))
            item.status, item.closed_at = ActionStatus.WONT_DO, min(dropped, now)
            item.status_note = WONT_DO
    elif roll < 0.2:
        item.status = ActionStatus.DONE
        item.closed_at = created + (now - created) * rng.random()


def _insert(drafts: list[_Draft]) -> dict[str, int]:
    postmortems = bulk_insert(Postmortem, [d.postmortem for d in drafts])
    through = Postmortem.incidents.through
    bulk_insert(
        through,
        [
            through(postmortem_id=d.postmortem.pk, incident_id=i.pk)
            for d in drafts
            for i in d.incidents
        ],
    )
    for relation, people in (("authors", "authors"), ("reviewers", "reviewers")):
        model = getattr(Postmortem, relation).through
        bulk_insert(
            model,
            [
                model(postmortem_id=d.postmortem.pk, user_id=p.pk)
                for d in drafts
                for p in getattr(d, people)
            ],
        )
    counts = {"postmortems": len(postmortems)}
    for name, model, attr in (
        ("postmortem_events", PostmortemEvent, "events"),
        ("timeline_moments", TimelineEvent, "moments"),
        ("contributing_factors", ContributingFactor, "factors"),
        ("action_items", ActionItem, "actions"),
    ):
        rows = [_owned(row, d.postmortem) for d in drafts for row in getattr(d, attr)]
        counts[name] = len(bulk_insert(model, rows))
    bulk_insert(
        MetricImpact,
        [
            MetricImpact(
                postmortem=d.postmortem, metric_id=d.kpi, change="-4% for the day"
            )
            for d in drafts
            if d.kpi
        ],
    )
    ids = [p.pk for p in postmortems]
    _dates_from_history(ids)
    search_refresh(Postmortem.objects.filter(in_ids("pk", ids)))
    followup_refresh(Postmortem.objects.filter(in_ids("pk", ids)))
    return counts


def _owned(row, postmortem: Postmortem):
    row.postmortem = postmortem
    return row


def _dates_from_history(ids: list[int]) -> None:
    """created_at / updated_at are stamped "now" by bulk inserts: take them from
    the generated history instead, as the services would have stamped them."""
    events = PostmortemEvent.objects.filter(postmortem=OuterRef("pk")).order_by()
    first = events.values("postmortem").annotate(at=Min("at")).values("at")
    last = events.values("postmortem").annotate(at=Max("at")).values("at")
    Postmortem.objects.filter(in_ids("pk", ids)).update(
        created_at=Subquery(first), updated_at=Subquery(last)
    )
    created = Subquery(
        Postmortem.objects.filter(pk=OuterRef("postmortem_id")).values("created_at")
    )
    ActionItem.objects.filter(in_ids("postmortem_id", ids)).update(
        created_at=created, updated_at=Coalesce("closed_at", created)
    )
