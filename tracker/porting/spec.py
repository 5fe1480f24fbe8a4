"""The shape of an export document (docs/porting.md): which rows it carries,
nested how, and how rows refer to each other without database ids.

A document is a tree of `Node`s. A node's rows are written with every concrete
field of the model, in model order, except the fields it lists in `omit` (with
the reason) and the foreign key to its parent (implied by the nesting), so a
field added to a model later is exported and imported without a change here.
Relations are written as natural keys (`refs`, `many`): a user by username, a
team or product by slug, an SLA or metric by name. Rows with no natural key
that others point at (incidents, alert integrations) carry a `key` that is
local to the document.

Every concrete model of the tracker apps is either carried by a node or listed
in EXCLUDED with the reason; tests/porting/test_spec.py fails otherwise.
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.apps import apps
from django.db import models

from tracker.accounts.models import (
    ApiToken,
    LoginAttemptCounter,
    Membership,
    Team,
    User,
)
from tracker.audit.models import AuditEvent
from tracker.cards.models import (
    Approval,
    Decision,
    ModelCard,
    UseCase,
    VersionModelCard,
)
from tracker.ci.models import CIStatus, CIStatusEvent
from tracker.incidents.models import (
    AlertDelivery,
    AlertIntegration,
    Incident,
    TimelineEntry,
)
from tracker.integrations.models import (
    Connection,
    IssueLink,
    SLAEvaluation,
    SLAQuery,
    WebhookDelivery,
    WebhookSubscription,
)
from tracker.outcomes.models import (
    Consumer,
    ContractChange,
    ContractChangeShared,
    Cost,
    Feedback,
    SourceContract,
)
from tracker.postmortems.models import (
    ActionItem,
    BlamelessWarning,
    ContributingFactor,
    FollowUpPolicy,
    MetricImpact,
    Postmortem,
    PostmortemEvent,
    TimelineEvent,
)
from tracker.products.models import (
    FeatureSource,
    Measurement,
    PlanningSession,
    Product,
    Segment,
    ServiceLevel,
    SLACheck,
    StageChange,
    SuccessMetric,
)
from tracker.products.models_experiments import (
    Experiment,
    ExperimentArm,
    RolloutStep,
)
from tracker.readiness.models import GateOverride, MLTestResult, MLTestScoreSnapshot
from tracker.releases.models import (
    Deployment,
    MlflowRegistry,
    ModelAlias,
    ModelVersion,
    ReleaseSettings,
)
from tracker.reminders.models import (
    Digest,
    KPIReview,
    KPIReviewPlan,
    LeadershipDigest,
    NotificationPreferences,
    Reminder,
    ReviewConfirmation,
)
from tracker.reports.models import ProductStanding, ReportExport, StoredFigures

FORMAT = "ml-product-tracker"
VERSION = 1
# The member naming a row's document-local key (incidents, integrations).
KEY = "key"

# How a relation is written (see docs/porting.md, "References").
USER = "user"  # a username listed in `users`
TEAM = "team"  # a team slug listed in `teams`
PRODUCT = "product"  # a product slug listed in `products`
INTEGRATION = "integration"  # the key of an entry of `integrations`
INCIDENT = "incident"  # the key of an incident
SLA = "sla"  # {"product": slug, "name": SLA name}
PRODUCT_SLA = "product_sla"  # the name of an SLA of the same product
METRIC = "metric"  # the name of a success metric of the same product
SEGMENT = "segment"  # the name (dimension=value) of a segment of the same product
ARM = "arm"  # {"experiment": name, "arm": name}: an experiment arm, same product
ENTRY = "entry"  # {"incident": key, "position": n}: that incident's n-th entry
REF_KINDS = (
    USER,
    TEAM,
    PRODUCT,
    INTEGRATION,
    INCIDENT,
    SLA,
    PRODUCT_SLA,
    METRIC,
    SEGMENT,
    ARM,
    ENTRY,
)
# A reference of these kinds names a row that lives inside a product.
PRODUCT_SCOPED = (PRODUCT_SLA, METRIC, SEGMENT)

NO_SECRETS = "secrets are never exported: re-key the integration after importing"
NO_TOKEN = "API tokens are not exported"
PERSONAL = ("email",)  # left empty in per-product exports by people who aren't staff


@dataclass(frozen=True, eq=False)
class Node:
    """Rows of one model at one place of the document.

    `parent` is the foreign key to the row it is nested in; `inherit` names
    foreign keys copied from that parent row (a factor's warnings belong to the
    factor's postmortem); `where` narrows the rows (the same model may appear
    at two places); `single` writes one object (or null) instead of a list.
    """

    model: type[models.Model]
    key: str
    parent: str | None = None
    refs: Mapping[str, str] = field(default_factory=dict)
    many: Mapping[str, str] = field(default_factory=dict)
    children: tuple["Node", ...] = ()
    single: bool = False
    omit: Mapping[str, str] = field(default_factory=dict)
    where: Mapping[str, Any] = field(default_factory=dict)
    keyed: str | None = None
    inherit: Mapping[str, str] = field(default_factory=dict)
    # Top-level nodes: the unique field pages of rows are read in.
    order: str = "pk"

    def __repr__(self) -> str:
        return f"Node({self.model.__name__} as {self.key!r})"

    @cached_property
    def fields(self) -> list[models.Field]:
        """The columns written, in model order: values and references."""
        skip = {self.parent, *self.omit, *self.inherit}
        return [
            f
            for f in self.model._meta.concrete_fields
            if f.name not in skip and not f.auto_created and not f.generated
        ]

    @cached_property
    def value_fields(self) -> list[models.Field]:
        return [f for f in self.fields if f.name not in self.refs]

    @cached_property
    def members(self) -> list[str]:
        """The names a row of this node may have, in the order they're written."""
        names = [KEY] if self.keyed else []
        names += [f.name for f in self.fields]
        names += list(self.many)
        names += [child.key for child in self.children]
        return names

    def walk(self) -> Iterator["Node"]:
        yield self
        for child in self.children:
            yield from child.walk()


