"""Unit tests of phone number normalization and time zone lookup."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sms_two_way.core.phone import normalize_number, number_timezones, written_forms


@pytest.mark.parametrize(
    "number, region, expected",
    [
        ("0470 12 34 56", "BE", "+32470123456"),
        ("0470/12.34.56", "BE", "+32470123456"),
        ("+32 470 12 34 56", None, "+32470123456"),
        ("+32 470 12 34 56", "US", "+32470123456"),
        ("0032 470 12 34 56", None, "+32470123456"),
        ("0032470123456", "US", "+32470123456"),
        ("  +32470123456  ", "FR", "+32470123456"),
        ("(415) 555-2671", "US", "+14155552671"),
        ("415.555.2671", "us", "+14155552671"),
        ("011 32 470 12 34 56", "US", "+32470123456"),
        ("06 12 34 56 78", "FR", "+33612345678"),
    ],
)
def test_normalize_number(number, region, expected):
    assert normalize_number(number, region) == expected


@pytest.mark.parametrize(
    "number, region",
    [
        ("", "BE"),
        (None, "BE"),
        (False, False),
        ("abc", "BE"),
        ("123", "BE"),
        ("0470", "BE"),
        ("0470 12 34 56", None),  # national number without a region
        ("0470 12 34 56", False),
        ("0470 12 34 56", "XX"),  # unknown region
        ("+32 470 12 34 56 78 90", None),  # too long
        ("+999 123456", None),  # no such country code
        ("+", None),
        ("00", None),
    ],
)
def test_normalize_number_rejects_invalid(number, region):
    assert normalize_number(number, region) is None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40), st.sampled_from([None, "BE", "US", "FR", "XX", "be", ""]))
def test_normalize_number_never_raises(number, region):
    result = normalize_number(number, region)
    assert result is None or (
        result.startswith("+") and result[1:].isascii() and result[1:].isdigit()
    )


@settings(max_examples=200, deadline=None)
@given(
    st.from_regex(r"\+32 ?4[789][0-9] ?[0-9]{2} ?[0-9]{2} ?[0-9]{2}", fullmatch=True)
)
def test_normalized_number_is_stable(number):
    e164 = normalize_number(number, None)
    assert e164 == "+" + "".join(ch for ch in number if ch.isdigit())
    assert normalize_number(e164, "US") == e164


@pytest.mark.parametrize(
    "e164, expected",
    [
        ("+32470123456", ("Europe/Brussels",)),
        ("+14155552671", ("America/Los_Angeles",)),
        ("+12025550123", ("America/New_York",)),
    ],
)
def test_number_timezones(e164, expected):
    assert number_timezones(e164) == expected


def test_number_timezones_lists_every_zone_of_a_wide_region():
    zones = number_timezones("+61412345678")
    assert "Australia/Sydney" in zones and "Australia/Perth" in zones


@pytest.mark.parametrize("e164", ["", None, "garbage", "+", "+80012345678"])
def test_number_timezones_empty_when_unknown(e164):
    assert number_timezones(e164) == ()


def _stripped(number):
    """A stored number as phone_validation's indexes see it: spaces and ./()- removed."""
    return "".join(ch for ch in number if ch not in " ./()-\t")


@pytest.mark.parametrize(
    "written, region",
    [
        ("0470 12 34 56", "BE"),
        ("0470/12.34.56", "BE"),
        ("+32 470 12 34 56", "US"),
        ("0032 470 12 34 56", None),
        ("(415) 555-2671", "US"),
        ("1-415-555-2671", "US"),
        ("+1 (415) 555-2671", None),
        ("06 12 34 56 78", "FR"),
    ],
)
def test_written_forms_cover_how_contacts_store_numbers(written, region):
    e164 = normalize_number(written, region)
    assert _stripped(written) in written_forms(e164)


def test_written_forms_of_invalid_number_are_empty():
    assert written_forms("12345") == set()
    assert written_forms("") == set()
