"""A Markdown sheet parsed with Sybil: its steps in file order, its matrix and its gates."""

from __future__ import annotations

import ast
import bisect
import doctest
import functools
import re
import textwrap
import traceback
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sybil import Document, Example, Region, Sybil
from sybil.evaluators.doctest import DocTestEvaluator, DocTestRunner
from sybil.evaluators.skip import Skipper
from sybil.parsers.abstract.doctest import DocTestStringParser
from sybil.parsers.abstract.lexers import LexingException
from sybil.parsers.markdown import ClearNamespaceParser, PythonCodeBlockParser, SkipParser
from sybil.parsers.markdown.lexers import DirectiveInHTMLCommentLexer, RawFencedCodeBlockLexer

from pytest_cheatsheet.checker import TensorOutputChecker
from pytest_cheatsheet.directives import (
    DIRECTIVE_NAME,
    DirectiveError,
    Gate,
    MatrixDirective,
    ReaderDefaults,
    parse_directive,
)
from pytest_cheatsheet.formats import FencedCodeBlocks
from pytest_cheatsheet.options import DEFAULT_LANGUAGES
from pytest_cheatsheet.readers import apply_reader_defaults, shadowing_warnings
from pytest_cheatsheet.update import ExpectedOutputUpdate, want_from_exception, want_from_output

ENCODING = "utf-8-sig"  # a BOM at the start of a sheet is not part of its text
AXIS_NAMES = {"device": "devices", "dtype": "dtypes"}
_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(?P<title>.*?)[ \t]*#*[ \t]*$", re.MULTILINE)
_ANY_FENCE = RawFencedCodeBlockLexer(info_pattern=re.compile(r"(?P<info>[^\n]*)$\n", re.MULTILINE))
_LINE_IN_MESSAGE = re.compile(r"\bline (\d+)")


MAX_MESSAGE = 500


class SheetError(Exception):
    """A sheet that cannot be collected; the message starts with ``path:line:``."""

    def __init__(self, path: Path | str, line: int, message: str) -> None:
        if len(message) > MAX_MESSAGE:  # Sybil's lexer quotes the rest of the document
            message = message[: MAX_MESSAGE - 1] + "…"
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line
        self.message = message


@dataclass(frozen=True)
class Step:
    """One region of a sheet in file order: an example (an item) or a Sybil directive."""

    index: int
    line: int
    column: int
    region: Region
    is_example: bool
    heading: str
    gates: tuple[Gate, ...] = ()


@dataclass
class Sheet:
    path: Path
    text: str
    regions: list[Region]
    steps: list[Step]
    matrix: MatrixDirective | None
    used_axes: frozenset[str]
    warnings: tuple[tuple[int, str], ...] = ()  # (line, message), shown at collection

    @property
    def examples(self) -> list[Step]:
        return [step for step in self.steps if step.is_example]


class _SheetDocTestRunner(DocTestRunner):
    """Sybil's runner; an unexpected exception shows the sheet's frames at Markdown lines, and
    what was printed instead of the expected output goes to ``updates`` when it is a list."""

    sheet_path = ""
    sheet_line = 0
    updates: list[ExpectedOutputUpdate] | None = None

    def _record_update(self, example: doctest.Example, new_want: str) -> None:
        if self.updates is not None:
            self.updates.append(
                ExpectedOutputUpdate(
                    path=self.sheet_path,
                    line=self.sheet_line,
                    source_lines=example.source.count("\n"),
                    old_want=example.want,
                    new_want=new_want,
                )
            )

    def report_failure(
        self, out: Any, test: doctest.DocTest, example: doctest.Example, got: str
    ) -> None:
        self._record_update(example, want_from_output(got))
        super().report_failure(out, test, example, got)

    def report_unexpected_exception(
        self, out: Any, test: doctest.DocTest, example: doctest.Example, exc_info: Any
    ) -> None:
        self._record_update(example, want_from_exception(exc_info))
        error_type, error, tb = exc_info
        tb = tb.tb_next if tb is not None else None  # drop doctest's own frame
        lines = traceback.format_exception(error_type, error, tb)
        doctest_name = re.compile(r'File "<doctest [^>]*>", line (\d+)')
        text = doctest_name.sub(
            lambda m: f'File "{self.sheet_path}", line {self.sheet_line + int(m.group(1)) - 1}',
            "".join(lines),
        )
        out("Exception raised:\n" + textwrap.indent(text, "    "))


