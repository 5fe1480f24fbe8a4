"""The registry of reminder rules: what can fall due, and for whom.

A rule is one function that finds due occurrences with set-based queries, plus
an expression telling whether an occurrence a reminder was sent for is still
due. The engine (services.py) pages through every rule, records reminders,
cancels the ones whose occurrence passed, and delivers them; it knows nothing
about metrics, reviews, SLAs, action items or postmortems.

Adding a kind of reminder means writing, in that app's `reminder_rules.py`
(tracker/postmortems/reminder_rules.py is one, for action items and drafts):

    @rule(name="action_item_overdue", subject_type="action_item",
          label="Action item overdue", current=action_item_current)
    def action_items_past_due(*, now, after, limit) -> list[Due]:
        ...

and the e-mail pair templates/emails/reminder_action_item_overdue.{txt,html}.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, OuterRef, Q

# The reminder row a `current` expression is evaluated against.
SUBJECT_ID = OuterRef("subject_id")
OCCURRENCE = OuterRef("occurrence")


@dataclass(frozen=True, slots=True)
class Due:
    """One subject due at `occurrence`, and who must hear about it.

    `recipients` holds (user id, escalation) pairs; a rule leaves out people
    already reminded of this occurrence (see `not_reminded`). `product_id` is the
    product the subject belongs to (None: none): the engine reminds only the
    recipients who may read it, so a private team's work never reaches others.
    """

    subject_id: int
    occurrence: datetime
    recipients: tuple[tuple[int, bool], ...]
    title: str
    url: str
    product_id: int | None


DueFinder = Callable[..., list[Due]]


@dataclass(frozen=True)
class Rule:
    """A kind of reminder.

    - `due(now=, after=, limit=)`: up to `limit` due subjects with an id above
      `after`, ordered by id, in a bounded number of queries (never one per row);
    - `current()`: a boolean expression over a Reminder row (use SUBJECT_ID and
      OCCURRENCE) that is true while that occurrence is still due;
    - `prepare(now=)`: optional set-based work before each sweep (scheduling).
    """

    name: str
    subject_type: str
    label: str
    due: DueFinder
    current: Callable[[], Exists | Q]
    escalation_label: str = ""
    prepare: Callable[..., None] | None = None

    @property
    def email_templates(self) -> tuple[str, str]:
        base = f"emails/reminder_{self.name}"
        return f"{base}.txt", f"{base}.html"

    def headline(self, escalation: bool) -> str:
        return (self.escalation_label or self.label) if escalation else self.label


_RULES: dict[str, Rule] = {}


def register(rule_: Rule) -> Rule:
    if rule_.name in _RULES and _RULES[rule_.name] != rule_:
        raise ValueError(f"A reminder rule named {rule_.name!r} already exists.")
    _RULES[rule_.name] = rule_
    return rule_


def rule(
    *,
    name: str,
    subject_type: str,
    label: str,
    current: Callable[[], Exists | Q],
    escalation_label: str = "",
    prepare: Callable[..., None] | None = None,
) -> Callable[[DueFinder], DueFinder]:
    """Register the decorated function as the due-finder of a new rule."""

    def decorate(due: DueFinder) -> DueFinder:
        register(
            Rule(
                name=name,
                subject_type=subject_type,
                label=label,
                due=due,
                current=current,
                escalation_label=escalation_label,
                prepare=prepare,
            )
        )
        return due

    return decorate


def all_rules() -> list[Rule]:
    return list(_RULES.values())


def get_rule(name: str) -> Rule | None:
    return _RULES.get(name)


def recipients(*pairs: tuple[int | None, bool, bool]) -> tuple[tuple[int, bool], ...]:
    """(user id, escalation, still to remind) → the distinct people to remind;
    someone in two roles is reminded once, in the first role given."""
    seen: dict[int, bool] = {}
    for user_id, escalation, pending in pairs:
        if user_id and pending and user_id not in seen:
            seen[user_id] = escalation
    return tuple(seen.items())


def not_reminded(
    subject_type: str,
    recipient: str,
    *,
    after: int,
    rule: str | None = None,
    **occurrence: OuterRef,
) -> Exists:
    """True when the recipient (a field of the outer query) has no reminder yet
    for this subject and occurrence. `occurrence` is one lookup, e.g.
    `occurrence=OuterRef("next_due_at")` or `occurrence__gt=OuterRef("reviewed")`;
    `after` is the page's lower bound on subject ids (served by the
    `reminder_once` unique index). `rule` counts only that rule's reminders, for
    two rules about the same subject and due date (an action item due soon, then
    overdue).

    The bound is implied by the outer query, but it keeps the lookup small when
    PostgreSQL hashes the subquery with statistics that have not caught up with
    a sweep inserting many rows: then it reads only this page's candidates
    instead of every reminder of the kind."""
    from tracker.reminders.models import Reminder

    reminders = Reminder.objects.filter(
        subject_type=subject_type,
        subject_id=OuterRef("pk"),
        subject_id__gt=after,
        recipient_id=OuterRef(recipient),
        **occurrence,
    )
    if rule is not None:
        reminders = reminders.filter(rule=rule)
    return ~Exists(reminders)
