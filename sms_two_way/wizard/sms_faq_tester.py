from odoo import api, fields, models


class SmsFaqTester(models.TransientModel):
    """The "Try a question" box: which FAQ entry would answer a text, and how surely."""

    _name = "sms.faq.tester"
    _description = "Try a question against the FAQ"

    text = fields.Char("Question", required=True)
    company_id = fields.Many2one(
        "res.company",
        default=lambda self: self.env.company,
        required=True,
        domain=lambda self: [("id", "in", self.env.user.company_ids.ids)],
    )
    lang = fields.Selection(selection="_get_langs", string="Contact language")
    faq_id = fields.Many2one("sms.faq", "Would answer", compute="_compute_result")
    confidence = fields.Float(compute="_compute_result", digits=(3, 2))
    threshold = fields.Float(related="company_id.sms_faq_threshold")
    runner_up_id = fields.Many2one("sms.faq", "Runner-up", compute="_compute_result")
    runner_up_confidence = fields.Float(compute="_compute_result", digits=(3, 2))
    result = fields.Text(compute="_compute_result")

    @api.model
    def _get_langs(self):
        return self.env["res.lang"].get_installed()

    @api.depends("text", "company_id", "lang")
    def _compute_result(self):
        Faq = self.env["sms.faq"]
        for tester in self:
            tester.update(
                {
                    "faq_id": False,
                    "confidence": 0.0,
                    "runner_up_id": False,
                    "runner_up_confidence": 0.0,
                    "result": False,
                }
            )
            # The matcher reads entries as superuser: only for the user's own companies.
            if not tester.text or tester.company_id not in self.env.user.company_ids:
                continue
            matcher = Faq._get_matcher(tester.company_id.id)
            threshold = tester.company_id.sms_faq_threshold
            found = matcher.match(tester.text, tester.lang)
            tester.result = matcher.explain(
                tester.text,
                tester.lang,
                threshold,
                describe=lambda entry: Faq.browse(entry.id).name,
            )
            if found.entry and not found.refusal:
                tester.faq_id = Faq.browse(found.entry.id).exists()
                tester.confidence = found.confidence
            if found.runner_up:
                tester.runner_up_id = Faq.browse(found.runner_up.id).exists()
                tester.runner_up_confidence = found.runner_up_confidence
