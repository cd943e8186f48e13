"""Unit tests of the keyword matching engine (plain Python, no Odoo)."""

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sms_two_way.core import keywords
from sms_two_way.core.keywords import (
    MAX_MATCH_CHARS,
    MODE_FIRST_WORD,
    MODE_NUMBER,
    MODE_REGEX,
    KeywordMatcher,
    Match,
    Rule,
    compliance_intent,
    extract_number,
    intent,
    looks_automated,
    normalize,
    validate_pattern,
)

# --- normalize -------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("STOP", "stop"),
        ("  Stop!  ", "stop"),
        ("stop!!!", "stop"),
        ("yes...", "yes"),
        ("Yes…", "yes"),
        ("¿Sí?", "si"),
        ("Café", "cafe"),
        ("RÉSERVER", "reserver"),
        ("Straße", "strasse"),
        ("ＦＵＬＬ ＷＩＤＴＨ", "full width"),
        ("ﬁne", "fine"),
        ("a \t\n  b", "a b"),
        ("can’t make it", "cant make it"),
        ("can't make it", "cant make it"),
        ("\u200bstop\ufeff", "stop"),
        ("👍", "👍"),
        ("👍🏽", "👍"),
        ("✔️", "✔"),
        ("👍!", "👍"),
        ("4/5", "4/5"),
        ("yes, please", "yes, please"),
        ("(C)", "c"),
        ("«oui»", "oui"),
        ("", ""),
        ("   ", ""),
        ("!!!", ""),
    ],
)
def test_normalize(raw, expected):
    assert normalize(raw) == expected


def test_normalize_treats_odoo_false_as_empty():
    assert normalize(False) == ""
    assert normalize(None) == ""


def test_normalize_is_idempotent_on_examples():
    for raw in ("  Héllo, WORLD!! ", "Ça va ?", "👍🏽 ok", "İstanbul"):
        once = normalize(raw)
        assert normalize(once) == once


def test_normalize_keeps_non_latin_scripts_readable():
    assert normalize("  Да! ") == "да"
    assert normalize("한국어") == "한국어"  # decomposed then recomposed


def test_normalize_survives_lone_surrogates():
    assert normalize("\ud800 STOP") == "\ud800 stop"


# --- compliance_intent --------------------------------------------------------------


@pytest.mark.parametrize("raw", sorted(keywords.OPT_OUT_KEYWORDS))
def test_every_opt_out_keyword_is_recognised(raw):
    assert compliance_intent(raw.upper()) == "opt_out"


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("STOP", "opt_out"),
        ("Stop!", "opt_out"),
        (" STOP ", "opt_out"),
        ("CANCEL", "opt_out"),
        ("Unsubscribe.", "opt_out"),
        ("STOP ALL", "opt_out"),
        ("Opt-Out", "opt_out"),
        ("opt out", "opt_out"),
        ("START", "opt_in"),
        ("Yes", "opt_in"),
        ("unstop", "opt_in"),
        ("HELP", "help"),
        ("info?", "help"),
        ("stop it please", None),
        ("please stop", None),
        ("don't stop", None),
        ("stopped", None),
        ("helpful", None),
        ("", None),
        ("👍", None),
    ],
)
def test_compliance_intent(raw, expected):
    assert compliance_intent(raw) == expected


def test_compliance_keyword_sets_are_disjoint():
    assert not keywords.OPT_OUT_KEYWORDS & keywords.OPT_IN_KEYWORDS
    assert not keywords.OPT_OUT_KEYWORDS & keywords.HELP_KEYWORDS
    assert not keywords.OPT_IN_KEYWORDS & keywords.HELP_KEYWORDS


# --- intent ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "y",
        "Y",
        "yes",
        "YES!",
        "Yeah",
        "yep.",
        "yup",
        "ok",
        "OK!",
        "okay",
        "sure",
        "Confirm",
        "confirmed",
        "oui",
        "si",
        "Sí",
        "SÍ!",
        "👍",
        "👍🏽",
        "✅",
        "✔️",
        "yes please",
    ],
)
def test_yes_variants(raw):
    assert intent(raw) == "yes"


