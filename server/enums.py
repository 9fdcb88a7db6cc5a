"""Enumerations shared by models and schemas; values are the API's wire values."""

from __future__ import annotations

import enum

from sqlalchemy import Enum


def db_enum(enum_cls: type[enum.Enum], length: int = 24) -> Enum:
    """A portable enum column storing the wire value as VARCHAR with a CHECK."""
    return Enum(
        enum_cls,
        native_enum=False,
        length=length,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class AccountKind(enum.StrEnum):
    """B2B company or B2C private customer."""

    COMPANY = "company"
    PERSON = "person"


class LifecycleStatus(enum.StrEnum):
    """Where an account stands, from suspect to client (and after)."""

    SUSPECT = "suspect"
    PROSPECT_COLD = "prospect_cold"
    PROSPECT_WARM = "prospect_warm"
    PROSPECT_HOT = "prospect_hot"
    CLIENT = "client"
    PARTNER = "partner"
    FORMER_CLIENT = "former_client"


class HeadcountBand(enum.StrEnum):
    """INSEE headcount bands (tranches d'effectif salarié)."""

    NONE = "0"
    B1_2 = "1-2"
    B3_5 = "3-5"
    B6_9 = "6-9"
    B10_19 = "10-19"
    B20_49 = "20-49"
    B50_99 = "50-99"
    B100_199 = "100-199"
    B200_249 = "200-249"
    B250_499 = "250-499"
    B500_999 = "500-999"
    B1000_1999 = "1000-1999"
    B2000_4999 = "2000-4999"
    B5000_9999 = "5000-9999"
    B10000 = "10000+"


class Civility(enum.StrEnum):
    """Form of address."""

    MR = "M."
    MRS = "Mme"


class GeocodePrecision(enum.StrEnum):
    """How precisely an account's position is known."""

    HOUSENUMBER = "housenumber"
    STREET = "street"
    MUNICIPALITY = "municipality"
    MANUAL = "manual"
    GPS = "gps"


class Channel(enum.StrEnum):
    """Ways to reach a contact or hold an interaction."""

    IN_PERSON = "in_person"
    PHONE = "phone"
    MOBILE = "mobile"
    SMS = "sms"
    EMAIL = "email"
    VIDEO = "video"
    MAIL = "mail"
    OTHER = "other"


class InteractionKind(enum.StrEnum):
    """What kind of contact with the customer took place."""

    VISIT = "visit"
    APPOINTMENT = "appointment"
    CALL = "call"
    EMAIL = "email"
    TRADE_SHOW = "trade_show"
    STORE_VISIT = "store_visit"


class InteractionStatus(enum.StrEnum):
    """Planned, done, or did not happen."""

    PLANNED = "planned"
    DONE = "done"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


class Initiator(enum.StrEnum):
    """Who started the interaction."""

    US = "us"
    CUSTOMER = "customer"


class Outcome(enum.StrEnum):
    """How an interaction ended, for reporting."""

    ORDER = "order"
    POSITIVE = "positive"
    NEUTRAL = "neutral"
    NEGATIVE = "negative"
    NO_DECISION = "no_decision"


class OpportunityStage(enum.StrEnum):
    """Sales pipeline stages."""

    QUALIFICATION = "qualification"
    PROPOSAL = "proposal"
    NEGOTIATION = "negotiation"
    WON = "won"
    LOST = "lost"


class ConsentPurpose(enum.StrEnum):
    """GDPR processing purposes a contact consents to, one by one."""

    EMAIL_MARKETING = "email_marketing"
    SMS_MARKETING = "sms_marketing"
    PHONE_MARKETING = "phone_marketing"
    POSTAL_MARKETING = "postal_marketing"
    PROFILING = "profiling"


class ConsentState(enum.StrEnum):
    """A consent is given or withdrawn."""

    GIVEN = "given"
    WITHDRAWN = "withdrawn"


class CustomFieldType(enum.StrEnum):
    """Types an admin can give a custom field."""

    TEXT = "text"
    NUMBER = "number"
    INTEGER = "integer"
    DATE = "date"
    BOOLEAN = "boolean"
    CHOICE = "choice"
