"""FAQ matching: which prepared answer, if any, a customer's free-text question calls for.

Customers text "wat time u open sun??" for an entry written as "What are your
opening hours?".  Both sides are therefore reduced to *terms*: the text is
folded by :func:`keywords.normalize`, SMS abbreviations are spelled out
("u" → "you", "tmrw" → "tomorrow"), stopwords dropped, words stemmed
("classes" → "class", "parking" → "park") and customer-service synonyms
merged ("cost", "fee", "how much" → one price term).  A word the index does
not know is corrected to a known term one or two typos away, read as a
shortening of a longer one ("exam"), or split or joined to the entries'
spelling ("checkup", "check-up").  Broader topics (CONCEPTS: days, money,
changes, places...) let "sunday" support "Are you open on Saturday?" without
becoming "saturday", and the words of an entry's answer support that entry;
both count less than the phrasings' own words.

An entry is scored by the best cosine similarity between the message and one
of its phrasings, each term weighted by how rare it is among the entries
(IDF).  Words of the message the index never saw count against the match:
"can I bring my dog?" shares "bring" with "What should I bring?" but is not
that question.  When the runner-up (another entry) is almost as close, the
confidence drops: the message is ambiguous and a person should answer.
Messages reporting a problem of the customer's own ("you charged me twice",
"I lost my key") or asking about their own booking or order ("is my car
ready yet?") are never answered either: no prepared answer fits them.

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
# Words shorter than this are only corrected to known words with the same first letter.
SAME_FIRST_LETTER_BELOW = 6
# A word this long or longer may be a shortening of a longer known word.
SHORTENED_MIN = 4
# A word unknown to every entry weighs like a term found in one entry in this many.
UNKNOWN_WORD_RARITY = 1.5

# Why a message is not for the FAQ (FaqMatch.refusal).
REFUSED_EMPTY = "empty"
REFUSED_COMPLIANCE = "compliance"
REFUSED_AUTOMATED = "automated"
REFUSED_PERSON = "person"
REFUSED_PROBLEM = "problem"
REFUSED_OWN_CASE = "own_case"

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
    "id": "i would",
    "youre": "you are",
    "youll": "you will",
    "youve": "you have",
    "theyre": "they are",
    "thats": "that",
    "whos": "who",
    "whens": "when",
    "hasnt": "has not",
    "hadnt": "had not",
    "werent": "were not",
    "couldnt": "could not",
    "shouldnt": "should not",
    "wouldnt": "would not",
    "aint": "is not",
    "lemme": "let me",
    "gimme": "give me",
    "dunno": "do not know",
    "thru": "through",
    "till": "until",
    "til": "until",
    "nite": "night",
    "asap": "soon",
    "approx": "about",
    "bday": "birthday",
    "xmas": "christmas",
    "hrly": "hourly",
    "mth": "month",
    "mnth": "month",
    "num": "number",
    "ph": "phone",
    "addy": "address",
    "loc": "location",
    "avail": "available",
    "availabilty": "availability",
    "reso": "reservation",
    "rez": "reservation",
    "resched": "reschedule",
    "pmt": "payment",
    "pymt": "payment",
    "amt": "amount",
    "qty": "quantity",
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
        "priced",
        "pricey",
        "tariff",
        "coute",
        "cuesta",
        "costo",
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
        "opens",
        "closes",
        "shuts",
        "ouverture",
        "fermeture",
        "abre",
        "cierra",
        "cerrado",
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
        "whereabouts",
        "postcode",
        "ubicacion",
        "situe",
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
        "rdv",
        "prenotar",
        "reservar",
        "reserve",
        "reservation",
        "appointment",
        "reserver",
        "cita",
    ),
    ("pay", "pay", "payment", "paying", "payer", "pago", "paid", "pagar", "paiement"),
    (
        "card",
        "card",
        "cards",
        "credit",
        "debit",
        "visa",
        "mastercard",
        "amex",
        "contactless",
        "applepay",
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
        "toddler",
        "infant",
        "ninos",
        "enfants",
        "nino",
    ),
    (
        "gift",
        "gift",
        "voucher",
        "gifts",
        "vouchers",
        "certificate",
        "cadeau",
        "giftcard",
    ),
    ("timetable", "timetable", "schedule", "planning", "calendar"),
    ("free", "free", "gratuit", "gratis", "complimentary", "gratuito"),
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
    (
        "park",
        "park",
        "parking",
        "carpark",
        "garer",
        "stationnement",
        "aparcar",
        "estacionamiento",
    ),
    ("pet", "pet", "pets", "animal", "animals", "mascota"),
    ("dog", "dog", "dogs", "puppy", "pup", "chien", "perro"),
    (
        "wheelchair",
        "wheelchair",
        "accessible",
        "accessibility",
        "disabled",
        "disability",
        "handicap",
        "mobility",
        "stepfree",
    ),
    ("wifi", "wifi", "wireless", "hotspot"),
    (
        "discount",
        "discount",
        "reduction",
        "concession",
        "concessions",
        "promo",
        "promotion",
        "coupon",
        "descuento",
        "reduc",
        "deal",
        "deals",
        "cheaper",
    ),
    (
        "insurance",
        "insurance",
        "insurer",
        "insurers",
        "insured",
        "assurance",
        "mutuelle",
        "seguro",
    ),
    ("cancel", "cancel", "cancellation", "annuler", "annulation", "cancelar"),
    ("reschedule", "reschedule", "rebook", "postpone", "reprogramar"),
    (
        "deliver",
        "deliver",
        "delivery",
        "deliveries",
        "shipping",
        "livraison",
        "livrer",
        "entrega",
        "domicilio",
    ),
    ("late", "late", "delayed", "delay", "retard", "tarde"),
    ("email", "email", "mail", "courriel", "correo"),
    ("website", "website", "site", "web", "webpage"),
    ("phone", "phone", "telephone", "tel", "telefono"),
    ("duration", "duration", "duracion"),
    ("deposit", "deposit", "downpayment", "acompte", "deposito"),
    ("invoice", "invoice", "receipt", "facture", "factura"),
    ("wait", "wait", "waiting", "queue", "attente", "espera"),
)

# Broader topics customers text businesses about.  A word of a concept keeps
# its own term and also brings the concept's term, weighted CONCEPT_WEIGHT:
# "open sunday?" is close to "Are you open on Saturday?" (a day), "can I move
# my booking" to "How do I reschedule?" (a change), without "sunday" becoming
# "saturday".  A message word that no entry knows but whose concept an entry
# has does not count against the match.  Written from what people text any
# business (hours, money, places, changes...), in the matcher's languages; not
# from one evaluation set's messages.
CONCEPTS = (
    (
        "day",
        """monday tuesday wednesday thursday friday saturday sunday weekend weekday weekdays
        today tonight tomorrow morning afternoon evening night holiday holidays christmas easter
        lundi mardi mercredi jeudi vendredi samedi dimanche aujourd demain soir matin
        lunes martes miercoles jueves viernes sabado domingo hoy manana tarde noche""",
    ),
    (
        "money",
        """price pay card cash deposit invoice discount quote finance instalment instalments
        installment installments monthly bill cheque transfer free euro euros eur dollar
        dollars pound pounds argent efectivo""",
    ),
    (
        "change",
        """reschedule cancel move change switch swap rearrange modify postpone earlier later
        changer deplacer cambiar mover""",
    ),
    (
        "availability",
        """book slot slots availability available space spaces spot spots walkin waitlist
        full booked dispo disponible disponibilidad""",
    ),
    (
        "join",
        """register registration signup join enrol enroll enrolment enrollment member members
        membership inscription inscrire inscribir""",
    ),
    (
        "place",
        """address street road avenue lane station bus tram train metro subway underground floor
        building map near nearest nearby far find directions entrance rue calle""",
    ),
    (
        "duration",
        """duration long minute minutes hour ready done finished quick quickly fast
        wait""",
    ),
    (
        "child",
        """child son daughter baby babies boy girl age old toddler family grandson granddaughter
        fils fille bebe hijo hija bebe""",
    ),
    (
        "access",
        """wheelchair lift elevator stairs step steps ramp pram stroller walker crutches access
        ascenseur ascensor""",
    ),
    ("pet", "pet dog cat"),
    (
        "contact",
        """phone email website number contact whatsapp instagram facebook""",
    ),
    (
        "bring",
        """bring wear clothes clothing outfit shoes equipment kit gear apporter traer""",
    ),
    (
        "handover",
        """deliver collect pickup dropoff drop send post courier""",
    ),
    (
        "discount",
        """discount student students senior seniors pensioner pensioners oap military veteran
        veterans unemployed""",
    ),
    (
        "insurance",
        """insurance claim cover covered coverage policy""",
    ),
)
CONCEPT_WEIGHT = 0.5
# Question words that ask for a topic: "where r u" is about a place, so it
# supports the entries with place words ("address") over other "where" ones.
QUESTION_CUES = {"where": "~place", "donde": "~place"}
# A message word found only in an entry's answer counts this much of its
# weight: under the default threshold, so answer words alone never answer.
ANSWER_WEIGHT = 0.55
_PLACEHOLDER_RE = re.compile(r"\{\w*\}")

# Question and time words: a paraphrase often has them where the entry has
# none, so when the index does not know them they only weigh this little.
GENERIC_WORDS = frozenset(
    """
