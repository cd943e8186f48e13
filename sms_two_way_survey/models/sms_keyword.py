from odoo import fields, models


class SmsKeyword(models.Model):
    _inherit = "sms.keyword"

    action = fields.Selection(
        selection_add=[("survey_answer", "Answer a survey question")],
        ondelete={"survey_answer": "cascade"},
    )

    def _action_survey_answer(self, message, match, prompt):
        """Hand the reply to the survey answer the prompt was opened for.

        The rule matches any text: whether the text is a valid answer depends
        on the question, so the survey answer decides (and re-asks if not).
        """
        user_input = prompt._get_record() if prompt else None
        if not user_input or user_input._name != "survey.user_input":
            if prompt:
                prompt._close("cancelled")
            message.conversation_id._handoff(
                message,
                reason=self.env._("The survey this reply answers no longer exists."),
            )
            return True
        return user_input.sudo()._sms_answer(message, prompt)
