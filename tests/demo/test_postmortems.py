"""The demo data (`manage.py seed_demo`) includes postmortems written through
the services: one published, one draft stuck past its deadline."""

from django.utils import timezone

from tracker.demo.seed import seed_demo
from tracker.postmortems.models import ActionItem, Postmortem, Status
from tracker.postmortems.selectors.action_items import action_items_overdue
from tracker.postmortems.selectors.lists import recurrence_lessons
from tracker.postmortems.selectors.page import publish_blockers
from tracker.postmortems.selectors.reports import postmortems_stuck_in_draft


def test_demo_has_a_published_and_a_stuck_draft_postmortem(db):
    assert seed_demo()
    published = Postmortem.objects.get(status=Status.PUBLISHED, failure_kind="")
    draft = Postmortem.objects.get(status=Status.DRAFT)
    now = timezone.now()
    assert published.factors.count() == 3
    assert all(w.is_accepted for w in published.warnings.all())
    assert not publish_blockers(published)
    assert list(postmortems_stuck_in_draft(now=now)) == [draft]
    assert draft.warnings.filter(accepted_at__isnull=True).count() == 2
    assert action_items_overdue(now=now).count() == 3
    assert ActionItem.objects.filter(session__isnull=False).count() == 1
    assert not seed_demo()  # a second run changes nothing


def test_demo_has_a_product_failure_postmortem_and_a_recurrence(db):
    from tracker.incidents.models import Incident

    seed_demo()
    failure = Postmortem.objects.get(failure_kind="cost_exceeded_value")
    assert failure.status == Status.PUBLISHED
    assert failure.product.slug == "invoice-ocr"
    assert not failure.incidents.exists()
    [again] = Incident.objects.filter(recurrence_of__isnull=False)
    assert again.recurrence_rule == "fingerprint"
    assert again.recurrence_of.postmortems.filter(status=Status.PUBLISHED).exists()
    assert recurrence_lessons(incident=again)[0].items
