from odoo.tests import tagged

from odoo.addons.sms_two_way.models.sms_gateway import SmsGateway

from .common import SmsTwoWayHttpCase

TOUR_TIMEOUT = (
    600  # Odoo's 60 s fails slow tours on busy cores; only a stuck tour takes this long
)


@tagged("post_install", "-at_install", "is_tour")
class TestSmsTwoWayTour(SmsTwoWayHttpCase):
    def setUp(self):
        super().setUp()
        receive_inbound = SmsGateway._receive_inbound

        def receive_and_process(gateway, payload):
            """No cron runs in tests: process the simulator's texts as the triggered cron would."""
            message = receive_inbound(gateway, payload)
            gateway.env["sms.conversation.message"]._process_pending()
            gateway.env[
                "sms.sms"
            ].sudo()._process_queue()  # the answers it queued, as the SMS cron would
            return message

        self.patch(SmsGateway, "_receive_inbound", receive_and_process)

    def test_contact_sms_round_trip_with_simulator(self):
        """The rep's path: send from the contact, reply from the simulator, answer from the inbox, mark done."""
        self.gateway.active = False  # the simulator is the company's gateway here
        self.start_tour(
            f"/odoo/contacts/{self.partner.id}",
            "sms_two_way_tour",
            login="admin",
            timeout=TOUR_TIMEOUT,
        )
        reply = self.find_messages(
            direction="inbound", body="Tuesday works <b>for me</b>"
        )
        self.assertEqual(reply.gateway_id, self.simulator)
        self.assertEqual(reply.mail_message_id.res_id, self.partner.id)
        sent = self.find_messages(
            direction="outbound", body="Can we meet on Tuesday, Alice Customer?"
        )
        self.assertEqual(sent.state, "delivered", "the simulated phone displayed it")
        answer = self.find_messages(
            direction="outbound", body="Great, see you on Tuesday Alice Customer!"
        )
        self.assertEqual(answer.author_id.login, "admin")
        conversation = reply.conversation_id
        self.assertEqual(conversation.inbox_state, "done")
        self.assertFalse(conversation._get_reply_activities())

    def test_marketer_campaign_join_and_broadcast(self):
        """The marketer's path: a JOIN campaign with double opt-in, tried in the simulator, a broadcast scheduled."""
        self.gateway.active = False
        self.start_tour(
            "/odoo/action-sms_two_way.sms_campaign_action",
            "sms_two_way_marketer_tour",
            login="admin",
            timeout=TOUR_TIMEOUT,
        )
        campaign = self.env["sms.campaign"].search([("name", "=", "Run club")])
        self.assertTrue(campaign.double_opt_in)
        subscriber = self.env["sms.campaign.subscriber"].search(
            [("campaign_id", "=", campaign.id)]
        )
        self.assertEqual(subscriber.number, "+32470556677")
        self.assertEqual(
            subscriber.state, "confirmed", "the Y confirmed the subscription"
        )
        broadcast = self.env["sms.campaign.broadcast"].search(
            [("campaign_id", "=", campaign.id)]
        )
        self.assertEqual(broadcast.state, "scheduled")
