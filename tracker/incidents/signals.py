"""What incidents tell the apps above them. incidents sits below postmortems,
so it does not call postmortems: it announces, and postmortems
(tracker.postmortems.apps) listens to mark recurrences.

incident_opened(sender=Incident, incident=Incident) is sent when an incident is
opened (by a person, the API, an alert or an SLA breach), inside the opening
transaction: a receiver's writes commit or roll back with it.
"""

from django.dispatch import Signal

incident_opened = Signal()
