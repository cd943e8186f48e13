from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    sms_program_name = fields.Char(
        related="company_id.sms_program_name", readonly=False
    )
    sms_help_body = fields.Text(related="company_id.sms_help_body", readonly=False)
    sms_opt_out_body = fields.Text(
        related="company_id.sms_opt_out_body", readonly=False
    )
    sms_opt_in_body = fields.Text(related="company_id.sms_opt_in_body", readonly=False)
    sms_quiet_hours = fields.Boolean(
        related="company_id.sms_quiet_hours", readonly=False
    )
    sms_quiet_start = fields.Float(related="company_id.sms_quiet_start", readonly=False)
    sms_quiet_end = fields.Float(related="company_id.sms_quiet_end", readonly=False)
    sms_reply_window_hours = fields.Integer(
        related="company_id.sms_reply_window_hours", readonly=False
    )
    sms_auto_reply_limit = fields.Integer(
        related="company_id.sms_auto_reply_limit", readonly=False
    )
    sms_handoff_user_id = fields.Many2one(
        related="company_id.sms_handoff_user_id", readonly=False
    )
    sms_handoff_team_id = fields.Many2one(
        related="company_id.sms_handoff_team_id", readonly=False
    )
    sms_handoff_ack_body = fields.Text(
        related="company_id.sms_handoff_ack_body", readonly=False
    )
