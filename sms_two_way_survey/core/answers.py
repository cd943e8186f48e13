"""Read a survey answer out of a free-text SMS.

Customers answer "2", "Two", "#2 please", "yes" (the label), "1,3" or "1 3",
"31/12", "12 March 2025 2pm".  Each function below turns such a reply into
the value Odoo's survey module stores, or returns ``None`` when the reply
does not say one thing clearly: a guess stored in the survey results would be
worse than asking again.

Plain Python on purpose (no ORM), so that it is cheap to unit test.
"""

import re
import unicodedata
from datetime import date, datetime, time

from babel.dates import get_month_names

from odoo.addons.sms_two_way.core.keywords import extract_number, normalize

AMBIGUOUS = "ambiguous"
INVALID = "invalid"

_DECIMAL_RE = re.compile(r"[-+−]?\d+(?:[.,]\d+)?")
# Separators between choices: "1,3", "1;3", "1 & 3", "1 and 3", "1 et 3".
_CHOICE_SPLIT_RE = re.compile(r"[,;/&+]|\band\b|\bet\b|\bund\b|\ben\b|\by\b")
_ISO_DATE_RE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_NUMERIC_DATE_RE = re.compile(r"^(\d{1,2})[-/.](\d{1,2})(?:[-/.](\d{2}|\d{4}))?$")
# "14:30", "14h30", "14h", "2pm", "2:30 pm", "9.30am" (a dot only with am/pm,
# so that the dots of "31.12.2025" are never read as a time).
_TIME_RE = re.compile(
    r"\b(\d{1,2})\s*(?:[:h]\s*(\d{2})?|\.(\d{2})(?=\s*[ap]\.?m))?\s*([ap])?\.?m?\b"
)


def parse_decimal(text):
    """The one number in ``text`` ("4", "4.5", "4,5", "-2", "four"), else None."""
    raw = unicodedata.normalize("NFKC", text or "")
    tokens = _DECIMAL_RE.findall(raw)
    if len(tokens) == 1:
        return float(tokens[0].replace("−", "-").replace(",", "."))
    if not tokens:
        number = extract_number(raw)
        return float(number) if number is not None else None
    return None


def parse_choice(text, labels):
    """Index (from 0) of the option the customer chose, by label or by number."""
    normalized = normalize(text)
    by_label = _label_index(labels)
    if normalized in by_label:
        return by_label[normalized]
    number = extract_number(text)
    if number is not None and 1 <= number <= len(labels):
        return number - 1
    return None


def parse_choices(text, labels):
    """Indexes (from 0, in reply order) of the options chosen: "1,3", "1 3", "red and blue"."""
    normalized = normalize(text)
    by_label = _label_index(labels)
    if normalized in by_label:
        return [by_label[normalized]]
    indexes = []
    for part in _CHOICE_SPLIT_RE.split(normalized):
        part = part.strip(" .!?")
        if not part:
            continue
        if part in by_label:
            indexes.append(by_label[part])
            continue
        words = part.split()
        if all(word.isdigit() for word in words):
            numbers = [int(word) for word in words]
        else:
            number = extract_number(part)
            numbers = [number] if number is not None else [None]
        for number in numbers:
            if number is None or not 1 <= number <= len(labels):
                return None
            indexes.append(number - 1)
    return list(dict.fromkeys(indexes)) or None


def _label_index(labels):
    index = {}
    for position, label in enumerate(labels):
        index.setdefault(normalize(label), position)
    return index


def date_order(date_format):
    """ "dmy", "mdy" or "ymd": the order of day, month and year in a strftime format."""
    positions = {
        key: date_format.find(code)
        for key, code in (("d", "%d"), ("m", "%m"), ("y", "%Y"))
    }
    if positions["y"] < 0:
        positions["y"] = date_format.find("%y")
    if min(positions.values()) < 0:
        return "dmy"
    return "".join(sorted(positions, key=positions.get))


