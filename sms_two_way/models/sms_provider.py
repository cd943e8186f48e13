import time
from concurrent.futures import ThreadPoolExecutor

from odoo import models

EMPTY_RESPONSE = ("", "text/plain")
# Provider calls of one batch in flight at once (HTTP only: no ORM in these threads): the
# default of a gateway's "Concurrent requests", and the most it may be set to.
DEFAULT_CONCURRENT_SENDS = 20
MAX_CONCURRENT_SENDS = 50
# What _call_concurrently returns for a call not made because the provider is down.
SKIPPED = object()


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
        """Send ``sms.conversation.message`` records; one result per message, in order.

        Providers prepare every request in the calling thread (ORM reads)
        and make the HTTP calls through :meth:`_call_concurrently`.
        """
        raise NotImplementedError()

    def _call_concurrently(self, gateway, calls, is_outage):
        """Run the zero-argument HTTP ``calls`` on a bounded pool, within the gateway's max rate.

        At most the gateway's "Concurrent requests" calls are in flight at
        once (``sms.gateway._get_concurrent_sends``); each call waits for its reserved send slot (``sms.gateway.
        _reserve_send_slots``).  Once a call fails with an error for which
        ``is_outage(error)`` is true, the calls not yet started are not made:
        a provider that is down is not hammered.  Returns, per call and in
        order, ``(value, None)``, ``(None, exception)`` or ``(None, SKIPPED)``.
        The calls must not touch the ORM: they run in other threads.
        """
        if not calls:
            return []
        slots = gateway._reserve_send_slots(len(calls))
        start = time.monotonic()
        outage = []

        def run(index):
            if outage:
                return None, SKIPPED
            if slots[index] > 0:
                # Never more than the slot itself, whatever the clock (tests freeze time).
                time.sleep(
                    max(
                        0.0,
                        min(slots[index], slots[index] - (time.monotonic() - start)),
                    )
                )
                if outage:
                    return None, SKIPPED
            try:
                return calls[index](), None
            except Exception as error:  # noqa: BLE001 - mapped to a result by the caller
                if is_outage(error):
                    outage.append(error)
                return None, error

        with ThreadPoolExecutor(
            max_workers=min(gateway._get_concurrent_sends(), len(calls)),
            thread_name_prefix="sms_two_way_send",
        ) as pool:
            return list(pool.map(run, range(len(calls))))

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

    def _download_media(self, gateway, url, max_bytes, timeout=None):
        """``(content, mimetype)`` of an MMS media, refusing more than ``max_bytes``.

        ``timeout`` (seconds) caps the download below the gateway's own timeout.
        """
        raise NotImplementedError()

    def _test_connection(self, gateway):
        """A sentence saying the provider answered; ``UserError`` with its error otherwise."""
        raise NotImplementedError()

    def _webhook_response(self, gateway):
        """``(body, content_type)`` answered to an accepted webhook."""
        return EMPTY_RESPONSE
