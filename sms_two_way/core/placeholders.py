"""The one placeholder renderer for texts staff write: rule replies, campaign and FAQ texts.

Staff write ``{name}``, ``{first_name}``, ``{company}``... in texts that are sent
to customers automatically, often to thousands at once.  ``str.format`` would
turn a typo (``{name.first}``) into an exception and a format spec
(``{name:>999999999}``) into a memory bomb, so placeholders are plain
``{identifier}`` tokens replaced by value: an unknown placeholder, a stray brace
or anything with a format spec is left exactly as typed.
"""

import re

PLACEHOLDER_RE = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
# "Welcome, {first_name}!" must read "Welcome!" for someone known only by number:
# an empty value also takes the separator in front of it.
EMPTY_PLACEHOLDER_RE = r"[,\s]*\{%s\}"


def render(template, values):
    """Fill the ``{key}`` tokens of ``template`` whose key is in ``values``.

    Values are converted with ``str``; ``None`` and ``False`` count as empty.
    Never raises for any template text.
    """
    text = template or ""
    empty = [key for key, value in values.items() if value in (None, False, "")]
    for key in empty:
        text = re.sub(EMPTY_PLACEHOLDER_RE % re.escape(key), "", text)

    def substitute(match):
        key = match.group(1)
        if key in values and key not in empty:
            return str(values[key])
        return match.group(0)

    return PLACEHOLDER_RE.sub(substitute, text)


def first_name(name):
    """The first word of a contact's name ("" when there is none)."""
    return (name or "").split(" ")[0] if name else ""
