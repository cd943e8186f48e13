from collections import Counter
from datetime import timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from odoo.addons.sms_two_way.models.sms_campaign_broadcast_recipient import (
    SmsCampaignBroadcastRecipient,
)

from .common import SmsTwoWayCase
from .test_quiet_hours import utc_of


@tagged("post_install", "-at_install")
class TestCampaignBroadcast(SmsTwoWayCase):
    """Broadcast targeting, throttle, quiet hours and restart safety, with frozen time."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.sms_quiet_hours = True  # with frozen time
        cls.campaign = cls.env["sms.campaign"].create(
            {"name": "FitClub", "join_keywords": "FIT"}
        )
        cls.today = fields.Date.today()
        cls.noon = utc_of(cls.today, 12, "Europe/Brussels")
        cls.env["ir.config_parameter"].sudo().set_param(
            "sms_two_way.campaign_batch_seconds", "3"
        )

    def add_subscriber(self, index, state="confirmed", tz="Europe/Brussels"):
        partner = self.env["res.partner"].create(
            {
                "name": f"Member {index}",
                "mobile": f"+324700000{index:02d}",
                "tz": tz,
                "country_id": self.env.ref("base.be").id,
            }
        )
        conversation = self.env["sms.conversation"]._get_for_recipient(partner=partner)
        lead = self.env["crm.lead"].create(
            {
                "name": f"Lead {index}",
                "partner_id": partner.id,
                "sms_campaign_id": self.campaign.id,
            }
        )
        return self.env["sms.campaign.subscriber"].create(
            {
                "campaign_id": self.campaign.id,
                "partner_id": partner.id,
                "number": conversation.number,
                "conversation_id": conversation.id,
                "state": state,
                "join_date": self.noon - timedelta(days=1),
                "lead_id": lead.id,
            }
        )

    def new_broadcast(self, **vals):
        return self.env["sms.campaign.broadcast"].create(
            {
                "name": "News",
                "campaign_id": self.campaign.id,
                "body": "Hi {first_name}, {campaign} news!",
                "scheduled_at": self.noon,
                **vals,
            }
        )

    def run_cron(self, at):
        with freeze_time(at):
            self.env["sms.campaign.broadcast"]._cron_send()
        self.env.invalidate_all()  # progress counters are computed afresh, as on screen

    def sent_numbers(self):
        return [form["To"] for form in self.fake_twilio.message_requests()]

    def test_targets_confirmed_subscribers_only(self):
        confirmed = self.add_subscriber(1) | self.add_subscriber(2)
        self.add_subscriber(3, state="pending")
        self.add_subscriber(4, state="opted_out")
        blacklisted = self.add_subscriber(5)
        broadcast = self.new_broadcast(throttle_per_second=10)
        broadcast.action_schedule()
        self.run_cron(self.noon - timedelta(minutes=1))
        self.assertEqual(broadcast.state, "scheduled", "not due yet")
        # Opted out outside the ledger after joining: still never texted.
        self.env["phone.blacklist"].sudo()._add([blacklisted.number])
        self.run_cron(self.noon)
        self.assertCountEqual(self.sent_numbers(), confirmed.mapped("number"))
        self.assertIn(
            "Hi Member, FitClub news!",
            [f["Body"] for f in self.fake_twilio.message_requests()],
        )
        self.assertEqual(broadcast.state, "done")
        self.assertEqual(
            (broadcast.recipient_count, broadcast.sent_count, broadcast.skipped_count),
            (3, 2, 1),
        )
        messages = self.find_messages(direction="outbound")
        self.assertEqual(set(messages.mapped("category")), {"marketing"})
        for subscriber in confirmed:
            # Logged in one batch, still on each contact's chatter as an SMS.
            [log] = self.env["mail.message"].search(
                [
                    ("model", "=", "res.partner"),
                    ("res_id", "=", subscriber.partner_id.id),
                    ("message_type", "=", "sms"),
                ]
            )
            self.assertIn("FitClub news!", log.body)
            self.assertEqual(
                messages.filtered(
                    lambda m, number=subscriber.number: m.number == number
                ).mail_message_id,
                log,
            )

    def test_opt_out_during_send_is_respected(self):
        first, second = self.add_subscriber(1), self.add_subscriber(2)
        broadcast = self.new_broadcast(throttle_per_second=0.34)  # one per batch of 3 s
        broadcast.action_schedule()
        self.run_cron(self.noon)
        self.assertEqual(self.sent_numbers(), [first.number])
        self.env["sms.consent"]._record_opt_out(second.number, "keyword", text="STOP")
        self.run_cron(self.noon + timedelta(minutes=1))
        self.assertEqual(self.sent_numbers(), [first.number])
        self.assertEqual(broadcast.state, "done")

    def test_filter_by_lead_tag_and_stage(self):
        tag = self.env["crm.tag"].create({"name": "VIP"})
        vip, other = self.add_subscriber(1), self.add_subscriber(2)
        vip.lead_id.tag_ids = tag
        broadcast = self.new_broadcast(tag_ids=[(6, 0, tag.ids)])
        broadcast.action_send_now()
        self.run_cron(fields.Datetime.now())
        self.assertEqual(broadcast.recipient_ids.subscriber_id, vip)
        stage = self.env["crm.stage"].create({"name": "Hot"})
        other.lead_id.stage_id = stage
        by_stage = self.new_broadcast(stage_ids=[(6, 0, stage.ids)])
        by_stage._start_sending()
        self.assertEqual(by_stage.recipient_ids.subscriber_id, other)

    def test_throttle(self):
        subscribers = self.env["sms.campaign.subscriber"]
        for index in range(5):
            subscribers |= self.add_subscriber(index)
        broadcast = self.new_broadcast()  # 1 msg/s, batches of 3 s
        broadcast.action_schedule()
        self.run_cron(self.noon)
        self.assertEqual(len(self.sent_numbers()), 3)
        self.assertEqual(broadcast.next_batch_at, self.noon + timedelta(seconds=3))
        self.assertEqual((broadcast.pending_count, broadcast.sent_count), (2, 3))
        self.run_cron(self.noon + timedelta(seconds=2))
        self.assertEqual(
            len(self.sent_numbers()), 3, "the throttle holds the next batch"
        )
        self.run_cron(self.noon + timedelta(seconds=3))
        self.assertEqual(len(self.sent_numbers()), 5)
        self.assertEqual(broadcast.state, "done")
        self.assertEqual(broadcast.progress, 100)

    def test_quiet_hours_deferral_per_recipient_timezone(self):
        brussels = self.add_subscriber(1)
        new_york = self.add_subscriber(2, tz="America/New_York")
        at = utc_of(self.today, 10, "Europe/Brussels")  # 4:00 in New York
        broadcast = self.new_broadcast(scheduled_at=at, throttle_per_second=10)
        broadcast.action_schedule()
        self.run_cron(at)
        self.assertEqual(self.sent_numbers(), [brussels.number])
        morning = utc_of(self.today, 8, "America/New_York")
        recipient = broadcast.recipient_ids.filtered(
            lambda r: r.subscriber_id == new_york
        )
        self.assertEqual(recipient.not_before, morning)
        self.run_cron(at + timedelta(minutes=5))
        self.assertEqual(broadcast.next_batch_at, morning)
        self.run_cron(morning - timedelta(minutes=1))
        self.assertEqual(len(self.sent_numbers()), 1)
        self.run_cron(morning)
        self.assertEqual(self.sent_numbers(), [brussels.number, new_york.number])
        self.run_cron(morning + timedelta(minutes=1))
        self.assertEqual(broadcast.state, "done")

    def test_restart_mid_send_texts_everyone_exactly_once(self):
        subscribers = self.env["sms.campaign.subscriber"]
        for index in range(7):
            subscribers |= self.add_subscriber(index)
        broadcast = self.new_broadcast()  # batches of 3
        broadcast.action_schedule()
        self.run_cron(self.noon)  # batch 1 fine
        self.assertEqual(len(self.sent_numbers()), 3)

        # Batch 2 crashes while queueing (worker killed): the batch transaction is undone.
        with (
            patch.object(
                SmsCampaignBroadcastRecipient,
                "_queue_sms",
                side_effect=RuntimeError("worker killed"),
            ),
            self.assertLogs(
                "odoo.addons.sms_two_way.models.sms_campaign_broadcast", "ERROR"
            ),
        ):
            self.run_cron(self.noon + timedelta(seconds=3))
        self.assertEqual(len(self.sent_numbers()), 3)
        self.assertEqual(
            broadcast.pending_count, 4, "the crashed batch left its recipients pending"
        )

        # Batch 2 again: committed, then the worker dies before calling the provider.
        with patch.object(
            type(self.env["sms.sms"]), "send", lambda *args, **kwargs: None
        ):
            self.run_cron(self.noon + timedelta(minutes=2))
        self.assertEqual(len(self.sent_numbers()), 3)
        self.assertEqual(broadcast.queued_count, 3)

        # Restart: the broadcast resumes and the SMS queue cron sends what was queued.
        for minute in range(3, 6):
            self.run_cron(self.noon + timedelta(minutes=minute))
        with freeze_time(self.noon + timedelta(minutes=6)):
            self.env["sms.sms"]._process_queue()
        self.assertEqual(broadcast.state, "done")
        self.assertEqual(
            Counter(self.sent_numbers()), Counter(subscribers.mapped("number"))
        )
        self.assertEqual(
            (broadcast.sent_count, broadcast.queued_count, broadcast.pending_count),
            (7, 0, 0),
        )

    def test_one_batch_records_each_recipient_outcome(self):
        """Recipients are written in bulk: each still gets its own SMS, reason or deferral."""
        sent = self.add_subscriber(1) | self.add_subscriber(2) | self.add_subscriber(3)
        opted_out, left = self.add_subscriber(4), self.add_subscriber(5)
        deferred = self.add_subscriber(6, tz="America/New_York")
        at = utc_of(self.today, 10, "Europe/Brussels")  # 4:00 in New York
        broadcast = self.new_broadcast(scheduled_at=at, throttle_per_second=10)
        broadcast.action_schedule()
        with freeze_time(at):
            broadcast._start_sending()
        self.env["phone.blacklist"].sudo()._add([opted_out.number])
        left.state = "opted_out"
        with freeze_time(at):
            sms = broadcast._send_batch(fields.Datetime.now())
        self.assertEqual(len(sms), 3)
        recipient_of = {r.subscriber_id: r for r in broadcast.recipient_ids}
        for subscriber in sent:
            recipient = recipient_of[subscriber]
            self.assertEqual(recipient.state, "sent")
            self.assertEqual(recipient.sent_at, at)
            self.assertEqual(
                sms.filtered(lambda s, r=recipient: s.uuid == r.sms_uuid).number,
                subscriber.number,
                "each recipient keeps the UUID of its own SMS",
            )
        self.assertEqual(
            [
                (recipient_of[s].state, recipient_of[s].skip_reason)
                for s in (opted_out, left)
            ],
            [("skipped", "Opted out."), ("skipped", "No longer subscribed.")],
        )
        self.assertEqual(recipient_of[deferred].state, "pending")
        self.assertEqual(
            recipient_of[deferred].not_before, utc_of(self.today, 8, "America/New_York")
        )
        self.assertFalse(recipient_of[deferred].sms_uuid)

    def test_chatter_logs_are_copies_of_odoos_own_log(self):
        subscribers = (
            self.add_subscriber(1) | self.add_subscriber(2) | self.add_subscriber(3)
        )
        partners = subscribers.partner_id
        before = {
            partner: partner.message_ids for partner in partners
        }  # cached chatters
        self.new_broadcast(throttle_per_second=10).action_schedule()
        self.run_cron(self.noon)
        Message = self.env["mail.message"]
        logs = Message.search(
            [
                ("model", "=", "res.partner"),
                ("res_id", "in", partners.ids),
                ("message_type", "=", "sms"),
            ],
            order="id",
        )
        self.assertEqual(sorted(logs.mapped("res_id")), sorted(partners.ids))
        stored = [
            name
            for name, field in Message._fields.items()
            if field.store
            and field.column_type
            and name not in ("id", "res_id", "body")
        ]
        first, *copies = [
            {name: value for name, value in values.items() if name != "id"}
            for values in logs.read(stored)
        ]
        self.assertEqual(len(copies), 2)
        for copy in copies:
            self.assertEqual(copy, first, "the same log but for the contact and text")
        for partner in partners:
            log = logs.filtered(lambda m, p=partner: m.res_id == p.id)
            self.assertEqual(str(log.body), "<p>Hi Member, FitClub news!</p>")
            self.assertEqual(
                partner.message_ids - before[partner],
                log,
                "shown on the contact's chatter",
            )
            self.assertEqual(log.subtype_id, self.env.ref("mail.mt_note"))

    def test_chatter_logs_are_made_by_the_orm_when_copies_are_unsafe(self):
        """A module computing a stored value per message: no copies, each log by Odoo."""
        subscribers = self.add_subscriber(1) | self.add_subscriber(2)
        Recipient = type(self.env["sms.campaign.broadcast.recipient"])
        with patch.object(Recipient, "_copyable_log_columns", return_value=None):
            self.new_broadcast(throttle_per_second=10).action_schedule()
            self.run_cron(self.noon)
        for partner in subscribers.partner_id:
            log = self.env["mail.message"].search(
                [
                    ("model", "=", "res.partner"),
                    ("res_id", "=", partner.id),
                    ("message_type", "=", "sms"),
                ]
            )
            self.assertEqual(str(log.body), "<p>Hi Member, FitClub news!</p>")

    def test_opted_out_numbers_are_found_in_one_query(self):
        numbers = ["+32470000001", "+32470000002", "+32470000003"]
        Blacklist = self.env["phone.blacklist"].sudo()
        Blacklist._add(numbers[:2])
        Blacklist.search([("number", "=", numbers[1])]).active = False  # opted in again
        Consent = self.env["sms.consent"]
        self.env.flush_all()
        with self.assertQueryCount(1):
            self.assertEqual(Consent._get_opted_out_numbers(numbers), {numbers[0]})
        # A number that is not E.164 is read as phone.blacklist reads it (the company is Belgian).
        self.assertEqual(
            Consent._get_opted_out_numbers(["0470 00 00 01"]), {numbers[0]}
        )

    def test_final_stats(self):
        first, second = self.add_subscriber(1), self.add_subscriber(2)
        broadcast = self.new_broadcast(throttle_per_second=10)
        broadcast.action_schedule()
        self.run_cron(self.noon)
        won = self.env["crm.stage"].search([("is_won", "=", True)], limit=1)
        with freeze_time(self.noon + timedelta(hours=1)):
            first.lead_id.stage_id = won
            inbound_vals = first.conversation_id._prepare_inbound_message_vals(
                {"body": "Great", "provider_sid": "SMreply1"}
            )
            reply = self.env["sms.conversation.message"].create(inbound_vals)
            # create_date comes from the database clock, which freeze_time does not stop: date
            # the reply in the frozen hour so the test passes whatever the hour it runs at.
            reply.flush_recordset()
            self.env.cr.execute(
                "UPDATE sms_conversation_message SET create_date = %s WHERE id = %s",
                [self.noon + timedelta(hours=1), reply.id],
            )
            reply.invalidate_recordset(["create_date"])
            self.env["sms.consent"]._record_opt_out(
                second.number, "keyword", text="STOP"
            )
        broadcast.invalidate_recordset()
        self.assertEqual(
            (broadcast.reply_count, broadcast.opt_out_count, broadcast.won_count),
            (1, 1, 1),
        )
        report = self.env["sms.campaign.report"].search(
            [("campaign_id", "=", self.campaign.id)]
        )
        self.assertEqual(sum(report.mapped("join_count")), 2)
        self.assertEqual(sum(report.mapped("opt_out_count")), 1)
        self.assertEqual(sum(report.mapped("won_count")), 1)
        self.assertEqual(sum(report.mapped("reply_count")), 1)


@tagged("post_install", "-at_install")
class TestCampaignAccess(SmsTwoWayCase):
    """Marketers manage campaigns and broadcasts; salespeople only read them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.marketer = new_test_user(
            cls.env,
            "sms_marketer",
            groups="sms_two_way.group_sms_marketing",
            company_id=cls.company.id,
        )
        cls.salesman = new_test_user(
            cls.env,
            "sms_salesman",
            groups="sales_team.group_sale_salesman",
            company_id=cls.company.id,
        )
        cls.campaign = cls.env["sms.campaign"].create(
            {"name": "FitClub", "join_keywords": "FIT"}
        )

    def test_marketer_manages_campaigns_and_broadcasts(self):
        campaign = (
            self.env["sms.campaign"]
            .with_user(self.marketer)
            .create({"name": "Yoga", "join_keywords": "YOGA"})
        )
        self.assertEqual(campaign.keyword_id.keyword, "YOGA")
        broadcast = (
            self.env["sms.campaign.broadcast"]
            .with_user(self.marketer)
            .create({"name": "Hello", "campaign_id": campaign.id, "body": "Hi"})
        )
        broadcast.action_schedule()
        self.assertEqual(broadcast.state, "scheduled")

    def test_salesman_reads_but_cannot_broadcast(self):
        campaign = self.campaign.with_user(self.salesman)
        self.assertEqual(campaign.name, "FitClub")
        self.assertEqual(campaign.subscriber_count, 0)
        with self.assertRaises(AccessError):
            campaign.write({"name": "Mine"})
        with self.assertRaises(AccessError):
            self.env["sms.campaign"].with_user(self.salesman).create(
                {"name": "X", "join_keywords": "X"}
            )
        with self.assertRaises(AccessError):
            self.env["sms.campaign.broadcast"].with_user(self.salesman).create(
                {"name": "Hello", "campaign_id": self.campaign.id, "body": "Hi"}
            )

    def test_other_company_campaigns_are_hidden(self):
        company_b = self.env["res.company"].create({"name": "Company B"})
        other = self.env["sms.campaign"].create(
            {"name": "B", "join_keywords": "B", "company_id": company_b.id}
        )
        visible = self.env["sms.campaign"].with_user(self.marketer).search([])
        self.assertIn(self.campaign, visible)
        self.assertNotIn(other, visible)
