from odoo import fields, models, tools
from odoo.tools import SQL

from .sms_conversation_message import HANDLED_BY

# What automation answered without a person ("ignored" machine messages and
# handoffs are not automated; "ignored" messages are left out of the rate).
AUTOMATED = ("compliance", "prompt", "keyword", "campaign", "faq")


class SmsReplyReport(models.Model):
    """The automation rate: inbound SMS by how they were handled, one row per message.

    ``automation_rate`` (average) is the share of customer messages that
    automation answered; machine-generated messages left to staff count
    neither way.
    """

    _name = "sms.reply.report"
    _description = "SMS Automation Rate"
    _auto = False
    _order = "date desc"

    date = fields.Datetime("Received", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    gateway_id = fields.Many2one("sms.gateway", readonly=True)
    conversation_id = fields.Many2one("sms.conversation", readonly=True)
    partner_id = fields.Many2one("res.partner", "Contact", readonly=True)
    handled_by = fields.Selection(HANDLED_BY, readonly=True)
    faq_id = fields.Many2one("sms.faq", "FAQ entry", readonly=True)
    message_count = fields.Integer("Messages", readonly=True, aggregator="sum")
    automated_count = fields.Integer(
        "Handled automatically", readonly=True, aggregator="sum"
    )
    handoff_count = fields.Integer(
        "Handed to a person", readonly=True, aggregator="sum"
    )
    automation_rate = fields.Float(
        "Automation rate (%)", readonly=True, aggregator="avg"
    )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
            CREATE OR REPLACE VIEW %(table)s AS (
                SELECT m.id AS id,
                       m.create_date AS date,
                       m.company_id,
                       m.gateway_id,
                       m.conversation_id,
                       c.partner_id,
                       m.handled_by,
                       m.faq_id,
                       1 AS message_count,
                       CASE WHEN m.handled_by IN %(automated)s THEN 1 ELSE 0 END AS automated_count,
                       CASE WHEN m.handled_by = 'handoff' THEN 1 ELSE 0 END AS handoff_count,
                       CASE WHEN m.handled_by IN %(automated)s THEN 100.0
                            WHEN m.handled_by = 'handoff' THEN 0.0 END AS automation_rate
                  FROM sms_conversation_message m
                  JOIN sms_conversation c ON c.id = m.conversation_id
                 WHERE m.direction = 'inbound'
            )
        """,
                table=SQL.identifier(self._table),
                automated=AUTOMATED,
            )
        )