def _action_items(parent: str, other: str) -> Node:
    return Node(
        ActionItem,
        "action_items",
        parent=parent,
        refs={"owner": USER, "created_by": USER},
        omit={other: "implied by where the item is nested"},
    )


def _warnings(**where: Any) -> dict[str, Any]:
    return {"model": BlamelessWarning, "key": "warnings", "where": where}


def _contract_changes(parent: str, other: str, side: str) -> Node:
    """Change notices, nested in the survey source or consumer they name."""
    return Node(
        ContractChange,
        "contract_changes",
        parent=parent,
        where={"side": side},
        inherit={"product": "product"},
        refs={"posted_by": USER},
        omit={other: f"{side} notices name their {parent} only"},
    )


def _ci_report(model: type[models.Model], key: str, **extra: Any) -> Node:
    return Node(
        model, key, refs={"reported_by": USER}, omit={"token": NO_TOKEN}, **extra
    )


USERS = Node(
    User,
    "users",
    order="username",
    omit={
        "password": "passwords are never exported: people set a new one",
        "last_login": "sign-in bookkeeping",
        "is_active": "imported people start inactive",
        "is_staff": "privileges are granted on the new instance",
        "is_superuser": "privileges are granted on the new instance",
        "groups": "not used by the tracker",
        "user_permissions": "not used by the tracker",
    },
    children=(
        Node(NotificationPreferences, "preferences", parent="user", single=True),
    ),
)

TEAMS = Node(
    Team,
    "teams",
    order="slug",
    omit={"members": "written as the team's memberships"},
    children=(Node(Membership, "members", parent="team", refs={"user": USER}),),
)

