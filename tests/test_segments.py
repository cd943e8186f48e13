"""Unit tests of SMS segment counting."""

import json
from pathlib import Path

import pytest

from sms_two_way.core.segments import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    Segments,
    count_segments,
    ucs2_trigger,
)


def test_alphabet_tables_have_the_gsm_03_38_sizes():
    assert len(GSM7_BASIC) == 127  # 128 codes minus ESC
    assert len(GSM7_EXTENSION) == 10
    assert not GSM7_BASIC & GSM7_EXTENSION


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", Segments("GSM-7", 0, 0, 160)),
        (None, Segments("GSM-7", 0, 0, 160)),
        ("Hello", Segments("GSM-7", 5, 1, 160)),
        ("Café à 10€ ?", Segments("GSM-7", 13, 1, 160)),
        ("line\r\nbreak", Segments("GSM-7", 11, 1, 160)),
        ("a" * 160, Segments("GSM-7", 160, 1, 160)),
        ("a" * 161, Segments("GSM-7", 161, 2, 153)),
        ("a" * 306, Segments("GSM-7", 306, 2, 153)),
        ("a" * 307, Segments("GSM-7", 307, 3, 153)),
        ("Привет", Segments("UCS-2", 6, 1, 70)),
        ("ж" * 70, Segments("UCS-2", 70, 1, 70)),
        ("ж" * 71, Segments("UCS-2", 71, 2, 67)),
        ("ж" * 134, Segments("UCS-2", 134, 2, 67)),
        ("ж" * 135, Segments("UCS-2", 135, 3, 67)),
    ],
)
def test_count_segments(text, expected):
    assert count_segments(text) == expected


@pytest.mark.parametrize("char", sorted(GSM7_EXTENSION))
def test_extension_characters_count_two_septets(char):
    assert count_segments(char) == Segments("GSM-7", 2, 1, 160)


def test_extension_characters_fill_segments_twice_as_fast():
    assert count_segments("€" * 80) == Segments("GSM-7", 160, 1, 160)
    assert count_segments("{" * 81) == Segments("GSM-7", 162, 2, 153)


def test_escape_sequence_is_not_split_across_segments():
    # 306 septets would fit two segments, but the € cannot straddle them.
    assert count_segments("a" * 152 + "€" + "a" * 152) == Segments("GSM-7", 306, 3, 153)


@pytest.mark.parametrize("char", ["ç", "’", "“", "✓", "á", "😀"])
def test_one_character_outside_gsm_switches_the_whole_message_to_ucs2(char):
    assert count_segments("Hello " + char).encoding == "UCS-2"


def test_capital_c_cedilla_is_gsm_but_lowercase_is_not():
    assert count_segments("Ç").encoding == "GSM-7"
    assert count_segments("ç").encoding == "UCS-2"


def test_emoji_count_as_two_utf16_units():
    assert count_segments("😀") == Segments("UCS-2", 2, 1, 70)
    assert count_segments("😀" * 35) == Segments("UCS-2", 70, 1, 70)
    assert count_segments("😀" * 36) == Segments("UCS-2", 72, 2, 67)


def test_surrogate_pair_is_not_split_across_segments():
    assert count_segments("ж" * 66 + "😀" + "ж" * 66) == Segments("UCS-2", 134, 3, 67)


def test_result_unpacks_like_a_tuple():
    encoding, characters, segments, per_segment = count_segments("a" * 200)
    assert (encoding, characters, segments, per_segment) == ("GSM-7", 200, 2, 153)


# --- the case table shared with the composer's counter (sms_segments.js, see test_segment_counter_js.py) ---
SHARED_CASES = json.loads(
    (
        Path(__file__).resolve().parent.parent
        / "sms_two_way"
        / "tests"
        / "data"
        / "segment_cases.json"
    ).read_text("utf-8")
)


@pytest.mark.parametrize("case", SHARED_CASES, ids=lambda case: repr(case["text"][:20]))
def test_shared_segment_cases(case):
    size = count_segments(case["text"])
    assert size == Segments(
        case["encoding"], case["characters"], case["segments"], case["per_segment"]
    )
    assert ucs2_trigger(case["text"]) == case["ucs2_char"]
