from odoo import api, fields, models

from ..core import faq, placeholders

DEFAULT_HELP = (
    "{program}: Msg frequency varies. Msg & data rates may apply. "
    "Reply STOP to unsubscribe, HELP for help."
)
DEFAULT_OPT_OUT = "{program}: You are unsubscribed and will receive no further messages. Reply START to resubscribe."
DEFAULT_OPT_IN = (
    "{program}: You are subscribed again. Msg & data rates may apply. "
    "Reply STOP to unsubscribe, HELP for help."
)
DEFAULT_HANDOFF_ACK = "Thanks for your message, a team member will reply shortly."


class ResCompany(models.Model):
    """SMS compliance settings: what the law makes every sender answer and respect."""

    _inherit = "res.company"

    sms_program_name = fields.Char(
        "SMS program name", help="Defaults to the company name."
    )
    sms_help_body = fields.Text("HELP reply", default=DEFAULT_HELP, translate=True)
    sms_opt_out_body = fields.Text(
        "STOP confirmation", default=DEFAULT_OPT_OUT, translate=True
    )
    sms_opt_in_body = fields.Text(
        "START confirmation", default=DEFAULT_OPT_IN, translate=True
    )
    sms_quiet_hours = fields.Boolean("Quiet hours", default=True)
    sms_quiet_start = fields.Float("Sending allowed from", default=8.0)
    sms_quiet_end = fields.Float("Sending allowed until", default=21.0)
    sms_reply_window_hours = fields.Integer(
        "Direct reply window (hours)",
        default=2,
        help="A message to a customer who wrote within this window is a direct reply: never deferred.",
    )
    sms_auto_reply_limit = fields.Integer(
        "Automatic replies per number per hour",
        default=5,
        help="Loop protection: beyond this, automatic replies to the number stop for the hour.",
    )
    sms_handoff_user_id = fields.Many2one(
        "res.users",
        "Hand off to",
        help="Who answers replies no rule handles, when the contact has no salesperson.",
    )
    sms_handoff_team_id = fields.Many2one(
        "crm.team",
        "Hand off to team",
        help="Without a salesperson or a handoff user, the team's members answer in turn "
        "(the team leader when it has no member).",
    )
    sms_handoff_last_user_id = fields.Many2one(
        "res.users",
        "Last handoff in turn",
        readonly=True,
        help="Round-robin pointer: the team member who got the previous handed-off conversation.",
    )
    sms_handoff_ack_body = fields.Text(
        "Handoff acknowledgement",
        default=DEFAULT_HANDOFF_ACK,
        translate=True,
        help="Sent at most once a day per conversation when a reply needs a person. Empty: none.",
    )

    sms_faq_threshold = fields.Float(
        "FAQ confidence threshold",
        default=faq.DEFAULT_THRESHOLD,
        digits=(3, 2),
        help="An FAQ answer is sent automatically only when the match is at least this confident (0-1); "
        "below, a person answers. Higher: fewer wrong answers, more handoffs.",
    )

    def _sms_render(self, body):
        """Fill ``{program}`` in a compliance text."""
        self.ensure_one()
        return placeholders.render(
            body, {"program": self.sms_program_name or self.name}
        )

    def _get_sms_handoff_user(self):
        """Who answers replies no rule handles when the contact has no salesperson.

        The handoff user, else the handoff team's active members in turn: the
        pointer is the last member served, and the next one is the member
        with the following id, so members joining or leaving the team keep
        the order fair.  A team without members falls back to its leader.
        """
        self.ensure_one()
        if self.sms_handoff_user_id:
            return self.sms_handoff_user_id
        team = self.sms_handoff_team_id
        members = team.member_ids.filtered(
            lambda user: user.active and self in user.company_ids
        ).sorted("id")
        if not members:
            return team.user_id
        following = members.filtered(
            lambda user: user.id > self.sms_handoff_last_user_id.id
        )
        chosen = (following or members)[:1]
        self.sudo().sms_handoff_last_user_id = chosen
        return chosen

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        companies._sms_two_way_add_technical_user()
        return companies

    @api.model
    def _sms_two_way_add_technical_user(self):
        """The SMS technical user works for every company (all of them when called on none)."""
        bot = self.env.ref("sms_two_way.user_sms_two_way_bot", raise_if_not_found=False)
        if bot:
            companies = self or self.sudo().search([])
            bot.sudo().write(
                {
                    "company_ids": [
                        fields.Command.link(company.id) for company in companies
                    ]
                }
            )