class CheatsheetDocTestEvaluator(DocTestEvaluator):
    """Sybil's doctest evaluator with the tensor-aware output checker."""

    def __init__(self, optionflags: int = 0) -> None:
        super().__init__(optionflags)
        self.checker = TensorOutputChecker()
        self.sheet_runner = _SheetDocTestRunner(optionflags)
        # Sybil's DocTestRunner takes no checker; doctest keeps it in ``_checker``.
        self.sheet_runner._checker = self.checker  # type: ignore[attr-defined]
        self.runner = self.sheet_runner

    def __call__(self, example: Example) -> str:
        __tracebackhide__ = True
        combination = getattr(example.document, "combination", None)
        self.checker.dtypes = combination.dtype_names() if combination is not None else ()
        self.sheet_runner.sheet_path = example.path
        self.sheet_runner.sheet_line = example.line
        self.sheet_runner.updates = getattr(example.document, "updates", None)
        result: str = super().__call__(example)
        return result


class _BlockError:
    """Evaluates a block Sybil could not parse by raising the parse error at the block's line."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def __call__(self, example: Example) -> None:
        raise SheetError(example.path, example.line, f"cannot parse this block: {self.error}")


class _ForgivingDocTestStringParser(DocTestStringParser):
    """A doctest parser whose malformed block fails as one example instead of the whole sheet."""

    def __call__(self, string: str, name: str) -> Iterable[Region]:
        try:
            return list(super().__call__(string, name))
        except ValueError as error:
            return [Region(0, len(string), error, _BlockError(error))]


class CodeBlockParser(PythonCodeBlockParser):
    """Sybil's Markdown Python parser with our doctest evaluator, for the configured languages."""

    def __init__(
        self, doctest_optionflags: int = 0, languages: Collection[str] = DEFAULT_LANGUAGES
    ) -> None:
        # Sybil calls this with (language, evaluator); it is typed as the class it defaults to.
        self.codeblock_parser_class = functools.partial(FencedCodeBlocks, languages)  # type: ignore[assignment]
        super().__init__(doctest_optionflags=doctest_optionflags)
        self.doctest_parser = _ForgivingDocTestStringParser(
            CheatsheetDocTestEvaluator(doctest_optionflags)
        )


class CombinationClearNamespaceParser(ClearNamespaceParser):
    """``<!-- clear-namespace -->`` that keeps ``device``, ``dtype`` and ``autocast``."""

    @staticmethod
    def evaluate(example: Example) -> None:
        example.document.namespace.clear()
        combination = getattr(example.document, "combination", None)
        if combination is not None:
            example.document.namespace.update(combination.namespace())


def make_sybil(
    rootpath: Path, languages: Collection[str] = DEFAULT_LANGUAGES, doctest_optionflags: int = 0
) -> Sybil:
    """The Sybil that parses sheets (built per session, from the rootdir)."""
    return Sybil(
        parsers=[
            CodeBlockParser(doctest_optionflags, languages),
            SkipParser(),
            CombinationClearNamespaceParser(),
        ],
        patterns=["*.md"],
        path=str(rootpath),
        encoding=ENCODING,
    )


def parse_sheet(path: Path, sybil: Sybil) -> Sheet:
    """Parse ``path`` into steps, the matrix directive and gates; raise SheetError on bad input."""
    raw = path.read_bytes()
    try:
        text = raw.decode(ENCODING)
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise SheetError(
            path, line, f"not valid UTF-8 (byte {raw[error.start]:#04x} at offset {error.start})"
        ) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    document = Document(text, str(path))
    for parser in sybil.parsers:
        try:
            for region in parser(document):
                document.add(region)
        except (LexingException, ValueError) as error:
            raise SheetError(path, _line_of(error), str(error)) from None
    regions = [region for _, region in document.regions]
    blocks = _python_blocks(document, sybil)
    directives = _directives(document, path)
    matrix = _matrix_directive(directives, blocks, path, text)
    gates_by_block = _gates_by_block(directives, blocks, path)
    marks = [(position, d.line) for position, d in directives if isinstance(d, ReaderDefaults)]
    reader_blocks, errors = apply_reader_defaults(marks, blocks, regions)
    if errors:
        raise SheetError(path, *errors[0])
    headings = _headings(text)
    steps = []
    for index, example in enumerate(document.examples()):
        region = example.region
        block = _block_of(region.start, blocks)
        line = example.line
        if block is not None and isinstance(region.parsed, doctest.Example):
            # Sybil places a doctest by its offset in the block's source with any list or
            # quote prefix stripped; the doctest's own line number within the block is exact.
            line = text.count("\n", 0, block[0]) + 2 + region.parsed.lineno
        steps.append(
            Step(
                index=index,
                line=line,
                column=example.column,
                region=region,
                is_example=_is_example(region),
                heading=_heading_at(region.start, headings),
                gates=gates_by_block.get(block, ()) if block is not None else (),
            )
        )
    warnings = shadowing_warnings(steps, reader_blocks)
    return Sheet(path, text, regions, steps, matrix, _used_axes(regions), warnings)


def _line_of(error: Exception) -> int:
    match = _LINE_IN_MESSAGE.search(str(error))
    return int(match.group(1)) if match else 1


