"""The demo's people and teams: eight users sharing one password (alice is an
admin), three teams, one of them private."""

from tracker.accounts.models import Membership, Team, User, Visibility

DEMO_PASSWORD = "tracker-demo"

PEOPLE = [
    ("alice", "Alice", "Nguyen"),
    ("bob", "Bob", "Okafor"),
    ("carol", "Carol", "Schmidt"),
    ("dan", "Dan", "Ivanova"),
    ("erin", "Erin", "Kowalski"),
    ("farid", "Farid", "Haddad"),
    ("grace", "Grace", "Lindqvist"),
    ("leader", "Lee", "Park"),
]

TEAMS = [
    ("Risk & Payments", "risk-payments", ["alice", "bob", "carol"]),
    ("Growth", "growth", ["dan", "erin", "alice"]),
    ("Operations", "operations", ["farid", "grace"]),
]
# Operations keeps its products to itself: bob, carol, dan, erin and leader do not
# see them (alice does: she is staff).
PRIVATE_TEAMS = {"operations"}


def user_named(username: str | None) -> User | None:
    return User.objects.get(username=username) if username else None


def seed_people() -> None:
    for username, first, last in PEOPLE:
        user = User.objects.create_user(
            username,
            f"{username}@example.org",
            DEMO_PASSWORD,
            first_name=first,
            last_name=last,
        )
        if username == "alice":
            user.is_staff = user.is_superuser = True
            user.save()
    for name, slug, members in TEAMS:
        private = slug in PRIVATE_TEAMS
        visibility = Visibility.PRIVATE if private else Visibility.ORGANISATION
        team = Team.objects.create(name=name, slug=slug, visibility=visibility)
        for username in members:
            Membership.objects.create(team=team, user=user_named(username))
