"""The accounts' part of the audit trail (tracker.audit.registry): who joined
or left a team, and with which role. A membership belongs to its team, not to a
product, so it is listed on the team's page."""

from tracker.audit.registry import Audited, names, register

register(
    Audited(
        "accounts.Membership",
        "membership",
        lambda m: f"{m.get_role_display()} membership",
        None,
        ("team",),
    ),
)
names("accounts.Team", lambda t: t.name)
