"""History is readable where the objects are shown, and on the product's
history page: who · when · what changed, with field names and choice labels."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.audit.conftest import drift_postmortem, last_event
from tests.factories import (
    FeatureFactory,
    MeasurementFactory,
    MetricFactory,
    SessionFactory,
)
from tracker.audit.context import acting
from tracker.audit.models import AuditEvent
from tracker.audit.selectors import entries
from tracker.incidents.services.incidents import incident_acknowledge
from tracker.postmortems.services.action_items import (
    action_item_create,
    action_item_set_status,
)
from tracker.products import services
from tracker.products.models import Stage

pytestmark = pytest.mark.django_db


def _html(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_product_history_tab_shows_its_changes_with_labels(
    alice_client, alice, product
):
    with acting(actor=alice, via="web"):
        services.product_change_stage(
            product=product, stage=Stage.DISCOVERY, actor=alice
        )
    # The product's page leads to its history tab, which shows the change.
    page = _html(alice_client, product.get_absolute_url())
    assert 'href="/products/fraud-score/history/"' in page
    html = _html(alice_client, "/products/fraud-score/history/")
    assert "<strong>Alice (alice)</strong> changed product <em>Fraud score</em>" in html
    # The field's verbose name and the choices' labels, not their stored values.
    assert '<span class="field-name">Stage</span>' in html
    assert (
        '<span class="old">Proposed</span> → <span class="new">Discovery</span>' in html
    )


def test_metric_page_shows_the_metric_and_its_measurements(
    alice_client, alice, product
):
    metric = MetricFactory(product=product, name="Losses")
    with acting(actor=alice, via="web"):
        services.metric_update(metric=metric, data={"unit": "EUR"})
        measurement = MeasurementFactory(metric=metric, value=350)
        services.measurement_delete(measurement=measurement)
    html = _html(alice_client, metric.get_absolute_url())
    assert "changed success metric <em>Losses</em>" in html
    assert "deleted measurement <em>350 at" in html
    assert f"?kind=metric&amp;object={metric.pk}" in html


def test_survey_page_lists_deleted_rows_too(alice_client, alice, product):
    row = FeatureFactory(product=product, feature="device_id")
    with acting(actor=alice, via="web"):
        services.survey_feature_delete(feature=row)
    html = _html(alice_client, "/products/fraud-score/survey/")
    assert "Survey history" in html
    assert "deleted survey feature <em>device_id</em>" in html


def test_sla_incident_and_postmortem_pages(alice_client, alice, product):
    with acting(actor=alice, via="web"):
        sla = services.sla_create(
            product=product,
            data={"name": "Latency", "indicator": "latency_p99_ms", "threshold": 120},
        )
        incident, postmortem = drift_postmortem(product, alice)
        incident_acknowledge(incident=incident, actor=alice)
        action_item_create(
            actor=alice,
            postmortem=postmortem,
            data={"description": "Alert on nulls", "kind": "detect"},
        )
    assert "created SLA <em>Latency</em>" in _html(alice_client, sla.get_absolute_url())
    html = _html(alice_client, incident.get_absolute_url())
    assert f"changed incident <em>#{incident.pk} Drift</em>" in html
    assert (
        '<span class="old">Open</span> → <span class="new">Acknowledged</span>' in html
    )
    html = _html(alice_client, postmortem.get_absolute_url())
    # The postmortem's page links to its changes, field by field.
    link = (
        f"/products/{product.slug}/history/?kind=postmortem&amp;object={postmortem.pk}"
    )
    assert f'<a href="{link}">Change history</a>' in html
    html = _html(alice_client, link.replace("&amp;", "&"))
    assert "created action item <em>Alert on nulls</em>" in html
    assert "created postmortem <em>Drift</em>" in html


def test_history_page_lists_filters_and_pages(alice_client, alice, product):
    metric = MetricFactory(product=product, name="Losses")
    MeasurementFactory.create_batch(3, metric=metric)
    with acting(actor=alice, via="web"):
        services.metric_update(metric=metric, data={"unit": "EUR"})
    html = _html(alice_client, "/products/fraud-score/history/")
    assert html.count('class="entry entry-') == 6  # product, metric, 3 values, edit
    html = _html(alice_client, "/products/fraud-score/history/?kind=measurement")
    assert html.count('class="entry entry-') == 3
    url = f"/products/fraud-score/history/?kind=metric&object={metric.pk}"
    html = _html(alice_client, url)
    assert html.count('class="entry entry-') == 5  # the metric and its values
    html = _html(alice_client, "/products/fraud-score/history/?action=update&via=web")
    assert html.count('class="entry entry-') == 1
    # Junk filters are ignored with a message, never a server error.
    html = _html(alice_client, "/products/fraud-score/history/?kind=nope&object=1e99")
    assert "Select a valid choice" in html


def test_history_page_pages_through_everything(alice_client, product):
    MeasurementFactory.create_batch(55, metric=MetricFactory(product=product))
    html = _html(alice_client, "/products/fraud-score/history/")
    assert html.count('class="entry entry-') == 50
    assert "Page 1 of 2" in html
    html = _html(alice_client, "/products/fraud-score/history/?page=2")
    assert html.count('class="entry entry-') == 7


def test_history_page_keeps_a_deleted_object_s_history(alice_client, alice, product):
    metric = MetricFactory(product=product, name="Losses")
    metric_id = metric.pk
    with acting(actor=alice, via="web"):
        metric.delete()
    html = _html(
        alice_client, f"/products/fraud-score/history/?kind=metric&object={metric_id}"
    )
    assert "created success metric <em>Losses</em>" in html
    assert "deleted success metric <em>Losses</em>" in html


def test_history_page_query_count_does_not_grow(
    alice_client, product, django_assert_num_queries
):
    metric = MetricFactory(product=product)
    MeasurementFactory.create_batch(2, metric=metric)
    alice_client.get("/products/fraud-score/history/")
    # session, user, product, count, page, and the bell's unread count
    with django_assert_num_queries(6) as small:
        alice_client.get("/products/fraud-score/history/")
    MeasurementFactory.create_batch(40, metric=metric)
    with django_assert_num_queries(len(small.captured_queries)):
        alice_client.get("/products/fraud-score/history/")


def test_history_page_needs_a_sign_in_and_a_product(carol_client, product):
    assert Client().get("/products/fraud-score/history/").status_code == 302
    assert carol_client.get("/products/nope/history/").status_code == 404
    # Like every page, readable by any signed-in person.
    assert carol_client.get("/products/fraud-score/history/").status_code == 200


def test_long_text_reads_as_an_excerpt_with_its_length(alice_client, alice, product):
    with acting(actor=alice, via="web"):
        services.product_update(
            product=product, actor=alice, data={"business_context": "y" * 1200}
        )
    assert last_event(product).changes["business_context"][1]["length"] == 1200
    html = _html(alice_client, "/products/fraud-score/history/")
    assert "(1,200 characters)" in html


def test_events_are_rendered_without_queries_per_row(product):
    MeasurementFactory.create_batch(3, metric=MetricFactory(product=product))
    events = list(AuditEvent.objects.filter(product=product))
    with CaptureQueriesContext(connection) as queries:
        rows = entries(events)
    assert len(queries) == 0 and len(rows) == 5


def test_session_page_shows_its_action_items_history(alice_client, alice, product):
    session = SessionFactory(product=product, title="Kick-off")
    with acting(actor=alice, via="web"):
        item = action_item_create(
            actor=alice, session=session, data={"description": "Ask", "kind": "process"}
        )
        action_item_set_status(item=item, actor=alice, status="done")
    html = _html(alice_client, session.get_absolute_url())
    assert "Action item history" in html
    assert '<span class="old">Open</span> → <span class="new">Done</span>' in html
    assert "?kind=action_item" in html
