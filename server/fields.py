"""Marshmallow fields shared by every resource: safe text, phones, SIRET, money.

Every string the API accepts goes through :class:`Text`, which bounds its length
and refuses NUL characters and lone surrogates. Both would otherwise reach the
database driver and fail there (PostgreSQL rejects NUL in text), turning bad
input into a 500 instead of a 422 naming the field.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import phonenumbers
from marshmallow import ValidationError, fields, validate
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

# phonenumbers compiles its metadata's patterns on each call through ``re.compile``, whose
# cache (512 patterns) other code keeps evicting: a push of 500 new records recompiled
# them for most phone numbers (60-100 us a number instead of ~25). The library's own
# cache keeps them for good, the same patterns compiled the same way.
phonenumbers.enable_pattern_cache()


class Text(fields.String):
    """A bounded string without NUL or lone surrogates; single-line values are stripped."""

    def __init__(self, max_length: int, *, multiline: bool = False, **kwargs: Any) -> None:
        extra = kwargs.pop("validate", None) or []
        extra = [extra] if callable(extra) else list(extra)
        validators = [validate.Length(max=max_length), *extra]
        super().__init__(validate=validators, **kwargs)
        self.multiline = multiline

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = storable(super()._deserialize(value, attr, data, **kwargs))
        return text if self.multiline else text.strip()


def storable(text: str) -> str:
    """Return ``text`` if a database can store it: no NUL, no lone surrogate."""
    if "\x00" in text:
        raise ValidationError("Must not contain NUL characters.")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValidationError("Must be valid Unicode text.") from exc
    return text


class Line(Text):
    """A required-looking single-line text: stripped, and empty means missing."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str | None:
        text = super()._deserialize(value, attr, data, **kwargs)
        if text == "" and not self.allow_none:
            raise ValidationError("Must not be blank.")
        return text or None

    def _validate(self, value: Any) -> None:
        """A blank value became None: there is nothing left to check (length, pattern)."""
        if value is not None:
            super()._validate(value)


class Email(fields.Email):
    """An e-mail address, at most 254 characters, domain lower-cased."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validate=validate.Length(max=254), **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if isinstance(value, str):
            value = value.strip()
        email = super()._deserialize(value, attr, data, **kwargs)
        local, _, domain = email.rpartition("@")
        return f"{local}@{domain.lower()}"


class Phone(fields.String):
    """A phone number normalized to E.164; French national form (06 12 34 56 78) accepted."""

    default_region = "FR"

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        raw = super()._deserialize(value, attr, data, **kwargs)
        if len(raw) > 40:
            raise ValidationError("Not a valid phone number.")
        try:
            number = phonenumbers.parse(raw, self.default_region)
        except phonenumbers.NumberParseException as exc:
            raise ValidationError("Not a valid phone number.") from exc
        if not phonenumbers.is_valid_number(number):
            raise ValidationError("Not a valid phone number.")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class Siret(fields.String):
    """A SIRET (14 digits, Luhn-checked by python-stdnum); spaces allowed on input."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        raw = super()._deserialize(value, attr, data, **kwargs)
        try:
            return stdnum_siret.validate(raw[:40])
        except StdnumError as exc:
            raise ValidationError(f"Not a valid SIRET: {exc.message}") from exc


class Siren(fields.String):
    """A SIREN (9 digits, Luhn-checked by python-stdnum)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        raw = super()._deserialize(value, attr, data, **kwargs)
        try:
            return stdnum_siren.validate(raw[:40])
        except StdnumError as exc:
            raise ValidationError(f"Not a valid SIREN: {exc.message}") from exc


_NAF = re.compile(r"^(\d{2})\.?(\d{2})([A-Z])$")


class NafCode(fields.String):
    """A NAF rév. 2 / APE code, normalized to ``NN.NNL`` (``6201Z`` becomes ``62.01Z``)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        raw = super()._deserialize(value, attr, data, **kwargs).strip().upper()[:20]
        match = _NAF.match(raw)
        if not match:
            raise ValidationError("Not a valid NAF code (expected like 62.01Z).")
        return f"{match[1]}.{match[2]}{match[3]}"


class Url(fields.URL):
    """An http(s) URL of at most 300 characters; a bare domain gets https://."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(schemes={"http", "https"}, validate=validate.Length(max=300), **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if isinstance(value, str):
            value = value.strip()
            if value and "://" not in value[:10]:
                value = "https://" + value
        # The URL pattern lets any non-space character through in the path.
        return storable(super()._deserialize(value, attr, data, **kwargs))


def Money(**kwargs: Any) -> fields.Decimal:  # noqa: N802 - reads as a field class
    """An amount in euros with cents, sent as a string to keep it exact."""
    bound = Decimal("1e12")
    return fields.Decimal(
        places=2,
        as_string=True,
        allow_nan=False,
        validate=validate.Range(min=-bound, max=bound),
        **kwargs,
    )


def Int(*, low: int = 0, high: int = 2_000_000_000, **kwargs: Any) -> fields.Integer:  # noqa: N802
    """An integer bounded to what a 32-bit database column holds."""
    return fields.Integer(strict=True, validate=validate.Range(min=low, max=high), **kwargs)


class _UTCTimestamp(fields.AwareDateTime):
    """An aware timestamp that must still exist once converted to UTC."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            # 9999-12-31T23:00-05:00 parses, but is in year 10000 in UTC: the database
            # layer would overflow converting it.
            return moment.astimezone(UTC)
        except OverflowError as exc:
            raise ValidationError("Out of range.") from exc


def Timestamp(**kwargs: Any) -> fields.AwareDateTime:  # noqa: N802
    """An ISO 8601 timestamp; one without offset is taken as UTC."""
    return _UTCTimestamp(default_timezone=UTC, **kwargs)
