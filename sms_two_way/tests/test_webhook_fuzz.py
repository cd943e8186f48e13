"""Forged, truncated, oversized, wrongly encoded and wrongly typed webhooks, over real HTTP.

A deterministic generator (fixed seed) sends a few thousand requests to the
inbound and status URLs of known and unknown gateways.  None may be stored,
none may get a 5xx answer, and the server may log no traceback or error.
"""

import logging
import random
import uuid
from urllib.parse import quote, urlencode

from odoo.tests import tagged

from .common import SmsTwoWayHttpCase
from .fake_twilio import sign_twilio_request

REQUESTS = 2000
SEED = 20261129


class WebhookFuzzer:
    """Builds ``(method, url, body bytes, headers)`` requests, one kind after the other."""

    def __init__(self, case, rng):
        self.case, self.rng = case, rng
        self.token = case.gateway.sudo().webhook_token
        self.sim_token = case.simulator.sudo().webhook_token
        self.auth_token = case.gateway.sudo().twilio_auth_token
        self.kinds = [
            getattr(self, name)
            for name in sorted(dir(self))
            if name.startswith("kind_")
        ]

    # ------------------------------------------------------------ pieces
    def url(self, kind=None, token=None):
        kind = kind or self.rng.choice(["inbound", "status"])
        token = token or self.rng.choice(
            [
                self.token,
                self.sim_token,
                "unknown-" + uuid.UUID(int=self.rng.getrandbits(128)).hex,
                "x" * self.rng.choice([1, 129, 2000]),
                quote("tøken\x00%", safe=""),
            ]
        )
        return f"{self.case.base_url()}/sms_two_way/{kind}/{token}"

    def params(self):
        params = {
            "MessageSid": self.rng.choice(
                [
                    "SM" + "%032x" % self.rng.getrandbits(128),
                    "SM123",
                    "",
                    "MM" + "z" * 32,
                    "SIM" + "%032x" % self.rng.getrandbits(128),
                ]
            ),
            "From": self.rng.choice(
                ["+32470123456", "", "not a number", "+" + "9" * 40, "\u202e+3247"]
            ),
            "To": "+3225550100",
            "Body": self.rng.choice(
                ["Hello", "STOP", "START", "", "é" * 50, "\x00\x01", "{name:>99999}"]
            ),
            "NumMedia": self.rng.choice(["0", "1", "11", "-1", "lots", "1e9", ""]),
            "MessageStatus": self.rng.choice(["delivered", "failed", "exploded", ""]),
        }
        for key in self.rng.sample(sorted(params), self.rng.randint(0, 3)):
            del params[key]
        return params

    @staticmethod
    def form(params):
        return urlencode(params).encode(), {
            "Content-Type": "application/x-www-form-urlencoded"
        }

    # ------------------------------------------------------------ kinds of requests
    def kind_unsigned(self):
        return ("POST", self.url(), *self.form(self.params()))

    def kind_bad_signature(self):
        body, headers = self.form(self.params())
        headers["X-Twilio-Signature"] = self.rng.choice(
            ["", "AAAA", "=" * 28, "é", "x" * 5000]
        )
        headers["X-Simulator-Signature"] = "%064x" % self.rng.getrandbits(256)
        return "POST", self.url(), body, headers

    def kind_signed_with_another_token(self):
        url, params = self.url(token=self.token), self.params()
        body, headers = self.form(params)
        headers["X-Twilio-Signature"] = sign_twilio_request(
            "not-the-auth-token", url, params
        )
        return "POST", url, body, headers

    def kind_signed_but_malformed(self):
        """A genuine signature over fields that do not make a message (400, nothing stored)."""
        url = self.url(token=self.token)
        params = self.params()
        params["MessageSid"] = self.rng.choice(["", "SM123", "MM" + "z" * 32])
        body, headers = self.form(params)
        headers["X-Twilio-Signature"] = sign_twilio_request(
            self.auth_token, url, params
        )
        return "POST", url, body, headers

    def kind_signed_status_for_unknown_message(self):
        url = self.url("status", self.token)
        params = {
            "MessageSid": "SM" + "%032x" % self.rng.getrandbits(128),
            "MessageStatus": self.rng.choice(["delivered", "failed", "undelivered"]),
        }
        body, headers = self.form(params)
        headers["X-Twilio-Signature"] = sign_twilio_request(
            self.auth_token, url, params
        )
        return "POST", url, body, headers

    def kind_truncated(self):
        body, headers = self.form(self.params())
        cut = self.rng.randint(0, len(body))
        return (
            "POST",
            self.url(),
            body[:cut] + self.rng.choice([b"", b"%", b"%E2%8", b"&&=", b"="]),
            headers,
        )

    def kind_oversized(self):
        choice = self.rng.randint(0, 2)
        if choice == 0:  # one huge field
            return (
                "POST",
                self.url(),
                *self.form({"Body": "x" * 300_000, "From": "+32470123456"}),
            )
        if choice == 1:  # too many fields
            return ("POST", self.url(), *self.form({f"k{i}": "v" for i in range(500)}))
        return (
            "POST",
            self.url(),
            *self.form({"MediaUrl0": "https://" + "a" * 10_000 + ".example/x"}),
        )

    def kind_wrong_encoding(self):
        body = self.rng.choice(
            [
                b"Body=\xff\xfe\xfa&From=%2B32470123456",
                "Body=héllo".encode("utf-16"),
                b"\x00\x00\x00",
                bytes(self.rng.getrandbits(8) for _i in range(64)),
            ]
        )
        charset = self.rng.choice(
            ["", "; charset=utf-16", "; charset=nonexistent", "; charset=latin-1"]
        )
        return (
            "POST",
            self.url(),
            body,
            {"Content-Type": "application/x-www-form-urlencoded" + charset},
        )

    def kind_wrong_type(self):
        content_type, body = self.rng.choice(
            [
                ("application/json", b'{"MessageSid": ["SM1"], "Body": {"a": 1}}'),
                ("application/json", b"[1, 2, 3"),
                ("text/xml", b"<Response><Message>hi</Message></Response>"),
                (
                    "multipart/form-data; boundary=xx",
                    b'--xx\r\nContent-Disposition: form-data; name="Body"\r\n\r\nhi\r\n--xx--',
                ),
                ("multipart/form-data", b"garbage"),
                ("", b"Body=hi"),
            ]
        )
        return (
            "POST",
            self.url(),
            body,
            {"Content-Type": content_type} if content_type else {},
        )

    def kind_wrong_method(self):
        return self.rng.choice(["GET", "PUT", "DELETE", "PATCH"]), self.url(), b"", {}

    def kind_repeated_keys(self):
        body = b"MessageSid=SM1&MessageSid=SM2&Body=a&Body=b&From=%2B1&From=&NumMedia=1&NumMedia=0"
        return (
            "POST",
            self.url(),
            body,
            {"Content-Type": "application/x-www-form-urlencoded"},
        )

    def __iter__(self):
        for index in range(REQUESTS):
            yield self.kinds[index % len(self.kinds)]()


