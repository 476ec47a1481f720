"""Values from files and people, made to fit their columns before they reach the database.

SQLite keeps whatever it is given; PostgreSQL refuses a string longer than its varchar
(``StringDataRightTruncation``), a NUL anywhere in text or in a jsonb string (``DataError``) and
an integer beyond its column's type, and psycopg cannot send a lone surrogate (valid in JSON, not
in UTF-8). A refused save is a 500, and for a photo every page that brings it up to date retries
the same save. So each boundary (the results item copied into a photo, the ticket API, the
search box) passes what it stores or looks up through these helpers, once, with the limits taken
from the model's own fields.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations


def storable_text(value: object) -> str:
    """``value`` as text every database takes: NULs removed, lone surrogates replaced (U+FFFD)."""
    text = "" if value is None else str(value)
    if "\x00" in text:
        text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def bounded_text(value: object, max_length: int | None) -> str:
    """``storable_text`` cut to ``max_length`` characters (what varchar(n) counts)."""
    text = storable_text(value)
    return text if max_length is None else text[:max_length]


def column_text(model: type[models.Model], field_name: str, value: object) -> str:
    """``value`` fit for the text column ``model.field_name``: its max_length is the limit."""
    field = model._meta.get_field(field_name)
    return bounded_text(value, getattr(field, "max_length", None))


def column_int(model: type[models.Model], field_name: str, value: int | None) -> int | None:
    """``value``, or None when the integer column ``model.field_name`` cannot hold it (an EXIF
    ISO written as a LONG of 4 billion). The ranges are PostgreSQL's, the strictest we run on,
    so both databases keep the same values."""
    if value is None:
        return None
    field = model._meta.get_field(field_name)
    assert isinstance(field, models.Field)
    low, high = BaseDatabaseOperations.integer_field_ranges[field.get_internal_type()]
    return value if low <= value <= high else None


def storable_json(value: Any) -> Any:
    """JSON with every string (keys included) made storable: jsonb refuses ``\\u0000``."""
    if isinstance(value, str):
        return storable_text(value)
    if isinstance(value, dict):
        return {storable_text(key): storable_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [storable_json(item) for item in value]
    return value