@pytest.mark.parametrize(
    "raw",
    [
        "n",
        "N",
        "no",
        "No.",
        "NOPE",
        "nah",
        "👎",
        "❌",
        "cant make it",
        "can't make it",
        "Can’t make it!",
        "cannot make it",
        "won't make it",
        "no thanks",
    ],
)
def test_no_variants(raw):
    assert intent(raw) == "no"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "maybe",
        "yes and no",
        "yes but later",
        "not sure",
        "okay but can we move it",
        "I can make it",
        "nothing",
        "yesterday",
        "👍 👎",
        "4",
    ],
)
def test_no_intent_for_anything_else(raw):
    assert intent(raw) is None


def test_variant_sets_are_normalized_and_disjoint():
    assert not keywords.YES_VARIANTS & keywords.NO_VARIANTS
    for variant in keywords.YES_VARIANTS | keywords.NO_VARIANTS:
        assert normalize(variant) == variant


# --- extract_number ----------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("4", 4),
        (" 4! ", 4),
        ("4 stars", 4),
        ("I'd say 4", 4),
        ("4/5", 4),
        ("4 / 5", 4),
        ("4 out of 5", 4),
        ("I give it 4 out of 5!", 4),
        ("3 of 5", 3),
        ("10/10", 10),
        ("#3", 3),
        ("option #3 please", 3),
        ("four", 4),
        ("Four.", 4),
        ("four out of five", 4),
        ("zero", 0),
        ("ten", 10),
        ("10", 10),
        ("0", 0),
        ("4 4", 4),
        ("４", 4),
        ("٤", 4),
        ("2nd", 2),
    ],
)
def test_extract_number(raw, expected):
    assert extract_number(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "no number here",
        "3 or 4",
        "between 2 and 5",
        "3/4/2024",
        "4.5",
        "4,5",
        "3:30",
        "four or five",
        "none",
        "someone",
        "1234567890123",
        "9" * 5000,
    ],
)
def test_extract_number_refuses_missing_or_ambiguous(raw):
    assert extract_number(raw) is None


# --- looks_automated ----------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "Auto-reply: I am away until Monday",
        "AUTOMATIC REPLY: thanks for your message",
        "Autoreply",
        "This is an automated message, please do not reply.",
        "I am currently out of the office.",
        "Out of office until 3 June",
        "Please do not reply to this message",
        "This number does not accept text messages.",
        "Msg&Data rates may apply. Reply STOP to cancel.",
        "Message and data rates may apply",
        "Reply STOP to unsubscribe",
        "Txt STOP to end",
        "Your code is 123456",
        "Your verification code is: 482913",
        "G-123456 is your Google verification code.",
        "Réponse automatique : je suis absent",
    ],
)
def test_looks_automated(raw):
    assert looks_automated(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "yes",
        "STOP",
        "stop please",
        "C",
        "4",
        "Can I reschedule to Friday?",
        "I'm out of town next week",
        "My code is broken",
        "What's the door code?",
        "Please reply when you can",
        "Thanks, see you at 10:30",
        "Call me at 0470123456",
        "I'll be in the office at 9",
    ],
)
def test_ordinary_messages_do_not_look_automated(raw):
    assert not looks_automated(raw)


# --- validate_pattern -----------------------------------------------------------------


def test_validate_pattern():
    assert validate_pattern(r"^order (\d+)$") is None
    assert "pattern" in validate_pattern("")
    assert "pattern" in validate_pattern(None)
    error = validate_pattern("order (")
    assert "order (" in error and "missing )" in error


# --- KeywordMatcher ----------------------------------------------------------------------


def test_exact_mode_matches_whole_message_only():
    rule = Rule(id=1, keywords=("C", "Confirm"))
    matcher = KeywordMatcher([rule])
    found = matcher.match(" c! ")
    assert found == Match(rule, "c", 'whole message "c" equals keyword "C"')
    assert matcher.match("CONFIRM.").value == "confirm"
    assert matcher.match("c please") is None
    assert matcher.match("abc") is None


def test_exact_keywords_are_normalized_like_messages():
    rule = Rule(id="resa", keywords=("Réservé!",))
    matcher = KeywordMatcher([rule])
    assert matcher.match("RESERVE").rule is rule
    assert matcher.match("réservé").rule is rule