@tagged("post_install", "-at_install")
class TestWebhookFuzz(SmsTwoWayHttpCase):
    def test_forged_and_malformed_webhooks_store_nothing_and_never_fail(self):
        Message = self.env["sms.conversation.message"].sudo()
        before = (
            Message.search_count([]),
            self.env["sms.conversation"].sudo().search_count([]),
            self.env["sms.consent"].sudo().search_count([]),
        )
        statuses = {}
        session = self.opener  # one HTTP session for every request
        with self.assertLogs(level=logging.WARNING) as logs:
            logging.getLogger("odoo.fuzz").warning(
                "fuzz started"
            )  # assertLogs needs one record at least
            for method, url, body, headers in WebhookFuzzer(self, random.Random(SEED)):
                response = session.request(
                    method,
                    url,
                    data=body,
                    headers=headers,
                    timeout=30,
                    allow_redirects=False,
                )
                statuses[response.status_code] = (
                    statuses.get(response.status_code, 0) + 1
                )
                self.assertLess(
                    response.status_code,
                    500,
                    (method, url[:120], body[:200], response.text[:500]),
                )
                self.assertNotIn("Traceback", response.text)
        self.assertEqual(sum(statuses.values()), REQUESTS)
        self.assertEqual(
            set(statuses) - {400, 403, 404, 405, 413, 415, 200}, set(), statuses
        )
        # The generator gets past the signature check too: signed malformed (400), signed status (200).
        self.assertLessEqual({200, 400, 403}, set(statuses), statuses)
        after = (
            Message.search_count([]),
            self.env["sms.conversation"].sudo().search_count([]),
            self.env["sms.consent"].sudo().search_count([]),
        )
        self.assertEqual(
            after, before, "a forged or malformed webhook stored something"
        )
        problems = [
            record.getMessage()
            for record in logs.records
            if record.levelno >= logging.ERROR
            or record.exc_info
            or "Traceback" in record.getMessage()
        ]
        self.assertEqual(problems, [])