what when where how which who why whom time today tomorrow tonight day days week month morning
afternoon evening night now soon yet exactly usually normally still already ok okay sure right
take taking accept accepting offer offering provide make come coming use able allowed possible
available doable fine alright around until
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
            # "I want a refund" is a case; "your refund policy" a general question.
            r"refund(?:ed)?(?! polic)",
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
            r"(?:you|u) did not",
            r"(?:does|is|was) not work(?:ing)?",
            r"not working",
            r"fail(?:s|ed|ing)?",
            r"(?:will|would|does|did|can|could) not (?:let|allow)",
            r"(?:no one|nobody) (?:turned|showed|came|answered|called|replied|was there)",
            r"crash(?:es|ed|ing)?",
            r"error",
            r"glitch",
            r"still (?:not|waiting)",
        )
    )
)


# Asking about the customer's own booking, order or file ("is my car ready
# yet?", "what time is my appointment?", "did you get my form?"), or telling
# what happened to them ("the class was cancelled", "I came yesterday"): the answer
# is in their record, not in a prepared text, even when the words match one
# ("When will my car be ready?" as a general question stays answerable).
_OWN_CASE_RE = re.compile(
    r"\b(?:%s)\b"
    % "|".join(
        (
            r"(?:what time|when|where|what day) (?:is|was) my",
            r"(?:is|was|are|were|has|have|did) my (?:\w+ ){1,2}(?:ready|done|finished|arrived"
            r"|confirmed|booked|sent|received|paid|processed|shipped|fixed|through|approved)",
            r"(?:if|whether) my (?:\w+ ){1,2}(?:is|was|has|have|arrived|came|went)",
            r"did (?:you|u) (?:get|receive|see|send|book|charge|find)",
            r"(?:what time|when|what day|where) did i",
            r"i (?:booked|paid)",
            r"why (?:is|was|did|has|have|were) (?:my|i|you)",
            r"cop(?:y|ies) of my",
            # The past is the customer's own story: prepared answers are about
            # now and next time ("I was wondering..." is only politeness).
            r"(?:was|were)(?! (?:just )?(?:wondering|hoping|thinking|going|looking|planning"
            r"|interested|asking|curious|meaning))",
            r"yesterday|last (?:time|week|night|month|visit)",
            r"hier|ayer|etait",
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


def _concepts_of_terms():
    concepts = defaultdict(list)
    for name, words in CONCEPTS:
        for word in words.split():
            stemmed = stem(word)
            term = _SYNONYM_OF.get(stemmed, stemmed)
            if f"~{name}" not in concepts[term]:
                concepts[term].append(f"~{name}")
    return {term: tuple(names) for term, names in concepts.items()}


# term -> the concept terms ("~day", "~money"...) it brings.
_CONCEPTS_OF = _concepts_of_terms()
_GENERIC_TERMS = frozenset(
    _SYNONYM_OF.get(stem(word), stem(word)) for word in GENERIC_WORDS
)


# A currency sign asks about money: "$?" and "is it 20€" are about a price.
_CURRENCY_RE = re.compile(r"[$€£¥]")


def _spelled_out(text):
    """The words of ``text``, folded and with SMS abbreviations and contractions spelled out."""
    words = []
    folded = _CURRENCY_RE.sub(" price ", keywords.normalize(text).replace("_", " "))
    for token in _TOKEN_RE.findall(folded):
        words.extend(ABBREVIATIONS.get(token, token).split(" "))
    return words


# Word pairs that mean one term ("great, thank you so much" is not about prices).
_PHRASES = {
    ("how", "much"): "price",
    ("how", "long"): "duration",
    ("how", "old"): "age",
    ("find", "you"): "directions",
    ("get", "there"): "directions",
    ("pick", "up"): "pickup",
    ("drop", "off"): "dropoff",
    ("walk", "in"): "walkin",
    ("sign", "up"): "signup",
    ("gift", "card"): "giftcard",
    ("gift", "cards"): "giftcard",
    ("credit", "card"): "card",
    ("debit", "card"): "card",
    ("apple", "pay"): "applepay",
    ("google", "pay"): "applepay",
    ("car", "park"): "carpark",
    ("wi", "fi"): "wifi",
    ("e", "mail"): "email",
    ("step", "free"): "stepfree",
    ("phone", "number"): "phone",
}


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


def _concepts(text_terms):
    """The concept terms ("~day", "~money"...) that ``text_terms`` bring, de-duplicated."""
    return list(
        dict.fromkeys(
            concept for term in text_terms for concept in _CONCEPTS_OF.get(term, ())
        )
    )


def asks_for_person(text):
    """Tell whether ``text`` asks for a person ("AGENT", "can sum1 call me", "is this a bot?")."""
    return bool(_PERSON_RE.search(" ".join(_spelled_out(text))))


def reports_problem(text):
    """Tell whether ``text`` reports a problem of the customer's own ("you charged me twice")."""
    return bool(_PROBLEM_RE.search(" ".join(_spelled_out(text))))


def asks_about_own_case(text):
    """Tell whether ``text`` asks about the customer's own booking or order ("is my car ready yet?")."""
    return bool(_OWN_CASE_RE.search(" ".join(_spelled_out(text))))


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
    if asks_about_own_case(text):
        return REFUSED_OWN_CASE
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
    """One FAQ entry as the matcher sees it: example phrasings, an optional language, the answer.

    The answer's words are weak evidence: "do you have dumbbells?" is about
    the entry answered "...squat racks, dumbbells to 50 kg...".
    """

    id: Hashable
    questions: tuple[str, ...]
    lang: str | None = None
    answer: str = ""


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
            for term in question_terms + _concepts(question_terms):
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
        # A concept term stands in for the phrasing's own word(s) of that
        # concept: it weighs like the rarest of them, and is not counted again
        # in the phrasing's norm.
        self._postings = defaultdict(list)  # term -> [(phrasing index, weight)]
        for index, (_position, question_terms) in enumerate(phrasings):
            for term in question_terms:
                self._postings[term].append((index, self._idf[term]))
            stand_ins = defaultdict(float)
            for term in question_terms:
                for concept in _CONCEPTS_OF.get(term, ()):
                    stand_ins[concept] = max(stand_ins[concept], self._idf[term])
            for concept, weight in stand_ins.items():
                self._postings[concept].append((index, weight))
        self._index_answers(phrasings)
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
        # Shortened words ("exam" for "examination", "approx" for "approximately"):
        # a prefix of at least SHORTENED_MIN letters, three or more letters short
        # of the word's stem ("show" is not "showers"), leads to the known words it starts.
        self._shortened = defaultdict(set)  # prefix -> known words
        for word in self._word_term:
            for end in range(SHORTENED_MIN, len(stem(word)) - 2):
                self._shortened[word[:end]].add(word)

    def _index_answers(self, phrasings):
        """Index the words of the answers that no phrasing has, as ``=term`` postings.

        A message word that only an answer has weighs like an unknown word,
        and each phrasing of that entry holds it at ANSWER_WEIGHT of that: it
        makes the match surer than an unknown word would, less sure than the
        phrasing's own words, and answer words alone never pass ANSWER_WEIGHT.
        """
        answer_terms = {}
        for position, entry in enumerate(self.entries):
            answer_terms[position] = {
                term
                for word, term in words_and_terms(
                    _PLACEHOLDER_RE.sub(" ", entry.answer)
                )
                if word.isalpha()
                and len(word) > 2
                and term not in self._idf
                and term not in _GENERIC_TERMS
                and not _CONCEPTS_OF.get(term)
            }
        self._answer_terms = set().union(*answer_terms.values())
        weight = self._unknown_weight * ANSWER_WEIGHT
        for index, (position, _terms) in enumerate(phrasings):
            for term in answer_terms[position]:
                self._postings[f"={term}"].append((index, weight))

    # ------------------------------------------------------------ matching
    def match(self, text: str, lang: str | None = None) -> FaqMatch:
        """The best entry for ``text`` (in language ``lang`` when entries exist in it)."""
        if reason := refusal(text):
            return FaqMatch(refusal=reason)
        words = self._compounds_resolved(_phrased(_spelled_out(text)))
        return self._match_words(
            [(word, _term(word)) for word in words if word not in STOPWORDS], lang
        )

    def _compounds_resolved(self, words):
        """``words`` with compounds written the way the entries write them.

        "check up" becomes "checkup" when an entry says "checkup"; an unknown
        "giftcard" becomes "gift card" when the entries know "gift" and "card"
        (a part may be a stopword: "checkup" is "check" for "check-up"; but
        a question word is no part: "somewhere" is not "where").
        """
        resolved, index = [], 0
        while index < len(words):
            word = words[index]
            joined = word + words[index + 1] if index + 1 < len(words) else ""
            if joined in self._word_term:
                resolved.append(joined)
                index += 2
                continue
            resolved.extend(self._split_compound(word) or (word,))
            index += 1
        return resolved

    def _split_compound(self, word):
        """``word`` as two words of the entries (or one and a stopword), or None."""
        if len(word) < 6 or word in self._word_term or not word.isalpha():
            return None
        if self._idf.get(_term(word)) is not None:
            return None
        for cut in range(len(word) - 2, 2, -1):
            left, right = word[:cut], word[cut:]
            known = [
                part
                for part in (left, right)
                if part in self._word_term and part not in GENERIC_WORDS
            ]
            if known and all(
                part in self._word_term or part in STOPWORDS for part in (left, right)
            ):
                return left, right
        # A one-letter prefix the entries write apart: "ebikes" for "e-bikes".
        if word[0] in self._word_term and word[1:] in self._word_term:
            return word[0], word[1:]
        return None

    def _match_words(self, words, lang):
        weights = self._weigh(words)
        if not weights:
            return FaqMatch()
        message_norm = math.sqrt(sum(full**2 for _term, _weight, full in weights))
        dots = defaultdict(float)
        # An answer word a message matches joins the phrasing's norm, as a
        # dimension the phrasing has at ANSWER_WEIGHT (a concept stands in
        # for a word already counted in it).
        answer_norms = defaultdict(float)
        question_matched = set()
        for term, weight, _full in weights:
            from_answer = term.startswith("=")
            for index, term_weight in self._postings.get(term, ()):
                dots[index] += weight * term_weight
                if from_answer:
                    answer_norms[index] += term_weight**2
                else:
                    question_matched.add(index)
        allowed = self._allowed_entries(lang)
        best_per_entry = {}
        for index, dot in dots.items():
            position = self._phrasing_entry[index]
            if allowed is not None and position not in allowed:
                continue
            phrasing_norm = math.sqrt(
                self._phrasing_norm[index] ** 2 + answer_norms[index]
            )
            # A word matched both as itself and through its concept could
            # pass 1; answer words alone stay at ANSWER_WEIGHT at most.
            ceiling = 1.0 if index in question_matched else ANSWER_WEIGHT
            score = min(dot / (message_norm * phrasing_norm), ceiling)
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
        """``(term, weight, full weight)``: known terms by IDF, typos corrected, unknown words as a rare term.

        A word matched only through its concept takes CONCEPT_WEIGHT of its
        weight in the dot product but its full weight in the message's norm:
        a message of concept matches alone ("see you tonight") stays unsure.
        """
        weighted = {}

        def add(term, weight, full=None):
            full = weight if full is None else full
            known_weight, known_full = weighted.get(term, (0.0, 0.0))
            weighted[term] = (max(known_weight, weight), max(known_full, full))

        for word, term in words:
            factor = 1.0
            cue = QUESTION_CUES.get(word)
            if cue in self._idf and term in self._idf:
                # Support only, in the dot product: it never lowers a match, and
                # the question word itself, known to the entries, sets the norm.
                add(cue, self._idf[cue] * CONCEPT_WEIGHT, 0.0)
            if (
                term not in self._idf
                and term not in self._answer_terms
                and not self._known_concepts(term)
            ):
                corrected = self._correct(word)
                if corrected in STOPWORDS:
                    continue
                if corrected:
                    term, factor = self._word_term[corrected], FUZZY_FACTOR
            if term in self._idf:
                add(term, self._idf[term] * factor)
            elif concepts := self._known_concepts(term):
                for concept in concepts:
                    weight = self._idf[concept] * factor
                    add(concept, weight * CONCEPT_WEIGHT, weight)
            elif term in self._answer_terms:
                # As heavy as an unknown word, so never less sure than one.
                add(f"={term}", self._unknown_weight)
            else:
                add(
                    f"?{term}",
                    GENERIC_WEIGHT if term in _GENERIC_TERMS else self._unknown_weight,
                )
        return [(term, weight, full) for term, (weight, full) in weighted.items()]

    def _known_concepts(self, term):
        """The concept terms of ``term`` that some entry has."""
        return [
            concept for concept in _CONCEPTS_OF.get(term, ()) if concept in self._idf
        ]

    def _correct(self, word):
        """The known word (or stopword) within the typo limit of ``word``, or None.

        Among several, the closest one wins, then the most common term, then
        the alphabet.  A short word keeps its first letter: people seldom
        mistype it, and "mark" is a name, not "park".
        """
        limit = _typo_limit(word)
        if not limit or not word.isalpha():
            return None
        candidates = set()
        for variant in _deletions(word):
            candidates |= self._typos.get(variant, set())
        ranked = []
        for known in candidates:
            if len(word) < SAME_FIRST_LETTER_BELOW and known[0] != word[0]:
                continue
            for distance in range(1, limit + 1):
                if _damerau_within(word, known, distance):
                    term = self._word_term.get(known)
                    ranked.append((distance, self._idf[term] if term else 0.0, known))
                    break
        if ranked:
            return min(ranked)[2]
        return self._lengthened(word)

    def _lengthened(self, word):
        """The known word that ``word`` (or its stem: "exams") shortens, when they all mean one term."""
        known = self._shortened.get(word) or self._shortened.get(stem(word), ())
        if len({self._word_term[candidate] for candidate in known}) == 1:
            return min(known)
        return None

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
                REFUSED_OWN_CASE: "Asks about the customer's own booking, order or file: a person answers.",
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
