"""ci_status_report and the CI selectors, at the service level."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone

from tracker.ci import services
from tracker.ci.models import CIStatus, CIStatusEvent
from tracker.ci.selectors import ci_status_combined

SHA = "abcdef1"


def _report(product, **data):
    return services.ci_status_report(
        product=product,
        sha=SHA,
        context=data.pop("context", "train"),
        data={"state": "pending", **data},
        actor=None,
        token=None,
    )


def test_report_then_update(product):
    first, created = _report(product, description="queued")
    second, created_again = _report(product, state="success")
    assert (created, created_again) == (True, False)
    assert first.pk == second.pk
    assert second.description == "queued"  # kept from the first report
    assert CIStatusEvent.objects.filter(status=first).count() == 2


def test_explicit_empty_value_clears_a_field(product):
    _report(product, description="queued")
    status, _ = _report(product, state="success", description="")
    assert status.description == ""


def test_lost_insert_race_becomes_an_update(product, monkeypatch):
    """What a concurrent first report that commits before ours does: our look-up
    finds no row, our INSERT fails on the unique constraint, and the row the
    other report made is locked and updated instead."""
    _report(product, description="queued")  # the row the "other request" created
    real_first = QuerySet.first
    calls = {"n": 0}

    def racing_first(queryset):
        if queryset.model is CIStatus:
            calls["n"] += 1
            if calls["n"] == 1:  # the row is not visible yet (not committed)
                return None
        return real_first(queryset)

    monkeypatch.setattr(QuerySet, "first", racing_first)
    status, created = _report(product, state="success")
    assert created is False and calls["n"] == 2
    assert CIStatus.objects.get().state == "success"
    assert status.description == "queued"  # kept from the first report
    assert CIStatusEvent.objects.count() == 2


def test_a_repeat_that_changes_nothing_writes_no_history(product):
    first, _ = _report(product, description="queued")
    again, created = _report(product, description="queued")
    assert created is False and again.pk == first.pk
    assert again.updated_at == first.updated_at
    assert CIStatusEvent.objects.count() == 1
    _report(product, description="queued", state="running")
    assert CIStatusEvent.objects.count() == 2


def test_history_time_never_goes_backwards(product, monkeypatch):
    """A report applied after another is recorded after it, even when its
    process's clock reads earlier."""
    status, _ = _report(product)
    later = status.updated_at + timedelta(minutes=5)
    CIStatus.objects.filter(pk=status.pk).update(updated_at=later)
    updated, _ = _report(product, state="success")
    assert updated.updated_at == later
    states = CIStatusEvent.objects.order_by("id").values_list("state", flat=True)
    assert list(states) == ["pending", "success"]
    assert CIStatusEvent.objects.latest("id").recorded_at == later


def test_completing_before_an_earlier_start_is_refused(product):
    _report(product, started_at=timezone.now())
    with pytest.raises(ValidationError) as refused:
        _report(product, completed_at=timezone.now() - timedelta(hours=1))
    assert "completed_at" in refused.value.message_dict
    assert CIStatusEvent.objects.count() == 1


def test_invalid_report_writes_nothing(product):
    with pytest.raises(ValidationError):
        _report(product, state="sideways")
    assert not CIStatus.objects.exists() and not CIStatusEvent.objects.exists()


def test_combined_status_for_unknown_sha_is_empty(product):
    _report(product)
    combined = ci_status_combined(product=product, sha="0000000")
    assert combined.state is None and combined.total_count == 0
    assert combined.sha == "0000000"