INTEGRATIONS = Node(
    AlertIntegration,
    "integrations",
    keyed="integration",
    refs={"product": PRODUCT, "created_by": USER, "revoked_by": USER},
    omit={
        "secret_hash": NO_SECRETS,
        "secret_hint": NO_SECRETS,
        "hmac_secret": NO_SECRETS,
    },
)

_INCIDENT = {
    "model": Incident,
    "key": "incidents",
    "keyed": "incident",
    "refs": {"integration": INTEGRATION, "sla": SLA, "created_by": USER},
    "omit": {
        "recurrence_of": "found again from the published postmortems when an "
        "incident opens: relative to this instance's history",
        "recurrence_rule": "goes with recurrence_of",
    },
    "children": (
        Node(TimelineEntry, "timeline", parent="incident", refs={"actor": USER}),
    ),
}

POSTMORTEMS = Node(
    Postmortem,
    "postmortems",
    parent="product",
    refs={"review_owner": USER, "created_by": USER},
    many={"incidents": INCIDENT, "authors": USER, "reviewers": USER},
    omit={
        "search_vector": "rebuilt from the text after importing",
        **dict.fromkeys(
            ["followup_severity", "followup_from", "followup_deadline"],
            "worked out from its incidents and the policies after importing",
        ),
    },
    children=(
        Node(
            MetricImpact, "metric_impacts", parent="postmortem", refs={"metric": METRIC}
        ),
        Node(PostmortemEvent, "events", parent="postmortem", refs={"actor": USER}),
        Node(
            TimelineEvent,
            "timeline",
            parent="postmortem",
            refs={"incident": INCIDENT, "source_entry": ENTRY},
        ),
        Node(
            ContributingFactor,
            "factors",
            parent="postmortem",
            children=(
                Node(
                    **_warnings(),
                    parent="factor",
                    inherit={"postmortem": "postmortem"},
                    refs={"accepted_by": USER},
                ),
            ),
        ),
        Node(
            **_warnings(factor__isnull=True),
            parent="postmortem",
            refs={"accepted_by": USER},
            omit={"factor": "section warnings have no factor"},
        ),
        _action_items("postmortem", "session"),
    ),
)

