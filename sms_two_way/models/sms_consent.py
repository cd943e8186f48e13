import re

from odoo import api, fields, models
from odoo.tools import SQL

# Numbers already in E.164 form, as phone.blacklist stores them: looked up as they are.
E164_RE = re.compile(r"^\+[0-9]{2,15}$")

CONSENT_SOURCES = [
    ("keyword", "Keyword reply"),
    ("campaign", "Campaign"),
    ("form", "Web form"),
    ("import", "Import"),
    ("manual", "Manual"),
    ("provider", "Provider (error 21610)"),
]


class SmsConsent(models.Model):
    """Append-only ledger of every SMS opt-in and opt-out.

    ``phone.blacklist`` holds the current state that Odoo's SMS features
    already honour; this ledger keeps the evidence (who, when, how, the exact
    words) that consent rules ask for.  Users can read and export it, nobody
    edits it.
    """

    _name = "sms.consent"
    _description = "SMS Consent Record"
    _order = "create_date desc, id desc"
    _rec_name = "number"

    number = fields.Char(required=True, readonly=True, index=True)
    partner_id = fields.Many2one(
        "res.partner", "Contact", readonly=True, index=True, ondelete="set null"
    )
    company_id = fields.Many2one(
        "res.company", readonly=True, index=True, default=lambda self: self.env.company
    )
    direction = fields.Selection(
        [("opt_in", "Opt-in"), ("opt_out", "Opt-out")], required=True, readonly=True
    )
    source = fields.Selection(CONSENT_SOURCES, required=True, readonly=True)
    text = fields.Char("Exact text", readonly=True)
    gateway_id = fields.Many2one("sms.gateway", readonly=True, ondelete="set null")
    message_id = fields.Many2one(
        "sms.conversation.message", "SMS", readonly=True, ondelete="set null"
    )

    @api.model
    def _record(
        self,
        direction,
        number,
        source,
        partner=None,
        text=None,
        gateway=None,
        message=None,
        **extra,
    ):
        """Write one ledger entry and bring ``phone.blacklist`` in line with it."""
        entry = self.sudo().create(
            {
                "direction": direction,
                "number": number,
                "source": source,
                "partner_id": partner.id if partner else False,
                "company_id": (gateway.company_id if gateway else self.env.company).id,
                "text": text,
                "gateway_id": gateway.id if gateway else False,
                "message_id": message.id if message else False,
                **extra,
            }
        )
        Blacklist = self.env["phone.blacklist"].sudo()
        note = f"SMS {direction.replace('_', '-')} ({source}): {text or ''}".strip()
        if direction == "opt_out":
            Blacklist._add([number], message=note)
        elif self._opt_in_lifts_opt_out(number, gateway, entry):
            Blacklist._remove([number], message=note)
        return entry

    @api.model
    def _opt_in_lifts_opt_out(self, number, gateway, opt_in):
        """True when an opt-in may lift the number's opt-out.

        An opt-out is global (``phone.blacklist``): no company texts the number
        any more.  Only an opt-in on the gateway that received the latest
        opt-out lifts it (for an opt-out tied to no gateway, an opt-in in the
        same company), so a START sent to one company never lifts a STOP given
        to another.  The opt-in is recorded either way, as evidence.
        """
        last_opt_out = self.sudo().search(
            [
                ("number", "=", number),
                ("direction", "=", "opt_out"),
                ("id", "!=", opt_in.id),
            ],
            limit=1,
        )
        if not last_opt_out:
            return True
        if last_opt_out.gateway_id:
            return last_opt_out.gateway_id == gateway
        return last_opt_out.company_id == opt_in.company_id

    @api.model
    def _record_opt_out(self, number, source, **kwargs):
        return self._record("opt_out", number, source, **kwargs)

    @api.model
    def _record_opt_in(self, number, source, **kwargs):
        return self._record("opt_in", number, source, **kwargs)

    @api.model
    def _is_opted_out(self, number):
        return bool(self._get_opted_out_numbers([number]))

    @api.model
    def _get_opted_out_numbers(self, numbers):
        """The opted-out numbers among ``numbers`` (E.164), in one query."""
        numbers = {number for number in numbers if number}
        e164 = {number for number in numbers if E164_RE.match(number)}
        opted_out = set()
        if e164:
            # phone.blacklist's own search formats every number again (a phonenumbers parse, about
            # 0.3 ms each: seconds for a broadcast): E.164 numbers are matched as stored.
            self.env["phone.blacklist"].flush_model(["number", "active"])
            self.env.cr.execute(
                SQL(
                    "SELECT number FROM phone_blacklist WHERE active AND number = ANY(%s)",
                    list(e164),
                )
            )
            opted_out.update(row[0] for row in self.env.cr.fetchall())
        if others := numbers - e164:
            blacklisted = (
                self.env["phone.blacklist"]
                .sudo()
                .search_fetch([("number", "in", list(others))], ["number"])
            )
            opted_out.update(blacklisted.mapped("number"))
        return opted_out
