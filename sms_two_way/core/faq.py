"""FAQ matching: which prepared answer, if any, a customer's free-text question calls for.

Customers text "wat time u open sun??" for an entry written as "What are your
opening hours?".  Both sides are therefore reduced to *terms*: the text is
folded by :func:`keywords.normalize`, SMS abbreviations are spelled out
("u" → "you", "tmrw" → "tomorrow"), stopwords dropped, words stemmed
("classes" → "class", "parking" → "park") and a few customer-service
synonyms merged ("cost", "fee", "how much" → one price term).  A word the
index does not know is corrected to a known term one or two typos away.

An entry is scored by the best cosine similarity between the message and one
of its phrasings, each term weighted by how rare it is among the entries
(IDF).  Words of the message the index never saw count against the match:
"can I bring my dog?" shares "bring" with "What should I bring?" but is not
that question.  When the runner-up (another entry) is almost as close, the
confidence drops: the message is ambiguous and a person should answer.
Messages reporting a problem of the customer's own ("you charged me twice",
"I lost my key") are never answered either: no prepared answer fits them.

The matcher never answers what it must not: compliance keywords, empty or
media-only messages, text that looks automated, and messages that ask for a
person (those always go to a person, whatever the FAQ holds).

Plain Python on purpose (no Odoo import, stdlib only): ``sms.faq`` builds a
:class:`FaqMatcher` per company and caches it; the evaluation sets in
``tests/faq_eval`` and ``tests/bench_faq.py`` run it without a database.
"""

import math
import re
from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

from . import keywords

# A sensible default for the company setting, chosen on the "studio"
# evaluation set of tests/faq_eval (see docs/replies.md): below it, a person answers.
DEFAULT_THRESHOLD = 0.57

# The best entry must beat the runner-up by this much to keep its whole
# score as confidence; closer, the confidence shrinks, down to 0 for a tie:
# a message that fits two entries equally well is for a person.
AMBIGUITY_MARGIN = 0.05
# A term corrected from a typo counts a little less than a term typed right.
FUZZY_FACTOR = 0.8
# A word unknown to every entry weighs like a term found in one entry in this many.
UNKNOWN_WORD_RARITY = 1.5

# Why a message is not for the FAQ (FaqMatch.refusal).
REFUSED_EMPTY = "empty"
REFUSED_COMPLIANCE = "compliance"
REFUSED_AUTOMATED = "automated"
REFUSED_PERSON = "person"
REFUSED_PROBLEM = "problem"

_TOKEN_RE = re.compile(r"\w+")

