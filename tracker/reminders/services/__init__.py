"""Writes for reminders, one module per job: outbox (claims), sweep (record what
is due), delivery (one mail per reminder), digests (the daily digest),
notifications (read marks, preferences) and reviews (KPI reviews, survey and SLA
confirmations). The weekly leadership digest is the reports app's
(tracker/reports/digest.py)."""
