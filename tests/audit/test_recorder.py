"""The service layer records every create, update and delete of the governed
models, with who, how and old → new; no-op saves record nothing."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from tests.audit.conftest import (
    audit_cost,
    drift_postmortem,
    events_of,
    last_event,
    queries_of,
)
from tests.factories import (
    FeatureFactory,
    IncidentFactory,
    MeasurementFactory,
    MetricFactory,
    ProductFactory,
    SessionFactory,
    SLAFactory,
    UserFactory,
)
from tracker.audit.context import acting
from tracker.audit.models import Action, AuditEvent, Via
from tracker.audit.recorder import EXCERPT, record_created
from tracker.incidents.services.incidents import (
    incident_acknowledge,
    incident_open,
    incident_update,
)
from tracker.postmortems.models import ActionItem, Postmortem
from tracker.postmortems.services.action_items import (
    action_item_create,
    action_item_set_status,
)
from tracker.postmortems.services.writeup import postmortem_update
from tracker.products import services
from tracker.products.models import FeatureSource, Measurement, Product, Stage

pytestmark = pytest.mark.django_db


def test_product_create_records_who_how_and_values(as_alice, team):
    product = services.product_create(
        actor=as_alice,
        data={"name": "Churn", "slug": "churn", "team": team, "pm_owner": as_alice},
    )
    event = last_event(product)
    assert event.action == Action.CREATE
    assert (event.actor_id, event.actor_label, event.via) == (
        as_alice.pk,
        "Alice (alice)",
        Via.WEB,
    )
    assert (event.product_id, event.product_slug) == (product.pk, "churn")
    assert event.object_repr == "Churn"
    assert event.changes["name"] == [None, "Churn"]
    assert event.changes["stage"] == [None, "proposed"]  # the choice's value
    assert event.changes["team"] == [None, {"id": team.pk, "label": "Risk"}]
    assert event.changes["pm_owner"] == [
        None,
        {"id": as_alice.pk, "label": "Alice (alice)"},
    ]
    # Timestamps the database keeps and empty fields are left out.
    assert "created_at" not in event.changes and "summary" not in event.changes


def test_product_update_records_old_and_new(as_alice, product, bob):
    services.product_update(
        product=product,
        actor=as_alice,
        data={"name": "Fraud score v2", "ml_owner": bob, "risk_tier": "high"},
    )
    event = last_event(product)
    assert event.action == Action.UPDATE
    assert event.changes == {
        "name": ["Fraud score", "Fraud score v2"],
        "risk_tier": ["medium", "high"],
        "ml_owner": [None, {"id": bob.pk, "label": "Bob (bob)"}],
    }


def test_a_stage_move_costs_one_read_and_one_insert(as_alice, product, team):
    other = ProductFactory(team=team, pm_owner=product.pm_owner)
    extra = audit_cost(
        lambda: services.product_change_stage(
            product=other, stage=Stage.DISCOVERY, actor=as_alice
        ),
        lambda: services.product_change_stage(
            product=product, stage=Stage.DISCOVERY, actor=as_alice
        ),
    )
    assert extra == 2  # the old values are read, the event inserted
    changes = last_event(product).changes
    assert changes["stage"] == ["proposed", "discovery"]
    assert "stage_entered_at" in changes


def test_an_edit_through_model_update_costs_one_read_and_one_insert(
    as_alice, product, team
):
    other = ProductFactory(team=team, pm_owner=product.pm_owner)
    extra = audit_cost(
        lambda: services.product_update(
            product=other, actor=as_alice, data={"summary": "New"}
        ),
        lambda: services.product_update(
            product=product, actor=as_alice, data={"summary": "New"}
        ),
    )
    assert extra == 2


def test_a_save_without_old_values_reads_the_row_once(as_alice, product, team):
    other = ProductFactory(team=team, pm_owner=product.pm_owner)

    def rename(p):
        p.name = "Renamed"
        p.save()

    assert audit_cost(lambda: rename(other), lambda: rename(product)) == 2


def test_no_op_saves_record_nothing(as_alice, product):
    before = AuditEvent.objects.count()
    assert services.product_update(product=product, actor=as_alice, data={}) == []
    services.product_update(
        product=product, actor=as_alice, data={"name": product.name}
    )
    product.save()  # as the admin's "Save" without a change
    Product.objects.get(pk=product.pk).save(update_fields=["updated_at"])
    assert AuditEvent.objects.count() == before


def test_metric_create_update_and_delete(as_alice, product):
    metric = services.metric_create(
        product=product,
        data={"name": "Losses", "baseline": 410, "baseline_at": date(2026, 1, 15)},
    )
    services.metric_update(metric=metric, data={"baseline": 400, "kind": "guardrail"})
    metric_id = metric.pk
    metric.delete()
    create, update, delete = AuditEvent.objects.filter(
        object_type="products.successmetric", object_id=metric_id
    ).order_by("id")
    assert create.changes["baseline_at"] == [None, "2026-01-15"]
    assert update.changes == {
        "baseline": [410.0, 400.0],
        "kind": ["business_kpi", "guardrail"],
    }
    assert delete.action == Action.DELETE
    assert delete.changes["name"] == ["Losses", None]
    assert {e.product_slug for e in (create, update, delete)} == {"fraud-score"}


def test_measurements_are_recorded_under_their_metric(as_alice, product):
    metric = MetricFactory(product=product, name="Losses")
    at = timezone.now() - timedelta(hours=1)
    measurement = services.measurement_record(
        metric=metric, value=350, measured_at=at, actor=as_alice, source="api"
    )
    created = last_event(measurement)
    assert (created.parent_type, created.parent_id) == (
        "products.successmetric",
        metric.pk,
    )
    assert created.product_id == product.pk
    assert created.changes["value"] == [None, 350.0]
    assert created.changes["source"] == [None, "api"]
    # Moving the metric's next follow-up is bookkeeping, not a change to record.
    assert events_of(metric, action=Action.UPDATE) == []
    measurement_id = measurement.pk
    services.measurement_delete(measurement=measurement)
    deleted = AuditEvent.objects.get(
        object_type="products.measurement", object_id=measurement_id, action="delete"
    )
    assert deleted.changes["value"] == [350.0, None]
    assert deleted.object_repr.startswith("350 at ")


def test_sla_create_and_update(as_alice, product):
    sla = services.sla_create(
        product=product,
        data={"name": "Latency", "indicator": "latency_p99_ms", "threshold": 120},
    )
    services.sla_update(sla=sla, data={"threshold": 100, "comparator": "gte"})
    create, update = events_of(sla)
    assert create.changes["indicator"] == [None, "latency_p99_ms"]
    assert update.changes == {"threshold": [120.0, 100.0], "comparator": ["lte", "gte"]}


def test_survey_rows_create_update_delete(as_alice, product):
    row = services.survey_feature_create(
        product=product,
        data={
            "feature": "device_id",
            "source_kind": "stream",
            "freshness_needed": timedelta(minutes=15),
        },
    )
    services.survey_feature_update(
        feature=row, data={"available_in_production": "no", "skew_risk": "high"}
    )
    row_id = row.pk
    services.survey_feature_delete(feature=row)
    kinds = [
        (e.action, e.changes)
        for e in AuditEvent.objects.filter(
            object_type="products.featuresource", object_id=row_id
        ).order_by("id")
    ]
    assert kinds[0][1]["freshness_needed"] == [None, "15m"]  # a readable duration
    assert kinds[1] == (
        "update",
        {"available_in_production": ["unknown", "no"], "skew_risk": ["medium", "high"]},
    )
    assert kinds[2][0] == "delete"


def test_incident_lifecycle(as_alice, product, bob):
    incident = incident_open(
        actor=as_alice, data={"product": product, "title": "Drift", "kind": "drift"}
    )
    other = incident_open(actor=as_alice, data={"product": product, "title": "Other"})
    extra = audit_cost(
        lambda: incident_acknowledge(incident=other, actor=bob),
        lambda: incident_acknowledge(incident=incident, actor=bob),
    )
    assert extra == 2  # the old values are read, the event inserted
    incident_update(
        incident=incident,
        actor=as_alice,
        data={"severity": "sev1", "title": "Drift in scores", "status": "resolved"},
    )
    opened, acknowledged, changed, resolved = events_of(incident)
    assert opened.changes["title"] == [None, "Drift"]
    assert acknowledged.changes["status"] == ["open", "acknowledged"]
    assert acknowledged.changes["acknowledged_at"][0] is None
    assert changed.changes == {
        "title": ["Drift", "Drift in scores"],
        "severity": ["sev3", "sev1"],
    }
    assert resolved.changes["status"] == ["acknowledged", "resolved"]


def test_postmortem_and_action_items(as_alice, product, bob):
    incident, postmortem = drift_postmortem(product, as_alice)
    postmortem_update(
        postmortem=postmortem,
        actor=as_alice,
        data={"summary": "x" * 2000, "reviewers": [bob]},
    )
    item = action_item_create(
        actor=as_alice,
        postmortem=postmortem,
        data={"description": "Alert on nulls", "kind": "detect", "owner": bob},
    )
    action_item_set_status(
        item=item, actor=as_alice, status="wont_do", note="Covered elsewhere"
    )
    changes = [e.changes for e in events_of(postmortem, action=Action.UPDATE)]
    # The incidents and authors set at creation, then the section and reviewers.
    assert {
        "incidents": [[], [{"id": incident.pk, "label": f"#{incident.pk} Drift"}]]
    } in changes
    summary = next(c["summary"] for c in changes if "summary" in c)
    assert summary[0] == ""
    assert summary[1]["length"] == 2000  # long text: an excerpt and its length
    assert len(summary[1]["excerpt"]) <= EXCERPT + 1
    assert {"reviewers": [[], [{"id": bob.pk, "label": "Bob (bob)"}]]} in changes
    created, closed = events_of(item)
    assert (created.parent_type, created.parent_id) == (
        "postmortems.postmortem",
        postmortem.pk,
    )
    assert created.product_slug == "fraud-score"
    assert closed.changes["status"] == ["open", "wont_do"]
    assert closed.changes["status_note"] == ["", "Covered elsewhere"]


def test_action_items_of_a_session_belong_to_its_product(as_alice, product):
    session = SessionFactory(product=product)
    item = action_item_create(
        actor=as_alice, session=session, data={"description": "Ask", "kind": "process"}
    )
    event = last_event(item)
    assert (event.parent_type, event.parent_id) == (
        "products.planningsession",
        session.pk,
    )
    assert event.changes["session"][1]["label"] == session.title
    assert event.product_id == product.pk


def test_deleting_a_product_records_every_cascaded_delete(as_alice, product):
    metric = MetricFactory(product=product)
    measurements = MeasurementFactory.create_batch(3, metric=metric)
    sla = SLAFactory(product=product)
    row = FeatureFactory(product=product)
    item = action_item_create(
        actor=as_alice,
        session=SessionFactory(product=product),
        data={"description": "Ask", "kind": "process"},
    )
    product_id = product.pk
    product.delete()
    deleted = AuditEvent.objects.filter(product_id=product_id, action="delete")
    assert sorted(deleted.values_list("object_type", "object_id")) == sorted(
        [
            ("products.product", product_id),
            ("products.successmetric", metric.pk),
            *(("products.measurement", m.pk) for m in measurements),
            ("products.servicelevel", sla.pk),
            ("products.featuresource", row.pk),
            ("postmortems.actionitem", item.pk),
        ]
    )
    assert set(deleted.values_list("product_slug", flat=True)) == {"fraud-score"}
    # The product's whole history stays, creates included.
    assert (
        AuditEvent.objects.filter(product_id=product_id, action="create").count() == 8
    )


def test_a_cascade_costs_a_lookup_and_an_insert_per_row(product):
    metric = MetricFactory(product=product)
    MeasurementFactory.create_batch(5, metric=metric)
    metric_id = metric.pk
    sql = queries_of(metric.delete)  # outside any request or task, too
    lookups = [
        q for q in sql if q.startswith('SELECT "products_successmetric"."product_id"')
    ]
    assert len(lookups) == 5  # each measurement's product, while its metric exists
    assert len([q for q in sql if q.startswith('INSERT INTO "audit_auditevent"')]) == 6
    deleted = AuditEvent.objects.filter(action="delete", parent_id=metric_id)
    assert set(deleted.values_list("product_slug", flat=True)) == {product.slug}
    assert deleted.count() == 5
    assert AuditEvent.objects.filter(action="delete", object_id=metric_id).exists()


def test_deleting_a_person_records_the_keys_set_to_null(as_alice, product):
    dan = UserFactory(username="dan", first_name="Dan")
    metric = MetricFactory(product=product, owner=dan)
    with acting(actor=dan, via="web"):
        services.metric_update(metric=metric, data={"unit": "EUR"})
    dan_id = dan.pk
    dan.delete()
    event = last_event(metric)
    assert event.changes == {"owner": [{"id": dan_id, "label": "Dan (dan)"}, None]}
    # Dan's own events stay, still naming him.
    update = AuditEvent.objects.get(actor_id=dan_id)
    assert update.actor_label == "Dan (dan)"


def test_deleted_survey_row_keeps_its_values(as_alice, product):
    row = FeatureFactory(product=product, feature="device_id", skew_risk="high")
    row_id = row.pk
    FeatureSource.objects.filter(pk=row_id).delete()  # a queryset delete too
    event = AuditEvent.objects.get(object_id=row_id, action="delete")
    assert event.changes["feature"] == ["device_id", None]
    assert event.changes["skew_risk"] == ["high", None]


def test_writes_outside_any_context_are_attributed_to_the_command_line(product):
    event = last_event(product)
    assert (event.actor_id, event.via, event.actor_label) == (
        None,
        Via.COMMAND,
        "command line",
    )


def test_acting_names_a_source_that_is_not_a_person(team):
    with acting(via="import", label="import of products.json"):
        product = Product.objects.create(
            name="Imported", slug="imported", team=team, stage_entered_at=timezone.now()
        )
    event = last_event(product)
    assert (event.via, event.actor_label, event.actor_id) == (
        "import",
        "import of products.json",
        None,
    )
    with pytest.raises(ValueError), acting(via="telepathy"):
        pass


def test_bulk_created_rows_are_recorded_in_bulk(product, django_assert_num_queries):
    metric = MetricFactory(product=product)
    rows = Measurement.objects.bulk_create(
        [
            Measurement(metric=metric, value=v, measured_at=timezone.now())
            for v in (1.0, 2.0, 3.0)
        ]
    )
    with django_assert_num_queries(1):
        assert record_created(rows) == 3
    assert (
        AuditEvent.objects.filter(
            object_type="products.measurement", parent_id=metric.pk, action="create"
        ).count()
        == 3
    )


def test_celery_tasks_act_as_the_system(product):
    from celery import shared_task

    @shared_task(name="tests.audit.rename_product")
    def rename(pk):
        services.product_update(
            product=Product.objects.get(pk=pk), actor=None, data={"name": "Renamed"}
        )

    rename.apply(args=[product.pk])
    event = last_event(product)
    assert (event.via, event.actor_label) == (Via.TASK, "system task rename_product")


def _postmortem(product):
    return Postmortem.objects.create(product=product, title="Drift")


GOVERNED = {
    "product": (lambda p: ProductFactory(team=p.team), "name"),
    "metric": (lambda p: MetricFactory(product=p), "name"),
    "measurement": (
        lambda p: MeasurementFactory(metric=MetricFactory(product=p)),
        "note",
    ),
    "sla": (lambda p: SLAFactory(product=p), "name"),
    "survey": (lambda p: FeatureFactory(product=p), "owner"),
    "incident": (lambda p: IncidentFactory(product=p), "title"),
    "postmortem": (_postmortem, "title"),
    "action_item": (
        lambda p: ActionItem.objects.create(
            postmortem=_postmortem(p), description="Alert", kind="detect"
        ),
        "description",
    ),
}


@pytest.mark.parametrize("kind", GOVERNED)
def test_every_governed_model_records_create_update_and_delete(kind, alice, product):
    make, field = GOVERNED[kind]
    with acting(actor=alice, via="admin"):  # the admin saves models directly
        obj = make(product)
        old = getattr(obj, field)
        setattr(obj, field, "Changed")
        obj.save()
        pk = obj.pk
        obj.delete()
    label = obj._meta.label_lower
    events = AuditEvent.objects.filter(object_type=label, object_id=pk).order_by("id")
    assert [e.action for e in events] == ["create", "update", "delete"]
    assert {(e.actor_id, e.via) for e in events} == {(alice.pk, "admin")}
    assert events[1].changes == {field: [old, "Changed"]}
    assert events[2].changes[field] == ["Changed", None]
    expected = obj.slug if kind == "product" else "fraud-score"
    assert {e.product_slug for e in events} == {expected}
    assert AuditEvent.objects.get(pk=events[0].pk).kind == kind
