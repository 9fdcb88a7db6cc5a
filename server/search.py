"""Accent- and case-insensitive search text, kept by the ORM on every write path."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from sqlalchemy import String, event
from sqlalchemy.orm import Mapped, mapped_column

from .dbfuncs import fold

SEARCH_TEXT_LENGTH = 700


class Searchable:
    """Mixin: ``search_text`` holds the folded ``__search_fields__`` ("Hélène" -> "helene").

    Filled by a mapper event rather than by the API, so the seed, the sync push and
    any future import keep it right too.
    """

    __search_fields__: ClassVar[tuple[str, ...]]

    search_text: Mapped[str] = mapped_column(String(SEARCH_TEXT_LENGTH), default="")


@event.listens_for(Searchable, "before_insert", propagate=True)
@event.listens_for(Searchable, "before_update", propagate=True)
def _refresh_search_text(mapper: Any, connection: Any, target: Searchable) -> None:
    """Rebuild ``search_text`` from the fields it folds."""
    target.search_text = search_text_of(target)


def search_text_of(record: Any) -> str:
    """The folded, space-joined search fields of ``record``."""
    return search_text(getattr(record, name) for name in record.__search_fields__)


def search_text(parts: Iterable[str | None]) -> str:
    """The folded, space-joined ``parts`` that are set, as ``search_text`` keeps them."""
    return fold(" ".join(p for p in parts if p))[:SEARCH_TEXT_LENGTH]


def matches(model: type[Searchable], query: str) -> Any:
    """SQL condition: the folded ``query`` occurs in ``model.search_text``."""
    return model.search_text.contains(fold(query), autoescape=True)
