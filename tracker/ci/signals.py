"""What CI status tells the apps above it. ci sits below readiness, so it does not
call readiness: it announces, and readiness (tracker.readiness.apps) listens.

stage_finished(sender=CIStatus, product=Product, context=str, state=str) is sent
when a report moves a stage to a finished state (success, failure, error), inside
the report's transaction: a receiver's writes commit or roll back with it.
"""

from django.dispatch import Signal

stage_finished = Signal()
