"""Screens that compose several apps: the product page (products, CI, incidents,
postmortems, readiness, audit), an SLA's page (recording a check opens or
resolves its incident) and the planning-session workspace (decisions become
postmortems' action items). Above the apps it reads, below the demo; no app
imports it."""
