"""Reports in, history files out: one record per run (a release, or Python version, and device).

Only reports (schema 3, whose results carry their claims, computed at collection) and history
files are read, never a sheet's content, nor a message's text: a sheet file is read only for the
digest that says whether it changed since the run.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_cheatsheet import outcomes
from pytest_cheatsheet.history.claims import text_digest
from pytest_cheatsheet.outcomes import FAILING
from pytest_cheatsheet.report import REQUIRED_FIELDS, SCHEMA_VERSION

HISTORY_SCHEMAS = (1, 2)  # 1: no sheet digests, the gate's sentence named "sentence"
HISTORY_SCHEMA = 2
# A claim's outcomes in the order the history lists them: passed, then failing, then the rest.
OUTCOMES = tuple(sorted(outcomes.OUTCOMES, key=lambda o: (o != "passed", o not in FAILING)))
PACKAGES = ("torch", "numpy", "python")  # what a run's versions are compared by
_LABEL = re.compile(r"^[a-z][a-z0-9]*-\d+(\.\d+)*(-[a-z0-9.]+)*$")


class CompatError(ValueError):
    """A report or history file that cannot be used; the message names the file and why."""


# --- reports -------------------------------------------------------------------------------------


def read_json(path: Path, what: str) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CompatError(f"{path}: not a readable {what}: {error}") from None
    if not isinstance(document, dict):
        raise CompatError(f"{path}: not a {what} (a JSON object is expected)")
    return document


def load_report(path: Path, root: Path) -> dict[str, Any]:
    """A schema 3 report whose sheets are as they were when it ran; else a one-line refusal."""
    document = read_json(path, "JSON report")
    schema = document.get("schema")
    if schema != SCHEMA_VERSION:
        raise CompatError(
            f"{path}: report schema {schema!r}; this version records schema {SCHEMA_VERSION} "
            "(its results carry their claims): run the sheets again with this plugin"
        )
    versions = document.get("versions")
    # Python always has a version; torch and NumPy are named even when absent (null: the run
    # had none, as a project without torch runs), so a report that omits them is refused.
    lacking = [
        p
        for p in PACKAGES
        if not isinstance(versions, dict)
        or p not in versions
        or (p == "python" and not versions[p])
    ]
    if lacking:
        raise CompatError(
            f"{path}: the report names no version of {', '.join(lacking)}: a run cannot be "
            "placed among the releases without them"
        )
    results = document.get("results")
    if not isinstance(results, list) or not results:
        raise CompatError(f"{path}: the report has no results ({json.dumps(results)}): no run")
    digests: dict[str, set[str]] = defaultdict(set)
    for index, result in enumerate(results):
        missing = [k for k in REQUIRED_FIELDS if not isinstance(result, dict) or k not in result]
        if missing:
            raise CompatError(f"{path}: result {index} lacks {', '.join(missing)}")
        if result["outcome"] not in OUTCOMES:
            raise CompatError(
                f"{path}: result {index} has outcome {result['outcome']!r}; "
                f"valid: {', '.join(OUTCOMES)}"
            )
        digests[str(result["sheet"])].add(str(result["sheet_digest"]))
    for sheet, found in sorted(digests.items()):
        try:
            now = text_digest((root / sheet).read_bytes().decode("utf-8"))
        except (OSError, UnicodeDecodeError):
            now = None
        if now is None or found != {now}:
            why = "is not there" if now is None else "changed since the run"
            raise CompatError(
                f"{path}: {sheet} {why} (under {root}): its claims may have moved; "
                "run the sheets again, from the folder the run was made in (--root)"
            )
    return document


def device_of(document: Mapping[str, Any]) -> str:
    """The machine's kind: ``cpu``, or the accelerators it had (``cuda``)."""
    present = sorted(
        name.split(":")[0]
        for name, description in (document.get("devices") or {}).items()
        if name != "cpu" and description != "not available"
    )
    return "-".join(dict.fromkeys(present)) or "cpu"


def default_label(document: Mapping[str, Any]) -> str:
    torch = str(document["versions"]["torch"]).split("+")[0]
    return "torch-" + ".".join(torch.split(".")[:2])


