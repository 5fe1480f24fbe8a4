"""Each reminder rule, with frozen time: who is reminded, when, and when not."""

from datetime import timedelta

import pytest

from tests.factories import FeatureFactory, ProductFactory, SLAFactory
from tests.reminders.helpers import DAY, HOUR, LAUNCH, make_metric, rows, run
from tracker.products import services as product_services
from tracker.reminders import registry
from tracker.reminders.models import KPIReview, Reminder
from tracker.reminders.services import notifications, reviews

pytestmark = pytest.mark.django_db
WEEK = timedelta(weeks=1)


# --- KPI follow-up measurements -----------------------------------------------------


@pytest.fixture
def metric(launched, bob, time_machine):
    """Owned by bob, measured every 7 days, first due a week after launch."""
    time_machine.move_to(LAUNCH, tick=False)
    return make_metric(launched, owner=bob, cadence=7)


def test_metric_is_not_reminded_before_it_is_due(metric, time_machine, mailoutbox):
    run(time_machine, LAUNCH + 7 * DAY - HOUR)
    assert rows() == []
    assert mailoutbox == []


def test_due_metric_reminds_its_owner_in_app_and_by_mail(
    metric, time_machine, mailoutbox
):
    run(time_machine, LAUNCH + 7 * DAY + HOUR)
    assert rows() == [("bob", "email", False), ("bob", "in_app", False)]
    reminder = Reminder.objects.get(channel="in_app")
    assert (reminder.subject_type, reminder.subject_id) == ("metric", metric.pk)
    assert reminder.occurrence == LAUNCH + 7 * DAY
    [mail] = mailoutbox
    assert mail.to == ["bob@example.org"]
    assert mail.subject == "Measurement due: Chargeback losses · Fraud score"
    link = f"https://tracker.example.org/products/fraud-score/metrics/{metric.pk}/"
    assert link in mail.body
    assert link in mail.alternatives[0][0]


def test_metric_without_owner_reminds_the_pm_owner(launched, time_machine):
    time_machine.move_to(LAUNCH, tick=False)
    make_metric(launched, owner=None)
    run(time_machine, LAUNCH + 8 * DAY)
    assert rows() == [("alice", "email", False), ("alice", "in_app", False)]


def test_metric_overdue_by_more_than_a_cadence_escalates_to_the_pm(
    metric, time_machine, mailoutbox
):
    run(time_machine, LAUNCH + 7 * DAY + HOUR)
    run(time_machine, LAUNCH + 14 * DAY)  # overdue by exactly one cadence: not yet
    assert rows(recipient__username="alice") == []
    run(time_machine, LAUNCH + 14 * DAY + HOUR)
    assert rows() == [
        ("alice", "email", True),
        ("alice", "in_app", True),
        ("bob", "email", False),
        ("bob", "in_app", False),
    ]
    assert [m.to for m in mailoutbox] == [["bob@example.org"], ["alice@example.org"]]
    assert mailoutbox[1].subject.startswith("Measurement overdue: ")
    assert "PM owner" in mailoutbox[1].body


def test_pm_who_owns_the_metric_is_reminded_once(launched, alice, time_machine):
    time_machine.move_to(LAUNCH, tick=False)
    make_metric(launched, owner=alice)
    run(time_machine, LAUNCH + 8 * DAY)
    run(time_machine, LAUNCH + 15 * DAY)
    assert rows() == [("alice", "email", False), ("alice", "in_app", False)]


def test_nothing_is_due_before_launch_without_measurements(team, bob, time_machine):
    product = ProductFactory(team=team, stage="building")
    time_machine.move_to(LAUNCH, tick=False)
    make_metric(product, owner=bob)
    run(time_machine, LAUNCH + 400 * DAY)
    assert rows() == []


def test_retired_products_are_not_chased(metric, launched, time_machine):
    product_services.product_change_stage(
        product=launched, stage="retired", actor=None, at=LAUNCH + DAY
    )
    run(time_machine, LAUNCH + 30 * DAY)
    assert rows() == []


def test_recording_the_measurement_ends_the_occurrence(
    metric, bob, time_machine, mailoutbox
):
    run(time_machine, LAUNCH + 7 * DAY + HOUR)
    time_machine.move_to(LAUNCH + 7 * DAY + 2 * HOUR, tick=False)
    product_services.measurement_record(
        metric=metric, value=12, measured_at=LAUNCH + 7 * DAY + 2 * HOUR, actor=bob
    )
    run(time_machine, LAUNCH + 7 * DAY + 3 * HOUR)
    notification = Reminder.objects.get(channel="in_app")
    assert notification.resolved_at == LAUNCH + 7 * DAY + 3 * HOUR
    # No escalation for the occurrence that was dealt with ...
    run(time_machine, LAUNCH + 14 * DAY + HOUR)
    assert rows(recipient__username="alice") == []
    assert len(mailoutbox) == 1
    # ... and the next occurrence is a cadence after the measurement.
    run(time_machine, LAUNCH + 14 * DAY + 3 * HOUR)
    assert rows(occurrence=LAUNCH + 14 * DAY + 2 * HOUR) == [
        ("bob", "email", False),
        ("bob", "in_app", False),
    ]


