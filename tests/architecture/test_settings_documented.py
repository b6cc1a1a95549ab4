"""Every environment variable caredesk reads is documented where an operator looks: the table of
config/env.py (the one reader) and the README's configuration table."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def variables_read() -> list[str]:
    """The names passed to ``env.get*`` anywhere in config/ and caredesk/."""
    names = set()
    for path in [*ROOT.glob("config/*.py"), *ROOT.glob("caredesk/**/*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "env"
                and node.func.attr.startswith("get")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                names.add(node.args[0].value)
    return sorted(names)


def test_the_walk_finds_the_variables() -> None:
    assert {"CAREDESK_ENV", "DATABASE_URL", "CAREDESK_TRUSTED_PROXIES"} <= set(variables_read())


@pytest.mark.parametrize("name", variables_read())
def test_every_variable_is_in_both_tables(name: str) -> None:
    env_doc = (ROOT / "config" / "env.py").read_text(encoding="utf-8").split('"""')[1]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert re.search(rf"^\| {name} ", env_doc, re.MULTILINE), f"{name} is not in config/env.py's table"
    assert re.search(rf"^\| `{name}` \|", readme, re.MULTILINE), f"{name} is not in the README's table"
