"""The sheets' claims across releases: a history kept per run, and the table made from it.

``record`` turns one JSON report (``--cheatsheet-report``) into ``<history>/<label>-<device>.json``
(one file per torch release, or Python version, and device), prints the claims whose outcome
changed, and rewrites the table; ``render`` rewrites the table from the history alone::

    python -m pytest_cheatsheet.compat record reports/torch-2.13.json --label torch-2.13 \\
        --history cheatsheet/history --output cheatsheet/COMPATIBILITY.md
    python -m pytest_cheatsheet.compat render --history cheatsheet/history \\
        --output cheatsheet/COMPATIBILITY.md

A claim is one example of a sheet, keyed by sheet, heading and a hash of its source (not its line,
which moves whenever the sheet is edited above it, nor its expected output, which is the claim).
Rendering needs only the standard library; recording parses the sheets with the plugin.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import re
import sys
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_cheatsheet.report import write_atomically

REPORT_SCHEMAS = (1, 2)
HISTORY_SCHEMA = 1
OUTCOMES = ("passed", "failed", "error", "skipped", "xfailed", "xpassed")
FAILING = frozenset({"failed", "error"})
SYMBOLS = {
    "passed": "✅",
    "failed": "❌",
    "error": "💥",
    "skipped": "⏭️",
    "xfailed": "☑️",
    "xpassed": "⚠️",
    "absent": "—",
}
UNAVAILABLE_DEVICE = "is not available"
MAX_CELL_TEXT = 120
MAX_SENTENCE = 160
_LABEL = re.compile(r"^(?P<kind>torch|python)-(?P<version>\d+(?:\.\d+)*)$")
_HAVE = re.compile(r"\s*\(have [^)]*\)")
_REQUIRES = re.compile(r"\brequires\s+(torch|numpy|python)\b", re.IGNORECASE)
_GATE_PACKAGE = re.compile(r"\b(torch|numpy|python)\s*[<>=!~]", re.IGNORECASE)
_FIRST_DIFFERENCE = re.compile(r"^First difference:\s*", re.IGNORECASE)

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "title": "# Compatibility of the sheets' claims",
        "intro": (
            "Generated from `{history}` (one file per release and device) by `nox -s compat`; "
            "`nox -s upgrade -- <release>` adds a release. Do not edit by hand."
        ),
        "runs": "| Run | torch | Python | NumPy | CUDA | Devices | Recorded |",
        "counts": "| Run | claims | " + " | ".join(OUTCOMES) + " |",
        "counts_note": "Counts are claims × combinations; skips of absent devices are left out.",
        "changed": "## Claims whose outcome differs between runs, or that fail: {count}",
        "changed_note": (
            "One row per claim (a block whose examples changed alike counts once); "
            "the cause says which package's version made the difference."
        ),
        "claim": "Claim",
        "section": "Section",
        "cause": "Cause",
        "unchanged": "Claims with the same outcome on every run: {count}",
        "outcome": "Outcome on every run",
        "examples": "{count} examples",
        "partial": " (partial)",
        "not_run": "not run",
        "unknown": "unknown",
        "none": "None.",
    },
    "zh": {
        "title": "# 兼容性表（Compatibility）",
        "intro": (
            "由 `nox -s compat` 从 `{history}`（每个版本、每种设备一个文件）生成；"
            "`nox -s upgrade -- <版本>` 加入一个新版本。请勿手工编辑。"
        ),
        "runs": "| 运行 | torch | Python | NumPy | CUDA | 设备 | 记录时间 |",
        "counts": "| 运行 | 断言 | " + " | ".join(OUTCOMES) + " |",
        "counts_note": "计数为断言 × 组合；不可用设备上的跳过不计入。",
        "changed": "## 在不同运行间结果不同或失败的断言：{count} 个",
        "changed_note": (
            "每个断言一行（同一代码块里变化相同的示例只算一次）；"
            "“原因”一列说明是哪个包的版本造成了差异。"
        ),
        "claim": "断言",
        "section": "小节",
        "cause": "原因",
        "unchanged": "在每次运行中结果都相同的断言：{count} 个",
        "outcome": "每次运行的结果",
        "examples": "{count} 个示例",
        "partial": "（部分）",
        "not_run": "未运行",
        "unknown": "未知",
        "none": "无。",
    },
}
LANGUAGES = tuple(WORDS)


class CompatError(ValueError):
    """A report or history file that cannot be used; the message names the file."""


ReportError = CompatError  # the name earlier versions exported


# --- reports -------------------------------------------------------------------------------------


def load_report(path: Path) -> dict[str, Any]:
    """A JSON report of schema 1 or 2 (2 adds ``expected``/``printed`` to failed doctests)."""
    document = _read_json(path, "JSON report")
    schema = document.get("schema")
    if schema not in REPORT_SCHEMAS:
        raise CompatError(
            f"{path}: report schema {schema!r}; this version reads schemas "
            f"{', '.join(map(str, REPORT_SCHEMAS))}"
        )
    for index, result in enumerate(document.get("results", ())):
        missing = {"sheet", "line", "heading", "combination", "outcome"} - set(result)
        if missing:
            raise CompatError(f"{path}: result {index} lacks {', '.join(sorted(missing))}")
        if result["outcome"] not in OUTCOMES:
            raise CompatError(
                f"{path}: result {index} has outcome {result['outcome']!r}; "
                f"valid: {', '.join(OUTCOMES)}"
            )
    return document


def _read_json(path: Path, what: str) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CompatError(f"{path}: not a readable {what}: {error}") from None
    if not isinstance(document, dict):
        raise CompatError(f"{path}: not a {what} (a JSON object is expected)")
    return document


def device_of(document: Mapping[str, Any]) -> str:
    """The machine's kind: ``cpu``, or the accelerators it had (``cuda``), from a report."""
    devices = document.get("devices") or {}
    present = sorted(
        name.split(":")[0]
        for name, description in devices.items()
        if name != "cpu" and "not available" not in str(description)
    )
    return "-".join(dict.fromkeys(present)) or "cpu"