def test_first_word_mode_returns_rest_of_message():
    rule = Rule(id=2, keywords=("BOOK",), mode=MODE_FIRST_WORD)
    matcher = KeywordMatcher([rule])
    found = matcher.match("Book Tuesday 3pm!")
    assert found.rule is rule
    assert found.value == "tuesday 3pm"
    assert found.reason == 'first word "book" equals keyword "BOOK"'
    assert matcher.match("book").value == ""
    assert matcher.match("booking tuesday") is None
    assert matcher.match("I want to book") is None


def test_first_word_mode_accepts_multi_word_keywords():
    rule = Rule(id=3, keywords=("table for",), mode=MODE_FIRST_WORD)
    matcher = KeywordMatcher(
        [rule, Rule(id=4, keywords=("TABLE",), mode=MODE_FIRST_WORD)]
    )
    assert [m.rule.id for m in matcher.match_all("Table for 4")] == [3, 4]
    assert matcher.match("Table for 4").value == "4"
    assert matcher.match("table 4").rule.id == 4


def test_number_range_mode():
    rule = Rule(id="rating", mode=MODE_NUMBER, low=1, high=5)
    matcher = KeywordMatcher([rule])
    found = matcher.match("I'd say 4/5")
    assert found == Match(rule, 4, "number 4 in range 1–5")
    assert matcher.match("1").value == 1
    assert matcher.match("5").value == 5
    assert matcher.match("0") is None
    assert matcher.match("6") is None
    assert matcher.match("3 or 4") is None
    assert matcher.match("four").value == 4


def test_number_range_with_open_bounds():
    at_least = Rule(id="big", mode=MODE_NUMBER, low=100)
    at_most = Rule(id="small", mode=MODE_NUMBER, high=9, sequence=20)
    matcher = KeywordMatcher([at_least, at_most])
    assert matcher.match("250").reason == "number 250 at least 100"
    assert matcher.match("7").reason == "number 7 at most 9"
    assert matcher.match("50") is None


def test_number_range_picks_rules_by_priority():
    wide = Rule(id="wide", mode=MODE_NUMBER, low=0, high=10, sequence=20)
    narrow = Rule(id="narrow", mode=MODE_NUMBER, low=1, high=5, sequence=10)
    matcher = KeywordMatcher([wide, narrow])
    assert [m.rule.id for m in matcher.match_all("3")] == ["narrow", "wide"]
    assert [m.rule.id for m in matcher.match_all("8")] == ["wide"]


def test_regex_mode_returns_first_group_or_whole_match():
    grouped = Rule(id="order", mode=MODE_REGEX, pattern=r"order #?(\d+)")
    whole = Rule(id="zip", mode=MODE_REGEX, pattern=r"\b\d{4}\b", sequence=20)
    matcher = KeywordMatcher([grouped, whole])
    found = matcher.match("Where is ORDER #1234?")
    assert found.rule is grouped and found.value == "1234"
    assert found.reason == 'pattern "order #?(\\d+)" found "order #1234"'
    assert matcher.match("My zip is 1000").value == "1000"


def test_regex_mode_unmatched_optional_group_falls_back_to_whole_match():
    matcher = KeywordMatcher([Rule(id=1, mode=MODE_REGEX, pattern=r"yes( please)?")])
    assert matcher.match("yes").value == "yes"
    assert matcher.match("yes please").value == " please"


def test_regex_is_case_insensitive_and_runs_on_normalized_text():
    matcher = KeywordMatcher([Rule(id=1, mode=MODE_REGEX, pattern=r"^CAFE (\w+)$")])
    assert matcher.match("Café Latte!").value == "latte"


def test_invalid_regex_names_the_rule():
    with pytest.raises(ValueError, match=r"Rule broken-42: Invalid regular expression"):
        KeywordMatcher([Rule(id="broken-42", mode=MODE_REGEX, pattern="(unclosed")])
    with pytest.raises(
        ValueError, match=r"Rule 7: A regular expression rule needs a pattern"
    ):
        KeywordMatcher([Rule(id=7, mode=MODE_REGEX)])


def test_unknown_mode_and_empty_range_are_rejected():
    with pytest.raises(ValueError, match=r"Rule 1: unknown mode 'fuzzy'"):
        KeywordMatcher([Rule(id=1, mode="fuzzy")])
    with pytest.raises(ValueError, match=r"Rule 2: range 5–1 is empty"):
        KeywordMatcher([Rule(id=2, mode=MODE_NUMBER, low=5, high=1)])


