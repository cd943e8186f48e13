import logging
from datetime import timedelta

import phonenumbers
from markupsafe import Markup

from odoo import SUPERUSER_ID, api, fields, models
from odoo.tools import plaintext2html

from ..core import keywords as engine
from ..core.quiet_hours import next_allowed_time, pick_timezone
from .sms_gateway import STATUS_TO_MESSAGE_STATE, STATUS_TO_SMS_STATE

_logger = logging.getLogger(__name__)

# Provider error codes (Twilio's numbering, which other providers map onto)
# that mean the recipient has opted out at the carrier or provider level.
OPT_OUT_ERROR_CODES = {"21610"}

# Delivery statuses only move forward: callbacks may arrive out of order.
STATE_RANK = {
    "outgoing": 0,
    "unknown": 0,
    "queued": 1,
    "sent": 2,
    "delivered": 3,
    "undelivered": 3,
    "failed": 3,
    "error": 3,
}


class SmsConversationMessage(models.Model):
    """One SMS exchanged with a customer, inbound or outbound.

    Unlike ``sms.sms`` (a send queue whose rows are garbage-collected once
    sent), these rows are the durable history of a conversation: they keep
    the provider's message id for idempotency and status callbacks, and the
    ``sms.sms`` UUID that links them to Odoo's notification tracking.
    """

    _name = "sms.conversation.message"
    _description = "SMS Conversation Message"
    _order = "create_date desc, id desc"
    _rec_name = "body"

    conversation_id = fields.Many2one(
        "sms.conversation", required=True, ondelete="cascade", index=True
    )
    gateway_id = fields.Many2one(
        "sms.gateway", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(
        related="conversation_id.company_id", store=True, index=True
    )
    partner_id = fields.Many2one(related="conversation_id.partner_id")
    number = fields.Char(related="conversation_id.number")
    direction = fields.Selection(
        [("inbound", "Received"), ("outbound", "Sent")], required=True, readonly=True
    )
    body = fields.Text(readonly=True)
    state = fields.Selection(
        [
            ("received", "Received"),
            ("outgoing", "In Queue"),
            ("unknown", "Outcome Unknown"),
            ("queued", "Accepted"),
            ("sent", "Sent"),
            ("delivered", "Delivered"),
            ("undelivered", "Undelivered"),
            ("failed", "Failed"),
            ("error", "Refused"),
        ],
        required=True,
        readonly=True,
        default="outgoing",
    )
    provider_sid = fields.Char("Provider Message ID", readonly=True, copy=False)
    sms_uuid = fields.Char("SMS UUID", readonly=True, index=True, copy=False)
    mail_message_id = fields.Many2one(
        "mail.message", readonly=True, ondelete="set null"
    )
    failure_type = fields.Char(readonly=True)
    error_code = fields.Char(readonly=True)
    error_message = fields.Char(readonly=True)
    media_error = fields.Char(
        readonly=True, help="Why some media of this MMS could not be stored."
    )
    attachment_ids = fields.Many2many("ir.attachment", string="Media", readonly=True)
    category = fields.Selection(
        [
            ("direct", "Direct reply"),
            ("automated", "Automated"),
            ("marketing", "Marketing"),
            ("compliance", "Compliance"),
        ],
        string="Kind",
        readonly=True,
    )
    is_auto_reply = fields.Boolean("Automatic reply", readonly=True)

    _sql_constraints = [
        (
            "provider_sid_unique",
            "unique(gateway_id, provider_sid)",
            "A provider message can only be stored once per gateway.",
        ),
    ]

    @api.model
    def _find_by_provider_sid(self, gateway, provider_sid):
        if not provider_sid:
            return self.browse()
        return self.search(
            [("gateway_id", "=", gateway.id), ("provider_sid", "=", provider_sid)],
            limit=1,
        )

    # ------------------------------------------------------------ inbound
    def _attach_media(self, media):
        """Store the media of an MMS; a failed download keeps the text and says why."""
        self.ensure_one()
        provider = self.gateway_id._get_provider()
        max_bytes = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("sms_two_way.max_media_bytes", 5 * 1024 * 1024)
        )
        attachments, problems = self.env["ir.attachment"], []
        for index, item in enumerate(media):
            try:
                content, mimetype = provider._download_media(
                    self.gateway_id, item["url"], max_bytes
                )
            except Exception as error:  # noqa: BLE001 - any failure is reported on the message
                _logger.warning(
                    "Media %s of SMS %s not stored: %s", index, self.provider_sid, error
                )
                problems.append(
                    self.env._(
                        "media %(index)s: %(error)s", index=index + 1, error=error
                    )
                )
                continue
            attachments |= self.env["ir.attachment"].create(
                {
                    "name": f"{self.provider_sid or 'sms'}-{index + 1}",
                    "raw": content,
                    "mimetype": mimetype or item.get("content_type"),
                    "res_model": self._name,
                    "res_id": self.id,
                }
            )
        self.write(
            {
                "attachment_ids": [(6, 0, attachments.ids)],
                "media_error": "; ".join(problems) or False,
            }
        )

    def _process_inbound(self):
        """Everything that follows the storage of an inbound message."""
        self.ensure_one()
        self.conversation_id._register_inbound(self)
        if self.partner_id:
            self.mail_message_id = self._post_on_partner()
            self._announce_live()
        self._route_reply()

    def _post_on_partner(self):
        """Post the reply on the contact as a customer comment authored by the contact.

        A comment (not an ``sms`` message) lets staff answer it like any other
        message, and authoring it as the contact makes Odoo's "On incoming
        message" automation rules fire.  It is posted by the superuser because
        webhooks run as the public user, whom Odoo forbids to attach files.
        """
        partner = self.partner_id.with_user(SUPERUSER_ID)
        body = Markup(
            '<p class="o_sms_two_way_inbound"><i class="fa fa-mobile" title="SMS"></i> %s</p>%s'
        ) % (
            self.env._("SMS from %(number)s", number=self.number),
            plaintext2html(self.body or ""),
        )
        return partner.with_context(
            mail_create_nosubscribe=True, mail_post_autofollow=False
        ).message_post(
            body=body,
            author_id=partner.id,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            attachment_ids=self.attachment_ids.ids,
        )

    def _announce_live(self):
        """Tell the SMS users of the company, so an open chatter shows the reply at once."""
        users = (
            self.env.ref("sms_two_way.group_sms_user")
            .sudo()
            .users.filtered(lambda user: self.company_id in user.company_ids)
        )
        payload = {"model": "res.partner", "id": self.partner_id.id}
        for user in users:
            user._bus_send("sms_two_way/inbound", payload)

    def _route_reply(self):
        """Decide what the reply means and act on it.

        In order: machine-looking text is left to staff (no auto-reply loop);
        compliance keywords (STOP, HELP, START...) always win; then the open
        prompts of the conversation; then the global keyword rules; and what
        nothing handles is handed off to a person.  YES opts in only when no
        open question takes it.
        """
        self.ensure_one()
        text = self.body or ""
        if engine.looks_automated(text):
            _logger.info(
                "SMS %s looks machine-generated: left to staff without auto-reply",
                self.id,
            )
            return False
        conversation = self.conversation_id
        conversation.needs_reply = False  # a handoff sets it back
        intent = engine.compliance_intent(text)
        if intent == "opt_out":
            handled = self._apply_opt_out(source="keyword")
        elif intent == "help":
            handled = self._apply_help()
        elif intent == "opt_in" and engine.normalize(text) != "yes":
            handled = self._apply_opt_in(source="keyword")
        else:
            handled = self.env["sms.prompt"]._route(self)
            if not handled and intent == "opt_in":
                handled = self._apply_opt_in(source="keyword")
            if not handled:
                rule, match = self.env["sms.keyword"]._match(text, self.company_id)
                handled = bool(rule) and rule._run(self, match) is not False
        if not handled:
            conversation._handoff(self)
        return handled

    # ------------------------------------------------------------ compliance
    def _apply_opt_out(self, source):
        """Opt the number out; cancel its open questions; confirm once."""
        self.ensure_one()
        Consent = self.env["sms.consent"]
        was_opted_out = Consent._is_opted_out(self.number)
        Consent._record_opt_out(
            self.number,
            source,
            partner=self.partner_id,
            text=self.body,
            gateway=self.gateway_id,
            message=self,
        )
        self.env["sms.prompt"].sudo().search(
            [("conversation_id", "=", self.conversation_id.id), ("state", "=", "open")]
        )._cancel_for_opt_out()
        if not was_opted_out:
            self._send_compliance_answer("sms_opt_out_body")
        return True

    def _apply_opt_in(self, source):
        self.ensure_one()
        self.env["sms.consent"]._record_opt_in(
            self.number,
            source,
            partner=self.partner_id,
            text=self.body,
            gateway=self.gateway_id,
            message=self,
        )
        self._send_compliance_answer("sms_opt_in_body")
        return True

    def _apply_help(self):
        self._send_compliance_answer("sms_help_body")
        return True

    def _send_compliance_answer(self, body_field):
        """Answer STOP/START/HELP, unless the provider already answers them itself."""
        if self.gateway_id.provider_handles_opt_out:
            return False
        company = self.company_id
        body = company._sms_render(company[body_field])
        if body:
            self.conversation_id._send_text(body, category="compliance")
        return True

    # ------------------------------------------------------------ outbound
    @api.model
    def _prepare_outbound(self, gateway, sms_records):
        """The outbound message of each ``sms.sms``, created on first attempt, in order."""
        existing = {
            m.sms_uuid: m
            for m in self.search([("sms_uuid", "in", sms_records.mapped("uuid"))])
        }
        messages = self.browse()
        Conversation = self.env["sms.conversation"]
        for sms in sms_records:
            message = existing.get(sms.uuid)
            if not message:
                number = gateway._normalize_number(sms.number) or sms.number
                conversation = Conversation._get_or_create(
                    gateway, number, partner=sms.partner_id
                )
                message = self.create(
                    {
                        "conversation_id": conversation.id,
                        "gateway_id": gateway.id,
                        "direction": "outbound",
                        "body": sms.body,
                        "sms_uuid": sms.uuid,
                        "mail_message_id": sms.mail_message_id.id,
                        "category": sms.sms_two_way_category
                        or conversation._get_default_category(),
                        "is_auto_reply": sms.sms_two_way_auto_reply,
                    }
                )
                conversation._register_outbound(message)
            messages |= message
        return messages

    def _filter_sendable_now(self):
        """Outbound messages that may leave now; the others are refused or deferred.

        Opted-out numbers are refused before the provider (compliance answers
        excepted).  Automated and marketing messages outside the recipient's
        allowed hours, or over a strict profile's daily marketing cap, wait in
        the queue with a "not before" date.
        """
        sendable = self.browse()
        now = fields.Datetime.now()
        for message in self:
            sms = message._get_sms()
            if message.category != "compliance" and self.env[
                "sms.consent"
            ]._is_opted_out(message.number):
                message._apply_send_result(
                    {
                        "state": "error",
                        "failure_type": "sms_optout",
                        "error_message": self.env._("The recipient opted out of SMS."),
                    }
                )
                continue
            if sms.sms_two_way_not_before and sms.sms_two_way_not_before > now:
                continue
            not_before = message._get_not_before(now)
            if not_before > now:
                sms.sms_two_way_not_before = not_before
                message.error_message = self.env._(
                    "Deferred to the recipient's allowed hours (%s UTC).", not_before
                )
                continue
            sendable |= message
        return sendable

    def _get_not_before(self, now):
        """When this message may be sent, per quiet hours and the strict profiles."""
        self.ensure_one()
        company = self.company_id
        if (
            self.category not in ("automated", "marketing")
            or not company.sms_quiet_hours
        ):
            return now
        partner = self.partner_id
        tz = pick_timezone(partner.tz, self.number, company.partner_id.tz)
        start, end = company.sms_quiet_start, company.sms_quiet_end
        profile = self._get_quiet_profile()
        if profile:  # a strict profile replaces the company's window
            start, end = profile.start_hour, profile.end_hour
        not_before = next_allowed_time(now, tz, start, end)
        if profile.max_marketing_per_day and self.category == "marketing":
            since = now - timedelta(days=1)
            recent = self.search(
                [
                    ("conversation_id", "=", self.conversation_id.id),
                    ("category", "=", "marketing"),
                    ("state", "in", ("queued", "sent", "delivered")),
                    ("create_date", ">", since),
                    ("id", "!=", self.id),
                ],
                order="create_date asc",
            )
            if len(recent) >= profile.max_marketing_per_day:
                oldest_to_expire = recent[len(recent) - profile.max_marketing_per_day]
                not_before = max(
                    not_before,
                    next_allowed_time(
                        oldest_to_expire.create_date + timedelta(days=1), tz, start, end
                    ),
                )
        return not_before

    def _get_quiet_profile(self):
        try:
            region = phonenumbers.region_code_for_number(
                phonenumbers.parse(self.number)
            )
        except phonenumbers.NumberParseException:
            return self.env["sms.quiet.profile"]
        country = self.env["res.country"].search([("code", "=", region)], limit=1)
        return self.env["sms.quiet.profile"]._find(
            self.company_id, country, self.partner_id.state_id
        )

    def _get_sms(self):
        return (
            self.env["sms.sms"].sudo().search([("uuid", "=", self.sms_uuid)])
            if self.sms_uuid
            else self.env["sms.sms"]
        )

    def _get_tracker(self):
        return (
            self.env["sms.tracker"].sudo().search([("sms_uuid", "=", self.sms_uuid)])
            if self.sms_uuid
            else self.env["sms.tracker"]
        )

    def _apply_send_result(self, result):
        """Apply what ``sms.provider._send_batch`` said of this message.

        ``result['state']`` is one of ``accepted``, ``retry`` (not sent, try
        again later), ``ambiguous`` (may have been sent: check before
        retrying) or ``error`` (refused, with ``failure_type``).
        """
        self.ensure_one()
        sms, state = self._get_sms(), result["state"]
        if state == "accepted":
            self.write(
                {
                    "state": "queued",
                    "provider_sid": result["provider_sid"],
                    "error_message": False,
                }
            )
            self._get_tracker()._action_update_from_sms_state("pending")
            sms.write({"state": "pending", "failure_type": False, "to_delete": True})
        elif state in ("retry", "ambiguous"):
            self.write(
                {
                    "state": "outgoing" if state == "retry" else "unknown",
                    "error_message": result.get("error_message"),
                }
            )
        else:
            failure_type = result.get("failure_type") or "unknown"
            self.write(
                {
                    "state": "error",
                    "failure_type": failure_type,
                    "error_code": result.get("error_code"),
                    "error_message": result.get("error_message"),
                }
            )
            self._get_tracker()._action_update_from_sms_state(
                "error",
                failure_type=failure_type,
                failure_reason=result.get("error_message"),
            )
            sms.write({"state": "error", "failure_type": failure_type})
            self._check_opt_out_error(result.get("error_code"))
        if self.mail_message_id:
            self.mail_message_id._notify_message_notification_update()

    def _apply_status(self, status, error_code=None, error_message=None):
        """Apply a delivery status callback, never moving a message backwards."""
        self.ensure_one()
        new_state = STATUS_TO_MESSAGE_STATE.get(status)
        if not new_state or STATE_RANK.get(new_state, 0) < STATE_RANK.get(
            self.state, 0
        ):
            return
        self.write(
            {
                "state": new_state,
                "error_code": error_code or self.error_code,
                "error_message": error_message or self.error_message,
            }
        )
        tracker = self._get_tracker()
        if sms_state := STATUS_TO_SMS_STATE.get(status):
            tracker._action_update_from_sms_state(sms_state)
        elif str(error_code or "") in OPT_OUT_ERROR_CODES:
            tracker._action_update_from_sms_state("error", failure_type="sms_optout")
        else:
            tracker._action_update_from_provider_error("not_delivered")
        self._check_opt_out_error(error_code)

    def _check_opt_out_error(self, error_code):
        """The provider refused because the recipient opted out: record it in Odoo too."""
        if str(error_code or "") in OPT_OUT_ERROR_CODES:
            self.env["sms.consent"]._record_opt_out(
                self.number,
                partner=self.partner_id,
                source="provider",
                text=self.env._("Provider error %(code)s", code=error_code),
                gateway=self.gateway_id,
                message=self,
            )
