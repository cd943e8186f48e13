from odoo import models

EMPTY_RESPONSE = ("", "text/plain")
# Provider calls in flight at once (HTTP only: no ORM in these threads): the default of a
# gateway's "Concurrent requests", and the most it may be set to.
DEFAULT_CONCURRENT_SENDS = 20
MAX_CONCURRENT_SENDS = 50


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

    def _start_batch(self, gateway, messages, pool):
        """Start sending ``sms.conversation.message`` records; returns a function giving the results.

        Providers prepare every request in the calling thread (ORM reads) and
        start the HTTP calls on ``pool`` (a :class:`~..core.call_pool.CallPool`)
        through :meth:`_call_concurrently`, so that the caller does its ORM
        work while they are in flight.  The returned zero-argument function,
        also called in the calling thread, waits for the answers and returns
        one result per message, in order.
        """
        raise NotImplementedError()

    def _call_concurrently(self, gateway, pool, messages, calls, is_outage):
        """Start the zero-argument HTTP ``calls`` (one per message) on ``pool``, within the gateway's max rate.

        The pool holds at most the gateway's "Concurrent requests" calls in
        flight (``sms.gateway._get_concurrent_sends``); each call waits for its
        send slot, reserved here for the whole batch (``sms.gateway.
        _reserve_send_slots``), and for the calls to the same number queued
        before it, so that texts to one number leave in order.  Once a call
        fails with an error for which ``is_outage(error)`` is true, the calls
        not yet started are not made.  Returns a function waiting for the
        outcomes: per call and in order, ``(value, None)``, ``(None,
        exception)`` or ``(None, SKIPPED)``.  The calls must not touch the
        ORM: they run in other threads.
        """
        return pool.submit(
            calls,
            gateway._reserve_send_slots(len(calls)),
            messages.mapped("number"),
            is_outage,
        )

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
