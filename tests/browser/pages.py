"""Every page the browser layer checks: add a row when you add a page.

Each row is visited (signed in as `who`, or anonymously when `who` is None) and must answer
`status`, have exactly one h1 reading `h1`, `<html lang>`, a working skip link and no axe
violations. Pages that need a state first (form errors, a token) live in test_pages.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.demo import DEMO_ORGANISATION

ADMIN = "admin@example.org"
COORDINATOR = "coordinator@example.org"
MEMBER = "amina@example.org"


@dataclass(frozen=True)
class Page:
    who: str | None
    path: str
    h1: str
    status: int = 200

    @property
    def id(self) -> str:
        return f"{(self.who or 'anonymous').split('@')[0]}:{self.path}"


PAGES: list[Page] = [
    # Anyone
    Page(None, "/", "Give and Get"),
    Page(None, "/sign-in", "Sign in"),
    Page(None, "/about", "About Give and Get"),
    Page(None, "/password/forgot", "Reset your password"),
    Page(None, "/no-such-page", "Page not found", status=404),
    # A member
    Page(MEMBER, "/", "Hello, Amina Hussain"),
    Page(MEMBER, "/hours", "Your hours"),
    # A coordinator
    Page(COORDINATOR, "/", "Hello, Sam Okafor"),
    Page(COORDINATOR, "/hours", "Your hours"),
    Page(COORDINATOR, "/members", f"Members of {DEMO_ORGANISATION}"),
    Page(COORDINATOR, "/members/new", "Add a member"),
]
