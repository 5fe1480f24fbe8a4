"""Realistic demo data for `make run`: teams, people and products at every stage,
with metrics, measurements, segments, SLAs, surveys, planning sessions, model
cards, decisions awaiting sign-off, CI history, ML Test Score, model versions
and deployments, rollout plans and experiments, incidents, postmortems, feedback,
costs and value, data contracts, notification preferences, post-launch KPI reviews,
a team's Prometheus and GitHub connections and a webhook subscription, and the
reminders a first sweep records.

Deterministic (no randomness without a fixed seed) and written through the same
services the app uses, so the demo exercises the real rules.
"""

import random

from django.db import transaction
from django.utils import timezone

from tracker.demo.cards import seed_cards, seed_segments, seed_version_cards
from tracker.demo.ci import seed_ci
from tracker.demo.experiments import seed_experiments
from tracker.demo.incidents import seed_incidents
from tracker.demo.integrations import seed_integrations
from tracker.demo.learning import seed_learning
from tracker.demo.outcomes import seed_outcomes
from tracker.demo.people import seed_people
from tracker.demo.postmortems import seed_postmortems
from tracker.demo.products import seed_products
from tracker.demo.readiness import seed_ml_tests
from tracker.demo.releases import seed_releases
from tracker.demo.reminders import seed_kpi_reviews, seed_preferences, seed_sweep
from tracker.products.models import Product
from tracker.reports.standings import standings_refresh_all


@transaction.atomic
def seed_demo(*, now=None) -> bool:
    """Load the demo; returns False (and changes nothing) when it is already there."""
    if Product.objects.filter(slug="fraud-score").exists():
        return False
    now = now or timezone.now()
    seed_people()
    seed_products(now=now, rng=random.Random(42))
    seed_segments(now=now)
    seed_experiments(now=now)
    seed_cards(now=now)
    seed_ci()
    seed_ml_tests(now=now)
    seed_releases(now=now)
    seed_version_cards()
    seed_incidents(now=now)
    seed_postmortems(now=now)
    seed_learning(now=now)
    seed_outcomes(now=now)
    seed_preferences()
    seed_kpi_reviews(now=now)
    seed_integrations()
    seed_sweep(now=now)
    # The portfolio page's figures from the start (beat keeps them fresh).
    standings_refresh_all(now=now)
    return True
