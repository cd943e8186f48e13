"""Provider calls of successive batches on one bounded thread pool (plain Python, no ORM)."""

import time
from concurrent.futures import ThreadPoolExecutor, wait

# The outcome of a call not made because the provider is down (or the sender failed).
SKIPPED = object()


class CallPool:
    """Runs the HTTP calls of every batch of one send on the same bounded pool.

    The pool outlives a batch so that the calling thread can start the next
    batch's calls and then do the ORM work of the previous one (apply its
    results, commit) while calls are in flight.  One pool for all batches
    keeps ``max_in_flight`` a true bound: the provider never sees more
    requests at once, however many batches are under way.  Once a call fails
    with an error ``is_outage`` says is an outage, every call not yet started,
    of any batch, is skipped: a provider that is down is not hammered.  Calls
    sharing a key (the recipient's number) run one after the other, in the
    order submitted, across batches too: texts to one number leave in the
    order they were queued.

    The calls must not touch the ORM: they run in other threads.  Leaving the
    ``with`` block waits for the calls in flight.  On an error in the
    calling thread, the calls not yet started are not made: their results
    could not be recorded anyway, and their messages, committed as being
    sent, are checked with the provider before any later attempt.
    """

    def __init__(self, max_in_flight):
        self._executor = ThreadPoolExecutor(
            max_workers=max_in_flight, thread_name_prefix="sms_two_way_send"
        )
        self.outage = None  # the first outage error, set by a pool thread
        self._stopped = False  # the calling thread failed: no more calls
        self._last_due = time.monotonic()  # when the last call submitted may start
        self._last_of_key = {}  # key: the future of the last call submitted with it

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *_exc):
        self._stopped = exc_type is not None
        self._executor.shutdown(wait=True, cancel_futures=self._stopped)

    def submit(self, calls, delays, keys, is_outage):
        """Start the zero-argument ``calls``, each ``delays[i]`` seconds from now at the earliest
        and after the calls submitted before it with the same ``keys[i]``.

        Returns a function waiting for their outcomes: per call and in order,
        ``(value, None)``, ``(None, exception)`` or ``(None, SKIPPED)``.
        """
        start = time.monotonic()
        self._last_due = max(self._last_due, start + max(delays, default=0.0))
        futures = []
        for call, delay, key in zip(calls, delays, keys, strict=True):
            # The previous call of a key was queued first, so a thread already runs it:
            # waiting for it in another thread cannot deadlock the pool.
            after = self._last_of_key.get(key)
            future = self._executor.submit(
                self._run, call, start, delay, is_outage, after
            )
            self._last_of_key[key] = future
            futures.append(future)
        return lambda: [future.result() for future in futures]

    def sleep_until_due(self, ahead):
        """Sleep until every call submitted may start within ``ahead`` seconds (paced calls)."""
        time.sleep(max(0.0, self._last_due - ahead - time.monotonic()))

    def _run(self, call, start, delay, is_outage, after):
        if after:
            wait((after,))
        if self.outage or self._stopped:
            return None, SKIPPED
        if delay > 0:
            # Never more than the delay itself, whatever the clock (tests freeze time).
            time.sleep(max(0.0, min(delay, delay - (time.monotonic() - start))))
            if self.outage or self._stopped:
                return None, SKIPPED
        try:
            return call(), None
        except Exception as error:  # noqa: BLE001 - mapped to a result by the caller
            if is_outage(error):
                self.outage = error
            return None, error
