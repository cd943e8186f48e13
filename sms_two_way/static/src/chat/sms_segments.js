/**
 * SMS size as the customer's phone will receive it.  The alphabet and the
 * segment capacities are not copied here: they come from the server
 * (sms.conversation.get_composer_info, i.e. core/segments.py), and both
 * implementations are tested against tests/data/segment_cases.json.
 *
 * @param {string} text
 * @param {{gsm7_basic: string, gsm7_extension: string, capacity: Object}} alphabet
 * @returns {{encoding: string, characters: number, segments: number, perSegment: number, ucs2Char: string}}
 */
export function countSegments(text, alphabet) {
  const basic = new Set(alphabet.gsm7_basic);
  const extension = new Set(alphabet.gsm7_extension);
  const chars = [...(text || "")]; // code points, like Python's str
  const ucs2Char = chars.find((ch) => !basic.has(ch) && !extension.has(ch)) || "";
  const encoding = ucs2Char ? "UCS-2" : "GSM-7";
  const sizes = chars.map((ch) =>
    encoding === "GSM-7"
      ? extension.has(ch)
        ? 2
        : 1
      : ch.codePointAt(0) > 0xffff
        ? 2
        : 1
  );
  const [single, concatenated] = alphabet.capacity[encoding];
  const characters = sizes.reduce((sum, size) => sum + size, 0);
  if (characters <= single) {
    return {
      encoding,
      characters,
      segments: characters ? 1 : 0,
      perSegment: single,
      ucs2Char,
    };
  }
  // An escape sequence or a surrogate pair is never split across two segments.
  let segments = 1;
  let used = 0;
  for (const size of sizes) {
    if (used + size > concatenated) {
      segments += 1;
      used = 0;
    }
    used += size;
  }
  return {encoding, characters, segments, perSegment: concatenated, ucs2Char};
}
