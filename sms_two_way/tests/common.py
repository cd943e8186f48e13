"""Reusable test helpers for sms_two_way and the addons built on it.

* :class:`SmsTwoWayCase` / :class:`SmsTwoWayHttpCase`: a company with a
  Twilio gateway talking to a loopback :class:`FakeTwilio`, a simulator
  gateway, contacts and users.
* ``post_webhook`` / ``receive_sms``: signed webhooks over real HTTP, the way
  Twilio sends them; the stored messages are then processed as the cron
  would (``process_inbound``).
* :data:`ROLES`, :func:`role_users` and ``assert_model_rights``: access
  matrices, one user per role, read as "role: allowed operations".
"""

import uuid
from urllib.parse import urlsplit

from odoo.tests import HttpCase, TransactionCase, new_test_user
from odoo.tests.common import _super_send

from .fake_twilio import FakeTwilio, sign_twilio_request

PROVIDER_TIMEOUT = 60.0
HTTP_TIMEOUT = 300  # requests to the test server: only a hang takes this long


# The roles of the access matrices (groups of ``new_test_user``; None: base.user_admin).
ROLES = {
    "admin": None,
    "manager": "base.group_user,sms_two_way.group_sms_manager",
    "user": "base.group_user,sms_two_way.group_sms_user",
    "marketer": "base.group_user,sms_two_way.group_sms_marketing",
    "internal": "base.group_user",
    "portal": "base.group_portal",
}
# ``r w c u`` in an access matrix: read, write, create, unlink.
OPERATIONS = {"r": "read", "w": "write", "c": "create", "u": "unlink"}


def role_users(env, prefix, company, roles=None):
    """One user per role of ``roles`` (default :data:`ROLES`) in ``company``, by role name."""
    return {
        name: env.ref("base.user_admin")
        if groups is None
        else new_test_user(
            env, f"{prefix}_{name}", groups=groups, company_id=company.id
        )
        for name, groups in (roles or ROLES).items()
    }


def new_message_sid():
    return "SM" + uuid.uuid4().hex


class SmsTwoWayMixin:
    """Fixtures shared by transaction and HTTP test cases."""

    def assert_model_rights(self, model, rights, users):
        """``rights``: role -> allowed letters of :data:`OPERATIONS`; every other operation is refused."""
        for role, user in users.items():
            allowed = rights.get(role, "")
            for letter, operation in OPERATIONS.items():
                with self.subTest(model=model, role=role, operation=operation):
                    self.assertEqual(
                        self.env[model].with_user(user).has_access(operation),
                        letter in allowed,
                    )

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
        # The fake provider listens on 127.0.0.1 over plain HTTP: an administrator's explicit allowance.
        cls.env["ir.config_parameter"].sudo().set_param(
            "sms_two_way.allow_loopback_http_api", "True"
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
                # A hang detector, not a speed limit: the loopback provider may be slow to
                # answer on busy cores.  Tests that need a timeout set a short one themselves.
                "request_timeout": PROVIDER_TIMEOUT,
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
    def create_rep(cls, login, name="Rita Rep", **vals):
        """An internal user of the SMS group: a sales rep who answers texts."""
        return cls.env["res.users"].create(
            {
                "name": name,
                "login": login,
                "email": f"{login}@example.com",
                "groups_id": [
                    (
                        6,
                        0,
                        [
                            cls.env.ref("base.group_user").id,
                            cls.env.ref("sms_two_way.group_sms_user").id,
                        ],
                    )
                ],
                **vals,
            }
        )

    @classmethod
    def _base_url_for_tests(cls):
        return cls.base_url() if hasattr(cls, "base_url") else "http://127.0.0.1:8069"

    def setUp(self):
        super().setUp()
        self.fake_twilio.mode = "ok"
        self.fake_twilio.requests.clear()
        self.fake_twilio.messages.clear()
        self.fake_twilio.message_times.clear()
        self.fake_twilio.max_in_flight = 0
        self.fake_twilio.delay_seconds = 0.0

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

    def process_inbound(self):
        """Run what the crons run after a webhook: process the pending inbound messages, then
        send the answers they queued.  Returns the number of messages processed."""
        processed = self.env["sms.conversation.message"]._process_pending()
        self.send_queued()
        return processed

    def send_queued(self):
        """Run the SMS queue as its cron does once woken: everything automated is only queued
        (``sms.conversation._send_text``), this sends it."""
        self.env["sms.sms"].sudo()._process_queue()

    def sms_queue_triggers(self):
        """Pending wake-ups of Odoo's SMS queue cron (``_trigger``), as a commit would leave them."""
        self.env.cr.flush()  # runs the precommit hooks: the queue is woken at commit
        cron = self.env.ref("sms.ir_cron_sms_scheduler_action")
        return (
            self.env["ir.cron.trigger"].sudo().search_count([("cron_id", "=", cron.id)])
        )


class SmsTwoWayCase(SmsTwoWayMixin, TransactionCase):
    pass


class SmsTwoWayHttpCase(SmsTwoWayMixin, HttpCase):
    def url_open(self, url, data=None, files=None, timeout=HTTP_TIMEOUT, **kwargs):
        """Odoo's 12 s default fails slow answers on busy cores: only wait out hangs."""
        return super().url_open(url, data=data, files=files, timeout=timeout, **kwargs)

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
        process=True,
    ):
        """POST ``params`` as Twilio would, signed with the gateway's auth token.

        With ``process``, what an accepted inbound webhook stored is then
        processed as the cron would.
        """
        url = url or self.webhook_url(kind, gateway)
        headers = dict(headers or {})
        if sign:
            token = auth_token or (gateway or self.gateway).sudo().twilio_auth_token
            headers["X-Twilio-Signature"] = sign_twilio_request(
                token, signed_url or url, params
            )
        response = self.url_open(
            url, data=params, headers=headers, allow_redirects=False
        )
        if process and kind == "inbound" and response.status_code == 200:
            self.process_inbound()
        return response

    def receive_sms(self, body, sender=None, process=True, **extra):
        """A signed inbound SMS; returns the stored message (asserting HTTP 200), processed
        unless ``process`` is False."""
        params = self.inbound_params(body=body, sender=sender, **extra)
        response = self.post_webhook(params, process=process)
        self.assertEqual(response.status_code, 200, response.text)
        return self.find_messages(provider_sid=params["MessageSid"])
