import logging

from werkzeug.datastructures import MultiDict

from odoo.http import Controller, Response, request, route

_logger = logging.getLogger(__name__)

MAX_FORM_KEYS = 200


class SmsTwoWayWebhookController(Controller):
    """Provider webhooks: verify, hand off to one gateway method, answer a fixed response.

    Unknown token and bad signature get the same 403 so that a prober cannot
    tell valid tokens from invalid ones; a malformed but signed request gets
    400.  Nothing is stored in either case, and no traceback is returned.
    """

    @route(
        "/sms_two_way/inbound/<string:token>",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def sms_two_way_inbound(self, token, **_kwargs):
        return self._handle(token, "_parse_inbound", "_receive_inbound")

    @route(
        "/sms_two_way/status/<string:token>",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def sms_two_way_status(self, token, **_kwargs):
        return self._handle(token, "_parse_status", "_receive_status")

    def _handle(self, token, parse_method, receive_method):
        params = self._get_form_params()
        # Act as the SMS technical user (not the public user, never the superuser), in the gateway's company.
        gateway = request.env["sms.gateway"]._get_by_webhook_token(token)
        gateway = gateway._as_technical_user() if gateway else gateway
        provider = gateway._get_provider() if gateway else None
        if (
            params is None
            or not gateway
            or not provider._verify_request(gateway, request.httprequest, params)
        ):
            _logger.warning(
                "Rejected SMS webhook from %s: unknown gateway or bad signature",
                request.httprequest.remote_addr,
            )
            return Response("Forbidden", status=403, content_type="text/plain")
        try:
            payload = getattr(provider, parse_method)(gateway, params)
        except ValueError as error:
            _logger.warning(
                "Rejected malformed SMS webhook for gateway %s: %s", gateway.id, error
            )
            return Response(
                f"Bad Request: {error}", status=400, content_type="text/plain"
            )
        getattr(gateway, receive_method)(payload)
        body, content_type = provider._webhook_response(gateway)
        return Response(body, status=200, content_type=content_type)

    @staticmethod
    def _get_form_params():
        """The POSTed form as a MultiDict (signatures cover repeated keys), or None if unusable."""
        httprequest = request.httprequest
        if httprequest.mimetype != "application/x-www-form-urlencoded":
            return None
        form = httprequest.form
        if len(form) > MAX_FORM_KEYS:
            return None
        return MultiDict(form)

    @route(
        "/sms_two_way/media/<int:attachment_id>/<int:expires>/<string:signature>",
        type="http",
        auth="public",
        methods=["GET"],
        save_session=False,
    )
    def sms_two_way_media(self, attachment_id, expires, signature, **_kwargs):
        """The media of an MMS we send, for the provider: signed, expiring URL, no session."""
        attachment = (
            request.env["sms.conversation.message"]
            .sudo()
            ._get_signed_media(attachment_id, expires, signature)
        )
        if not attachment:
            return request.not_found()
        return request.env["ir.binary"]._get_stream_from(attachment).get_response()
