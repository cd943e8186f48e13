from odoo import api, fields, models, tools
from odoo.tools import SQL

from ..core import faq as engine
from ..core import placeholders

# Fields the compiled matcher is built from: writing any of them rebuilds it.
MATCHER_FIELDS = {"question", "answer", "lang", "active", "company_id"}


class SmsFaq(models.Model):
    """A prepared answer to a common question, sent automatically when a reply asks it.

    Matching is done by the plain-Python engine in ``core/faq.py``; one
    compiled matcher per company is cached (``_get_matcher``) and rebuilt when
    an entry's phrasings, language, company or archive state change.
    """

    _name = "sms.faq"
    _inherit = ["sms.cached.mixin"]
    _cache_fields = MATCHER_FIELDS  # _get_matcher
    _description = "SMS FAQ Entry"
    _order = "sequence, id"

    name = fields.Char(
        compute="_compute_name", store=True, help="The first phrasing of the question."
    )
    active = fields.Boolean(default=True)
    sequence = fields.Integer(default=10)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    question = fields.Text(
        required=True,
        help='How customers ask it: one phrasing per line, e.g. "What time do you open on Sunday?" and '
        '"Are you open on weekends?". Several short, different phrasings work best.',
    )
    answer = fields.Text(
        required=True,
        translate=True,
        help="Sent back automatically. Placeholders: {name}, {first_name}, {company}.",
    )
    lang = fields.Selection(
        selection="_get_langs",
        string="Language",
        help="Only for contacts in this language (others get the entries without a language). "
        "Empty: for everyone.",
    )
    answer_count = fields.Integer("Times answered", readonly=True, copy=False)
    person_request_count = fields.Integer(
        "Then asked for a person",
        readonly=True,
        copy=False,
        help="How often the customer asked for a person right after this answer: a sign it does not help.",
    )

    @api.model
    def _get_langs(self):
        return self.env["res.lang"].get_installed()

    @api.depends("question")
    def _compute_name(self):
        for entry in self:
            entry.name = next(
                (
                    line.strip()
                    for line in (entry.question or "").splitlines()
                    if line.strip()
                ),
                "",
            )

    def _to_engine_entry(self):
        self.ensure_one()
        questions = tuple(
            line.strip() for line in (self.question or "").splitlines() if line.strip()
        )
        # The answer in the entry's language (the source text for entries in
        # every language), whoever builds the cached matcher.
        answer = self.with_context(lang=self.lang or None).answer or ""
        return engine.FaqEntry(
            id=self.id, questions=questions, lang=self.lang or None, answer=answer
        )

    @api.model
    @tools.ormcache("company_id")
    def _get_matcher(self, company_id):
        """The compiled matcher of a company's active entries (cached per company and worker)."""
        entries = (
            self.sudo()
            .with_context(active_test=True)
            .search([("company_id", "=", company_id)])
        )
        return engine.FaqMatcher(entry._to_engine_entry() for entry in entries)

    # ------------------------------------------------------------ matching
    @api.model
    def _match(self, text, company, lang=None):
        """``(entry record or empty, engine FaqMatch)`` for ``text`` against ``company``'s FAQ."""
        found = self._get_matcher(company.id).match(text, lang)
        entry = (
            self.sudo().browse(found.entry.id).exists()
            if found.entry
            else self.browse()
        )
        return entry, found

    def _render_answer(self, partner, company):
        """The answer for ``partner``, placeholders filled by the one safe renderer."""
        self.ensure_one()
        answer = self.with_context(lang=partner.lang or self.env.lang).answer
        return placeholders.render(
            answer,
            {
                "name": partner.name,
                "first_name": placeholders.first_name(partner.name),
                "company": company.name,
            },
        )

    # ------------------------------------------------------------ counters
    def _increment(self, counter):
        """Add one to a counter in SQL: no lost update when two replies arrive at once."""
        assert counter in ("answer_count", "person_request_count")
        self.env.cr.execute(
            SQL(
                "UPDATE sms_faq SET %s = COALESCE(%s, 0) + 1 WHERE id IN %s",
                SQL.identifier(counter),
                SQL.identifier(counter),
                tuple(self.ids),
            )
        )
        self.invalidate_recordset([counter])

    # ------------------------------------------------------------ "Try a question"
    def action_open_tester(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": "sms.faq.tester",
            "view_mode": "form",
            "target": "new",
        }
