"""Unit tests of the pool the provider calls of successive batches share."""

import itertools
import threading
import time

from sms_two_way.core.call_pool import SKIPPED, CallPool

_distinct_keys = itertools.count()


class Provider:
    """Counts the calls in flight at once; each call takes ``latency`` seconds."""

    def __init__(self, latency=0.05):
        self.latency = latency
        self.in_flight = self.max_in_flight = 0
        self.started = []
        self.ended = {}
        self.lock = threading.Lock()

    def call(self, name, fail=None):
        def run():
            with self.lock:
                self.started.append((name, time.monotonic()))
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                time.sleep(self.latency)
                if fail:
                    raise fail
                return name
            finally:
                with self.lock:
                    self.in_flight -= 1
                    self.ended[name] = time.monotonic()

        return run

    def names_started(self):
        return [name for name, _at in self.started]


def never_outage(_error):
    return False


def submit(pool, calls, delays=None, keys=None, is_outage=never_outage):
    """``pool.submit`` with no delay and a distinct key per call unless given."""
    return pool.submit(
        calls,
        delays or [0] * len(calls),
        keys or [next(_distinct_keys) for _call in calls],
        is_outage,
    )


def test_outcomes_come_back_in_order_with_errors():
    provider = Provider(latency=0.01)
    with CallPool(4) as pool:
        outcomes = submit(
            pool,
            [
                provider.call("a"),
                provider.call("b", fail=ValueError("x")),
                provider.call("c"),
            ],
        )()
    assert [value for value, _error in outcomes] == ["a", None, "c"]
    assert isinstance(outcomes[1][1], ValueError)
    assert outcomes[0][1] is None and outcomes[2][1] is None


def test_batches_share_the_bound_and_overlap():
    """A second batch's calls start while the first one's are in flight, never above the bound."""
    provider = Provider(latency=0.2)
    with CallPool(4) as pool:
        first = submit(pool, [provider.call(f"1-{i}") for i in range(3)])
        second = submit(pool, [provider.call(f"2-{i}") for i in range(3)])
        first()
        second()
    assert provider.max_in_flight == 4
    started = dict(provider.started)
    assert started["2-0"] - started["1-0"] < provider.latency


def test_calls_to_one_number_run_in_order_across_batches():
    provider = Provider(latency=0.1)
    with CallPool(4) as pool:
        first = submit(
            pool,
            [provider.call("ada 1"), provider.call("ada 2"), provider.call("bob 1")],
            keys=["ada", "ada", "bob"],
        )
        second = submit(
            pool, [provider.call("ada 3"), provider.call("bob 2")], keys=["ada", "bob"]
        )
        first()
        second()
    started = dict(provider.started)
    assert started["ada 2"] >= provider.ended["ada 1"]
    assert started["ada 3"] >= provider.ended["ada 2"]
    assert started["bob 2"] >= provider.ended["bob 1"]
    assert started["bob 1"] < provider.ended["ada 1"], "other numbers do not wait"


def test_an_outage_skips_every_call_not_yet_started_of_any_batch():
    provider = Provider(latency=0.05)
    down = ConnectionError("down")
    with CallPool(1) as pool:
        first = submit(
            pool,
            [provider.call("1-0", fail=down), provider.call("1-1")],
            is_outage=lambda error: error is down,
        )
        second = submit(pool, [provider.call("2-0")])
        assert [error for _value, error in first()] == [down, SKIPPED]
        assert second() == [(None, SKIPPED)]
        assert pool.outage is down
    assert provider.names_started() == ["1-0"]


def test_a_call_waits_for_its_delay():
    provider = Provider(latency=0)
    start = time.monotonic()
    with CallPool(2) as pool:
        submit(pool, [provider.call("now"), provider.call("later")], [0, 0.3])()
    started = dict(provider.started)
    assert started["later"] - start >= 0.3 * 0.95
    assert started["now"] - start < 0.3


def test_an_error_in_the_calling_thread_stops_the_calls_not_yet_started():
    """Calls in flight get their answer; the others, whose results could not be recorded, are not made."""
    provider = Provider(latency=0.2)
    try:
        with CallPool(3) as pool:
            submit(
                pool,
                [provider.call(name) for name in ("a", "b", "paced", "queued")],
                [0, 0, 0.1, 0],
            )
            time.sleep(
                0.05
            )  # a and b in flight, paced waiting for its slot, queued for a thread
            raise RuntimeError("applying the previous batch failed")
    except RuntimeError:
        pass
    assert provider.in_flight == 0
    assert sorted(provider.names_started()) == ["a", "b"]


def test_sleep_until_due_waits_for_the_last_paced_call():
    """Under a max rate, the next batch is not prepared long before the previous one's calls."""
    provider = Provider(latency=0)
    with CallPool(2) as pool:
        start = time.monotonic()
        pool.sleep_until_due(0.1)
        assert time.monotonic() - start < 0.1, "nothing submitted: no wait"
        submit(pool, [provider.call("a"), provider.call("b")], [0, 0.4])
        pool.sleep_until_due(0.1)
        assert time.monotonic() - start >= 0.3 * 0.95
