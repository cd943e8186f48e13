"""Unit tests of the FAQ matcher (plain Python, no Odoo) and its accuracy floors on the evaluation sets."""

import pytest
from faq_eval.evaluate import SETS, evaluate_set, load_entries, load_messages

from sms_two_way.core import faq
from sms_two_way.core.faq import DEFAULT_THRESHOLD, FaqEntry, FaqMatcher


@pytest.fixture(scope="module")
def matcher():
    return FaqMatcher(
        [
            FaqEntry(
                "hours",
                ("What are your opening hours?", "What time do you open on Sunday?"),
            ),
            FaqEntry("parking", ("Is there parking?", "Where can I park?")),
            FaqEntry(
                "trial", ("How much is a trial class?", "Is the first class free?")
            ),
            FaqEntry("prices", ("How much is a membership?", "What are your prices?")),
            FaqEntry("bring", ("What should I bring?", "Do I need my own mat?")),
            FaqEntry(
                "horaires",
                ("Quels sont vos horaires ?", "Vous êtes ouverts le dimanche ?"),
                lang="fr_FR",
            ),
        ]
    )


def answered(matcher, text, lang=None):
    found = matcher.match(text, lang)
    return found.entry.id if found.answers(DEFAULT_THRESHOLD) else None


@pytest.mark.parametrize(
    "text",
    [
        "What are your opening hours?",
        "what time do u open sunday",  # abbreviations
        "sunday open what time",  # word order
        "wat time r u opne on sunday??",  # typos
        "OPENING HOURS PLS",  # capitals, abbreviation
        "when are you open on sundays",  # plural
    ],
)
def test_robust_variants_find_the_entry(matcher, text):
    assert answered(matcher, text) == "hours"


def test_missing_accents_and_language(matcher):
    assert answered(matcher, "vous etes ouvert le dimanche", lang="fr_BE") == "horaires"


def test_entries_in_another_language_are_left_out(matcher):
    found = matcher.match("vous etes ouvert le dimanche", lang="en_US")
    assert found.entry is None or found.entry.id != "horaires"


def test_parking_with_typo(matcher):
    assert answered(matcher, "is ther parkng?") == "parking"


def test_best_entry_comes_with_confidence_and_runner_up(matcher):
    found = matcher.match("how much is a trial class")
    assert found.entry.id == "trial"
    assert 0 < found.runner_up_confidence < found.confidence <= 1
    assert found.runner_up.id == "prices"


def test_unknown_words_count_against_a_match(matcher):
    """ "Can I bring my dog?" shares "bring" with an entry but is less surely that question."""
    assert (
        matcher.match("can I bring my dog").confidence
        < matcher.match("what should I bring").confidence
    )
    assert answered(matcher, "can I bring my dog and my cat") is None


def test_a_tie_between_entries_is_not_answered():
    tied = FaqMatcher(
        [FaqEntry("a", ("Is there parking?",)), FaqEntry("b", ("Parking?",))]
    )
    found = tied.match("parking")
    assert found.entry.id == "a" and found.runner_up.id == "b"
    assert found.confidence == 0
    clear = FaqMatcher(
        [FaqEntry("a", ("Is there parking?",)), FaqEntry("b", ("Bike parking?",))]
    )
    assert clear.match("parking").answers(DEFAULT_THRESHOLD)


@pytest.mark.parametrize(
    "text",
    [
        "AGENT",
        "agent",
        "human pls",
        "can i talk to someone",
        "cn i tlk 2 sum1",
        "is this a bot?",
        "REPRESENTATIVE",
        "real person please",
        "pls call me back",
        "opening hours? or let me speak to a person",
        "je voudrais parler à quelqu'un",
    ],
)
def test_asking_for_a_person_always_hands_off(matcher, text):
    found = matcher.match(text)
    assert found.refusal == faq.REFUSED_PERSON
    assert not found.answers(0)


