"""ci_status_report and the CI selectors, at the service level."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection
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


def _locked(product, **data):
    """The portable path (SQLite; PostgreSQL takes the one-statement upsert)."""
    report = CIStatus(product=product, sha=SHA, context="train", **data)
    return services.ci_status_report_locked(report, list(data))


def test_lost_insert_race_retries_as_an_update(product, monkeypatch):
    """What a concurrent first report that commits before ours does: our INSERT
    fails on the unique constraint; the retry finds the row."""
    _report(product)  # the row the "other request" created
    real_select = CIStatus.objects.select_for_update
    calls = {"n": 0}

    def racing_select():
        calls["n"] += 1
        queryset = real_select()
        # First attempt: the row is not visible yet (not committed).
        return queryset.none() if calls["n"] == 1 else queryset

    monkeypatch.setattr(CIStatus.objects, "select_for_update", racing_select)
    _, created = _locked(product, state="success")
    assert created is False and calls["n"] == 2
    assert CIStatus.objects.get().state == "success"
    assert CIStatusEvent.objects.count() == 2


def test_locked_path_gives_up_after_repeated_integrity_errors(product, monkeypatch):
    def always_conflict(*args, **kwargs):
        raise IntegrityError("conflict")

    monkeypatch.setattr(services, "_report_locked", always_conflict)
    with pytest.raises(IntegrityError):
        _locked(product, state="pending")


def test_locked_path_keeps_fields_left_out(product):
    _locked(product, state="pending", description="queued")
    status, created = _locked(product, state="success")
    assert created is False and status.description == "queued"


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


def _prepared_reports() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ["WITH current AS (INSERT INTO ci_cistatus %"],
        )
        return cursor.fetchone()[0]


@pytest.mark.postgres
def test_the_report_statement_is_prepared_once_per_connection(product):
    """PostgreSQL parses and plans the upsert once per connection, not once per
    report: one prepared statement per set of fields a report gives."""
    connection.ensure_connection()
    before = _prepared_reports()
    _report(product)
    _report(product, state="success")
    _report(product, state="failure", sha="b" * 40)
    assert _prepared_reports() == before + 1
    _report(product, description="queued")
    assert _prepared_reports() == before + 2
    assert CIStatusEvent.objects.count() == 4


@pytest.mark.postgres
def test_without_prepared_statements_a_report_is_not_prepared(product, monkeypatch):
    connection.ensure_connection()
    monkeypatch.setattr(connection.connection, "prepare_threshold", None)
    before = _prepared_reports()
    _report(product)
    _report(product, state="success")
    assert _prepared_reports() == before
    assert CIStatus.objects.get().state == "success"
