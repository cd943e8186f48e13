"""Benchmark the keyword engine against a naive regular expression (``make bench``).

1,000 rules and 5,000 realistic messages.  The baseline is what one would
write without the engine: a single case-insensitive alternation of all exact
keywords applied to the raw message.  It is faster per message but recognises
far fewer replies (no accent, punctuation, first-word, number or intent
handling): the point is to show that the engine's extra work stays cheap.

Run standalone: ``python3 tests/bench_keywords.py`` from the repository root.
"""

import random
import re
import statistics
import sys
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
if "sms_two_way" not in sys.modules:
    package = types.ModuleType("sms_two_way")
    package.__path__ = [str(ROOT / "sms_two_way")]
    sys.modules["sms_two_way"] = package

from sms_two_way.core.keywords import (  # noqa: E402
    MODE_EXACT,
    MODE_FIRST_WORD,
    MODE_NUMBER,
    MODE_REGEX,
    KeywordMatcher,
    Rule,
)

RULE_COUNT = 1000
MESSAGE_COUNT = 5000
STEMS = (
    "pizza",
    "promo",
    "deal",
    "vip",
    "club",
    "menu",
    "order",
    "book",
    "café",
    "résa",
    "rdv",
    "coupon",
    "gift",
    "spa",
    "yoga",
    "event",
    "ticket",
    "taxi",
    "delivery",
    "garage",
)
FREE_TEXT = (
    "Hi, can I move my appointment to Friday?",
    "Who is this?",
    "Thanks for the reminder!",
    "I'm running 10 minutes late",
    "Is the shop open on Sunday",
    "Please call me back",
    "What time do you close today?",
    "Wrong number sorry",
    "My code is broken, help me",
    "Can I bring my dog?",
)


def build_rules(rng):
    regexes = [
        Rule(
            id=f"regex-{i}",
            mode=MODE_REGEX,
            pattern=rf"\border (?:no|number|#)? ?(\d{{{3 + i % 4}}})\b",
            sequence=30,
        )
        for i in range(20)
    ]
    numbers = [
        Rule(
            id=f"range-{low}-{high}", mode=MODE_NUMBER, low=low, high=high, sequence=20
        )
        for low, high in ((1, 5), (0, 10), (1, 3), (6, 10), (100, 999))
    ]
    first_words = [
        Rule(
            id=f"first-{i}",
            mode=MODE_FIRST_WORD,
            keywords=(f"{rng.choice(STEMS)}{i}",),
            sequence=15,
        )
        for i in range(75)
    ]
    exact = [
        Rule(
            id=f"exact-{i}",
            mode=MODE_EXACT,
            keywords=(
                f"{STEMS[i % len(STEMS)].upper()}{i}",
                f"{STEMS[i % len(STEMS)]}-{i}",
            ),
            yes_intent=i % 100 == 0,
            no_intent=i % 100 == 1,
            sequence=rng.choice((5, 10, 10, 10)),
        )
        for i in range(RULE_COUNT - len(regexes) - len(numbers) - len(first_words))
    ]
    return exact + first_words + numbers + regexes


def disguise(keyword, rng):
    """Type a keyword the way customers do: any case, stray spaces, punctuation."""
    keyword = rng.choice((keyword, keyword.lower(), keyword.upper(), keyword.title()))
    return (
        rng.choice(("", " ", "  "))
        + keyword
        + rng.choice(("", "!", "!!!", ".", " ", "...", " :)"))
    )


def build_messages(rules, rng):
    exact_keywords = [
        kw for rule in rules if rule.mode == MODE_EXACT for kw in rule.keywords
    ]
    first_keywords = [
        kw for rule in rules if rule.mode == MODE_FIRST_WORD for kw in rule.keywords
    ]
    makers = (
        lambda: disguise(rng.choice(exact_keywords), rng),
        lambda: rng.choice(exact_keywords),
        lambda: f"{disguise(rng.choice(first_keywords), rng)} for 2 people at 8pm",
        lambda: rng.choice(
            (
                "4",
                "5 stars",
                "I'd say 3",
                "4/5",
                "#2",
                "seven",
                "10/10",
                "3 or 4",
                "4.5",
            )
        ),
        lambda: rng.choice(
            ("Yes", "yeah!", "Sí", "👍🏽", "ok", "Nope", "can't make it", "NO.")
        ),
        lambda: f"Order no {rng.randint(100, 999999)} has not arrived",
        lambda: rng.choice(FREE_TEXT),
        lambda: f"{rng.choice(STEMS)}{rng.randint(2000, 9000)}",  # unknown keyword
    )
    return [rng.choice(makers)() for _ in range(MESSAGE_COUNT)]


def time_per_message(function, messages):
    durations, matches = [], 0
    for message in messages:
        begin = time.perf_counter_ns()
        result = function(message)
        durations.append(time.perf_counter_ns() - begin)
        matches += result is not None
    return durations, matches


def summarize(name, durations, matches):
    ordered = sorted(durations)
    median = statistics.median(ordered) / 1000
    p99 = ordered[int(len(ordered) * 0.99)] / 1000
    per_second = len(durations) / (sum(durations) / 1e9)
    return f"{name:<10} {median:>12.1f} {p99:>10.1f} {per_second:>14,.0f} {matches:>9,}"


def main():
    rng = random.Random(20240601)
    rules = build_rules(rng)
    messages = build_messages(rules, rng)

    begin = time.perf_counter()
    matcher = KeywordMatcher(rules)
    build_ms = (time.perf_counter() - begin) * 1000
    exact_keywords = [
        kw for rule in rules if rule.mode == MODE_EXACT for kw in rule.keywords
    ]
    baseline = re.compile(
        r"^\s*(?:%s)\s*$" % "|".join(map(re.escape, exact_keywords)), re.IGNORECASE
    )

    # Warm up both (regex caches, lazily built tables) before measuring.
    for message in messages[:200]:
        matcher.match(message)
        baseline.match(message)
    engine_result = time_per_message(matcher.match, messages)
    baseline_result = time_per_message(baseline.match, messages)

    print(
        f"{len(rules):,} rules ({len(exact_keywords):,} exact keywords), {len(messages):,} messages, "
        f"matcher built in {build_ms:.1f} ms"
    )
    print(
        f"{'':<10} {'median (µs)':>12} {'p99 (µs)':>10} {'messages/s':>14} {'matched':>9}"
    )
    print(summarize("engine", *engine_result))
    print(summarize("baseline", *baseline_result))


if __name__ == "__main__":
    main()
