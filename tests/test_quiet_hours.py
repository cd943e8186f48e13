"""Unit tests of quiet hours (naive UTC in, naive UTC out)."""

from datetime import datetime, timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sms_two_way.core.phone import number_timezones
from sms_two_way.core.quiet_hours import is_allowed, next_allowed_time, pick_timezone

BRUSSELS = "Europe/Brussels"
NEW_YORK = "America/New_York"


def utc(*args):
    return datetime(*args)


# --- Inside / outside the window ----------------------------------------------------------


@pytest.mark.parametrize(
    "now, expected",
    [
        # Brussels in winter is UTC+1.
        (
            utc(2024, 1, 15, 6, 59),
            utc(2024, 1, 15, 7, 0),
        ),  # 07:59 local: wait for 08:00
        (utc(2024, 1, 15, 7, 0), utc(2024, 1, 15, 7, 0)),  # 08:00 local: allowed
        (utc(2024, 1, 15, 19, 59), utc(2024, 1, 15, 19, 59)),  # 20:59 local: allowed
        (utc(2024, 1, 15, 20, 0), utc(2024, 1, 16, 7, 0)),  # 21:00 local: tomorrow
        (
            utc(2024, 1, 15, 23, 30),
            utc(2024, 1, 16, 7, 0),
        ),  # 00:30 local, already the 16th
        # Brussels in summer is UTC+2.
        (utc(2024, 7, 1, 5, 30), utc(2024, 7, 1, 6, 0)),
        (utc(2024, 7, 1, 19, 0), utc(2024, 7, 2, 6, 0)),
    ],
)
def test_next_allowed_time_brussels(now, expected):
    assert next_allowed_time(now, BRUSSELS, 8.0, 21.0) == expected


def test_result_is_naive_utc():
    result = next_allowed_time(utc(2024, 1, 15, 3, 0), BRUSSELS, 8.0, 21.0)
    assert result.tzinfo is None


def test_fractional_hours_are_minutes():
    assert is_allowed(utc(2024, 1, 15, 19, 29), BRUSSELS, 8.0, 20.5)  # 20:29 local
    assert not is_allowed(utc(2024, 1, 15, 19, 30), BRUSSELS, 8.0, 20.5)  # 20:30 local
    assert next_allowed_time(utc(2024, 1, 15, 6, 0), BRUSSELS, 8.25, 20.5) == utc(
        2024, 1, 15, 7, 15
    )


def test_whole_day_window_is_always_allowed():
    for hour in range(24):
        now = utc(2024, 3, 31, hour, 0)
        assert next_allowed_time(now, BRUSSELS, 0.0, 24.0) == now


# --- DST transitions --------------------------------------------------------------------


def test_brussels_spring_forward_uses_the_new_offset():
    # Sat 30 March 2024 22:00 CET; clocks jump 02:00 -> 03:00 overnight,
    # so Sunday 08:00 is CEST (UTC+2) = 06:00 UTC, not 07:00.
    assert next_allowed_time(utc(2024, 3, 30, 21, 0), BRUSSELS, 8.0, 21.0) == utc(
        2024, 3, 31, 6, 0
    )


def test_brussels_fall_back_uses_the_new_offset():
    # Sat 26 October 2024 22:00 CEST; Sunday 08:00 is CET (UTC+1) = 07:00 UTC.
    assert next_allowed_time(utc(2024, 10, 26, 20, 0), BRUSSELS, 8.0, 21.0) == utc(
        2024, 10, 27, 7, 0
    )


def test_new_york_spring_forward():
    # Sat 9 March 2024 22:00 EST; Sunday 08:00 is EDT (UTC-4) = 12:00 UTC.
    assert next_allowed_time(utc(2024, 3, 10, 3, 0), NEW_YORK, 8.0, 21.0) == utc(
        2024, 3, 10, 12, 0
    )


def test_new_york_fall_back():
    # Sat 2 November 2024 22:00 EDT; Sunday 08:00 is EST (UTC-5) = 13:00 UTC.
    assert next_allowed_time(utc(2024, 11, 3, 2, 0), NEW_YORK, 8.0, 21.0) == utc(
        2024, 11, 3, 13, 0
    )


def test_new_york_end_of_window_on_transition_days():
    # 20:59 and 21:00 local on the Sunday of each transition.
    assert is_allowed(utc(2024, 3, 11, 0, 59), NEW_YORK, 8.0, 21.0)  # 20:59 EDT
    assert not is_allowed(utc(2024, 3, 11, 1, 0), NEW_YORK, 8.0, 21.0)  # 21:00 EDT
    assert is_allowed(utc(2024, 11, 4, 1, 59), NEW_YORK, 8.0, 21.0)  # 20:59 EST
    assert not is_allowed(utc(2024, 11, 4, 2, 0), NEW_YORK, 8.0, 21.0)  # 21:00 EST


