from odoo import fields, models


class SmsCampaignBroadcastRecipient(models.Model):
    """One subscriber of one broadcast: the idempotency key of the send.

    ``state`` moves from *pending* to *sent* in the same transaction that
    queues the SMS (``sms_uuid``), so a resumed broadcast sends only what is
    still pending.
    """

    _name = "sms.campaign.broadcast.recipient"
    _description = "SMS Broadcast Recipient"
    _order = "id"
    _rec_name = "subscriber_id"

    broadcast_id = fields.Many2one(
        "sms.campaign.broadcast", required=True, ondelete="cascade", index=True
    )
    subscriber_id = fields.Many2one(
        "sms.campaign.subscriber", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    partner_id = fields.Many2one(related="subscriber_id.partner_id")
    number = fields.Char(related="subscriber_id.number")
    state = fields.Selection(
        [
            ("pending", "To send"),
            ("sent", "Queued for sending"),
            ("skipped", "Skipped"),
        ],
        default="pending",
        required=True,
        readonly=True,
        index=True,
    )
    skip_reason = fields.Char(readonly=True)
    not_before = fields.Datetime(
        "Deferred until",
        readonly=True,
        help="Outside the recipient's allowed hours: sent from then on.",
    )
    sent_at = fields.Datetime(readonly=True)
    sms_uuid = fields.Char("SMS UUID", readonly=True, index="btree_not_null")
    message_id = fields.Many2one(
        "sms.conversation.message", compute="_compute_message_id"
    )
    message_state = fields.Char("Delivery", compute="_compute_message_id")

    _sql_constraints = [
        (
            "broadcast_subscriber_unique",
            "unique(broadcast_id, subscriber_id)",
            "A subscriber receives a broadcast once.",
        ),
    ]

    def _compute_message_id(self):
        Message = self.env["sms.conversation.message"].sudo()
        messages = {
            m.sms_uuid: m
            for m in Message.search(
                [("sms_uuid", "in", [u for u in self.mapped("sms_uuid") if u])]
            )
        }
        for recipient in self:
            message = messages.get(recipient.sms_uuid, Message)
            recipient.message_id = message
            recipient.message_state = (
                dict(message._fields["state"]._description_selection(self.env)).get(
                    message.state
                )
                if message
                else False
            )

    def _deliver(self, now):
        """Queue this recipient's SMS (not sent yet); returns it, or nothing when skipped or deferred."""
        self.ensure_one()
        subscriber = self.subscriber_id.sudo()
        reason = None
        if subscriber.state != "confirmed":
            reason = self.env._("No longer subscribed.")
        elif self.env["sms.consent"]._is_opted_out(subscriber.number):
            reason = self.env._("Opted out.")
        elif not subscriber.conversation_id:
            reason = self.env._("No conversation for this number.")
        if reason:
            self.write({"state": "skipped", "skip_reason": reason})
            return self.env["sms.sms"]
        not_before = subscriber._get_not_before(now)
        if not_before > now:
            self.not_before = not_before
            return self.env["sms.sms"]
        sms = self._queue_sms(subscriber)
        self.write(
            {"state": "sent", "sent_at": now, "sms_uuid": sms.uuid, "not_before": False}
        )
        return sms

    def _queue_sms(self, subscriber):
        """An ``sms.sms`` in the queue (on the contact's chatter), category marketing, not sent yet."""
        conversation = subscriber.conversation_id
        body = self.broadcast_id._render_for(subscriber)
        SmsSms = self.env["sms.sms"].sudo()
        ctx = {
            "sms_two_way_gateway_id": conversation.gateway_id.id,
            "sms_two_way_category": "marketing",
        }
        partner = subscriber.partner_id
        if partner:
            message = (
                partner.sudo()
                .with_context(**ctx, mail_create_nosubscribe=True)
                ._message_sms(
                    body,
                    partner_ids=partner.ids,
                    sms_pid_to_number={partner.id: conversation.number},
                    put_in_queue=True,
                )
            )
            return SmsSms.search([("mail_message_id", "=", message.id)], limit=1)
        return SmsSms.with_context(**ctx).create(
            {"number": conversation.number, "body": body}
        )
