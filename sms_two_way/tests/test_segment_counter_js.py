import json
from pathlib import Path

from odoo.tests import HttpCase, tagged

CASES = Path(__file__).parent / "data" / "segment_cases.json"


@tagged("post_install", "-at_install")
class TestSegmentCounterJs(HttpCase):
    """The composer's counter (sms_segments.js) agrees with core/segments.py on the shared case table.

    The same table is checked against the Python code by tests/test_segments.py.
    """

    def test_javascript_counter_matches_the_case_table(self):
        cases = json.loads(CASES.read_text("utf-8"))
        alphabet = self.env["sms.conversation"]._get_segment_alphabet()
        code = """
            const { countSegments } = odoo.loader.modules.get("@sms_two_way/chat/sms_segments");
            const cases = %s;
            const alphabet = %s;
            const wrong = [];
            for (const c of cases) {
                const got = countSegments(c.text, alphabet);
                const expected = [c.encoding, c.characters, c.segments, c.per_segment, c.ucs2_char];
                const actual = [got.encoding, got.characters, got.segments, got.perSegment, got.ucs2Char];
                if (JSON.stringify(actual) !== JSON.stringify(expected)) {
                    wrong.push(JSON.stringify({ text: c.text, expected, actual }));
                }
            }
            if (cases.length < 20 || wrong.length) {
                console.error("segment counter disagrees: " + wrong.join("; "));
            } else {
                console.log("test successful");
            }
        """ % (json.dumps(cases), json.dumps(alphabet))
        self.browser_js("/odoo", code, ready="odoo.isReady", login="admin")
