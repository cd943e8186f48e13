import logging
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, plaintext2html

from ..core.phone import normalize_number

_logger = logging.getLogger(__name__)


class SmsConversation(models.Model):
    """The SMS thread between one gateway number and one customer number."""

    _name = "sms.conversation"
    _description = "SMS Conversation"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "needs_reply desc, last_message_date desc, id desc"

    name = fields.Char(compute="_compute_name", store=True)
    gateway_id = fields.Many2one(
        "sms.gateway", required=True, readonly=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True
    )
    number = fields.Char(
        required=True, readonly=True, index=True, help="The customer's number, E.164."
    )
    partner_id = fields.Many2one("res.partner", "Contact", index=True, tracking=True)
    user_id = fields.Many2one("res.users", "Assigned to", index=True, tracking=True)
    message_line_ids = fields.One2many(
        "sms.conversation.message", "conversation_id", "SMS Messages"
    )
    last_inbound_date = fields.Datetime(readonly=True)
    last_outbound_date = fields.Datetime(readonly=True)
    last_message_date = fields.Datetime(readonly=True, index=True)
    last_message_preview = fields.Char(readonly=True)
    needs_reply = fields.Boolean(readonly=True, index=True)
    unread_count = fields.Integer(readonly=True)
    reply_body = fields.Text(
        "Reply", help="Type a reply and click Send: it goes out through this gateway."
    )
    last_handoff_ack_date = fields.Datetime(readonly=True)

    _sql_constraints = [
        (
            "gateway_number_unique",
            "unique(gateway_id, number)",
            "One conversation per gateway and number.",
        ),
    ]

    @api.depends("partner_id.name", "number")
    def _compute_name(self):
        for conversation in self:
            conversation.name = conversation.partner_id.name or conversation.number

    # ------------------------------------------------------------ lookup
    @api.model
    def _get_or_create(self, gateway, number, partner=None):
        """The conversation of ``number`` on ``gateway``, created when new.

        The row is inserted with ``ON CONFLICT DO NOTHING`` so that two
        first messages from one number arriving at once cannot both create
        it: under Odoo's repeatable-read isolation the loser gets a
        serialization failure, and Odoo retries its whole request.
        """
        conversation = self.search(
            [("gateway_id", "=", gateway.id), ("number", "=", number)], limit=1
        )
        if conversation:
            if partner and not conversation.partner_id:
                conversation.partner_id = partner
            return conversation
        self.flush_model()
        self.env.cr.execute(
            SQL(
                """INSERT INTO sms_conversation (gateway_id, company_id, number, needs_reply, unread_count,
                                             create_uid, write_uid, create_date, write_date)
               VALUES (%s, %s, %s, false, 0, %s, %s, now() at time zone 'UTC', now() at time zone 'UTC')
               ON CONFLICT (gateway_id, number) DO NOTHING""",
                gateway.id,
                gateway.company_id.id,
                number,
                self.env.uid,
                self.env.uid,
            ),
            log_exceptions=False,
        )  # the expected serialization failure is not an error
        conversation = self.search(
            [("gateway_id", "=", gateway.id), ("number", "=", number)], limit=1
        )
        conversation.partner_id = partner or conversation._match_partner()
        return conversation

    def _match_partner(self):
        """The contact whose mobile or phone is this number, or no contact.

        Numbers stored in any format (national, international, with spaces)
        match.  When several contacts share the number the choice is
        deterministic: a mobile match beats a phone match, a person beats a
        company, then the oldest contact (lowest id) wins.
        """
        self.ensure_one()
        digits = "".join(ch for ch in self.number if ch.isdigit())
        if len(digits) < 6:
            return self.env["res.partner"]
        self.env["res.partner"].flush_model(["mobile", "phone", "active", "company_id"])
        self.env.cr.execute(
            SQL(
                """SELECT id FROM res_partner
                WHERE active AND (company_id IS NULL OR company_id = %s)
                  AND (regexp_replace(coalesce(mobile, ''), '[^0-9]', '', 'g') LIKE %s
                       OR regexp_replace(coalesce(phone, ''), '[^0-9]', '', 'g') LIKE %s)""",
                self.company_id.id,
                f"%{digits[-7:]}",
                f"%{digits[-7:]}",
            )
        )
        candidates = self.env["res.partner"].browse(
            [row[0] for row in self.env.cr.fetchall()]
        )
        ranked = []
        for partner in candidates:
            region = (partner.country_id or self.company_id.country_id).code
            for rank, field in enumerate(("mobile", "phone")):
                if (
                    partner[field]
                    and normalize_number(partner[field], region) == self.number
                ):
                    ranked.append((rank, partner.is_company, partner.id, partner))
                    break
        return min(ranked)[-1] if ranked else self.env["res.partner"]

    @api.model
    def _get_for_recipient(self, partner=None, number=None, company=None):
        """The conversation to text ``partner`` (or a bare ``number``) in, created when new.

        Addons use it before opening an ``sms.prompt``.  Empty when the
        company has no gateway or the number is not valid.
        """
        gateway, e164 = self._resolve_recipient(partner, number, company)
        if not e164:
            return self.browse()
        return self.sudo()._get_or_create(gateway, e164, partner=partner or None)

    @api.model
    def _resolve_recipient(self, partner=None, number=None, company=None):
        """``(gateway, E.164 number)`` to text ``partner`` or ``number`` at, creating nothing.

        The number is ``False`` when the company has no gateway or the number
        is not valid; previews use this to tell who can be reached.
        """
        company = company or (partner and partner.company_id) or self.env.company
        number = number or (partner and (partner.mobile or partner.phone))
        gateway = self.env["sms.gateway"].sudo()._get_for_number(number, company)
        return gateway, bool(gateway and number) and gateway._normalize_number(number)

    # ------------------------------------------------------------ bookkeeping
    def _prepare_inbound_message_vals(self, payload):
        self.ensure_one()
        return {
            "conversation_id": self.id,
            "gateway_id": self.gateway_id.id,
            "direction": "inbound",
            "state": "received",
            "body": payload.get("body") or "",
            "provider_sid": payload["provider_sid"],
        }

    def _register_inbound(self, message):
        self.write(
            {
                "last_inbound_date": message.create_date,
                "last_message_date": message.create_date,
                "last_message_preview": (message.body or "")[:120],
                "needs_reply": True,
                "unread_count": self.unread_count + 1,
            }
        )

    def _register_outbound(self, message):
        vals = {"last_outbound_date": message.create_date}
        # Automatic answers neither hide what the customer said nor settle the conversation.
        if not message.is_auto_reply and message.category != "compliance":
            vals.update(
                last_message_date=message.create_date,
                last_message_preview=(message.body or "")[:120],
                needs_reply=False,
                unread_count=0,
            )
        self.write(vals)

    # ------------------------------------------------------------ actions
    def action_send_reply(self):
        """Send ``reply_body`` to the customer through this conversation's gateway."""
        self.ensure_one()
        body = (self.reply_body or "").strip()
        if not body:
            raise UserError(self.env._("Type a reply first."))
        self._send_text(body, category="direct")
        self.reply_body = False
        return True

    def _get_default_category(self):
        """A message to a customer who wrote recently is a direct reply; others are automated."""
        self.ensure_one()
        window = timedelta(hours=self.company_id.sms_reply_window_hours or 0)
        if (
            self.last_inbound_date
            and self.last_inbound_date >= fields.Datetime.now() - window
        ):
            return "direct"
        return "automated"

    def _send_text(self, body, category="direct", auto_reply=False):
        """Send ``body`` through this gateway, on the contact's chatter when there is one."""
        self.ensure_one()
        sender = self.with_context(
            sms_two_way_gateway_id=self.gateway_id.id,
            sms_two_way_category=category,
            sms_two_way_auto_reply=auto_reply,
        )
        if self.partner_id:
            sender.partner_id._message_sms(
                body,
                partner_ids=self.partner_id.ids,
                sms_pid_to_number={self.partner_id.id: self.number},
            )
        else:
            sms = (
                sender.env["sms.sms"]
                .sudo()
                .create({"number": self.number, "body": body})
            )
            sms.send(raise_exception=False)

    def _send_auto_reply(self, body):
        """An answer sent by automation, capped per hour so two robots cannot loop."""
        self.ensure_one()
        since = fields.Datetime.now() - timedelta(hours=1)
        sent = (
            self.env["sms.conversation.message"]
            .sudo()
            .search_count(
                [
                    ("conversation_id", "=", self.id),
                    ("is_auto_reply", "=", True),
                    ("create_date", ">=", since),
                ]
            )
        )
        limit = self.company_id.sms_auto_reply_limit
        if limit and sent >= limit:
            _logger.warning(
                "Auto-reply to conversation %s skipped: %s sent in the last hour",
                self.id,
                sent,
            )
            return False
        if self.env["sms.consent"]._is_opted_out(self.number):
            return False
        self._send_text(body, category="direct", auto_reply=True)
        return True

    def _handoff(self, message, reason=None):
        """No automation handles ``message``: a person must answer it.

        The conversation needs a reply, goes to the contact's salesperson (or
        the company's handoff user), who gets a to-do activity; the customer
        is told someone will answer, at most once a day.
        """
        self.ensure_one()
        company = self.company_id
        vals = {"needs_reply": True}
        if not self.user_id:
            vals["user_id"] = (
                self.partner_id.user_id or company._get_sms_handoff_user()
            ).id
        self.write(vals)
        if self.user_id:
            self._notify_assignee(message, reason)
        now = fields.Datetime.now()
        ack = company.sms_handoff_ack_body
        if ack and (
            not self.last_handoff_ack_date
            or self.last_handoff_ack_date <= now - timedelta(days=1)
        ):
            if self._send_auto_reply(ack):
                self.last_handoff_ack_date = now

    def _notify_assignee(self, message, reason=None):
        """One open to-do per assignee: later replies only refresh its note."""
        note = Markup("<p>%s</p>%s") % (
            reason or self.env._("A customer reply needs an answer."),
            plaintext2html(message.body or ""),
        )
        activity = self.activity_ids.filtered(lambda a: a.user_id == self.user_id)
        if activity:
            activity[:1].note = note
            return
        self.activity_schedule(
            "mail.mail_activity_data_todo",
            user_id=self.user_id.id,
            summary=self.env._("SMS from %s needs a reply", self.name),
            note=note,
        )

    def action_mark_done(self):
        self.write({"needs_reply": False, "unread_count": 0})

    def action_create_lead(self):
        """One click from a conversation to a CRM lead carrying the number and the last reply."""
        self.ensure_one()
        last_inbound = self.message_line_ids.filtered(
            lambda m: m.direction == "inbound"
        )[:1]
        lead = self.env["crm.lead"].create(
            {
                "name": self.env._("SMS from %s", self.name),
                "partner_id": self.partner_id.id,
                "mobile": self.number,
                "user_id": (self.user_id or self.env.user).id,
                "description": plaintext2html(last_inbound.body or ""),
                "sms_conversation_id": self.id,
            }
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": "crm.lead",
            "res_id": lead.id,
            "view_mode": "form",
            "target": "current",
        }

    def action_create_contact(self):
        """One click from an unknown number to a contact holding its past messages."""
        self.ensure_one()
        if not self.partner_id:
            self.partner_id = self.env["res.partner"].create(
                {"name": self.number, "mobile": self.number}
            )
        return {
            "type": "ir.actions.act_window",
            "res_model": "res.partner",
            "res_id": self.partner_id.id,
            "view_mode": "form",
            "target": "current",
        }
