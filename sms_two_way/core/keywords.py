"""Keyword matching engine: decide which configured rule an inbound SMS triggers.

Customers do not type what administrators configure: they add punctuation,
capitals, accents, emoji skin tones, "I'd say 4" instead of "4".  Every message
and every keyword is therefore reduced to the same canonical form by
:func:`normalize` before any comparison, and a message the engine does not
recognise matches nothing rather than the wrong rule.

Plain Python on purpose: the Odoo model ``sms.keyword`` builds a
:class:`KeywordMatcher` from its records, and this module is unit-tested and
benchmarked without a database.
"""

import logging
import re
import unicodedata
from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

import regex

_logger = logging.getLogger(__name__)

# Staff-written patterns are bounded twice: they only see the first
# MAX_MATCH_CHARS characters of a message (longer texts are never keyword
# replies), and a search running longer than REGEX_TIMEOUT seconds (a pattern
# with catastrophic backtracking, such as ``^(a+)+$``) counts as no match.
MAX_MATCH_CHARS = 640
REGEX_TIMEOUT = 0.05

MODE_EXACT = "exact"
MODE_FIRST_WORD = "first_word"
MODE_NUMBER = "number_range"
MODE_REGEX = "regex"
MODES = (MODE_EXACT, MODE_FIRST_WORD, MODE_NUMBER, MODE_REGEX)

# Apostrophes are dropped so that "can't", "can’t" and "cant" compare equal.
_APOSTROPHES = frozenset("'’‘ʼ`")
# The same thumbs-up arrives in five skin tones and two presentations.
_EMOJI_MODIFIERS = frozenset(["\ufe0e", "\ufe0f", *map(chr, range(0x1F3FB, 0x1F400))])


def normalize(text: str) -> str:
    """Return the canonical form in which messages and keywords are compared.

    Compatibility forms are unified (NFKC: full-width letters, ligatures, "…"),
    case is folded, accents, apostrophes, invisible format characters and emoji
    modifiers are dropped, surrounding whitespace and punctuation are stripped
    ("Stop!!!" is "stop") and inner whitespace is collapsed.  Emoji and inner
    punctuation ("4/5", "yes, please") are kept.  Empty input (including
    Odoo's ``False``) gives ``""``.
    """
    if not text:
        return ""
    folded = unicodedata.normalize(
        "NFKD", unicodedata.normalize("NFKC", text).casefold()
    )
    kept = "".join(ch for ch in folded if not _is_ignored(ch))
    return " ".join(_strip_punctuation(unicodedata.normalize("NFC", kept)).split())


def _is_ignored(ch):
    return (
        unicodedata.combining(ch)
        or ch in _APOSTROPHES
        or ch in _EMOJI_MODIFIERS
        or unicodedata.category(ch) == "Cf"
    )


def _is_edge_noise(ch):
    return ch.isspace() or unicodedata.category(ch).startswith("P")


def _strip_punctuation(text):
    """Strip whitespace and punctuation (not symbols such as emoji) from both ends."""
    start, end = 0, len(text)
    while start < end and _is_edge_noise(text[start]):
        start += 1
    while end > start and _is_edge_noise(text[end - 1]):
        end -= 1
    return text[start:end]


# --- Carrier compliance keywords ----------------------------------------------

