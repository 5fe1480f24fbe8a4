from django.apps import AppConfig


class PostmortemsConfig(AppConfig):
    name = "tracker.postmortems"
    label = "postmortems"
    verbose_name = "Postmortems and action items"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from tracker.incidents.signals import incidents_opened
        from tracker.postmortems.selectors.deadlines import (
            register_sqlite_business_deadline,
        )
        from tracker.postmortems.services.recurrence import recurrences_on_open

        # A new incident may repeat one whose postmortem is published.
        incidents_opened.connect(recurrences_on_open, dispatch_uid="postmortems.recur")
        connection_created.connect(
            register_sqlite_business_deadline, dispatch_uid="postmortems.sqlite"
        )
