"""The blameless check as a pure function: what it must flag, and the false
positives it must not raise (words inside words, code, URLs, systems that
"fail to", names that are ordinary words, negations)."""

import pytest

from tracker.postmortems.blameless import People, check_text, mask, numbered
from tracker.postmortems.models import Rule

PEOPLE = People.from_rows(
    [
        ("Alice", "Nguyen", "alice"),
        ("Bob", "Okafor", "bob"),
        ("Grace", "Lindqvist", "grace"),
        ("Will", "Park", "wpark"),
        ("Lee", "Park", "leader"),
        ("June", "Baker", "jbaker"),
        ("Dmitri", "Ivanov", "dmitri.ivanov"),
    ]
)


def flagged(text: str) -> list[tuple[str, str]]:
    return [(f.phrase, f.rule) for f in check_text(text, people=PEOPLE)]


def phrases(text: str) -> list[str]:
    return [phrase for phrase, _ in flagged(text)]


@pytest.mark.parametrize(
    ("text", "phrase", "rule"),
    [
        ("The outage was caused by human error.", "human error", Rule.HUMAN_ERROR),
        ("Root cause: Human-error during the deploy.", "Human-error", Rule.HUMAN_ERROR),
        ("Classic operator error.", "operator error", Rule.HUMAN_ERROR),
        ("We should have tested the migration.", "should have", Rule.HINDSIGHT),
        ("It shouldn't have been merged.", "shouldn't have", Rule.HINDSIGHT),
        ("Someone should've caught it.", "should've", Rule.HINDSIGHT),
        ("A careless config change.", "careless", Rule.JUDGEMENT),
        ("The change was made carelessly.", "carelessly", Rule.JUDGEMENT),
        ("Negligent handling of the keys.", "Negligent", Rule.JUDGEMENT),
        ("A sloppy review let it through.", "sloppy", Rule.JUDGEMENT),
        ("They didn't bother to run the tests.", "didn't bother", Rule.JUDGEMENT),
        ("The reviewer dropped the ball.", "dropped the ball", Rule.JUDGEMENT),
        ("It was the fault of the data team.", "fault of", Rule.BLAME),
        ("The vendor was at fault.", "at fault", Rule.BLAME),
        ("It was their fault.", "their fault", Rule.BLAME),
        ("We blame the rollout.", "blame", Rule.BLAME),
        ("Ops was blamed for it.", "blamed", Rule.BLAME),
        ("The on-call engineer failed to page the owner.", "failed to", Rule.FAILED_TO),
        ("She forgot to rotate the key.", "forgot", Rule.FAILED_TO),
        ("The developer neglected the warning.", "neglected", Rule.FAILED_TO),
    ],
)
def test_flags_blaming_phrases(text, phrase, rule):
    assert (phrase, rule) in flagged(text)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Bob broke the feature pipeline.", "Bob"),
        ("bob forgot to update the schema.", "bob"),
        ("Alice should have checked the dashboard.", "Alice"),
        ("The drop was caused by Bob's change.", "Bob"),
        ("It was caused by Nguyen.", "Nguyen"),
        ("Blame it on Okafor.", "Okafor"),
        ("Alice's mistake took the model down.", "Alice"),
        ("Later Grace forgot the renewal.", "Grace"),
        ("The change by Will broke the feed.", "Will"),
        ("Lee Park deployed a bad model.", "Lee Park"),
        ("Caused by @wpark yesterday.", "wpark"),
        ("Again dmitri.ivanov misconfigured the job.", "ivanov"),
        # Someone the tracker does not know, with an unmistakably human verb.
        ("Steve forgot to update the schema.", "Steve"),
        ("It was Priya's fault.", "Priya's fault"),
    ],
)
def test_flags_a_person_named_as_the_cause(text, name):
    assert name in phrases(text)


