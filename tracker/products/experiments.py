"""Writes and reads of a product's rollout plan and experiments.

An experiment's result is Welch's t interval (tracker.lib.stats) of each arm's
mean minus the first arm's, at 95 %; an arm with fewer than two measurements
gives "not enough data", never a number. The uplift is significant when the
whole interval lies on the metric's good side of zero (above it when higher is
better, below it when lower is). Readiness reads `experiment_verdicts`.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Avg, Count, Q, QuerySet

from tracker.accounts.models import User
from tracker.accounts.selectors import Reader
from tracker.lib.aggregates import SampleVariance
from tracker.lib.services import model_create, model_update
from tracker.lib.stats import Sample, WelchInterval, welch_interval
from tracker.products.models import Direction, Measurement, Product, SuccessMetric
from tracker.products.models_experiments import (
    Experiment,
    ExperimentArm,
    RolloutStep,
    StepStatus,
)
from tracker.products.selectors import _checked, readable

ROLLOUT_STEP_FIELDS = [
    "position",
    "kind",
    "percent",
    "entry_criteria",
    "exit_criteria",
    "decider",
    "status",
    "starts_on",
    "ends_on",
]
EXPERIMENT_FIELDS = ["name", "metric", "hypothesis", "started_at", "ended_at"]
ARM_NAME_MAX = 60
CONFIDENCE = 0.95
METHOD = (
    "Welch's t interval (95%, Welch–Satterthwaite degrees of freedom) of each "
    "arm's mean minus the first arm's; fewer than two measurements in an arm: "
    "not enough data."
)


# --- Rollout plan ------------------------------------------------------------------


def rollout_step_create(*, product: Product, data: dict[str, Any]) -> RolloutStep:
    values = {f: data[f] for f in ROLLOUT_STEP_FIELDS if f in data}
    if "position" not in values:
        last = product.rollout_steps.order_by("-position").first()
        values["position"] = last.position + 1 if last else 1
    return model_create(RolloutStep, product=product, **values)


def rollout_step_update(*, step: RolloutStep, data: dict[str, Any]) -> list[str]:
    return model_update(instance=step, fields=ROLLOUT_STEP_FIELDS, data=data)


def rollout_step_delete(*, step: RolloutStep) -> None:
    step.delete()


@dataclass(frozen=True)
class Rollout:
    """Where a product's rollout stands: its steps, the current one, progress."""

    steps: list[RolloutStep]

    @property
    def current(self) -> RolloutStep | None:
        """The active step; else the first still planned; else None (all over)."""
        for status in (StepStatus.ACTIVE, StepStatus.PLANNED):
            for step in self.steps:
                if step.status == status:
                    return step
        return None

    @property
    def settled(self) -> int:
        return sum(
            s.status in (StepStatus.DONE, StepStatus.SKIPPED) for s in self.steps
        )

    @property
    def progress(self) -> float:
        """Share of steps done or skipped (0 without a plan)."""
        return self.settled / len(self.steps) if self.steps else 0.0

    @property
    def percent(self) -> int:
        return round(self.progress * 100)


def rollout_for(*, product: Product) -> Rollout:
    return Rollout(list(product.rollout_steps.select_related("decider")))


# --- Experiments: writes -----------------------------------------------------------


def arm_names_clean(names: Iterable[str]) -> list[str]:
    """The arms' names in order, stripped; a ValidationError naming `arms` unless
    there are at least two, all different and none empty."""
    cleaned = [str(name).strip() for name in names]
    if len(cleaned) < 2:
        raise ValidationError({"arms": "Name at least two arms, e.g. control, model."})
    if any(not name for name in cleaned):
        raise ValidationError({"arms": "An arm's name cannot be empty."})
    if any(len(name) > ARM_NAME_MAX for name in cleaned):
        raise ValidationError(
            {"arms": f"Arm names have at most {ARM_NAME_MAX} characters."}
        )
    if len(set(cleaned)) != len(cleaned):
        raise ValidationError({"arms": "Each arm needs its own name."})
    return cleaned


def _no_overlap(experiment: Experiment) -> None:
    """Two experiments on one metric may not run at the same time: a measurement's
    arm is found by its time."""
    overlapping = Experiment.objects.filter(metric_id=experiment.metric_id).exclude(
        pk=experiment.pk
    )
    if experiment.ended_at is not None:
        overlapping = overlapping.filter(started_at__lt=experiment.ended_at)
    overlapping = overlapping.filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=experiment.started_at)
    ).first()
    if overlapping is not None:
        raise ValidationError(
            {
                "started_at": f"“{overlapping.name}” runs on this metric at the "
                "same time: end it first or pick other dates."
            }
        )


