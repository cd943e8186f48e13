from odoo.tests import tagged

from .common import SmsTwoWayHttpCase


@tagged("post_install", "-at_install", "is_tour")
class TestSmsTwoWayTour(SmsTwoWayHttpCase):
    def test_contact_sms_round_trip_with_simulator(self):
        """Send from the contact, reply from the simulator, read the reply on the contact."""
        self.gateway.active = False  # the simulator is the company's gateway here
        self.start_tour(
            f"/odoo/contacts/{self.partner.id}", "sms_two_way_tour", login="admin"
        )
        reply = self.find_messages(direction="inbound")
        self.assertEqual(reply.body, "Tuesday works <b>for me</b>")
        self.assertEqual(reply.gateway_id, self.simulator)
        self.assertEqual(reply.mail_message_id.res_id, self.partner.id)
        sent = self.find_messages(direction="outbound", body="Can we meet on Tuesday?")
        self.assertEqual(sent.state, "delivered", "the simulated phone displayed it")