def _is_example(region: Region) -> bool:
    evaluator = region.evaluator
    return (
        not isinstance(evaluator, Skipper)
        and evaluator is not CombinationClearNamespaceParser.evaluate
    )


def _python_blocks(document: Document, sybil: Sybil) -> list[tuple[int, int]]:
    """(start, end) of every Python code block, visible or invisible, in order."""
    spans: set[tuple[int, int]] = set()
    for parser in sybil.parsers:
        if isinstance(parser, CodeBlockParser):
            assert isinstance(parser.codeblock_parser, FencedCodeBlocks)
            spans.update(parser.codeblock_parser.block_spans(document))
    return sorted(spans)


def _block_of(position: int, blocks: list[tuple[int, int]]) -> tuple[int, int] | None:
    index = bisect.bisect_right(blocks, (position, float("inf"))) - 1
    if index >= 0 and blocks[index][0] <= position < blocks[index][1]:
        return blocks[index]
    return None


def _directives(document: Document, path: Path) -> list[tuple[int, Any]]:
    """(position, directive) for every ``<!-- cheatsheet: ... -->`` comment."""
    lexer = DirectiveInHTMLCommentLexer(directive=DIRECTIVE_NAME)
    found = []
    try:
        for region in lexer(document):
            line = document.text.count("\n", 0, region.start) + 1
            text = f"{region.lexemes['arguments']} {region.lexemes['source']}"
            try:
                found.append((region.start, parse_directive(text, line)))
            except DirectiveError as error:
                raise SheetError(path, error.line, error.message) from None
    except LexingException as error:
        raise SheetError(
            path, _line_of(error), "cheatsheet directive is not closed with -->"
        ) from None
    return found


def _matrix_directive(
    directives: list[tuple[int, Any]], blocks: list[tuple[int, int]], path: Path, text: str
) -> MatrixDirective | None:
    matrices = [(position, d) for position, d in directives if isinstance(d, MatrixDirective)]
    if not matrices:
        return None
    if len(matrices) > 1:
        raise SheetError(
            path,
            matrices[1][1].line,
            f"a second matrix directive; the first is at line {matrices[0][1].line}",
        )
    position, matrix = matrices[0]
    if blocks and position > blocks[0][0]:
        raise SheetError(
            path,
            matrix.line,
            "the matrix directive must come before the first code block "
            f"(line {text.count(chr(10), 0, blocks[0][0]) + 1})",
        )
    return matrix


def _gates_by_block(
    directives: list[tuple[int, Any]], blocks: list[tuple[int, int]], path: Path
) -> dict[tuple[int, int], tuple[Gate, ...]]:
    gates: dict[tuple[int, int], tuple[Gate, ...]] = {}
    for position, gate in directives:
        if not isinstance(gate, Gate):
            continue
        following = [block for block in blocks if block[0] > position]
        if not following:
            raise SheetError(
                path, gate.line, f"{gate.kind} gate is followed by no Python code block"
            )
        gates[following[0]] = (*gates.get(following[0], ()), gate)
    return gates


def _headings(text: str) -> list[tuple[int, str]]:
    """(position, title) of every Markdown heading outside fenced code."""
    document = Document(text, "")
    fenced = sorted((region.start, region.end) for region in _ANY_FENCE(document))
    headings = []
    for match in _HEADING.finditer(text):
        if _block_of(match.start(), fenced) is None:
            headings.append((match.start(), match.group("title")))
    return headings


def _heading_at(position: int, headings: list[tuple[int, str]]) -> str:
    index = bisect.bisect_right(headings, (position, "\uffff")) - 1
    return headings[index][1] if index >= 0 else ""


def _sources(regions: Iterable[Region]) -> Iterator[str]:
    for region in regions:
        parsed = region.parsed
        if isinstance(parsed, doctest.Example):
            yield parsed.source
        elif isinstance(parsed, str):
            yield parsed
        elif isinstance(parsed, tuple):  # a skip directive: (action, condition)
            condition = parsed[1] if len(parsed) > 1 else None
            if isinstance(condition, str):
                # Sybil evaluates ``if(...)`` as a call of ``if_``; do the same to read its names.
                condition = condition.strip()
                yield "if_" + condition[2:] if condition.startswith("if") else condition


def _used_axes(regions: Iterable[Region]) -> frozenset[str]:
    """The axes whose names (``device``, ``dtype``) the sheet's code reads."""
    used = set()
    for source in _sources(regions):
        if source.isascii() and "device" not in source and "dtype" not in source:
            continue  # no name to find: spare the parse
        for name in _names_read(source):
            if name in AXIS_NAMES:
                used.add(AXIS_NAMES[name])
    return frozenset(used)


def _names_read(source: str) -> set[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        # A block that does not parse fails when run; a plain word search decides its axes.
        return set(re.findall(r"(?<![.\w])(device|dtype)\b(?!\s*=[^=])", source))
    return {
        node.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
    }
