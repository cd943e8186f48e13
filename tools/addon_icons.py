#!/usr/bin/env python3
"""The companion addons' icons: sms_two_way's speech bubbles with a corner badge.

``sms_two_way_appointment`` gets a calendar page with a check mark,
``sms_two_way_survey`` a checklist.  Run after changing sms_two_way's icon
(needs Pillow, which Odoo requires anyway).
"""

from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "sms_two_way" / "static" / "description" / "icon.png"
INK, PAPER, ACCENT = (38, 50, 56, 255), (255, 255, 255, 255), (220, 68, 55, 255)


def _badge(draw, box):
    x0, y0, x1, y1 = box
    draw.rounded_rectangle(box, radius=8, fill=PAPER, outline=INK, width=3)
    return x0, y0, x1, y1


def calendar_badge(draw, box):
    x0, y0, x1, y1 = _badge(draw, box)
    draw.rectangle((x0 + 2, y0 + 2, x1 - 2, y0 + 14), fill=ACCENT)
    draw.line(
        (x0 + 12, y0 + 34, x0 + 22, y0 + 44, x1 - 10, y0 + 24),
        fill=INK,
        width=5,
        joint="curve",
    )


def checklist_badge(draw, box):
    x0, y0, x1, y1 = _badge(draw, box)
    for row in range(3):
        y = y0 + 12 + row * 14
        draw.line((x0 + 8, y, x0 + 12, y + 4, x0 + 18, y - 4), fill=ACCENT, width=3)
        draw.line((x0 + 24, y, x1 - 8, y), fill=INK, width=3)


def make(addon, badge):
    icon = Image.open(BASE).convert("RGBA")
    size = icon.size[0]
    badge(ImageDraw.Draw(icon), (size - 62, size - 62, size - 8, size - 8))
    target = ROOT / addon / "static" / "description" / "icon.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    icon.save(target, optimize=True)
    print(f"wrote {target.relative_to(ROOT)}")


if __name__ == "__main__":
    make("sms_two_way_appointment", calendar_badge)
    make("sms_two_way_survey", checklist_badge)
