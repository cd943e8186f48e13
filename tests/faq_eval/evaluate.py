"""Load an FAQ evaluation set and score the matcher on it (used by tests/test_faq.py and tests/bench_faq.py).

A set is ``<name>_entries.json`` (the FAQ a business would write) and
``<name>_messages.tsv``: one customer message per line, tab-separated
``label, language, message``.  The label is the key of the entry that should
answer, ``@person`` for a message that needs a person, or ``@none`` for a
message with nothing to answer ("thanks!").  Answering a ``@person`` or
``@none`` message, or answering with another entry, is a wrong answer.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

from sms_two_way.core.faq import FaqEntry, FaqMatcher

HERE = Path(__file__).resolve().parent
PERSON, NOTHING = "@person", "@none"
# How each set was used, most honest last (issue #13, held-out accuracy):
# - "studio": the defaults were tuned on it.
# - "garage": written separately, but four synonym groups (quote, collect,
#   repair, photo) and the "tires" spelling were added after reading its misses
#   (69.7% answered right without them), and its misses were read again for the
#   general lexicon.
# - "dental": written after the first defaults were frozen and evaluated once
#   (60.3% / 0.9% / 97.5%); its misses and wrong answers were then read for the
#   general lexicon (the own-case handoffs come partly from it).
# - "gym": written by the lexicon's author before reading any result on it
#   (53.1% / 6.4% / 82.5% with the matcher before the lexicon), then used as a
#   development set: its misses and wrong answers were read to find general
#   defences (typos keep their first letter, "failed", "copy of my", "won't let me").
# - "bakery": written before the general lexicon and scored before any matcher
#   change: 43.4% right, 3.8% wrong, 97.6% of need-a-person handed off.  Only
#   its totals were looked at while the matcher changed; its messages were never
#   read to pick words or settings.  It is the honest estimate for a new business.
#   After the general lexicon, answer words and own-case handoffs: 55.4% right,
#   3.8% wrong, 92.7% handed off (studio 89.4/1.1/95.7, garage 76.4/1.4/97.7,
#   dental 72.1/0.0/100, gym 60.9/0.0/100).
# - "salon": written after most of the lexicon, before its last changes (the
#   "where" cue, currency signs), and scored once at the end, before and after:
#   50.8% / 1.0% / 97.5% with the matcher before the lexicon, 62.7% / 1.0% /
#   97.5% with it.  Held out like "bakery".  Reading its misses afterwards
#   showed one bug ("why do I need to pay upfront" taken for the customer's own
#   case, which would also refuse an entry's own "Why do you need a deposit?");
#   it was fixed, with no change to any set's numbers.  Nothing else was changed
#   after reading the held-out sets' misses.
# - "vet" and "hairsalon": written blind by another engineer who never read the
#   matcher nor any other set's messages (only the file format), committed
#   before the matcher was final and scored once, on the final matcher:
#   vet 34.7% / 0.6% / 97.9%, hairsalon 66.0% / 6.5% / 88.6% (the matcher
#   before the lexicon: 30.6% / 0.6% / 97.9% and 53.0% / 5.2% / 90.9%).
#   Nothing was changed after scoring them: the most honest estimate.
#   Three rules added next (below) moved hairsalon to 66.0% / 5.8% / 90.9%.
# - "cycles" (bicycle shop): written by the FAQ engineer of the next session
#   while trying related English words from WordNet as weak evidence, then used
#   as a development set (58.2% / 3.2% / 92.5% before): its wrong answers gave
#   three general own-case/complaint rules ("what time did I book", "I booked /
#   I paid", "you didn't ...") and one-letter compounds ("ebikes"): 59.5% / 0% / 100%.
# - "plumbing" and "drivingschool": written blind by another engineer in that
#   session (never read the matcher nor any other set), scored on the matcher
#   before that session's changes (42.7% / 4.7% / 95.5% and 56.2% / 2.0% /
#   100%) and after them: unchanged.  The WordNet table was not merged: it
#   added 0 points on these two sets and on "cycles" (up to 3 on the older
#   held-out sets) for a 760 kB data file.
#   A second answering band was tried too: confidence >= 0.45 with a lead of
#   0.3 over the runner-up (tuned on the development sets: studio, garage,
#   dental, gym, cycles; their mean went from 71.7% right / 0.5% wrong to
#   76.8% / 2.0%).  Decided in advance: keep it only if, on the six held-out
#   and blind sets, right rose by >= 3 points and wrong by <= 1 point.  It gave
#   +4.5 right and +1.7 wrong (53.0% / 3.0% -> 57.5% / 4.7%): not kept.
SETS = (
    "studio",
    "garage",
    "dental",
    "gym",
    "cycles",
    "bakery",
    "salon",
    "vet",
    "hairsalon",
    "plumbing",
    "drivingschool",
)
# What the bench prints next to each set's numbers.
ROLES = {
    "studio": "tuned on",
    "garage": "misses read",
    "dental": "misses read",
    "gym": "development",
    "cycles": "development",
    "bakery": "held out",
    "salon": "held out",
    "vet": "blind",
    "hairsalon": "blind",
    "plumbing": "blind",
    "drivingschool": "blind",
}


@dataclass
class Outcome:
    """Counts of one evaluation run, and the wrong answers for inspection."""

    answerable: int = 0
    need_person: int = 0
    other: int = 0
    correct: int = 0
    wrong: int = 0
    handed_off: int = 0
    person_handed_off: int = 0
    mistakes: list = field(default_factory=list)

    @property
    def total(self):
        return self.answerable + self.need_person + self.other

    @property
    def correct_rate(self):
        """Share of the answerable messages answered with the right entry."""
        return self.correct / self.answerable if self.answerable else 0.0

    @property
    def wrong_rate(self):
        """Share of all messages answered with a wrong entry (or answered when they should not be)."""
        return self.wrong / self.total if self.total else 0.0

    @property
    def person_rate(self):
        """Share of the messages needing a person that were handed off."""
        return self.person_handed_off / self.need_person if self.need_person else 0.0


def load_entries(name):
    data = json.loads((HERE / f"{name}_entries.json").read_text(encoding="utf-8"))
    return [
        FaqEntry(
            id=item["key"],
            questions=tuple(item["question"].splitlines()),
            lang=item.get("lang"),
            answer=item.get("answer", ""),
        )
        for item in data["entries"]
    ]


def load_messages(name):
    """``(label, lang, text)`` triples."""
    rows = []
    for line in (
        (HERE / f"{name}_messages.tsv").read_text(encoding="utf-8").splitlines()
    ):
        if line.strip() and not line.startswith("#"):
            label, lang, text = line.split("\t", 2)
            rows.append((label, None if lang == "-" else lang, text))
    return rows


def evaluate(matcher, messages, threshold):
    outcome = Outcome()
    for label, lang, text in messages:
        found = matcher.match(text, lang)
        answered = found.entry.id if found.answers(threshold) else None
        if label == PERSON:
            outcome.need_person += 1
        elif label == NOTHING:
            outcome.other += 1
        else:
            outcome.answerable += 1
        if answered is None:
            outcome.handed_off += 1
            outcome.person_handed_off += label == PERSON
        elif answered == label:
            outcome.correct += 1
        else:
            outcome.wrong += 1
            outcome.mistakes.append((text, label, answered, found.confidence))
    return outcome


def evaluate_set(name, threshold):
    return evaluate(FaqMatcher(load_entries(name)), load_messages(name), threshold)
