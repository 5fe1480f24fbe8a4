"""The cards' part of the audit trail (tracker.audit.registry): a model card's
edits, the product's scope, decisions and every approval or objection."""

from tracker.audit.registry import Audited, register

register(
    Audited(
        "cards.ModelCard",
        "model_card",
        lambda c: "Model card",
        # Every save is a review; the date alone is no one's separate decision.
        ignore=frozenset({"reviewed_at", "updated_by"}),
    ),
    Audited(
        "cards.VersionModelCard",
        "version_model_card",
        lambda c: "Model card",
        None,
        ("version",),
        ignore=frozenset({"updated_by"}),
    ),
    Audited("cards.UseCase", "use_case", lambda u: u.description),
    Audited("cards.Decision", "decision", lambda d: d.title),
    Audited("cards.Approval", "approval", lambda a: a.state, None, ("decision",)),
)