def test_yes_and_no_intents_attach_to_rules():
    confirm = Rule(id="confirm", keywords=("C",), yes_intent=True)
    cancel = Rule(id="cancel", keywords=("X",), no_intent=True)
    matcher = KeywordMatcher([confirm, cancel])
    found = matcher.match("Yeah!")
    assert found == Match(confirm, "yes", 'yes-intent variant "yeah"')
    assert matcher.match("👍🏽").rule is confirm
    assert matcher.match("can't make it").rule is cancel
    assert matcher.match("can't make it").value == "no"
    assert matcher.match("maybe") is None


def test_intent_is_ignored_by_rules_that_did_not_ask_for_it():
    matcher = KeywordMatcher([Rule(id=1, keywords=("C",))])
    assert matcher.match("yes") is None


def test_rule_matched_twice_is_reported_once_with_its_keyword_reason():
    rule = Rule(id=1, keywords=("yes",), yes_intent=True)
    matches = KeywordMatcher([rule]).match_all("YES")
    assert len(matches) == 1
    assert matches[0].reason == 'whole message "yes" equals keyword "yes"'


def test_lowest_sequence_wins_then_order_given():
    first = Rule(id="first", keywords=("info",), sequence=10)
    second = Rule(id="second", keywords=("INFO",), sequence=10)
    urgent = Rule(id="urgent", mode=MODE_FIRST_WORD, keywords=("info",), sequence=5)
    late = Rule(id="late", mode=MODE_REGEX, pattern="inf", sequence=1)
    matcher = KeywordMatcher([first, second, urgent])
    assert [m.rule.id for m in matcher.match_all("Info")] == [
        "urgent",
        "first",
        "second",
    ]
    matcher = KeywordMatcher([first, second, urgent, late])
    assert matcher.match("Info").rule is late


def test_match_returns_none_and_match_all_empty_list_when_nothing_matches():
    matcher = KeywordMatcher(
        [Rule(id=1, keywords=("C",)), Rule(id=2, mode=MODE_NUMBER, low=1, high=5)]
    )
    assert matcher.match("Hello, who is this?") is None
    assert matcher.match_all("Hello, who is this?") == []
    assert matcher.match("") is None


def test_keywords_made_of_punctuation_are_ignored():
    matcher = KeywordMatcher([Rule(id=1, keywords=("!!!", "?"))])
    assert matcher.match("") is None
    assert matcher.match("!!!") is None


def test_empty_matcher():
    matcher = KeywordMatcher([])
    assert matcher.match("anything") is None
    assert matcher.explain("anything").startswith("No rule matches")


def test_rules_can_be_given_as_a_generator():
    matcher = KeywordMatcher(Rule(id=i, keywords=(f"kw{i}",)) for i in range(3))
    assert matcher.match("KW2").rule.id == 2


def test_scope_is_carried_untouched():
    scope = {"conversation_type": "appointment", "ids": [1, 2]}
    rule = Rule(id=1, keywords=("C",), scope=scope)
    assert KeywordMatcher([rule]).match("c").rule.scope is scope


def test_explain_describes_best_match_and_alternatives():
    matcher = KeywordMatcher(
        [
            Rule(id="confirm", keywords=("C",), sequence=5),
            Rule(id="catch-all", mode=MODE_REGEX, pattern=".+", sequence=99),
        ]
    )
    text = matcher.explain(" c! ")
    assert text.splitlines() == [
        'Rule confirm matches with value \'c\': whole message "c" equals keyword "C".',
        'Also matching, lower priority: rule catch-all: pattern ".+" found "c".',
    ]


def test_explain_shows_normalized_text_when_nothing_matches():
    matcher = KeywordMatcher([Rule(id=1, keywords=("C",))])
    assert (
        matcher.explain("  Héllo There!! ")
        == 'No rule matches the message (normalized: "hello there").'
    )


def test_large_rule_set_resolves_each_keyword_to_its_rule():
    rules = [Rule(id=i, keywords=(f"PROMO{i}", f"promo-{i}")) for i in range(1000)]
    matcher = KeywordMatcher(rules)
    for i in (0, 1, 499, 999):
        assert matcher.match(f" promo{i}!").rule.id == i
        assert matcher.match(f"Promo-{i}").rule.id == i
    assert matcher.match("promo1000") is None


