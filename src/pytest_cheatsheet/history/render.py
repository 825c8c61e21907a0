"""COMPATIBILITY.md from the history alone: what changed at each upgrade step (newest first),
the runs, then each page's claims, readable at GitHub's width (no table wider than 6 columns)."""

from __future__ import annotations

import itertools
import os
import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pytest_cheatsheet.history.records import (
    OUTCOMES,
    Change,
    CompatError,
    Record,
    changes,
    previous_run,
    state,
)
from pytest_cheatsheet.outcomes import FAILING
from pytest_cheatsheet.truncation import shorten

SYMBOLS = {
    "passed": "✅",
    "failed": "❌",
    "error": "💥",
    "skipped": "⏭️",
    "xfailed": "☑️",
    "xpassed": "⚠️",
    "unchecked": "🔘",
}
NAMES = {"torch": "torch", "numpy": "NumPy", "python": "Python"}
MAX_HEADING = 60  # characters of a claim's heading shown
MAX_REASON = 300  # characters of a reason shown
WORDS: dict[str, dict[str, str]] = {
    "en": {
        "title": "# Compatibility of the sheets' claims",
        "intro": "Generated from `{history}` by `nox -s compat`; `nox -s upgrade -- <release>` "
        "adds a release. Do not edit by hand. ✅ passed, ⏭️ skipped, ☑️ failed as expected, "
        "❌ failed, 💥 error, ⚠️ passed though expected to fail, 🔘 ran unchecked (may vary).",
        "devices": "**Devices:** every recorded run ran on {devices}{never}.",
        "never_cuda": "; no run on CUDA (or any GPU) has ever been recorded",
        "steps": "## What changed at each upgrade, newest first",
        "step_note": "Only claims whose outcome changed; the cause is the one package that "
        "differs between the two runs.",
        "also": "(also {packages} changed: the cause may be either)",
        "no_change": "No claim changed: {steps}.",
        "runs": "## Runs",
        "runs_head": "| Run | torch | NumPy | Python | Claims × combinations | Recorded |",
        "partial": " (partial)",
        "pages": "## Claims by page",
        "changed_head": "| Claim | Section | Outcome by run |",
        "same": "{count} claims with the same outcome in every run",
        "same_head": "| Claim | Section | Outcome |",
        "never": "{count} claims never run in any recorded run (skipped everywhere, or only "
        "on a device no run had)",
        "reasons": "Reasons:",
        "absent": "absent",
        "not_run": "not run",
        "examples": "{count} examples",
        "outcomes": "passed failed error skipped xfailed xpassed unchecked",
    },
    "zh": {
        "title": "# 兼容性表（Compatibility）",
        "intro": "由 `nox -s compat` 从 `{history}` 生成；"
        "`nox -s upgrade -- <版本>` 加入一个新版本。请勿手工编辑。"
        "✅ 通过，⏭️ 跳过，☑️ 如预期失败，❌ 失败，💥 出错，⚠️ 预期失败却通过，"
        "🔘 运行但未核对（may vary）。",
        "devices": "**设备**：所有记录的运行都在 {devices} 上{never}。",
        "never_cuda": "；从未记录过 CUDA（或任何 GPU）上的运行",
        "steps": "## 每次升级改变了什么（新的在前）",
        "step_note": "只列结果变化了的断言；原因是两次运行之间唯一不同的那个包。",
        "also": "（{packages} 也变了：原因可能是其中任何一个）",
        "no_change": "没有断言变化：{steps}。",
        "runs": "## 各次运行",
        "runs_head": "| 运行 | torch | NumPy | Python | 断言 × 组合 | 记录时间 |",
        "partial": "（部分）",
        "pages": "## 各页的断言",
        "changed_head": "| 断言 | 小节 | 各次运行的结果 |",
        "same": "在每次运行中结果都相同的断言：{count} 个",
        "same_head": "| 断言 | 小节 | 结果 |",
        "never": "在任何记录的运行中都没有运行过的断言：{count} 个（处处跳过，或只在没有运行过的"
        "设备上）",
        "reasons": "原因：",
        "absent": "不存在",
        "not_run": "未运行",
        "examples": "{count} 个示例",
        "outcomes": "通过 失败 出错 跳过 预期失败 意外通过 未核对",
    },
}
LANGUAGES = tuple(WORDS)
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")


