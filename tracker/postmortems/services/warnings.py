"""The blameless check's stored warnings: kept in step with the text, and
accepted by reviewers."""

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from tracker.accounts.models import User
from tracker.postmortems.blameless import People, check_text, numbered
from tracker.postmortems.models import (
    FACTOR_SECTION,
    SECTION_KEYS,
    BlamelessWarning,
    Postmortem,
)
from tracker.postmortems.selectors.access import people_index, user_can_review


def warnings_sync(
    *, postmortem: Postmortem, people: People | None = None
) -> list[BlamelessWarning]:
    """Re-run the blameless check over every section and contributing factor and
    bring the stored warnings in step: new findings are added, warnings whose
    phrase is gone are deleted, the rest keep their acceptance (matched by
    section, phrase and occurrence, so moving text does not lose it)."""
    people = people or people_index()
    wanted = {}
    for key in SECTION_KEYS:
        for finding, n in numbered(check_text(getattr(postmortem, key), people=people)):
            wanted[(key, None, finding.key, n)] = finding
    for factor in postmortem.factors.all():
        for finding, n in numbered(check_text(factor.description, people=people)):
            wanted[(FACTOR_SECTION, factor.pk, finding.key, n)] = finding
    existing = {
        (w.section, w.factor_id, " ".join(w.phrase.lower().split()), w.occurrence): w
        for w in postmortem.warnings.all()
    }
    gone = [w.pk for key, w in existing.items() if key not in wanted]
    BlamelessWarning.objects.filter(pk__in=gone).delete()
    new, moved = [], []
    for (section, factor_id, _, n), finding in wanted.items():
        warning = existing.get((section, factor_id, finding.key, n))
        if warning is None:
            new.append(
                BlamelessWarning(
                    postmortem=postmortem,
                    section=section,
                    factor_id=factor_id,
                    phrase=finding.phrase[:200],
                    rule=finding.rule,
                    offset=finding.offset,
                    occurrence=n,
                )
            )
        elif (warning.offset, warning.phrase, warning.rule) != (
            finding.offset,
            finding.phrase[:200],
            finding.rule,
        ):
            warning.offset, warning.phrase = finding.offset, finding.phrase[:200]
            warning.rule = finding.rule
            moved.append(warning)
    BlamelessWarning.objects.bulk_create(new)
    BlamelessWarning.objects.bulk_update(moved, ["offset", "phrase", "rule"])
    return list(postmortem.warnings.all())


def warning_accept(*, warning: BlamelessWarning, actor: User) -> bool:
    """A reviewer accepts a flagged phrase as it is (a quote, a name used
    without blame). False if it already was accepted."""
    if not user_can_review(actor, warning.postmortem):
        raise PermissionDenied("Only one of its reviewers can accept a warning.")
    updated = BlamelessWarning.objects.filter(
        pk=warning.pk, accepted_at__isnull=True
    ).update(accepted_by=actor, accepted_at=timezone.now())
    warning.refresh_from_db()
    return bool(updated)
