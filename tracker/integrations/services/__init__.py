"""Writes for integrations, one module per connection: webhooks (outgoing
events), prometheus (SLAs measured by PromQL), github (issues for action
items) and connections (creating them, recording their errors)."""