def escape(text: str) -> str:
    """Safe in a table cell, in or out of a code span: ``|`` escaped, and ``<`` only where it
    would open an HTML tag (``torch<2.4`` stays as written)."""
    return _TAG_START.sub("&lt;", text.replace("|", "\\|"))


def run_name(record: Record) -> str:
    """``torch 2.15``, ``torch 2.3 (NumPy 1)``, ``Python 3.13``, ``… (cuda)`` off CPU."""
    kind, _, rest = record.label.partition("-")
    version, _, suffix = rest.partition("-")
    name = f"{NAMES.get(kind, kind)} {version}"
    if suffix:
        package, _, value = suffix.partition("-")
        name += f" ({NAMES.get(package, package)} {value})".replace(" )", ")")
    return name + (f" ({record.device})" if record.device != "cpu" else "")


def _plain(version: Any) -> str:
    return str(version or "—").split("+")[0]


class Page:
    """What one run of the renderer knows: the words, the links, each page's reasons."""

    def __init__(self, history: Sequence[Record], output: Path, root: Path, language: str):
        if language not in WORDS:
            raise CompatError(f"language {language!r}; valid: {', '.join(LANGUAGES)}")
        self.words = WORDS[language]
        self.history = sorted(history, key=Record.sort_key)
        self.here = (root / output).parent
        self.root = root
        self.reasons: dict[str, int] = {}

    def link(self, claim: Mapping[str, Any]) -> str:
        target = Path(os.path.relpath(self.root / claim["sheet"], self.here)).as_posix()
        line = int(claim["line"])
        return f"[{Path(claim['sheet']).name}:{line}]({target}?plain=1#L{line})"

    def section(self, claim: Mapping[str, Any]) -> str:
        text = escape(shorten(claim["heading"], MAX_HEADING, markdown=True)) or "—"
        if claim["gate"]:
            text += f"<br>`{escape(claim['gate'])}`"
        return text

    def reason(self, text: str) -> str:
        """A reason said once under its page, referred to by number."""
        text = shorten(text, MAX_REASON, markdown=True)
        if text not in self.reasons:
            self.reasons[text] = len(self.reasons) + 1
        return f"[{self.reasons[text]}]"

    def outcome(self, claim: Mapping[str, Any] | None, symbols: bool = True) -> str:
        """``✅`` or ``✅; ⏭️ cpu-float16 [1]``: the commonest outcome bare, the others with their
        combinations; a non-passing outcome with its reason's number, unless the reason is the
        claim's gate (shown beside it) with the versions the run had."""
        if claim is None:
            return self.words["absent"]
        groups = claim["results"]
        if not groups:
            return self.words["not_run"]
        count: Counter[str] = Counter()
        for group in groups:
            count[group["outcome"]] += len(group["combinations"])
        common = count.most_common(1)[0][0]
        parts = []
        names = dict(zip(OUTCOMES, self.words["outcomes"].split(), strict=True))
        for group in groups:
            word = SYMBOLS[group["outcome"]] if symbols else names[group["outcome"]]
            if group["outcome"] != common:
                word += " " + ",".join(group["combinations"])
            gates = [gate for gate in claim["gate"].split(" ; ") if gate]
            if symbols and group["reason"] and not group["reason"].startswith(tuple(gates)):
                word += " " + self.reason(group["reason"])  # a gate's own skip: shown by it
            parts.append(word)
        return "; ".join(dict.fromkeys(parts))

    def render(self, history_name: str) -> str:
        words = self.words
        lines = [words["title"], "", words["intro"].format(history=history_name), ""]
        lines += [self.devices(), "", words["steps"], "", words["step_note"], ""]
        steps = [self.step(*step) for step in self.steps()]
        for changed, group in itertools.groupby(steps, key=lambda step: bool(step[1])):
            if not changed:  # steps that changed nothing, said together in one line
                lines += [words["no_change"].format(steps="; ".join(t for t, _ in group)), ""]
            for title, found in group if changed else ():
                lines += [f"### {title}", "", *found, ""]
        lines += [words["runs"], "", words["runs_head"], "| --- " * 6 + "|"]
        for record in self.history:
            lines.append(self.run_row(record))
        lines += ["", words["pages"], ""]
        for sheet in sorted({c["sheet"] for r in self.history for c in r.claims.values()}):
            lines += self.sheet(sheet)
        return "\n".join(lines).rstrip("\n") + "\n"

    def devices(self) -> str:
        seen: dict[str, set[str]] = defaultdict(set)
        for record in self.history:
            for name, description in record.devices.items():
                if description != "not available":
                    seen[name.split(":")[0].upper()].add(str(description))
        text = ", ".join(f"{n} ({', '.join(sorted(d))})" for n, d in sorted(seen.items()))
        never = self.words["never_cuda"] if "CUDA" not in seen else ""
        return self.words["devices"].format(devices=text or "—", never=never)

    def steps(self) -> list[tuple[Record, Record, list[str]]]:
        """Each run with the run it is an upgrade from: torch's steps, then NumPy's, then
        Python's, newest first."""
        found = []
        for record in self.history:
            base, packages = previous_run(record, self.history)
            if base is not None:
                found.append((record, base, packages))
        order = {package: index for index, package in enumerate(NAMES)}
        found.sort(key=lambda step: (-order[step[2][0]], step[0].sort_key()), reverse=True)
        return found

    def step(self, record: Record, base: Record, packages: list[str]) -> tuple[str, list[str]]:
        """The step's title, and its lines (none when no claim changed)."""
        first = packages[0]
        title = f"{NAMES[first]} {_plain(base.versions.get(first))} → "
        title += _plain(record.versions.get(first))
        if first != "torch":
            title += f" (torch {_plain(record.versions.get('torch'))})"
        found = self.change_lines(changes(base, record))
        if found and len(packages) > 1:
            names = ", ".join(NAMES[p] for p in packages[1:])
            found.insert(0, self.words["also"].format(packages=names) + "\n")
        return title, found

    def change_lines(self, found: Sequence[Change]) -> list[str]:
        """One line per page, gate and change (before → after), linked to its first example;
        what now fails first, then changes no gate explains, then gates that switched."""
        lines: dict[tuple[Any, ...], list[Change]] = {}
        for change in found:
            before = self.outcome(change.old, symbols=False)
            after = self.outcome(change.new, symbols=False)
            key = (change.claim["sheet"], change.claim["gate"], before, after)
            lines.setdefault(key, []).append(change)
        ranked = []
        for (_, gate, before, after), changes_ in lines.items():
            claims = [change.claim for change in changes_]
            headings = list(dict.fromkeys(claim["heading"] for claim in claims))
            text = f"- {self.link(claims[0])}{self.more(claims)} "
            text += escape(shorten(headings[0], 60, markdown=True)) + (
                " …" if len(headings) > 1 else ""
            )
            text += f": {before} → {after}" + (f" (`{escape(gate)}`)" if gate else "")
            fails = any(g["outcome"] in FAILING for g in (changes_[0].new or {}).get("results", []))
            ranked.append(((not fails, bool(gate)), text))
        return [text for _, text in sorted(ranked, key=lambda item: item[0])]

    def more(self, claims: Sequence[Mapping[str, Any]]) -> str:
        return f" ({self.words['examples'].format(count=len(claims))})" if len(claims) > 1 else ""

    def run_row(self, record: Record) -> str:
        count: Counter[str] = Counter()
        for claim in record.claims.values():
            for group in claim["results"]:
                count[group["outcome"]] += len(group["combinations"])
        counts = " ".join(f"{SYMBOLS[o]} {n}" for o, n in count.items() if n)
        partial = self.words["partial"] if record.partial else ""
        v = record.versions
        return (
            f"| {run_name(record)}{partial} | {v.get('torch', '—')} | {v.get('numpy', '—')} | "
            f"{v.get('python', '—')} | {counts} | {record.created[:10] or '—'} |"
        )

    def sheet(self, sheet: str) -> list[str]:
        self.reasons = {}
        runs = [r for r in self.history if sheet in r.sheets]
        latest: dict[str, Mapping[str, Any]] = {}
        for record in runs:
            latest.update({k: c for k, c in record.claims.items() if c["sheet"] == sheet})
        changed, same, never = [], [], []
        for key, claim in sorted(latest.items(), key=lambda item: int(item[1]["line"])):
            per_run = [(r, r.claims.get(key)) for r in runs]
            states = {state(c) for _, c in per_run if c is not None}
            outcomes = {g["outcome"] for _, c in per_run if c for g in c["results"]}
            if len(states) > 1 or outcomes & (FAILING | {"xpassed"}):
                changed.append((claim, per_run))
            elif outcomes <= {"skipped"}:
                never.append(claim)
            else:
                same.append(claim)
        target = Path(os.path.relpath(self.root / sheet, self.here)).as_posix()
        lines = [f"### [{sheet}]({target})", ""]
        if changed:
            lines += [self.words["changed_head"], "| --- | --- | --- |"]
            lines += self.rows([(claim, self.by_run(per_run)) for claim, per_run in changed])
            lines.append("")
        for title, claims in (("same", same), ("never", never)):
            if claims:
                summary = self.words[title].format(count=len(claims))
                lines += ["<details>", f"<summary>{summary}</summary>", ""]
                lines += [self.words["same_head"], "| --- | --- | --- |"]
                lines += self.rows([(claim, self.outcome(claim)) for claim in claims])
                lines += ["", "</details>", ""]
        if self.reasons:
            lines += [self.words["reasons"], ""]
            lines += [f"{n}. {escape(text)}" for text, n in self.reasons.items()]
            lines.append("")
        return lines

    def rows(self, cells: Sequence[tuple[Mapping[str, Any], str]]) -> list[str]:
        """Table rows: the examples of a code block with one gate and one outcome are one row."""
        rows: dict[tuple[Any, ...], list[Mapping[str, Any]]] = {}
        for claim, text in cells:
            rows.setdefault((claim["block"], claim["gate"], text), []).append(claim)
        return [
            f"| {self.link(claims[0])}{self.more(claims)} | {self.section(claims[0])} | {text} |"
            for (_, _, text), claims in rows.items()
        ]

    def by_run(self, per_run: Sequence[tuple[Record, Mapping[str, Any] | None]]) -> str:
        """Runs with the same outcome said together: ``torch 2.0–2.14: ✅<br>torch 2.15: ☑️``."""
        spans: list[tuple[list[Record], str]] = []
        for record, claim in per_run:
            text = self.outcome(claim)
            if spans and spans[-1][1] == text and _kind(spans[-1][0][-1]) == _kind(record):
                spans[-1][0].append(record)
            else:
                spans.append(([record], text))
        parts = []
        for records, text in spans:
            name = run_name(records[0])
            if len(records) > 1:
                name += "–" + run_name(records[-1]).partition(" ")[2]
            parts.append(f"{name}: {text}")
        return "<br>".join(parts)


def _kind(record: Record) -> tuple[str, str]:
    return record.label.split("-")[0], record.device


def render(
    history: Sequence[Record],
    output: Path,
    root: Path,
    language: str = "en",
    history_dir: Path | None = None,
) -> str:
    """The page's text."""
    name = Path(os.path.relpath(root / history_dir, root)).as_posix() if history_dir else "history"
    return Page(history, output, root, language).render(name)
