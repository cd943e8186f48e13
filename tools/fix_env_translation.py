#!/usr/bin/env python3
"""Rewrite ``_("...")`` to Odoo 18's ``self.env._("...")`` in the addons (``make lint-fix``).

Only calls inside a model's method taking ``self`` are rewritten (``request.env._``
in controllers is for a person to write); ``_`` then leaves the
``from odoo import ...`` line when nothing uses it any more.  Prints what it
could not rewrite so that the rest is done by hand.
"""

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


MODEL_BASES = {"Model", "TransientModel", "AbstractModel"}


def _is_model_class(node):
    return any(
        getattr(base, "attr", getattr(base, "id", None)) in MODEL_BASES
        for base in node.bases
    )


def _calls_to_underscore(tree):
    """Yield ``(call, rewritable)``: a ``_(...)`` call, and whether it sits in a model method taking ``self``."""

    def visit(node, in_model, first_arg):
        for child in ast.iter_child_nodes(node):
            model, arg = in_model, first_arg
            if isinstance(child, ast.ClassDef):
                model, arg = _is_model_class(child), None
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                args = child.args.posonlyargs + child.args.args
                decorators = {
                    getattr(d, "id", getattr(d, "attr", None))
                    for d in child.decorator_list
                }
                arg = (
                    args[0].arg
                    if args and not decorators & {"staticmethod", "classmethod"}
                    else None
                )
            if (
                isinstance(child, ast.Call)
                and isinstance(child.func, ast.Name)
                and child.func.id == "_"
            ):
                yield child, model and arg == "self"
            yield from visit(child, model, arg)

    yield from visit(tree, False, None)


def fix_file(path):
    source = path.read_text()
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    left = []
    # Rewrite from the end so earlier offsets stay valid.
    for call, rewritable in sorted(
        _calls_to_underscore(tree),
        key=lambda c: (c[0].lineno, c[0].col_offset),
        reverse=True,
    ):
        if not rewritable:
            left.append(f"{path.relative_to(ROOT)}:{call.lineno}")
            continue
        line = lines[call.lineno - 1]
        col = len(line.encode()[: call.col_offset].decode())
        lines[call.lineno - 1] = line[:col] + "self.env._" + line[col + 1 :]
    new = "".join(lines)
    if not left and not re.search(r"(?<![\w.])_\(", new):
        new = re.sub(
            r"^(from odoo import )(.*)$",
            _drop_underscore,
            new,
            count=1,
            flags=re.MULTILINE,
        )
    if new != source:
        path.write_text(new)
        print(f"fixed {path.relative_to(ROOT)}")
    return left


def _drop_underscore(match):
    names = [n.strip() for n in match[2].split(",") if n.strip() != "_"]
    return match[1] + ", ".join(names) if names else ""


def main():
    addons = sys.argv[1:] or [
        "sms_two_way",
        "sms_two_way_appointment",
        "sms_two_way_survey",
    ]
    left = []
    for addon in addons:
        for path in sorted((ROOT / addon).rglob("*.py")):
            left += fix_file(path)
    for where in left:
        print(
            f"{where}: _() outside a method of a model: use self.env._ or request.env._ by hand"
        )


if __name__ == "__main__":
    main()
