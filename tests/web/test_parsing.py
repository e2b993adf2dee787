"""The strict parsers of what a browser sends (ugsdk.contrib.parsing)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ugsdk import ValidationError
from ugsdk.contrib.parsing import MAX_BODY_BYTES, MAX_INT, int_value, json_depth, parse_digits, parse_json_object


@pytest.mark.parametrize("text", ["²", "٣", "١٢", "--5", "-1", "+5", " 5", "5 ", "5\n", "5_0", "1e3", "", "0x10",
                                  "9" * 20, "9" * 5000, str(MAX_INT + 1), None, 5, b"5"])
def test_only_ascii_digits_within_bounds_are_integers(text: Any) -> None:
    with pytest.raises(ValidationError) as info:
        parse_digits(text, "menu_id")
    assert info.value.argument == "menu_id"
    assert len(str(info.value)) < 200  # a huge value is not echoed whole


def test_digits_are_read_within_the_bounds_asked() -> None:
    assert parse_digits("0012", "after") == 12
    assert parse_digits(str(MAX_INT), "after") == MAX_INT
    with pytest.raises(ValidationError):
        parse_digits("0", "menu_id", minimum=1)
    assert int_value(7, "rating") == 7 and int_value("7", "rating") == 7
    for bad in (True, 1.0, 2**64, -1, [], {}, None):
        with pytest.raises(ValidationError):
            int_value(bad, "rating")


def test_json_bodies_are_refused_when_nested_too_deep_before_decoding() -> None:
    for depth in (17, 1000, 200_000):
        with pytest.raises(ValidationError) as info:
            parse_json_object(("[" * depth + "]" * depth).encode())
        assert info.value.argument == "body" and "deep" in str(info.value)
    nested = {"a": {"b": {"c": [1, 2, {"d": "[[[[[[[[[[[[[[[[[[[[[[[["}]}}}
    assert parse_json_object(json.dumps(nested).encode()) == nested  # brackets in strings are text
    assert json_depth('{"a": "\\"[[[[", "b": [[]]}') == 3


@pytest.mark.parametrize("body", [b"{nope", b"[]", b"12", b'"x"', b"null", b"\xff\xfe", b'{"a": ' + b"9" * 5000 + b"}",
                                  b"x" * (MAX_BODY_BYTES + 1)])
def test_bodies_that_are_not_a_json_object_are_refused(body: bytes) -> None:
    with pytest.raises(ValidationError) as info:
        parse_json_object(body)
    assert info.value.argument == "body"


def test_an_empty_body_is_an_empty_object() -> None:
    assert parse_json_object(b"") == {} and parse_json_object(b"  \n") == {}