# SMS spellings, contractions (normalize() drops apostrophes: "what's" is
# "whats") and a few common misspellings, spelled out before anything else.
ABBREVIATIONS = {
    "u": "you",
    "ya": "you",
    "yu": "you",
    "r": "are",
    "ur": "your",
    "urs": "yours",
    "y": "why",
    "pls": "please",
    "plz": "please",
    "plse": "please",
    "pl": "please",
    "svp": "please",
    "thx": "thanks",
    "thnx": "thanks",
    "tx": "thanks",
    "ty": "thanks",
    "tnx": "thanks",
    "tmrw": "tomorrow",
    "tmr": "tomorrow",
    "tmw": "tomorrow",
    "tomoz": "tomorrow",
    "2moro": "tomorrow",
    "2morrow": "tomorrow",
    "tomorow": "tomorrow",
    "2mrw": "tomorrow",
    "2day": "today",
    "tdy": "today",
    "2nite": "tonight",
    "tonite": "tonight",
    "2night": "tonight",
    "wat": "what",
    "wot": "what",
    "wht": "what",
    "whats": "what",
    "wen": "when",
    "whn": "when",
    "wheres": "where",
    "whr": "where",
    "hw": "how",
    "hows": "how",
    "cn": "can",
    "cud": "could",
    "shud": "should",
    "wud": "would",
    "gonna": "going",
    "wanna": "want",
    "gotta": "have",
    "im": "i",
    "ive": "i",
    "dont": "do not",
    "doesnt": "does not",
    "didnt": "did not",
    "cant": "can not",
    "cannot": "can not",
    "wont": "will not",
    "isnt": "is not",
    "arent": "are not",
    "wasnt": "was not",
    "havent": "have not",
    "theres": "there",
    "its": "it",
    "yall": "you",
    "b4": "before",
    "4": "for",
    "2": "to",
    "n": "and",
    "w": "with",
    "bc": "because",
    "cuz": "because",
    "coz": "because",
    "abt": "about",
    "msg": "message",
    "txt": "text",
    "ppl": "people",
    "appt": "appointment",
    "appts": "appointments",
    "apt": "appointment",
    "rdv": "appointment",
    "info": "information",
    "hrs": "hours",
    "hr": "hour",
    "min": "minutes",
    "mins": "minutes",
    "wk": "week",
    "wknd": "weekend",
    "wkend": "weekend",
    "weekends": "weekend",
    "mon": "monday",
    "tue": "tuesday",
    "tues": "tuesday",
    "wed": "wednesday",
    "thu": "thursday",
    "thur": "thursday",
    "thurs": "thursday",
    "fri": "friday",
    "sat": "saturday",
    "sun": "sunday",
    "sum1": "someone",
    "some1": "someone",
    "any1": "anyone",
    "no1": "no one",
    "tlk": "talk",
    "spk": "speak",
    "yr": "year",
    "yrs": "years",
    "1st": "first",
    "pic": "photo",
    "pics": "photos",
    "tires": "tyres",
    "tire": "tyre",
    "carpark": "car park",
    "colour": "color",
    "centre": "center",
    "ok": "okay",
    "k": "okay",
    "kk": "okay",
}

# Words that carry no meaning for matching a question (English, French, Spanish).
STOPWORDS = frozenset(
    """
a an the and or but if then so of to in on at by for from with about as into onto up out off over
i me my mine myself we us our ours you your yours he him his she her hers it its they them their
this that these those there here is are was were be been being am do does did doing done have has
had having will would shall should can could may might must just also too very really please hi
hello hey dear thanks thank okay any some anything something get got go going want wanted like
need know tell let guys much many yall one still ever again now oh well ah um hmm lol x xx xxx
le la les un une des du de d l et ou au aux en est sont je j tu il elle nous vous ils elles on
ce c cet cette ces mon ma mes ton ta tes son sa ses notre votre vos leur leurs que qu qui quoi pour
not no see great cool nice perfect awesome brilliant cheers bye
par sur avec dans pas ne n plus tres bonjour merci salut
el los las unos unas y o es son yo usted nosotros ustedes mi mis su sus por para con
hola gracias
""".split()
)

# Customer-service words that mean the same thing here.  The first word of
# each group names the group; every listed word (after stemming) maps to it.
SYNONYMS = (
    (
        "price",
        "price",
        "prices",
        "cost",
        "costs",
        "fee",
        "fees",
        "charge",
        "rate",
        "rates",
        "pricing",
        "expensive",
        "cheap",
        "tarif",
        "tarifs",
        "prix",
        "combien",
        "precio",
        "cuanto",
    ),
    (
        "hours",
        "hours",
        "opening",
        "open",
        "close",
        "closing",
        "closed",
        "shut",
        "horaires",
        "ouvert",
        "ouverts",
        "ouvrez",
        "ferme",
        "horario",
        "abierto",
    ),
    (
        "address",
        "address",
        "located",
        "location",
        "directions",
        "adresse",
        "direccion",
        "situated",
    ),
    (
        "book",
        "book",
        "booking",
        "reserve",
        "reservation",
        "appointment",
        "reserver",
        "cita",
    ),
    ("pay", "pay", "payment", "paying", "payer", "pago"),
    (
        "card",
        "card",
        "cards",
        "credit",
        "debit",
        "visa",
        "mastercard",
        "amex",
        "carte",
        "tarjeta",
    ),
    (
        "child",
        "child",
        "children",
        "kid",
        "kids",
        "teen",
        "teenager",
        "enfant",
        "enfants",
        "nino",
    ),
    ("gift", "gift", "voucher", "gifts", "vouchers", "certificate", "cadeau"),
    ("timetable", "timetable", "schedule", "planning", "calendar"),
    ("free", "free", "gratuit", "gratis"),
    (
        "class",
        "class",
        "classes",
        "lesson",
        "lessons",
        "session",
        "sessions",
        "course",
        "cours",
    ),
    ("pause", "pause", "freeze", "frozen", "suspend", "hold"),
    (
        "online",
        "online",
        "stream",
        "livestream",
        "streamed",
        "virtual",
        "zoom",
        "internet",
    ),
    ("teacher", "teacher", "instructor", "coach", "trainer"),
    ("quote", "quote", "quotation", "estimate", "estimation", "devis"),
    ("collect", "collect", "collection", "pickup", "fetch"),
    ("repair", "repair", "fix", "mend"),
    ("photo", "photo", "picture", "image"),
)