def test_start_in_dst_gap_resolves_after_the_jump():
    # 02:30 does not exist on 10 March 2024 in New York (02:00 EST -> 03:00 EDT).
    now = utc(2024, 3, 10, 6, 0)  # 01:00 EST
    result = next_allowed_time(now, NEW_YORK, 2.5, 5.0)
    assert result == utc(2024, 3, 10, 7, 30)  # 03:30 EDT
    assert is_allowed(result, NEW_YORK, 2.5, 5.0)


def test_start_occurring_twice_at_dst_end():
    # 01:30 happens at 05:30 UTC (EDT) and again at 06:30 UTC (EST) on 3 Nov 2024.
    assert next_allowed_time(utc(2024, 11, 3, 5, 0), NEW_YORK, 1.5, 4.0) == utc(
        2024, 11, 3, 5, 30
    )
    # 06:10 UTC is 01:10 EST, after the first 01:30 but before the second one.
    assert next_allowed_time(utc(2024, 11, 3, 6, 10), NEW_YORK, 1.5, 4.0) == utc(
        2024, 11, 3, 6, 30
    )


# --- Window across midnight ---------------------------------------------------------------


@pytest.mark.parametrize(
    "now, expected",
    [
        (
            utc(2024, 1, 15, 11, 0),
            utc(2024, 1, 15, 19, 0),
        ),  # 12:00 local: wait for 20:00
        (utc(2024, 1, 15, 19, 0), utc(2024, 1, 15, 19, 0)),  # 20:00 local
        (utc(2024, 1, 15, 22, 0), utc(2024, 1, 15, 22, 0)),  # 23:00 local
        (utc(2024, 1, 15, 23, 30), utc(2024, 1, 15, 23, 30)),  # 00:30 local, next day
        (utc(2024, 1, 16, 6, 59), utc(2024, 1, 16, 6, 59)),  # 07:59 local
        (utc(2024, 1, 16, 7, 0), utc(2024, 1, 16, 19, 0)),  # 08:00 local
    ],
)
def test_window_across_midnight(now, expected):
    assert next_allowed_time(now, BRUSSELS, 20.0, 8.0) == expected


# --- Errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tz_name", ["Mars/Olympus_Mons", "", "../etc/passwd", "Europe"]
)
def test_unknown_timezone_raises_value_error(tz_name):
    with pytest.raises(ValueError, match="Unknown time zone"):
        next_allowed_time(utc(2024, 1, 1), tz_name, 8.0, 21.0)
    with pytest.raises(ValueError, match="Unknown time zone"):
        is_allowed(utc(2024, 1, 1), tz_name, 8.0, 21.0)


@pytest.mark.parametrize(
    "start, end, message",
    [
        (9.0, 9.0, "empty window"),
        (24.0, 8.0, "between 0:00 and 24:00"),
        (-1.0, 8.0, "between 0:00 and 24:00"),
        (8.0, 25.0, "between 0:00 and 24:00"),
    ],
)
def test_invalid_window_raises_value_error(start, end, message):
    with pytest.raises(ValueError, match=message):
        next_allowed_time(utc(2024, 1, 1), BRUSSELS, start, end)


# --- Properties ---------------------------------------------------------------------------

ZONES = [
    BRUSSELS,
    NEW_YORK,
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "America/Santiago",
    "UTC",
]
HALF_HOURS = st.integers(min_value=0, max_value=47).map(lambda n: n / 2)


@settings(max_examples=500, deadline=None)
@given(
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31)),
    st.sampled_from(ZONES),
    HALF_HOURS,
    HALF_HOURS,
)
def test_next_allowed_time_is_allowed_and_not_earlier(now, tz_name, start, end):
    assume(start != end)
    result = next_allowed_time(now, tz_name, start, end)
    assert result >= now
    assert result - now < timedelta(days=2)
    assert is_allowed(result, tz_name, start, end)
    assert (result == now) == is_allowed(now, tz_name, start, end)


# --- pick_timezone -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "partner_tz, e164, company_tz, expected",
    [
        ("Europe/Paris", "+32470123456", "UTC", "Europe/Paris"),
        (None, "+32470123456", "America/New_York", BRUSSELS),
        (False, "+14155552671", BRUSSELS, "America/Los_Angeles"),
        ("Not/AZone", "+14155552671", None, "America/Los_Angeles"),
        (None, None, "Asia/Tokyo", "Asia/Tokyo"),
        (None, "garbage", "Asia/Tokyo", "Asia/Tokyo"),
        (None, "+80012345678", "Asia/Tokyo", "Asia/Tokyo"),  # no geographic zone
        ("", "", "Bad/Zone", "UTC"),
        (None, None, None, "UTC"),
    ],
)
def test_pick_timezone(partner_tz, e164, company_tz, expected):
    assert pick_timezone(partner_tz, e164, company_tz) == expected


def test_pick_timezone_for_a_region_with_several_zones():
    zones = number_timezones("+79161234567")
    assert len(zones) > 1 and "Europe/Moscow" in zones
    assert pick_timezone(None, "+79161234567", "Europe/Moscow") == "Europe/Moscow"
    assert pick_timezone(None, "+79161234567", BRUSSELS) == zones[0]