def test_rule_and_match_are_immutable():
    rule = Rule(id=1, keywords=("C",))
    with pytest.raises(AttributeError):
        rule.sequence = 1
    with pytest.raises(AttributeError):
        Match(rule, "c", "").value = "d"


# --- Property: arbitrary text never breaks the engine ------------------------------------

PROPERTY_MATCHER = KeywordMatcher(
    [
        Rule(id="exact", keywords=("C", "Café", "👍")),
        Rule(id="first", mode=MODE_FIRST_WORD, keywords=("BOOK", "table for")),
        Rule(
            id="range", mode=MODE_NUMBER, low=1, high=5, yes_intent=True, no_intent=True
        ),
        Rule(id="regex", mode=MODE_REGEX, pattern=r"order (\d+)"),
        Rule(id="optional-group", mode=MODE_REGEX, pattern=r"x(y)?"),
    ]
)

# Any code point (surrogates included), mixed with the characters and words
# the engine treats specially so that interesting combinations get generated.
any_text = st.lists(
    st.one_of(
        st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=8),
        st.characters(categories=["Cs"]),
        st.sampled_from(list("0123456789 /.,#!'’\u200b\ufe0f🏽👍¨´ﬁéİß")),
        st.sampled_from(
            [
                "four",
                " out of ",
                "order ",
                "Yes",
                "STOP",
                "10/10",
                "4.5",
                "book ",
                "table for",
            ]
        ),
    ),
    max_size=30,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(any_text)
def test_arbitrary_text_never_raises(text):
    normalized = normalize(text)
    assert isinstance(normalized, str)
    assert normalized == normalized.strip()
    assert "  " not in normalized
    assert intent(text) in (None, "yes", "no")
    assert compliance_intent(text) in (None, "opt_out", "opt_in", "help")
    number = extract_number(text)
    assert number is None or (isinstance(number, int) and number >= 0)
    assert isinstance(looks_automated(text), bool)
    matches = PROPERTY_MATCHER.match_all(text)
    assert PROPERTY_MATCHER.match(text) == (matches[0] if matches else None)
    assert isinstance(PROPERTY_MATCHER.explain(text), str)


@settings(max_examples=300, deadline=None)
@given(any_text)
def test_normalize_is_idempotent(text):
    assert normalize(normalize(text)) == normalize(text)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(sorted(keywords.OPT_OUT_KEYWORDS)),
    st.sampled_from(["", " ", "!", "!!!", ".", "..."]),
)
def test_opt_out_survives_case_and_punctuation(keyword, suffix):
    assert compliance_intent(f"  {keyword.upper()}{suffix}") == "opt_out"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("yeah 👍", "yes"),
        ("ok sure", "yes"),
        ("nope 👎", "no"),
        ("yes no", None),
        ("yes maybe", None),
    ],
)
def test_intent_of_several_agreeing_words(text, expected):
    assert keywords.intent(text) == expected


# --- bounded patterns (catastrophic backtracking, huge texts) ---------------------------------


def test_catastrophic_pattern_is_cut_short_and_matches_nothing():
    rule = Rule(id="redos", keywords=(), mode=MODE_REGEX, pattern=r"^(a+)+$")
    matcher = KeywordMatcher([rule, Rule(id="hi", keywords=("hi",))])
    started = time.perf_counter()
    assert matcher.match("a" * 40 + "b") is None  # unbounded, this takes hours
    assert time.perf_counter() - started < 2
    assert (
        matcher.match("aaaa").rule.id == "redos"
    )  # the pattern still works on normal input
    assert matcher.match("Hi").rule.id == "hi"
    assert "No rule matches" in matcher.explain("a" * 40 + "b")


def test_only_the_start_of_a_long_message_is_matched():
    rule = Rule(id="late", keywords=(), mode=MODE_REGEX, pattern=r"needle")
    matcher = KeywordMatcher([rule])
    assert matcher.match("x " * 100 + "needle").rule.id == "late"
    assert matcher.match("x" * MAX_MATCH_CHARS + " needle") is None
