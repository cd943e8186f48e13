from odoo import fields, models, tools
from odoo.tools import SQL

from .sms_campaign_broadcast import ATTRIBUTION_HOURS


class SmsCampaignReport(models.Model):
    """Campaign analysis, one row per subscriber dated by the join.

    Sums give joins, confirmations, opt-outs, leads created and won per
    campaign and period; ``reply_rate`` (average) is the share of the
    broadcasts received that got a reply within the attribution window.
    """

    _name = "sms.campaign.report"
    _description = "SMS Campaign Analysis"
    _auto = False
    _order = "date desc"

    campaign_id = fields.Many2one("sms.campaign", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    subscriber_id = fields.Many2one("sms.campaign.subscriber", readonly=True)
    date = fields.Datetime("Join date", readonly=True)
    state = fields.Selection(
        [
            ("pending", "Awaiting confirmation"),
            ("confirmed", "Subscribed"),
            ("opted_out", "Opted out"),
        ],
        readonly=True,
    )
    join_count = fields.Integer("Joins", readonly=True, aggregator="sum")
    confirmed_count = fields.Integer("Confirmations", readonly=True, aggregator="sum")
    opt_out_count = fields.Integer("Opt-outs", readonly=True, aggregator="sum")
    lead_count = fields.Integer("Leads created", readonly=True, aggregator="sum")
    won_count = fields.Integer("Leads won", readonly=True, aggregator="sum")
    broadcast_count = fields.Integer(
        "Broadcasts received", readonly=True, aggregator="sum"
    )
    reply_count = fields.Integer("Broadcasts replied", readonly=True, aggregator="sum")
    reply_rate = fields.Float("Reply rate (%)", readonly=True, aggregator="avg")

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
            CREATE OR REPLACE VIEW %(table)s AS (
                SELECT s.id AS id,
                       s.id AS subscriber_id,
                       s.campaign_id,
                       s.company_id,
                       s.join_date AS date,
                       s.state,
                       1 AS join_count,
                       CASE WHEN s.confirm_date IS NOT NULL THEN 1 ELSE 0 END AS confirmed_count,
                       CASE WHEN s.state = 'opted_out' THEN 1 ELSE 0 END AS opt_out_count,
                       CASE WHEN s.lead_id IS NOT NULL THEN 1 ELSE 0 END AS lead_count,
                       CASE WHEN st.is_won THEN 1 ELSE 0 END AS won_count,
                       coalesce(b.received, 0) AS broadcast_count,
                       coalesce(b.replied, 0) AS reply_count,
                       CASE WHEN coalesce(b.received, 0) > 0
                            THEN 100.0 * b.replied / b.received END AS reply_rate
                  FROM sms_campaign_subscriber s
             LEFT JOIN crm_lead l ON l.id = s.lead_id
             LEFT JOIN crm_stage st ON st.id = l.stage_id
             LEFT JOIN LATERAL (
                    SELECT count(*) AS received,
                           count(*) FILTER (WHERE EXISTS (
                               SELECT 1 FROM sms_conversation_message i
                                WHERE i.conversation_id = s.conversation_id AND i.direction = 'inbound'
                                  AND i.create_date > r.sent_at
                                  AND i.create_date <= r.sent_at + %(window)s)) AS replied
                      FROM sms_campaign_broadcast_recipient r
                     WHERE r.subscriber_id = s.id AND r.state = 'sent'
                ) b ON TRUE
            )
        """,
                table=SQL.identifier(self._table),
                window=SQL("interval '%s hours'" % ATTRIBUTION_HOURS),
            )
        )
