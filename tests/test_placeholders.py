"""The one placeholder renderer: never raises, never evaluates format specs."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sms_two_way.core.placeholders import first_name, render


def test_known_placeholders_are_filled():
    assert (
        render("Hi {name}, welcome to {company}", {"name": "Ada", "company": "Gym"})
        == "Hi Ada, welcome to Gym"
    )


@pytest.mark.parametrize(
    "template",
    [
        "{name.first}",
        "{name:>999999999}",
        "{name!r}",
        "{0}",
        "{}",
        "{unknown}",
        "{",
        "}",
        "{name",
        "{Name}",
    ],
)
def test_typos_and_format_specs_are_left_as_typed(template):
    assert render(template, {"name": "Ada"}) == template


def test_exact_token_inside_braces_only():
    assert render("{{name}}", {"name": "Ada"}) == "{Ada}"
    assert render("{name.first} {name}", {"name": "Ada"}) == "{name.first} Ada"


def test_empty_value_takes_its_separator():
    assert render("Welcome, {first_name}!", {"first_name": ""}) == "Welcome!"
    assert render("Thanks {name}.", {"name": None}) == "Thanks."


def test_values_are_not_rendered_again():
    assert render("{name}", {"name": "{company}", "company": "Gym"}) == "{company}"


def test_first_name():
    assert first_name("Ada Lovelace") == "Ada"
    assert first_name("") == ""
    assert first_name(None) == ""


@given(
    st.text(max_size=200),
    st.dictionaries(
        st.from_regex(r"[a-z_]{1,8}", fullmatch=True), st.text(max_size=20)
    ),
)
def test_never_raises(template, values):
    assert isinstance(render(template, values), str)
