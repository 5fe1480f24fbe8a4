"""A postmortem's follow-up facts, kept in step with its incidents.

A follow-up policy's deadline for a postmortem depends on the most severe of
its incidents and on when the last of them was resolved (selectors.policies).
Working those out per request meant reading every unpublished postmortem with
its incidents; instead each postmortem keeps them (`followup_severity`,
`followup_from`) and the deadline its policy sets (`followup_deadline`,
worked out in SQL), so a page of violations reads only its rows, in the
order of an index. They are set here, in one
UPDATE, whenever they may change:

- an incident saved with a new resolution or severity (post_save: the
  services, the admin, a test's save());
- incidents linked to or unlinked from a postmortem (m2m_changed);
- a postmortem created (post_save: a product failure's clock starts then);
- rows written without signals (the scale seed, an import), by their writer.

Their deadline follows the policies too: a policy saved or deleted sets every
postmortem's again, a product saved its postmortems'.
"""

from django.db.models import Case, Exists, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce

from tracker.incidents.models import Incident
from tracker.postmortems.models import PRODUCT_FAILURE_SEVERITY, Postmortem
from tracker.postmortems.selectors.deadlines import BusinessDeadline
from tracker.postmortems.selectors.policies import policy_index, postmortem_days
from tracker.products.models import Product

# The incident fields the facts are made of.
FACT_FIELDS = {"severity", "resolved_at"}


def followup_refresh(postmortems: QuerySet, index: dict | None = None) -> int:
    """Set the follow-up facts of `postmortems` from their incidents, then
    their deadlines (two UPDATEs, whatever their number; one when there are
    none, as for most incidents saved). The models are the queryset's own, so
    a migration can pass its historical ones (and its policies as `index`)."""
    incidents = postmortems.model._meta.get_field("incidents").related_model
    covered = incidents.objects.filter(postmortems=OuterRef("pk")).order_by()
    most_severe = covered.order_by("severity").values("severity")[:1]
    last_resolved = covered.order_by("-resolved_at").values("resolved_at")[:1]
    updated = postmortems.order_by().update(
        followup_severity=Coalesce(
            Subquery(most_severe), Value(PRODUCT_FAILURE_SEVERITY)
        ),
        followup_from=Case(
            When(Exists(covered.filter(resolved_at__isnull=True)), then=Value(None)),
            When(Exists(covered), then=Subquery(last_resolved)),
            default="created_at",
        ),
    )
    # No postmortem (an incident nobody wrote one for): no policies to read.
    return deadlines_refresh(postmortems, index) if updated else 0


def deadlines_refresh(postmortems: QuerySet, index: dict | None = None) -> int:
    """Set the deadline the follow-up policies (`index`, default: the current
    ones) give `postmortems` from their facts and their product's risk tier:
    one UPDATE. The number of rows updated."""
    index = policy_index() if index is None else index
    products = postmortems.model._meta.get_field("product").related_model

    def of_tier(tier: str) -> Q:  # an UPDATE may not join: a subquery
        return Q(product_id__in=products.objects.filter(risk_tier=tier).values("pk"))

    days = postmortem_days(index, "followup_severity", of_tier)
    return postmortems.order_by().update(
        followup_deadline=BusinessDeadline("followup_from", days)
    )


def on_incident_saved(sender, instance: Incident, created: bool, **kwargs) -> None:
    """post_save of an incident: its postmortems' facts, when what they are made
    of may have changed (a new incident is in no postmortem yet)."""
    fields = kwargs.get("update_fields")
    if created or (fields is not None and not FACT_FIELDS & set(fields)):
        return
    followup_refresh(Postmortem.objects.filter(incidents=instance))


def on_postmortem_saved(sender, instance: Postmortem, created: bool, **kwargs) -> None:
    """post_save of a postmortem: a new one's facts (its incidents, if any,
    are linked next and refresh them again)."""
    if created:
        followup_refresh(Postmortem.objects.filter(pk=instance.pk))


def on_incidents_linked(sender, instance, action: str, reverse: bool, **kwargs) -> None:
    """m2m_changed of Postmortem.incidents, from either side."""
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    if not reverse:  # postmortem.incidents.add(…)
        followup_refresh(Postmortem.objects.filter(pk=instance.pk))
    elif action == "post_clear":  # incident.postmortems.clear(): which, unknown
        followup_refresh(Postmortem.objects.all())
    else:  # incident.postmortems.add(…): the postmortems are pk_set
        followup_refresh(Postmortem.objects.filter(pk__in=kwargs["pk_set"]))


def on_policy_changed(sender, instance, **kwargs) -> None:
    """post_save / post_delete of a follow-up policy: every deadline again."""
    deadlines_refresh(Postmortem.objects.all())


def on_product_saved(sender, instance: Product, created: bool, **kwargs) -> None:
    """post_save of a product: its postmortems' deadlines (its risk tier)."""
    fields = kwargs.get("update_fields")
    if not created and (fields is None or "risk_tier" in fields):
        deadlines_refresh(Postmortem.objects.filter(product=instance))