# --- Post-launch KPI reviews --------------------------------------------------------


@pytest.fixture
def entering_production(team, alice, bob, time_machine):
    """A pilot that enters production at LAUNCH, through the products service."""
    product = ProductFactory(
        slug="churn", name="Churn", team=team, stage="pilot", pm_owner=alice
    )
    product.ml_owner = bob
    product.save()
    product_services.product_change_stage(
        product=product, stage="production", actor=alice, at=LAUNCH
    )
    return product


def _reviews(product):
    return list(product.kpi_reviews.values_list("weeks", "due_at", "completed_at"))


def test_entering_production_schedules_reviews_at_2_6_and_13_weeks(
    entering_production, time_machine
):
    run(time_machine, LAUNCH + HOUR)
    assert _reviews(entering_production) == [
        (2, LAUNCH + 2 * WEEK, None),
        (6, LAUNCH + 6 * WEEK, None),
        (13, LAUNCH + 13 * WEEK, None),
    ]
    assert rows() == []


def test_due_review_reminds_the_pm_and_ml_owners(
    entering_production, time_machine, mailoutbox
):
    run(time_machine, LAUNCH + 2 * WEEK + HOUR)
    review = KPIReview.objects.get(weeks=2)
    assert rows(subject_id=review.pk) == [
        ("alice", "email", False),
        ("alice", "in_app", False),
        ("bob", "email", False),
        ("bob", "in_app", False),
    ]
    assert rows(subject_type="kpi_review") == rows(subject_id=review.pk)
    subjects = {m.subject for m in mailoutbox}
    assert subjects == {"KPI review due: Churn: 2-week KPI review"}
    assert f"/products/churn/kpi-reviews/{review.pk}/" in mailoutbox[0].body


def test_completing_a_review_stops_its_reminders(
    entering_production, alice, time_machine
):
    run(time_machine, LAUNCH + 2 * WEEK + HOUR)
    review = KPIReview.objects.get(weeks=2)
    reviews.kpi_review_complete(review=review, actor=alice, conclusion="On track.")
    run(time_machine, LAUNCH + 2 * WEEK + 2 * HOUR)
    assert not Reminder.objects.filter(resolved_at__isnull=True).exists()
    run(time_machine, LAUNCH + 6 * WEEK + HOUR)
    assert Reminder.objects.filter(resolved_at__isnull=True).count() == 4


def test_review_weeks_are_configurable_per_product(
    entering_production, alice, time_machine
):
    run(time_machine, LAUNCH + 2 * WEEK + HOUR)
    reviews.kpi_review_complete(
        review=KPIReview.objects.get(weeks=2), actor=alice, conclusion="Fine."
    )
    reviews.kpi_review_plan_update(
        product=entering_production, weeks=[4, 26], actor=alice
    )
    weeks = [w for w, _, _ in _reviews(entering_production)]
    assert weeks == [2, 4, 26]  # the completed review stays
    run(time_machine, LAUNCH + 6 * WEEK + HOUR)
    assert set(Reminder.objects.values_list("title", flat=True)) == {
        "Churn: 2-week KPI review",
        "Churn: 4-week KPI review",
    }


def test_changing_the_launch_date_moves_open_reviews(entering_production, alice):
    reviews.kpi_reviews_schedule(now=LAUNCH)
    product_services.product_update(
        product=entering_production,
        actor=alice,
        data={"launched_at": LAUNCH + WEEK},
    )
    reviews.kpi_reviews_schedule(now=LAUNCH)
    assert _reviews(entering_production)[0] == (2, LAUNCH + 3 * WEEK, None)


# --- Data surveys and SLAs due for review -------------------------------------------


@pytest.fixture
def surveyed(launched, time_machine):
    time_machine.move_to(LAUNCH, tick=False)
    FeatureFactory(product=launched, feature="card_velocity")
    FeatureFactory(product=launched, feature="merchant_country")
    return launched


