"""Text a database cannot store: NUL characters (PostgreSQL refuses them) and lone surrogates
(not encodable as UTF-8). Pure: used by the API parser and the HTML request guard."""

from __future__ import annotations

from typing import Any


def unstorable(text: str) -> bool:
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def first_unstorable(value: Any, path: str = "") -> str | None:
    """The dotted path of the first unstorable string in ``value`` ("" for the value itself)."""
    if isinstance(value, str):
        return path if unstorable(value) else None
    if isinstance(value, dict):
        for key, inner in value.items():
            key_text = str(key)
            if unstorable(key_text):
                return path or key_text
            found = first_unstorable(inner, f"{path}.{key_text}" if path else key_text)
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found = first_unstorable(inner, f"{path}.{index}" if path else str(index))
            if found is not None:
                return found
    return None