PRODUCTS = Node(
    Product,
    "products",
    order="slug",
    refs={"team": TEAM, "pm_owner": USER, "ml_owner": USER, "eng_owner": USER},
    children=(
        Node(
            StageChange,
            "stage_changes",
            parent="product",
            refs={"changed_by": USER},
            children=(
                Node(
                    GateOverride,
                    "gate_override",
                    parent="stage_change",
                    single=True,
                    refs={"overridden_by": USER},
                ),
            ),
        ),
        # Before the metrics: their measurements name segments.
        Node(Segment, "segments", parent="product"),
        Node(
            SuccessMetric,
            "metrics",
            parent="product",
            refs={"owner": USER},
            children=(
                Node(
                    Measurement,
                    "measurements",
                    parent="metric",
                    refs={"recorded_by": USER, "segment": SEGMENT, "arm": ARM},
                ),
            ),
        ),
        Node(
            ServiceLevel,
            "slas",
            parent="product",
            children=(
                Node(SLACheck, "checks", parent="sla", refs={"recorded_by": USER}),
            ),
        ),
        Node(
            FeatureSource,
            "survey",
            parent="product",
            children=(
                Node(
                    SourceContract,
                    "contract",
                    parent="source",
                    single=True,
                    inherit={"product": "product"},
                    refs={"owner_team": TEAM, "provider": PRODUCT},
                ),
                _contract_changes("source", "consumer", "upstream"),
            ),
        ),
        Node(RolloutStep, "rollout_steps", parent="product", refs={"decider": USER}),
        # Measurements name an experiment's arm by the two names.
        Node(
            Experiment,
            "experiments",
            parent="product",
            refs={"metric": METRIC, "created_by": USER},
            children=(Node(ExperimentArm, "arms", parent="experiment"),),
        ),
        Node(
            PlanningSession,
            "sessions",
            parent="product",
            refs={"created_by": USER},
            many={"attendees": USER},
            children=(_action_items("session", "postmortem"),),
        ),
        Node(**_INCIDENT, parent="product"),
        POSTMORTEMS,
        Node(MLTestResult, "ml_tests", parent="product", refs={"updated_by": USER}),
        Node(MLTestScoreSnapshot, "ml_test_snapshots", parent="product"),
        _ci_report(
            CIStatus,
            "ci_statuses",
            parent="product",
            children=(_ci_report(CIStatusEvent, "events", parent="status"),),
        ),
        Node(
            ModelVersion,
            "model_versions",
            parent="product",
            refs={"approved_by": USER},
            children=(
                Node(
                    ModelAlias,
                    "aliases",
                    parent="version",
                    inherit={"product": "product"},
                ),
                Node(
                    VersionModelCard,
                    "model_card",
                    parent="version",
                    single=True,
                    refs={"updated_by": USER},
                ),
                Node(
                    Deployment,
                    "deployments",
                    parent="version",
                    inherit={"product": "product"},
                    refs={"deployed_by": USER},
                    omit={
                        "ci_status": "CI bookkeeping of the old instance; the run "
                        "stays linked by run_url",
                        "replaced": "derived when recorded; is_rollback keeps "
                        "what it said",
                    },
                ),
            ),
        ),
        Node(ReleaseSettings, "release_settings", parent="product", single=True),
        Node(
            MlflowRegistry,
            "mlflow_registry",
            parent="product",
            single=True,
            omit={"token": NO_SECRETS},
        ),
        Node(
            KPIReviewPlan,
            "kpi_review_plan",
            parent="product",
            single=True,
            refs={"updated_by": USER},
        ),
        Node(KPIReview, "kpi_reviews", parent="product", refs={"completed_by": USER}),
        Node(
            ReviewConfirmation,
            "review_confirmations",
            parent="product",
            refs={"sla": PRODUCT_SLA, "reviewed_by": USER},
        ),
        Node(
            ModelCard,
            "model_card",
            parent="product",
            single=True,
            refs={"updated_by": USER},
        ),
        Node(UseCase, "use_cases", parent="product"),
        Node(
            Feedback,
            "feedback",
            parent="product",
            refs={"segment": SEGMENT, "submitted_by": USER, "incident": INCIDENT},
        ),
        Node(Cost, "costs", parent="product", refs={"recorded_by": USER}),
        Node(
            Consumer,
            "consumers",
            parent="product",
            refs={"owner": USER, "consumer_product": PRODUCT},
            children=(_contract_changes("consumer", "source", "downstream"),),
        ),
        Node(
            Decision,
            "decisions",
            parent="product",
            refs={"created_by": USER},
            omit={
                "session": "a planning session has no name in the document to "
                "refer to it by; the decision's own text is carried"
            },
            children=(
                Node(Approval, "approvals", parent="decision", refs={"approver": USER}),
            ),
        ),
    ),
)

UNTRIAGED = Node(
    **{
        **_INCIDENT,
        "key": "untriaged_incidents",
        "omit": {**_INCIDENT["omit"], "product": "untriaged: no product yet"},
    },
    where={"product__isnull": True},
)

# The document's top-level lists, in the order they're written.
DOCUMENT = (USERS, TEAMS, INTEGRATIONS, PRODUCTS, UNTRIAGED)

