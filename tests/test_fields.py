"""Shared marshmallow fields."""

from __future__ import annotations

import re
import re._compiler

from marshmallow import ValidationError

from server.fields import Phone

NUMBERS = ["04 73 12 34 56", "06 12 34 56 78", "+44 20 7946 0958", "06 12", "+1 202 555 0143"]


def _checked(field: Phone) -> list[str]:
    """What the field says of each number: its E.164 form or its error."""
    results = []
    for number in NUMBERS:
        try:
            results.append(field.deserialize(number))
        except ValidationError as err:
            results.append(str(err.messages))
    return results


def test_a_phone_number_is_checked_without_compiling_patterns_again(monkeypatch):
    """phonenumbers keeps its compiled patterns: once ``re``'s cache is emptied (as other
    code filling it does), numbers checked before compile nothing, with the same results."""
    field = Phone()
    first = _checked(field)
    assert first[:3] == ["+33473123456", "+33612345678", "+442079460958"]
    re.purge()
    compiled: list[object] = []
    original = re._compiler.compile

    def counting(pattern, flags=0):
        compiled.append(pattern)
        return original(pattern, flags)

    monkeypatch.setattr(re._compiler, "compile", counting)
    assert _checked(field) == first
    assert compiled == []
