"""The blameless check: find language that blames people instead of describing
the system, and say what to write instead.

Pure functions over text (no database): services.warnings_sync stores what
`check_text` finds and the editor's live check renders it. The rules, and the
false positives they avoid, are documented in docs/postmortems.md; tests in
tests/postmortems/test_blameless.py list what must and must not be flagged.

How false positives are kept down:
- whole words only ("shoulder", "faultless", "blameless", "git blame" pass);
- code (fenced, indented, `inline`) and URLs are not read;
- "fault", "failed to" and "forgot" count only with a person as the subject
  or owner ("Bob's fault", "the on-call engineer failed to"), never for systems
  ("the job failed to start", "fault tolerance");
- negated noun phrases pass ("this was not human error", "no one is to blame");
- a tracker user's name counts only next to a blaming verb ("Bob forgot",
  "caused by Bob"); names that are ordinary words ("Will", "Grace", "Park")
  count only capitalized and not at the start of a sentence, months and
  weekdays never; usernames that are ordinary words only as @mentions.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from tracker.postmortems.models import SUGGESTIONS, Rule


@dataclass(frozen=True)
class Finding:
    """A flagged phrase as written, where it starts in the text, and why."""

    phrase: str
    offset: int
    rule: str

    @property
    def suggestion(self) -> str:
        return SUGGESTIONS[Rule(self.rule)]

    @property
    def rule_label(self) -> str:
        return Rule(self.rule).label

    @property
    def key(self) -> str:
        """The phrase as compared across edits: lower case, single spaces."""
        return " ".join(self.phrase.lower().split())


# --- Vocabulary ---------------------------------------------------------------------


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that begin sentences or stand for people without naming anyone: never
# taken for a name.
_FUNCTION_WORDS = _words(
    """
    a an the this that these those it its we our us they their them he she his
    her him i me my you your someone somebody nobody everyone everybody anyone
    anybody one no not then when after before during while because since so but
    and or if also finally later eventually meanwhile unfortunately luckily
    fortunately nothing everything something there here who what which where why
    how all both each every many most some once again yesterday today tomorrow
    tonight overnight first next last initially however thus therefore instead
    still only just even
    """
)
_CALENDAR = _words(
    """
    january february march april may june july august september october november
    december monday tuesday wednesday thursday friday saturday sunday
    """
)
# Names that are also ordinary English words (and words common as usernames):
# they count as a name only capitalized mid-sentence, or as an @mention.
_ORDINARY = _words(
    """
    will bill mark grace hope joy faith page rose amber dawn frank glen guy jack
    jean max pat ray rob sandy summer chase drew dean earl miles penny rich art
    sky river storm park king young brown white green black long little wood
    hill mason baker cook fisher hunter price bell stone ward lane grant rush
    hall carol holly ivy iris lily daisy heather violet ruby pearl crystal jewel
    august april june sterling cliff dale forest brook autumn winter sunny major
    reed field fox wolf bird swift gay may case hart rich cash love english
    french north south west east bond banks bush lord rice wise hardy moody
    noble sharp strong small short gold silver bishop chance sage admin root ops
    dev test demo deploy system user bot ci data lead leader manager owner team
    guest service build release staff
    """
)
_SUBJECTS = _words(
    """
    he she they someone somebody you him her person people human humans engineer
    engineers developer developers dev devs operator operators analyst analysts
    scientist scientists reviewer reviewers author authors owner owners oncall
    on-call on-caller sre sres admin administrator manager pm lead intern
    colleague contractor labeller labeler labellers labelers annotator
    annotators
    """
)
_NEGATIONS = _words(
    """
    not no never nobody neither nor without isn't wasn't weren't aren't don't
    doesn't didn't nobody's noone
    """
)

# --- Phrase rules -----------------------------------------------------------------

_W = r"[^\W\d_]"  # a letter, in any alphabet
_LAZY_TECH = (
    r"(?:load\w*|eval\w*|init\w*|import\w*|iterat\w*|attribute|propert\w+"
    r"|sequence|stream|list|val|join|evaluation)"
)
_PHRASES: list[tuple[str, re.Pattern, bool]] = [
    (
        Rule.HUMAN_ERROR,
        re.compile(r"\b(?:human|operator|pilot)[\s-]+errors?\b", re.I),
        True,
    ),
    (
        Rule.HINDSIGHT,
        re.compile(r"\bshould(?:\s+not|n['’]t)?\s+have\b|\bshould['’]ve\b", re.I),
        False,
    ),
    (
        Rule.JUDGEMENT,
        re.compile(
            r"\bcareless(?:ly|ness)?\b|\bnegligen(?:t|tly|ce)\b"
            r"|\bsloppy\b|\bsloppiness\b|\bincompeten(?:t|ce)\b"
            r"|\breckless(?:ly|ness)?\b"
            rf"|\blazy\b(?!\s+{_LAZY_TECH}\b)|\blaziness\b"
            r"|\bdid(?:\s+not|n['’]t)\s+bother\b"
            r"|\bcould(?:\s+not|n['’]t)\s+be\s+bothered\b"
            r"|\bdropped\s+the\s+ball\b|\bscrewed\s+up\b",
            re.I,
        ),
        False,
    ),
    (
        Rule.BLAME,
        re.compile(
            r"(?<!\bgit\s)\bblam(?:e|ed|es|ing)\b(?!-?less)"
            r"|\bfault\s+of\b|\bat\s+fault\b"
            rf"|\b{_W}+['’]s\s+fault\b"
            r"|\b(?:my|his|her|their|your|our)\s+fault\b",
            re.I,
        ),
        True,
    ),
]
# "failed to" and "forgot" blame only when a person did (or did not do) it.
_FAILED_TO = re.compile(
    r"\bfail(?:ed|s)?\s+to\b|\bforg(?:ot|otten)\b|\bneglect(?:ed|s)?\b", re.I
)

# --- Names next to blaming verbs ----------------------------------------------------

_ADVERBS = (
    r"(?:(?:had|has|have|just|accidentally|mistakenly|also|then|again|clearly"
    r"|simply|probably|obviously|apparently|unfortunately|once)\s+)*"
)
_STRONG_VERBS = (
    r"forg(?:ot|otten)|neglected|did(?:\s+not|n['’]t)\s+bother|messed\s+up"
    r"|screwed\s+up|dropped\s+the\s+ball|(?:was|is)\s+(?:careless|negligent"
    r"|sloppy|lazy|reckless|at\s+fault|to\s+blame)|made\s+(?:a|an)\s+"
    r"(?:mistake|error|blunder)"
)
_STRONG_OWNED = r"fault|mistake|blunder|carelessness|negligence|sloppiness"
_KNOWN_VERBS = (
    _STRONG_VERBS + r"|broke|breaks|caused|causes|missed|ignored|overlooked|skipped"
    r"|fail(?:ed|s)?\s+to|should(?:\s+not|n['’]t)?\s+have|should['’]ve"
    r"|did(?:\s+not|n['’]t)\s+(?:check|test|verify|notice|follow|review|read"
    r"|update|tell|escalate|validate|look|run|wait)"
    r"|misconfigured|(?:pushed|deployed|merged|shipped)\s+(?:a|an|the)\s+"
    r"(?:bad|broken|faulty|buggy|wrong)"
)
_KNOWN_OWNED = (
    _STRONG_OWNED + r"|error|oversight|(?:bad|broken|faulty|buggy|careless|hasty"
    r"|sloppy|wrong)\s+\w+|(?:change|deploy\w*|commit|merge|push|query|script)\s+"
    r"(?:caused|broke|triggered)"
)
_FOLLOW_KNOWN = re.compile(
    rf"(?:\s+{_ADVERBS}(?:{_KNOWN_VERBS})|['’]s\s+(?:{_KNOWN_OWNED}))\b", re.I
)
_FOLLOW_STRONG = re.compile(
    rf"(?:\s+{_ADVERBS}(?:{_STRONG_VERBS})|['’]s\s+(?:{_STRONG_OWNED}))\b", re.I
)
_PRECEDE_KNOWN = re.compile(
    r"\b(?:(?:caused|triggered|introduced|broken)\s+by|due\s+to|because\s+of"
    r"|fault\s+of|blamed?(?:\s+it)?\s+on|blamed?|(?:mistake|error|negligence"
    r"|carelessness|oversight)\s+(?:by|of))\s+@?\Z",
    re.I,
)
_PRECEDE_STRONG = re.compile(
    r"\b(?:fault\s+of|blamed?(?:\s+it)?\s+on|(?:mistake|negligence|carelessness)"
    r"\s+(?:by|of))\s+@?\Z",
    re.I,
)
_TOKEN = re.compile(r"[^\W\d_][\w-]*[^\W_]|[^\W\d_]")
_WORDS = re.compile(r"[\w'’-]+")

# --- Masking what is not prose ----------------------------------------------------

_FENCED = re.compile(
    r"^[ \t]*(`{3,}|~{3,})[^\n]*\n.*?(?:^[ \t]*\1[ \t]*$|\Z)", re.M | re.S
)
_INLINE_CODE = re.compile(r"(?<!`)(`+)(?!`).+?(?<!`)\1(?!`)", re.S)
_URL = re.compile(r"\b(?:https?://|www\.)\S+|\]\([^)\s]*(?:\s+\"[^\"]*\")?\)", re.I)
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s")


def _blank(match: re.Match) -> str:
    return re.sub(r"[^\n]", " ", match.group(0))


def _mask_indented_code(text: str) -> str:
    """Blank Markdown's indented code blocks: indented lines after a blank line,
    unless they continue a list item."""
    lines = text.split("\n")
    in_code, in_list, previous_blank = False, False, True
    for i, line in enumerate(lines):
        indented = line.startswith(("    ", "\t"))
        if not line.strip():
            previous_blank = True
            continue
        if indented and (in_code or (previous_blank and not in_list)):
            lines[i] = " " * len(line)
            in_code = True
        else:
            in_code = False
            if not indented:
                in_list = bool(_LIST_ITEM.match(line))
        previous_blank = False
    return "\n".join(lines)


def mask(text: str) -> str:
    """The text with code and URLs blanked out, offsets unchanged."""
    text = _FENCED.sub(_blank, text)
    text = _mask_indented_code(text)
    text = _INLINE_CODE.sub(_blank, text)
    return _URL.sub(_blank, text)


# --- Names ------------------------------------------------------------------------


@dataclass(frozen=True)
class People:
    """The tracker's people as the check needs them: lower-cased first and last
    names, and usernames as stored."""

    names: frozenset[str] = frozenset()
    usernames: frozenset[str] = frozenset()

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[str, str, str]]) -> "People":
        """From (first name, last name, username) rows."""
        names: set[str] = set()
        usernames: set[str] = set()
        for first, last, username in rows:
            for part in f"{first} {last}".split():
                part = part.strip(".,'’").lower()
                if len(part) > 1 and part not in _FUNCTION_WORDS | _CALENDAR:
                    names.add(part)
            if username:
                usernames.add(username)
        return cls(frozenset(names), frozenset(usernames))

    def is_named(self, text: str, start: int, token: str) -> bool:
        """Is `token` at `start` a tracker person (as far as words can tell)?"""
        lower = token.lower()
        mention = start > 0 and text[start - 1] == "@"
        if lower in _CALENDAR and not mention:
            return False
        if token in self.usernames and (
            mention or (lower not in _ORDINARY and len(lower) > 2)
        ):
            return True
        if lower not in self.names:
            return False
        if mention:
            return True
        if lower in _ORDINARY or len(lower) < 3:
            return token[0].isupper() and not _sentence_start(text, start)
        return True


def _sentence_start(text: str, start: int) -> bool:
    j = start
    while j > 0 and text[j - 1] in " \t\"“‘'(*_@":
        j -= 1
    line_start = text.rfind("\n", 0, j) + 1
    if re.fullmatch(r"\s*(?:(?:[-*+>]|#{1,6}|\d+[.)])\s*)*", text[line_start:j]):
        return True
    return text[j - 1] in ".!?"


def _clause_before(text: str, start: int, words: int = 4) -> list[str]:
    """Up to `words` lower-cased words before `start`, within the sentence."""
    head = re.split(r"[.!?;:\n]", text[max(0, start - 80) : start])[-1]
    return [w.lower() for w in _WORDS.findall(head)][-words:]


def _negated(text: str, start: int, phrase: str) -> bool:
    first = phrase.split()[0].lower().replace("’", "'")
    if first in {"nobody's", "anybody's", "anyone's", "noone's"}:
        return True
    before = [w.replace("’", "'") for w in _clause_before(text, start, 3)]
    return any(w in _NEGATIONS or w.endswith("n't") for w in before) or (
        before[-1:] == ["one"] and before[-2:-1] == ["no"]
    )


def _person_subject(text: str, start: int, people: People) -> bool:
    """A person, a role or a pronoun for one does it: "Bob failed to", "the
    on-call engineer forgot", "she neglected"."""
    head = text[max(0, start - 80) : start]
    head = re.split(r"[.!?;:\n]", head)[-1]
    offset = start - len(head)
    tokens = list(_TOKEN.finditer(head))[-4:]
    for token in tokens:
        word = token.group(0)
        if word.lower() in _SUBJECTS:
            return True
        if people.is_named(text, offset + token.start(), word):
            return True
    return False