@transaction.atomic
def experiment_create(
    *, product: Product, data: dict[str, Any], actor: User | None
) -> Experiment:
    arms = arm_names_clean(data.get("arms", []))
    values = {f: data[f] for f in EXPERIMENT_FIELDS if f in data}
    experiment = Experiment(product=product, created_by=actor, **values)
    experiment.full_clean()
    _no_overlap(experiment)
    experiment.save()
    ExperimentArm.objects.bulk_create(
        ExperimentArm(experiment=experiment, name=name, position=i)
        for i, name in enumerate(arms)
    )
    return experiment


@transaction.atomic
def experiment_update(*, experiment: Experiment, data: dict[str, Any]) -> list[str]:
    """Change an experiment (ending it: `ended_at`). Its arms change only while no
    measurement names one; its dates must keep every arm's measurements inside."""
    changed = []
    if "arms" in data:
        arms = arm_names_clean(data["arms"])
        if arms != [arm.name for arm in experiment.arms.all()]:
            if experiment_measurements(experiment).exists():
                raise ValidationError(
                    {"arms": "Measurements name its arms: the arms stay as they are."}
                )
            experiment.arms.all().delete()
            ExperimentArm.objects.bulk_create(
                ExperimentArm(experiment=experiment, name=name, position=i)
                for i, name in enumerate(arms)
            )
            changed.append("arms")
    # Written first, checked after: an error rolls the whole change back.
    fields = model_update(instance=experiment, fields=EXPERIMENT_FIELDS, data=data)
    if fields:
        _no_overlap(experiment)
        measured = experiment_measurements(experiment)
        if "metric" in fields and measured.exists():
            raise ValidationError(
                {"metric": "Measurements name its arms: keep the metric."}
            )
        outside = Q(measured_at__lt=experiment.started_at)
        if experiment.ended_at:
            outside |= Q(measured_at__gt=experiment.ended_at)
        if measured.filter(outside).exists():
            raise ValidationError(
                {"ended_at": "Some arm measurements would fall outside the experiment."}
            )
    return changed + fields


def arm_resolve(
    *, metric: SuccessMetric, measured_at: datetime, name: str
) -> ExperimentArm | None:
    """The arm a measurement names ("" → None): an arm of the experiment running on
    `metric` at `measured_at`, or a ValidationError naming the `arm` field."""
    if not name:
        return None
    experiment = (
        Experiment.objects.filter(metric=metric, started_at__lte=measured_at)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=measured_at))
        .prefetch_related("arms")
        .first()
    )
    if experiment is None:
        raise ValidationError(
            {"arm": "No experiment runs on this metric at the measurement's time."}
        )
    for arm in experiment.arms.all():
        if arm.name == name.strip():
            return arm
    known = ", ".join(arm.name for arm in experiment.arms.all())
    raise ValidationError(
        {"arm": f"“{name}” is not an arm of “{experiment.name}”; its arms: {known}."}
    )


# --- Experiments: reads ------------------------------------------------------------


def experiment_list(*, product: Product) -> QuerySet[Experiment]:
    return product.experiments.select_related(
        "product", "metric", "created_by"
    ).prefetch_related("arms")


def experiment_get_for_user(
    *, user: Reader, pk: int, for_edit: bool = False
) -> Experiment:
    """An experiment by id, with its product; the same rules as
    product_get_for_user (another team's private product: 404)."""
    experiment = (
        Experiment.objects.select_related("product", "metric", "created_by")
        .prefetch_related("arms")
        .filter(readable(user, "product"), pk=pk)
        .first()
    )
    return _checked(
        user, experiment, experiment and experiment.product, for_edit, "experiment"
    )


def metric_arm_names(*, metric: SuccessMetric) -> list[str]:
    """The arm names of the metric's experiments (a measurement form offers them)."""
    names = ExperimentArm.objects.filter(experiment__metric=metric).order_by(
        "-experiment__started_at", "position"
    )
    return list(dict.fromkeys(names.values_list("name", flat=True)))


def experiment_measurements(experiment: Experiment) -> QuerySet[Measurement]:
    return Measurement.objects.filter(arm__experiment=experiment)


@dataclass(frozen=True)
class ArmResult:
    """One arm's count and mean; after the first, its uplift over the first."""

    name: str
    count: int
    mean: float | None
    uplift: WelchInterval | None  # None for the first arm
    significant: bool | None  # None: first arm, or no interval

    @property
    def reason(self) -> str:
        return self.uplift.reason if self.uplift else ""


def _significant(interval: WelchInterval, direction: str) -> bool | None:
    if interval.low is None:
        return None
    if direction == Direction.HIGHER:
        return interval.low > 0
    return interval.high < 0


