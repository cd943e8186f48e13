"""Phone number helpers: one canonical E.164 form to compare and send to."""

import phonenumbers
from phonenumbers import timezone as phone_timezone

_UNKNOWN_TIMEZONE = "Etc/Unknown"


def normalize_number(number: str, default_region: str | None) -> str | None:
    """Return ``number`` in E.164 form, or None when it is not a valid number.

    National numbers are read in ``default_region`` (an ISO country code such
    as "BE"); international ones may start with "+" or "00".  Never raises:
    inbound numbers come from outside and must not break processing.
    """
    number = (number or "").strip()
    if number.startswith("00"):
        # "00" is the international prefix in most countries but not all
        # (e.g. "011" in North America): read it as "+" whatever the region.
        number = "+" + number[2:]
    try:
        parsed = phonenumbers.parse(number, (default_region or "").upper() or None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def written_forms(e164: str) -> set[str]:
    """The ways ``e164`` is commonly written in a contact, once spaces and ``./()-`` are removed.

    International with ``+`` or ``00`` or bare country code, and national
    (with and without the trunk prefix, e.g. ``0470123456`` and
    ``470123456``).  An indexed lookup of these forms finds the candidate
    contacts of a number without scanning every contact; a national form
    can also be another country's number, so candidates are checked with
    :func:`normalize_number` in their own country.  Empty for an invalid number.
    """
    try:
        parsed = phonenumbers.parse(e164 or "", None)
    except phonenumbers.NumberParseException:
        return set()
    if not phonenumbers.is_valid_number(parsed):
        return set()
    digits = e164[1:]
    national = "".join(
        ch
        for ch in phonenumbers.format_number(
            parsed, phonenumbers.PhoneNumberFormat.NATIONAL
        )
        if ch.isdigit()
    )
    return {
        e164,
        "00" + digits,
        digits,
        national,
        phonenumbers.national_significant_number(parsed),
    }


def number_timezones(e164: str) -> tuple[str, ...]:
    """Return the time zones where ``e164`` may be located, empty when unknown."""
    try:
        parsed = phonenumbers.parse(e164 or "", None)
    except phonenumbers.NumberParseException:
        return ()
    zones = phone_timezone.time_zones_for_number(parsed)
    return tuple(zone for zone in zones if zone != _UNKNOWN_TIMEZONE)
