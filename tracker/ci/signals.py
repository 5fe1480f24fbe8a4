"""What CI status tells the apps above it. ci sits below readiness, so it does not
call readiness or releases: it announces, and they listen (tracker.readiness.apps,
tracker.releases.apps).

stage_finished(sender=CIStatus, product=Product, context=str, state=str,
status=CIStatus) is sent
when a report moves a stage to a finished state (success, failure, error), inside
the report's transaction: a receiver's writes commit or roll back with it.
"""

from django.dispatch import Signal

stage_finished = Signal()