OPT_OUT_KEYWORDS = frozenset(
    {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout"}
)
OPT_IN_KEYWORDS = frozenset({"start", "yes", "unstop"})
HELP_KEYWORDS = frozenset({"help", "info"})


def compliance_intent(text: str) -> str | None:
    """Return "opt_out", "opt_in" or "help" when the whole message is such a keyword.

    Only a message made of the keyword alone counts ("STOP", " stop! ",
    "Opt-out", "STOP ALL"): "stop it please" is conversation, not an opt-out.
    Spaces and hyphens inside the message are ignored for this comparison
    because carriers treat "OPT OUT" and "STOP ALL" like "OPTOUT" and "STOPALL".
    """
    compact = normalize(text).replace(" ", "").replace("-", "")
    if compact in OPT_OUT_KEYWORDS:
        return "opt_out"
    if compact in OPT_IN_KEYWORDS:
        return "opt_in"
    if compact in HELP_KEYWORDS:
        return "help"
    return None


# --- Yes / no intents ---------------------------------------------------------

YES_VARIANTS = frozenset(
    map(
        normalize,
        (
            "y",
            "yes",
            "yeah",
            "yea",
            "ya",
            "yep",
            "yup",
            "yes please",
            "ok",
            "okay",
            "sure",
            "confirm",
            "confirmed",
            "i confirm",
            "correct",
            "absolutely",
            "definitely",
            "of course",
            "sounds good",
            "works for me",
            "see you then",
            "i'll be there",
            "oui",
            "si",
            "sí",
            "ja",
            "sim",
            "da",
            "👍",
            "✅",
            "✔",
            "👌",
        ),
    )
)
NO_VARIANTS = frozenset(
    map(
        normalize,
        (
            "n",
            "no",
            "nope",
            "nah",
            "no thanks",
            "no thank you",
            "not interested",
            "decline",
            "can't make it",
            "cannot make it",
            "can not make it",
            "can't come",
            "cannot come",
            "won't make it",
            "not coming",
            "non",
            "nein",
            "nee",
            "não",
            "👎",
            "❌",
            "✖",
        ),
    )
)


def intent(text: str) -> str | None:
    """Return "yes" or "no" when the whole message is a known yes/no variant."""
    return _intent_of(normalize(text))


def _intent_of(normalized):
    """The whole message, else every word agreeing ("yeah 👍", "ok sure")."""
    whole = _variant_intent(normalized)
    if whole or " " not in normalized:
        return whole
    intents = {_variant_intent(word) for word in normalized.split(" ")}
    return intents.pop() if len(intents) == 1 else None


def _variant_intent(normalized):
    if normalized in YES_VARIANTS:
        return "yes"
    if normalized in NO_VARIANTS:
        return "no"
    return None


# --- Numbers --------------------------------------------------------------------

_NUMBER_WORDS = {
    word: value
    for value, word in enumerate(
        (
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
        )
    )
}
_NUMBER_WORD_RE = re.compile(r"\b(?:%s)\b" % "|".join(_NUMBER_WORDS))
# "4/5", "4 / 5", "4 out of 5", "4 of 5": the customer meant the first number.
_FRACTION_RE = re.compile(r"(\d+)\s*/\s*\d+|(\d+)\s+(?:out\s+)?of\s+\d+")
_NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)*")
# No answer to "reply 1-5" is that long; it also keeps int() within its limits.
_MAX_DIGITS = 9


def extract_number(text: str) -> int | None:
    """Return the single whole number the customer meant, or None.

    "4", "4 stars", "I'd say 4", "#3", "four", "4/5" and "4 out of 5" all
    mean a number; "3 or 4" (two different numbers) and "4.5" (not a whole
    number) are ambiguous and give None, so that no rule acts on a guess.
    """
    return _number_in(normalize(text))


def _number_in(normalized):
    text = _NUMBER_WORD_RE.sub(lambda m: str(_NUMBER_WORDS[m.group()]), normalized)
    text = _FRACTION_RE.sub(lambda m: m.group(1) or m.group(2), text)
    tokens = set(_NUMBER_RE.findall(text))
    if len(tokens) != 1:
        return None
    token = tokens.pop()
    if not token.isdigit() or len(token) > _MAX_DIGITS:
        return None
    return int(token)


# --- Loop protection ------------------------------------------------------------

_AUTOMATED_RE = re.compile(
    "|".join(
        (
            r"\bauto ?-? ?repl(?:y|ies)\b",
            r"\bauto ?-? ?response\b",
            r"\bautomatic reply\b",
            r"\bthis is an automated\b",
            r"\bautomated (?:message|reply|response)\b",
            r"\bout of (?:the )?office\b",
            r"\bdo not reply\b",
            r"\bthis number does not accept\b",
            r"\b(?:msg|message)s? ?(?:&|and) ?data rates may apply\b",
            r"\breply stop to\b",
            r"\b(?:txt|text) stop\b",
            r"\byour(?: [\w-]+){0,3} code is:? ?\d{4,8}\b",
            r"\b\d{4,8} is your(?: [\w-]+){0,3} code\b",
            r"\breponse automatique\b",
            r"\brespuesta automatica\b",
            r"\bautomatische antwort\b",
        )
    )
)


