"""UK postcodes: validated by their published form (not a list) and normalised.

Pure functions, no database: new and Northern Irish postcodes are real too.
"""

from __future__ import annotations

import re

from .language import N_

# The published UK pattern (BS 7666), applied to the compact upper-case form.
_A1 = "[A-PR-UWYZ]"  # first letter: never Q, V or X
_A2 = "[A-HK-Y]"  # second letter: never I, J or Z
_A3 = "[A-HJKPS-UW]"  # letter after the district digit in A9A
_A4 = "[ABEHMNPRV-Y]"  # letter after the district digit in AA9A
_IN = "[0-9][ABD-HJLNP-UW-Z]{2}"  # inward code: never C, I, K, M, O or V
_PATTERN = re.compile(
    rf"^(?:GIR0AA|(?:{_A1}[0-9]{{1,2}}|{_A1}{_A2}[0-9]{{1,2}}|{_A1}[0-9]{_A3}|{_A1}{_A2}[0-9]{_A4}){_IN})$"
)


class InvalidPostcode(ValueError):
    pass


def normalise_postcode(raw: str) -> str:
    """``ls62ab`` → ``LS6 2AB``; raises InvalidPostcode for anything that is not a postcode."""
    compact = re.sub(r"\s+", "", raw or "").upper()
    if not _PATTERN.match(compact):
        raise InvalidPostcode(N_("Enter a real UK postcode, like LS6 2AB."))
    return f"{compact[:-3]} {compact[-3:]}"


def district(postcode: str) -> str:
    """The outward code: ``LS6 2AB`` → ``LS6``."""
    return postcode.split(" ")[0]


def sector(postcode: str) -> str:
    """Outward code and the first inward digit: ``LS6 2AB`` → ``LS6 2``."""
    outward, inward = postcode.split(" ")
    return f"{outward} {inward[0]}"


def area(postcode: str) -> str:
    """The leading letters: ``LS6 2AB`` → ``LS``."""
    return re.match(r"[A-Z]+", postcode).group(0)  # type: ignore[union-attr]