def parse_date(text, date_format="%m/%d/%Y", lang="en_US", today=None):
    """``(date, None)`` or ``(None, INVALID | AMBIGUOUS)`` for a reply such as "31/12/2025".

    Numeric dates are read in the order of the contact's language format
    (``date_format``); one that only makes sense the other way round
    ("25/12" in the United States) is accepted as such.  When the language
    does not tell the order (an ISO-like format) and both readings are valid
    dates, the reply is ambiguous.  Month names are understood in English
    and in ``lang``.  A missing year is the current one.
    """
    today = today or date.today()
    normalized = normalize(text)
    if not normalized:
        return None, INVALID
    if match := _ISO_DATE_RE.match(normalized):
        found = _make_date(*map(int, match.groups()))
        return (found, None) if found else (None, INVALID)
    if match := _NUMERIC_DATE_RE.match(normalized):
        return _parse_numeric_date(match, date_order(date_format), today)
    return _parse_month_name_date(normalized, lang, today)


def _parse_numeric_date(match, order, today):
    first, second = int(match.group(1)), int(match.group(2))
    year = _full_year(match.group(3), today)
    day_first = _make_date(year, second, first)
    month_first = _make_date(year, first, second)
    if order == "ymd":  # the language gives no day/month order
        if day_first and month_first and day_first != month_first:
            return None, AMBIGUOUS
        found = day_first or month_first
    elif order == "mdy":
        found = month_first or day_first
    else:
        found = day_first or month_first
    return (found, None) if found else (None, INVALID)


def _parse_month_name_date(normalized, lang, today):
    months = _month_names(lang)
    tokens = re.findall(r"[^\W\d_]+\.?|\d+", normalized)
    month_tokens = {
        months[token.rstrip(".")] for token in tokens if token.rstrip(".") in months
    }
    numbers = [token for token in tokens if token.isdigit()]
    if len(month_tokens) != 1:
        return None, (AMBIGUOUS if month_tokens else INVALID)
    years = [token for token in numbers if len(token) == 4]
    days = [token for token in numbers if len(token) <= 2]
    if len(years) > 1 or len(days) != 1 or len(years) + len(days) != len(numbers):
        return None, AMBIGUOUS
    found = _make_date(
        int(years[0]) if years else today.year, month_tokens.pop(), int(days[0])
    )
    return (found, None) if found else (None, INVALID)


def _month_names(lang):
    """Normalized month names and abbreviations (English and ``lang``) to month numbers."""
    names = {}
    for locale in dict.fromkeys(("en_US", lang or "en_US")):
        for width in ("wide", "abbreviated"):
            try:
                localized = get_month_names(width, locale=locale)
            except (ValueError, LookupError):
                continue
            for number, name in localized.items():
                names.setdefault(normalize(name).rstrip("."), number)
    names.setdefault("sept", 9)
    return names


def _full_year(text, today):
    if not text:
        return today.year
    year = int(text)
    return year + 2000 if year < 100 else year


def _make_date(year, month, day):
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_datetime(text, date_format="%m/%d/%Y", lang="en_US", today=None):
    """``(naive local datetime, None)`` or ``(None, INVALID | AMBIGUOUS)``: "31/12/2025 14:30"."""
    normalized = normalize(text)
    found = [m for m in _TIME_RE.finditer(normalized) if _is_time(m)]
    if len(found) != 1:
        return None, (AMBIGUOUS if found else INVALID)
    match = found[0]
    hour, minute = int(match.group(1)), int(match.group(2) or match.group(3) or 0)
    meridiem = match.group(4)
    if meridiem:
        if not 1 <= hour <= 12:
            return None, INVALID
        hour = hour % 12 + (12 if meridiem == "p" else 0)
    if hour > 23 or minute > 59:
        return None, INVALID
    rest = (normalized[: match.start()] + " " + normalized[match.end() :]).replace(
        " at ", " "
    )
    rest = re.sub(r"\b(?:at|a|om|um|le|on)\b", " ", rest)
    day, error = parse_date(" ".join(rest.split()), date_format, lang, today)
    if error:
        return None, error
    return datetime.combine(day, time(hour, minute)), None


def _is_time(match):
    """A time needs minutes, an "h" or am/pm: a bare number is a day, not a time."""
    text = match.group(0)
    return bool(
        match.group(2) or match.group(3) or match.group(4) or ":" in text or "h" in text
    )
