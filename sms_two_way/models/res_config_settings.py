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
    sms_faq_threshold = fields.Float(
        related="company_id.sms_faq_threshold", readonly=False
    )
    sms_ai_url = fields.Char(
        "AI endpoint",
        config_parameter="sms_two_way.ai_url",
        groups="base.group_system",
        help="OpenAI-compatible chat-completions URL, e.g. https://api.openai.com/v1/chat/completions. "
        "Empty: the assistant is off and nothing leaves Odoo.",
    )
    sms_ai_model = fields.Char(
        "AI model", config_parameter="sms_two_way.ai_model", groups="base.group_system"
    )
    sms_ai_api_key = fields.Char(
        "AI API key",
        config_parameter="sms_two_way.ai_api_key",
        groups="base.group_system",
    )
    sms_ai_timeout = fields.Float(
        "AI timeout (seconds)",
        config_parameter="sms_two_way.ai_timeout",
        default=10.0,
        groups="base.group_system",
    )
