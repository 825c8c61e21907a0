"""Merge JSON reports of several runs (one per torch release) into a Markdown table.

python -m pytest_cheatsheet.compat reports/torch-*.json --output cheatsheet/COMPATIBILITY.md
"""

from __future__ import annotations

import argparse
import datetime
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_cheatsheet.report import READABLE_SCHEMAS, write_atomically

SYMBOLS = {
    "passed": "✅",
    "failed": "❌",
    "error": "💥",
    "skipped": "⏭️",
    "xfailed": "☑️",
    "xpassed": "⚠️",
}
UNAVAILABLE_DEVICE = "is not available"
MAX_CELL_REASON = 120


@dataclass(frozen=True)
class Run:
    """One report: its label (the torch version) and its results by example."""

    label: str
    document: dict[str, Any]

    @property
    def torch(self) -> str:
        return str(self.document["versions"]["torch"])


class ReportError(ValueError):
    pass


def load(path: Path) -> Run:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise ReportError(f"{path}: not a readable JSON report: {error}") from None
    if not isinstance(document, dict) or document.get("schema") not in READABLE_SCHEMAS:
        raise ReportError(
            f"{path}: schema {document.get('schema') if isinstance(document, dict) else None!r}, "
            f"expected one of {', '.join(map(str, READABLE_SCHEMAS))}"
        )
    return Run(label=str(document["versions"]["torch"]).split("+")[0], document=document)


def _version_key(label: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else 0 for part in label.split("."))


def cell(results: Sequence[dict[str, Any]]) -> tuple[str, str]:
    """(comparable summary, text) of one example's results in one run, across combinations.

    Combinations skipped because their device is absent say nothing about the release, so they
    are left out unless nothing else ran.
    """
    relevant = [r for r in results if UNAVAILABLE_DEVICE not in r["reason"]] or list(results)
    by_outcome: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for result in relevant:
        by_outcome[result["outcome"]].append(result)
    if list(by_outcome) == ["passed"]:
        return "passed", f"{SYMBOLS['passed']} passed"
    parts = []
    summary = []
    for outcome in sorted(by_outcome, key=lambda o: list(SYMBOLS).index(o) if o in SYMBOLS else 99):
        group = by_outcome[outcome]
        combinations = ",".join(sorted({r["combination"] for r in group}))
        summary.append(f"{outcome}:{combinations}")
        reason = next((r["reason"] for r in group if r["reason"]), "")
        text = f"{SYMBOLS.get(outcome, '')} {outcome}"
        if outcome != "passed" or len(by_outcome) > 1:
            text += f" ({combinations})"
        if reason and outcome != "passed":
            text += f": {_shorten(reason)}"
        parts.append(text)
    return " ".join(summary), "<br>".join(parts)


def _shorten(reason: str) -> str:
    reason = " ".join(reason.split())
    if len(reason) > MAX_CELL_REASON:
        reason = reason[: MAX_CELL_REASON - 1] + "…"
    return reason.replace("|", "\\|")


def render(runs: Sequence[Run], today: datetime.date | None = None) -> str:
    """The Markdown table: runs as columns, examples as rows, rows that differ first."""
    runs = sorted(runs, key=lambda run: _version_key(run.label))
    today = today or datetime.date.today()
    examples: dict[tuple[str, int], str] = {}
    results: dict[tuple[str, int], dict[str, list[dict[str, Any]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for run in runs:
        for result in run.document["results"]:
            key = (result["sheet"], int(result["line"]))
            examples.setdefault(key, result["heading"])
            results[key][run.label].append(result)
    rows = []
    for key in sorted(examples):
        cells = [
            cell(results[key][run.label]) if results[key][run.label] else ("absent", "—")
            for run in runs
        ]
        differs = len({summary for summary, _ in cells}) > 1
        rows.append((not differs, key, examples[key], [text for _, text in cells]))
    rows.sort(key=lambda row: (row[0], row[1]))
    differing = sum(1 for row in rows if not row[0])

    lines = [
        "# 兼容性表（Compatibility）",
        "",
        f"由 `nox -s compat` 生成于 {today.isoformat()}："
        "每一行是一个示例，每一列是一个 torch 版本。请勿手工编辑。",
        "",
        "| torch | Python | NumPy | CUDA | 设备 | 运行时间 |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for run in runs:
        versions = run.document["versions"]
        devices = ", ".join(
            f"{name}: {desc}" for name, desc in run.document.get("devices", {}).items()
        )
        created = run.document.get("created", "—")
        lines.append(
            f"| {versions['torch']} | {versions['python']} | {versions['numpy']} | "
            f"{versions.get('cuda') or '—'} | {devices or '—'} | {created} |"
        )
    lines += [
        "",
        "| torch | " + " | ".join(SYMBOLS_ORDER) + " |",
        "| --- |" + " --- |" * len(SYMBOLS_ORDER),
    ]
    for run in runs:
        counts: dict[str, int] = defaultdict(int)
        for result in run.document["results"]:
            counts[result["outcome"]] += 1
        lines.append(f"| {run.label} | " + " | ".join(str(counts[o]) for o in SYMBOLS_ORDER) + " |")
    lines += [
        "",
        f"在不同版本间结果不同的示例：{differing} 个（排在表格最前面）。"
        "不可用设备（例如没有 GPU 时的 cuda）上的跳过不计入单元格。",
        "",
        "| 表格 | 小节 | 行 | " + " | ".join(f"torch {run.label}" for run in runs) + " |",
        "| --- | --- | --- |" + " --- |" * len(runs),
    ]
    for _, (sheet, line), heading, texts in rows:
        link = f"[{Path(sheet).name}]({_relative_link(sheet)}?plain=1#L{line})"
        lines.append(f"| {link} | {_shorten(heading)} | {line} | " + " | ".join(texts) + " |")
    return "\n".join(lines) + "\n"


SYMBOLS_ORDER = tuple(SYMBOLS)


def _relative_link(sheet: str) -> str:
    """A link from cheatsheet/COMPATIBILITY.md to a sheet given relative to the rootdir."""
    parts = Path(sheet).parts
    return str(Path(*parts[1:])) if parts and parts[0] == "cheatsheet" else f"../{sheet}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("reports", nargs="+", type=Path, help="JSON reports (--cheatsheet-report)")
    parser.add_argument("--output", type=Path, required=True, help="the Markdown file to write")
    arguments = parser.parse_args(argv)
    try:
        runs = [load(path) for path in arguments.reports]
    except ReportError as error:
        parser.error(str(error))
    write_atomically(arguments.output, render(runs))
    print(f"wrote {arguments.output}: {len(runs)} runs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
