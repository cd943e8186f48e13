import logging
import math
import re
import time
from datetime import timedelta
from functools import partial

import requests

from odoo import models
from odoo.exceptions import UserError

from ..core.call_pool import SKIPPED
from ..core.provider_urls import media_url_problem
from .sms_provider import MAX_CONCURRENT_SENDS

try:
    from twilio.base.exceptions import TwilioRestException
    from twilio.http.http_client import TwilioHttpClient
    from twilio.request_validator import RequestValidator
    from twilio.rest import Client

    # The SDK imports its REST API lazily (about 0.15 s, on the first send of each worker):
    # imported with the addon instead, before Odoo forks its workers.
    from twilio.rest.api.v2010.account import message as _twilio_messages  # noqa: F401
except (
    ImportError
):  # declared in external_dependencies: the module cannot install without it
    Client = RequestValidator = TwilioHttpClient = TwilioRestException = None

_logger = logging.getLogger(__name__)

TWILIO_API_URL = "https://api.twilio.com"
# The SDK logs request headers and bodies at INFO: keep it quiet, the
# Authorization header carries the auth token.
_SDK_LOGGER = logging.getLogger("odoo.addons.sms_two_way.twilio_sdk")
_SDK_LOGGER.setLevel(logging.WARNING)
_HTTP_CLIENTS = {}  # one pooled HTTP session per timeout: connection reuse across sends

TWILIO_STATUS = {
    "accepted": "queued",
    "scheduled": "queued",
    "queued": "queued",
    "sending": "queued",
    "sent": "sent",
    "delivered": "delivered",
    "read": "delivered",
    "undelivered": "undelivered",
    "failed": "failed",
    "canceled": "failed",
}
TWILIO_ERROR_TO_FAILURE_TYPE = {
    20003: "sms_acc",  # authentication failed
    20404: "sms_acc",  # account or sender not found
    21211: "sms_number_format",  # invalid 'To' number
    21614: "sms_number_format",  # 'To' is not a mobile number
    21408: "sms_country_not_supported",  # region not enabled
    21612: "sms_country_not_supported",  # unreachable 'To' from this sender
    21606: "sms_acc",  # 'From' is not a valid number of this account
    21610: "sms_optout",  # recipient replied STOP
    30007: "sms_rejected",  # carrier filtering
}
RETRY_HTTP_STATUSES = {429, 500, 502, 503, 504}
SID_RE = re.compile(r"^(SM|MM)[0-9a-fA-F]{32}$")
MAX_MEDIA = 10
MEDIA_CHUNK_BYTES = 8 * 1024


