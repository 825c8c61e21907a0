"""``python -m pytest_cheatsheet.history record|render``: see the package's docstring."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from pytest_cheatsheet.atomic_write import write_atomically
from pytest_cheatsheet.history.records import (
    CompatError,
    Record,
    changes,
    load_history,
    load_report,
    previous_run,
    record_report,
)
from pytest_cheatsheet.history.render import LANGUAGES, Page, render, run_name
from pytest_cheatsheet.outcomes import FAILING


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pytest_cheatsheet.history",
        description="Keep the sheets' results per release and write the compatibility page.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    record = commands.add_parser("record", help="record one JSON report, print what changed")
    record.add_argument("report", type=Path, help="a JSON report (--cheatsheet-report)")
    record.add_argument(
        "--label", help="e.g. torch-2.15, python-3.13, torch-2.3-numpy-1 (default: torch-X.Y)"
    )
    record.add_argument(
        "--partial", action="store_true", help="the run was narrowed: merge, never replace"
    )
    record.add_argument(
        "--pytest-status",
        type=Path,
        help="a file holding pytest's exit status: non-zero fails the command too",
    )
    render_command = commands.add_parser("render", help="rewrite the page from the history")
    for command in (record, render_command):
        command.add_argument("--history", type=Path, required=True, help="the history folder")
        command.add_argument("--output", type=Path, required=True, help="the page to write")
        command.add_argument("--language", default="en", choices=LANGUAGES)
        command.add_argument(
            "--root", type=Path, default=Path.cwd(), help="what sheet paths are relative to"
        )
    arguments = parser.parse_args(argv)
    try:
        return _record(arguments) if arguments.command == "record" else _render(arguments)
    except CompatError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def _render(arguments: argparse.Namespace, history: Sequence[Record] | None = None) -> int:
    history = load_history(arguments.history) if history is None else history
    text = render(history, arguments.output, arguments.root, arguments.language, arguments.history)
    path = arguments.output
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        write_atomically(path, text.encode("utf-8"))
        print(f"wrote {path}: {len(history)} runs")
    else:
        print(f"{path} unchanged")
    return 0


def _record(arguments: argparse.Namespace) -> int:
    document = load_report(arguments.report, arguments.root)
    history = load_history(arguments.history)
    recorded = record_report(document, history, arguments.label, arguments.partial)
    for message in recorded.messages:
        print(message)
    new = recorded.record
    path = arguments.history / new.filename
    if recorded.action != "unchanged":
        write_atomically(path, new.to_text().encode("utf-8"))
    print(f"{path}: {recorded.action}")
    history = sorted(
        [r for r in history if r.filename != new.filename] + [new], key=Record.sort_key
    )
    _render(arguments, history)

    # compared with its own earlier record, else with the run it is an upgrade from
    base, _ = (recorded.previous, []) if recorded.previous else previous_run(new, history)
    if base is None:
        print(f"{run_name(new)}: no earlier run to compare with")
    else:
        found = changes(base, new)
        what = " as recorded before" if base is recorded.previous else ""
        print(f"{run_name(new)} compared with {run_name(base)}{what}:")
        page = Page(history, arguments.output, arguments.root, "en")
        for line in page.change_lines(found):
            print(line.removeprefix("- "))
        print(f"{len(found)} claims changed" if found else "no claim changed")
    failing = [
        claim
        for claim in new.claims.values()
        if any(group["outcome"] in FAILING for group in claim["results"])
    ]
    if failing:
        print(f"{len(failing)} claims fail on {run_name(new)}")
        return 1
    if arguments.pytest_status is not None:
        status = _pytest_status(arguments.pytest_status)
        if status != 0:
            print(f"pytest exited with status {status} although no recorded claim failed")
            return 1
    return 0


def _pytest_status(path: Path) -> int:
    try:
        return int(path.read_text(encoding="utf-8").strip())
    except (OSError, ValueError) as error:
        raise CompatError(f"{path}: no pytest exit status in it ({error})") from None


if __name__ == "__main__":
    raise SystemExit(main())
