from odoo import api, fields, models

from ..core import keywords as engine


class SmsKeywordTester(models.TransientModel):
    """The "Try a message" box: which rule a text would trigger, and why."""

    _name = "sms.keyword.tester"
    _description = "Try a message against the keyword rules"

    text = fields.Char("Message", required=True)
    company_id = fields.Many2one(
        "res.company", default=lambda self: self.env.company, required=True
    )
    result = fields.Text(compute="_compute_result")

    @api.depends("text", "company_id")
    def _compute_result(self):
        Keyword = self.env["sms.keyword"]
        for tester in self:
            if not tester.text:
                tester.result = False
                continue
            intent = engine.compliance_intent(tester.text)
            if intent and not (
                intent == "opt_in" and engine.normalize(tester.text) == "yes"
            ):
                tester.result = self.env._(
                    "Compliance keyword (%(intent)s): handled before any rule.",
                    intent=intent,
                )
                continue
            # The rules exactly as replies are matched against them.
            matcher = Keyword._get_matcher(tester.company_id.id, "any", None)
            match = matcher.match(tester.text)
            if match:
                rule = Keyword.browse(match.rule.id)
                tester.result = self.env._(
                    'Rule "%(name)s" (%(action)s): %(reason)s. Value: %(value)s',
                    name=rule.name,
                    action=dict(rule._fields["action"].selection)[rule.action],
                    reason=match.reason,
                    value=match.value,
                )
            else:
                tester.result = (
                    matcher.explain(tester.text)
                    + "\n"
                    + self.env._(
                        "Outside a pending question, this reply is handed off to a person."
                    )
                )
