"""Unit tests of the FAQ matcher (plain Python, no Odoo) and its accuracy floors on the evaluation sets."""

from dataclasses import replace

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
    assert faq.terms("membership $?") == faq.terms("membership price")
    assert faq.terms("what are the fees") == ["what", "price"]


# --- general knowledge: concepts, compounds, shortenings, answers ---------------


@pytest.fixture(scope="module")
def shop():
    return FaqMatcher(
        [
            FaqEntry("hours", ("Are you open on Saturday?", "Opening hours")),
            FaqEntry("checkup", ("How much is a check-up?",)),
            FaqEntry("gift", ("Do you sell giftcards?",)),
            FaqEntry("exam", ("Do you offer an eye examination?",)),
            FaqEntry("change", ("How do I reschedule?",)),
            FaqEntry("where", ("What is your address?",)),
            FaqEntry("duration", ("How long does a repair take?",)),
            FaqEntry(
                "equipment",
                ("What equipment do you have?",),
                answer="Squat racks, dumbbells to 50 kg and rowers.",
            ),
            FaqEntry("parking", ("Is there parking?",)),
            FaqEntry("ready", ("When will my car be ready?",)),
        ]
    )


def test_a_word_of_the_same_concept_matches_without_becoming_it(shop):
    """ "sunday" is a day like the entry's "Saturday": it supports the match, it does not count against it."""
    assert answered(shop, "r u open sunday?") == "hours"
    found = shop.match("are you open on saturday")
    assert found.confidence > shop.match("are you open on sunday").confidence


def test_concept_matches_alone_stay_below_the_threshold(shop):
    found = shop.match("see you tonight")
    assert found.confidence <= faq.CONCEPT_WEIGHT < DEFAULT_THRESHOLD


def test_concepts_bridge_changes_places_and_durations(shop):
    assert answered(shop, "can i move my booking to friday") is None or (
        answered(shop, "can i move my booking to friday") == "change"
    )
    assert shop.match("how do i move it").entry.id == "change"
    assert shop.match("how do i find you").entry.id == "where"
    assert answered(shop, "how long for a repair") == "duration"


def test_where_asks_for_a_place():
    """ "where r u" shares "where" with both entries; the address entry is the place."""
    matcher = FaqMatcher(
        [
            FaqEntry("location", ("Where are you located?", "What is your address?")),
            FaqEntry("parking", ("Where can I park?", "Is there parking?")),
            FaqEntry("hours", ("When are you open?",)),
        ]
    )
    found = matcher.match("where r u")
    assert found.entry.id == "location"
    assert found.confidence > matcher.match("where r u").runner_up_confidence
    assert matcher.match("where can i park").entry.id == "parking"


def test_compounds_follow_the_entries_spelling(shop):
    assert answered(shop, "how much for a checkup") == "checkup"
    assert answered(shop, "do u sell gift cards") == "gift"
    # A question word is no part of a compound: "somewhere" is not "where".
    assert shop._split_compound("somewhere") is None


def test_a_one_letter_prefix_written_apart_by_the_entries():
    matcher = FaqMatcher(
        [
            FaqEntry("ebikes", ("Do you service e-bikes?",)),
            FaqEntry("service", ("How much is a service?",)),
        ]
    )
    assert matcher._split_compound("ebikes") == ("e", "bikes")
    assert answered(matcher, "do u service ebikes") == "ebikes"


def test_shortened_words_are_found_from_their_start(shop):
    assert answered(shop, "do you do eye exams") == "exam"
    # "show" is not a shortening of "showers": too close to be one.
    assert FaqMatcher([FaqEntry("s", ("Are there showers?",))])._correct("show") is None


def test_short_typos_keep_their_first_letter(shop):
    assert shop._word_term[shop._correct("parkk")] == "park"
    assert shop._correct("mark") is None  # a name, not "park"


def test_answer_words_support_a_match_but_never_answer_alone(shop):
    assert answered(shop, "what equipment do you have, any dumbbells?") == "equipment"
    assert shop.match("dumbbells?").entry.id == "equipment"
    assert not shop.match("dumbbells?").answers(DEFAULT_THRESHOLD)
    assert shop.match("dumbbells, rowers, squat racks?").confidence <= faq.ANSWER_WEIGHT
    without_answer = FaqMatcher(replace(entry, answer="") for entry in shop.entries)
    assert (
        without_answer.match("what equipment do you have, any dumbbells?").confidence
        < shop.match("what equipment do you have, any dumbbells?").confidence
    )