def looks_automated(text: str) -> bool:
    """Tell whether a message looks machine-generated (auto-reply, OTP, notice).

    Used for loop protection: answering another robot's auto-reply with our
    own auto-reply can ping-pong forever.  Deliberately conservative, since a
    false positive silences a real customer: only phrases people do not type
    themselves are recognised.
    """
    return bool(_AUTOMATED_RE.search(normalize(text)))


# --- Rules and matcher ----------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One configured keyword rule, as the matcher sees it.

    ``keywords`` are given raw (as the administrator typed them) and
    normalized by the matcher.  ``low``/``high`` bound a number-range rule
    (inclusive, ``None`` means unbounded).  ``scope`` is an opaque payload
    for the caller; the engine never looks at it.
    """

    id: Hashable
    keywords: tuple[str, ...] = ()
    mode: str = MODE_EXACT
    low: int | None = None
    high: int | None = None
    pattern: str | None = None
    yes_intent: bool = False
    no_intent: bool = False
    sequence: int = 10
    scope: object = None


@dataclass(frozen=True)
class Match:
    """A rule triggered by a message, with the value it extracted and why."""

    rule: Rule
    value: str | int
    reason: str


def validate_pattern(pattern: str | None) -> str | None:
    """Return why ``pattern`` cannot be used by a regex rule, or None if it can."""
    if not pattern:
        return "A regular expression rule needs a pattern."
    try:
        compile_pattern(pattern)
    except regex.error as error:
        return f"Invalid regular expression {pattern!r}: {error}."
    return None


def compile_pattern(pattern: str):
    """A rule's pattern, compiled by the ``regex`` module (which can time a search out)."""
    return regex.compile(pattern, regex.IGNORECASE | regex.VERSION0)


def search_pattern(compiled, text: str):
    """``compiled.search(text)`` bounded by :data:`REGEX_TIMEOUT`; None when it takes longer."""
    try:
        return compiled.search(text, timeout=REGEX_TIMEOUT)
    except TimeoutError:
        _logger.warning(
            "Keyword pattern %r took longer than %s s: treated as no match",
            compiled.pattern,
            REGEX_TIMEOUT,
        )
        return None


