"""What incidents tell the apps above them. incidents sits below postmortems,
so it does not call postmortems: it announces, and postmortems
(tracker.postmortems.apps) listens to mark recurrences.

incidents_opened(sender=Incident, incidents=list[Incident]) is sent when
incidents are opened (by a person, the API, an alert or an SLA breach; the
alerts of one delivery together), inside the opening transaction: a receiver's
writes commit or roll back with it.
"""

from django.dispatch import Signal

incidents_opened = Signal()