def _groups(results: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One claim's results grouped by outcome and reason, combinations sorted."""
    grouped: dict[tuple[str, str], set[str]] = defaultdict(set)
    for result in results:
        reason = "" if result["outcome"] == "passed" else str(result.get("reason") or "")
        grouped[(str(result["outcome"]), reason)].add(str(result["combination"]))
    return [
        {"outcome": outcome, "combinations": sorted(combos), "reason": reason}
        for (outcome, reason), combos in sorted(
            grouped.items(), key=lambda item: (OUTCOMES.index(item[0][0]), item[0][1])
        )
    ]


def claims_from_report(
    document: Mapping[str, Any],
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """(claims by ``sheet|claim`` key, each sheet's combinations and digest) of one report.

    Results on a device the machine did not have say nothing about the release (another
    machine's record holds them): a claim with only those is kept with no results ("not run")."""
    absent = {
        name
        for name, description in (document.get("devices") or {}).items()
        if description == "not available"
    }
    by_claim: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for result in document["results"]:
        by_claim[f"{result['sheet']}|{result['claim']}"].append(result)
    sheets: dict[str, dict[str, Any]] = {}
    claims = {}
    for key, results in by_claim.items():
        first = results[0]
        kept = [r for r in results if str(r.get("device") or "cpu") not in absent]
        sheet = sheets.setdefault(
            str(first["sheet"]), {"combinations": set(), "digest": first["sheet_digest"]}
        )
        sheet["combinations"].update(str(r["combination"]) for r in kept)
        claims[key] = {
            "sheet": str(first["sheet"]),
            "line": min(int(r["line"]) for r in results),
            "heading": str(first.get("heading") or ""),
            "block": int(first["block"]),
            "gate": str(first.get("gate") or ""),
            "gate_text": str(first.get("gate_text") or ""),
            "results": _groups(kept),
        }
    for sheet in sheets.values():
        sheet["combinations"] = sorted(sheet["combinations"])
    return claims, sheets


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
    sheets: dict[str, dict[str, Any]]  # sheet: {"combinations": [...], "digest": "..."}
    claims: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def filename(self) -> str:
        return f"{self.label}-{self.device}.json"

    def version(self, package: str) -> tuple[int, ...]:
        text = str(self.versions.get(package) or "0").split("+")[0]
        return tuple(int(part) for part in re.findall(r"\d+", text)[:3])

    def sort_key(self) -> tuple[Any, ...]:
        """Python versions last (they run one sheet folder), then by torch, NumPy, device."""
        return (self.version("python"), self.version("torch"), self.version("numpy"), self.device)

    def combinations(self, sheet: str) -> list[str]:
        return list(self.sheets.get(sheet, {}).get("combinations", []))

    def to_text(self) -> str:
        """The file: a header, then one line per claim, by sheet (a claim that passed in every
        combination its sheet ran says ``"passed"``)."""
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
                f"   {_dump(key.split('|', 1)[1])}: {_dump(self._compact(claim))}"
            )
        sheets = []
        for sheet in sorted(set(self.sheets) | set(by_sheet)):
            entry = self.sheets.get(sheet, {})
            sheets.append(
                f'  {_dump(sheet)}: {{"combinations": {_dump(entry.get("combinations", []))}, '
                f'"digest": {_dump(entry.get("digest", ""))}, "claims": {{\n'
                + ",\n".join(by_sheet.get(sheet, []))
                + "\n  }}"
            )
        return _dump(head)[:-1] + ', "sheets": {\n' + ",\n".join(sheets) + "\n}}\n"

    def _compact(self, claim: Mapping[str, Any]) -> dict[str, Any]:
        results: Any = [
            [g["outcome"], " ".join(g["combinations"])] + ([g["reason"]] if g["reason"] else [])
            for g in claim["results"]
        ]
        everywhere = self.combinations(claim["sheet"])
        if claim["results"] == [{"outcome": "passed", "combinations": everywhere, "reason": ""}]:
            results = "passed"
        compact = {"line": claim["line"], "block": claim["block"], "results": results}
        compact.update({k: claim[k] for k in ("gate", "gate_text") if claim.get(k)})
        return compact


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


_CLAIM_KEY = re.compile(r"^(?P<heading>.*)\|[0-9a-f]{10}(?:\|\d+)?$", re.DOTALL)


def _expand(
    sheet: str, key: str, compact: Mapping[str, Any], combos: Sequence[str]
) -> dict[str, Any]:
    match = _CLAIM_KEY.match(key)
    if match is None:
        raise ValueError(f"claim key {key!r} (heading|digest expected)")
    results = compact["results"]
    if results == "passed":
        groups = [{"outcome": "passed", "combinations": list(combos), "reason": ""}]
    else:
        groups = [
            {"outcome": str(g[0]), "combinations": str(g[1]).split(), "reason": "".join(g[2:3])}
            for g in results
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
        "gate_text": str(compact.get("gate_text", compact.get("sentence", ""))),
        "results": groups,
    }


def load_record(path: Path) -> Record:
    """A history file of schema 2, or 1 (read as 2: no digests, "sentence" is the gate text)."""
    document = read_json(path, "history file")
    if document.get("history") not in HISTORY_SCHEMAS:
        raise CompatError(
            f"{path}: history schema {document.get('history')!r}; "
            f"valid: {', '.join(map(str, HISTORY_SCHEMAS))}"
        )
    try:
        sheets = {
            str(name): {
                "combinations": list(entry["combinations"]),
                "digest": str(entry.get("digest", "")),
            }
            for name, entry in document["sheets"].items()
        }
        record = Record(
            label=str(document["label"]),
            device=str(document["device"]),
            versions=dict(document["versions"]),
            devices=dict(document.get("devices") or {}),
            created=str(document.get("created", "")),
            partial=bool(document.get("partial", False)),
            sheets=sheets,
            claims={
                f"{sheet}|{key}": _expand(sheet, key, compact, sheets[sheet]["combinations"])
                for sheet, entry in document["sheets"].items()
                for key, compact in entry["claims"].items()
            },
        )
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as error:
        raise CompatError(f"{path}: not a history file: missing or bad {error}") from None
    check_label(record.label, path)
    return record


def check_label(label: str, where: Path | str = "label") -> None:
    if not _LABEL.match(label):
        raise CompatError(
            f"{where}: label {label!r}; valid: <package>-<version>[-<suffix>], "
            "e.g. torch-2.15, python-3.13, torch-2.3-numpy-1"
        )


def load_history(directory: Path) -> list[Record]:
    if not directory.is_dir():
        return []
    return sorted(map(load_record, sorted(directory.glob("*.json"))), key=Record.sort_key)


@dataclass
class Recorded:
    """What ``record`` did: the record now kept, the one it replaced, and what it said."""

    record: Record
    previous: Record | None
    action: str  # added, replaced, merged, unchanged
    messages: list[str]


def record_report(
    document: Mapping[str, Any],
    history: Sequence[Record],
    label: str | None = None,
    partial: bool = False,
) -> Recorded:
    """The history record after this report: replaced by a full run, merged from a partial one.

    A run is partial when asked (``--partial``), or when it ran fewer sheets, combinations or
    claims of an unchanged sheet than the full record it would replace. A partial run never
    replaces a full one: it is merged into it, or refused when it ran on other versions or on a
    sheet that changed since that record (whose other claims may be gone)."""
    label = label or default_label(document)
    check_label(label)
    claims, sheets = claims_from_report(document)
    new = Record(
        label=label,
        device=device_of(document),
        versions=dict(document["versions"]),
        devices=dict(document.get("devices") or {}),
        created=str(document.get("created", "")),
        partial=partial,
        sheets=sheets,
        claims=claims,
    )
    old = next((r for r in history if r.filename == new.filename), None)
    reasons = ["the run was narrowed (pytest options)"] if partial else []
    if old is not None and not old.partial:
        fewer = sorted(
            sheet
            for sheet, entry in old.sheets.items()
            if not set(entry["combinations"]) <= set(new.combinations(sheet))
            or (
                entry.get("digest") == sheets.get(sheet, {}).get("digest")
                and {k for k, c in old.claims.items() if c["sheet"] == sheet} - set(new.claims)
            )
        )
        if fewer:
            reasons.append(f"it ran fewer sheets, combinations or claims ({', '.join(fewer[:3])})")
    if not reasons:
        if old is not None and _same(old, new):
            return Recorded(old, old, "unchanged", [])
        return Recorded(new, old, "replaced" if old else "added", [])
    new.partial = True
    why = "; ".join(reasons)
    if old is None:
        message = f"partial run ({why}): recorded as partial; a full run will replace it"
        return Recorded(new, None, "added", [message])
    if _versions(old) != _versions(new):
        raise CompatError(
            f"partial run ({why}) on {_versions_text(new)} refused: the record "
            f"{old.filename} is of {_versions_text(old)}; run every sheet to replace it"
        )
    moved = sorted(
        s for s in sheets if s in old.sheets and old.sheets[s]["digest"] != sheets[s]["digest"]
    )
    if moved:
        raise CompatError(
            f"partial run ({why}) refused: {', '.join(moved[:3])} changed since the record "
            f"{old.filename}; run the changed sheets whole"
        )
    merged = _merge(old, new)
    if _same(old, merged):
        return Recorded(old, old, "unchanged", [f"partial run ({why}): merged; nothing changed"])
    message = (
        f"partial run ({why}): merged into {old.filename}: {len(new.claims)} claims updated, "
        "the others kept"
    )
    return Recorded(merged, old, "merged", [message])


def _versions(record: Record) -> tuple[Any, ...]:
    return tuple(record.versions.get(p) for p in PACKAGES)


def _versions_text(record: Record) -> str:
    torch, numpy, python = _versions(record)
    return f"torch {torch}, NumPy {numpy}, Python {python}"


def _same(a: Record, b: Record) -> bool:
    return all(getattr(a, f) == getattr(b, f) for f in ("claims", "versions", "sheets", "partial"))


def _merge(old: Record, new: Record) -> Record:
    claims = {key: dict(claim) for key, claim in old.claims.items()}
    for key, claim in new.claims.items():
        if key in claims:
            ran = {c for group in claim["results"] for c in group["combinations"]}
            kept = [
                {**g, "combinations": [c for c in g["combinations"] if c not in ran]}
                for g in claims[key]["results"]
            ]
            results = [
                {"outcome": g["outcome"], "combination": c, "reason": g["reason"]}
                for g in [*kept, *claim["results"]]
                for c in g["combinations"]
            ]
            claim = {**claim, "results": _groups(results)}
        claims[key] = claim
    sheets = {name: dict(entry) for name, entry in old.sheets.items()}
    for name, entry in new.sheets.items():
        combos = set(sheets.get(name, {}).get("combinations", [])) | set(entry["combinations"])
        sheets[name] = {"combinations": sorted(combos), "digest": entry["digest"]}
    return Record(
        old.label, old.device, old.versions, old.devices, old.created, old.partial, sheets, claims
    )


# --- comparing -----------------------------------------------------------------------------------


def state(claim: Mapping[str, Any] | None) -> tuple[tuple[str, str], ...]:
    """What is compared between runs: the outcome in each combination (not its message)."""
    if claim is None:
        return ()
    return tuple(sorted((c, g["outcome"]) for g in claim["results"] for c in g["combinations"]))


@dataclass(frozen=True)
class Change:
    key: str
    claim: Mapping[str, Any]  # the newer run's, else the older's
    old: Mapping[str, Any] | None
    new: Mapping[str, Any] | None


def changes(old: Record, new: Record) -> list[Change]:
    """Claims whose outcome differs, in sheet and line order; only sheets both runs ran."""
    common = set(old.sheets) & set(new.sheets)
    found = []
    for key in set(old.claims) | set(new.claims):
        before, after = old.claims.get(key), new.claims.get(key)
        claim = after or before
        assert claim is not None
        if claim["sheet"] in common and state(before) != state(after):
            found.append(Change(key, claim, before, after))
    return sorted(found, key=lambda c: (c.claim["sheet"], int(c.claim["line"])))


def previous_run(record: Record, history: Sequence[Record]) -> tuple[Record | None, list[str]]:
    """The run ``record`` is an upgrade from, and the packages that changed: the nearest earlier
    run on the same device that differs in one package alone; else, the nearest earlier run of
    the same label kind (its changes then have more than one possible cause)."""
    kind = record.label.split("-")[0]
    mine = [r for r in history if r.device == record.device and r is not record]
    for package in PACKAGES:
        same = [p for p in PACKAGES if p != package]
        earlier = [
            r
            for r in mine
            if r.version(package) < record.version(package)
            and all(r.version(p) == record.version(p) for p in same)
        ]
        if earlier:
            return max(earlier, key=lambda r: r.version(package)), [package]
    earlier = [
        r for r in mine if r.label.split("-")[0] == kind and r.sort_key() < record.sort_key()
    ]
    if not earlier:
        return None, []
    base = max(earlier, key=Record.sort_key)
    return base, [p for p in PACKAGES if base.version(p) != record.version(p)] or ["torch"]
