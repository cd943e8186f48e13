from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import format_datetime, format_time, plaintext2html

from odoo.addons.sms_two_way.core.quiet_hours import pick_timezone

from .sms_prompt import APPOINTMENT_KINDS

SMS_CONFIRMATION_STATES = [
    ("none", "Not requested"),
    ("requested", "Requested"),
    ("confirmed", "Confirmed"),
    ("declined", "Declined"),
    ("reschedule", "Reschedule in progress"),
    ("no_answer", "No answer"),
]
GSM_SPACES = str.maketrans({"\u202f": " ", "\u00a0": " "})
# How long proposed slots stay on offer (capped by the first slot's start).
SLOT_OFFER_HOURS = 24


class CalendarAttendee(models.Model):
    """An attendee asked by SMS to confirm, cancel or reschedule their appointment.

    Each request opens an ``sms.prompt`` on the attendee, so a reply changes
    only this attendee's attendance even when the event has several SMS
    attendees.  ``sms_request_start`` remembers the event start the request
    was about: the request is repeated only when the event moved.
    """

    _inherit = "calendar.attendee"

    sms_confirmation_state = fields.Selection(
        SMS_CONFIRMATION_STATES,
        "SMS confirmation",
        default="none",
        required=True,
        readonly=True,
        index=True,
        copy=False,
    )
    sms_conversation_id = fields.Many2one(
        "sms.conversation",
        "SMS conversation",
        readonly=True,
        copy=False,
        ondelete="set null",
    )
    sms_requested_at = fields.Datetime("SMS requested on", readonly=True, copy=False)
    sms_request_start = fields.Datetime(
        "Requested for start",
        readonly=True,
        copy=False,
        help="The event start when the last SMS request was sent: a new request goes out only if the event moved.",
    )
    sms_proposed_slots = fields.Json("Proposed slots", readonly=True, copy=False)
    sms_event_date = fields.Char(
        compute="_compute_sms_event_datetime",
        help="Event date in the attendee's time zone and language.",
    )
    sms_event_time = fields.Char(
        compute="_compute_sms_event_datetime",
        help="Event time in the attendee's time zone and language.",
    )

    # ------------------------------------------------------------ rendering
    def _sms_get_tz(self):
        """The attendee's own zone, else their number's, else the organizer's."""
        self.ensure_one()
        company = self.event_id.user_id.company_id or self.env.company
        number = self.sms_conversation_id.number
        return pick_timezone(
            self.partner_id.tz,
            number,
            self.event_id.user_id.tz or company.partner_id.tz,
        )

    def _sms_get_lang(self):
        return self.partner_id.lang or self.env.lang or "en_US"

    def _sms_format(self, value, kind="datetime"):
        """``value`` (naive UTC) as the attendee reads it: date, time or short slot label."""
        self.ensure_one()
        tz, lang = self._sms_get_tz(), self._sms_get_lang()
        if kind == "date":
            text = format_datetime(
                self.env, value, tz=tz, dt_format="EEEE d MMMM", lang_code=lang
            )
        elif kind == "time":
            text = format_time(
                self.env, value, tz=tz, time_format="short", lang_code=lang
            )
        else:
            text = "%s %s" % (
                format_datetime(
                    self.env, value, tz=tz, dt_format="EEE", lang_code=lang
                ),
                format_time(
                    self.env, value, tz=tz, time_format="short", lang_code=lang
                ),
            )
        # Recent CLDR puts narrow no-break spaces in times: one such character makes the whole SMS UCS-2.
        return text.translate(GSM_SPACES)

    @api.depends("event_id.start", "partner_id.tz", "partner_id.lang")
    def _compute_sms_event_datetime(self):
        for attendee in self:
            start = attendee.event_id.start
            attendee.sms_event_date = start and attendee._sms_format(start, "date")
            attendee.sms_event_time = start and attendee._sms_format(start, "time")

    def _sms_describe(self):
        """How the appointment is named to the customer, e.g. "Dentist, Tuesday 14 May 10:00"."""
        self.ensure_one()
        return self.env._(
            "%(event)s, %(date)s %(time)s",
            event=self.event_id.name,
            date=self.sms_event_date,
            time=self.sms_event_time,
        )

    def _sms_render_request(self):
        self.ensure_one()
        template = self.env.ref(
            "sms_two_way_appointment.sms_template_appointment_confirmation",
            raise_if_not_found=False,
        )
        if not template:
            return self.env._(
                "Hi %(name)s, reminder: %(event)s on %(date)s at %(time)s. "
                "Reply C to confirm, R to reschedule, X to cancel.",
                name=self.partner_id.name,
                event=self.event_id.name,
                date=self.sms_event_date,
                time=self.sms_event_time,
            )
        return template.sudo()._render_field("body", self.ids, compute_lang=True)[
            self.id
        ]

    # ------------------------------------------------------------ requests
    def _sms_get_skip_reason(self, now):
        """Why this attendee gets no confirmation request now, or False."""
        self.ensure_one()
        event, partner = self.event_id, self.partner_id
        if not event.active:
            return self.env._("event cancelled")
        if not event.start or event.start <= now:
            return self.env._("event started")
        if partner == event.user_id.partner_id:
            return self.env._("organizer")
        if self.state == "declined":
            return self.env._("declined")
        if not partner.mobile:
            return self.env._("no mobile number")
        if self.sms_request_start and self.sms_request_start == event.start:
            return self.env._("already asked")
        return False

    def _sms_request_confirmation(self, quiet=False):
        """Ask the eligible attendees to confirm; returns (attendees asked, ["name (why skipped)"])."""
        now = fields.Datetime.now()
        sent, skipped = self.browse(), []
        for attendee in self:
            reason = attendee._sms_get_skip_reason(now)
            conversation = self.env["sms.conversation"]
            if not reason:
                company = attendee.event_id.user_id.company_id or self.env.company
                conversation = self.env["sms.conversation"]._get_for_recipient(
                    partner=attendee.partner_id, company=company
                )
                if not conversation:
                    reason = self.env._("no SMS gateway for this number")
                elif self.env["sms.consent"]._is_opted_out(conversation.number):
                    reason = self.env._("opted out of SMS")
            if reason:
                if (
                    attendee.partner_id != attendee.event_id.user_id.partner_id
                    and not quiet
                ):
                    skipped.append("%s (%s)" % (attendee.common_name, reason))
                continue
            attendee._sms_send_request(conversation)
            sent |= attendee
        return sent, skipped

    def _sms_send_request(self, conversation):
        """Queue the request and open the question it asks, until the event starts."""
        self.ensure_one()
        event = self.event_id
        self.sms_conversation_id = conversation
        self._sms_close_prompts(
            "cancelled"
        )  # a request for an older time is no longer answerable
        self.env["sms.prompt"]._open(
            conversation,
            self,
            "appointment_confirmation",
            self._sms_describe(),
            expires_at=event.start,
        )
        self.sudo().write(
            {
                "sms_confirmation_state": "requested",
                "sms_requested_at": fields.Datetime.now(),
                "sms_request_start": event.start,
                "sms_proposed_slots": False,
            }
        )
        event.sudo().message_post(
            body=self.env._("SMS confirmation request sent to %s.", self.common_name),
            message_type="comment",
            subtype_xmlid="mail.mt_note",
        )
        # Queued, not sent here (see sms.conversation._send_text): the "requested" mark and the
        # SMS commit together, so an error later in this transaction (another attendee of the
        # event, the rest of the caller's work) rolls back both and a retry cannot text the
        # request twice; the SMS queue calls the provider after the commit.
        conversation._send_text(self._sms_render_request(), category="automated")

    def _sms_get_prompts(self, kinds=APPOINTMENT_KINDS, state="open"):
        return (
            self.env["sms.prompt"]
            .sudo()
            .search(
                [
                    ("res_model", "=", self._name),
                    ("res_id", "in", self.ids),
                    ("kind", "in", list(kinds)),
                    ("state", "=", state),
                ]
            )
        )

    def _sms_close_prompts(self, state="answered", kinds=APPOINTMENT_KINDS):
        self._sms_get_prompts(kinds)._close(state)

    def _sms_reset_after_move(self):
        """The event moved: confirmations and open questions about the old time no longer hold."""
        for attendee in self.filtered(lambda a: a.sms_confirmation_state != "none"):
            if attendee.sms_request_start == attendee.event_id.start:
                continue  # moved to the time this attendee just picked
            attendee._sms_close_prompts("cancelled")
            if attendee.sms_confirmation_state != "declined":
                attendee.sudo().write(
                    {"sms_confirmation_state": "none", "sms_proposed_slots": False}
                )

    # ------------------------------------------------------------ replies
    def _sms_get_reply_problem(self, kind):
        """Why a reply cannot change this attendance any more (cancelled, past event), or False."""
        if not self:
            return self.env._("the appointment no longer exists")
        self.ensure_one()
        event = self.event_id
        if not event.active:
            return self.env._("the appointment was cancelled")
        if kind == "appointment_confirmation" and event.start <= fields.Datetime.now():
            return self.env._("the appointment has already started")
        return False

    def _sms_note(self, body, message):
        """Log on the event what the customer answered, their text escaped."""
        self.ensure_one()
        self.event_id.sudo().message_post(
            body=Markup("<p>%s</p>%s") % (body, plaintext2html(message.body or "")),
            message_type="comment",
            subtype_xmlid="mail.mt_note",
        )

    def _sms_reply(self, message, body):
        message.conversation_id._send_auto_reply(body)

    def _sms_confirm(self, message):
        self.ensure_one()
        self._sms_close_prompts()
        if self.state != "accepted":
            self.do_accept()
        self.write({"sms_confirmation_state": "confirmed", "sms_proposed_slots": False})
        self._sms_note(self.env._("%s confirmed by SMS:", self.common_name), message)
        attendee = self.with_context(
            lang=self._sms_get_lang()
        )  # customer texts in their language
        attendee._sms_reply(
            message,
            attendee.env._(
                "Thanks, your appointment %s is confirmed. See you then!",
                attendee._sms_describe(),
            ),
        )

    def _sms_decline(self, message):
        self.ensure_one()
        self._sms_close_prompts()
        if self.state != "declined":
            self.do_decline()
        self.write({"sms_confirmation_state": "declined", "sms_proposed_slots": False})
        self._sms_note(self.env._("%s cancelled by SMS:", self.common_name), message)
        self._sms_notify_organizer(
            message,
            self.env._(
                "%(name)s cancelled %(event)s by SMS.",
                name=self.common_name,
                event=self.event_id.name,
            ),
        )
        attendee = self.with_context(lang=self._sms_get_lang())
        attendee._sms_reply(
            message,
            attendee.env._(
                "Your appointment %s is cancelled. Thank you for letting us know.",
                attendee._sms_describe(),
            ),
        )

    def _sms_reschedule(self, message):
        """Offer up to three free slots of the organizer, or hand off when none fits."""
        self.ensure_one()
        self._sms_close_prompts()
        self.write({"sms_confirmation_state": "reschedule"})
        self._sms_note(
            self.env._("%s asked by SMS to reschedule:", self.common_name), message
        )
        slots = self.event_id._sms_find_free_slots()
        attendee = self.with_context(lang=self._sms_get_lang())
        if not slots:
            self.sms_proposed_slots = False
            attendee._sms_handoff(
                message,
                self.env._(
                    "No free slot to offer: please agree on a new time with %s.",
                    self.common_name,
                ),
                answer=attendee.env._(
                    "We will contact you shortly to find a new time."
                ),
            )
            return
        self.sms_proposed_slots = [
            [fields.Datetime.to_string(start), fields.Datetime.to_string(stop)]
            for start, stop in slots
        ]
        labels = [self._sms_format(start) for start, _stop in slots]
        choices = ", ".join(
            attendee.env._("%(number)s for %(slot)s", number=index, slot=label)
            for index, label in enumerate(labels, start=1)
        )
        expires_at = min(
            fields.Datetime.now() + timedelta(hours=SLOT_OFFER_HOURS), slots[0][0]
        )
        self.env["sms.prompt"]._open(
            message.conversation_id,
            self,
            "appointment_slot",
            self.env._("New time for %s", self.event_id.name),
            expires_at=expires_at,
        )
        attendee._sms_reply(message, attendee.env._("Reply %s.", choices))

    def _sms_pick_slot(self, message, number):
        """Move the event to proposed slot ``number`` if it is still free, and confirm; else hand off."""
        self.ensure_one()
        slots = self.sms_proposed_slots or []
        attendee = self.with_context(lang=self._sms_get_lang())
        if not isinstance(number, int) or not 1 <= number <= len(slots):
            attendee._sms_handoff(
                message,
                self.env._(
                    "%s answered the proposed times with something else.",
                    self.common_name,
                ),
            )
            return
        start, stop = (
            fields.Datetime.to_datetime(value) for value in slots[number - 1]
        )
        event = self.event_id
        if not event._sms_is_slot_free(start, stop) or start <= fields.Datetime.now():
            attendee._sms_handoff(
                message,
                self.env._("The time %s chose is no longer free.", self.common_name),
                answer=attendee.env._(
                    "Sorry, that time is no longer available. "
                    "We will contact you shortly."
                ),
            )
            return
        self._sms_close_prompts()
        # Marked first, so that the move does not reset this attendee's answer.
        self.write({"sms_request_start": start, "sms_proposed_slots": False})
        event.sudo().write({"start": start, "stop": stop})
        if self.state != "accepted":
            self.do_accept()
        self.write({"sms_confirmation_state": "confirmed"})
        self._sms_note(
            self.env._(
                "%(name)s moved the event by SMS to %(slot)s:",
                name=self.common_name,
                slot=self._sms_format(start),
            ),
            message,
        )
        attendee._sms_reply(
            message,
            attendee.env._(
                "Done: your appointment is moved to %s. See you then!",
                attendee._sms_describe(),
            ),
        )

    # ------------------------------------------------------------ handoff
    def _sms_handoff(self, message, reason, answer=None):
        """A person must answer: the organizer gets the conversation (if unassigned) and an activity.

        ``answer`` replaces the generic handoff acknowledgement of the day.
        """
        self.ensure_one()
        conversation = message.conversation_id
        if answer and conversation._send_auto_reply(answer):
            conversation.last_handoff_ack_date = fields.Datetime.now()
        conversation.with_context(sms_appointment_attendee_ids=self.ids)._handoff(
            message, reason=reason
        )
        self.event_id.sudo().message_post(
            body=Markup("<p>%s</p>%s") % (reason, plaintext2html(message.body or "")),
            message_type="comment",
            subtype_xmlid="mail.mt_note",
        )

    def _sms_notify_organizer(self, message, reason):
        """A to-do for the organizer on the conversation, naming the event."""
        self.ensure_one()
        organizer = self.event_id.user_id
        if organizer:
            message.conversation_id._sms_appointment_activity(
                organizer, self, message, reason
            )

    def _sms_late_reply(self, message, problem):
        """A reply that can no longer change anything: say so politely and let a person answer."""
        self.ensure_one()
        attendee = self.with_context(lang=self._sms_get_lang())
        attendee._sms_handoff(
            message,
            self.env._(
                "Reply from %(name)s not applied: %(problem)s.",
                name=self.common_name,
                problem=problem,
            ),
            answer=attendee.env._(
                "Thank you. This appointment request is no longer open; "
                "a team member will get back to you."
            ),
        )

    # ------------------------------------------------------------ prompt hooks
    def _sms_prompt_expired(self, prompt):
        """The event started (or the slot offer ran out) without an answer."""
        if (
            self.sms_confirmation_state in ("requested", "reschedule")
            and not self._sms_get_prompts()
        ):
            self.sms_confirmation_state = "no_answer"

    def _sms_prompt_cancelled(self, prompt):
        """The customer opted out: the request will get no answer."""
        if self.sms_confirmation_state in ("requested", "reschedule"):
            self.sms_confirmation_state = "no_answer"

    # ------------------------------------------------------------ staff
    def action_sms_open_conversation(self):
        self.ensure_one()
        return self.sms_conversation_id._get_form_action()
