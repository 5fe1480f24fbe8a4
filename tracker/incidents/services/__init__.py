"""Writes for incidents, their timeline and alert integrations. Views, API views,
the alert receiver and seeders call these; nothing else changes
these models. Split by concern (`incidents`, `ingest`: deliveries, `alert_apply`:
their alerts, `sla`); import each name from the module that defines it.
"""
