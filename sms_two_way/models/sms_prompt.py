import logging
from datetime import timedelta

from odoo import api, fields, models

_logger = logging.getLogger(__name__)

DEFAULT_EXPIRY_HOURS = 72


class SmsPrompt(models.Model):
    """A question texted to a customer, waiting for the reply that answers it.

    When an outbound SMS asks something ("Reply C to confirm"), the sender
    opens a prompt tying the customer's number to the record the question is
    about.  An inbound reply is offered to the open prompts of its
    conversation: the keyword rules scoped to each prompt's ``kind`` decide
    whether it answers that prompt, and the matching rule's action receives
    the prompt (and so the record).  Several prompts matching: the customer
    is asked which one with a numbered choice.

    Addons add their kinds with ``selection_add`` on ``kind``, ship keyword
    rules scoped to them, and may implement on the prompted record:

    * ``_sms_prompt_answered(prompt, message, value)``: a ``yes_no`` prompt
      was answered ``"yes"`` or ``"no"`` (the generic kind, for server
      actions and small customisations that need no keyword action);
    * ``_sms_prompt_expired(prompt)``: the customer never answered;
    * ``_sms_prompt_cancelled(prompt)``: the customer opted out.
    """

    _name = "sms.prompt"
    _inherit = ["sms.protected.fields.mixin"]
    _description = "SMS Pending Question"
    # What a reply is posted on and acts upon.
    _server_only_fields = (
        "conversation_id",
        "res_model",
        "res_id",
        "pending_message_id",
        "candidate_order",
    )
    _order = "create_date desc, id desc"
    _rec_name = "description"

    conversation_id = fields.Many2one(
        "sms.conversation", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="conversation_id.company_id", store=True)
    partner_id = fields.Many2one(related="conversation_id.partner_id")
    number = fields.Char(related="conversation_id.number")
    kind = fields.Selection(
        [
            ("choice", "Which request?"),
            ("yes_no", "Yes/no question"),
        ],
        required=True,
    )
    description = fields.Char(
        required=True, help="How the request is named when the customer must choose."
    )
    res_model = fields.Char("Model", index=True)
    res_id = fields.Many2oneReference("Record", model_field="res_model", index=True)
    state = fields.Selection(
        [
            ("open", "Waiting for reply"),
            ("answered", "Answered"),
            ("expired", "Expired"),
            ("cancelled", "Cancelled"),
        ],
        default="open",
        required=True,
        index=True,
    )
    expires_at = fields.Datetime(required=True, index=True)
    attempts = fields.Integer(help="Replies that did not answer the question.")
    # A "which request?" prompt keeps the reply being disambiguated and the
    # candidate prompt ids in the order they were numbered for the customer.
    pending_message_id = fields.Many2one(
        "sms.conversation.message", ondelete="set null"
    )
    candidate_order = fields.Char(readonly=True)

    # ------------------------------------------------------------ API
    @api.model
    def _open(self, conversation, record, kind, description, expires_at=None):
        """Register a question about ``record`` sent in ``conversation`` (returned in the caller's environment)."""
        return self.browse(
            self.sudo()
            .create(
                {
                    "conversation_id": conversation.id,
                    "kind": kind,
                    "description": description,
                    "res_model": record._name if record else False,
                    "res_id": record.id if record else False,
                    "expires_at": expires_at
                    or fields.Datetime.now() + timedelta(hours=DEFAULT_EXPIRY_HOURS),
                }
            )
            .id
        )

    def _get_record(self):
        self.ensure_one()
        if not self.res_model or self.res_model not in self.env:
            return self.env["sms.conversation"]
        return self.env[self.res_model].browse(self.res_id).exists()

    def _close(self, state="answered"):
        self.filtered(lambda p: p.state == "open").write({"state": state})

    @api.model
    def _get_open_domain(self, conversation):
        return [
            ("conversation_id", "=", conversation.id),
            ("state", "=", "open"),
            ("expires_at", ">", fields.Datetime.now()),
        ]

    # ------------------------------------------------------------ routing
    @api.model
    def _route(self, message):
        """Offer ``message`` to its conversation's open prompts; True when one took it."""
        prompts = message.conversation_id._get_open_prompts().sudo()
        candidates = []
        Keyword = self.env["sms.keyword"]
        for prompt in prompts:
            rule, match = Keyword._match(
                message.body,
                message.company_id,
                scope="prompt",
                prompt_kind=prompt.kind,
            )
            if rule:
                candidates.append((prompt, rule, match))
        if not candidates:
            return False
        choices = [c for c in candidates if c[0].kind == "choice"]
        if choices:  # answering "which request?" beats everything else
            candidates = choices[:1]
        if len(candidates) == 1:
            prompt, rule, match = candidates[0]
            message.prompt_id = prompt
            if (
                rule._run(message, match, prompt) is False
            ):  # the question could not take it
                message.conversation_id._handoff(message)
            return True
        self._ask_which(message, sorted((c[0] for c in candidates), key=lambda p: p.id))
        return True

    @api.model
    def _ask_which(self, message, prompts):
        """Several requests could take this reply: ask the customer to choose by number."""
        conversation = message.conversation_id
        lines = [self.env._("Which request are you answering?")]
        lines += [
            self.env._("Reply %(n)s for %(what)s", n=index, what=prompt.description)
            for index, prompt in enumerate(prompts, start=1)
        ]
        # Local sudo: what the choice replays is set by this code only (a server-only field).
        choice = self.sudo()._open(
            conversation,
            None,
            "choice",
            self.env._("Choose a request"),
            expires_at=fields.Datetime.now() + timedelta(hours=24),
        )
        choice.write(
            {
                "pending_message_id": message.id,
                "candidate_order": ",".join(str(p.id) for p in prompts),
            }
        )
        conversation._send_auto_reply("\n".join(lines))

    def _resolve_choice(self, message, number):
        """The customer picked request ``number``: replay the original reply on it."""
        self.ensure_one()
        ordered = self.browse(
            [int(pid) for pid in (self.candidate_order or "").split(",") if pid]
        ).exists()
        if not isinstance(number, int) or not 1 <= number <= len(ordered):
            return False
        self._close()
        chosen, original = ordered[number - 1], self.pending_message_id
        Keyword = self.env["sms.keyword"]
        rule, match = Keyword._match(
            original.body, original.company_id, scope="prompt", prompt_kind=chosen.kind
        )
        if rule and chosen.state == "open":
            rule._run(original, match, chosen)
        return True

    # ------------------------------------------------------------ lifecycle
    def _cancel_for_opt_out(self):
        for prompt in self.filtered(lambda p: p.state == "open"):
            prompt._close("cancelled")
            record = prompt._get_record()
            if hasattr(record, "_sms_prompt_cancelled"):
                record._sms_prompt_cancelled(prompt)

    @api.model
    def _cron_expire(self):
        expired = self.sudo().search(
            [("state", "=", "open"), ("expires_at", "<=", fields.Datetime.now())]
        )
        for prompt in expired:
            prompt._close("expired")
            record = prompt._get_record()
            if hasattr(record, "_sms_prompt_expired"):
                record._sms_prompt_expired(prompt)
        return len(expired)