# Rows that are not user data: kept out of every export, and why.
EXCLUDED: dict[type[models.Model], str] = {
    ApiToken: "credentials: people and CI pipelines get new tokens on the new instance",
    AlertDelivery: "the raw webhook bodies kept for debugging; the incidents and "
    "their timelines carry what the deliveries did",
    Reminder: "delivery bookkeeping (sent, claimed, read); the reminder sweep "
    "works out what is due on the new instance",
    Digest: "delivery bookkeeping of daily digests",
    LeadershipDigest: "delivery bookkeeping of weekly leadership digests",
    AuditEvent: "the audit trail records this instance's history; a backup with "
    "pg_dump keeps it, and an import records what it creates as an import",
    FollowUpPolicy: "organisation settings, not a product's data: set them on the "
    "new instance (its migrations bring the default policy)",
    LoginAttemptCounter: "sign-in throttling counters: short-lived, keyed by hashes "
    "that only this instance's SECRET_KEY reproduces",
    Connection: "credentials of outside systems (Prometheus, GitHub): connect "
    "them again on the new instance (docs/integrations.md)",
    SLAQuery: "points at a connection, which is not carried; the SLA itself and "
    "its checks are",
    SLAEvaluation: "evaluation bookkeeping; the SLA checks they recorded are carried",
    WebhookSubscription: "its URL and signing secret are credentials: subscribe "
    "again on the new instance",
    WebhookDelivery: "delivery bookkeeping of outgoing webhooks",
    ContractChangeShared: "the copy of a change notice on the other product's "
    "history, made when the notice was posted; the notice itself is carried",
    IssueLink: "belongs to a connection, which is not carried; the action item's "
    "ticket URL is",
    ReportExport: "a report file made for one person and deleted after a day; "
    "export the report again on the new instance",
    ProductStanding: "worked out from the products' data, which is carried: the "
    "standings' refresh computes them again on the new instance",
    StoredFigures: "figures worked out from the data, which is carried: the "
    "first page that reads them on the new instance computes them again",
}


def nodes() -> Iterator[Node]:
    """Every node of the document, parents before their children."""
    for top in DOCUMENT:
        yield from top.walk()


def exported_models() -> set[type[models.Model]]:
    return {node.model for node in nodes()}


def tracker_models() -> list[type[models.Model]]:
    """The concrete models of the tracker's own apps."""
    return [
        model
        for model in apps.get_models()
        if model._meta.app_config.name.startswith("tracker.")
        and not model._meta.proxy
        and model._meta.managed
    ]


def problems() -> list[str]:
    """Where the spec and the models disagree (tests/porting/test_spec.py)."""
    found = []
    carried, excluded = exported_models(), set(EXCLUDED)
    for model in tracker_models():
        if model not in carried and model not in excluded:
            found.append(f"{model.__name__} is neither exported nor in EXCLUDED.")
        if model in carried and model in excluded:
            found.append(f"{model.__name__} is both exported and in EXCLUDED.")
    for node in nodes():
        found += _node_problems(node)
    return found


def _node_problems(node: Node) -> list[str]:
    found = []
    where = f"{node!r}"
    handled = {node.parent, *node.refs, *node.many, *node.omit, *node.inherit}
    for f in node.model._meta.get_fields():
        if f.auto_created or (not f.concrete and not f.many_to_many):
            continue
        if f.is_relation and f.name not in handled:
            found.append(
                f"{where}: relation {f.name} is neither referenced nor omitted."
            )
    for name, kind in {**node.refs, **node.many}.items():
        if kind not in REF_KINDS:
            found.append(f"{where}: {name} has an unknown reference kind {kind!r}.")
    field_names = {f.name for f in node.fields}
    clash = field_names & ({KEY} | {c.key for c in node.children} | set(node.many))
    if clash:
        found.append(f"{where}: {sorted(clash)} name both a field and a member.")
    return found


def insert_order() -> list[type[models.Model]]:
    """Models in an order that inserts every row after the rows it points at."""
    pending = list(dict.fromkeys(node.model for node in nodes()))
    done: list[type[models.Model]] = []
    while pending:
        ready = next(
            model
            for model in pending
            if all(dep in done or dep is model for dep in _dependencies(model, pending))
        )
        done.append(ready)
        pending.remove(ready)
    return done


def _dependencies(model, among) -> set[type[models.Model]]:
    related = {
        f.related_model
        for f in model._meta.concrete_fields
        if f.is_relation and f.related_model in among
    }
    return related
