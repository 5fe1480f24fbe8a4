"""Postmortem pages: reading, writing, the live blameless check, the workflow,
action items from postmortems and planning sessions, a person's page, print
and Markdown export; permissions (alice writes, bob is on the team, carol is an
outsider) and query-count guards."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import SessionFactory
from tests.postmortems.conftest import FILLED, make_ready, move, resolved_incident
from tracker.postmortems.models import ActionItem, Postmortem, Status
from tracker.postmortems.services.action_items import action_item_create
from tracker.postmortems.services.parts import factor_add, moment_add
from tracker.postmortems.services.warnings import warning_accept
from tracker.postmortems.services.writeup import (
    postmortem_create,
    postmortem_transition,
    postmortem_update,
)

HTMX = {"HX-Request": "true"}


# --- Reading ------------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(client, postmortem):
    for url in (
        "/postmortems/",
        "/postmortems/library/",
        postmortem.get_absolute_url(),
        f"/postmortems/{postmortem.pk}/print/",
        f"/postmortems/{postmortem.pk}/export.md",
        "/me/",
        "/people/alice/",
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/accounts/login/" in response["Location"]


def test_outsider_reads_drafts_but_gets_no_controls(carol_client, postmortem):
    response = carol_client.get(postmortem.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert "Drift after retraining" in html
    assert "Everyone signed in to the tracker can read this postmortem" in html
    for control in (
        "Edit write-up",
        "Add a moment",
        "Add an action item",
        "Submit for",
    ):
        assert control not in html
    for url in ("/postmortems/", "/postmortems/library/", "/people/alice/"):
        assert carol_client.get(url).status_code == 200


def test_unknown_postmortem_is_404(alice_client):
    assert alice_client.get("/postmortems/999999/").status_code == 404
    assert alice_client.get("/people/nobody-here/").status_code == 404


def test_detail_shows_the_document(alice_client, postmortem, alice):
    postmortem_update(
        postmortem=postmortem,
        actor=alice,
        data={
            "summary": "**Bold** summary <script>alert(1)</script>",
            "lucky_na": True,
        },
    )
    response = alice_client.get(postmortem.get_absolute_url())
    html = response.content.decode()
    assert "<strong>Bold</strong> summary &lt;script&gt;" in html
    assert "<script>alert(1)</script>" not in html
    assert "Not applicable." in html
    assert "Time to detect" in html and "12m" in html
    assert "Ready to publish?" in html
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_list_and_library(alice_client, published, postmortem):
    html = alice_client.get("/postmortems/").content.decode()
    assert "Drift after retraining" in html
    library = alice_client.get("/postmortems/library/?q=lessons").content.decode()
    assert "1 published postmortem" in library
    assert "Lessons learned" in library


def test_library_lists_only_published_and_filters(alice_client, reviewed, alice, bob):
    published = reviewed
    draft = postmortem_create(
        product=published.product,
        actor=alice,
        data={
            "title": "Unpublished draft",
            "incidents": list(published.incidents.all()),
        },
    )
    factor_add(
        postmortem=published,
        actor=alice,
        data={
            "category": "data",
            "ml_kind": "label_delay",
            "description": "Late labels.",
        },
    )
    move(published, bob, Status.REVIEWED)  # the factor sent it back to review
    move(published, alice, Status.PUBLISHED)
    html = alice_client.get("/postmortems/library/").content.decode()
    assert published.title in html and draft.title not in html
    for query, shown in (
        ("category=data", True),
        ("category=infra", False),
        ("product=fraud-score", True),
        ("period=30d", True),
        ("q=labels", True),
        ("q=zeppelin", False),
    ):
        html = alice_client.get(f"/postmortems/library/?{query}").content.decode()
        assert (published.title in html) is shown, query
    rows = alice_client.get("/postmortems/library/?q=labels", headers=HTMX)
    assert b"<html" not in rows.content and published.title.encode() in rows.content


# --- Creating -----------------------------------------------------------------------


def test_create_from_the_new_page(alice_client, incident, product):
    first = alice_client.get("/postmortems/new/").content.decode()
    # A picker of the products alice may write about, submitting the slug.
    assert 'data-picker="/pick/products/" data-value-key="slug"' in first
    assert 'data-param-editable="1"' in first
    form = alice_client.get(f"/postmortems/new/?product={product.slug}")
    # The incidents are picked among the product's.
    assert 'data-picker="/pick/incidents/"' in form.content.decode()
    assert 'data-param-product="fraud-score"' in form.content.decode()
    response = alice_client.post(
        "/postmortems/new/",
        {"product": product.pk, "title": "Drift", "incidents": [incident.pk]},
    )
    postmortem = Postmortem.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/postmortems/{postmortem.pk}/edit/"


def test_create_needs_an_incident_or_a_failure_kind(alice_client, incident, product):
    response = alice_client.post(
        "/postmortems/new/", {"product": product.pk, "title": "Drift"}
    )
    assert response.status_code == 200
    assert b"names how the product failed" in response.content
    assert not Postmortem.objects.exists()


def test_create_a_product_failure_postmortem(alice_client, product):
    response = alice_client.post(
        "/postmortems/new/",
        {
            "product": product.pk,
            "title": "Nobody used it",
            "failure_kind": "not_adopted",
        },
    )
    postmortem = Postmortem.objects.get()
    assert response["Location"] == f"/postmortems/{postmortem.pk}/edit/"
    assert postmortem.failure_kind == "not_adopted"
    assert not postmortem.incidents.exists()
    page = alice_client.get(f"/postmortems/{postmortem.pk}/")
    assert b"Product failure" in page.content


def test_the_create_form_takes_the_offered_failure_kind(alice_client, product):
    response = alice_client.get(
        f"/postmortems/new/?product={product.slug}&failure_kind=kpi_not_met"
    )
    assert b'<option value="kpi_not_met" selected>' in response.content


def test_outsider_cannot_create(carol_client, incident):
    assert carol_client.get("/postmortems/new/").status_code == 403


def test_write_postmortem_button_on_the_incident_page(alice_client, incident):
    page = alice_client.get(incident.get_absolute_url()).content.decode()
    assert "Write postmortem" in page
    response = alice_client.post(f"/postmortems/from-incident/{incident.pk}/")
    postmortem = Postmortem.objects.get()
    assert response["Location"] == f"/postmortems/{postmortem.pk}/edit/"
    assert postmortem.timeline.count() == 4
    page = alice_client.get(incident.get_absolute_url()).content.decode()
    assert postmortem.get_absolute_url() in page
    assert "Write postmortem" not in page
    again = alice_client.post(f"/postmortems/from-incident/{incident.pk}/")
    assert again["Location"] == postmortem.get_absolute_url()


def test_outsider_has_no_write_postmortem_button(carol_client, incident):
    page = carol_client.get(incident.get_absolute_url()).content.decode()
    assert "Write postmortem" not in page
    response = carol_client.post(f"/postmortems/from-incident/{incident.pk}/")
    assert response.status_code == 403
    assert not Postmortem.objects.exists()


# --- Writing ------------------------------------------------------------------------


def _write_up(**changes):
    data = {**FILLED, **changes}
    return {k: v for k, v in data.items() if v is not False}


def test_editor_saves_sections_and_flags(alice_client, postmortem):
    page = alice_client.get(f"/postmortems/{postmortem.pk}/edit/").content.decode()
    assert f'hx-post="/postmortems/{postmortem.pk}/check/summary/"' in page
    assert 'hx-trigger="input changed delay:600ms"' in page
    response = alice_client.post(
        f"/postmortems/{postmortem.pk}/edit/",
        _write_up(lucky="", lucky_na="on", users_affected="1200"),
    )
    assert response.status_code == 302
    postmortem.refresh_from_db()
    assert postmortem.summary == FILLED["summary"]
    assert postmortem.lucky_na and postmortem.users_affected == 1200


def test_editor_shows_field_errors(alice_client, postmortem):
    response = alice_client.post(
        f"/postmortems/{postmortem.pk}/edit/", _write_up(error_budget_consumed="-5")
    )
    assert response.status_code == 400


def test_live_check_returns_the_warnings_fragment(bob_client, postmortem):
    response = bob_client.post(
        f"/postmortems/{postmortem.pk}/check/went_wrong/",
        {"went_wrong": "It was human error; `human error` in code is fine."},
        headers=HTMX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert html.count('class="bw-phrase"') == 1
    assert "human error</mark>" in html
    assert "condition" in html  # the suggestion
    clean = bob_client.post(
        f"/postmortems/{postmortem.pk}/check/went_wrong/",
        {"went_wrong": "The schema changed."},
        headers=HTMX,
    )
    assert b"No blaming language here." in clean.content


def test_live_check_shows_accepted_phrases_as_accepted(
    alice_client, postmortem, alice, bob
):
    postmortem_update(
        postmortem=postmortem,
        actor=alice,
        data={"reviewers": [bob], "summary": "We avoided the word blame."},
    )
    warning_accept(warning=postmortem.warnings.get(), actor=bob)
    html = alice_client.post(
        f"/postmortems/{postmortem.pk}/check/summary/",
        {"summary": "We still avoided the word blame."},
        headers=HTMX,
    ).content.decode()
    assert "Accepted by Bob." in html


def test_live_check_of_an_unknown_section_is_404(alice_client, postmortem):
    response = alice_client.post(f"/postmortems/{postmortem.pk}/check/nonsense/", {})
    assert response.status_code == 404


def test_details_page_sets_people(alice_client, postmortem, bob, incident):
    url = f"/postmortems/{postmortem.pk}/details/"
    assert alice_client.get(url).status_code == 200
    response = alice_client.post(
        url,
        {
            "title": "Renamed",
            "incidents": [incident.pk],
            "authors": [postmortem.authors.get().pk],
            "reviewers": [bob.pk],
            "review_owner": bob.pk,
            "review_meeting_at": "2026-12-01T10:00",
        },
    )
    assert response.status_code == 302
    postmortem.refresh_from_db()
    assert postmortem.title == "Renamed" and postmortem.review_owner == bob
    assert list(postmortem.reviewers.all()) == [bob]


def test_details_refuses_an_author_as_reviewer(
    alice_client, postmortem, alice, incident
):
    response = alice_client.post(
        f"/postmortems/{postmortem.pk}/details/",
        {
            "title": "x",
            "incidents": [incident.pk],
            "authors": [alice.pk],
            "reviewers": [alice.pk],
        },
    )
    assert response.status_code == 400
    assert b"cannot also be a reviewer" in response.content


def test_details_refuses_out_of_range_ids(alice_client, postmortem):
    response = alice_client.post(
        f"/postmortems/{postmortem.pk}/details/",
        {
            "title": "x",
            "incidents": ["99999999999999999999999"],
            "review_owner": "1e99",
        },
    )
    assert response.status_code == 400


# --- Workflow -----------------------------------------------------------------------


def test_workflow_through_the_page(client, postmortem, alice, bob):
    make_ready(postmortem, author=alice, reviewer=bob)
    url = f"/postmortems/{postmortem.pk}/transition/"
    client.force_login(alice)
    client.post(url, {"status": "in_review"})
    postmortem.refresh_from_db()
    assert postmortem.status == Status.IN_REVIEW
    # alice is not a reviewer: the page does not offer it, the server refuses it.
    assert b"Mark reviewed" not in client.get(postmortem.get_absolute_url()).content
    assert client.post(url, {"status": "reviewed"}).status_code == 403
    client.force_login(bob)
    assert b"Mark reviewed" in client.get(postmortem.get_absolute_url()).content
    client.post(url, {"status": "reviewed"})
    response = client.post(url, {"status": "published"}, follow=True)
    assert b"Published. It is in the library now." in response.content
    postmortem.refresh_from_db()
    assert postmortem.status == Status.PUBLISHED


def test_refused_moves_say_why(alice_client, postmortem):
    url = f"/postmortems/{postmortem.pk}/transition/"
    response = alice_client.post(url, {"status": "in_review"}, follow=True)
    assert b"Add at least one reviewer" in response.content
    response = alice_client.post(url, {"status": "published"}, follow=True)
    assert b"cannot become published" in response.content
    assert alice_client.post(url, {"status": "nonsense"}).status_code == 400


def test_back_to_draft_needs_a_reason(alice_client, reviewed):
    url = f"/postmortems/{reviewed.pk}/transition/"
    response = alice_client.post(url, {"status": "draft"}, follow=True)
    assert b"Say why it goes back to draft." in response.content
    alice_client.post(url, {"status": "draft", "reason": "Timeline incomplete."})
    reviewed.refresh_from_db()
    assert reviewed.status == Status.DRAFT
    assert (
        b"Timeline incomplete." in alice_client.get(reviewed.get_absolute_url()).content
    )


def test_reviewer_accepts_a_warning(client, postmortem, alice, bob):
    postmortem_update(
        postmortem=postmortem,
        actor=alice,
        data={"reviewers": [bob], "lessons": "Not a careless mistake."},
    )
    warning = postmortem.warnings.get()
    url = f"/postmortems/{postmortem.pk}/warnings/{warning.pk}/accept/"
    client.force_login(alice)
    assert client.post(url).status_code == 403
    client.force_login(bob)
    client.post(url)
    warning.refresh_from_db()
    assert warning.accepted_by == bob


# --- Timeline, factors, impacts -----------------------------------------------------


def test_timeline_editing(alice_client, postmortem):
    base = f"/postmortems/{postmortem.pk}/timeline/"
    alice_client.post(
        base,
        {
            "moment-at": "2026-11-20T10:00",
            "moment-kind": "mitigated",
            "moment-description": "Fallback on.",
        },
    )
    moment = postmortem.timeline.get(kind="mitigated")
    star = alice_client.post(f"{base}{moment.pk}/star/", headers=HTMX)
    assert star.status_code == 200 and b'class="star on"' in star.content
    assert b"<html" not in star.content
    moment.refresh_from_db()
    assert moment.starred
    response = alice_client.post(
        f"{base}{moment.pk}/edit/",
        {
            "moment-at": "2026-11-20T10:05",
            "moment-kind": "mitigated",
            "moment-description": "Fallback rules on.",
            "moment-starred": "on",
        },
    )
    assert response.status_code == 302
    moment.refresh_from_db()
    assert moment.description == "Fallback rules on."
    alice_client.post(f"{base}{moment.pk}/delete/")
    assert not postmortem.timeline.filter(pk=moment.pk).exists()
    response = alice_client.post(f"{base}prefill/", follow=True)
    assert b"already has everything" in response.content


def test_invalid_moment_shows_the_form_again(alice_client, postmortem):
    response = alice_client.post(
        f"/postmortems/{postmortem.pk}/timeline/", {"moment-kind": "note"}
    )
    assert response.status_code == 400
    assert b"This field is required." in response.content


def test_factors(alice_client, postmortem):
    base = f"/postmortems/{postmortem.pk}/factors/"
    response = alice_client.post(
        base,
        {
            "factor-category": "infra",
            "factor-ml_kind": "stale_model",
            "factor-description": "x",
        },
    )
    assert response.status_code == 400
    assert (
        b"ML-specific kinds apply to data, model or code factors." in response.content
    )
    alice_client.post(
        base,
        {
            "factor-category": "model",
            "factor-ml_kind": "stale_model",
            "factor-description": "No retraining for five weeks.",
        },
    )
    factor = postmortem.factors.get()
    assert alice_client.get(f"{base}{factor.pk}/edit/").status_code == 200
    alice_client.post(
        f"{base}{factor.pk}/edit/",
        {
            "factor-category": "model",
            "factor-ml_kind": "",
            "factor-description": "Old.",
        },
    )
    factor.refresh_from_db()
    assert factor.description == "Old."
    alice_client.post(f"{base}{factor.pk}/delete/")
    assert not postmortem.factors.exists()


def test_kpi_impacts(alice_client, postmortem, product):
    from tests.factories import MetricFactory

    kpi = MetricFactory(product=product, name="Approval rate")
    base = f"/postmortems/{postmortem.pk}/impacts/"
    alice_client.post(base, {"impact-metric": kpi.pk, "impact-change": "-4%"})
    impact = postmortem.metric_impacts.get()
    assert b"Approval rate" in alice_client.get(postmortem.get_absolute_url()).content
    alice_client.post(f"{base}{impact.pk}/delete/")
    assert not postmortem.metric_impacts.exists()


FROM_METRICS = 'FROM "products_successmetric"'


def test_the_impact_page_lists_the_products_kpis_read_once(
    alice_client, postmortem, product
):
    from tests.factories import MetricFactory

    assert (
        "Record a KPI it moved"
        in alice_client.get(postmortem.get_absolute_url()).content.decode()
    )
    url = f"/postmortems/{postmortem.pk}/impacts/"
    html = alice_client.get(url).content.decode()
    assert "has no KPIs yet" in html
    assert f'href="/products/{product.slug}/metrics/"' in html
    assert 'name="impact-metric"' not in html
    MetricFactory(product=product, name="Approval rate")
    MetricFactory(product=product, name="Losses")
    with CaptureQueriesContext(connection) as queries:
        html = alice_client.get(url).content.decode()
    assert "has no KPIs yet" not in html
    assert html.count("Approval rate</option>") == html.count("Losses</option>") == 1
    read = [q["sql"] for q in queries if FROM_METRICS in q["sql"]]
    assert len(read) == 1 and "CURSOR" not in read[0]


ADD_PAGES = {
    "timeline": ("Add a moment", 'name="moment-description"'),
    "factors": ("Add a contributing factor", 'name="factor-description"'),
    "actions": ("Add an action item", 'name="action-description"'),
}


def test_the_page_links_to_each_parts_form_instead_of_holding_it(
    alice_client, postmortem
):
    html = alice_client.get(postmortem.get_absolute_url()).content.decode()
    for part, (label, field) in ADD_PAGES.items():
        assert f'href="/postmortems/{postmortem.pk}/{part}/">{label}</a>' in html
        assert field not in html
    assert 'name="impact-metric"' not in html


@pytest.mark.parametrize("part", ADD_PAGES)
def test_each_part_has_a_page_of_its_own(alice_client, carol, postmortem, part):
    url = f"/postmortems/{postmortem.pk}/{part}/"
    label, field = ADD_PAGES[part]
    response = alice_client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert f"<h1>{label}</h1>" in html and field in html
    assert f'href="{postmortem.get_absolute_url()}' in html  # Cancel
    outsider = Client()
    outsider.force_login(carol)
    assert outsider.get(url).status_code == 403


def test_add_and_write_another_comes_back_to_an_empty_form(alice_client, postmortem):
    url = f"/postmortems/{postmortem.pk}/timeline/"
    moment = {
        "moment-at": "2026-11-20T10:00",
        "moment-kind": "note",
        "moment-description": "Paged the on-call.",
    }
    response = alice_client.post(url, {**moment, "another": "1"})
    assert response.status_code == 302 and response["Location"] == url
    response = alice_client.post(url, moment)
    assert response["Location"] == f"{postmortem.get_absolute_url()}#timeline"
    assert postmortem.timeline.filter(description="Paged the on-call.").count() == 2


def test_a_published_postmortems_part_pages_send_back_to_it(alice_client, published):
    for part in (*ADD_PAGES, "impacts"):
        response = alice_client.get(f"/postmortems/{published.pk}/{part}/")
        assert response.status_code == 302
        assert response["Location"] == published.get_absolute_url()


# --- Action items -------------------------------------------------------------------


def _action(prefix="action-", **overrides):
    data = {
        "description": "Alert on null rates",
        "kind": "detect",
        "priority": "high",
        "due_date": (timezone.localdate() - timedelta(days=2)).isoformat(),
    }
    return {f"{prefix}{k}": v for k, v in {**data, **overrides}.items()}


def test_action_items_on_a_postmortem(alice_client, postmortem, alice):
    response = alice_client.post(
        f"/postmortems/{postmortem.pk}/actions/", _action(owner=alice.pk)
    )
    assert response.status_code == 302
    item = postmortem.action_items.get()
    page = alice_client.get(postmortem.get_absolute_url()).content.decode()
    assert "Alert on null rates" in page and "overdue" in page
    alice_client.post(f"/action-items/{item.pk}/status/", {"status": "wont_do"})
    item.refresh_from_db()
    assert item.status == "open"  # no reason given
    alice_client.post(
        f"/action-items/{item.pk}/status/", {"status": "wont_do", "note": "Retired."}
    )
    item.refresh_from_db()
    assert item.status == "wont_do"
    response = alice_client.post(
        f"/action-items/{item.pk}/status/",
        {"status": "open", "next": "https://evil.example/"},
    )
    assert response["Location"] == item.get_absolute_url()


def test_invalid_action_item_shows_the_form_again(alice_client, postmortem):
    response = alice_client.post(
        f"/postmortems/{postmortem.pk}/actions/",
        _action(ticket_url="javascript:alert(1)", owner="123456789012345678901234567"),
    )
    assert response.status_code == 400
    assert b"http:// or https://" in response.content


def test_action_items_from_the_planning_session_page(alice_client, product, alice):
    session = SessionFactory(product=product)
    page = alice_client.get(session.get_absolute_url()).content.decode()
    assert "Add action item" in page
    assert f'action="/action-items/from-session/{session.pk}/"' in page
    response = alice_client.post(
        f"/action-items/from-session/{session.pk}/", _action(owner=alice.pk)
    )
    assert response.status_code == 302
    item = ActionItem.objects.get()
    assert item.session == session and item.postmortem is None
    page = alice_client.get(session.get_absolute_url()).content.decode()
    assert "Alert on null rates" in page
    invalid = alice_client.post(
        f"/action-items/from-session/{session.pk}/", {"action-description": ""}
    )
    assert invalid.status_code == 400
    assert b"This field is required." in invalid.content


def test_outsider_cannot_add_to_a_planning_session(carol_client, product):
    session = SessionFactory(product=product)
    assert (
        b"Add action item" not in carol_client.get(session.get_absolute_url()).content
    )
    response = carol_client.post(f"/action-items/from-session/{session.pk}/", _action())
    assert response.status_code == 403


def test_product_page_card(alice_client, postmortem, product, alice):
    action_item_create(
        actor=alice,
        postmortem=postmortem,
        data={
            "description": "Overdue thing",
            "kind": "prevent",
            "owner": alice,
            "due_date": timezone.localdate() - timedelta(days=1),
        },
    )
    html = alice_client.get(f"/products/{product.slug}/work/").content.decode()
    assert "Action items" in html
    assert "1 overdue" in html and "Overdue thing" in html


def test_owner_outside_the_team_may_close_their_item(
    carol_client, postmortem, carol, alice
):
    item = action_item_create(
        actor=alice,
        postmortem=postmortem,
        data={"description": "Vendor fix", "kind": "prevent", "owner": carol},
    )
    carol_client.post(f"/action-items/{item.pk}/status/", {"status": "done"})
    item.refresh_from_db()
    assert item.status == "done"
    assert carol_client.get(f"/action-items/{item.pk}/edit/").status_code == 200


def test_my_work_page(alice_client, postmortem, alice):
    for days in (-3, 5):
        action_item_create(
            actor=alice,
            postmortem=postmortem,
            data={
                "description": f"In {days} days",
                "kind": "detect",
                "owner": alice,
                "due_date": timezone.localdate() + timedelta(days=days),
            },
        )
    html = alice_client.get("/me/").content.decode()
    assert "My work" in html
    assert html.index("In -3 days") < html.index("In 5 days")
    assert "Drift after retraining" in html  # a draft alice writes
    assert "In -3 days" in alice_client.get("/people/alice/").content.decode()


# --- Print and export ---------------------------------------------------------------


def test_print_view(alice_client, published):
    response = alice_client.get(f"/postmortems/{published.pk}/print/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "data-print" in html
    assert 'class="topbar"' not in html
    assert "Contributing factors" in html and "Action items" in html


def test_markdown_export(alice_client, published):
    response = alice_client.get(f"/postmortems/{published.pk}/export.md")
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response["Content-Disposition"].startswith(
        f'attachment; filename="postmortem-{published.pk}-drift-after-retraining'
    )
    text = response.content.decode()
    assert text.startswith("# Drift after retraining")
    assert "## Lessons learned\n\nThe lessons learned, described." in text
    assert "- [ ] Alert on input null rates" in text
    assert "&amp;" not in text and "&#x27;" not in text


# --- Outsiders on every write -----------------------------------------------------


def test_outsider_gets_403_on_every_write(carol_client, postmortem, alice, carol):
    postmortem_update(
        postmortem=postmortem, actor=alice, data={"summary": "Human error."}
    )
    moment = postmortem.timeline.first()
    factor = factor_add(
        postmortem=postmortem,
        actor=alice,
        data={"category": "code", "description": "x"},
    )
    item = action_item_create(
        actor=alice,
        postmortem=postmortem,
        data={"description": "x", "kind": "prevent", "owner": alice},
    )
    warning = postmortem.warnings.get()
    base = f"/postmortems/{postmortem.pk}"
    for url in (
        f"{base}/edit/",
        f"{base}/details/",
        f"{base}/timeline/{moment.pk}/edit/",
        f"{base}/factors/{factor.pk}/edit/",
        f"/action-items/{item.pk}/edit/",
    ):
        assert carol_client.get(url).status_code == 403, url
    for url in (
        f"{base}/edit/",
        f"{base}/details/",
        f"{base}/transition/",
        f"{base}/check/summary/",
        f"{base}/warnings/{warning.pk}/accept/",
        f"{base}/timeline/",
        f"{base}/timeline/prefill/",
        f"{base}/timeline/{moment.pk}/star/",
        f"{base}/timeline/{moment.pk}/delete/",
        f"{base}/factors/",
        f"{base}/factors/{factor.pk}/delete/",
        f"{base}/impacts/",
        f"{base}/actions/",
        f"/action-items/{item.pk}/status/",
        f"/action-items/{item.pk}/edit/",
    ):
        assert carol_client.post(url, {"status": "done"}).status_code == 403, url
    postmortem.refresh_from_db()
    assert postmortem.status == Status.DRAFT and postmortem.summary == "Human error."


# --- Query counts -------------------------------------------------------------------


def _many(product, alice, bob, n):
    for i in range(n):
        incident = resolved_incident(product, bob, title=f"Incident {i}")
        postmortem = postmortem_create(
            product=product,
            actor=alice,
            data={"title": f"PM {i}", "incidents": [incident]},
        )
        make_ready(postmortem, author=alice, reviewer=bob)
        postmortem_update(
            postmortem=postmortem, actor=alice, data={"trigger": "Human error."}
        )
        factor_add(
            postmortem=postmortem,
            actor=alice,
            data={"category": "data", "description": "x"},
        )
        warning_accept(warning=postmortem.warnings.get(), actor=bob)
        postmortem_transition(postmortem=postmortem, actor=alice, status="in_review")
        postmortem_transition(postmortem=postmortem, actor=bob, status="reviewed")
        postmortem_transition(postmortem=postmortem, actor=alice, status="published")


@pytest.mark.parametrize("url", ["/postmortems/", "/postmortems/library/", "/me/"])
def test_list_pages_do_not_grow_with_rows(alice_client, product, alice, bob, url):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert alice_client.get(url).status_code == 200
        return len(queries)

    _many(product, alice, bob, 2)
    few = count()
    _many(product, alice, bob, 4)
    assert count() == few


def test_admin_pages_open(client, published, alice):
    alice.is_staff = alice.is_superuser = True
    alice.save()
    client.force_login(alice)
    item = published.action_items.get()
    for url in (
        "/admin/postmortems/postmortem/",
        f"/admin/postmortems/postmortem/{published.pk}/change/",
        "/admin/postmortems/actionitem/",
        f"/admin/postmortems/actionitem/{item.pk}/change/",
        "/admin/postmortems/timelineevent/",
    ):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize(
    "url",
    [
        "/postmortems/?product=%00",
        "/postmortems/?q=%00&status=%00&category=%00&period=%00",
        "/postmortems/library/?q=a%00b&product=%00",
        "/people/%00/",
        "/postmortems/new/?product=%00",
        "/postmortems/?page=%00",
    ],
)
def test_nul_characters_are_not_server_errors(alice_client, published, url):
    assert alice_client.get(url).status_code in (200, 400, 404)


def test_nul_characters_in_forms_are_field_errors(alice_client, postmortem, incident):
    base = f"/postmortems/{postmortem.pk}"
    nul = "a\x00b"
    for url, data in (
        (f"{base}/edit/", {"summary": nul}),
        (f"{base}/details/", {"title": nul, "incidents": [incident.pk]}),
        (f"{base}/timeline/", {"moment-at": nul, "moment-description": nul}),
        (f"{base}/factors/", {"factor-category": nul, "factor-description": nul}),
        (f"{base}/actions/", {"action-description": nul, "action-owner": nul}),
        (f"{base}/transition/", {"status": nul, "reason": nul}),
        (f"{base}/check/summary/", {"summary": nul}),
    ):
        assert alice_client.post(url, data).status_code in (200, 400), url
    postmortem.refresh_from_db()
    assert "\x00" not in postmortem.summary + postmortem.title


def test_detail_page_does_not_grow_with_its_parts(alice_client, postmortem, alice, bob):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert alice_client.get(postmortem.get_absolute_url()).status_code == 200
        return len(queries)

    def add(n: int) -> None:
        for i in range(n):
            factor_add(
                postmortem=postmortem,
                actor=alice,
                data={"category": "data", "description": f"Careless {i}"},
            )
            moment_add(
                postmortem=postmortem,
                actor=alice,
                data={"at": timezone.now(), "kind": "note", "description": f"{i}"},
            )
            action_item_create(
                actor=alice,
                postmortem=postmortem,
                data={"description": f"{i}", "kind": "detect", "owner": bob},
            )

    add(1)
    few = count()
    add(3)
    assert count() == few


def test_the_library_comes_ten_entries_a_page(alice_client, product, alice, bob):
    _many(product, alice, bob, 11)
    html = alice_client.get("/postmortems/library/").content.decode()
    assert html.count('class="card lib-entry"') == 10
    assert "Page 1 of 2 · 11 in all" in html
    html = alice_client.get("/postmortems/library/?page=2").content.decode()
    assert html.count('class="card lib-entry"') == 1