@pytest.mark.parametrize(
    "text",
    [
        # Words inside other words.
        "My shoulder hurts after carrying the servers.",
        "The system is fault tolerant; fault injection passed; a faultless run.",
        "We hold blameless postmortems; this one is blame-less too.",
        "Humane errors of rounding are a known issue.",
        # Systems that fail to do things are systems, not people.
        "The job failed to start and the export failed to finish.",
        "Airflow failed to schedule the DAG. Kafka missed messages.",
        "The scheduler ignored the flag and skipped the run.",
        "Segmentation fault in the feature server.",
        # Code and links are not prose.
        "Run `git blame` on the file, or git blame it yourself.",
        "The flag `should_have_alerted` stayed false; `human_error_rate` is a metric.",
        "```\nif careless:\n    blame('bob')\n```\nAll good.",
        "Setup:\n\n    should have = True\n    human error = 1\n\nDone.",
        "See https://github.com/acme/repo/blame/main/human-error.md for history.",
        "The [runbook](https://wiki.example.org/should-have-known) is outdated.",
        # Negations: saying it was not blame is not blame.
        "This was not human error: the form accepted an empty schema.",
        "Nobody is to blame. No blame here.",
        "It was nobody's fault.",
        # Names used without blame: acknowledging responders is good practice.
        "Alice rolled back the model at 10:05. Bob spotted the drift first.",
        "Thanks to Grace the fallback was ready.",
        # Names that are ordinary words, used as words.
        "The grace period expired before the renewal.",
        "Will this happen again? We will add a check.",
        "In May the retraining caused a spike.",
        "Park the model until the fix lands; the max latency caused timeouts.",
        "June was a quiet month; in June traffic doubled and caused queueing.",
        "The team leader approved the plan.",
        "Technical terms: lazy loading and lazy evaluation are fine.",
        "",
        "   ",
    ],
)
def test_does_not_flag(text):
    assert flagged(text) == []


def test_offsets_point_at_the_phrase_in_the_original_text():
    text = "All fine.\n\nThen `code` and human error, twice: human error."
    found = check_text(text, people=PEOPLE)
    assert [f.offset for f in found] == [
        text.index("human error"),
        text.rindex("human error"),
    ]
    assert all(text[f.offset : f.offset + len(f.phrase)] == f.phrase for f in found)


def test_each_warning_comes_with_a_suggestion_about_the_system():
    [finding] = check_text("It was human error.", people=PEOPLE)
    assert "condition" in finding.suggestion
    assert finding.rule_label


def test_repeated_phrases_are_numbered_in_order():
    found = check_text("Blame here. And blame there. Human error.", people=PEOPLE)
    assert [(f.key, n) for f, n in numbered(found)] == [
        ("blame", 0),
        ("blame", 1),
        ("human error", 0),
    ]


def test_one_warning_per_spot():
    # "Bob's fault" is one blaming phrase, not also a separate "Bob".
    assert flagged("It was Bob's fault.") == [("Bob's fault", Rule.BLAME)]


def test_without_people_names_are_only_caught_by_strong_verbs():
    assert check_text("Bob broke the pipeline.") == []
    assert [f.phrase for f in check_text("Bob forgot the key.")] == ["Bob"]


def test_mask_keeps_offsets_and_hides_code_and_urls():
    text = "a `b` https://x.org/y\n```\ncode\n```\nz"
    masked = mask(text)
    assert len(masked) == len(text)
    assert "b" not in masked.replace("a", "")[:5]
    assert "x.org" not in masked
    assert "code" not in masked
    assert masked.endswith("z")


def test_list_items_indented_under_a_bullet_are_prose():
    text = "- First point\n\n    Alice forgot the key here."
    assert "Alice" in phrases(text)


def test_people_from_rows_skips_one_letter_and_function_words():
    people = People.from_rows([("Al", "The", "x"), ("J", "", "")])
    assert people.names == frozenset({"al"})
    assert "x" in people.usernames


def test_two_letter_names_count_only_capitalized_mid_sentence():
    people = People.from_rows([("Al", "Gore", "al")])
    assert check_text("al broke it.", people=people) == []
    assert [f.phrase for f in check_text("Then Al broke it.", people=people)] == ["Al"]
