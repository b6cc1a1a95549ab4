"""The ``caredesk`` console script.

The JSON-Lines tools (``calendar eval``, ``sla replay``, ``maintenance windows``) run on the pure
domain core and never start Django, so a 100,000-line file is answered in well under two seconds.
Everything else is a Django management command (``caredesk migrate``, ``caredesk serve``,
``caredesk worker``, ``caredesk bootstrap`` ...).
"""

from __future__ import annotations

import importlib
import os
import sys

# (first word, second word) -> "module:function"; the function takes the remaining argv.
PURE_TOOLS = {
    ("calendar", "eval"): "caredesk.tools.calendar_eval:main",
    ("sla", "replay"): "caredesk.tools.sla_replay:main",
    ("maintenance", "windows"): "caredesk.tools.maintenance_windows:main",
}


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) >= 2 and (args[0], args[1]) in PURE_TOOLS:
        module_name, func_name = PURE_TOOLS[(args[0], args[1])].split(":")
        func = getattr(importlib.import_module(module_name), func_name)
        return int(func(args[2:]) or 0)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["caredesk", *args])
    return 0


if __name__ == "__main__":
    sys.exit(main())
