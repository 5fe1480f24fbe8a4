"""The outcomes' part of the audit trail (tracker.audit.registry): feedback,
costs, source contracts, consumers and change notices; a notice shared with the
product on the other side is on that product's history too."""

from tracker.audit.registry import Audited, register

register(
    Audited("outcomes.Feedback", "feedback", lambda f: f.rating),
    Audited("outcomes.Cost", "cost", lambda c: f"{c.kind} {c.amount}"),
    Audited(
        "outcomes.SourceContract",
        "source_contract",
        lambda c: "Data contract",
        ignore=frozenset({"updated_at"}),
    ),
    Audited("outcomes.Consumer", "consumer", lambda c: c.name),
    Audited("outcomes.ContractChange", "contract_change", lambda c: c.summary[:200]),
    Audited(
        "outcomes.ContractChangeShared",
        "contract_change_shared",
        lambda s: s.summary,
    ),
)
