from odoo.tests import tagged
from odoo.tools.sql import table_exists

from ..hooks import uninstall_hook
from .common import SmsTwoWayCase


@tagged("post_install", "-at_install")
class TestUninstall(SmsTwoWayCase):
    def test_uninstall_drops_the_send_windows(self):
        """The rate limiter's plain table is not left behind (the test transaction restores it)."""
        self.gateway.max_send_rate = 1
        self.gateway._reserve_send_slots(2)
        self.assertTrue(table_exists(self.env.cr, "sms_gateway_send_window"))
        uninstall_hook(self.env)
        self.assertFalse(table_exists(self.env.cr, "sms_gateway_send_window"))
