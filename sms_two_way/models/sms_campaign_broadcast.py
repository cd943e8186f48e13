import logging
import math
import threading
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .sms_campaign import describe_segments

_logger = logging.getLogger(__name__)

# Seconds of sending a batch stands for: a batch holds ``throttle × window``
# messages and the next one waits until that much time has passed.
DEFAULT_BATCH_WINDOW = 60
# A reply or opt-out this long after a broadcast is counted as caused by it.
ATTRIBUTION_HOURS = 72


class SmsCampaignBroadcast(models.Model):
    """A message sent, at a scheduled time, to a campaign's confirmed subscribers.

    Sending never holds one transaction for the whole audience: the cron
    snapshots the recipients in one ``INSERT ... SELECT`` (no rows loaded in
    Python), then sends batches of ``throttle_per_second × window``
    recipients, each batch committed on its own.  A recipient is marked
    *sent* in the same transaction that queues its ``sms.sms``, and the
    provider is only called after that commit: after a crash the recipient is
    either still pending (nothing was queued) or sent with its SMS in the
    queue, never both, so nobody is texted twice.
    """

    _name = "sms.campaign.broadcast"
    _description = "SMS Campaign Broadcast"
    _inherit = ["mail.thread"]
    _order = "scheduled_at desc, id desc"

    name = fields.Char(required=True, tracking=True)
    campaign_id = fields.Many2one(
        "sms.campaign", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(
        related="campaign_id.company_id", store=True, index=True
    )
    body = fields.Text(
        "Message",
        required=True,
        help="Placeholders: {name}, {first_name}, {campaign}, {company}.",
    )
    body_segments = fields.Char("Size", compute="_compute_body_segments")
    scheduled_at = fields.Datetime(
        "Send at", default=fields.Datetime.now, required=True, tracking=True
    )
    tag_ids = fields.Many2many(
        "crm.tag", string="Only leads tagged", help="Empty: every confirmed subscriber."
    )
    stage_ids = fields.Many2many("crm.stage", string="Only leads in stage")
    throttle_per_second = fields.Float(
        "Messages per second",
        default=1.0,
        required=True,
        help="1 matches a single long-code number; short codes and toll-free numbers allow more.",
    )
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("scheduled", "Scheduled"),
            ("sending", "Sending"),
            ("done", "Sent"),
            ("cancelled", "Cancelled"),
        ],
        default="draft",
        required=True,
        readonly=True,
        tracking=True,
        index=True,
    )
    next_batch_at = fields.Datetime(
        readonly=True, help="Throttle / quiet hours: the next batch waits until then."
    )
    done_at = fields.Datetime("Finished at", readonly=True)
    recipient_ids = fields.One2many("sms.campaign.broadcast.recipient", "broadcast_id")
    # progress and final stats
    recipient_count = fields.Integer("Recipients", compute="_compute_stats")
    pending_count = fields.Integer("To send", compute="_compute_stats")
    queued_count = fields.Integer("Queued", compute="_compute_stats")
    sent_count = fields.Integer("Sent", compute="_compute_stats")
    delivered_count = fields.Integer("Delivered", compute="_compute_stats")
    failed_count = fields.Integer("Failed", compute="_compute_stats")
    skipped_count = fields.Integer("Skipped", compute="_compute_stats")
    reply_count = fields.Integer("Replies", compute="_compute_stats")
    opt_out_count = fields.Integer("Opt-outs", compute="_compute_stats")
    won_count = fields.Integer("Leads won", compute="_compute_stats")
    progress = fields.Float(compute="_compute_stats")

    @api.depends("body")
    def _compute_body_segments(self):
        for broadcast in self:
            body = broadcast.body or ""
            if broadcast.campaign_id:
                body = broadcast.campaign_id._render_sample(body)
            broadcast.body_segments = describe_segments(self.env, body)

    def _compute_stats(self):
        stats = self._get_stats()
        for broadcast in self:
            values = stats.get(broadcast.id, {})
            for key in (
                "recipient",
                "pending",
                "queued",
                "sent",
                "delivered",
                "failed",
                "skipped",
                "reply",
                "opt_out",
                "won",
            ):
                broadcast[f"{key}_count"] = values.get(key, 0)
            total = broadcast.recipient_count
            broadcast.progress = (
                100.0 * (total - broadcast.pending_count) / total if total else 0.0
            )

    def _get_stats(self):
        """Counts per broadcast, in SQL: 10,000 recipients are never loaded to count them."""
        ids = [broadcast_id for broadcast_id in self.ids if broadcast_id]
        if not ids:
            return {}
        for model in (
            "sms.campaign.broadcast.recipient",
            "sms.campaign.subscriber",
            "sms.conversation.message",
            "crm.lead",
        ):
            self.env[model].flush_model()
        self.env.cr.execute(
            SQL(
                """
            SELECT r.broadcast_id,
                   count(*) AS recipient,
                   count(*) FILTER (WHERE r.state = 'pending') AS pending,
                   count(*) FILTER (WHERE r.state = 'skipped') AS skipped,
                   count(*) FILTER (WHERE r.state = 'sent'
                                      AND coalesce(m.state, 'outgoing') IN ('outgoing', 'unknown')) AS queued,
                   count(*) FILTER (WHERE m.state IN ('queued', 'sent', 'delivered')) AS sent,
                   count(*) FILTER (WHERE m.state = 'delivered') AS delivered,
                   count(*) FILTER (WHERE m.state IN ('error', 'failed', 'undelivered')) AS failed,
                   count(*) FILTER (WHERE r.state = 'sent' AND EXISTS (
                       SELECT 1 FROM sms_conversation_message i
                        WHERE i.conversation_id = s.conversation_id AND i.direction = 'inbound'
                          AND i.create_date > r.sent_at AND i.create_date <= r.sent_at + %(window)s)) AS reply,
                   count(*) FILTER (WHERE r.state = 'sent' AND s.opt_out_date > r.sent_at
                                      AND s.opt_out_date <= r.sent_at + %(window)s) AS opt_out,
                   count(*) FILTER (WHERE r.state = 'sent' AND st.is_won AND l.date_closed >= r.sent_at) AS won
              FROM sms_campaign_broadcast_recipient r
              JOIN sms_campaign_subscriber s ON s.id = r.subscriber_id
         LEFT JOIN sms_conversation_message m ON m.sms_uuid = r.sms_uuid AND m.direction = 'outbound'
         LEFT JOIN crm_lead l ON l.id = s.lead_id
         LEFT JOIN crm_stage st ON st.id = l.stage_id
             WHERE r.broadcast_id = ANY(%(ids)s)
          GROUP BY r.broadcast_id
        """,
                window=timedelta(hours=ATTRIBUTION_HOURS),
                ids=ids,
            )
        )
        return {row.pop("broadcast_id"): row for row in self.env.cr.dictfetchall()}

    # ------------------------------------------------------------ buttons
    def action_schedule(self):
        for broadcast in self:
            if broadcast.state != "draft":
                raise UserError(self.env._("Only a draft broadcast can be scheduled."))
            if broadcast.throttle_per_second <= 0:
                raise UserError(
                    self.env._("The throttle must be more than 0 messages per second.")
                )
        self.write({"state": "scheduled"})
        for broadcast in self:
            self._get_cron()._trigger(at=broadcast.scheduled_at)
        return True

    def action_send_now(self):
        self.filtered(lambda b: b.state == "draft").write(
            {"scheduled_at": fields.Datetime.now()}
        )
        return self.action_schedule()

    def action_cancel(self):
        """Stop a broadcast; what was already queued still goes out, the rest never does."""
        self.filtered(lambda b: b.state in ("draft", "scheduled", "sending")).write(
            {"state": "cancelled"}
        )
        return True

    def action_reset_draft(self):
        self.filtered(lambda b: b.state == "cancelled" and not b.recipient_ids).write(
            {"state": "draft"}
        )
        return True

    def action_view_recipients(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Recipients"),
            "res_model": "sms.campaign.broadcast.recipient",
            "view_mode": "list,form",
            "domain": [("broadcast_id", "=", self.id)],
        }

    @api.model
    def _get_cron(self):
        return self.env.ref("sms_two_way.ir_cron_sms_campaign_broadcast").sudo()

    # ------------------------------------------------------------ rendering
    def _render_for(self, subscriber):
        self.ensure_one()
        return self.campaign_id._render_for(self.body, subscriber.partner_id)

    # ------------------------------------------------------------ sending
    @api.model
    def _cron_send(self):
        """Cron: start due broadcasts, then send one batch of each sending broadcast.

        This is the only place that commits, and only outside tests (like
        ``sms.sms._process_queue``): each batch must be durable before the
        provider is called, which is what makes a restart safe.  The cron
        re-triggers itself for the next batch instead of looping, so a run
        stays short and the throttle is kept between runs.
        """
        now = fields.Datetime.now()
        for broadcast in self.search(
            [("state", "=", "scheduled"), ("scheduled_at", "<=", now)]
        ):
            broadcast._start_sending()
            self._commit_progress()
        next_runs = []
        for broadcast in self.search([("state", "=", "sending")]):
            if broadcast.next_batch_at and broadcast.next_batch_at > now:
                next_runs.append(broadcast.next_batch_at)
                continue
            try:
                # A failing batch is undone as a whole: its recipients stay pending.
                with self.env.cr.savepoint():
                    sms = broadcast._send_batch(now)
                self._commit_progress()
            except Exception:
                _logger.exception(
                    "SMS broadcast %s: batch failed, it will be retried", broadcast.id
                )
                next_runs.append(now + timedelta(minutes=1))
                continue
            sms.exists().send(auto_commit=True, raise_exception=False)
            self._commit_progress()
            if broadcast.state == "sending":
                next_runs.append(broadcast.next_batch_at or now)
        if next_runs:
            self._get_cron()._trigger(at=min(next_runs))
        return True

    def _commit_progress(self):
        """Commit each batch, so that a crash later never sends it again.

        Only outside tests, whose cursor must not be committed (the usual OCA guard).
        """
        if not getattr(threading.current_thread(), "testing", False):
            self.env.cr.commit()  # pylint: disable=invalid-commit

    def _start_sending(self):
        """Snapshot the audience into recipients, in the database: no subscriber is loaded here."""
        self.ensure_one()
        Recipient = self.env["sms.campaign.broadcast.recipient"]
        Subscriber = self.env["sms.campaign.subscriber"].sudo()
        query = Subscriber._search(self._get_audience_domain())
        self.env.flush_all()  # the audience query reads subscribers, leads, tags and stages
        self.env.cr.execute(
            SQL(
                """
            INSERT INTO sms_campaign_broadcast_recipient
                   (broadcast_id, subscriber_id, company_id, state, create_uid, write_uid, create_date, write_date)
            SELECT %(broadcast)s, s.id, %(company)s, 'pending', %(uid)s, %(uid)s,
                   now() at time zone 'UTC', now() at time zone 'UTC'
              FROM sms_campaign_subscriber s
             WHERE s.id IN %(audience)s
            ON CONFLICT (broadcast_id, subscriber_id) DO NOTHING
        """,
                broadcast=self.id,
                company=self.company_id.id,
                uid=self.env.uid,
                audience=query.subselect(),
            )
        )
        added = self.env.cr.rowcount
        Recipient.invalidate_model()
        self.invalidate_recordset(["recipient_ids"])
        self.write({"state": "sending", "next_batch_at": False})
        _logger.info("SMS broadcast %s: %s recipients", self.id, added)

    def _get_audience_domain(self):
        """Confirmed subscribers, optionally narrowed to lead tags or stages."""
        self.ensure_one()
        domain = [
            ("campaign_id", "=", self.campaign_id.id),
            ("state", "=", "confirmed"),
        ]
        if self.tag_ids:
            domain.append(("lead_id.tag_ids", "in", self.tag_ids.ids))
        if self.stage_ids:
            domain.append(("lead_id.stage_id", "in", self.stage_ids.ids))
        return domain

    def _get_batch_size(self):
        window = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("sms_two_way.campaign_batch_seconds", DEFAULT_BATCH_WINDOW)
        )
        return max(1, int(self.throttle_per_second * window))

    def _claim_recipients(self, now, limit):
        """Lock the next due pending recipients; another worker skips them instead of waiting."""
        self.env["sms.campaign.broadcast.recipient"].flush_model()
        self.env.cr.execute(
            SQL(
                """
            SELECT id FROM sms_campaign_broadcast_recipient
             WHERE broadcast_id = %s AND state = 'pending' AND (not_before IS NULL OR not_before <= %s)
          ORDER BY id
             LIMIT %s
               FOR UPDATE SKIP LOCKED
        """,
                self.id,
                now,
                limit,
            )
        )
        return self.env["sms.campaign.broadcast.recipient"].browse(
            [row[0] for row in self.env.cr.fetchall()]
        )

    def _send_batch(self, now):
        """Queue the SMS of one batch and mark its recipients sent; returns the queued ``sms.sms``.

        Recipients outside their allowed hours get a ``not_before`` and do
        not count against the throttle.  The next batch is due once the
        queued messages have had their time at ``throttle_per_second``.
        """
        self.ensure_one()
        sms = self._claim_recipients(now, self._get_batch_size())._deliver(now)
        queued = len(sms)
        next_at = self._get_next_deferred(now)
        if next_at is not None and queued:
            next_at = max(
                next_at,
                now + timedelta(seconds=math.ceil(queued / self.throttle_per_second)),
            )
        if next_at is None:
            self.write({"state": "done", "done_at": now, "next_batch_at": False})
        else:
            self.next_batch_at = next_at
        return sms

    def _get_next_deferred(self, now):
        """When the next pending recipient may be texted; None when none is pending."""
        self.env["sms.campaign.broadcast.recipient"].flush_model()
        self.env.cr.execute(
            SQL(
                """
            SELECT count(*), min(coalesce(not_before, %s)) FROM sms_campaign_broadcast_recipient
             WHERE broadcast_id = %s AND state = 'pending'
        """,
                now,
                self.id,
            )
        )
        count, next_at = self.env.cr.fetchone()
        return next_at if count else None
