"""A fake Twilio REST API on 127.0.0.1, spoken to over real HTTP by the real SDK.

Plain Python (no Odoo import) so that plain pytest tests can use it too.  It
implements what the addon calls: create and list Messages, fetch an Account,
and serve media.  ``mode`` simulates provider trouble:

* ``"ok"``: messages are accepted (HTTP 201);
* ``"error500"``: HTTP 500, message not accepted;
* ``"hang"``: the answer comes after ``hang_seconds`` (longer than the
  client's timeout): an ambiguous outcome; the message is stored unless
  ``hang_stores`` is False;
* ``"reject"``: HTTP 400 with Twilio error ``reject_code``.

``delay_seconds`` slows successful answers down, to widen race windows (or
to play a provider's latency).  ``message_times`` (monotonic clock, when
each message request arrived) and ``max_in_flight`` (most message requests
served at once) show how the client paced and overlapped its calls.
"""

import base64
import json
import threading
import time
import uuid
from datetime import datetime, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

try:
    from twilio.request_validator import RequestValidator
except ImportError:  # pragma: no cover - twilio is a declared dependency
    RequestValidator = None


def sign_twilio_request(auth_token, url, params):
    """The X-Twilio-Signature Twilio would send for a POST of ``params`` to ``url``."""
    return RequestValidator(auth_token).compute_signature(url, params)


class FakeTwilio:
    def __init__(self, account_sid="AC" + "1" * 32, auth_token="fake-auth-token"):
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.mode = "ok"
        self.hang_seconds = 3.0
        self.delay_seconds = (
            0.0  # a slow but successful provider, to widen race windows
        )
        self.hang_stores = (
            True  # in "hang" mode: whether the message was taken before the timeout
        )
        self.reject_code = 21211
        self.requests = []  # (method, path, form dict)
        self.messages = []  # what Twilio "has": dicts in API form
        self.media = {}  # path -> (bytes, content type)
        self.message_times = []  # time.monotonic() at the arrival of each message request
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._server = None
        self._thread = None

    # ------------------------------------------------------------ lifecycle
    def start(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body leave in two writes: with Nagle's algorithm the body would wait
            # for the client's delayed ACK (40 ms), adding that to every answer's latency.
            disable_nagle_algorithm = True

            def log_message(self, *_args):
                pass

            def do_GET(self):
                fake._dispatch(self, "GET")

            def do_POST(self):
                fake._dispatch(self, "POST")

        class Server(ThreadingHTTPServer):
            request_queue_size = (
                128  # concurrent senders: the default backlog of 5 drops connections
            )

        self._server = Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *_exc):
        self.stop()

    @property
    def base_url(self):
        host, port = self._server.server_address
        return f"http://{host}:{port}"

    def message_requests(self):
        """The forms POSTed to the Messages endpoint, in order."""
        return [
            form
            for method, path, form in self.requests
            if method == "POST" and path.endswith("/Messages.json")
        ]

    def add_media(self, path, content, content_type, drip_seconds=0.0):
        """Serve ``content`` at ``path``; ``drip_seconds`` pauses between 8 KiB chunks (a slow sender)."""
        self.media[path] = (content, content_type, drip_seconds)
        return self.base_url + path

    # ------------------------------------------------------------ HTTP
    def _dispatch(self, handler, method):
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length).decode() if length else ""
        form = {
            key: values[0]
            for key, values in parse_qs(raw, keep_blank_values=True).items()
        }
        with self._lock:
            self.requests.append((method, parts.path, form))
        if parts.path in self.media:
            content, content_type, drip_seconds = self.media[parts.path]
            return self._respond(handler, 200, content, content_type, drip_seconds)
        if not self._authorized(handler):
            return self._error(handler, 401, 20003, "Authenticate")
        account_prefix = f"/2010-04-01/Accounts/{self.account_sid}"
        if method == "GET" and parts.path == f"{account_prefix}.json":
            return self._json(
                handler,
                200,
                {
                    "sid": self.account_sid,
                    "friendly_name": "Fake account",
                    "status": "active",
                },
            )
        if parts.path == f"{account_prefix}/Messages.json":
            if method == "POST":
                return self._create_message(handler, form)
            query = {key: values[0] for key, values in parse_qs(parts.query).items()}
            return self._list_messages(handler, query)
        return self._error(handler, 404, 20404, "Not found")

    def _authorized(self, handler):
        expected = base64.b64encode(
            f"{self.account_sid}:{self.auth_token}".encode()
        ).decode()
        return handler.headers.get("Authorization") == f"Basic {expected}"

    def _create_message(self, handler, form):
        with self._lock:
            self.message_times.append(time.monotonic())
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return self._answer_message(handler, form)
        finally:
            with self._lock:
                self.in_flight -= 1

    def _answer_message(self, handler, form):
        if self.mode == "error500":
            return self._error(handler, 500, 20500, "Internal Server Error")
        if self.mode == "reject":
            return self._error(
                handler, 400, self.reject_code, f"Rejected with {self.reject_code}"
            )
        now = datetime.now(timezone.utc)
        message = {
            "sid": "SM" + uuid.uuid4().hex,
            "account_sid": self.account_sid,
            "to": form.get("To"),
            "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "body": form.get("Body"),
            "status": "queued",
            "date_created": format_datetime(now),
            "date_updated": format_datetime(now),
            "date_sent": None,
            "num_segments": "1",
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/x.json",
        }
        if self.mode != "hang" or self.hang_stores:
            with self._lock:
                self.messages.append(message)
        time.sleep(self.hang_seconds if self.mode == "hang" else self.delay_seconds)
        return self._json(handler, 201, message)

    def _list_messages(self, handler, query):
        with self._lock:
            found = [
                m
                for m in self.messages
                if not query.get("To") or m["to"] == query["To"]
            ]
        return self._json(
            handler,
            200,
            {
                "messages": list(reversed(found)),
                "page": 0,
                "page_size": 50,
                "first_page_uri": None,
                "next_page_uri": None,
                "previous_page_uri": None,
                "uri": handler.path,
            },
        )

    def _error(self, handler, status, code, message):
        return self._json(
            handler,
            status,
            {
                "code": code,
                "message": message,
                "status": status,
                "more_info": f"https://www.twilio.com/docs/errors/{code}",
            },
        )

    def _json(self, handler, status, payload):
        return self._respond(
            handler, status, json.dumps(payload).encode(), "application/json"
        )

    @staticmethod
    def _respond(handler, status, content, content_type, drip_seconds=0.0):
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(content)))
            handler.end_headers()
            chunk = 8192 if drip_seconds else len(content) or 1
            for start in range(0, len(content), chunk):
                if start:
                    time.sleep(drip_seconds)
                handler.wfile.write(content[start : start + chunk])
                handler.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return  # the client gave up (timeout test): nothing to answer to
