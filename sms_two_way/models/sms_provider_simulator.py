import hashlib
import hmac
import re
from uuid import uuid4

from odoo import models
from odoo.tools.misc import hmac as odoo_hmac

SIMULATOR_SID_RE = re.compile(r"^SIM[0-9a-f]{32}$")
SIGNATURE_HEADER = "X-Simulator-Signature"


def simulator_signature(key, params):
    """HMAC of the sorted webhook parameters, keyed by ``key``."""
    payload = "&".join(f"{key}={params[key]}" for key in sorted(params))
    return hmac.new(key.encode(), payload.encode(), hashlib.sha256).hexdigest()


class SmsProviderSimulator(models.AbstractModel):
    """A provider living inside Odoo, so anyone can try two-way SMS without an account.

    Outbound messages are accepted at once and shown on the simulator page
    (``/sms_two_way/simulator``), which marks them delivered when a simulated
    handset displays them.  Replies typed there enter the same inbound
    pipeline as a provider webhook.
    """

    _name = "sms.provider.simulator"
    _inherit = "sms.provider"
    _description = "SMS Provider: Simulator"

    def _start_batch(self, gateway, messages, pool):
        results = [
            {"state": "accepted", "provider_sid": f"SIM{uuid4().hex}"}
            for _message in messages
        ]
        return lambda: results

    def _get_signing_key(self, gateway):
        """The key simulated webhooks are signed with.

        Derived from the database secret, not only from the webhook token: the
        token is part of the URL, so whoever knows the URL must still not be
        able to sign.
        """
        return odoo_hmac(
            self.env(su=True),
            "sms_two_way.simulator_webhook",
            gateway.sudo().webhook_token,
        )

    def _sign(self, gateway, params):
        return simulator_signature(self._get_signing_key(gateway), params)

    def _verify_request(self, gateway, httprequest, params):
        signature = httprequest.headers.get(SIGNATURE_HEADER) or ""
        return hmac.compare_digest(
            signature.encode(), self._sign(gateway, params).encode()
        )

    def _parse_inbound(self, gateway, params):
        sid, sender = params.get("MessageSid") or "", (params.get("From") or "").strip()
        if not SIMULATOR_SID_RE.match(sid) or not sender or "Body" not in params:
            raise ValueError("MessageSid, From and Body are required")
        return {
            "provider_sid": sid,
            "from_number": sender,
            "to_number": gateway.simulator_number,
            "body": params["Body"],
            "media": [],
        }

    def _parse_status(self, gateway, params):
        sid, status = params.get("MessageSid") or "", params.get("MessageStatus")
        if not SIMULATOR_SID_RE.match(sid) or status not in (
            "queued",
            "sent",
            "delivered",
            "undelivered",
            "failed",
        ):
            raise ValueError("MessageSid and a known MessageStatus are required")
        return {
            "provider_sid": sid,
            "status": status,
            "error_code": params.get("ErrorCode") or None,
            "error_message": None,
        }

    def _download_media(self, gateway, url, max_bytes, timeout=None):
        raise ValueError(self.env._("the simulator does not carry media"))

    def _test_connection(self, gateway):
        return self.env._(
            "The simulator is built in: open SMS > Simulator to text as a customer."
        )

    def _new_inbound_params(self, number, body):
        """Webhook parameters of a reply typed on a simulated handset."""
        return {"MessageSid": f"SIM{uuid4().hex}", "From": number, "Body": body}