class KeywordMatcher:
    """Match inbound messages against a fixed set of rules.

    Built once per rule set: keywords go into dictionaries so that exact and
    first-word rules cost one lookup per message whatever their number; only
    regex and number-range rules are evaluated one by one, and the message's
    number is extracted once for all number-range rules.

    Among matching rules the lowest ``sequence`` wins, ties going to the rule
    given first.
    """

    def __init__(self, rules: Iterable[Rule]):
        self._rules = tuple(rules)
        self._exact = defaultdict(
            list
        )  # normalized keyword -> [(position, raw keyword)]
        self._first_words = defaultdict(list)  # idem, for first-word rules
        self._number_rules = []  # positions
        self._regex_rules = []  # (position, compiled pattern)
        self._yes_rules = []  # positions
        self._no_rules = []  # positions
        for position, rule in enumerate(self._rules):
            self._add(position, rule)
        # How many leading words of a message to look up for first-word rules.
        self._first_word_lengths = sorted(
            {key.count(" ") + 1 for key in self._first_words}
        )

    def _add(self, position, rule):
        if rule.mode not in MODES:
            raise ValueError(
                f"Rule {rule.id}: unknown mode {rule.mode!r}, expected one of {', '.join(MODES)}."
            )
        if rule.mode in (MODE_EXACT, MODE_FIRST_WORD):
            index = self._exact if rule.mode == MODE_EXACT else self._first_words
            for keyword in rule.keywords:
                # A keyword made only of punctuation normalizes to "" and could
                # only match an empty message: it is ignored.
                if normalized := normalize(keyword):
                    index[normalized].append((position, keyword))
        elif rule.mode == MODE_NUMBER:
            if rule.low is not None and rule.high is not None and rule.low > rule.high:
                raise ValueError(
                    f"Rule {rule.id}: range {rule.low}–{rule.high} is empty."
                )
            self._number_rules.append(position)
        else:
            if error := validate_pattern(rule.pattern):
                raise ValueError(f"Rule {rule.id}: {error}")
            self._regex_rules.append((position, compile_pattern(rule.pattern)))
        if rule.yes_intent:
            self._yes_rules.append(position)
        if rule.no_intent:
            self._no_rules.append(position)

    def match(self, text: str) -> Match | None:
        """Return the best rule triggered by ``text``, or None."""
        matches = self.match_all(text)
        return matches[0] if matches else None

    def match_all(self, text: str) -> list[Match]:
        """Return every rule triggered by ``text``, best first (one match per rule)."""
        return self._matches(normalize((text or "")[:MAX_MATCH_CHARS]))

    def explain(self, text: str) -> str:
        """Describe, for a "Try a message" box, which rule ``text`` triggers and why."""
        normalized = normalize((text or "")[:MAX_MATCH_CHARS])
        matches = self._matches(normalized)
        if not matches:
            return f'No rule matches the message (normalized: "{normalized}").'
        best, *others = matches
        lines = [
            f"Rule {best.rule.id} matches with value {best.value!r}: {best.reason}."
        ]
        lines += [
            f"Also matching, lower priority: rule {m.rule.id}: {m.reason}."
            for m in others
        ]
        return "\n".join(lines)

    def _matches(self, normalized):
        found = {}  # position -> Match; the first reason found for a rule is kept

        def add(position, value, reason):
            if position not in found:
                found[position] = Match(self._rules[position], value, reason)

        for position, keyword in self._exact.get(normalized, ()):
            add(
                position,
                normalized,
                f'whole message "{normalized}" equals keyword "{keyword}"',
            )
        self._match_first_words(normalized, add)
        self._match_number(normalized, add)
        for position, compiled in self._regex_rules:
            if found_text := search_pattern(compiled, normalized):
                group = found_text.group(1) if compiled.groups else None
                value = found_text.group() if group is None else group
                add(
                    position,
                    value,
                    f'pattern "{compiled.pattern}" found "{found_text.group()}"',
                )
        self._match_intent(normalized, add)
        return [found[position] for position in sorted(found, key=self._rank)]

    def _match_first_words(self, normalized, add):
        words = normalized.split(" ")
        for length in self._first_word_lengths:
            if length > len(words):
                break
            head = " ".join(words[:length])
            for position, keyword in self._first_words.get(head, ()):
                add(
                    position,
                    " ".join(words[length:]),
                    f'first word "{head}" equals keyword "{keyword}"',
                )

    def _match_number(self, normalized, add):
        if not self._number_rules:
            return
        number = _number_in(normalized)
        if number is None:
            return
        for position in self._number_rules:
            rule = self._rules[position]
            if (rule.low is None or number >= rule.low) and (
                rule.high is None or number <= rule.high
            ):
                add(
                    position,
                    number,
                    f"number {number} {_describe_range(rule.low, rule.high)}",
                )

    def _match_intent(self, normalized, add):
        if not (self._yes_rules or self._no_rules):
            return
        meaning = _intent_of(normalized)
        if meaning:
            for position in self._yes_rules if meaning == "yes" else self._no_rules:
                add(position, meaning, f'{meaning}-intent variant "{normalized}"')

    def _rank(self, position):
        return (self._rules[position].sequence, position)


def _describe_range(low, high):
    if low is not None and high is not None:
        return f"in range {low}–{high}"
    if low is not None:
        return f"at least {low}"
    if high is not None:
        return f"at most {high}"
    return "(any number)"