def test_confidence_never_passes_one(shop):
    for text in ("open saturday sunday weekend", "equipment dumbbells rowers racks"):
        assert shop.match(text).confidence <= 1


@pytest.mark.parametrize(
    "text",
    [
        "is my car ready yet?",
        "what time is my appointment again",
        "did you get my insurance form",
        "can you check if my referral arrived",
        "why is my bill higher than the quote",
        "can i get a copy of my contract",
        "the showers were cold again",
        "i came in yesterday, is the parking free",
        "last time the repair took all day",
        "what time did i book my service for",
        "i booked for 10am but cant make it, can we do 2pm",
    ],
)
def test_questions_about_the_customers_own_case_hand_off(shop, text):
    assert shop.match(text).refusal == faq.REFUSED_OWN_CASE


def test_a_general_question_with_my_stays_answerable(shop):
    assert answered(shop, "when will my car be ready") == "ready"
    assert answered(shop, "i was wondering if there is parking") == "parking"
    # "Why do you need a deposit?" is a general question an entry may hold.
    assert not faq.asks_about_own_case("why do you need a deposit")
    # Something bought elsewhere is no booking of ours.
    assert not faq.asks_about_own_case("can you fit tyres i bought online")


@pytest.mark.parametrize(
    "text",
    [
        "my direct debit failed",
        "the app wont let me book",
        "no one turned up",
        "you didnt fix the puncture properly",
    ],
)
def test_failures_hand_off(shop, text):
    assert shop.match(text).refusal == faq.REFUSED_PROBLEM


def test_a_refund_policy_is_answerable_a_refund_is_not():
    matcher = FaqMatcher(
        [
            FaqEntry("refunds", ("What is your refund policy?",)),
            FaqEntry("hours", ("What are your opening hours?",)),
        ]
    )
    assert answered(matcher, "whats ur refund policy") == "refunds"
    assert matcher.match("i want a refund for yesterday").refusal == faq.REFUSED_PROBLEM
    assert matcher.match("you refunded the wrong card").refusal == faq.REFUSED_PROBLEM


# --- accuracy floors --------------------------------------------------------------
# The floors sit a little under today's numbers (studio 89.4% / 1.1% / 95.7%;
# garage 76.4% / 1.4% / 97.7%; dental 72.1% / 0% / 100%; gym 60.9% / 0% /
# 100%; cycles 59.5% / 0% / 100%; bakery 55.4% / 3.8% / 92.7%; salon 62.7% /
# 1.0% / 97.5%): a change
# that makes matching worse fails here.  The targets are >= 80% / <= 2%
# / >= 90%; the sets other than studio are below the first one, the held-out
# bakery set above the second, and docs/replies.md says so.

FLOORS = {
    "studio": {"correct": 0.86, "wrong": 0.02, "person": 0.90},
    "garage": {"correct": 0.74, "wrong": 0.02, "person": 0.90},
    "dental": {"correct": 0.70, "wrong": 0.02, "person": 0.90},
    "gym": {"correct": 0.58, "wrong": 0.02, "person": 0.90},
    "bakery": {"correct": 0.52, "wrong": 0.04, "person": 0.90},
    "salon": {"correct": 0.60, "wrong": 0.02, "person": 0.90},
    # Written blind by another engineer, scored once (34.7% / 0.6% / 97.9% and 66.0% / 6.5% / 88.6%).
    "vet": {"correct": 0.32, "wrong": 0.02, "person": 0.90},
    "hairsalon": {"correct": 0.63, "wrong": 0.07, "person": 0.88},
    "cycles": {"correct": 0.57, "wrong": 0.02, "person": 0.90},
    # Written blind in a later session (42.7% / 4.7% / 95.5% and 56.2% / 2.0% / 100%).
    "plumbing": {"correct": 0.40, "wrong": 0.06, "person": 0.90},
    "drivingschool": {"correct": 0.53, "wrong": 0.03, "person": 0.90},
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
