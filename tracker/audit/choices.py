"""How a change was made and what it was: the choices of AuditEvent's `via` and
`action`. A module of their own so that the acting context (which names the way
in) needs no model, and the audit modules import in one direction."""

from django.db import models


class Via(models.TextChoices):
    WEB = "web", "Web"
    API = "api", "API"
    ADMIN = "admin", "Admin"
    CI = "ci", "CI token"
    TASK = "task", "System task"
    ALERT = "alert", "Alert hook"
    IMPORT = "import", "Import"
    COMMAND = "command", "Command line"
    HOOK = "hook", "Integration hook"


class Action(models.TextChoices):
    CREATE = "create", "Created"
    UPDATE = "update", "Changed"
    DELETE = "delete", "Deleted"