def test_per_person_is_not_a_request_for_a_person(matcher):
    assert not faq.asks_for_person("how much is it per person?")
    assert faq.asks_for_person("can I speak to a person")


@pytest.mark.parametrize(
    "text", ["you charged me twice for parking", "I lost my mat", "i want a refund"]
)
def test_reported_problems_hand_off(matcher, text):
    assert matcher.match(text).refusal == faq.REFUSED_PROBLEM


@pytest.mark.parametrize(
    "text, reason",
    [
        ("STOP", faq.REFUSED_COMPLIANCE),
        ("help", faq.REFUSED_COMPLIANCE),
        ("Info", faq.REFUSED_COMPLIANCE),
        ("", faq.REFUSED_EMPTY),
        (False, faq.REFUSED_EMPTY),
        ("   ", faq.REFUSED_EMPTY),
        ("👍", faq.REFUSED_EMPTY),
        (
            "Auto-reply: I am out of the office, what are your opening hours",
            faq.REFUSED_AUTOMATED,
        ),
    ],
)
def test_never_answers_compliance_empty_or_automated(matcher, text, reason):
    found = matcher.match(text)
    assert found.refusal == reason
    assert not found.answers(0)


def test_courtesy_messages_match_nothing(matcher):
    for text in ("thanks!", "great, thank you so much", "ok cool", "see you tonight"):
        assert answered(matcher, text) is None, text


def test_no_entries_matches_nothing():
    assert FaqMatcher([]).match("what are your hours").entry is None


def test_explain_names_entry_confidence_and_verdict(matcher):
    text = matcher.explain("what time do u open sunday")
    assert "hours" in text and "answered automatically" in text
    assert "always handed off" in matcher.explain("AGENT")


@pytest.mark.parametrize(
    "word, expected",
    [
        ("classes", "class"),
        ("class", "class"),
        ("parking", "park"),
        ("parked", "park"),
        ("opening", "open"),
        ("prices", "pric"),
        ("price", "pric"),
        ("boxes", "box"),
        ("collection", "collect"),
    ],
)
def test_stem(word, expected):
    assert faq.stem(word) == expected


def test_terms_merge_synonyms_and_drop_stopwords():
    assert faq.terms("How much does it cost?") == ["price"]
    assert faq.terms("what are the fees") == ["what", "price"]


# --- accuracy floors --------------------------------------------------------------
# The floors sit a little under today's numbers (studio 83% / 1.6% / 96%;
# garage 73% / 1.4% / 98%; dental 60% / 0.9% / 98%): a change that makes
# matching worse fails here.  The targets are >= 80% / <= 2% / >= 90%;
# the held-out sets are below the first one, and docs/replies.md says so.

FLOORS = {
    "studio": {"correct": 0.80, "wrong": 0.02, "person": 0.90},
    "garage": {"correct": 0.70, "wrong": 0.02, "person": 0.90},
    "dental": {"correct": 0.58, "wrong": 0.02, "person": 0.90},
    "bakery": {"correct": 0.40, "wrong": 0.06, "person": 0.90},
    "gym": {"correct": 0.52, "wrong": 0.02, "person": 0.90},
}


@pytest.mark.parametrize("name", SETS)
def test_accuracy_floors(name):
    outcome = evaluate_set(name, DEFAULT_THRESHOLD)
    floor = FLOORS[name]
    assert outcome.correct_rate >= floor["correct"], outcome.mistakes
    assert outcome.wrong_rate <= floor["wrong"], outcome.mistakes
    assert outcome.person_rate >= floor["person"]


@pytest.mark.parametrize("name", SETS)
def test_evaluation_sets_have_the_required_size(name):
    entries, messages = load_entries(name), load_messages(name)
    keys = {entry.id for entry in entries}
    assert len(entries) >= 15
    assert len([m for m in messages if m[0] == "@person"]) >= 40
    assert all(
        label.startswith("@") or label in keys for label, _lang, _text in messages
    )
    if name == "studio":
        assert len(messages) >= 150