def default_label(document: Mapping[str, Any]) -> str:
    torch = str(document.get("versions", {}).get("torch", "0"))
    return "torch-" + ".".join(torch.split("+")[0].split(".")[:2])


# --- claims --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExampleInfo:
    """What the sheet says about one example: its key, block, gate and the gate's sentence."""

    key: str
    heading: str
    block: int
    gate: str
    sentence: str


def describe_examples(sheet: Path, name: str) -> dict[int, ExampleInfo]:
    """Each example of ``sheet`` by line, keyed robustly (needs the plugin and Sybil)."""
    from pytest_cheatsheet.sheet import make_sybil, parse_sheet

    parsed = parse_sheet(sheet, make_sybil(sheet.parent))
    lines = parsed.text.split("\n")
    seen: dict[str, int] = defaultdict(int)
    info = {}
    for step in parsed.examples:
        source = getattr(step.region.parsed, "source", step.region.parsed)
        digest = hashlib.sha1(str(source).encode("utf-8")).hexdigest()[:10]
        base = f"{name}|{step.heading}|{digest}"
        seen[base] += 1
        key = base if seen[base] == 1 else f"{base}|{seen[base]}"
        gates = " ; ".join(f"{gate.kind} {gate.text}" for gate in step.gates)
        sentence = _sentence_before(lines, step.gates[0].line) if step.gates else ""
        info[step.line] = ExampleInfo(
            key, step.heading, _block_start(lines, step.line), gates, sentence
        )
    return info


def _block_start(lines: list[str], line: int) -> int:
    """The line (1-based) that opens the code block holding ``line``."""
    for number in range(line - 1, 0, -1):
        stripped = lines[number - 1].lstrip(" >-*")
        if stripped.startswith(("```", "~~~")) or "invisible-code-block" in stripped:
            return number
    return line


def _sentence_before(lines: list[str], line: int) -> str:
    """The paragraph just above a gate directive (what the gate states in words), shortened."""
    number = line - 1
    while number >= 1 and not lines[number - 1].strip():
        number -= 1
    paragraph: list[str] = []
    while number >= 1 and lines[number - 1].strip():
        paragraph.insert(0, lines[number - 1].strip())
        number -= 1
    if not paragraph or paragraph[0].startswith(("#", "```", "~~~", "<!--", "|")):
        return ""
    return _shorten(" ".join(paragraph), MAX_SENTENCE)


