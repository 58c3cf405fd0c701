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
