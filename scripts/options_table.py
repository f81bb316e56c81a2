"""Print the option reference of docs/options.md: the main command's options as Markdown tables, one per --help
group, in --help's order. The StyleConfig options come from their fields' metadata (src/painterly/config.py)
through the same parser `painterly --help` prints, so the table, the help and the defaults cannot disagree.

    python scripts/options_table.py           # print the tables
    python scripts/options_table.py --write   # replace them in docs/options.md (tests/test_options.py checks it)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from painterly.apps.options import build_parser

DOC = Path(__file__).resolve().parent.parent / "docs" / "options.md"
BEGIN = "<!-- options table: written by `python scripts/options_table.py --write`; edit config.py, not this -->"
END = "<!-- end of options table -->"


def options_table(parser: argparse.ArgumentParser | None = None) -> str:
    parser = parser or build_parser()
    lines: list[str] = []
    for group in parser._action_groups:
        actions = [a for a in group._group_actions if not isinstance(a, argparse._HelpAction)]
        if not actions:
            continue
        lines += ["", f"### {group.title}", "", "| option | default | meaning |", "|---|---|---|"]
        for action in actions:
            default = "" if action.default is None or action.default is False else f"`{action.default}`"
            cells = (_usage(action), default, action.help or "")
            lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines[1:]) + "\n"


def _usage(action: argparse.Action) -> str:
    """How --help names an option, short flag first: `-s, --style STYLE[:WEIGHT]`, with its metavar or choices."""
    if not action.option_strings:
        return f"`{action.metavar or action.dest}`"
    flags = ", ".join(sorted(action.option_strings, key=len))
    if action.nargs == 0:
        return f"`{flags}`"
    value = action.metavar or ("{" + ",".join(action.choices) + "}" if action.choices else "")
    return f"`{flags} {value}`" if value else f"`{flags}`"


def documented(text: str) -> str:
    """The tables as docs/options.md has them: the text between BEGIN and END."""
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise SystemExit(f"{DOC}: the markers of the options table are missing")
    return text[start + len(BEGIN) : end].strip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help=f"replace the tables in {DOC.relative_to(Path.cwd())}")
    args = parser.parse_args(argv)
    table = options_table()
    if not args.write:
        sys.stdout.write(table)
        return 0
    text = DOC.read_text(encoding="utf-8")
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    DOC.write_text(text[:start] + "\n" + table + text[end:], encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