class SmsProviderTwilio(models.AbstractModel):
    _name = "sms.provider.twilio"
    _inherit = "sms.provider"
    _description = "SMS Provider: Twilio"

    # ------------------------------------------------------------ client
    def _get_client(self, gateway):
        gateway = gateway.sudo()
        timeout = gateway.request_timeout or 10.0
        http_client = _HTTP_CLIENTS.get(timeout)
        if http_client is None:
            http_client = _HTTP_CLIENTS[timeout] = TwilioHttpClient(
                pool_connections=True, timeout=timeout, logger=_SDK_LOGGER
            )
            # One kept-alive connection per concurrent send of a batch.
            adapter = requests.adapters.HTTPAdapter(pool_maxsize=MAX_CONCURRENT_SENDS)
            http_client.session.mount("https://", adapter)
            http_client.session.mount("http://", adapter)
        client = Client(
            gateway.twilio_account_sid,
            gateway.twilio_auth_token,
            http_client=http_client,
        )
        client.api.base_url = gateway._get_api_base_url(TWILIO_API_URL)
        return client

    def _prepare_message_params(self, gateway, message):
        gateway = gateway.sudo()
        params = {
            "to": message.number,
            "body": message.body,
            "status_callback": gateway.status_url,
        }
        if message.attachment_ids:  # MMS: Twilio fetches each MediaUrl
            params["media_url"] = message._get_media_urls()
        if gateway.twilio_messaging_service_sid:
            params["messaging_service_sid"] = gateway.twilio_messaging_service_sid
        else:
            params["from_"] = gateway.twilio_from_number
        return params

    # ------------------------------------------------------------ outbound
    def _start_batch(self, gateway, messages, pool):
        try:
            client = self._get_client(gateway)
        except (
            UserError
        ) as error:  # an API root credentials may not go to: keep the messages queued
            _logger.warning("%s", error)
            results = [
                {"state": "retry", "error_message": str(error)} for _message in messages
            ]
            return lambda: results
        calls = [
            partial(
                client.messages.create, **self._prepare_message_params(gateway, message)
            )
            for message in messages
        ]
        outcomes = self._call_concurrently(
            gateway, pool, messages, calls, self._is_outage
        )
        return lambda: [
            self._send_result(message, *outcome)
            for message, outcome in zip(messages, outcomes(), strict=True)
        ]

    def _is_outage(self, error):
        """The provider is down or unreachable: the message was not taken, send later."""
        if isinstance(error, TwilioRestException):
            return error.status in RETRY_HTTP_STATUSES
        return isinstance(
            error, requests.exceptions.RequestException
        ) and self._never_reached_provider(error)

    def _send_result(self, message, sent, error):
        """The provider-neutral result (see ``sms.provider``) of one call of ``_start_batch``."""
        if error is SKIPPED:
            return {
                "state": "retry",
                "error_message": self.env._("Not sent: the provider is unavailable."),
            }
        if error is None:
            return {"state": "accepted", "provider_sid": sent.sid}
        if isinstance(error, TwilioRestException):
            text = f"Twilio error {error.code or error.status}: {error.msg}"
            if self._is_outage(error):
                _logger.warning(
                    "Twilio unavailable (HTTP %s), SMS %s stays queued",
                    error.status,
                    message.sms_uuid,
                )
                return {"state": "retry", "error_message": text}
            return {
                "state": "error",
                "failure_type": TWILIO_ERROR_TO_FAILURE_TYPE.get(error.code, "unknown"),
                "error_code": str(error.code or error.status),
                "error_message": text,
            }
        if isinstance(error, requests.exceptions.RequestException):
            if self._is_outage(error):
                _logger.warning(
                    "Twilio unreachable (%s), SMS %s stays queued",
                    error.__class__.__name__,
                    message.sms_uuid,
                )
                return {
                    "state": "retry",
                    "error_message": self.env._(
                        "Provider unreachable: %s", error.__class__.__name__
                    ),
                }
            _logger.warning(
                "Twilio did not answer for SMS %s (%s): will check before resending",
                message.sms_uuid,
                error.__class__.__name__,
            )
            return {
                "state": "ambiguous",
                "error_message": self.env._(
                    "No answer from the provider: %s", error.__class__.__name__
                ),
            }
        # Anything else (a bug, a broken SDK) happened on our side of an unknown request.
        _logger.warning(
            "Sending SMS %s failed (%s): will check before resending",
            message.sms_uuid,
            error,
        )
        return {
            "state": "ambiguous",
            "error_message": f"{error.__class__.__name__}: {error}",
        }

    @staticmethod
    def _never_reached_provider(error):
        """True when the request certainly did not reach Twilio, so resending is safe."""
        if isinstance(error, requests.exceptions.ConnectTimeout):
            return True
        if isinstance(error, requests.exceptions.ConnectionError):
            reason = getattr(error.args[0], "reason", None) if error.args else None
            return "NewConnectionError" in repr(reason) or "NewConnectionError" in repr(
                error
            )
        return False

    def _find_sent(self, gateway, message):
        """Look for ``message`` among the provider's recent messages to its number."""
        client = self._get_client(gateway)
        since = message.create_date - timedelta(minutes=5)
        known = set(
            message.search(
                [
                    ("conversation_id", "=", message.conversation_id.id),
                    ("provider_sid", "!=", False),
                ]
            ).mapped("provider_sid")
        )
        try:
            for sent in client.messages.list(to=message.number, limit=50):
                created = sent.date_created and sent.date_created.replace(tzinfo=None)
                # A message already matched to another record is not this one (same text sent twice).
                if (
                    sent.body == message.body
                    and sent.sid not in known
                    and (not created or created >= since)
                ):
                    return sent.sid
        except (TwilioRestException, requests.exceptions.RequestException) as error:
            _logger.warning(
                "Could not check SMS %s at Twilio (%s)",
                message.sms_uuid,
                error.__class__.__name__,
            )
            raise UserError(
                self.env._(
                    "The provider could not be asked whether the message was sent."
                )
            ) from error
        return False

    # ------------------------------------------------------------ webhooks
    def _verify_request(self, gateway, httprequest, params):
        signature = httprequest.headers.get("X-Twilio-Signature")
        token = gateway.sudo().twilio_auth_token
        if not signature or not token:
            return False
        validator = RequestValidator(token)
        return any(
            validator.validate(url, params, signature)
            for url in _public_urls(gateway, httprequest)
        )

    def _parse_inbound(self, gateway, params):
        sid = params.get("MessageSid") or params.get("SmsSid") or ""
        sender = (params.get("From") or "").strip()
        if not SID_RE.match(sid) or not sender or "Body" not in params:
            raise ValueError("MessageSid, From and Body are required")
        try:
            num_media = int(params.get("NumMedia") or 0)
        except ValueError as error:
            raise ValueError("NumMedia must be a number") from error
        if not 0 <= num_media <= MAX_MEDIA:
            raise ValueError("NumMedia out of range")
        media = []
        for index in range(num_media):
            url = params.get(f"MediaUrl{index}")
            if not url:
                raise ValueError(f"MediaUrl{index} is missing")
            media.append(
                {"url": url, "content_type": params.get(f"MediaContentType{index}")}
            )
        return {
            "provider_sid": sid,
            "from_number": sender,
            "to_number": params.get("To") or "",
            "body": params.get("Body") or "",
            "media": media,
        }

    def _parse_status(self, gateway, params):
        sid = params.get("MessageSid") or params.get("SmsSid") or ""
        raw_status = params.get("MessageStatus") or params.get("SmsStatus") or ""
        if not SID_RE.match(sid) or raw_status not in TWILIO_STATUS:
            raise ValueError("MessageSid and a known MessageStatus are required")
        return {
            "provider_sid": sid,
            "status": TWILIO_STATUS[raw_status],
            "error_code": params.get("ErrorCode") or None,
            "error_message": params.get("ErrorMessage") or None,
        }

    def _webhook_response(self, gateway):
        return '<?xml version="1.0" encoding="UTF-8"?><Response></Response>', "text/xml"

    def _download_media(self, gateway, url, max_bytes, timeout=None):
        """Download a media with the account's credentials, only from the API root.

        The credentials are never sent elsewhere: a media URL on another
        scheme, host or port is refused (requests drops them on cross-host
        redirects).  The gateway's timeout bounds the whole download, not
        each read, so a slow sender cannot hold a worker.
        """
        gateway = gateway.sudo()
        api_base_url = gateway._get_api_base_url(TWILIO_API_URL)
        if problem := media_url_problem(
            url, api_base_url, gateway._allow_loopback_http()
        ):
            raise ValueError(self.env._("media URL refused: %s", problem))
        timeout = min(timeout or math.inf, gateway.request_timeout or 10.0)
        deadline = time.monotonic() + timeout
        # Identity encoding and small chunks: the deadline is checked after every read.
        with requests.get(
            url,
            auth=(gateway.twilio_account_sid, gateway.twilio_auth_token),
            headers={"Accept-Encoding": "identity"},
            timeout=timeout,
            stream=True,
        ) as response:
            response.raise_for_status()
            if int(response.headers.get("Content-Length") or 0) > max_bytes:
                raise ValueError(self.env._("media larger than %s bytes", max_bytes))
            content = bytearray()
            for chunk in response.iter_content(MEDIA_CHUNK_BYTES):
                content += chunk  # bytearray: amortized in place, no quadratic copies
                if len(content) > max_bytes:
                    raise ValueError(
                        self.env._("media larger than %s bytes", max_bytes)
                    )
                if (
                    time.monotonic() > deadline
                ):  # a trickling server: the read timeout is per chunk
                    raise TimeoutError(
                        self.env._(
                            "media download took more than %s seconds",
                            round(timeout, 1),
                        )
                    )
            return bytes(content), response.headers.get("Content-Type", "").split(";")[
                0
            ] or None

    def _test_connection(self, gateway):
        gateway = gateway.sudo()
        if not gateway.twilio_account_sid or not gateway.twilio_auth_token:
            raise UserError(
                self.env._("Fill in the Account SID and the Auth Token first.")
            )
        client = self._get_client(gateway)
        try:
            account = client.api.v2010.accounts(gateway.twilio_account_sid).fetch()
        except TwilioRestException as error:
            raise UserError(
                self.env._(
                    "Twilio refused the connection: %(msg)s (error %(code)s).",
                    msg=error.msg,
                    code=error.code or error.status,
                )
            ) from error
        except requests.exceptions.RequestException as error:
            raise UserError(
                self.env._("Twilio could not be reached: %s.", error.__class__.__name__)
            ) from error
        return self.env._(
            'Connected to Twilio account "%(name)s" (status: %(status)s).',
            name=account.friendly_name,
            status=account.status,
        )


def _public_urls(gateway, httprequest):
    """The URLs Twilio may have signed: as seen behind a proxy, and as configured.

    Twilio signs the exact public URL it called.  Behind a reverse proxy the
    request Odoo sees differs, so the URL is rebuilt from the forwarded
    headers.  Trusting those headers is safe here: they only choose which URL
    the signature is checked against, and forging the signature still needs
    the auth token.
    """
    headers = httprequest.headers
    scheme = (
        (headers.get("X-Forwarded-Proto") or httprequest.scheme).split(",")[0].strip()
    )
    host = (
        (headers.get("X-Forwarded-Host") or headers.get("Host") or httprequest.host)
        .split(",")[0]
        .strip()
    )
    path = httprequest.full_path if httprequest.query_string else httprequest.path
    urls = [f"{scheme}://{host}{path}"]
    configured = (
        gateway.sudo().inbound_url
        if "/inbound/" in httprequest.path
        else gateway.sudo().status_url
    )
    if configured and configured not in urls:
        urls.append(configured)
    return urls
