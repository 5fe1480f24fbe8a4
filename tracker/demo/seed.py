"""Realistic demo data for `make run`: teams, people and products at every stage,
with metrics, measurements, SLAs, surveys, planning sessions, CI history, ML Test
Score, incidents, postmortems and notification preferences.

Deterministic (no randomness without a fixed seed) and written through the same
services the app uses, so the demo exercises the real rules.
"""

import random

from django.db import transaction
from django.utils import timezone

from tracker.demo.ci import seed_ci
from tracker.demo.incidents import seed_incidents
from tracker.demo.learning import seed_learning
from tracker.demo.people import seed_people
from tracker.demo.postmortems import seed_postmortems
from tracker.demo.products import seed_products
from tracker.demo.readiness import seed_ml_tests
from tracker.demo.reminders import seed_preferences
from tracker.products.models import Product


@transaction.atomic
def seed_demo(*, now=None) -> bool:
    """Load the demo; returns False (and changes nothing) when it is already there."""
    if Product.objects.filter(slug="fraud-score").exists():
        return False
    now = now or timezone.now()
    seed_people()
    seed_products(now=now, rng=random.Random(42))
    seed_ci()
    seed_ml_tests(now=now)
    seed_incidents(now=now)
    seed_postmortems(now=now)
    seed_learning(now=now)
    seed_preferences()
    return True
