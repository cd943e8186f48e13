from odoo import api, fields, models

# Question types an SMS reply can answer; the others (matrix) are skipped.
SMS_QUESTION_TYPES = (
    "simple_choice",
    "multiple_choice",
    "text_box",
    "char_box",
    "numerical_box",
    "scale",
    "date",
    "datetime",
)


class SurveyQuestion(models.Model):
    _inherit = "survey.question"

    sms_compatible = fields.Boolean(
        "Answerable by SMS",
        compute="_compute_sms_compatible",
        help="Questions that cannot be answered by a text reply (e.g. matrices) are skipped in SMS surveys.",
    )

    @api.depends("question_type", "is_page")
    def _compute_sms_compatible(self):
        for question in self:
            question.sms_compatible = (
                not question.is_page and question.question_type in SMS_QUESTION_TYPES
            )
