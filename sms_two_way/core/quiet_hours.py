"""Quiet hours: defer automated sends to the hours allowed in the recipient's time zone.

Datetimes are naive UTC, as Odoo stores them; the allowed window is given in
local hours as floats (Odoo's ``float_time`` widget: 20.5 is 20:30) and may
span midnight (start 20.0, end 8.0).  Local times are computed with
``zoneinfo`` on the date concerned, so DST changes between now and the next
allowed time are taken into account.
"""

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .phone import number_timezones

_DAY = 24 * 60


def next_allowed_time(
    now_utc: datetime, tz_name: str, start: float, end: float
) -> datetime:
    """Return ``now_utc`` if sending is allowed now, else the next local ``start`` (naive UTC).

    When ``start`` falls in a DST gap (the local clock skips it), the result is
    the same wall time read with the offset before the jump: slightly after the
    earliest allowed instant, never inside quiet hours.
    """
    zone = _zone(tz_name)
    start_minute, end_minute = _window(start, end)
    local = _to_local(now_utc, zone)
    if _inside(local, start_minute, end_minute):
        return now_utc
    start_time = time(*divmod(start_minute, 60))
    # Today's start, else tomorrow's; the day after only when a DST gap
    # swallows tomorrow's whole window.
    for days in range(3):
        day = local.date() + timedelta(days=days)
        # fold=1 only matters when ``start`` occurs twice (DST end): its
        # second occurrence may still be ahead when the first one is past.
        for fold in (0, 1):
            candidate = datetime.combine(day, start_time, tzinfo=zone).replace(
                fold=fold
            )
            candidate_utc = candidate.astimezone(timezone.utc).replace(tzinfo=None)
            if candidate_utc > now_utc and _inside(
                _to_local(candidate_utc, zone), start_minute, end_minute
            ):
                return candidate_utc
    raise AssertionError("DST gaps never fall on consecutive days")  # pragma: no cover


def is_allowed(now_utc: datetime, tz_name: str, start: float, end: float) -> bool:
    """Tell whether the local time at ``now_utc`` (naive UTC) is within [start, end)."""
    return _inside(_to_local(now_utc, _zone(tz_name)), *_window(start, end))


def pick_timezone(
    partner_tz: str | None, e164: str | None, company_tz: str | None
) -> str:
    """Return the best known time zone of a recipient.

    The partner's own time zone first, then the zone of the number's region,
    then the company's, then UTC.  When the region spans several zones (+7,
    Australian mobiles), the company's zone is preferred if it is one of them
    (a domestic customer), else the first is taken.  Invalid names are
    skipped, so the result is always usable.
    """
    zones = number_timezones(e164 or "")
    if company_tz in zones:
        zones = (company_tz,)
    candidates = (partner_tz, *zones, company_tz)
    return next((name for name in candidates if name and _is_valid(name)), "UTC")


def _zone(tz_name):
    try:
        return ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as error:
        raise ValueError(f"Unknown time zone {tz_name!r}.") from error


def _is_valid(tz_name):
    try:
        _zone(tz_name)
    except ValueError:
        return False
    return True


def _window(start, end):
    """Return (start, end) in minutes of the day, checking they form a window."""
    start_minute, end_minute = round(start * 60), round(end * 60)
    if not (0 <= start_minute < _DAY and 0 <= end_minute <= _DAY):
        raise ValueError(
            f"Quiet hours must be between 0:00 and 24:00, got {start}–{end}."
        )
    if start_minute == end_minute:
        raise ValueError(f"Allowed hours {start}–{end} form an empty window.")
    return start_minute, end_minute


def _to_local(now_utc, zone):
    return now_utc.replace(tzinfo=timezone.utc).astimezone(zone)


def _inside(local, start_minute, end_minute):
    minute = local.hour * 60 + local.minute
    if start_minute < end_minute:
        return start_minute <= minute < end_minute
    return minute >= start_minute or minute < end_minute
