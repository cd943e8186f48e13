import logging
import math
from datetime import datetime, time, timedelta

import pytz

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

_logger = logging.getLogger(__name__)

# What a customer asking to reschedule is offered.
SLOT_COUNT = 3
SLOT_DAYS = 7
SLOT_STEP_MINUTES = 30
SLOT_MIN_NOTICE_HOURS = 2

UNCONFIRMED_STATES = ("requested", "reschedule", "no_answer")


def _overlaps(start, stop, intervals):
    """Whether [start, stop) meets any of ``intervals``."""
    return any(
        other_start < stop and start < other_stop
        for other_start, other_stop in intervals
    )


class CalendarEvent(models.Model):
    """Calendar events ask their attendees for an SMS confirmation before they start."""

    _inherit = "calendar.event"

    sms_confirmation_lead_hours = fields.Integer(
        "SMS confirmation lead time (hours)",
        help="Hours before the start at which attendees are asked to confirm by SMS. "
        "0: the tag's or the company's lead time.",
    )
    sms_unconfirmed_soon = fields.Boolean(
        "Unconfirmed within 24 h",
        compute="_compute_sms_unconfirmed_soon",
        search="_search_sms_unconfirmed_soon",
        help="Starts within 24 hours and an attendee asked by SMS has not confirmed.",
    )

    # ------------------------------------------------------------ staff view
    def _compute_sms_unconfirmed_soon(self):
        now = fields.Datetime.now()
        for event in self:
            event.sms_unconfirmed_soon = bool(
                event.start
                and now <= event.start <= now + timedelta(hours=24)
                and any(
                    a.sms_confirmation_state in UNCONFIRMED_STATES
                    for a in event.attendee_ids
                )
            )

    def _search_sms_unconfirmed_soon(self, operator, value):
        """Time-dependent, so searched rather than stored."""
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(
                self.env._("Unsupported search on %s.", "sms_unconfirmed_soon")
            )
        now = fields.Datetime.now()
        domain = [
            ("start", ">=", now),
            ("start", "<=", now + timedelta(hours=24)),
            ("attendee_ids.sms_confirmation_state", "in", UNCONFIRMED_STATES),
        ]
        positive = (operator == "=") == value
        return domain if positive else [("id", "not in", self._search(domain))]

    # ------------------------------------------------------------ requests
    def _sms_get_lead_hours(self):
        """The event's own lead time, else its tags' (the longest), else the company's."""
        self.ensure_one()
        company = self.user_id.company_id or self.env.company
        return (
            self.sms_confirmation_lead_hours
            or max(self.categ_ids.mapped("sms_confirmation_lead_hours") or [0])
            or company.sms_appointment_lead_hours
        )

    def _sms_is_request_due(self, now):
        self.ensure_one()
        lead = self._sms_get_lead_hours()
        return bool(lead) and now < self.start <= now + timedelta(hours=lead)

    def action_sms_request_confirmation(self):
        """Button: ask the attendees to confirm by SMS now, instead of waiting for the cron."""
        if not self.env.user.has_group("sms_two_way.group_sms_user"):
            raise AccessError(
                self.env._("Only SMS users can send confirmation requests.")
            )
        sent, skipped = self.env["calendar.attendee"], []
        for event in self:
            event_sent, event_skipped = event.attendee_ids._sms_request_confirmation()
            sent |= event_sent
            skipped += event_skipped
        if not sent and not skipped:
            raise UserError(self.env._("No attendee to ask by SMS."))
        message = (
            self.env._(
                "Confirmation request sent by SMS to %s.",
                ", ".join(sent.mapped("common_name")),
            )
            if sent
            else self.env._("No confirmation request sent.")
        )
        if skipped:
            message += " " + self.env._("Skipped: %s.", "; ".join(skipped))
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "message": message,
                "type": "success" if sent else "warning",
                "sticky": False,
            },
        }

    @api.model
    def _sms_max_lead(self, model, field):
        """The largest lead time configured on ``model``, computed by the database."""
        [(hours,)] = self.env[model].sudo()._read_group([], aggregates=[f"{field}:max"])
        return hours or 0

    def _cron_sms_confirmation_requests(self):
        """Queue the confirmation requests that are due, each event in its own savepoint.

        An event's "requested" marks and their queued SMS are kept or rolled
        back together (the SMS queue calls the provider after the commit), so
        one broken event neither blocks the others nor gets texted twice.
        """
        now = fields.Datetime.now()
        horizon = max(
            self._sms_max_lead("res.company", "sms_appointment_lead_hours"),
            self._sms_max_lead("calendar.event.type", "sms_confirmation_lead_hours"),
            self._sms_max_event_lead(now),
        )
        if not horizon:
            return 0
        events = self.sudo().search(
            [
                ("start", ">", now),
                ("start", "<=", now + timedelta(hours=horizon)),
                ("attendee_ids.partner_id.mobile", "!=", False),
            ],
            order="start",
        )
        count = 0
        for event in events.filtered(lambda e: e._sms_is_request_due(now)):
            try:
                with self.env.cr.savepoint():
                    count += len(
                        event.attendee_ids._sms_request_confirmation(quiet=True)[0]
                    )
            except Exception:  # noqa: BLE001 - one broken event must not block the others
                _logger.exception(
                    "SMS confirmation requests of event %s failed", event.id
                )
        return count

    def _sms_max_event_lead(self, now):
        [(lead,)] = self.sudo()._read_group(
            [("start", ">", now)], aggregates=["sms_confirmation_lead_hours:max"]
        )
        return lead or 0

    # ------------------------------------------------------------ moves
    def write(self, vals):
        """A moved event invalidates the SMS confirmations given for its old time."""
        old_starts = (
            {event.id: event.start for event in self} if "start" in vals else {}
        )
        result = super().write(vals)
        if old_starts:
            moved = self.filtered(lambda e: e.start != old_starts.get(e.id))
            moved.attendee_ids._sms_reset_after_move()
        return result

    # ------------------------------------------------------------ free slots
    def _sms_get_organizer_calendar(self):
        self.ensure_one()
        organizer = self.user_id
        return (
            organizer.resource_calendar_id
            or organizer.company_id.resource_calendar_id
            or self.env.company.resource_calendar_id
        )

    def _sms_find_free_slots(
        self, count=SLOT_COUNT, days=SLOT_DAYS, step_minutes=SLOT_STEP_MINUTES
    ):
        """Up to ``count`` free ``(start, stop)`` (naive UTC) of the organizer for this event.

        Free means within the organizer's working hours (resource calendar,
        leaves excluded) and overlapping none of their busy events; slots
        last as long as this event, start on ``step_minutes`` boundaries of
        the calendar's time zone, and are spread over different days first.
        """
        self.ensure_one()
        calendar = self._sms_get_organizer_calendar()
        if not calendar or self.allday or not self.duration:
            return []
        duration = self.stop - self.start
        tz = pytz.timezone(calendar.tz or self.user_id.tz or "UTC")
        earliest = fields.Datetime.now() + timedelta(hours=SLOT_MIN_NOTICE_HOURS)
        start_dt = pytz.utc.localize(earliest).astimezone(tz)
        end_dt = start_dt + timedelta(days=days)
        resource = self.user_id.resource_ids.filtered(
            lambda r: r.calendar_id == calendar
        )[:1]
        intervals = calendar._work_intervals_batch(
            start_dt, end_dt, resources=resource or None, tz=tz
        )[resource.id]
        busy = self._sms_get_busy_intervals(earliest, earliest + timedelta(days=days))
        busy.append((self.start, self.stop))  # the customer wants another time
        free = []
        for begin, end, _records in intervals:
            candidate = self._sms_round_up(begin, step_minutes, tz)
            while candidate + duration <= end:
                start_utc = candidate.astimezone(pytz.utc).replace(tzinfo=None)
                stop_utc = start_utc + duration
                if start_utc >= earliest and not _overlaps(start_utc, stop_utc, busy):
                    free.append((start_utc, stop_utc, candidate.date()))
                candidate += timedelta(minutes=step_minutes)
        return self._sms_spread_slots(free, count)

    @staticmethod
    def _sms_round_up(moment, step_minutes, tz):
        """The first ``step_minutes`` boundary of the local day (in ``tz``) at or after ``moment``."""
        local = moment.astimezone(tz).replace(tzinfo=None)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        steps = math.ceil((local - midnight).total_seconds() / 60 / step_minutes)
        return tz.localize(midnight + timedelta(minutes=steps * step_minutes))

    @staticmethod
    def _sms_spread_slots(free, count):
        """The first free slot of each day, then the earliest others, in time order."""
        chosen, days = [], set()
        for slot in free:
            if len(chosen) < count and slot[2] not in days:
                chosen.append(slot)
                days.add(slot[2])
        for slot in free:
            if len(chosen) >= count:
                break
            if slot not in chosen:
                chosen.append(slot)
        return [(start, stop) for start, stop, _day in sorted(chosen)]

    def _sms_get_busy_intervals(self, start, stop):
        """(start, stop) naive UTC of the organizer's other busy events overlapping [start, stop]."""
        self.ensure_one()
        organizer_partner = self.user_id.partner_id
        events = self.sudo().search(
            [
                ("partner_ids", "in", organizer_partner.ids),
                ("id", "!=", self.id),
                ("show_as", "=", "busy"),
                ("start", "<", stop),
                ("stop", ">", start - timedelta(days=1)),
            ]
        )
        tz = pytz.timezone(
            self._sms_get_organizer_calendar().tz or self.user_id.tz or "UTC"
        )
        busy = []
        for event in events:
            attendee = event.attendee_ids.filtered(
                lambda a: a.partner_id == organizer_partner
            )
            if attendee.state == "declined":
                continue
            if event.allday:  # the whole local days are taken
                first = tz.localize(
                    datetime.combine(event.start_date, time.min)
                ).astimezone(pytz.utc)
                last = tz.localize(
                    datetime.combine(event.stop_date + timedelta(days=1), time.min)
                ).astimezone(pytz.utc)
                busy.append((first.replace(tzinfo=None), last.replace(tzinfo=None)))
            else:
                busy.append((event.start, event.stop))
        return busy

    def _sms_is_slot_free(self, start, stop):
        self.ensure_one()
        return not _overlaps(start, stop, self._sms_get_busy_intervals(start, stop))
