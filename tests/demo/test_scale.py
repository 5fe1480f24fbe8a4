"""`seed_demo --scale N` (tracker/demo/scale/): the generated postmortems
hold the services' invariants and feed the library and the report."""

from collections import Counter
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.db.models import Count

from tests.factories import staff_reader
from tracker.audit.choices import Action
from tracker.audit.models import AuditEvent
from tracker.demo.scale.portfolio import seed_scale
from tracker.lib.periods import period_get
from tracker.postmortems.blameless import check_text
from tracker.postmortems.models import (
    SECTION_KEYS,
    ActionItem,
    EventKind,
    Postmortem,
    Status,
)
from tracker.postmortems.selectors.lists import library_list, library_search
from tracker.postmortems.selectors.reports import SEVERE
from tracker.products.models import Measurement, SuccessMetric
from tracker.reports.selectors.portfolio import portfolio_report

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 7, 1, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def counts(django_db_setup, django_db_blocker):
    # Seeded once for the module (a few seconds on SQLite), rolled back after.
    with django_db_blocker.unblock():
        from django.db import transaction

        with transaction.atomic():
            yield seed_scale(20, now=NOW)
            transaction.set_rollback(True)


def test_two_postmortems_per_product_in_every_state(counts):
    assert counts["products"] == 20 and counts["postmortems"] == 40
    states = Counter(Postmortem.objects.values_list("status", flat=True))
    assert set(states) == set(Status.values)
    assert states[Status.PUBLISHED] > states[Status.DRAFT] > 0


def test_postmortems_cover_severe_resolved_incidents_of_their_product(counts):
    for postmortem in Postmortem.objects.prefetch_related("incidents"):
        incidents = list(postmortem.incidents.all())
        assert incidents
        for incident in incidents:
            assert incident.product_id == postmortem.product_id
            assert incident.severity in SEVERE
            assert incident.resolved_at is not None


def test_history_matches_the_state(counts):
    for postmortem in Postmortem.objects.prefetch_related("events"):
        events = list(postmortem.events.all())
        assert events[0].kind == EventKind.CREATED
        moves = [e for e in events if e.kind == EventKind.STATUS]
        last = moves[-1].new_status if moves else Status.DRAFT
        assert last == postmortem.status
        assert all(e.at <= NOW for e in events)
        assert postmortem.created_at == events[0].at
        if postmortem.status == Status.PUBLISHED:
            assert postmortem.published_at == moves[-1].at


def test_parts_and_action_items(counts):
    assert counts["timeline_moments"] >= 4 * counts["postmortems"]
    assert counts["contributing_factors"] >= counts["postmortems"]
    per_postmortem = Postmortem.objects.annotate(n=Count("action_items"))
    assert min(p.n for p in per_postmortem) >= 2
    items = ActionItem.objects.all()
    assert all(item.owner_id and item.due_date for item in items)
    statuses = Counter(items.values_list("status", flat=True))
    assert set(statuses) == {"open", "done", "wont_do"}
    assert any(item.is_overdue(NOW.date()) for item in items)


def test_the_write_ups_are_blameless(counts):
    for postmortem in Postmortem.objects.all():
        for key in SECTION_KEYS:
            assert check_text(getattr(postmortem, key)) == [], (postmortem.pk, key)


def test_the_library_lists_and_finds_them(counts):
    published = library_list(user=staff_reader())
    assert published.count() == Postmortem.objects.filter(status="published").count()
    lead = published.first()
    word = lead.title.split(": ")[1].split()[0]  # "Upstream", "Latency", …
    found = list(library_search(published, word))
    assert lead in found and len(found) < published.count()


def test_the_report_counts_completion_and_stuck_drafts(counts):
    report = portfolio_report(
        filters={}, period=period_get(None), user=staff_reader(), now=NOW
    )
    completion = report.postmortem_completion
    assert 0 < completion.covered < completion.total
    assert sum(row.stuck_postmortems for row in report.rows) > 0


def test_the_command_reports_what_it_made(counts, capsys):
    call_command("seed_demo", scale=3)
    out = capsys.readouterr().out
    assert "3 products" in out and "6 postmortems" in out


def test_every_generated_row_of_an_audited_kind_has_its_creation_event(counts):
    events = Counter(
        AuditEvent.objects.filter(action=Action.CREATE).values_list(
            "object_type", flat=True
        )
    )
    for kind, label in (
        ("products", "products.product"),
        ("metrics", "products.successmetric"),
        ("measurements", "products.measurement"),
        ("incidents", "incidents.incident"),
        ("postmortems", "postmortems.postmortem"),
        ("action_items", "postmortems.actionitem"),
    ):
        assert events[label] == counts[kind], label
    measurement = AuditEvent.objects.filter(object_type="products.measurement").first()
    assert measurement.product_slug.startswith("scale-")
    assert measurement.parent_type == "products.successmetric"


def test_rows_made_after_the_seed_take_new_ids(counts):
    # On PostgreSQL the seed COPYs rows with ids taken from the sequences.
    metric = SuccessMetric.objects.order_by("pk").first()
    latest = Measurement.objects.order_by("pk").last()
    made = Measurement.objects.create(metric=metric, value=1.0, measured_at=NOW)
    assert made.pk > latest.pk
    assert Measurement.objects.get(pk=latest.pk).metric_id == latest.metric_id
