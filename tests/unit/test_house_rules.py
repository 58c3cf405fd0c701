"""Rules of the house that a reviewer would otherwise have to remember."""

from __future__ import annotations

import re
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
ROLE_READERS = {APP / "auth" / "permissions.py", APP / "auth" / "models.py"}
# A role compared or tested for membership: `x.role == "admin"`, `x.role in ("a", "b")`.
ROLE_TEST = re.compile(r"""\.role\s*(==|!=|(not\s+)?in\s*[(\[{]|(not\s+)?in\s+["'])""")


def role_tests_outside_permissions() -> list[str]:
    found = []
    for path in sorted(APP.rglob("*.py")):
        if path in ROLE_READERS:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if ROLE_TEST.search(line):
                found.append(f"{path.relative_to(APP.parent)}:{number}: {line.strip()}")
    return found


def test_only_the_permissions_module_reads_roles():
    assert role_tests_outside_permissions() == []


def test_the_role_rule_catches_what_it_is_for():
    for line in [
        'if actor.role == "coordinator":',
        'if actor.role in ("coordinator", "admin"):',
        "if actor.role not in ('coordinator', 'admin'):",
        'x = person.role != "member"',
    ]:
        assert ROLE_TEST.search(line), line
    assert not ROLE_TEST.search("if new.role not in ROLES:")
    assert not ROLE_TEST.search("role=new.role,")


TEMPLATES = APP.parent / "templates"


def pages_outside_the_layout(templates: Path = TEMPLATES) -> list[str]:
    """Page templates that do not extend the layout. Partials start with ``_``; macros are apart."""
    return sorted(
        str(path.relative_to(templates))
        for path in templates.rglob("*.html")
        if "macros" not in path.parts
        and not path.name.startswith("_")
        and path.name != "base.html"
        and not re.search(r"^\{%-?\s*extends\s", path.read_text(encoding="utf-8"), re.MULTILINE)
    )


def test_every_page_extends_the_layout():
    # A page without the layout loses its skip link, landmarks, banner and flash messages.
    assert pages_outside_the_layout() == []


def test_the_layout_rule_catches_what_it_is_for(tmp_path):
    (tmp_path / "page.html").write_text('{% from "macros/forms.html" import field %}\n<h1>Hi</h1>')
    (tmp_path / "_partial.html").write_text("<p>part</p>")
    assert pages_outside_the_layout(tmp_path) == ["page.html"]
