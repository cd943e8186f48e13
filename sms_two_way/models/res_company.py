from odoo import fields, models

from ..core import placeholders

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
        help="Without a salesperson or a handoff user, the team leader (else its first member) answers.",
    )
    sms_handoff_ack_body = fields.Text(
        "Handoff acknowledgement",
        default=DEFAULT_HANDOFF_ACK,
        translate=True,
        help="Sent at most once a day per conversation when a reply needs a person. Empty: none.",
    )

    def _sms_render(self, body):
        """Fill ``{program}`` in a compliance text."""
        self.ensure_one()
        return placeholders.render(
            body, {"program": self.sms_program_name or self.name}
        )

    def _get_sms_handoff_user(self):
        """Who answers replies no rule handles when the contact has no salesperson."""
        self.ensure_one()
        team = self.sms_handoff_team_id
        return self.sms_handoff_user_id or team.user_id or team.member_ids[:1]