def _name_findings(text: str, people: People) -> list[Finding]:
    findings = []
    for match in _TOKEN.finditer(text):
        token, start, end = match.group(0), match.start(), match.end()
        lower = token.lower()
        if lower in _FUNCTION_WORDS or lower in _CALENDAR:
            continue
        before = text[max(0, start - 60) : start]
        after = text[end : end + 80]
        if people.is_named(text, start, token):
            follow, precede = _FOLLOW_KNOWN, _PRECEDE_KNOWN
        elif token[0].isupper() and not token.isupper():
            # Someone the tracker does not know: only unmistakably human verbs.
            follow, precede = _FOLLOW_STRONG, _PRECEDE_STRONG
        else:
            continue
        cause = precede.search(before)
        if cause and _negated(text, start - len(before) + cause.start(), "x"):
            cause = None
        if follow.match(after) or cause:
            start = _full_name_start(text, start, people)
            findings.append(Finding(text[start:end], start, Rule.PERSON))
    return findings


def _full_name_start(text: str, start: int, people: People) -> int:
    """Widen "Park" to "Lee Park" when the word before is also a name."""
    before = re.search(r"([^\W\d_][\w-]*) \Z", text[max(0, start - 40) : start])
    if before and before.group(1).lower() in people.names:
        return start - len(before.group(0))
    return start


