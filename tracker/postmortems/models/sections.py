"""The write-up's sections: the vocabulary the models, the editor, the API,
the export and the publish gate share."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    """One Markdown section of the write-up: its field, heading and prompt."""

    key: str
    title: str
    prompt: str

    @property
    def na_field(self) -> str:
        return f"{self.key}_na"


# The write-up's sections in reading order (Google SRE template and PagerDuty's
# review guide, with the questions an ML product adds). The API, the editor,
# the Markdown export and the publish gate all iterate this list.
SECTIONS = (
    Section(
        "summary",
        "Summary",
        "What happened, for whom and for how long, in a few sentences a reader "
        "outside the team understands.",
    ),
    Section(
        "impact",
        "Business impact",
        "Which KPIs moved and by how much; how many users were affected; how much "
        "SLA error budget was consumed; money, trust or decisions affected.",
    ),
    Section(
        "trigger",
        "Trigger",
        "The change or condition that set it off: a deploy, a data change "
        "upstream, a shift in the input distribution, a retraining.",
    ),
    Section(
        "detection",
        "Detection",
        "How it was noticed (alert, dashboard, a customer?) and which check "
        "— data validation, drift monitor, SLA, canary — would have caught it "
        "earlier.",
    ),
    Section(
        "resolution",
        "Resolution",
        "What stopped the impact (rollback, fallback to the simple baseline, "
        "retraining, a fix) and what made it take as long as it did.",
    ),
    Section(
        "went_well",
        "What went well",
        "Practices, tools and decisions worth keeping.",
    ),
    Section(
        "went_wrong",
        "What went wrong",
        "Conditions in systems and processes that made the failure possible "
        "or worse. Describe mechanisms, not people.",
    ),
    Section(
        "lucky",
        "Where we got lucky",
        "What limited the damage by chance rather than by design.",
    ),
    Section(
        "lessons",
        "Lessons learned",
        "What the team now knows that it did not know before; what other "
        "products should take from this.",
    ),
    Section(
        "links",
        "Supporting links",
        "Dashboards, alerts, runbooks, notebooks, pull requests, chat threads.",
    ),
)
SECTION_KEYS = [section.key for section in SECTIONS]
SECTIONS_BY_KEY = {section.key: section for section in SECTIONS}