def test_survey_unreviewed_for_the_period_reminds_the_ml_owner(
    surveyed, time_machine, mailoutbox
):
    run(time_machine, LAUNCH + 90 * DAY - HOUR)
    assert rows() == []
    run(time_machine, LAUNCH + 90 * DAY + HOUR)
    assert rows() == [("bob", "email", False), ("bob", "in_app", False)]
    reminder = Reminder.objects.get(channel="email")
    assert (reminder.subject_type, reminder.subject_id) == ("survey", surveyed.pk)
    assert reminder.occurrence == LAUNCH + 90 * DAY
    assert "https://tracker.example.org/products/fraud-score/survey/" in (
        mailoutbox[0].body
    )


def test_confirming_the_survey_restarts_its_clock(surveyed, bob, time_machine):
    run(time_machine, LAUNCH + 90 * DAY + HOUR)
    time_machine.move_to(LAUNCH + 91 * DAY, tick=False)
    reviews.review_confirm(product=surveyed, actor=bob)
    run(time_machine, LAUNCH + 91 * DAY + HOUR)
    assert not Reminder.objects.filter(resolved_at__isnull=True).exists()
    run(time_machine, LAUNCH + 181 * DAY - HOUR)
    assert Reminder.objects.count() == 2
    run(time_machine, LAUNCH + 181 * DAY + HOUR)
    assert Reminder.objects.filter(occurrence=LAUNCH + 181 * DAY).count() == 2


def test_editing_a_survey_feature_counts_as_a_review(surveyed, time_machine):
    run(time_machine, LAUNCH + 90 * DAY + HOUR)
    feature = surveyed.survey.first()
    time_machine.move_to(LAUNCH + 92 * DAY, tick=False)
    product_services.survey_feature_update(
        feature=feature, data={"owner": "Payments platform"}
    )
    run(time_machine, LAUNCH + 92 * DAY + HOUR)
    assert not Reminder.objects.filter(resolved_at__isnull=True).exists()


def test_survey_without_ml_owner_reminds_the_pm(surveyed, time_machine):
    surveyed.ml_owner = None
    surveyed.save(update_fields=["ml_owner"])
    run(time_machine, LAUNCH + 91 * DAY)
    assert {name for name, _, _ in rows()} == {"alice"}


def test_sla_unreviewed_for_the_period_reminds_the_engineering_owner(
    launched, dan, time_machine, mailoutbox
):
    time_machine.move_to(LAUNCH, tick=False)
    sla = SLAFactory(product=launched, name="Scoring latency")
    run(time_machine, LAUNCH + 90 * DAY + HOUR)
    assert rows() == [("dan", "email", False), ("dan", "in_app", False)]
    assert mailoutbox[0].subject == "SLA to review: Scoring latency · Fraud score"
    assert f"/products/fraud-score/slas/{sla.pk}/" in mailoutbox[0].body


def test_editing_or_confirming_an_sla_ends_its_review_reminder(
    launched, dan, time_machine
):
    time_machine.move_to(LAUNCH, tick=False)
    edited = SLAFactory(product=launched, name="Latency")
    confirmed = SLAFactory(product=launched, name="Availability")
    run(time_machine, LAUNCH + 90 * DAY + HOUR)
    time_machine.move_to(LAUNCH + 95 * DAY, tick=False)
    product_services.sla_update(sla=edited, data={"threshold": 80.0})
    reviews.review_confirm(product=launched, sla=confirmed, actor=dan)
    run(time_machine, LAUNCH + 95 * DAY + HOUR)
    assert not Reminder.objects.filter(resolved_at__isnull=True).exists()


# --- The registry is open for new kinds ---------------------------------------------


@pytest.fixture
def custom_rule():
    """A rule registered the way another app's reminder_rules.py would."""
    from django.db.models import Exists

    from tracker.accounts.models import User

    def current():
        return Exists(User.objects.filter(pk=registry.SUBJECT_ID, is_active=True))

    @registry.rule(
        name="test_welcome", subject_type="test_user", label="Hi", current=current
    )
    def due(*, now, after, limit):
        people = User.objects.filter(pk__gt=after, username="carol").order_by("pk")
        return [
            registry.Due(user.pk, LAUNCH, ((user.pk, False),), "Welcome", "/", None)
            for user in people[:limit]
        ]

    yield
    registry._RULES.pop("test_welcome")


def test_a_new_rule_needs_no_change_to_the_engine(
    custom_rule, carol, time_machine, settings
):
    notifications.preferences_update(user=carol, data={"email_enabled": False})
    run(time_machine, LAUNCH)
    run(time_machine, LAUNCH + HOUR)
    assert rows(rule="test_welcome") == [("carol", "in_app", False)]
    carol.is_active = False
    carol.save()
    run(time_machine, LAUNCH + 2 * HOUR)
    assert Reminder.objects.get(rule="test_welcome").resolved_at is not None
