from odoo import models

EMPTY_RESPONSE = ("", "text/plain")


class SmsProvider(models.AbstractModel):
    """The contract every SMS provider implements.

    A provider adds its key to ``sms.gateway.provider`` with ``selection_add``
    and an ``sms.provider.<key>`` model inheriting this one.  Every method
    takes the gateway first, like OCA's ``mail.gateway`` providers.  Results
    use provider-neutral words so the core never branches on provider names:

    * send results: ``{"state": "accepted" | "retry" | "ambiguous" | "error",
      "provider_sid", "failure_type" (an ``sms.sms`` failure type),
      "error_code", "error_message"}``;
    * inbound: ``{"provider_sid", "from_number", "to_number", "body",
      "media": [{"url", "content_type"}]}``;
    * status: ``{"provider_sid", "status": "queued" | "sent" | "delivered" |
      "undelivered" | "failed", "error_code", "error_message"}``.
    """

    _name = "sms.provider"
    _description = "SMS Provider Contract"

    def _send_batch(self, gateway, messages):
        """Send ``sms.conversation.message`` records; one result per message, in order."""
        raise NotImplementedError()

    def _find_sent(self, gateway, message):
        """Provider id of ``message`` if the provider already has it, else ``False``.

        Called before retrying a message whose previous attempt timed out.
        """
        return False

    def _verify_request(self, gateway, httprequest, params):
        """True when the webhook request really comes from the provider."""
        raise NotImplementedError()

    def _parse_inbound(self, gateway, params):
        """Inbound message from webhook ``params``; ``ValueError`` when malformed."""
        raise NotImplementedError()

    def _parse_status(self, gateway, params):
        """Delivery status from webhook ``params``; ``ValueError`` when malformed."""
        raise NotImplementedError()

    def _download_media(self, gateway, url, max_bytes):
        """``(content, mimetype)`` of an MMS media, refusing more than ``max_bytes``."""
        raise NotImplementedError()

    def _test_connection(self, gateway):
        """A sentence saying the provider answered; ``UserError`` with its error otherwise."""
        raise NotImplementedError()

    def _webhook_response(self, gateway):
        """``(body, content_type)`` answered to an accepted webhook."""
        return EMPTY_RESPONSE
