import logging

from odoo import api, fields, models, tools
from odoo.exceptions import ValidationError

from ..core import keywords as engine
from ..core import placeholders

_logger = logging.getLogger(__name__)

# The models a keyword rule's server action may be defined on (it runs on the conversation).
SERVER_ACTION_MODELS = ["sms.conversation"]
# What the compiled matchers are built from: changing one of these rebuilds them.
MATCHER_FIELDS = {
    "active",
    "sequence",
    "company_id",
    "keyword",
    "aliases",
    "match_mode",
    "number_min",
    "number_max",
    "pattern",
    "yes_intent",
    "no_intent",
    "scope",
    "prompt_kind",
}


class SmsKeyword(models.Model):
    """A low-code rule: when a reply matches, run an action and maybe answer.

    Matching is done by the plain-Python engine in ``core/keywords.py``; one
    compiled matcher per company, scope and question kind is cached
    (``_get_matcher``) and rebuilt when a rule's matching fields change.
    Addons add actions with ``selection_add`` on ``action`` and a method
    ``_action_<key>(message, match, prompt)``; they add prompt kinds the same
    way on ``prompt_kind``.
    """

    _name = "sms.keyword"
    _inherit = ["sms.cached.mixin", "sms.protected.fields.mixin"]
    _description = "SMS Keyword Rule"
    _order = "sequence, id"
    # A server action runs code on every matching SMS: administrators alone bind one.
    _admin_only_fields = ("server_action_id",)
    _cache_fields = MATCHER_FIELDS  # _get_matcher

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    sequence = fields.Integer(
        default=10, help="Rules are tried in this order; the first match wins."
    )
    company_id = fields.Many2one(
        "res.company",
        default=lambda self: self.env.company,
        index=True,
        help="Leave empty for a rule shared by all companies.",
    )
    keyword = fields.Char(help="The word customers reply, e.g. C.")
    aliases = fields.Char(
        help="Other words meaning the same, comma-separated, e.g. CONFIRM, CONFIRMED."
    )
    match_mode = fields.Selection(
        [
            (engine.MODE_EXACT, "Whole message"),
            (engine.MODE_FIRST_WORD, "First word"),
            (engine.MODE_NUMBER, "Number in a range"),
            (engine.MODE_REGEX, "Regular expression"),
        ],
        default=engine.MODE_EXACT,
        required=True,
    )
    number_min = fields.Integer("From", default=1)
    number_max = fields.Integer("To", default=5)
    pattern = fields.Char(
        "Regular expression",
        help="Searched in the folded text (lower case, no accents).",
    )
    yes_intent = fields.Boolean(
        "Also match yes-like replies", help="Y, yes, yeah, yep, ok, 👍..."
    )
    no_intent = fields.Boolean(
        "Also match no-like replies", help="N, no, nope, can't make it..."
    )
    scope = fields.Selection(
        [
            ("any", "Any conversation"),
            ("prompt", "Replies to a pending question"),
        ],
        default="any",
        required=True,
    )
    prompt_kind = fields.Selection(
        selection="_get_prompt_kinds", string="Question kind"
    )
    action = fields.Selection(
        [
            ("opt_out", "Opt out"),
            ("opt_in", "Opt in"),
            ("help", "Send help"),
            ("handoff", "Hand off to a person"),
            ("server_action", "Run a server action"),
            ("reply", "Only send the auto-reply"),
            ("choice", "Pick a request (numbered choice)"),
            ("prompt_answer", "Answer the question (yes/no)"),
        ],
        required=True,
        default="reply",
    )
    server_action_id = fields.Many2one(
        "ir.actions.server",
        domain=[("model_id.model", "in", SERVER_ACTION_MODELS)],
        groups="base.group_system",
        help="Chosen by administrators. Runs on the conversation as the SMS technical user. "
        "Its context holds sms_partner, sms_conversation, sms_message "
        "(the text), sms_value (the matched value, e.g. 4) and sms_record (what the reply answers).",
    )
    reply_body = fields.Text(
        "Auto-reply",
        translate=True,
        help="Sent back after the action. Placeholders: {name}, {value}, {company}.",
    )

    @api.model
    def _get_prompt_kinds(self):
        """The kinds of ``sms.prompt``: addons extend that one selection only."""
        return self.env["sms.prompt"]._fields["kind"]._description_selection(self.env)

    @api.constrains("server_action_id")
    def _check_server_action(self):
        for rule in self.sudo().filtered("server_action_id"):
            action = rule.server_action_id
            if (
                action.usage != "ir_actions_server"
                or action.model_id.model not in SERVER_ACTION_MODELS
            ):
                raise ValidationError(
                    self.env._(
                        "Rule %(name)s: the server action must be a server action on %(models)s.",
                        name=rule.name,
                        models=", ".join(SERVER_ACTION_MODELS),
                    )
                )

    @api.constrains("match_mode", "pattern", "keyword", "number_min", "number_max")
    def _check_rule(self):
        for rule in self:
            if rule.match_mode == engine.MODE_REGEX:
                error = engine.validate_pattern(rule.pattern or "")
                if error:
                    raise ValidationError(
                        self.env._(
                            "Rule %(name)s: %(error)s", name=rule.name, error=error
                        )
                    )
            elif rule.match_mode == engine.MODE_NUMBER:
                if rule.number_min > rule.number_max:
                    raise ValidationError(
                        self.env._("Rule %s: the range is empty.", rule.name)
                    )
            elif not rule.keyword and not (rule.yes_intent or rule.no_intent):
                raise ValidationError(self.env._("Rule %s needs a keyword.", rule.name))

    # ------------------------------------------------------------ engine
    def _to_engine_rule(self):
        self.ensure_one()
        words = [self.keyword or ""] + (self.aliases or "").split(",")
        return engine.Rule(
            id=self.id,
            keywords=tuple(word.strip() for word in words if word.strip()),
            mode=self.match_mode,
            low=self.number_min if self.match_mode == engine.MODE_NUMBER else None,
            high=self.number_max if self.match_mode == engine.MODE_NUMBER else None,
            pattern=self.pattern if self.match_mode == engine.MODE_REGEX else None,
            yes_intent=self.yes_intent,
            no_intent=self.no_intent,
            sequence=self.sequence,
        )

    @api.model
    def _get_rules_domain(self, company, scope="any", prompt_kind=None):
        domain = [("company_id", "in", [company.id, False]), ("scope", "=", scope)]
        if prompt_kind:
            domain.append(("prompt_kind", "=", prompt_kind))
        return domain

    @api.model
    @tools.ormcache("company_id", "scope", "prompt_kind")
    def _get_matcher(self, company_id, scope, prompt_kind):
        """The compiled matcher of these rules (cached per worker: a reply must not search them).

        A pattern that slipped past the constraint (e.g. an import) is left
        out: it must not stop all replies.
        """
        company = self.env["res.company"].browse(company_id)
        # Shared by every caller: built from the active rules whatever the caller's context.
        rules = (
            self.sudo()
            .with_context(active_test=True)
            .search(self._get_rules_domain(company, scope, prompt_kind))
        )
        return engine.KeywordMatcher(
            rule._to_engine_rule()
            for rule in rules
            if rule.match_mode != engine.MODE_REGEX
            or not engine.validate_pattern(rule.pattern)
        )

    @api.model
    def _match(self, text, company, scope="any", prompt_kind=None):
        """``(rule record, engine match)`` of the best rule for ``text``, or ``(empty, None)``."""
        match = self._get_matcher(company.id, scope, prompt_kind or None).match(text)
        # Still active: another worker may have archived it since this worker's matcher was built.
        still_active = match and self.sudo().with_context(active_test=True).search(
            [("id", "=", match.rule.id)]
        )
        if not still_active:
            return self.browse(), None
        return self.browse(still_active.id), match

    # ------------------------------------------------------------ "Try a message"
    def action_open_tester(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": "sms.keyword.tester",
            "view_mode": "form",
            "target": "new",
        }

    # ------------------------------------------------------------ actions
    def _run(self, message, match, prompt=None):
        """Run this rule's action on an inbound ``message``, then its auto-reply."""
        self.ensure_one()
        _logger.info("SMS %s matched rule %s (%s)", message.id, self.name, match.reason)
        message.handled_by = self._get_handled_by(
            prompt
        )  # a handoff by the action overrides it
        handled = getattr(self, f"_action_{self.action}")(message, match, prompt)
        if self.reply_body and handled is not False:
            message.conversation_id._send_auto_reply(self._render_reply(message, match))
        return handled

    def _get_handled_by(self, prompt):
        """How a message this rule runs on counts in the automation-rate report."""
        self.ensure_one()
        if self.action in ("opt_out", "opt_in", "help"):
            return "compliance"
        return "prompt" if prompt else "keyword"

    def _render_reply(self, message, match):
        return placeholders.render(
            self.reply_body,
            {
                "name": message.partner_id.name,
                "first_name": placeholders.first_name(message.partner_id.name),
                "value": match.value if match else "",
                "company": message.company_id.name,
            },
        )

    def _action_reply(self, message, match, prompt):
        return True

    def _action_opt_out(self, message, match, prompt):
        return message._apply_opt_out(source="keyword")

    def _action_opt_in(self, message, match, prompt):
        return message._apply_opt_in(source="keyword")

    def _action_help(self, message, match, prompt):
        return message._apply_help()

    def _action_handoff(self, message, match, prompt):
        message.conversation_id._handoff(
            message, reason=self.env._("Rule %s asks for a person.", self.name)
        )
        return True

    def _action_server_action(self, message, match, prompt):
        """Run the rule's server action as the SMS technical user, never as the superuser.

        The action is staff-written code: if it fails (for instance it needs
        rights the technical user does not have), the exception reaches the
        inbound processing, which rolls the message's processing back, keeps
        the SMS stored and retries it, then leaves it in "Processing failed"
        for a person (see ``sms.conversation.message._process_claimed``).
        """
        action = self.sudo().server_action_id
        if not action:
            _logger.warning(
                "Rule %s has no server action: SMS %s handed off", self.name, message.id
            )
            return False
        bot = self.env["sms.gateway"]._get_technical_user()
        conversation = message.conversation_id.with_user(bot)
        record = (
            prompt._get_record().with_user(bot) if prompt else conversation.browse()
        )
        action.with_user(bot).with_company(conversation.company_id).with_context(
            active_model="sms.conversation",
            active_id=conversation.id,
            active_ids=conversation.ids,
            sms_partner=conversation.partner_id,
            sms_conversation=conversation,
            sms_message=message.body,
            sms_value=match.value if match else None,
            sms_record=record,
        ).run()
        return True

    def _action_choice(self, message, match, prompt):
        """A number answering "which request?": replay the original text on that request."""
        return prompt._resolve_choice(message, match.value)

    def _action_prompt_answer(self, message, match, prompt):
        """Answer a ``yes_no`` prompt: note it on the record and tell the record."""
        if not prompt:
            return False
        answer = "yes" if self.yes_intent else "no"
        prompt._close()
        record = prompt._get_record()
        if hasattr(record, "message_post"):
            record.message_post(
                body=self.env._(
                    "Answered %(answer)s by SMS: %(text)s",
                    answer=answer,
                    text=message.body,
                ),
                message_type="comment",
                subtype_xmlid="mail.mt_note",
            )
        if hasattr(record, "_sms_prompt_answered"):
            record._sms_prompt_answered(prompt, message, answer)
        return True
