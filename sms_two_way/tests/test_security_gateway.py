"""Finding 1, 9, 10: only administrators choose where credentials go; media are fetched safely."""

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import SmsTwoWayHttpCase


@tagged("post_install", "-at_install")
class TestGatewayCredentials(SmsTwoWayHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sms_manager = new_test_user(
            cls.env,
            "sms_boss",
            groups="base.group_user,sms_two_way.group_sms_manager",
            company_id=cls.company.id,
        )

    def test_manager_cannot_point_the_gateway_elsewhere(self):
        gateway = self.gateway.with_user(self.sms_manager)
        with self.assertRaises(AccessError):
            gateway.write({"api_base_url": "https://attacker.example"})
        with self.assertRaises(AccessError):
            gateway.read(["api_base_url"])
        with self.assertRaises(AccessError):
            self.env["sms.gateway"].with_user(self.sms_manager).create(
                {
                    "name": "Mine",
                    "provider": "twilio",
                    "twilio_from_number": "+3225550111",
                    "api_base_url": "https://attacker.example",
                }
            )
        self.assertEqual(self.gateway.sudo().api_base_url, self.fake_twilio.base_url)
        # Server code acting for the manager is refused too (the field's groups alone would not stop it).
        with self.assertRaises(AccessError):
            gateway._check_protected_fields(
                {"api_base_url": "https://attacker.example"}
            )

    def test_manager_still_configures_the_rest(self):
        self.gateway.with_user(self.sms_manager).write(
            {"name": "Renamed", "request_timeout": 2.0}
        )
        self.assertEqual(self.gateway.name, "Renamed")

    def test_administrator_sets_https_roots_only(self):
        admin_gateway = self.gateway.with_user(self.env.ref("base.user_admin"))
        admin_gateway.write({"api_base_url": "https://api.example-provider.test"})
        for url in (
            "http://attacker.example",
            "http://10.0.0.5:8080",
            "ftp://api.twilio.com",
            "https://user:secret@api.twilio.com",
        ):
            with self.subTest(url=url), self.assertRaises(ValidationError):
                admin_gateway.write({"api_base_url": url})

    def test_loopback_http_needs_the_administrator_allowance(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "sms_two_way.allow_loopback_http_api", False
        )
        with self.assertRaises(ValidationError):
            self.gateway.write({"api_base_url": "http://127.0.0.1:9"})
        # A root saved while allowed is checked again at each use: nothing reaches it now.
        with self.assertRaises(UserError):
            self.gateway.action_test_connection()
        self.assertFalse(self.fake_twilio.requests)

    def test_send_keeps_messages_queued_when_the_root_is_refused(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "sms_two_way.allow_loopback_http_api", False
        )
        self.env["sms.sms"].sudo().create(
            {"number": self.partner_number, "body": "Hi"}
        ).send()
        self.assertFalse(self.fake_twilio.requests)
        message = self.find_messages(direction="outbound", gateway_id=self.gateway.id)
        self.assertEqual(message.state, "outgoing")
        self.assertIn("https", message.error_message)

    # ------------------------------------------------------------ media (findings 9 and 10)
    def _media_path(self, name):
        return f"/2010-04-01/Accounts/{self.fake_twilio.account_sid}/Messages/MM1/Media/{name}"

    def test_media_url_on_another_scheme_or_host_is_refused_before_any_request(self):
        path = self._media_path("ME2")
        self.fake_twilio.add_media(path, b"\x89PNG", "image/png")
        port = self.fake_twilio.base_url.rsplit(":", 1)[1]
        # The API root is HTTPS: a media URL on the same host and port but plain HTTP would carry the
        # credentials in clear, one on another host would carry them to a third party.
        self.gateway.api_base_url = f"https://127.0.0.1:{port}"
        same_host_in_clear = f"http://127.0.0.1:{port}{path}"
        other_host = f"http://localhost:{port}{path}"
        self.fake_twilio.requests.clear()
        message = self.receive_sms(
            "Pics", NumMedia="2", MediaUrl0=same_host_in_clear, MediaUrl1=other_host
        )
        self.assertFalse(message.attachment_ids)
        self.assertIn("media 1", message.media_error)
        self.assertIn("media 2", message.media_error)
        self.assertFalse(self.fake_twilio.requests, "credentials were sent")

    def test_media_download_has_a_total_deadline(self):
        # Each read comes well within the 1 s timeout, but the whole download takes 1.6 s.
        self.gateway.request_timeout = 1.0
        url = self.fake_twilio.add_media(
            self._media_path("slow"), b"x" * 8192 * 5, "image/jpeg", drip_seconds=0.4
        )
        message = self.receive_sms("Slow", NumMedia="1", MediaUrl0=url)
        self.assertFalse(message.attachment_ids)
        self.assertIn("took more than", message.media_error)

    def test_large_media_is_assembled_once(self):
        content = bytes(range(256)) * 4096  # 1 MiB, 128 chunks
        url = self.fake_twilio.add_media(self._media_path("big"), content, "image/jpeg")
        message = self.receive_sms("Big", NumMedia="1", MediaUrl0=url)
        self.assertEqual(message.attachment_ids.raw, content)

    def test_risky_media_types_are_stored_as_downloads(self):
        for index, content_type in enumerate(
            (
                "text/html",
                "image/svg+xml",
                "application/xhtml+xml",
                "text/javascript",
                "IMAGE/SVG+XML; charset=utf-8",
            )
        ):
            with self.subTest(content_type=content_type):
                url = self.fake_twilio.add_media(
                    self._media_path(f"risky{index}"),
                    b"<svg onload=alert(1)><script>alert(1)</script>",
                    content_type,
                )
                message = self.receive_sms(
                    "Look", NumMedia="1", MediaUrl0=url, MediaContentType0=content_type
                )
                self.assertIn(
                    message.attachment_ids.mimetype,
                    ("application/octet-stream", "text/plain"),
                )
        url = self.fake_twilio.add_media(
            self._media_path("photo"), b"\xff\xd8\xff fake jpeg", "image/jpeg"
        )
        message = self.receive_sms("Photo", NumMedia="1", MediaUrl0=url)
        self.assertEqual(message.attachment_ids.mimetype, "image/jpeg")
