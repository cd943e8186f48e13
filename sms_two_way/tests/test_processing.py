import json
import threading
from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from ..models import sms_conversation_message as message_module
from ..models.sms_conversation_message import PROCESS_RETRY_DELAYS
from .common import SmsTwoWayHttpCase

OTHER_NUMBER = "+32470654321"


@tagged("post_install", "-at_install")
class TestInboundProcessing(SmsTwoWayHttpCase):
    """The webhook only stores and acknowledges; processing runs afterwards, message by message."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_partner = cls.env["res.partner"].create(
            {
                "name": "Bob Bystander",
                "mobile": OTHER_NUMBER,
                "country_id": cls.env.ref("base.be").id,
            }
        )
        cls.manager = new_test_user(
            cls.env,
            "sms_manager",
            groups="base.group_user,sms_two_way.group_sms_manager",
            company_id=cls.company.id,
        )
        cls.process_cron = cls.env.ref(
            "sms_two_way.ir_cron_sms_two_way_process_inbound"
        )

    def Message(self):
        return self.env["sms.conversation.message"]

    def make_due(self):
        """Let time pass until every postponed retry is due."""
        self.Message().sudo().search([("process_state", "=", "pending")]).write(
            {"process_next_date": fields.Datetime.now() - timedelta(seconds=1)}
        )

    def process_until_settled(self):
        """Process, letting each backoff elapse, until no message is pending any more."""
        for _attempt in range(len(PROCESS_RETRY_DELAYS) + 2):
            self.make_due()
            self.process_inbound()
            if (
                not self.Message()
                .sudo()
                .search_count([("process_state", "=", "pending")])
            ):
                return
        self.fail("messages still pending after every retry")

    def assert_failed_alone(self, message, reason):
        """``message`` is in error with ``reason``; a message of another conversation went through."""
        self.assertEqual(message.process_state, "error")
        self.assertIn(reason, message.process_error)
        self.assertNotIn("Traceback", message.process_error)
        self.assertEqual(message.process_attempts, len(PROCESS_RETRY_DELAYS) + 1)
        self.assertTrue(message.conversation_id.needs_reply)
        self.assertTrue(message.conversation_id.has_processing_error)
        failed = self.env["sms.conversation"].search(
            [("has_processing_error", "=", True)]
        )
        self.assertEqual(failed, message.conversation_id)
        other = self.find_messages(number=OTHER_NUMBER, direction="inbound")
        self.assertEqual(other.process_state, "done")
        self.assertEqual(other.mail_message_id.res_id, self.other_partner.id)

    def keyword_running_code(self, keyword, code, **extra):
        """A keyword rule whose server action runs ``code`` on the conversation; returns the action."""
        action = self.env["ir.actions.server"].create(
            {
                "name": f"Runs for {keyword}",
                "model_id": self.env.ref("sms_two_way.model_sms_conversation").id,
                "state": "code",
                "code": code,
            }
        )
        self.env["sms.keyword"].create(
            {
                "name": keyword.title(),
                "keyword": keyword,
                "action": "server_action",
                "server_action_id": action.id,
                **extra,
            }
        )
        return action

    def receive_failing_and_bystander(self, body, sender=None):
        """The failing message and, right behind it, one from another contact; both acknowledged."""
        message = self.receive_sms(body, sender=sender, process=False)
        self.assertEqual(message.process_state, "pending")
        self.receive_sms("Unrelated hello", sender=OTHER_NUMBER, process=False)
        self.process_until_settled()
        return message

    # ------------------------------------------------------------ acknowledge first
    def test_webhook_stores_and_triggers_without_processing(self):
        self.env["ir.cron.trigger"].search(
            [("cron_id", "=", self.process_cron.id)]
        ).unlink()
        url = self.fake_twilio.add_media("/2010-04-01/pic.png", b"\x89PNG", "image/png")
        message = self.receive_sms(
            "Hello there", process=False, NumMedia="1", MediaUrl0=url
        )
        self.assertEqual(message.process_state, "pending")
        self.assertEqual(message.media_urls, [{"url": url, "content_type": None}])
        self.assertFalse(message.mail_message_id, "no chatter post in the request")
        self.assertFalse(message.attachment_ids, "no media download in the request")
        self.assertFalse(self.fake_twilio.requests, "no provider call in the request")
        self.assertFalse(
            message.conversation_id.partner_id, "no contact matching in the request"
        )
        self.assertTrue(
            self.env["ir.cron.trigger"].search(
                [("cron_id", "=", self.process_cron.id)]
            ),
            "the processing cron is woken by the webhook's own transaction",
        )

        self.assertEqual(self.process_inbound(), 1)
        self.assertEqual(message.process_state, "done")
        self.assertEqual(message.conversation_id.partner_id, self.partner)
        self.assertEqual(message.mail_message_id.res_id, self.partner.id)
        self.assertEqual(message.attachment_ids.raw, b"\x89PNG")
        self.assertTrue(message.conversation_id.needs_reply)

    def test_auto_replies_are_queued_not_sent_while_processing(self):
        self.env["sms.keyword"].create(
            {
                "name": "Hours",
                "keyword": "HOURS",
                "action": "reply",
                "reply_body": "Open 9-17",
            }
        )
        self.receive_sms("hours", process=False)
        self.env["sms.conversation.message"]._process_pending()
        self.assertFalse(
            self.fake_twilio.message_requests(), "processing does not call the provider"
        )
        queued = self.env["sms.sms"].sudo().search([("body", "=", "Open 9-17")])
        self.assertEqual(queued.state, "outgoing")
        self.assertTrue(self.sms_queue_triggers(), "the queue is woken")
        self.env["sms.sms"].sudo()._process_queue()
        self.assertEqual(
            [form["Body"] for form in self.fake_twilio.message_requests()],
            ["Open 9-17"],
        )

    def test_texts_queued_in_one_transaction_wake_the_queue_once(self):
        """Each wake-up costs Odoo a new PostgreSQL connection after the commit."""
        conversations = self.receive_sms("hi", process=False).conversation_id
        conversations |= self.receive_sms(
            "hello", sender=OTHER_NUMBER, process=False
        ).conversation_id
        before = self.sms_queue_triggers()
        for conversation in conversations:
            conversation._send_text("First", category="automated")
            conversation._send_text("Second", category="automated")
        self.assertEqual(self.sms_queue_triggers(), before + 1)
        conversations[0]._send_text("Next transaction", category="automated")
        self.assertEqual(
            self.sms_queue_triggers(), before + 2, "woken again after that commit"
        )

    def test_media_download_has_a_total_time_budget(self):
        url = self.fake_twilio.add_media("/2010-04-01/late.png", b"late", "image/png")
        message = self.receive_sms(
            "Pictures", process=False, NumMedia="2", MediaUrl0=url, MediaUrl1=url
        )
        message._attach_media(time_budget=0)
        self.assertFalse(message.attachment_ids)
        self.assertIn("media 1", message.media_error)
        self.assertIn("media 2", message.media_error)
        self.assertIn("time budget", message.media_error)

    # ------------------------------------------------------------ failures stay stored
    def test_failing_server_action_is_kept_in_error(self):
        self.keyword_running_code(
            "PRINT", "raise UserError('Printer on fire')", reply_body="Printed"
        )
        message = self.receive_failing_and_bystander("print")
        self.assert_failed_alone(message, "UserError: Printer on fire")
        self.assertFalse(
            message.mail_message_id, "the failed attempt's chatter post was rolled back"
        )
        self.assertNotIn(
            "Printed", [form["Body"] for form in self.fake_twilio.message_requests()]
        )

    def test_stop_from_a_short_code_is_kept_in_error(self):
        self.gateway.provider_handles_opt_out = False
        message = self.receive_failing_and_bystander("STOP", sender="12345")
        self.assertEqual(message.number, "12345")
        self.assert_failed_alone(message, "Error")

    def test_retries_back_off_then_error_then_retry_button(self):
        self.keyword_running_code(
            "FLAKY",
            "if not env['ir.config_parameter'].sudo().get_param('test.fixed'): raise UserError('Not yet')",
        )
        message = self.receive_sms("flaky", process=False)
        for attempt, delay in enumerate(PROCESS_RETRY_DELAYS, start=1):
            before = fields.Datetime.now()
            self.process_inbound()
            self.assertEqual(
                (message.process_state, message.process_attempts), ("pending", attempt)
            )
            self.assertEqual(message.process_error, "UserError: Not yet")
            self.assertGreaterEqual(
                message.process_next_date, before + delay - timedelta(seconds=1)
            )
            self.assertEqual(
                self.process_inbound(), 0, "not retried before its backoff elapsed"
            )
            self.make_due()
        self.process_inbound()
        self.assertEqual(message.process_state, "error")
        self.assertFalse(message.process_next_date)
        self.assertEqual(
            self.Message().search([("process_state", "=", "error")]),
            message,
            "the 'Processing failed' filter finds it",
        )

        with self.assertRaises(AccessError):
            message.with_user(self.sms_user).action_retry_processing()
        self.env["ir.config_parameter"].sudo().set_param("test.fixed", "1")
        message.conversation_id.with_user(self.manager).action_retry_processing()
        self.assertEqual(
            (message.process_state, message.process_attempts), ("pending", 0)
        )
        self.process_inbound()
        self.assertEqual(message.process_state, "done")
        self.assertFalse(message.process_error)
        self.assertFalse(message.conversation_id.has_processing_error)

    def test_conversation_messages_processed_in_arrival_order(self):
        action = self.keyword_running_code("FIRST", "raise UserError('Not now')")
        first = self.receive_sms("first", process=False)
        second = self.receive_sms("second", process=False)
        other = self.receive_sms("elsewhere", sender=OTHER_NUMBER, process=False)
        self.process_inbound()
        self.assertEqual(first.process_state, "pending")
        self.assertEqual(
            second.process_state,
            "pending",
            "waits while an earlier message of its conversation waits",
        )
        self.assertEqual(other.process_state, "done", "other conversations go on")
        action.code = "pass"
        self.make_due()
        self.process_inbound()
        self.assertEqual((first.process_state, second.process_state), ("done", "done"))
        self.assertLess(first.mail_message_id.id, second.mail_message_id.id)

    def test_claim_looks_past_a_window_of_waiting_messages(self):
        """A claim decides within the oldest pending messages, and looks further when none of them may go."""
        action = self.keyword_running_code("FIRST", "raise UserError('Not now')")
        first = self.receive_sms("first", process=False)
        self.process_inbound()  # fails: waits for its retry, still pending
        self.assertEqual(first.process_state, "pending")
        second = self.receive_sms("second", process=False)
        other = self.receive_sms("elsewhere", sender=OTHER_NUMBER, process=False)
        with patch.object(message_module, "CLAIM_WINDOWS", (2, None)):
            claimed = self.Message()._claim_next_pending()
        self.assertEqual(
            claimed,
            other,
            "the two oldest wait (a retry, and a message behind it): the third goes",
        )
        self.assertEqual(second.process_state, "pending")
        action.code = "pass"

    def test_a_failing_live_announcement_fails_no_processing(self):
        first = self.receive_sms("one", process=False)
        second = self.receive_sms("two", sender=OTHER_NUMBER, process=False)
        with (
            patch.object(
                type(self.Message()),
                "_announce_live",
                autospec=True,
                side_effect=RuntimeError("bus down"),
            ),
            self.assertLogs(message_module.__name__, "WARNING"),
        ):
            self.assertEqual(self.Message()._process_pending(), 2)
        self.assertEqual((first.process_state, second.process_state), ("done", "done"))

    def test_backlog_is_announced_live_together(self):
        """The first processed message is announced at once, the next ones of a backlog together."""
        messages = self.receive_sms("one", process=False)
        messages |= self.receive_sms("two", process=False)
        messages |= self.receive_sms("three", sender=OTHER_NUMBER, process=False)
        announced = []
        original = type(self.Message())._announce_live

        def record(records):
            announced.append(records.ids)
            return original(records)

        self.env["bus.bus"].search([]).unlink()
        with (
            patch.object(message_module, "LIVE_ANNOUNCE_SECONDS", 3600),
            patch.object(
                type(self.Message()),
                "_announce_live",
                autospec=True,
                side_effect=record,
            ),
        ):
            self.assertEqual(self.Message()._process_pending(), 3)
        self.assertEqual(announced, [messages[:1].ids, messages[1:].ids])
        self.env.cr.flush()  # the bus rows are written when the transaction commits
        user_channel = f'"res.partner",{self.sms_user.partner_id.id}]'
        told = [
            json.loads(notification.message)["payload"]["conversation_id"]
            for notification in self.env["bus.bus"].search(
                [("message", "like", "sms_two_way/inbound")], order="id"
            )
            if user_channel in notification.channel
        ]
        self.assertEqual(
            told,
            [message.conversation_id.id for message in messages],
            "the SMS user is told of each message, in order",
        )

    # ------------------------------------------------------------ lanes
    def test_each_lane_processes_in_its_own_thread_and_cursor(self):
        """The plumbing of lanes: threads, cursors, the total, every message processed once.

        Odoo's test cursors hold the one test transaction for their whole life,
        so here the first lane processes everything and the others find nothing;
        the end-to-end pipeline test runs lanes truly in parallel.
        """
        messages = self.Message().browse()
        for index, sender in enumerate((None, OTHER_NUMBER, "+32470111001")):
            messages |= self.receive_sms(f"Lane {index}", sender=sender, process=False)
        self.env.flush_all()
        threads, cursors = [], []
        process_claimed = self.registry["sms.conversation.message"]._process_claimed

        def record(message):
            threads.append(threading.current_thread().name)
            cursors.append(message.env.cr)
            return process_claimed(message)

        with patch.object(
            self.registry["sms.conversation.message"],
            "_process_claimed",
            autospec=True,
            side_effect=record,
        ):
            self.assertEqual(self.Message()._process_in_lanes(3), 3)
        self.env.invalidate_all()
        self.assertEqual(set(messages.mapped("process_state")), {"done"})
        posts = self.env["mail.message"].search(
            [("model", "=", "res.partner"), ("body", "like", "Lane ")]
        )
        self.assertEqual(
            posts, messages.mail_message_id, "each known contact's message posted once"
        )
        self.assertEqual(len(posts), 2)
        self.assertEqual(len(threads), 3)
        self.assertTrue(
            all(name.startswith("sms_two_way_lane") for name in threads), threads
        )
        self.assertNotIn(self.env.cr, cursors, "a lane works in a cursor of its own")

    def test_a_failing_lane_is_logged_and_fails_the_run_after_the_others(self):
        calls = []

        def fail(model, time_budget=None):
            calls.append(threading.current_thread().name)
            raise RuntimeError(f"lane failure {len(calls)}")

        with (
            patch.object(
                self.registry["sms.conversation.message"],
                "_process_pending",
                autospec=True,
                side_effect=fail,
            ),
            self.assertLogs(message_module.__name__, "ERROR") as logs,
            self.assertRaisesRegex(RuntimeError, "lane failure"),
        ):
            self.Message()._process_in_lanes(2)
        self.assertEqual(len(calls), 2, "every lane ran")
        self.assertEqual(len(logs.records), 2, "each failure is logged")

    def test_a_lane_tells_other_workers_of_the_caches_it_cleared(self):
        """Odoo signals cache invalidations per thread: a lane must signal its own."""
        # (Odoo's test case already replaces the registry's own signal_changes.)
        with patch.object(self.registry, "signal_changes") as signal_changes:
            self.Message()._process_in_lanes(2)
        self.assertEqual(signal_changes.call_count, 2)

    def test_a_run_stops_near_the_cpu_limit_and_triggers_the_next(self):
        """Lanes spend more CPU than wall time: a run must end before Odoo's --limit-time-cpu."""
        self.receive_sms("Left for the next run", process=False)
        Trigger = self.env["ir.cron.trigger"].sudo()
        triggers = Trigger.search([("cron_id", "=", self.process_cron.id)])
        with patch.object(message_module, "cpu_limit_is_near", return_value=True):
            self.assertEqual(self.Message()._process_pending(time_budget=60), 0)
        self.assertTrue(
            Trigger.search([("cron_id", "=", self.process_cron.id)]) - triggers,
            "the next run is triggered",
        )
        self.assertEqual(self.Message()._process_pending(time_budget=60), 1)

    def test_cpu_limit_is_near_reads_the_limit_odoo_set(self):
        import resource  # noqa: PLC0415 - POSIX only, as Odoo's prefork workers

        usage = resource.getrusage(resource.RUSAGE_SELF)
        spent = usage.ru_utime + usage.ru_stime
        margin = message_module.CPU_LIMIT_MARGIN_SECONDS
        for limit, near in (
            (resource.RLIM_INFINITY, False),
            (int(spent + margin + 60), False),
            (int(spent + margin / 2), True),
        ):
            with (
                self.subTest(limit=limit),
                patch.object(
                    resource,
                    "getrlimit",
                    return_value=(limit, resource.RLIM_INFINITY),
                ),
            ):
                self.assertEqual(message_module.cpu_limit_is_near(), near)

    def test_processing_lanes_setting(self):
        ICP = self.env["ir.config_parameter"].sudo()
        for value, lanes in (
            ("3", 3),
            ("1", 1),
            ("0", 1),
            ("99", message_module.MAX_PROCESSING_LANES),
            ("many", message_module.DEFAULT_PROCESSING_LANES),
        ):
            with self.subTest(value=value):
                ICP.set_param("sms_two_way.processing_lanes", value)
                self.assertEqual(self.Message()._get_processing_lanes(), lanes)

    def test_the_cron_processes_in_the_configured_lanes(self):
        self.receive_sms("Through the cron", process=False)
        self.env["ir.config_parameter"].sudo().set_param(
            "sms_two_way.processing_lanes", "4"
        )
        with patch.object(
            self.registry["sms.conversation.message"],
            "_process_in_lanes",
            autospec=True,
            return_value=1,
        ) as process_in_lanes:
            self.process_cron.method_direct_trigger()
        self.assertEqual(process_in_lanes.call_args.args[1], 4)

    # ------------------------------------------------------------ cost
    def test_known_contact_free_text_processing_query_count(self):
        self.receive_sms("Warm-up: first message of the day")
        self.receive_sms("Can we move to Friday?", process=False)
        self.env.invalidate_all()
        # With the appointment and survey addons installed too, as `make test` runs it
        # (the pipeline issue allows 25): no keyword rule or open question is read.
        with self.assertQueryCount(19):
            processed = self.env["sms.conversation.message"]._process_pending()
        self.assertEqual(processed, 1)
        message = self.find_messages(body="Can we move to Friday?")
        self.assertEqual(message.process_state, "done")
        self.assertTrue(message.mail_message_id)
        self.assertTrue(message.conversation_id.needs_reply)

    def test_processing_commits_without_waiting_for_the_disk(self):
        """Each processed message is committed with synchronous_commit off (see _commit_processing)."""
        seen = []

        def commit(cr):
            cr.execute("SHOW synchronous_commit")
            seen.append(cr.fetchone()[0])

        cr = self.env.cr
        with (
            patch.object(threading.current_thread(), "testing", False),
            patch.object(cr, "commit", lambda: commit(cr)),
        ):
            self.env["sms.conversation.message"]._commit_processing()
        self.assertEqual(seen, ["off"])
