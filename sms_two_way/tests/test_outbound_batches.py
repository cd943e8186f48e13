import time
from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..models import sms_gateway
from ..models.sms_conversation_message import SmsConversationMessage
from ..models.sms_gateway import SmsGateway
from ..models.sms_provider import DEFAULT_CONCURRENT_SENDS, MAX_CONCURRENT_SENDS
from ..models.sms_provider_twilio import SmsProviderTwilio
from ..models.sms_sms import INTERRUPTED_SEND_AFTER, send_options_context
from .common import SmsTwoWayCase
from .fake_twilio import FakeTwilio


class WorkerKilled(Exception):
    """Stands for Odoo dying (kill -9, OOM) in the middle of a send."""


@tagged("post_install", "-at_install")
class TestOutboundBatches(SmsTwoWayCase):
    """Queued SMS leave in concurrent batches, within the gateway's rate, never twice."""

    def queue(self, count, body="Batch"):
        numbers = [f"+3247011{index:04}" for index in range(count)]
        return (
            self.env["sms.sms"]
            .sudo()
            .with_context(sms_two_way_category="direct")
            .create(
                [
                    {"number": number, "body": f"{body} {index}"}
                    for index, number in enumerate(numbers)
                ]
            )
        )

    def outbound(self, sms):
        return (
            self.env["sms.conversation.message"]
            .sudo()
            .search([("sms_uuid", "in", sms.mapped("uuid"))])
        )

    def test_an_automatic_answer_keeps_the_preview_of_a_text_before_it_in_the_batch(
        self,
    ):
        """Field by field, the last message of a conversation in a batch wins."""
        number = "+32470110042"
        Sms = self.env["sms.sms"].sudo()
        Sms.with_context(**send_options_context(self.gateway, "automated")).create(
            {"number": number, "body": "Your survey: question 1"}
        )
        Sms.with_context(
            **send_options_context(self.gateway, "direct", auto_reply=True)
        ).create({"number": number, "body": "Thanks, noted"})
        self.env["sms.sms"]._process_queue()
        self.assertEqual(len(self.fake_twilio.messages), 2)
        conversation = (
            self.env["sms.conversation"].sudo().search([("number", "=", number)])
        )
        self.assertEqual(conversation.last_message_preview, "Your survey: question 1")
        auto_reply = conversation.message_line_ids.filtered("is_auto_reply")
        self.assertEqual(conversation.last_outbound_date, auto_reply.create_date)

    def test_a_batch_is_sent_concurrently(self):
        self.fake_twilio.delay_seconds = (
            0.2  # every call is still in flight when the next ones start
        )
        sms = self.queue(12)
        self.env["sms.sms"]._process_queue()
        self.assertEqual(len(self.fake_twilio.messages), 12)
        self.assertGreater(
            self.fake_twilio.max_in_flight, 1, "the provider calls overlap"
        )
        self.assertLessEqual(
            self.fake_twilio.max_in_flight,
            DEFAULT_CONCURRENT_SENDS,
            "the pool is bounded",
        )
        messages = self.outbound(sms)
        self.assertEqual(set(messages.mapped("state")), {"queued"})
        sids = {message["sid"] for message in self.fake_twilio.messages}
        self.assertEqual(
            set(messages.mapped("provider_sid")),
            sids,
            "each answer is applied to its own SMS",
        )
        by_body = {
            message["body"]: message["sid"] for message in self.fake_twilio.messages
        }
        for message in messages:
            self.assertEqual(message.provider_sid, by_body[message.body])

    def test_texts_to_one_number_leave_in_order(self):
        """Concurrent calls would let a later text to a number overtake an earlier one."""
        self.fake_twilio.delay_seconds = 0.2
        number = "+32470119999"
        Sms = self.env["sms.sms"].sudo().with_context(sms_two_way_category="direct")
        sms = Sms.create(
            [{"number": number, "body": f"Step {step}"} for step in (1, 2)]
        )
        sms |= self.queue(3)
        arrivals = []  # (body, time) of the requests to the number, as they arrive
        create_message = FakeTwilio._create_message

        def spy(fake, handler, form):
            if form.get("To") == number:
                arrivals.append((form.get("Body"), time.monotonic()))
            return create_message(fake, handler, form)

        with patch.object(FakeTwilio, "_create_message", spy):
            self.env["sms.sms"]._process_queue()
        self.assertEqual([body for body, _at in arrivals], ["Step 1", "Step 2"])
        self.assertGreaterEqual(
            arrivals[1][1] - arrivals[0][1],
            0.2 * 0.95,
            "the second text is sent once the first one is answered",
        )
        self.assertGreater(
            self.fake_twilio.max_in_flight, 1, "other numbers do not wait"
        )
        self.assertEqual(set(self.outbound(sms).mapped("state")), {"queued"})

    def test_claimed_sms_keep_the_queue_order(self):
        """The lock query returns rows in any order; the calls follow the queue's."""
        sms = self.queue(5)
        in_queue_order = sms.browse(list(reversed(sms.ids)))
        self.assertEqual(in_queue_order._claim_outgoing().ids, in_queue_order.ids)

    def test_concurrent_requests_follow_the_gateway_setting(self):
        self.fake_twilio.delay_seconds = (
            0.3  # every call overlaps the ones started with it
        )
        for concurrency, count in ((3, 9), (DEFAULT_CONCURRENT_SENDS + 5, 30)):
            self.gateway.max_concurrent_sends = concurrency
            self.fake_twilio.max_in_flight = 0
            sms = self.queue(count, body=f"Pool of {concurrency}")
            self.env["sms.sms"]._process_queue()
            self.assertEqual(set(self.outbound(sms).mapped("state")), {"queued"})
            self.assertLessEqual(
                self.fake_twilio.max_in_flight, concurrency, "never more at once"
            )
            self.assertGreater(
                self.fake_twilio.max_in_flight,
                concurrency // 2,
                "the gateway's setting sizes the pool",
            )
        self.assertGreater(
            self.fake_twilio.max_in_flight,
            DEFAULT_CONCURRENT_SENDS,
            "more than the default when the gateway allows it",
        )

    def test_concurrent_requests_are_bounded(self):
        for value in (0, -1, MAX_CONCURRENT_SENDS + 1):
            with self.assertRaises(ValidationError), self.env.cr.savepoint():
                self.gateway.max_concurrent_sends = value
        self.gateway.max_concurrent_sends = MAX_CONCURRENT_SENDS
        self.assertEqual(self.gateway._get_concurrent_sends(), MAX_CONCURRENT_SENDS)

    def test_outage_stops_the_rest_of_the_batch_and_the_next_ones(self):
        self.fake_twilio.mode = "error500"
        self.gateway.max_concurrent_sends = 5
        sms = self.queue(30)
        with patch.object(sms_gateway, "GATEWAY_BATCH_SIZE", 10):
            self.env["sms.sms"]._process_queue()
        self.assertLessEqual(
            len(self.fake_twilio.message_requests()),
            5,
            "a provider that is down is not hammered: no call starts after the first failure",
        )
        self.assertLessEqual(
            len(self.outbound(sms)),
            20,
            "no batch is started once the provider is known to be down",
        )
        self.assertEqual(set(sms.mapped("state")), {"outgoing"})
        self.assertEqual(set(self.outbound(sms).mapped("state")), {"outgoing"})
        self.fake_twilio.mode = "ok"
        self.env["sms.sms"]._process_queue()
        self.assertEqual(
            sorted(m["body"] for m in self.fake_twilio.messages),
            sorted(sms.mapped("body")),
        )

    def test_max_rate_holds_within_and_across_batches(self):
        rate = 20.0
        self.gateway.max_send_rate = rate
        start = time.monotonic()
        self.gateway._reserve_send_slots(
            10
        )  # another worker's batch booked the next half second
        self.queue(6)
        self.env["sms.sms"]._process_queue()
        times = sorted(self.fake_twilio.message_times)
        self.assertEqual(len(times), 6)
        # Lower bounds only: a slow machine makes the calls later, never earlier.
        self.assertGreaterEqual(
            times[0] - start, 10 / rate * 0.95, "waits for the other batch's window"
        )
        self.assertGreaterEqual(
            times[-1] - start, 15 / rate * 0.95, "then sends at the gateway's rate"
        )

    def test_sms_are_marked_being_sent_before_the_provider_is_called(self):
        sms = self.queue(2)
        seen = []
        start_batch = SmsProviderTwilio._start_batch

        def spy(provider, gateway, messages, pool):
            seen.append((set(sms.mapped("state")), set(messages.mapped("state"))))
            return start_batch(provider, gateway, messages, pool)

        with patch.object(SmsProviderTwilio, "_start_batch", spy):
            self.env["sms.sms"]._process_queue()
        self.assertEqual(seen, [({"process"}, {"unknown"})])
        self.assertEqual(set(sms.mapped("state")), {"pending"})

    def test_crash_after_the_provider_took_the_batch_never_sends_twice(self):
        sms = self.queue(3)
        with patch.object(
            SmsConversationMessage, "_apply_send_results", side_effect=WorkerKilled
        ):
            self.send_until_killed(sms)
        # What the dead worker committed before calling the provider:
        self.assertEqual(set(sms.mapped("state")), {"process"})
        self.assertEqual(set(self.outbound(sms).mapped("state")), {"unknown"})
        self.assertEqual(len(self.fake_twilio.messages), 3)

        self.env["sms.sms"]._process_queue()
        self.assertEqual(
            len(self.fake_twilio.message_requests()),
            3,
            "a recent send may still be running",
        )
        self.age_interrupted(sms)
        self.env["sms.sms"]._process_queue()
        self.assert_checked_not_resent(sms)

    def test_failure_applying_the_results_never_sends_twice(self):
        """The provider took the batch, then recording its answers failed: nothing is half applied."""
        sms = self.queue(3)
        Tracker = type(self.env["sms.tracker"])
        with (
            patch.object(
                Tracker, "_action_update_from_sms_state", side_effect=RuntimeError
            ),
            mute_logger("odoo.addons.sms.models.sms_sms"),
        ):
            self.env[
                "sms.sms"
            ]._process_queue()  # logs the failure, as Odoo's queue does
        self.assertEqual(len(self.fake_twilio.messages), 3)
        self.assertEqual(set(sms.mapped("state")), {"process"})
        self.assertEqual(set(self.outbound(sms).mapped("state")), {"unknown"})
        self.age_interrupted(sms)
        self.env["sms.sms"]._process_queue()
        self.assertEqual(
            len(self.fake_twilio.message_requests()),
            3,
            "checked with the provider, not resent",
        )
        self.assertEqual(set(self.outbound(sms).mapped("state")), {"queued"})

    def test_crash_before_the_provider_got_the_batch_sends_once(self):
        sms = self.queue(2)
        with patch.object(SmsProviderTwilio, "_start_batch", side_effect=WorkerKilled):
            self.send_until_killed(sms)
        self.assertFalse(self.fake_twilio.messages)
        self.age_interrupted(sms)
        self.env["sms.sms"]._process_queue()
        self.assertEqual(
            sorted(m["body"] for m in self.fake_twilio.messages),
            sorted(sms.mapped("body")),
        )
        self.assertEqual(set(self.outbound(sms).mapped("state")), {"queued"})

    def test_next_batch_is_in_flight_while_the_previous_one_is_applied(self):
        """Batches are pipelined: the provider is not left idle while a batch's results are applied."""
        self.fake_twilio.delay_seconds = 0.5  # far longer than preparing a batch of 3
        sms = self.queue(9)
        requests_when_applied = []
        apply_send_results = SmsConversationMessage._apply_send_results

        def spy(messages, results):
            requests_when_applied.append(len(self.fake_twilio.message_requests()))
            return apply_send_results(messages, results)

        with (
            patch.object(sms_gateway, "GATEWAY_BATCH_SIZE", 3),
            patch.object(SmsConversationMessage, "_apply_send_results", spy),
        ):
            self.env["sms.sms"]._process_queue()
        self.assertEqual(len(requests_when_applied), 3, "one application per batch")
        self.assertEqual(
            requests_when_applied[0],
            6,
            "the second batch's calls were made before the first one's results were applied",
        )
        self.assertGreater(
            self.fake_twilio.max_in_flight, 3, "two batches' calls overlap"
        )
        self.assertEqual(set(self.outbound(sms).mapped("state")), {"queued"})
        self.assertEqual(len(self.fake_twilio.messages), 9)

    def test_each_batch_is_committed_as_being_sent_before_its_calls(self):
        """With commits (the queue cron), no call starts before its SMS were committed as being sent,
        and each batch's results are committed on their own."""
        sms = self.queue(7)
        commits = []  # (message requests received, bodies committed as being sent, bodies sent)

        def record_commit():
            self.env.flush_all()
            self.env.cr.execute(
                "SELECT body, state FROM sms_sms WHERE id = ANY(%s)", [sms.ids]
            )
            states = dict(self.env.cr.fetchall())
            commits.append(
                (
                    len(self.fake_twilio.message_requests()),
                    {body for body, state in states.items() if state == "process"},
                    {body for body, state in states.items() if state == "pending"},
                )
            )

        self.fake_twilio.delay_seconds = 0.2
        with (
            patch.object(sms_gateway, "GATEWAY_BATCH_SIZE", 3),
            patch.object(self.env.cr, "commit", record_commit),
        ):
            self.gateway._send_sms_records(sms, commit=True)
        requests = self.fake_twilio.message_requests()
        self.assertEqual(len(requests), 7)
        for index, request in enumerate(requests):
            self.assertTrue(
                any(
                    received <= index and request["Body"] in being_sent
                    for received, being_sent, _sent in commits
                ),
                f"{request['Body']} was committed as being sent before its call",
            )
        # Start 1, start 2, finish 1, start 3, finish 2, finish 3.
        self.assertEqual(len(commits), 6)
        self.assertEqual(
            [len(sent) for _received, _being_sent, sent in commits], [0, 0, 3, 3, 6, 7]
        )
        self.assertEqual(set(sms.mapped("state")), {"pending"})

    def test_crash_applying_a_batch_leaves_the_next_one_to_the_outcome_check(self):
        """The next batch was marked as being sent and handed to the pool when applying the
        previous one failed: its calls not yet made are not made, and each SMS is sent once."""
        self.gateway.max_send_rate = (
            2.0  # the second batch's calls wait for their slots
        )
        sms = self.queue(6)
        with (
            patch.object(sms_gateway, "GATEWAY_BATCH_SIZE", 3),
            patch.object(
                SmsConversationMessage, "_apply_send_results", side_effect=WorkerKilled
            ),
        ):
            self.send_until_killed(sms)
        self.assertEqual(set(sms.mapped("state")), {"process"}, "both batches")
        self.assertEqual(set(self.outbound(sms).mapped("state")), {"unknown"})
        self.assertEqual(
            len(self.fake_twilio.message_requests()),
            3,
            "the second batch's calls, still waiting for their slots, were not made",
        )
        self.gateway.max_send_rate = 0
        self.age_interrupted(sms)
        with patch.object(sms_gateway, "GATEWAY_BATCH_SIZE", 3):
            self.env["sms.sms"]._process_queue()
        self.assert_checked_not_resent(sms)

    def test_max_rate_holds_across_pipelined_batches(self):
        rate = 20.0
        self.gateway.max_send_rate = rate
        self.queue(9)
        start = time.monotonic()
        with patch.object(sms_gateway, "GATEWAY_BATCH_SIZE", 3):
            self.env["sms.sms"]._process_queue()
        times = sorted(self.fake_twilio.message_times)
        self.assertEqual(len(times), 9)
        for index, at in enumerate(times):
            # Lower bounds only: a slow machine makes the calls later, never earlier.
            self.assertGreaterEqual(at - start, index / rate * 0.95)

    def test_under_a_max_rate_the_next_batch_is_marked_when_its_turn_nears(self):
        """Marked long before its calls, a batch could be re-queued as interrupted and sent twice."""
        rate = 4.0
        self.gateway.max_send_rate = rate
        self.queue(6)
        started = []
        start_sending = SmsGateway._start_sending

        def spy(gateway, sms_records, pool, commit):
            started.append(time.monotonic())
            return start_sending(gateway, sms_records, pool, commit)

        with (
            patch.object(sms_gateway, "GATEWAY_BATCH_SIZE", 3),
            patch.object(sms_gateway, "START_NEXT_BATCH_AHEAD", 0.0),
            patch.object(SmsGateway, "_start_sending", spy),
        ):
            self.env["sms.sms"]._process_queue()
        self.assertEqual(len(self.fake_twilio.message_requests()), 6)
        self.assertGreaterEqual(
            started[1] - started[0],
            2 / rate * 0.95,
            "the second batch waits until the first one's last call is due",
        )

    def assert_checked_not_resent(self, sms):
        """Each of ``sms`` reached the provider once, and its outbound message got the provider's id."""
        self.assertEqual(
            len(self.fake_twilio.message_requests()),
            len(sms),
            "checked with the provider, not resent",
        )
        self.assertEqual(len(self.fake_twilio.messages), len(sms))
        messages = self.outbound(sms)
        self.assertEqual(set(messages.mapped("state")), {"queued"})
        self.assertEqual(
            set(messages.mapped("provider_sid")),
            {m["sid"] for m in self.fake_twilio.messages},
        )

    def send_until_killed(self, sms):
        """Send ``sms`` until the worker dies.  Not with assertRaises: its savepoint would undo
        what a real worker had committed before calling the provider."""
        try:
            sms.send(auto_commit=True)
        except WorkerKilled:
            return
        self.fail("the worker did not die")

    def age_interrupted(self, sms):
        """Let the interrupted send grow stale, as after a restart."""
        sms.flush_recordset()
        self.env.cr.execute(
            "UPDATE sms_sms SET write_date = %s WHERE id = ANY(%s)",
            [
                fields.Datetime.now() - INTERRUPTED_SEND_AFTER - timedelta(minutes=1),
                sms.ids,
            ],
        )
        sms.invalidate_recordset()
