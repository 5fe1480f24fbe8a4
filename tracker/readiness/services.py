"""Writes for readiness: ML Test Score results and their history, and gated stage
moves that record overrides."""

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tracker.accounts.models import User
from tracker.lib.services import model_update
from tracker.products.models import Product, StageChange
from tracker.products.services import product_change_stage, product_update
from tracker.readiness import selectors
from tracker.readiness.models import GateOverride, MLTestResult, MLTestScoreSnapshot
from tracker.readiness.rubric import TESTS_BY_CODE

RESULT_FIELDS = ["level", "evidence", "ci_context"]


def ml_test_snapshot_record(*, product: Product, at: datetime | None = None) -> bool:
    """Append the current score to the history when it differs from the last entry."""
    score = selectors.ml_test_score(product)
    values = {
        key: score.sections[key] for key in ("data", "model", "infra", "monitoring")
    }
    last = product.ml_test_snapshots.first()
    if last and all(getattr(last, key) == value for key, value in values.items()):
        return False
    MLTestScoreSnapshot.objects.create(
        product=product, recorded_at=at or timezone.now(), score=score.score, **values
    )
    return True


@transaction.atomic
def ml_test_result_set(
    *, product: Product, code: str, actor: User | None, data: dict
) -> MLTestResult:
    """Set a product's level, evidence or CI mapping for one rubric test."""
    if code not in TESTS_BY_CODE:
        raise ValidationError({"code": f"Unknown test {code!r}."})
    result, _ = MLTestResult.objects.select_for_update().get_or_create(
        product=product, code=code
    )
    data = {
        key: (value or "").strip() if key != "level" else value
        for key, value in data.items()
    }
    model_update(
        instance=result,
        fields=[*RESULT_FIELDS, "updated_by"],
        data={**data, "updated_by": actor},
    )
    ml_test_snapshot_record(product=product)
    return result


def ml_tests_ci_changed(*, product: Product, context: str, **signal: Any) -> None:
    """ci.signals.stage_finished's receiver (connected in apps.py): a CI stage
    (`context`) of the product finished, so the tests mapped to that stage may
    have become automated, or stopped being (a stage's reports only ever move
    the tests mapped to it)."""
    if product.ml_tests.filter(ci_context=context).exists():
        ml_test_snapshot_record(product=product)


class GateBlocked(Exception):
    """Moving on would pass failing readiness items without an explicit override."""

    def __init__(self, failing: list[selectors.Item]):
        super().__init__(", ".join(item.label for item in failing))
        self.failing = failing


OVERRIDE_REASON = (
    "Say why it moves on although readiness items fail: the reason is recorded "
    "with the override."
)


@transaction.atomic
def product_change_stage_gated(
    *,
    product: Product,
    stage: str,
    actor: User | None,
    note: str = "",
    override: bool = False,
) -> StageChange:
    """Move a product's stage; entering pilot or production with failing readiness
    items needs `override` and a `note` saying why, and the override is recorded
    with the items (the note is its stage change's)."""
    failing = []
    if stage in selectors.GATED_STAGES and stage != product.stage:
        failing = selectors.readiness_for_product(product).failing
        if failing and not override:
            raise GateBlocked(failing)
        if failing and not note.strip():
            raise ValidationError({"stage_note": OVERRIDE_REASON})
    change = product_change_stage(product=product, stage=stage, actor=actor, note=note)
    if failing:
        GateOverride.objects.create(
            stage_change=change,
            failing_items=[{"key": i.key, "label": i.label} for i in failing],
            overridden_by=actor,
        )
    return change


@transaction.atomic
def product_update_gated(
    *, product: Product, actor: User | None, data: dict, override: bool = False
) -> list[str]:
    """product_update, with a new `stage` going through the readiness gate. The
    gate sees the other fields as changed by the same request (a missing simple
    baseline can be written and the product moved at once); when it refuses,
    GateBlocked rolls the field changes back too."""
    fields = {key: value for key, value in data.items() if key != "stage"}
    changed = product_update(product=product, actor=actor, data=fields)
    stage = data.get("stage")
    if stage and stage != product.stage:
        product_change_stage_gated(
            product=product,
            stage=stage,
            actor=actor,
            note=data.get("stage_note", ""),
            override=override,
        )
        changed.append("stage")
    return changed