# Question and time words: a paraphrase often has them where the entry has
# none, so when the index does not know them they only weigh this little.
GENERIC_WORDS = frozenset(
    """
what when where how which who why whom time today tomorrow tonight day days week month morning
afternoon evening night now soon yet exactly usually normally still already ok okay sure right
""".split()
)
GENERIC_WEIGHT = 0.3

# Asking for a person: these always hand off.  Matched on the spelled-out
# words, so "cn i tlk 2 sum1" and "AGENT" are both found.
_PERSON_RE = re.compile(
    r"\b(?:%s)\b"
    % "|".join(
        (
            r"agents?",
            r"humans?",
            r"human being",
            r"operators?",
            r"representatives?",
            r"rep",
            r"receptionist",
            r"(?:real|live|actual|proper) (?:person|people|human)",
            r"(?<!per )person",
            r"someone",
            r"somebody",
            r"anyone",
            r"anybody",
            r"whoever",
            r"staff",
            r"manager",
            r"owner",
            r"boss",
            r"(?:talk|speak|chat) (?:to|with)",
            r"customer (?:service|care|support)",
            r"(?:call|ring|phone) me",
            r"(?:call|ring|phone)(?: me)? back",
            r"callback",
            r"give me a (?:call|ring)",
            r"contact me",
            r"get back to me",
            r"(?:are|is) (?:you|this|it) (?:a )?(?:bot|robot|machine|automated|real)",
            r"bot",
            r"robot",
            r"parler (?:a|avec)",
            r"quelqu ?un",
            r"conseill(?:er|ere)",
            r"humain",
            r"appel(?:er|ez)[- ]?moi",
            r"m ?appeler",
            r"rappel(?:er|ez)",
            r"hablar con",
            r"una persona",
            r"agente",
            r"llam(?:ar|enme|adme)",
        )
    )
)


# Reporting a problem of one's own (a charge, an injury, a lost item, a
# complaint): no prepared answer fits, whatever words it shares with one.
_PROBLEM_RE = re.compile(
    r"\b(?:%s)\b"
    % "|".join(
        (
            r"lost",
            r"forgot(?:ten)?",
            r"broken?",
            r"damaged?",
            r"scratch(?:ed|es)?",
            r"injur(?:y|ed|ies)",
            r"hurt",
            r"pain(?:ful)?",
            r"refund(?:ed)?",
            r"complain(?:t|ts|ed)?",
            r"rude",
            r"unhappy",
            r"not happy",
            r"disappointed",
            r"unacceptable",
            r"terrible",
            r"awful",
            r"(?:over|double ?)?charged",
            r"overbilled",
            r"(?:charge|bill) me",
            r"double booked",
            r"never (?:got|received|arrived|came)",
            r"did not (?:get|receive|work|arrive|go through)",
            r"(?:does|is|was) not work(?:ing)?",
            r"not working",
            r"crash(?:es|ed|ing)?",
            r"error",
            r"glitch",
            r"still (?:not|waiting)",
        )
    )
)


def _lang_code(lang):
    """ "fr_BE", "fr-FR" and "FR" are all "fr"; nothing is None."""
    return (lang or "").replace("-", "_").split("_")[0].lower() or None


