"""The demo data (`manage.py seed_demo`) has a private team, so the feature is
there to see: Operations' products are its own."""

from tracker.accounts.models import Team, User, Visibility
from tracker.demo.seed import seed_demo
from tracker.products.selectors import products_readable_by


def test_demo_operations_team_is_private(db):
    assert seed_demo()
    operations = Team.objects.get(slug="operations")
    assert operations.visibility == Visibility.PRIVATE
    assert Team.objects.exclude(visibility=Visibility.PRIVATE).count() == 2
    theirs = set(operations.products.values_list("slug", flat=True))
    assert theirs == {"demand-forecast", "ticket-routing"}

    def reads(username: str) -> set[str]:
        user = User.objects.get(username=username)
        return set(products_readable_by(user).values_list("slug", flat=True))

    assert theirs <= reads("farid") and theirs <= reads("alice")  # member, staff
    assert not theirs & reads("carol") and not theirs & reads("leader")