def _shorten(text: str, limit: int = MAX_CELL_TEXT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _first_difference(result: Mapping[str, Any]) -> str:
    """``expected X, printed Y`` at the first line that differs, else the failure's reason."""
    expected, printed = result.get("expected"), result.get("printed")
    if isinstance(expected, str) and isinstance(printed, str):
        want, got = expected.splitlines(), printed.splitlines()
        for index in range(max(len(want), len(got))):
            a = want[index] if index < len(want) else "(nothing)"
            b = got[index] if index < len(got) else "(nothing)"
            if a.strip() != b.strip():
                return f"expected {a.strip()!r}, printed {b.strip()!r}"
    return _FIRST_DIFFERENCE.sub("", str(result.get("reason", "")))


def _groups(results: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One claim's results grouped by outcome (and reason), combinations sorted."""
    grouped: dict[tuple[str, str], list[str]] = defaultdict(list)
    for result in results:
        outcome = result["outcome"]
        if outcome in FAILING:
            reason = _first_difference(result)
        elif outcome == "passed":
            reason = ""
        else:
            reason = _HAVE.sub("", str(result.get("reason", "")))
        grouped[(outcome, _shorten(reason, 300))].append(str(result["combination"]))
    return [
        {"outcome": outcome, "combinations": sorted(set(combos)), "reason": reason}
        for (outcome, reason), combos in sorted(
            grouped.items(), key=lambda item: (OUTCOMES.index(item[0][0]), item[0][1])
        )
    ]


def claims_from_report(
    document: Mapping[str, Any], root: Path, describe: Any = describe_examples
) -> tuple[dict[str, dict[str, Any]], dict[str, list[str]], list[str]]:
    """(claims by key, combinations run per sheet, problems) of one report.

    Combinations skipped because their device is absent say nothing about the release: another
    machine's record holds them. A result at a line where the sheet now has no example, or one
    under another heading, means the sheet changed since the run: its results could land on the
    wrong claims, so the report is refused.
    """
    by_example: dict[tuple[str, int], list[Mapping[str, Any]]] = defaultdict(list)
    for result in document.get("results", ()):
        by_example[(str(result["sheet"]), int(result["line"]))].append(result)
    combinations: dict[str, set[str]] = defaultdict(set)
    infos: dict[str, dict[int, ExampleInfo]] = {}
    problems: list[str] = []
    for sheet, _ in by_example:
        if sheet not in infos:
            try:
                infos[sheet] = describe(root / sheet, sheet)
            except Exception as error:  # a sheet removed or broken since the run
                raise CompatError(
                    f"{sheet}: cannot read the sheet to key its claims ({error}); "
                    f"record from the folder the run was made in (--root)"
                ) from None
    stale = [
        f"{sheet}:{line}"
        for (sheet, line), results in sorted(by_example.items())
        if line not in infos[sheet] or infos[sheet][line].heading != results[0]["heading"]
    ]
    if stale:
        raise CompatError(
            f"the report does not match the sheets as they are now (no such example at "
            f"{', '.join(stale[:3])}{' and others' if len(stale) > 3 else ''}): a sheet changed "
            "since the run; run the sheets again"
        )
    claims: dict[str, dict[str, Any]] = {}
    for (sheet, line), results in sorted(by_example.items()):
        kept = [r for r in results if UNAVAILABLE_DEVICE not in str(r.get("reason", ""))]
        combinations[sheet].update(str(r["combination"]) for r in kept)
        if not kept:
            continue
        info = infos[sheet][line]
        claims[info.key] = {
            "sheet": sheet,
            "line": line,
            "heading": info.heading,
            "block": info.block,
            "gate": info.gate,
            "sentence": info.sentence,
            "results": _groups(kept),
        }
    for sheet, info_by_line in infos.items():
        missing = [line for line in info_by_line if (sheet, line) not in by_example]
        if missing:
            problems.append(
                f"{sheet}: {len(missing)} examples not in the report (lines {missing[:5]})"
            )
    return claims, {s: sorted(c) for s, c in combinations.items()}, problems


# --- history -------------------------------------------------------------------------------------


@dataclass
class Record:
    """One run's results: a release (or Python version) on one kind of machine."""

    label: str
    device: str
    versions: dict[str, Any]
    devices: dict[str, Any]
    created: str
    partial: bool
    sheets: dict[str, list[str]]
    claims: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        match = _LABEL.match(self.label)
        return match.group("kind") if match else "other"

    @property
    def version(self) -> tuple[int, ...]:
        match = _LABEL.match(self.label)
        return tuple(int(p) for p in match.group("version").split(".")) if match else ()

    @property
    def filename(self) -> str:
        return f"{self.label}-{self.device}.json"

    def sort_key(self) -> tuple[int, tuple[int, ...], str]:
        return ({"torch": 0, "python": 1}.get(self.kind, 2), self.version, self.device)

    def to_text(self) -> str:
        """The file's text: a header, then one line per claim, grouped by sheet (compact: a claim
        that passed in every combination its sheet ran says ``"passed"``)."""
        head = {
            "history": HISTORY_SCHEMA,
            "label": self.label,
            "device": self.device,
            "versions": self.versions,
            "devices": self.devices,
            "created": self.created,
            "partial": self.partial,
        }
        by_sheet: dict[str, list[str]] = defaultdict(list)
        for key in sorted(self.claims, key=lambda k: (self.claims[k]["sheet"], k)):
            claim = self.claims[key]
            by_sheet[claim["sheet"]].append(
                f"   {_dump(key.split('|', 1)[1])}: {_dump(_compact(claim, self.sheets))}"
            )
        sheets = []
        for sheet in sorted(set(self.sheets) | set(by_sheet)):
            claims = ",\n".join(by_sheet.get(sheet, []))
            sheets.append(
                f'  {_dump(sheet)}: {{"combinations": {_dump(self.sheets.get(sheet, []))}, '
                f'"claims": {{\n{claims}\n  }}}}'
            )
        return _dump(head)[:-1] + ', "sheets": {\n' + ",\n".join(sheets) + "\n}}\n"


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=False)


_CLAIM_KEY = re.compile(r"^(?P<heading>.*)\|(?P<digest>[0-9a-f]{10})(?:\|(?P<n>\d+))?$", re.DOTALL)


def _compact(claim: Mapping[str, Any], sheets: Mapping[str, list[str]]) -> dict[str, Any]:
    results: Any = [
        [g["outcome"], " ".join(g["combinations"])] + ([g["reason"]] if g["reason"] else [])
        for g in claim["results"]
    ]
    if claim["results"] == [
        {"outcome": "passed", "combinations": sheets.get(claim["sheet"]), "reason": ""}
    ]:
        results = "passed"
    compact = {"line": claim["line"], "block": claim["block"], "results": results}
    compact.update({k: claim[k] for k in ("gate", "sentence") if claim.get(k)})
    return compact


def _expand(
    sheet: str, key: str, compact: Mapping[str, Any], combinations: list[str]
) -> dict[str, Any]:
    match = _CLAIM_KEY.match(key)
    if match is None:
        raise ValueError(f"claim key {key!r} (heading|digest expected)")
    results = compact["results"]
    if results == "passed":
        groups = [{"outcome": "passed", "combinations": list(combinations), "reason": ""}]
    else:
        groups = [
            {
                "outcome": str(group[0]),
                "combinations": str(group[1]).split(),
                "reason": str(group[2]) if len(group) > 2 else "",
            }
            for group in results
        ]
    for group in groups:
        if group["outcome"] not in OUTCOMES:
            raise ValueError(f"outcome {group['outcome']!r} of {sheet} {key!r}")
    return {
        "sheet": sheet,
        "line": int(compact["line"]),
        "heading": match.group("heading"),
        "block": int(compact["block"]),
        "gate": str(compact.get("gate", "")),
        "sentence": str(compact.get("sentence", "")),
        "results": groups,
    }


def load_record(path: Path) -> Record:
    document = _read_json(path, "history file")
    if document.get("history") != HISTORY_SCHEMA:
        raise CompatError(
            f"{path}: history schema {document.get('history')!r}, expected {HISTORY_SCHEMA}"
        )
    try:
        sheets = {str(k): list(v["combinations"]) for k, v in document["sheets"].items()}
        claims = {
            f"{sheet}|{key}": _expand(sheet, key, compact, sheets[sheet])
            for sheet, entry in document["sheets"].items()
            for key, compact in entry["claims"].items()
        }
        record = Record(
            label=str(document["label"]),
            device=str(document["device"]),
            versions=dict(document["versions"]),
            devices=dict(document.get("devices") or {}),
            created=str(document.get("created", "")),
            partial=bool(document.get("partial", False)),
            sheets=sheets,
            claims=claims,
        )
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as error:
        raise CompatError(f"{path}: not a history file: missing or bad {error}") from None
    if not _LABEL.match(record.label):
        raise CompatError(
            f"{path}: label {record.label!r}; valid: torch-<version> or python-<version>"
        )
    return record


def load_history(directory: Path) -> list[Record]:
    if not directory.is_dir():
        return []
    records = [load_record(path) for path in sorted(directory.glob("*.json"))]
    return sorted(records, key=Record.sort_key)


@dataclass
class Recorded:
    """What ``record`` did: the record now kept, the one it replaced, and what it said."""

    record: Record
    previous: Record | None
    action: str
    messages: list[str]


def record_report(
    document: Mapping[str, Any],
    history: Sequence[Record],
    root: Path,
    label: str | None = None,
    partial: bool = False,
    describe: Any = describe_examples,
) -> Recorded:
    """The history record after this report: replaced by a full run, merged from a partial one.

    A run is partial when asked (``--partial``: the run was narrowed), when examples of its sheets
    are missing from it, or when it ran fewer sheets or combinations than the full record it would
    replace. A partial run never replaces a full one: it is merged into it, claim by claim and
    combination by combination, or refused when it ran on other versions.
    """
    label = label or default_label(document)
    if not _LABEL.match(label):
        raise CompatError(f"label {label!r}; valid: torch-<version> or python-<version>")
    claims, sheets, problems = claims_from_report(document, root, describe)
    new = Record(
        label=label,
        device=device_of(document),
        versions=dict(document.get("versions", {})),
        devices=dict(document.get("devices") or {}),
        created=str(document.get("created", "")),
        partial=partial,
        sheets=sheets,
        claims=claims,
    )
    messages = list(problems)
    old = next((r for r in history if r.filename == new.filename), None)
    reasons = []
    if partial:
        reasons.append("the run was narrowed (pytest options)")
    if any("examples not in the report" in problem for problem in problems):
        reasons.append("examples of its sheets are missing from the report")
    if old is not None and not old.partial:
        fewer = sorted(
            sheet
            for sheet, combos in old.sheets.items()
            if (root / sheet).exists() and not set(combos) <= set(sheets.get(sheet, ()))
        )
        if fewer:
            reasons.append(f"it ran fewer sheets or combinations ({', '.join(fewer[:3])})")
    if not reasons:
        if old is not None and _same_results(old, new):
            return Recorded(old, old, "unchanged", messages)
        return Recorded(new, old, "replaced" if old else "added", messages)
    new.partial = True
    why = "; ".join(reasons)
    if old is None:
        messages.append(f"partial run ({why}): recorded as partial; a full run will replace it")
        return Recorded(new, None, "added", messages)
    if _versions(old) != _versions(new):
        raise CompatError(
            f"partial run ({why}) on {_versions_text(new)} refused: the record "
            f"{old.filename} is of {_versions_text(old)}; run every sheet to replace it"
        )
    merged = _merge(old, new, root, describe)
    if _same_results(old, merged):
        messages.append(f"partial run ({why}): merged into {old.filename}; nothing changed")
        return Recorded(old, old, "unchanged", messages)
    messages.append(
        f"partial run ({why}): merged into {old.filename}: {len(new.claims)} claims updated, "
        "the others kept"
    )
    return Recorded(merged, old, "merged", messages)


def _versions(record: Record) -> tuple[Any, ...]:
    return tuple(record.versions.get(k) for k in ("torch", "python", "numpy"))


def _versions_text(record: Record) -> str:
    torch, python, numpy = _versions(record)
    return f"torch {torch}, Python {python}, NumPy {numpy}"


def _same_results(a: Record, b: Record) -> bool:
    return (
        a.claims == b.claims
        and _versions(a) == _versions(b)
        and a.sheets == b.sheets
        and a.partial == b.partial
    )


def _merge(old: Record, new: Record, root: Path, describe: Any) -> Record:
    claims = {key: dict(claim) for key, claim in old.claims.items()}
    for key, claim in new.claims.items():
        if key in claims:
            ran = {c for group in claim["results"] for c in group["combinations"]}
            kept = [
                {**g, "combinations": [c for c in g["combinations"] if c not in ran]}
                for g in claims[key]["results"]
            ]
            groups = [g for g in kept if g["combinations"]] + claim["results"]
            claim = {**claim, "results": _regroup(groups)}
        claims[key] = claim
    # claims of sheets the partial run covered that the sheets no longer have are dropped
    for sheet in new.sheets:
        try:
            present = {info.key for info in describe(root / sheet, sheet).values()}
        except Exception:
            continue
        for key in [k for k, c in claims.items() if c["sheet"] == sheet and k not in present]:
            del claims[key]
    sheets = {s: sorted(set(c) | set(new.sheets.get(s, ()))) for s, c in old.sheets.items()}
    for sheet, combos in new.sheets.items():
        sheets.setdefault(sheet, combos)
    return Record(
        label=old.label,
        device=old.device,
        versions=old.versions,
        devices=old.devices,
        created=old.created,
        partial=old.partial,
        sheets=sheets,
        claims=claims,
    )


def _regroup(groups: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    results = [
        {"outcome": g["outcome"], "combination": c, "reason": g["reason"]}
        for g in groups
        for c in g["combinations"]
    ]
    merged: dict[tuple[str, str], list[str]] = defaultdict(list)
    for r in results:
        merged[(r["outcome"], r["reason"])].append(r["combination"])
    return [
        {"outcome": o, "combinations": sorted(set(c)), "reason": reason}
        for (o, reason), c in sorted(
            merged.items(), key=lambda i: (OUTCOMES.index(i[0][0]), i[0][1])
        )
    ]


# --- comparing -----------------------------------------------------------------------------------


def state(claim: Mapping[str, Any] | None) -> tuple[tuple[str, tuple[str, ...], str], ...]:
    """What is compared between runs: outcomes, their combinations, and reasons of non-failures
    (a failure that fails differently has not changed outcome)."""
    if claim is None:
        return ()
    return tuple(
        (g["outcome"], tuple(g["combinations"]), "" if g["outcome"] in FAILING else g["reason"])
        for g in claim["results"]
    )


def baseline_for(new: Record, previous: Record | None, history: Sequence[Record]) -> Record | None:
    """What a run is compared with: its own earlier record, else the nearest earlier release."""
    if previous is not None:
        return previous
    earlier = [
        r
        for r in history
        if r.kind == new.kind and r.device == new.device and r.version < new.version
    ]
    return max(earlier, key=Record.sort_key) if earlier else None


@dataclass(frozen=True)
class Change:
    claim: Mapping[str, Any]
    old: Mapping[str, Any] | None
    new: Mapping[str, Any] | None

    @property
    def broke(self) -> bool:
        """A claim that held (passed everywhere it ran) and now fails."""
        held = self.old is not None and {g["outcome"] for g in self.old["results"]} <= {
            "passed",
            "skipped",
            "xfailed",
        }
        fails = self.new is not None and any(g["outcome"] in FAILING for g in self.new["results"])
        return held and fails


def changes(old: Record, new: Record) -> list[Change]:
    """Claims whose outcome differs, in sheet and line order; only sheets both runs ran."""
    common = set(old.sheets) & set(new.sheets)
    found = []
    for key in set(old.claims) | set(new.claims):
        before, after = old.claims.get(key), new.claims.get(key)
        claim = after or before
        assert claim is not None
        if claim["sheet"] not in common or state(before) == state(after):
            continue
        found.append(Change(claim, before, after))
    return sorted(found, key=lambda c: (c.claim["sheet"], int(c.claim["line"])))


def describe_results(claim: Mapping[str, Any] | None) -> str:
    """A claim's outcome in one line of plain text: ``passed``, ``failed (cpu-float16)``."""
    if claim is None:
        return "absent"
    by_outcome: dict[str, list[str]] = defaultdict(list)
    for group in claim["results"]:
        by_outcome[group["outcome"]] += group["combinations"]
    if len(by_outcome) == 1:
        return next(iter(by_outcome))
    return ", ".join(f"{o} ({' '.join(sorted(c))})" for o, c in by_outcome.items())


def change_lines(found: Sequence[Change]) -> list[str]:
    lines = []
    for change in found:
        claim = change.claim
        lines.append(
            f"{claim['sheet']}:{claim['line']}  {claim['heading'] or '-'}  "
            f"{describe_results(change.old)} -> {describe_results(change.new)}"
        )
        for group in (change.new or {"results": []})["results"]:
            if group["outcome"] in FAILING and group["reason"]:
                lines.append(f"    {' '.join(group['combinations'])}: {group['reason']}")
    return lines


# --- the table -----------------------------------------------------------------------------------


@dataclass
class Column:
    """One table column: every record (one per device) of one release or Python version."""

    label: str
    records: list[Record]

    @property
    def header(self) -> str:
        kind, _, version = self.label.partition("-")
        name = f"torch {version}" if kind == "torch" else f"Python {version}"
        return name

    def sheets(self) -> set[str]:
        return {sheet for record in self.records for sheet in record.sheets}

    def claim(self, key: str) -> dict[str, Mapping[str, Any] | None]:
        return {record.device: record.claims.get(key) for record in self.records}


def columns(history: Sequence[Record]) -> list[Column]:
    by_label: dict[str, list[Record]] = defaultdict(list)
    for record in sorted(history, key=Record.sort_key):
        by_label[record.label].append(record)
    return [Column(label, records) for label, records in by_label.items()]


def _cell(per_device: Mapping[str, Mapping[str, Any] | None], words: Mapping[str, str]) -> str:
    texts = {device: _cell_text(claim, words) for device, claim in per_device.items()}
    if len(set(texts.values())) == 1:
        return next(iter(texts.values()))
    return "<br>".join(f"{device}: {text}" for device, text in texts.items())


def _cell_text(claim: Mapping[str, Any] | None, words: Mapping[str, str]) -> str:
    if claim is None:
        return SYMBOLS["absent"]
    groups = claim["results"]
    parts = []
    for group in groups:
        text = SYMBOLS[group["outcome"]]
        if len(groups) > 1:
            text += f" {','.join(group['combinations'])}"
        if group["outcome"] != "passed" and group["reason"]:
            text += (":" if len(groups) > 1 else "") + f" {_escape(_shorten(group['reason']))}"
        parts.append(text)
    return "<br>".join(parts)


_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")


def _escape(text: str) -> str:
    """Safe in a table cell, in or out of a code span: ``|`` escaped, and ``<`` only where it
    would open an HTML tag (``torch<2.4`` stays as written)."""
    return _TAG_START.sub("&lt;", text.replace("|", "\\|"))


Cells = dict[str, "Mapping[str, Any] | None"]


@dataclass
class Row:
    """A claim, or a block whose claims are alike on every run, with its cells by column."""

    claims: list[Mapping[str, Any]]
    ran: dict[str, Cells]  # by column label: only the columns that ran the claim's sheet

    @property
    def differs(self) -> bool:
        """Whether its outcome differs between runs (on one kind of machine), or it fails
        somewhere: a failure is never folded away."""
        by_device: dict[str, set[Any]] = defaultdict(set)
        fails = False
        for cells in self.ran.values():
            for device, claim in cells.items():
                by_device[device].add(state(claim))
                fails = fails or any(
                    group["outcome"] in FAILING or group["outcome"] == "xpassed"
                    for group in (claim["results"] if claim else ())
                )
        return fails or any(len(states) > 1 for states in by_device.values())


def table_rows(history: Sequence[Record], cols: Sequence[Column]) -> list[Row]:
    """The table's rows in sheet and line order (the newest record's line)."""
    latest: dict[str, Mapping[str, Any]] = {}
    for record in sorted(history, key=Record.sort_key):
        latest.update(record.claims)
    rows: dict[tuple[Any, ...], Row] = {}
    ordered = sorted(latest.items(), key=lambda item: (item[1]["sheet"], int(item[1]["line"])))
    for key, claim in ordered:
        ran = {col.label: col.claim(key) for col in cols if claim["sheet"] in col.sheets()}
        states = tuple(
            (label, tuple(sorted((d, state(c)) for d, c in cells.items())))
            for label, cells in ran.items()
        )
        group = (claim["sheet"], claim["block"], claim["gate"], states)
        if group in rows:
            rows[group].claims.append(claim)
        else:
            rows[group] = Row([claim], ran)
    return sorted(rows.values(), key=lambda r: (r.claims[0]["sheet"], int(r.claims[0]["line"])))


_PACKAGE_NAMES = {"torch": "torch", "numpy": "NumPy", "python": "Python"}


def _cause(row: Row, cols: Sequence[Column], words: Mapping[str, str]) -> str:
    """Which package made the difference: a gate's package, else what changed between runs."""
    causes = [
        _PACKAGE_NAMES[match.group(1).lower()]
        for match in _GATE_PACKAGE.finditer(row.claims[0]["gate"])
    ]
    for cells in row.ran.values():
        for claim in cells.values():
            for group in claim["results"] if claim else ():
                for match in _REQUIRES.finditer(group["reason"]):
                    causes.append(_PACKAGE_NAMES[match.group(1).lower()])
    if not causes:
        ran = [col for col in cols if col.label in row.ran]
        for a, b in itertools.pairwise(ran):
            if _cells_state(row.ran[a.label]) == _cells_state(row.ran[b.label]):
                continue
            before, after = a.records[0].versions, b.records[0].versions
            for package, name in _PACKAGE_NAMES.items():
                if before.get(package) != after.get(package):
                    causes.append(name)
    return ", ".join(dict.fromkeys(causes)) or words["unknown"]


def _cells_state(cells: Cells) -> tuple[Any, ...]:
    return tuple(sorted((device, state(claim)) for device, claim in cells.items()))


def render(
    history: Sequence[Record],
    output: Path,
    root: Path,
    language: str = "en",
    history_dir: Path | None = None,
) -> str:
    """The Markdown table: claims that differ between runs first, then the rest folded."""
    if language not in WORDS:
        raise CompatError(f"language {language!r}; valid: {', '.join(LANGUAGES)}")
    words = WORDS[language]
    cols = columns(history)
    here = output.parent

    def link(sheet: str, line: int) -> str:
        target = Path(os.path.relpath(root / sheet, root / here)).as_posix()
        return f"[{Path(sheet).name}:{line}]({target}?plain=1#L{line})"

    history_name = (
        Path(os.path.relpath(root / history_dir, root)).as_posix() if history_dir else "history"
    )
    lines = [words["title"], "", words["intro"].format(history=history_name), "", words["runs"]]
    lines.append("| --- " * 7 + "|")
    for col in cols:
        for record in col.records:
            v = record.versions
            devices = ", ".join(f"{n}: {d}" for n, d in record.devices.items()) or "—"
            partial = words["partial"] if record.partial else ""
            lines.append(
                f"| {col.header} ({record.device}){partial} | {v.get('torch', '—')} | "
                f"{v.get('python', '—')} | {v.get('numpy', '—')} | {v.get('cuda') or '—'} | "
                f"{devices} | {record.created or '—'} |"
            )
    lines += ["", words["counts"], "| --- " * (len(OUTCOMES) + 2) + "|"]
    for col in cols:
        for record in col.records:
            counts: dict[str, int] = defaultdict(int)
            for claim in record.claims.values():
                for group in claim["results"]:
                    counts[group["outcome"]] += len(group["combinations"])
            lines.append(
                f"| {col.header} ({record.device}) | {len(record.claims)} | "
                + " | ".join(str(counts[o]) for o in OUTCOMES)
                + " |"
            )
    lines += ["", words["counts_note"], ""]

    rows = table_rows(history, cols)
    differing = [row for row in rows if row.differs]
    alike = [row for row in rows if not row.differs]

    def where(row: Row) -> str:
        first = row.claims[0]
        text = link(first["sheet"], int(first["line"]))
        if len(row.claims) > 1:
            text += f" ({words['examples'].format(count=len(row.claims))})"
        return text

    def section(row: Row) -> str:
        first = row.claims[0]
        text = _escape(_shorten(first["heading"])) or "—"
        if first["gate"]:
            text += f"<br>`{_escape(first['gate'])}`"
            if first["sentence"]:
                text += f" {_escape(first['sentence'])}"
        return text

    lines += [words["changed"].format(count=len(differing)), "", words["changed_note"], ""]
    if differing:
        lines.append(
            f"| {words['claim']} | {words['section']} | {words['cause']} | "
            + " | ".join(col.header for col in cols)
            + " |"
        )
        lines.append("| --- " * (3 + len(cols)) + "|")
        for row in differing:
            texts = [
                _cell(row.ran[col.label], words) if col.label in row.ran else words["not_run"]
                for col in cols
            ]
            lines.append(
                f"| {where(row)} | {section(row)} | {_cause(row, cols, words)} | "
                + " | ".join(texts)
                + " |"
            )
    else:
        lines.append(words["none"])
    lines += [
        "",
        "---",
        "",
        "<details>",
        f"<summary>{words['unchanged'].format(count=len(alike))}</summary>",
        "",
        f"| {words['claim']} | {words['section']} | {words['outcome']} |",
        "| --- | --- | --- |",
    ]
    for row in alike:
        cells = next(iter(row.ran.values()), None)
        outcome = _cell(cells, words) if cells is not None else words["not_run"]
        lines.append(f"| {where(row)} | {section(row)} | {outcome} |")
    lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def _write(path: Path, text: str) -> None:
    """Atomically; a new file gets the usual permissions (the temporary file's are 0600)."""
    new = not path.exists()
    write_atomically(path, text)
    if new:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(path, 0o666 & ~umask)


# --- the command ---------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pytest_cheatsheet.compat",
        description="Keep the sheets' results per release and write the compatibility table.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    record = commands.add_parser("record", help="record one JSON report, print what changed")
    record.add_argument("report", type=Path, help="a JSON report (--cheatsheet-report)")
    record.add_argument(
        "--label", help="torch-<release> or python-<version> (default: torch-<major.minor>)"
    )
    record.add_argument(
        "--partial", action="store_true", help="the run was narrowed: merge, never replace"
    )
    record.add_argument(
        "--pytest-status",
        type=Path,
        help="a file holding pytest's exit status: non-zero fails the command too",
    )
    render_command = commands.add_parser("render", help="rewrite the table from the history")
    for command in (record, render_command):
        command.add_argument("--history", type=Path, required=True, help="the history folder")
        command.add_argument("--output", type=Path, required=True, help="the table to write")
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
        _write(path, text)
        print(f"wrote {path}: {len(columns(history))} columns, {len(history)} records")
    else:
        print(f"{path} unchanged")
    return 0


def _record(arguments: argparse.Namespace) -> int:
    document = load_report(arguments.report)
    history = load_history(arguments.history)
    recorded = record_report(
        document, history, arguments.root, label=arguments.label, partial=arguments.partial
    )
    for message in recorded.messages:
        print(message)
    new = recorded.record
    path = arguments.history / new.filename
    if recorded.action != "unchanged":
        _write(path, new.to_text())
    print(f"{path}: {recorded.action}")
    history = [r for r in history if r.filename != new.filename] + [new]
    _render(arguments, sorted(history, key=Record.sort_key))

    # compared with what was recorded: the same run before, else the nearest earlier release
    base = baseline_for(new, recorded.previous, history)
    if base is None:
        print(f"{new.label} ({new.device}): no earlier run to compare with")
    else:
        what = "as recorded before" if base is recorded.previous else ""
        found = changes(base, new)
        print(
            f"{new.label} ({new.device}) compared with {base.label} ({base.device}) {what}".rstrip()
            + ":"
        )
        if found:
            for line in change_lines(found):
                print(line)
            print(f"{len(found)} claims changed")
        else:
            print("no claim changed")
    failing = [
        claim
        for claim in new.claims.values()
        if any(group["outcome"] in FAILING for group in claim["results"])
    ]
    if failing:
        print(f"{len(failing)} claims fail on {new.label} ({new.device})")
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