def stem(word):
    """A light suffix stripper: plurals, -ing, -ed, final e ("classes", "class" → "class").

    Crude on purpose: it only has to give a word and its inflections the same
    form, on both sides of the comparison, for any European language.
    """
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith(("sses", "shes", "ches", "xes")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word.endswith(("tion", "sion")) and len(word) > 6:  # "collection", "collect"
        word = word[:-3]
    elif word.endswith("ing") and len(word) > 5:
        word = word[:-3]
    elif word.endswith("ed") and len(word) > 4:
        word = word[:-2]
    if (
        len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz"
    ):  # "runn" → "run"
        word = word[:-1]
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word


_SYNONYM_OF = {stem(word): group[0] for group in SYNONYMS for word in group[1:]}
_GENERIC_TERMS = frozenset(
    _SYNONYM_OF.get(stem(word), stem(word)) for word in GENERIC_WORDS
)


def _spelled_out(text):
    """The words of ``text``, folded and with SMS abbreviations and contractions spelled out."""
    words = []
    for token in _TOKEN_RE.findall(keywords.normalize(text).replace("_", " ")):
        words.extend(ABBREVIATIONS.get(token, token).split(" "))
    return words


# Word pairs that mean one term ("great, thank you so much" is not about prices).
_PHRASES = {("how", "much"): "price"}


def _phrased(words):
    """``words`` with the pairs of ``_PHRASES`` merged into their term."""
    merged, skip = [], False
    for first, second in zip(words, words[1:] + [""], strict=False):
        if skip:
            skip = False
        elif phrase := _PHRASES.get((first, second)):
            merged.append(phrase)
            skip = True
        else:
            merged.append(first)
    return merged


def _term(word):
    stemmed = stem(word)
    return _SYNONYM_OF.get(stemmed, stemmed)


def words_and_terms(text):
    """``(word, term)`` of each meaningful word of ``text``, in order (stopwords dropped)."""
    return [
        (word, _term(word))
        for word in _phrased(_spelled_out(text))
        if word not in STOPWORDS
    ]


def terms(text):
    """The ordered, de-duplicated matching terms of ``text``."""
    return list(dict.fromkeys(term for _word, term in words_and_terms(text)))


def asks_for_person(text):
    """Tell whether ``text`` asks for a person ("AGENT", "can sum1 call me", "is this a bot?")."""
    return bool(_PERSON_RE.search(" ".join(_spelled_out(text))))


def reports_problem(text):
    """Tell whether ``text`` reports a problem of the customer's own ("you charged me twice")."""
    return bool(_PROBLEM_RE.search(" ".join(_spelled_out(text))))


def refusal(text):
    """Why ``text`` must not get an FAQ answer (a ``REFUSED_*`` constant), or None.

    Compliance keywords have their own, legally required answers; an empty
    or media-only message asks nothing; answering an automated message could
    start a loop; a customer who asks for a person gets one.
    """
    if not keywords.normalize(text) or not _TOKEN_RE.search(keywords.normalize(text)):
        return REFUSED_EMPTY
    if keywords.compliance_intent(text):
        return REFUSED_COMPLIANCE
    if keywords.looks_automated(text):
        return REFUSED_AUTOMATED
    if asks_for_person(text):
        return REFUSED_PERSON
    if reports_problem(text):
        return REFUSED_PROBLEM
    return None


def _damerau_within(a, b, limit):
    """Whether the optimal-string-alignment distance between ``a`` and ``b`` is at most ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return False
    previous2, previous = None, list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, 1):
            cost = char_a != char_b
            current[j] = min(
                previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost
            )
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return False
        previous2, previous = previous, current
    return previous[-1] <= limit


def _deletions(word):
    return {word[:i] + word[i + 1 :] for i in range(len(word))} | {word}


def _typo_limit(word):
    return 0 if len(word) < 4 else 1 if len(word) < 8 else 2


# --- Entries and matcher -----------------------------------------------------------


@dataclass(frozen=True)
class FaqEntry:
    """One FAQ entry as the matcher sees it: example phrasings and an optional language."""

    id: Hashable
    questions: tuple[str, ...]
    lang: str | None = None


@dataclass(frozen=True)
class FaqMatch:
    """What the matcher found for one message.

    ``entry`` is the best entry (None when nothing is close or the message is
    refused), ``confidence`` in [0, 1]; ``runner_up`` the best other entry.
    ``refusal`` says why the message is not for the FAQ at all.
    """

    entry: FaqEntry | None = None
    confidence: float = 0.0
    runner_up: FaqEntry | None = None
    runner_up_confidence: float = 0.0
    refusal: str | None = None

    def answers(self, threshold):
        """Whether this match is good enough to answer automatically at ``threshold``."""
        return (
            self.entry is not None
            and self.refusal is None
            and self.confidence >= threshold
        )


class FaqMatcher:
    """Match free-text messages against one company's FAQ entries.

    Built once per set of entries (the Odoo model caches it): phrasings are
    turned into IDF-weighted term vectors in an inverted index, and every
    known term's one-letter deletions go into a typo index, so that a message
    costs a few dictionary lookups per word whatever the number of entries.
    """

    def __init__(self, entries: Iterable[FaqEntry]):
        self.entries = tuple(entries)
        self._langs = {_lang_code(entry.lang) for entry in self.entries} - {None}
        phrasings = []  # (entry position, terms)
        questions = [question for entry in self.entries for question in entry.questions]
        for position, entry in enumerate(self.entries):
            for question in entry.questions:
                if question_terms := terms(question):
                    phrasings.append((position, question_terms))
        document_frequency = defaultdict(set)
        for position, question_terms in phrasings:
            for term in question_terms:
                document_frequency[term].add(position)
        count = max(len(self.entries), 1)
        self._idf = {
            term: math.log(1 + count / len(found))
            for term, found in document_frequency.items()
        }
        self._unknown_weight = math.log(1 + count / UNKNOWN_WORD_RARITY)
        self._phrasing_entry = [position for position, _terms in phrasings]
        self._phrasing_norm = [
            math.sqrt(sum(self._idf[term] ** 2 for term in question_terms))
            for _position, question_terms in phrasings
        ]
        self._postings = defaultdict(list)  # term -> [(phrasing index, weight)]
        for index, (_position, question_terms) in enumerate(phrasings):
            for term in question_terms:
                self._postings[term].append((index, self._idf[term]))
        # Typos are corrected on words, not terms: "parkng" is one letter from
        # "parking" but two from its term "park".  Known words are those of the
        # phrasings and the synonyms of their terms; a typo of a longer stopword
        # ("ther", "thier") is recognised and dropped ("near" is not "dear").
        self._word_term = {
            word: term
            for question in questions
            for word, term in words_and_terms(question)
        }
        self._word_term.update(
            (word, group[0])
            for group in SYNONYMS
            if group[0] in self._idf
            for word in group[1:]
            if word not in STOPWORDS
        )
        self._typos = defaultdict(set)  # one-letter deletion -> known words
        for word in list(self._word_term) + [
            word for word in STOPWORDS if len(word) > 4
        ]:
            if word.isalpha() and _typo_limit(word):
                for variant in _deletions(word):
                    self._typos[variant].add(word)

    # ------------------------------------------------------------ matching
    def match(self, text: str, lang: str | None = None) -> FaqMatch:
        """The best entry for ``text`` (in language ``lang`` when entries exist in it)."""
        if reason := refusal(text):
            return FaqMatch(refusal=reason)
        return self._match_words(words_and_terms(text), lang)

    def _match_words(self, words, lang):
        weights = self._weigh(words)
        if not weights:
            return FaqMatch()
        message_norm = math.sqrt(sum(weight**2 for _term, weight in weights))
        dots = defaultdict(float)
        for term, weight in weights:
            for index, term_weight in self._postings.get(term, ()):
                dots[index] += weight * term_weight
        allowed = self._allowed_entries(lang)
        best_per_entry = {}
        for index, dot in dots.items():
            position = self._phrasing_entry[index]
            if allowed is not None and position not in allowed:
                continue
            score = dot / (message_norm * self._phrasing_norm[index])
            if score > best_per_entry.get(position, 0.0):
                best_per_entry[position] = score
        if not best_per_entry:
            return FaqMatch()
        ranked = sorted(best_per_entry.items(), key=lambda item: (-item[1], item[0]))
        best_position, best_score = ranked[0]
        runner_position, runner_score = ranked[1] if len(ranked) > 1 else (None, 0.0)
        confidence = best_score * min(
            1.0, (best_score - runner_score) / AMBIGUITY_MARGIN
        )
        return FaqMatch(
            entry=self.entries[best_position],
            confidence=round(max(confidence, 0.0), 4),
            runner_up=self.entries[runner_position]
            if runner_position is not None
            else None,
            runner_up_confidence=round(runner_score, 4),
        )

    def _weigh(self, words):
        """``(term, weight)`` pairs: known terms by IDF, typos corrected, unknown words as a rare term."""
        weighted = {}
        for word, term in words:
            weight = self._idf.get(term)
            if weight is None:
                corrected = self._correct(word)
                if corrected in STOPWORDS:
                    continue
                if corrected:
                    term, weight = (
                        self._word_term[corrected],
                        self._idf[self._word_term[corrected]] * FUZZY_FACTOR,
                    )
                else:
                    term = f"?{term}"
                    weight = (
                        GENERIC_WEIGHT
                        if term[1:] in _GENERIC_TERMS
                        else self._unknown_weight
                    )
            weighted[term] = max(weighted.get(term, 0.0), weight)
        return list(weighted.items())

    def _correct(self, word):
        """The known word (or stopword) within the typo limit of ``word``, or None.

        Among several, the closest one wins, then the most common term, then the alphabet.
        """
        limit = _typo_limit(word)
        if not limit or not word.isalpha():
            return None
        candidates = set()
        for variant in _deletions(word):
            candidates |= self._typos.get(variant, set())
        ranked = []
        for known in candidates:
            for distance in range(1, limit + 1):
                if _damerau_within(word, known, distance):
                    term = self._word_term.get(known)
                    ranked.append((distance, self._idf[term] if term else 0.0, known))
                    break
        return min(ranked)[2] if ranked else None

    def _allowed_entries(self, lang):
        """Entries in the contact's language and language-neutral ones (all when that leaves none).

        Entries in another language are left out: a French entry would
        otherwise answer an English contact who shares a synonym with it.
        """
        code = _lang_code(lang)
        if not code or not self._langs:
            return None
        allowed = {
            position
            for position, entry in enumerate(self.entries)
            if _lang_code(entry.lang) in (code, None)
        }
        return allowed or None

    # ------------------------------------------------------------ "Try a question"
    def explain(
        self,
        text: str,
        lang: str | None = None,
        threshold: float = DEFAULT_THRESHOLD,
        describe=None,
    ) -> str:
        """Describe, for the "Try a question" box, which entry answers ``text`` and how surely.

        ``describe(entry)`` names an entry (default: its id).
        """
        describe = describe or (lambda entry: str(entry.id))
        found = self.match(text, lang)
        if found.refusal:
            return {
                REFUSED_EMPTY: "Empty or media-only message: a person answers.",
                REFUSED_COMPLIANCE: "Compliance keyword: answered by the STOP/START/HELP texts, never by the FAQ.",
                REFUSED_AUTOMATED: "Looks automated: never answered automatically (loop protection).",
                REFUSED_PERSON: "Asks for a person: always handed off.",
                REFUSED_PROBLEM: "Reports a problem (a charge, an injury, a complaint...): a person answers.",
            }[found.refusal]
        if not found.entry:
            return f"No entry is close (terms: {', '.join(terms(text)) or 'none'}): a person answers."
        verdict = (
            "answered automatically"
            if found.answers(threshold)
            else "below the threshold: a person answers"
        )
        lines = [
            f'Best entry "{describe(found.entry)}" with confidence {found.confidence:.2f} ({verdict}, '
            f"threshold {threshold:.2f})."
        ]
        if found.runner_up:
            lines.append(
                f'Runner-up: "{describe(found.runner_up)}" ({found.runner_up_confidence:.2f}).'
            )
        return "\n".join(lines)
