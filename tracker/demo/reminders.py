"""Demo notification preferences for `make run`: `leader` gets the weekly
leadership digest. Written through the services; called by
tracker.demo.seed.seed_demo."""

from tracker.accounts.models import User
from tracker.reminders.services import notifications


def seed_preferences() -> None:
    leader = User.objects.get(username="leader")
    notifications.preferences_update(user=leader, data={"leadership_digest": True})