def _arm_rows(arms) -> Iterable[tuple]:
    """(experiment id, arm name, count, mean, sample variance) per arm, in order."""
    return (
        arms.annotate(
            n=Count("measurements"),
            mean=Avg("measurements__value"),
            var=SampleVariance("measurements__value"),
        )
        .order_by("experiment_id", "position")
        .values_list("experiment_id", "name", "n", "mean", "var")
    )


def _results(rows: list[tuple], direction: str) -> list[ArmResult]:
    results, first = [], None
    for _, name, n, mean, variance in rows:
        sample = Sample(n, mean, variance if n >= 2 else None)
        if first is None:
            first = sample
            results.append(ArmResult(name, n, mean, None, None))
            continue
        interval = welch_interval(first, sample, confidence=CONFIDENCE)
        results.append(
            ArmResult(name, n, mean, interval, _significant(interval, direction))
        )
    return results


def experiment_results(experiment: Experiment) -> list[ArmResult]:
    """Each arm's result, the first arm first (one query)."""
    rows = list(_arm_rows(ExperimentArm.objects.filter(experiment=experiment)))
    return _results(rows, experiment.metric.direction)


def experiments_with_results(experiments: Iterable[Experiment]) -> list[Experiment]:
    """Set `results` and `significant` (any arm's uplift is) on each (one query)."""
    experiments = list(experiments)
    by_id = defaultdict(list)
    rows = _arm_rows(ExperimentArm.objects.filter(experiment__in=experiments))
    for row in rows:
        by_id[row[0]].append(row)
    for experiment in experiments:
        experiment.results = _results(by_id[experiment.pk], experiment.metric.direction)
        experiment.significant = any(r.significant for r in experiment.results)
    return experiments


@dataclass(frozen=True)
class Verdict:
    """Whether a product has a finished experiment with a significant uplift."""

    passed: bool
    detail: str
    experiment_id: int | None = None


def _verdict_detail(name: str, results: list[ArmResult], unit: str) -> str:
    """Why a finished experiment does not show a significant uplift."""
    for result in results[1:]:
        if result.uplift.low is None:
            return f"“{name}”, arm {result.name}: {result.uplift.reason}."
    worst = results[1].uplift if len(results) > 1 else None
    if worst is None:
        return f"“{name}” has a single arm."
    unit = f" {unit}" if unit else ""
    return (
        f"“{name}”: the 95% interval of {results[1].name} over {results[0].name}, "
        f"{worst.low:+.3g} to {worst.high:+.3g}{unit}, does not exclude zero on the "
        "metric's good side."
    )


def experiment_verdicts(*, product_ids: list[int], now: datetime) -> dict[int, Verdict]:
    """Per product, the verdict of its finished experiments (one query): passed
    when any shows a significant uplift; else why the newest does not."""
    experiments = {
        e.pk: e
        for e in Experiment.objects.filter(
            product_id__in=product_ids, ended_at__lte=now
        ).select_related("metric")
    }
    by_id = defaultdict(list)
    for row in _arm_rows(ExperimentArm.objects.filter(experiment_id__in=experiments)):
        by_id[row[0]].append(row)
    verdicts: dict[int, Verdict] = {}
    # Newest first (the model's order): the first failing one names the reason.
    for experiment in experiments.values():
        metric = experiment.metric
        results = _results(by_id[experiment.pk], metric.direction)
        current = verdicts.get(experiment.product_id)
        if any(r.significant for r in results):
            if current is None or not current.passed:
                verdicts[experiment.product_id] = Verdict(
                    True,
                    f"“{experiment.name}” shows a significant uplift on {metric.name}.",
                    experiment.pk,
                )
        elif current is None:
            verdicts[experiment.product_id] = Verdict(
                False,
                _verdict_detail(experiment.name, results, metric.unit),
                experiment.pk,
            )
    return verdicts


@dataclass(frozen=True)
class IntervalBar:
    """Where an uplift's interval sits on a drawing 0-100 wide, zero in the middle."""

    low: float
    width: float
    point: float
    zero: float = 50.0


def interval_bars(
    results: list[ArmResult],
) -> list[tuple[ArmResult, IntervalBar | None]]:
    """Each arm with its interval placed on one scale shared by all the arms (the
    widest end at 5 % from the edge), None where there is no interval."""
    ends = [
        abs(v)
        for r in results
        if r.uplift and r.uplift.low is not None
        for v in (r.uplift.low, r.uplift.high)
    ]
    scale = max(ends, default=0.0) or 1.0

    def at(value: float) -> float:
        return round(50.0 + 45.0 * value / scale, 2)

    found = []
    for result in results:
        interval = result.uplift
        if interval is None or interval.low is None:
            found.append((result, None))
            continue
        low, high = at(interval.low), at(interval.high)
        found.append(
            (result, IntervalBar(low, max(high - low, 0.5), at(interval.difference)))
        )
    return found
