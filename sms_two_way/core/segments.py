"""SMS segment counting, so that users see what a message will cost before sending.

A message is sent in GSM-7 when every character is in the GSM 03.38 alphabet,
otherwise the whole message switches to UCS-2, which fits less than half as
many characters per segment.  Long messages are split into concatenated
segments whose header takes a few characters of each.
"""

from typing import NamedTuple

GSM7 = "GSM-7"
UCS2 = "UCS-2"

# GSM 03.38 basic table (the ESC code that introduces the extension table is
# not a character of its own and is left out).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Extension table: each of these is sent as ESC + code, i.e. two septets.
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

# Capacity of one segment, alone / as part of a concatenated message.
_CAPACITY = {GSM7: (160, 153), UCS2: (70, 67)}


class Segments(NamedTuple):
    """Size of a message: ``characters`` and ``per_segment`` are counted in
    the encoding's units (septets for GSM-7, UTF-16 code units for UCS-2)."""

    encoding: str
    characters: int
    segments: int
    per_segment: int


def ucs2_trigger(text: str) -> str:
    """The first character of ``text`` outside GSM-7, which forces UCS-2; empty if none."""
    return next(
        (ch for ch in text or "" if ch not in GSM7_BASIC and ch not in GSM7_EXTENSION),
        "",
    )


def count_segments(text: str) -> Segments:
    """Return the encoding, size and number of segments needed to send ``text``."""
    text = text or ""
    if not ucs2_trigger(text):
        encoding = GSM7
        sizes = [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    else:
        encoding = UCS2
        sizes = [2 if ord(ch) > 0xFFFF else 1 for ch in text]  # astral: surrogate pair
    single, concatenated = _CAPACITY[encoding]
    characters = sum(sizes)
    if characters <= single:
        return Segments(encoding, characters, 1 if characters else 0, single)
    return Segments(encoding, characters, _pack(sizes, concatenated), concatenated)


def _pack(sizes, capacity):
    """Count segments when filling them in order.

    An escape sequence or a surrogate pair is never split across two
    segments, so a segment may end up one unit short of ``capacity``.
    """
    segments, used = 1, 0
    for size in sizes:
        if used + size > capacity:
            segments, used = segments + 1, 0
        used += size
    return segments