# --- The check --------------------------------------------------------------------


def check_text(text: str, *, people: People | None = None) -> list[Finding]:
    """Every blaming phrase in `text` (Markdown), in order of appearance."""
    if not text or not text.strip():
        return []
    people = people or People()
    prose = mask(text)
    findings: list[Finding] = []
    for rule, pattern, negatable in _PHRASES:
        for match in pattern.finditer(prose):
            phrase = text[match.start() : match.end()]
            if negatable and _negated(prose, match.start(), phrase):
                continue
            findings.append(Finding(phrase, match.start(), rule))
    for match in _FAILED_TO.finditer(prose):
        if _person_subject(prose, match.start(), people):
            phrase = text[match.start() : match.end()]
            findings.append(Finding(phrase, match.start(), Rule.FAILED_TO))
    findings += _name_findings(prose, people)
    return _without_nested(findings)


def _without_nested(findings: list[Finding]) -> list[Finding]:
    """One warning per spot: "Bob's fault" is flagged once, not also "Bob"."""
    spans = sorted(
        {(f.offset, f.rule): f for f in findings}.values(),
        key=lambda f: (f.offset, -len(f.phrase)),
    )
    kept: list[Finding] = []
    for finding in spans:
        end = finding.offset + len(finding.phrase)
        if any(
            k.offset <= finding.offset and end <= k.offset + len(k.phrase) for k in kept
        ):
            continue
        kept.append(finding)
    return kept


def numbered(findings: list[Finding]) -> list[tuple[Finding, int]]:
    """Each finding with its occurrence: how many times the same phrase came
    before it in the text. (phrase, occurrence) names a warning across edits."""
    seen: dict[str, int] = {}
    result = []
    for finding in findings:
        result.append((finding, seen.get(finding.key, 0)))
        seen[finding.key] = seen.get(finding.key, 0) + 1
    return result
