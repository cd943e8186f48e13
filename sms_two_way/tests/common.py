"""Reusable test helpers for sms_two_way and the addons built on it.

* :class:`SmsTwoWayCase` / :class:`SmsTwoWayHttpCase`: a company with a
  Twilio gateway talking to a loopback :class:`FakeTwilio`, a simulator
  gateway, contacts and users.
* ``post_webhook`` / ``receive_sms``: signed webhooks over real HTTP, the way
  Twilio sends them.
"""

import uuid
from urllib.parse import urlsplit

from odoo.tests import HttpCase, TransactionCase, new_test_user
from odoo.tests.common import _super_send

from .fake_twilio import FakeTwilio, sign_twilio_request


def new_message_sid():
    return "SM" + uuid.uuid4().hex


class SmsTwoWayMixin:
    """Fixtures shared by transaction and HTTP test cases."""

    @classmethod
    def _request_handler(cls, s, r, /, **kw):
        # Odoo raises every test request timeout to 10 s; the fake provider is
        # local, so keep the gateway's own timeout (outage tests stay fast).
        if urlsplit(r.url).hostname == "127.0.0.1":
            return _super_send(s, r, **kw)
        return super()._request_handler(s, r, **kw)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fake_twilio = FakeTwilio().start()
        cls.addClassCleanup(cls.fake_twilio.stop)
        cls.env["ir.config_parameter"].sudo().set_param(
            "web.base.url", cls._base_url_for_tests()
        )
        cls.company = cls.env.company
        cls.company.country_id = cls.env.ref("base.be")
        # Tests must not depend on the hour they run at: quiet-hours tests switch it on with frozen time.
        cls.company.sms_quiet_hours = False
        cls.gateway = cls.env["sms.gateway"].create(
            {
                "name": "Twilio test",
                "provider": "twilio",
                "company_id": cls.company.id,
                "sequence": 1,
                "twilio_account_sid": cls.fake_twilio.account_sid,
                "twilio_auth_token": cls.fake_twilio.auth_token,
                "twilio_from_number": "+3225550100",
                "api_base_url": cls.fake_twilio.base_url,
                "request_timeout": 1.0,
            }
        )
        cls.simulator = cls.env["sms.gateway"].create(
            {
                "name": "Simulator test",
                "provider": "simulator",
                "company_id": cls.company.id,
                "sequence": 5,
            }
        )
        cls.partner = cls.env["res.partner"].create(
            {
                "name": "Alice Customer",
                "mobile": "0470 12 34 56",
                "country_id": cls.env.ref("base.be").id,
            }
        )
        cls.partner_number = "+32470123456"
        cls.sms_user = new_test_user(
            cls.env,
            "sms_rep",
            groups="base.group_user,sms_two_way.group_sms_user",
            company_id=cls.company.id,
        )

    @classmethod
    def _base_url_for_tests(cls):
        return cls.base_url() if hasattr(cls, "base_url") else "http://127.0.0.1:8069"

    def setUp(self):
        super().setUp()
        self.fake_twilio.mode = "ok"
        self.fake_twilio.requests.clear()
        self.fake_twilio.messages.clear()

    # ------------------------------------------------------------ helpers
    def inbound_params(self, body="Hello", sender=None, sid=None, **extra):
        return {
            "MessageSid": sid or new_message_sid(),
            "AccountSid": self.fake_twilio.account_sid,
            "From": sender or self.partner_number,
            "To": self.gateway.twilio_from_number,
            "Body": body,
            "NumMedia": "0",
            **extra,
        }

    def find_messages(self, **domain):
        return (
            self.env["sms.conversation.message"]
            .sudo()
            .search([(k, "=", v) for k, v in domain.items()])
        )


class SmsTwoWayCase(SmsTwoWayMixin, TransactionCase):
    pass


class SmsTwoWayHttpCase(SmsTwoWayMixin, HttpCase):
    def webhook_url(self, kind="inbound", gateway=None, token=None):
        gateway = gateway or self.gateway
        return f"{self.base_url()}/sms_two_way/{kind}/{token or gateway.sudo().webhook_token}"

    def post_webhook(
        self,
        params,
        kind="inbound",
        gateway=None,
        sign=True,
        url=None,
        headers=None,
        signed_url=None,
        auth_token=None,
    ):
        """POST ``params`` as Twilio would, signed with the gateway's auth token."""
        url = url or self.webhook_url(kind, gateway)
        headers = dict(headers or {})
        if sign:
            token = auth_token or (gateway or self.gateway).sudo().twilio_auth_token
            headers["X-Twilio-Signature"] = sign_twilio_request(
                token, signed_url or url, params
            )
        return self.url_open(url, data=params, headers=headers, allow_redirects=False)

    def receive_sms(self, body, sender=None, **extra):
        """A signed inbound SMS; returns the stored message (asserting HTTP 200)."""
        params = self.inbound_params(body=body, sender=sender, **extra)
        response = self.post_webhook(params)
        self.assertEqual(response.status_code, 200, response.text)
        return self.find_messages(provider_sid=params["MessageSid"])
