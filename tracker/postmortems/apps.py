from django.apps import AppConfig


class PostmortemsConfig(AppConfig):
    name = "tracker.postmortems"
    label = "postmortems"
    verbose_name = "Postmortems and action items"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from tracker.incidents.models import Incident
        from tracker.incidents.signals import incidents_opened
        from tracker.postmortems.models import FollowUpPolicy, Postmortem
        from tracker.postmortems.selectors.deadlines import (
            register_sqlite_business_deadline,
        )
        from tracker.postmortems.services import followup
        from tracker.postmortems.services.recurrence import recurrences_on_open
        from tracker.products.models import Product

        # A new incident may repeat one whose postmortem is published.
        incidents_opened.connect(recurrences_on_open, dispatch_uid="postmortems.recur")
        connection_created.connect(
            register_sqlite_business_deadline, dispatch_uid="postmortems.sqlite"
        )
        # Each postmortem's follow-up facts follow its incidents.
        post_save.connect(
            followup.on_incident_saved, sender=Incident, dispatch_uid="followup.i"
        )
        post_save.connect(
            followup.on_postmortem_saved, sender=Postmortem, dispatch_uid="followup.p"
        )
        m2m_changed.connect(
            followup.on_incidents_linked,
            sender=Postmortem.incidents.through,
            dispatch_uid="followup.links",
        )
        for signal in (post_save, post_delete):
            signal.connect(
                followup.on_policy_changed,
                sender=FollowUpPolicy,
                dispatch_uid=f"followup.policy.{signal is post_save}",
            )
        post_save.connect(
            followup.on_product_saved, sender=Product, dispatch_uid="followup.product"
        )
