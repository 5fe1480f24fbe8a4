"""Nobody edits the trail: not the ORM, not the admin (superusers included),
and on PostgreSQL not even a hand-written UPDATE or DELETE."""

import pytest
from django.db import DatabaseError, connection, transaction

from tracker.audit.models import AuditEvent, AuditTrailImmutable

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(product) -> AuditEvent:
    return AuditEvent.objects.get(object_type="products.product", object_id=product.pk)


def test_the_orm_refuses_to_change_or_delete_events(event):
    event.actor_label = "someone else"
    with pytest.raises(AuditTrailImmutable):
        event.save()
    with pytest.raises(AuditTrailImmutable):
        event.delete()
    with pytest.raises(AuditTrailImmutable):
        AuditEvent.objects.filter(pk=event.pk).update(actor_label="x")
    with pytest.raises(AuditTrailImmutable):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).actor_label == "command line"


@pytest.fixture
def superuser_client(client, alice):
    alice.is_staff = alice.is_superuser = True
    alice.save()
    client.force_login(alice)
    return client


def test_the_admin_lists_and_shows_but_never_edits(superuser_client, event):
    changelist = superuser_client.get("/admin/audit/auditevent/?kind=product&q=Fraud")
    assert changelist.status_code == 200
    assert "Fraud score" in changelist.content.decode()
    assert "Add audit event" not in changelist.content.decode()
    page = superuser_client.get(f"/admin/audit/auditevent/{event.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="_save"' not in html
    assert "<strong>Name</strong>: — → Fraud score" in html
    url = f"/admin/audit/auditevent/{event.pk}"
    assert (
        superuser_client.post(f"{url}/change/", {"actor_label": "x"}).status_code == 403
    )
    assert superuser_client.post(f"{url}/delete/", {"post": "yes"}).status_code == 403
    assert superuser_client.get("/admin/audit/auditevent/add/").status_code == 403
    bulk = superuser_client.post(
        "/admin/audit/auditevent/",
        {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"},
    )
    assert bulk.status_code in (200, 302)
    assert AuditEvent.objects.filter(pk=event.pk, actor_label="command line").exists()


@pytest.mark.postgres
def test_postgres_refuses_update_and_delete_of_events(event):
    table = AuditEvent._meta.db_table
    for sql in (
        f"UPDATE {table} SET actor_label = 'x' WHERE id = %s",
        f"DELETE FROM {table} WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).actor_label == "command line"
