import logging

from markupsafe import Markup

from odoo import SUPERUSER_ID, _, api, fields, models
from odoo.tools import plaintext2html

from .sms_gateway import STATUS_TO_MESSAGE_STATE, STATUS_TO_SMS_STATE

_logger = logging.getLogger(__name__)

# Provider error codes (Twilio's numbering, which other providers map onto)
# that mean the recipient has opted out at the carrier or provider level.
OPT_OUT_ERROR_CODES = {"21610"}

# Delivery statuses only move forward: callbacks may arrive out of order.
STATE_RANK = {
    "outgoing": 0, "unknown": 0, "queued": 1, "sent": 2,
    "delivered": 3, "undelivered": 3, "failed": 3, "error": 3,
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

    conversation_id = fields.Many2one("sms.conversation", required=True, ondelete="cascade", index=True)
    gateway_id = fields.Many2one("sms.gateway", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="conversation_id.company_id", store=True, index=True)
    partner_id = fields.Many2one(related="conversation_id.partner_id")
    number = fields.Char(related="conversation_id.number")
    direction = fields.Selection([("inbound", "Received"), ("outbound", "Sent")], required=True, readonly=True)
    body = fields.Text(readonly=True)
    state = fields.Selection([
        ("received", "Received"),
        ("outgoing", "In Queue"),
        ("unknown", "Outcome Unknown"),
        ("queued", "Accepted"),
        ("sent", "Sent"),
        ("delivered", "Delivered"),
        ("undelivered", "Undelivered"),
        ("failed", "Failed"),
        ("error", "Refused"),
    ], required=True, readonly=True, default="outgoing")
    provider_sid = fields.Char("Provider Message ID", readonly=True, copy=False)
    sms_uuid = fields.Char("SMS UUID", readonly=True, index=True, copy=False)
    mail_message_id = fields.Many2one("mail.message", readonly=True, ondelete="set null")
    failure_type = fields.Char(readonly=True)
    error_code = fields.Char(readonly=True)
    error_message = fields.Char(readonly=True)
    media_error = fields.Char(readonly=True, help="Why some media of this MMS could not be stored.")
    attachment_ids = fields.Many2many("ir.attachment", string="Media", readonly=True)

    _sql_constraints = [
        ("provider_sid_unique", "unique(gateway_id, provider_sid)",
         "A provider message can only be stored once per gateway."),
    ]

    @api.model
    def _find_by_provider_sid(self, gateway, provider_sid):
        if not provider_sid:
            return self.browse()
        return self.search([("gateway_id", "=", gateway.id), ("provider_sid", "=", provider_sid)], limit=1)

    # ------------------------------------------------------------ inbound
    def _attach_media(self, media):
        """Store the media of an MMS; a failed download keeps the text and says why."""
        self.ensure_one()
        provider = self.gateway_id._get_provider()
        max_bytes = int(self.env["ir.config_parameter"].sudo().get_param("sms_two_way.max_media_bytes", 5 * 1024 * 1024))
        attachments, problems = self.env["ir.attachment"], []
        for index, item in enumerate(media):
            try:
                content, mimetype = provider._download_media(self.gateway_id, item["url"], max_bytes)
            except Exception as error:  # noqa: BLE001 - any failure is reported on the message
                _logger.warning("Media %s of SMS %s not stored: %s", index, self.provider_sid, error)
                problems.append(_("media %(index)s: %(error)s", index=index + 1, error=error))
                continue
            attachments |= self.env["ir.attachment"].create({
                "name": f"{self.provider_sid or 'sms'}-{index + 1}",
                "raw": content,
                "mimetype": mimetype or item.get("content_type"),
                "res_model": self._name,
                "res_id": self.id,
            })
        self.write({"attachment_ids": [(6, 0, attachments.ids)], "media_error": "; ".join(problems) or False})

    def _process_inbound(self):
        """Everything that follows the storage of an inbound message."""
        self.ensure_one()
        self.conversation_id._register_inbound(self)
        if self.partner_id:
            self.mail_message_id = self._post_on_partner()
        self._route_reply()

    def _post_on_partner(self):
        """Post the reply on the contact as a customer comment authored by the contact.

        A comment (not an ``sms`` message) lets staff answer it like any other
        message, and authoring it as the contact makes Odoo's "On incoming
        message" automation rules fire.  It is posted by the superuser because
        webhooks run as the public user, whom Odoo forbids to attach files.
        """
        partner = self.partner_id.with_user(SUPERUSER_ID)
        body = Markup('<p class="o_sms_two_way_inbound"><i class="fa fa-mobile" title="SMS"></i> %s</p>%s') % (
            _("SMS from %(number)s", number=self.number), plaintext2html(self.body or ""))
        return partner.with_context(mail_create_nosubscribe=True, mail_post_autofollow=False).message_post(
            body=body,
            author_id=partner.id,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            attachment_ids=self.attachment_ids.ids,
        )

    def _route_reply(self):
        """Extension point: act on the reply (keywords, prompts, handoff)."""
        return False

    # ------------------------------------------------------------ outbound
    @api.model
    def _prepare_outbound(self, gateway, sms_records):
        """The outbound message of each ``sms.sms``, created on first attempt, in order."""
        existing = {m.sms_uuid: m for m in self.search([("sms_uuid", "in", sms_records.mapped("uuid"))])}
        messages = self.browse()
        Conversation = self.env["sms.conversation"]
        for sms in sms_records:
            message = existing.get(sms.uuid)
            if not message:
                number = gateway._normalize_number(sms.number) or sms.number
                conversation = Conversation._get_or_create(gateway, number, partner=sms.partner_id)
                message = self.create({
                    "conversation_id": conversation.id,
                    "gateway_id": gateway.id,
                    "direction": "outbound",
                    "body": sms.body,
                    "sms_uuid": sms.uuid,
                    "mail_message_id": sms.mail_message_id.id,
                })
                conversation._register_outbound(message)
            messages |= message
        return messages

    def _get_sms(self):
        return self.env["sms.sms"].sudo().search([("uuid", "=", self.sms_uuid)]) if self.sms_uuid else self.env["sms.sms"]

    def _get_tracker(self):
        return self.env["sms.tracker"].sudo().search([("sms_uuid", "=", self.sms_uuid)]) if self.sms_uuid else self.env["sms.tracker"]

    def _apply_send_result(self, result):
        """Apply what ``sms.provider._send_batch`` said of this message.

        ``result['state']`` is one of ``accepted``, ``retry`` (not sent, try
        again later), ``ambiguous`` (may have been sent: check before
        retrying) or ``error`` (refused, with ``failure_type``).
        """
        self.ensure_one()
        sms, state = self._get_sms(), result["state"]
        if state == "accepted":
            self.write({"state": "queued", "provider_sid": result["provider_sid"], "error_message": False})
            self._get_tracker()._action_update_from_sms_state("pending")
            sms.write({"state": "pending", "failure_type": False, "to_delete": True})
        elif state in ("retry", "ambiguous"):
            self.write({"state": "outgoing" if state == "retry" else "unknown",
                        "error_message": result.get("error_message")})
        else:
            failure_type = result.get("failure_type") or "unknown"
            self.write({
                "state": "error",
                "failure_type": failure_type,
                "error_code": result.get("error_code"),
                "error_message": result.get("error_message"),
            })
            self._get_tracker()._action_update_from_sms_state(
                "error", failure_type=failure_type, failure_reason=result.get("error_message"))
            sms.write({"state": "error", "failure_type": failure_type})
            self._check_opt_out_error(result.get("error_code"))
        if self.mail_message_id:
            self.mail_message_id._notify_message_notification_update()

    def _apply_status(self, status, error_code=None, error_message=None):
        """Apply a delivery status callback, never moving a message backwards."""
        self.ensure_one()
        new_state = STATUS_TO_MESSAGE_STATE.get(status)
        if not new_state or STATE_RANK.get(new_state, 0) < STATE_RANK.get(self.state, 0):
            return
        self.write({"state": new_state, "error_code": error_code or self.error_code,
                    "error_message": error_message or self.error_message})
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
                self.number, partner=self.partner_id, source="provider",
                text=_("Provider error %(code)s", code=error_code), gateway=self.gateway_id, message=self)
