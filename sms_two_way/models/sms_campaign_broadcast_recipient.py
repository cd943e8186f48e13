from odoo import api, fields, models
from odoo.tools import SQL, plaintext2html

from .batch import write_grouped


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
        """Queue the SMS of these recipients in bulk (not sent yet); returns the queued ``sms.sms``.

        Recipients no longer reachable are skipped with a reason; those
        outside their allowed hours get a ``not_before`` and stay pending.
        Recipients are written per resulting values, not one by one: a batch
        of thousands costs a few writes (and one UPDATE per set of columns
        when flushed).
        """
        numbers = [number for number in self.mapped("subscriber_id.number") if number]
        opted_out = self.env["sms.consent"]._get_opted_out_numbers(numbers)
        # Ids gathered in lists: a recordset union per recipient would be quadratic.
        to_queue, vals_of_unsent = [], {}
        for recipient in self:
            subscriber = recipient.subscriber_id.sudo()
            reason = None
            if subscriber.state != "confirmed":
                reason = self.env._("No longer subscribed.")
            elif subscriber.number in opted_out:
                reason = self.env._("Opted out.")
            elif not subscriber.conversation_id:
                reason = self.env._("No conversation for this number.")
            if reason:
                vals_of_unsent[recipient.id] = {
                    "state": "skipped",
                    "skip_reason": reason,
                }
                continue
            not_before = subscriber._get_not_before(now)
            if not_before > now:
                vals_of_unsent[recipient.id] = {"not_before": not_before}
                continue
            to_queue.append(recipient.id)
        write_grouped(self, vals_of_unsent)
        to_queue = self.browse(to_queue)
        sms = to_queue._queue_sms()
        to_queue._mark_sent(sms, now)
        return sms

    def _mark_sent(self, sms, now):
        """These recipients' SMS (``sms``, in order) are queued: one UPDATE for all of them.

        Each recipient keeps its own SMS UUID; written in SQL, since ORM writes
        of a different value per record cost a ``write`` call each.
        """
        if not self:
            return
        fnames = [
            "state",
            "sent_at",
            "not_before",
            "sms_uuid",
            "write_uid",
            "write_date",
        ]
        self.flush_recordset(fnames)
        self.env.cr.execute(
            SQL(
                """
            UPDATE sms_campaign_broadcast_recipient r
               SET state = 'sent', sent_at = %(now)s, not_before = NULL, sms_uuid = v.uuid,
                   write_uid = %(uid)s, write_date = now() at time zone 'UTC'
              FROM (VALUES %(values)s) AS v(id, uuid)
             WHERE r.id = v.id
        """,
                now=now,
                uid=self.env.uid,
                values=SQL(", ").join(
                    SQL("(%s, %s)", recipient.id, recipient_sms.uuid)
                    for recipient, recipient_sms in zip(self, sms, strict=True)
                ),
            )
        )
        self.invalidate_recordset(fnames)

    def _queue_sms(self):
        """The ``sms.sms`` of these recipients, in order, in the queue (category marketing, not sent yet).

        Created in one batch, and logged on each contact's chatter in one
        batch too (see :meth:`_log_on_chatters`): no message post per recipient.
        """
        bodies = [
            recipient.broadcast_id._render_for(recipient.subscriber_id)
            for recipient in self
        ]
        log_of_partner = self._log_on_chatters(
            {
                recipient.subscriber_id.partner_id.id: body
                for recipient, body in zip(self, bodies, strict=True)
                if recipient.subscriber_id.partner_id
            }
        )
        vals_list = []
        for recipient, body in zip(self, bodies, strict=True):
            subscriber = recipient.subscriber_id
            conversation = subscriber.conversation_id
            vals_list.append(
                {
                    "number": conversation.number,
                    "body": body,
                    "partner_id": subscriber.partner_id.id,
                    "gateway_id": conversation.gateway_id.id,
                    "sms_two_way_category": "marketing",
                    "mail_message_id": log_of_partner.get(
                        subscriber.partner_id.id, False
                    ),
                }
            )
        return self.env["sms.sms"].sudo().create(vals_list)

    @api.model
    def _log_on_chatters(self, texts):
        """Log ``{partner id: text}`` as an SMS on each contact's chatter; returns ``{partner id: message id}``.

        The first log is made by Odoo's ``_message_log_batch`` (as its mass
        SMS do: defaults, sanitizing and every module's overrides); the others
        are copies of that row made by one ``INSERT ... SELECT``, differing
        only by contact and text.  Creating them through the ORM costs about
        a millisecond each, most of the time of queueing a broadcast.  The
        texts are escaped by ``plaintext2html``, so the copies need no
        sanitizing.
        """
        if not texts:
            return {}
        Partner = (
            self.env["res.partner"].sudo().with_context(mail_create_nosubscribe=True)
        )

        def log_by_orm(partner_ids):
            made = Partner.browse(partner_ids)._message_log_batch(
                bodies={p: plaintext2html(texts[p]) for p in partner_ids},
                message_type="sms",
            )
            return {message.res_id: message.id for message in made}

        columns = self._copyable_log_columns()
        if columns is None:
            return log_by_orm(list(texts))
        first, *others = texts
        logs = log_by_orm([first])
        if not others:
            return logs
        self.env["mail.message"].flush_model()
        self.env.cr.execute(
            SQL(
                """
            INSERT INTO mail_message (res_id, body, %(columns)s)
            SELECT v.res_id, v.body, %(copied)s
              FROM mail_message m, (VALUES %(values)s) AS v(res_id, body)
             WHERE m.id = %(template)s
         RETURNING res_id, id
        """,
                columns=SQL(", ").join(columns),
                copied=SQL(", ").join(SQL("m.%s", column) for column in columns),
                values=SQL(", ").join(
                    SQL("(%s, %s)", partner_id, str(plaintext2html(texts[partner_id])))
                    for partner_id in others
                ),
                template=logs[first],
            )
        )
        logs.update(self.env.cr.fetchall())
        # What Odoo's message create invalidates: the contacts' cached chatters.
        Partner.browse(others).invalidate_recordset(["message_ids"])
        return logs

    @api.model
    def _copyable_log_columns(self):
        """The ``mail_message`` columns a chatter log is copied with, or None when copies are unsafe.

        Unsafe when a module computes a stored value per message (none does in
        Odoo 18 core): a copy would carry the first contact's value, so the
        ORM then makes each log.
        """
        message_fields = self.env["mail.message"]._fields
        if any(field.store and field.compute for field in message_fields.values()):
            return None
        return [
            SQL.identifier(name)
            for name, field in message_fields.items()
            if field.store
            and field.column_type
            and name not in ("id", "res_id", "body")
        ]
