import hmac
import logging
import secrets

from psycopg2.errors import UniqueViolation
from werkzeug.urls import url_join

from odoo import api, fields, models

from ..core.phone import normalize_number

_logger = logging.getLogger(__name__)

# Status names every provider maps its own statuses onto (see sms.provider).
STATUS_TO_MESSAGE_STATE = {
    "queued": "queued",
    "sent": "sent",
    "delivered": "delivered",
    "undelivered": "undelivered",
    "failed": "failed",
}
# How a provider status moves the Odoo notification (sms.tracker) forward.
STATUS_TO_SMS_STATE = {
    "queued": "pending",
    "sent": "pending",
    "delivered": "sent",
}


class SmsGateway(models.Model):
    """A phone number (or sender pool) at an SMS provider, owned by one company.

    The gateway is provider-agnostic: everything that depends on the provider
    is delegated to the ``sms.provider.<provider>`` model (see
    :meth:`_get_provider`), so the inbound and outbound flows never branch on
    provider names.
    """

    _name = "sms.gateway"
    _description = "SMS Gateway"
    _order = "sequence, id"

    name = fields.Char(required=True)
    sequence = fields.Integer(
        default=10,
        help="The first active gateway of a company sends its new conversations.",
    )
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    provider = fields.Selection(selection=[], required=True)
    api_base_url = fields.Char(
        "API base URL",
        help="Advanced: the provider API root. Leave empty for the provider's public API.",
    )
    request_timeout = fields.Float(
        default=10.0,
        help="Seconds to wait for the provider before the attempt is retried later.",
    )
    webhook_token = fields.Char(
        copy=False,
        readonly=True,
        groups="base.group_system",
        default=lambda self: secrets.token_urlsafe(24),
        help="Unguessable part of the webhook URLs: rotating it invalidates the URLs pasted at the provider.",
    )
    inbound_url = fields.Char(
        compute="_compute_webhook_urls",
        groups="base.group_system",
        help="Paste this URL as the provider's 'A message comes in' webhook (HTTP POST).",
    )
    status_url = fields.Char(
        compute="_compute_webhook_urls",
        groups="base.group_system",
        help="Sent to the provider with each message as its delivery status callback.",
    )
    conversation_count = fields.Integer(compute="_compute_conversation_count")
    provider_handles_opt_out = fields.Boolean(
        "Provider answers opt-out keywords",
        compute="_compute_provider_handles_opt_out",
        store=True,
        readonly=False,
        help="The provider itself answers STOP, START and HELP and blocks sending after STOP (Twilio's "
        "default). Odoo then records the change but sends no answer of its own, so the customer "
        "never gets two.",
    )

    _sql_constraints = [
        (
            "webhook_token_unique",
            "unique(webhook_token)",
            "Each gateway needs its own webhook token.",
        ),
    ]

    @api.depends("webhook_token")
    def _compute_webhook_urls(self):
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url")
        for gateway in self:
            token = gateway.sudo().webhook_token
            gateway.inbound_url = (
                url_join(base_url, f"/sms_two_way/inbound/{token}") if token else False
            )
            gateway.status_url = (
                url_join(base_url, f"/sms_two_way/status/{token}") if token else False
            )

    @api.depends("provider")
    def _compute_provider_handles_opt_out(self):
        for gateway in self:
            gateway.provider_handles_opt_out = (
                gateway.provider in self._get_providers_handling_opt_out()
            )

    @api.model
    def _get_providers_handling_opt_out(self):
        return {"twilio"}

    def _compute_conversation_count(self):
        counts = dict(
            self.env["sms.conversation"]._read_group(
                [("gateway_id", "in", self.ids)], ["gateway_id"], ["__count"]
            )
        )
        for gateway in self:
            gateway.conversation_count = counts.get(gateway, 0)

    # ------------------------------------------------------------ provider
    def _get_provider(self):
        """The model implementing this gateway's provider (``sms.provider``)."""
        self.ensure_one()
        return self.env[f"sms.provider.{self.provider}"]

    def action_test_connection(self):
        self.ensure_one()
        message = self._get_provider()._test_connection(self)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Connection works"),
                "message": message,
                "type": "success",
                "sticky": False,
            },
        }

    def action_rotate_webhook_token(self):
        # No sudo: the token field is for administrators only, so is rotating it.
        self.webhook_token = secrets.token_urlsafe(24)

    def action_view_conversations(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "sms_two_way.sms_conversation_action"
        )
        action["domain"] = [("gateway_id", "=", self.id)]
        return action

    @api.model
    def _get_by_webhook_token(self, token):
        """Find the gateway of a webhook URL, comparing tokens in constant time."""
        if not token or len(token) > 128:
            return self.browse()
        for gateway in self.sudo().search([]):
            if hmac.compare_digest(gateway.webhook_token.encode(), token.encode()):
                return gateway
        return self.browse()

    @api.model
    def _get_default_for_company(self, company):
        return self.sudo().search([("company_id", "=", company.id)], limit=1)

    @api.model
    def _get_for_number(self, number, company):
        """The gateway to text ``number`` from: the one the customer already talks
        to, else the company's default (empty: the company has none)."""
        default = self._get_default_for_company(company)
        if not default or not number:
            return default
        e164 = default._normalize_number(number)
        conversation = (
            self.env["sms.conversation"]
            .sudo()
            .search(
                [
                    ("number", "=", e164),
                    ("company_id", "=", company.id),
                    ("gateway_id.active", "=", True),
                ],
                order="last_message_date desc",
                limit=1,
            )
        )
        return conversation.gateway_id or default

    def _normalize_number(self, number):
        """E.164 form of ``number``, national numbers read in the company's country."""
        country = self.company_id.country_id or self.env.company.country_id
        return normalize_number(number or "", country.code if country else None)

    # ------------------------------------------------------------ inbound
    def _receive_inbound(self, payload):
        """Store one inbound message and act on it; idempotent on the provider id.

        ``payload`` is what ``sms.provider._parse_inbound`` returns.  A
        redelivery returns the message stored the first time.  A concurrent
        delivery of the same message blocks on the unique index until the
        first one commits and then violates it: that proves the message is
        stored, so the duplicate is dropped rather than raised.
        """
        self.ensure_one()
        Message = self.env["sms.conversation.message"].sudo()
        existing = Message._find_by_provider_sid(self, payload["provider_sid"])
        if existing:
            return existing
        try:
            with self.env.cr.savepoint():
                message = self._store_inbound(payload)
        except UniqueViolation as error:
            if (
                error.diag.constraint_name
                != "sms_conversation_message_provider_sid_unique"
            ):
                raise
            _logger.info(
                "Dropped concurrent duplicate of inbound SMS %s",
                payload["provider_sid"],
            )
            return Message
        message._process_inbound()
        return message

    def _store_inbound(self, payload):
        number = (
            self._normalize_number(payload["from_number"]) or payload["from_number"]
        )
        conversation = self.env["sms.conversation"].sudo()._get_or_create(self, number)
        message = (
            self.env["sms.conversation.message"]
            .sudo()
            .create(conversation._prepare_inbound_message_vals(payload))
        )
        message._attach_media(payload.get("media") or [])
        return message

    def _receive_status(self, status):
        """Apply a delivery status callback (what ``sms.provider._parse_status`` returns)."""
        self.ensure_one()
        message = (
            self.env["sms.conversation.message"]
            .sudo()
            ._find_by_provider_sid(self, status["provider_sid"])
        )
        if not message:
            _logger.info(
                "Status %s for unknown SMS %s ignored",
                status["status"],
                status["provider_sid"],
            )
            return message
        message._apply_status(
            status["status"], status.get("error_code"), status.get("error_message")
        )
        return message

    # ------------------------------------------------------------ outbound
    def _send_sms_records(self, sms_records):
        """Send ``sms.sms`` records through this gateway: the one exit point to the provider.

        Results are applied per message: accepted ones move to Sent, refused
        ones to Error, and on an outage the message stays In Queue for the
        retry cron.  A timeout is ambiguous (the provider may have the
        message): the outbound record is marked ``unknown`` and the next
        attempt asks the provider before sending again.
        """
        self.ensure_one()
        if not sms_records:
            return
        provider = self._get_provider()
        Message = self.env["sms.conversation.message"].sudo()
        outbound = Message._prepare_outbound(self, sms_records)
        outbound = outbound._filter_sendable_now()
        to_send = Message
        for message in outbound:
            if message.state == "unknown":
                provider_sid = provider._find_sent(self, message)
                if provider_sid:
                    message._apply_send_result(
                        {"state": "accepted", "provider_sid": provider_sid}
                    )
                    continue
            to_send |= message
        if to_send:
            for message, result in zip(
                to_send, provider._send_batch(self, to_send), strict=False
            ):
                message._apply_send_result(result)
