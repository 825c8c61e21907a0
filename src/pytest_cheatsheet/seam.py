"""The adapter over Sybil's and doctest's internals: it builds each format's Sybil, reports what
its parsers and lexers find as plain data, places the regions it is given, and evaluates them in
a run. Which regions are live, and which overlap, is the sheet layer's to decide (regions.py).

Only this module imports Sybil. Sybil's public API is what its docs/api.rst lists (``Document``
with ``namespace``, ``examples()``, ``push_evaluator``/``pop_evaluator``; ``Region``; ``Example``;
the lexers and parsers; ``DocTestEvaluator``; ``PythonEvaluator``; ``NotEvaluated``). Each use of
anything else, Sybil's or doctest's, carries a comment saying ``undocumented``: when Sybil
changes, this is the file that changes.
"""

from __future__ import annotations

import contextlib
import doctest
import os
import re
import sys
import textwrap
import traceback
import unittest
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pytest
import sybil
from sybil import Document, Example, Region, Sybil
from sybil.document import PythonDocStringDocument
from sybil.evaluators.doctest import OutputChecker as SybilOutputChecker
from sybil.evaluators.python import PythonEvaluator
from sybil.evaluators.skip import Skipper
from sybil.example import SybilFailure
from sybil.parsers.abstract.doctest import DocTestStringParser
from sybil.parsers.abstract.lexers import LexingException
from sybil.parsers.markdown import PythonCodeBlockParser
from sybil.parsers.markdown.lexers import DirectiveInHTMLCommentLexer
from sybil.parsers.myst import ClearNamespaceParser as MystClearNamespaceParser
from sybil.parsers.myst import CodeBlockParser as MystCodeBlockParser
from sybil.parsers.myst import DocTestDirectiveParser as MystDocTestDirectiveParser
from sybil.parsers.myst import SkipParser as MystSkipParser
from sybil.parsers.myst.lexers import DirectiveInPercentCommentLexer
from sybil.parsers.rest import ClearNamespaceParser as RestClearNamespaceParser
from sybil.parsers.rest import CodeBlockParser as RestCodeBlockParser
from sybil.parsers.rest import DocTestParser as RestDocTestParser
from sybil.parsers.rest import SkipParser as RestSkipParser
from sybil.parsers.rest.lexers import DirectiveInCommentLexer as RestDirectiveInCommentLexer
from sybil.parsers.rest.lexers import DirectiveLexer as RestDirectiveLexer

from pytest_cheatsheet.formats import DEFAULT_LANGUAGES, info_language
from pytest_cheatsheet.literals import literal_positions

# Sybil's names the layers above use (the seam's own names are public as they are).
__all__ = ["Document", "Example", "Region", "Sybil", "SybilFailure", "SybilOutputChecker"]

# Where Sybil's code lives: its frames are hidden from a failing example's traceback.
SYBIL_DIRECTORY = str(Path(sybil.__file__ or "").parent) + os.sep
# sybil.evaluators.doctest.OutputChecker (undocumented) is Sybil's doctest checker, with its
# NUMBER and KEEP_TRAILING_WHITESPACE flags: the tensor checker builds on it.
ENCODING = "utf-8-sig"  # a BOM at the start of a sheet is not part of its text
_LINE_IN_MESSAGE = re.compile(r"\bline (\d+)")
_DOCTEST_FILE = re.compile(r'File "<doctest [^>]*>", line (\d+)')
# An example whose output may vary (``# may vary`` on its statement, as scipy_doctest writes it,
# or ``# doctest: +MAY_VARY``) runs and must not raise; its output is not compared.
MAY_VARY = doctest.register_optionflag("MAY_VARY")
_MAY_VARY_COMMENT = re.compile(r"#\s*may vary\s*$", re.IGNORECASE | re.MULTILINE)


def may_vary(region: Region) -> bool:
    """Whether ``region`` is a doctest whose output may vary: it runs unchecked."""
    parsed = region.parsed
    return isinstance(parsed, doctest.Example) and bool(parsed.options.get(MAY_VARY))


@contextlib.contextmanager
def doctests_own_output_checker() -> Iterator[None]:
    """``doctest.OutputChecker`` as doctest defines it, for as long as the block lasts: Sybil's
    checker calls ``doctest.OutputChecker.check_output(self, ...)``, looked up at each call
    (undocumented), and pytest-doctestplus (--doctest-plus) replaces that class with its own,
    whose methods fail on Sybil's checker."""
    replaced = doctest.OutputChecker
    doctest.OutputChecker = _DOCTEST_OUTPUT_CHECKER  # type: ignore[misc]
    try:
        yield
    finally:
        doctest.OutputChecker = replaced  # type: ignore[misc]


class _UncheckedWhereMayVary:
    """The runner's output checker: any output holds for an example that may vary (an
    unexpected exception still fails it); every other is the tensor checker's to judge."""

    def __init__(self, checker: Any) -> None:
        self.checker = checker

    def check_output(self, want: str, got: str, optionflags: int) -> bool:
        if optionflags & MAY_VARY:
            return True
        return bool(self.checker.check_output(want, got, optionflags))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.checker, name)


class SheetChecker(Protocol):
    """The output checker a run's doctests use: doctest's OutputChecker protocol, and the first
    difference it found in the last output it rejected (None: none found)."""

    def check_output(self, want: str, got: str, optionflags: int) -> bool: ...

    def output_difference(self, example: doctest.Example, got: str, optionflags: int) -> str: ...

    def first_difference(self) -> str | None: ...


class DoctestMismatch(SybilFailure):
    """A doctest printed something other than its expected output: carries the doctest that ran
    (its expected output), what it printed and the checker's first difference, if found."""

    def __init__(
        self,
        example: Example,
        result: str,
        printed: str,
        difference: str | None,
        doctest_example: doctest.Example,
    ) -> None:
        super().__init__(example, result)
        self.printed = printed
        self.difference = difference
        self.doctest_example = doctest_example


# It is also doctest's documented UnexpectedException, for its exc_info: that is how pytest --pdb
# knows to enter post-mortem where the doctest raised, not in the plugin. Its ``example`` stays
# Sybil's (the ``example`` of an UnexpectedException is doctest's; pytest reads only exc_info).
class DoctestRaised(SybilFailure, doctest.UnexpectedException):  # type: ignore[misc]
    """A doctest raised an exception it did not expect; carries the exception and the doctest."""

    def __init__(
        self, example: Example, result: str, error: BaseException, doctest_example: doctest.Example
    ) -> None:
        super().__init__(example, result)
        self.error = error
        self.doctest_example = doctest_example
        assert error.__traceback__ is not None  # it was raised
        self.exc_info = (type(error), error, error.__traceback__)

    def __str__(self) -> str:
        return SybilFailure.__str__(self)  # not UnexpectedException's, which names its DocTest


# -- evaluators: Sybil's protocol, a callable on an example; the run's context is its document --


def failure_text(error: BaseException) -> str | None:
    """What a Sybil failure says (a doctest's mismatch, an evaluator's returned message); None
    for any other exception."""
    # SybilFailure.result is the text Sybil reports for the example.
    return error.result if isinstance(error, SybilFailure) else None


class RunDocument(Document):
    """A sheet's Sybil document for one run: its namespace and evaluator stack (the skip state),
    the names a cleared namespace keeps (the combination's), and the output checker of the
    example being evaluated."""

    def __init__(self, text: str, path: str, kept_names: dict[str, Any]) -> None:
        super().__init__(text, path)
        self.kept_names = kept_names
        self.checker: SheetChecker | None = None


class _DebuggerOnDemand:
    """Stands in for the debugger that ``DocTestRunner.run`` builds for every call, and builds
    that debugger only when an example calls ``pdb.set_trace()`` or ``breakpoint()``.

    doctest's ``_OutputRedirectingPdb`` (undocumented) costs more than running a small example:
    ``pdb.Pdb.__init__`` (readline, ``.pdbrc``) and its ``reset()``, which stats every file in
    linecache. Until its ``set_trace`` is called it does nothing: its ``set_continue``, which
    ``DocTestRunner.run`` calls after each example, returns at once. So this does nothing until
    then, and then hands over to the real one, built as ``run`` builds it.
    """

    def __init__(self, out: Any) -> None:
        self.out = out
        self.debugger: Any = None

    def reset(self) -> None:
        pass  # the real debugger is reset when it is built

    def set_trace(self, frame: Any = None) -> None:
        if frame is None:
            frame = sys._getframe().f_back
        if self.debugger is None:
            self.debugger = _OUTPUT_REDIRECTING_PDB(self.out)
            self.debugger.reset()
        self.debugger.set_trace(frame)

    def set_continue(self) -> None:
        if self.debugger is not None:
            self.debugger.set_continue()


# doctest's own OutputChecker, which Sybil's checker builds on (whatever has replaced the name).
_DOCTEST_OUTPUT_CHECKER: type[doctest.OutputChecker] = next(
    cls
    for cls in SybilOutputChecker.__mro__
    if cls.__module__ == "doctest" and cls.__qualname__ == "OutputChecker"
)
# doctest._OutputRedirectingPdb is undocumented: the debugger class DocTestRunner.run builds.
_OUTPUT_REDIRECTING_PDB: Any = doctest._OutputRedirectingPdb  # type: ignore[attr-defined]


class _SheetDocTestRunner(doctest.DocTestRunner):
    """doctest's runner as Sybil configures it, reporting through the ``out`` callback with
    exceptions placed at the sheet's lines; it remembers the last mismatch as data."""

    def __init__(self, optionflags: int, checker: SheetChecker, path: str, line: int) -> None:
        # Sybil's own DocTestRunner (undocumented) does the same: no verbose output, the
        # unittest report flags folded in.
        reportflags = doctest.set_unittest_reportflags(0)
        doctest.set_unittest_reportflags(reportflags)
        super().__init__(
            checker=_UncheckedWhereMayVary(checker),  # type: ignore[arg-type]
            verbose=False,
            optionflags=optionflags | reportflags,
        )
        self.sheet_checker = checker
        self.sheet_path = path
        self.sheet_line = line
        self.mismatch: tuple[str, str | None] | None = None
        self.raised: BaseException | None = None

    def run(
        self,
        test: doctest.DocTest,
        compileflags: int | None = None,
        out: Any = None,
        clear_globs: bool = True,
    ) -> doctest.TestResults:
        """``DocTestRunner.run``, with its debugger built only if an example calls it."""
        # DocTestRunner.run looks the debugger class up in doctest's globals at each call
        # (undocumented); for the length of this call it finds _DebuggerOnDemand there. Each
        # example runs inside this call, and an example that runs doctest itself gets the same.
        doctest._OutputRedirectingPdb = _DebuggerOnDemand  # type: ignore[attr-defined]
        try:
            with doctests_own_output_checker():
                return super().run(test, compileflags, out, clear_globs)
        finally:
            doctest._OutputRedirectingPdb = _OUTPUT_REDIRECTING_PDB  # type: ignore[attr-defined]

    # doctest's documented hooks: report_failure / report_unexpected_exception.
    def _failure_header(self, test: doctest.DocTest, example: doctest.Example) -> str:
        # undocumented doctest hook; Sybil overrides it the same way (its header names no file).
        return ""

    def report_failure(
        self, out: Any, test: doctest.DocTest, example: doctest.Example, got: str
    ) -> None:
        self.mismatch = (got, self.sheet_checker.first_difference())
        super().report_failure(out, test, example, got)

    def report_unexpected_exception(
        self, out: Any, test: doctest.DocTest, example: doctest.Example, exc_info: Any
    ) -> None:
        error_type, error, tb = exc_info
        if isinstance(error, _OUTCOMES):
            # As pytest's doctest runner does: pytest.skip() skips the example, pytest.fail(),
            # pytest.exit() and pytest-timeout's timeout end the block; none is its output.
            raise error
        self.raised = error
        tb = tb.tb_next if tb is not None else None  # drop doctest's own frame
        lines = traceback.format_exception(error_type, error, tb)
        text = _DOCTEST_FILE.sub(
            lambda m: f'File "{self.sheet_path}", line {self.sheet_line + int(m.group(1)) - 1}',
            "".join(lines),
        )
        out("Exception raised:\n" + textwrap.indent(text, "    "))


# What pytest raises to end a test (skip, fail, exit, xfail; pytest-timeout's timeout is a fail).
_OUTCOMES = (
    pytest.skip.Exception,
    pytest.fail.Exception,
    pytest.exit.Exception,
    pytest.xfail.Exception,
)


class SheetDocTestEvaluator:
    """Sybil's doctest evaluation (as DocTestEvaluator does it) with the tensor-aware checker
    and the sheet's line numbers."""

    def __init__(self, optionflags: int = 0) -> None:
        self.optionflags = optionflags

    def __call__(self, example: Example) -> None:
        __tracebackhide__ = True
        document = example.document
        if not isinstance(document, RunDocument) or document.checker is None:
            raise TypeError("a sheet's doctest runs in a Run, which gives it its output checker")
        runner = _SheetDocTestRunner(self.optionflags, document.checker, example.path, example.line)
        namespace = example.namespace
        added_name = "__name__" not in namespace
        if added_name:
            namespace["__name__"] = "__test__"
        output: list[str] = []
        try:
            parsed = example.parsed
            # doctest.DocTest and DocTestRunner.run are documented doctest API; like Sybil we
            # run one example in the document's own namespace, not a copy of it.
            test = doctest.DocTest([parsed], {}, example.path, None, parsed.lineno, None)
            test.globs = namespace
            runner.run(test, clear_globs=False, out=output.append)
        finally:
            if added_name:
                namespace.pop("__name__", None)  # the example may have deleted it
        result = "".join(output)
        if not result:
            return
        if runner.mismatch is not None:
            raise DoctestMismatch(example, result, *runner.mismatch, parsed)
        if runner.raised is not None:
            raise DoctestRaised(example, result, runner.raised, parsed)
        raise SybilFailure(example, result)


class SheetCodeEvaluator(PythonEvaluator):
    """Sybil's evaluator of a plain code block, whose namespace the block may edit freely
    (``del __builtins__``, ``globals().clear()``)."""

    def __call__(self, example: Example) -> None:
        __tracebackhide__ = True
        # PythonEvaluator.flags is undocumented: the compiler flags of its future imports;
        # Lexeme.line_offset too (see region_source).
        source = "\n" * (example.line + example.parsed.line_offset) + example.parsed
        try:
            code = compile(source, example.path, "exec", flags=self.flags, dont_inherit=True)
        except (RecursionError, MemoryError) as error:
            raise BlockFailure(
                f"this block is too deeply nested for Python to compile ({type(error).__name__})"
            ) from None
        exec(code, example.namespace)
        example.namespace.pop("__builtins__", None)  # exec adds it; Sybil removes it too


class CombinationClearNamespace:
    """Sybil's ``clear-namespace`` directive (``<!-- clear-namespace -->``, ``.. clear-namespace``)
    that keeps ``device``, ``dtype`` and ``autocast``."""

    def __call__(self, example: Example) -> None:
        document = example.document
        if not isinstance(document, RunDocument):
            raise TypeError("clear-namespace runs in a Run, which names what it keeps")
        example.namespace.clear()
        example.namespace.update(document.kept_names)


class BlockFailure(Exception):
    """A block that cannot run at all (Sybil could not parse it, Python cannot compile it);
    the message says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BlockParseError:
    """Evaluates a block Sybil could not parse by raising the parse error."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def __call__(self, example: Example) -> None:
        raise BlockFailure(f"cannot parse this block: {self.error}")


# -- parsers ----------------------------------------------------------------------------------


class _ForgivingDocTestStringParser(DocTestStringParser):
    """A doctest parser whose malformed block fails as one example instead of the whole sheet."""

    def __call__(self, string: str, name: str) -> Iterable[Region]:
        try:
            regions = list(super().__call__(string, name))
        except ValueError as error:
            return [Region(0, len(string), error, BlockParseError(error))]
        for region in regions:
            parsed = region.parsed
            if isinstance(parsed, doctest.Example) and _MAY_VARY_COMMENT.search(parsed.source):
                parsed.options[MAY_VARY] = True
        return regions


class _Languages:
    """Sybil's code-block parsers for several languages at once: the info string's (or the
    directive argument's) first word, case-insensitive, with any attributes after it
    (```` ```Python title="a.py" ````)."""

    lexers: Any
    doctests_elsewhere = False  # reST: `>>>` blocks are the doctest parser's

    def __init__(self, languages: Collection[str], evaluator: Any) -> None:
        super().__init__(language="python", evaluator=evaluator)  # type: ignore[call-arg]
        self.languages = frozenset(languages)
        self.code_evaluator = evaluator

    def runs(self, region: Region) -> bool:
        return info_language(str(region.lexemes.get("arguments", ""))) in self.languages

    def __call__(self, document: Document) -> Iterable[Region]:
        # AbstractCodeBlockParser.__call__ matches one language exactly; this is its loop with
        # the language test widened. AbstractCodeBlockParser.lexers is undocumented: the lexers
        # the parser was built with.
        for region in self.lexers(document):
            if self.runs(region):
                source = region.lexemes["source"]
                if self.doctests_elsewhere and source.lstrip().startswith(">>>"):
                    continue
                region.parsed = source
                region.evaluator = self.code_evaluator
                yield region

    def block_spans(self, document: Document) -> list[tuple[int, int]]:
        """(start, end) of every block that runs, visible or invisible, in order."""
        return sorted({(r.start, r.end) for r in self.lexers(document) if self.runs(r)})


class _FencedCodeBlocks(_Languages, MystCodeBlockParser):
    """Markdown: fenced blocks and HTML-comment invisible blocks, and MyST's ``{code-block}``
    directives and ``%`` comments (a superset Sybil's MyST parser lexes)."""


class _RestCodeBlocks(_Languages, RestCodeBlockParser):
    """reST: ``.. code-block:: python`` and invisible code blocks."""

    doctests_elsewhere = True


class _CodeBlockParser(PythonCodeBlockParser):
    """Sybil's parser of Python code blocks and the doctests in them, with the sheet's
    evaluators, for the given languages (Markdown's and MyST's blocks; reST's in a subclass)."""

    codeblock_class = "markdown"

    def __init__(
        self, doctest_optionflags: int = 0, languages: Collection[str] = DEFAULT_LANGUAGES
    ) -> None:
        super().__init__(doctest_optionflags=doctest_optionflags)
        # PythonCodeBlockParser's doctest_parser and codeblock_parser attributes are
        # undocumented: they are where it keeps the parsers it combines.
        # DocTestStringParser is annotated for Sybil's DocTestEvaluator but only hands its
        # evaluator to the regions it makes: any evaluator works.
        self.doctest_parser = _ForgivingDocTestStringParser(
            SheetDocTestEvaluator(doctest_optionflags)  # type: ignore[arg-type]
        )
        blocks = _RestCodeBlocks if self.codeblock_class == "rest" else _FencedCodeBlocks
        self.codeblock_parser = blocks(languages, SheetCodeEvaluator())


class _LineSkipper(Skipper):
    """Sybil's skip, except that a directive without a reason skips what it covers, naming its
    line, where bare Sybil leaves those examples unrun and reported as passed."""

    def install(self, example: Example, state: Any, reason: str | None) -> None:
        # Skipper.install and SkipState.exception are undocumented: where Sybil's skip keeps
        # what the examples it covers raise.
        super().install(example, state, reason)
        if not reason:
            state.exception = unittest.SkipTest(
                f"skipped by a skip directive at line {example.line}"
            )


def _skips(parser: Any) -> Any:
    # AbstractSkipParser.skipper is undocumented: the evaluator it gives its regions.
    parser.skipper = _LineSkipper(parser.directive)
    return parser


class _ClearNamespaceParser(MystClearNamespaceParser):
    """Sybil's ``clear-namespace`` parser, with the combination's names kept."""

    evaluate = CombinationClearNamespace()


class _RestClearNamespaceParser(RestClearNamespaceParser):
    evaluate = CombinationClearNamespace()


def _sheet_doctests(parser: Any, doctest_optionflags: int) -> Any:
    # The string_parser attribute of Sybil's doctest parsers is undocumented: where they keep
    # the DocTestStringParser (and its evaluator) they apply to each block.
    parser.string_parser = _ForgivingDocTestStringParser(
        SheetDocTestEvaluator(doctest_optionflags)  # type: ignore[arg-type]
    )
    return parser


class _RestCodeBlockParser(_CodeBlockParser):
    codeblock_class = "rest"


def make_sybil(
    rootpath: Any,
    languages: Collection[str] = DEFAULT_LANGUAGES,
    doctest_optionflags: int = 0,
    format: str = "markdown",
) -> Sybil:
    """The Sybil that parses sheets of one format (built per session, from the rootdir):
    Markdown (MyST included), reST or Python modules' docstrings, each with Sybil's own parsers
    for it."""
    parsers: list[Any]
    if format == "python":
        parsers = [
            _sheet_doctests(RestDocTestParser(), doctest_optionflags),
            _skips(RestSkipParser()),
            _RestClearNamespaceParser(),
        ]
    elif format == "rest":
        parsers = [
            _RestCodeBlockParser(doctest_optionflags, languages),
            _sheet_doctests(RestDocTestParser(), doctest_optionflags),
            _skips(RestSkipParser()),
            _RestClearNamespaceParser(),
        ]
    else:
        parsers = [
            _CodeBlockParser(doctest_optionflags, languages),
            _sheet_doctests(MystDocTestDirectiveParser(), doctest_optionflags),
            _skips(MystSkipParser()),
            _ClearNamespaceParser(),
        ]
    return Sybil(
        parsers=parsers,
        path=str(rootpath),
        encoding=ENCODING,
        name=format,
    )


@dataclass(frozen=True)
class ParsedRegion:
    """A region Sybil found, where it is, and what kind of step it makes."""

    region: Region
    line: int
    column: int
    is_example: bool
    doctest_lineno: int | None  # a doctest's line within its block, else None
    checks_output: bool = False  # a doctest with an expected output or exception
    runs_code: bool = False  # code, a doctest, or a block Sybil could not parse
    text: str = ""  # a doctest's source, a block's code, else the parsed value as text


class ParseError(ValueError):
    """Text Sybil cannot parse, or two regions that overlap (a code block inside an invisible
    code block, say): the line, and what is wrong."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


# The kinds of region Sybil's parsers find, as FoundRegion.kind names them.
CODE_BLOCK = "code block"
DOCTEST_EXAMPLE = "doctest example"
INVISIBLE_CODE_BLOCK = "invisible code block"
SKIP_DIRECTIVE = "skip directive"
CLEAR_NAMESPACE_DIRECTIVE = "clear-namespace directive"


@dataclass(frozen=True)
class FoundRegion:
    """A region one of Sybil's parsers found: its span in the sheet's text, its kind (one of the
    names above), and the text the parsers read it in (its index in FoundRegions.texts: a
    module's docstring, else the whole sheet) with its start there."""

    start: int
    end: int
    kind: str
    text: int
    text_start: int


class FoundRegions:
    """Every region ``sybil``'s parsers find in a sheet's text, as data and in the order they
    find them, before any is placed; the error that stopped them (after the regions found
    before it), if any; the texts they read; and the sheet's format and code languages."""

    def __init__(self, text: str, path: str, sybil: Sybil) -> None:
        self.text = text
        self.path = path
        self.format: str = sybil.name
        self.languages = _languages(sybil)
        self.texts: list[tuple[int, str]] = []
        self.regions: list[FoundRegion] = []
        self.error: ParseError | None = None
        self._sybil = sybil
        self._found: list[Region] = []
        try:
            self.texts = _texts(text, sybil)
            self._find()
        except (LexingException, ValueError) as error:  # what Sybil's parsers and lexers raise
            self.error = ParseError(_line_of(error), str(error))

    def _find(self) -> None:
        for number, (start, docstring) in enumerate(self.texts):
            positions = None
            if self.format == "python":
                positions = literal_positions(self.text, start, docstring)
            part = Document(docstring, self.path)
            # Sybil.parsers is undocumented: Document.parse does this loop from a path, and here
            # the sheet's text is already read (and checked).
            for parser in self._sybil.parsers:
                for region in parser(part):
                    text_start = region.start
                    region.start += start
                    region.end += start
                    if positions is not None:  # escapes (\t, \\, \n) before it in its docstring
                        region.start = start + positions[region.start - start]
                        region.end = start + positions[region.end - start]
                    self._found.append(region)
                    self.regions.append(
                        FoundRegion(region.start, region.end, _kind(region), number, text_start)
                    )

    def place(self, indices: Iterable[int]) -> list[ParsedRegion]:
        """The regions at ``indices`` (none overlapping another) placed in the sheet's document,
        in file order, with where each is and what kind of step it makes."""
        document = Document(self.text, self.path)
        try:
            for region in (self._found[index] for index in indices):
                # Document.add is undocumented: how Document.parse places each region.
                document.add(region)
        except ValueError as error:
            raise ParseError(_line_of(error), str(error)) from None
        parsed = []
        for example in document.examples():
            region = example.region
            evaluator = region.evaluator
            is_doctest = isinstance(region.parsed, doctest.Example)
            parsed.append(
                ParsedRegion(
                    region=region,
                    line=example.line,
                    column=example.column,
                    is_example=not isinstance(evaluator, Skipper)
                    and not isinstance(evaluator, CombinationClearNamespace),
                    doctest_lineno=region.parsed.lineno if is_doctest else None,
                    checks_output=is_doctest
                    and (bool(region.parsed.want) or region.parsed.exc_msg is not None),
                    # A block Sybil could not parse has its error as its parsed value.
                    runs_code=isinstance(region.parsed, (str, doctest.Example, Exception)),
                    text=region.parsed.source if is_doctest else str(region.parsed),
                )
            )
        return parsed

    def code_blocks(self) -> list[tuple[int, int]]:
        """(start, end) of every Python code block (a module's docstring), in order."""
        if self.format == "python":
            found = PythonDocStringDocument.extract_docstrings(self.text)  # undocumented
            return sorted((start, end) for start, end, _ in found)
        document = Document(self.text, self.path)
        code_blocks = _code_blocks(self._sybil)
        spans = set(code_blocks.block_spans(document) if code_blocks is not None else ())
        # Doctest directives (reST ``.. doctest::``, MyST ``{doctest}``) are blocks too.
        doctest_directive: Any = RestDirectiveLexer(directive="doctest")
        if self.format != "rest":
            doctest_directive = MystDocTestDirectiveParser().lexer  # undocumented: its lexer
        spans.update((region.start, region.end) for region in doctest_directive(document))
        return sorted(spans)


def _line_of(error: Exception) -> int:
    match = _LINE_IN_MESSAGE.search(str(error))
    return int(match.group(1)) if match else 1


def _texts(text: str, sybil: Sybil) -> list[tuple[int, str]]:
    """(offset, text) of what the parsers read: a Python module's docstrings, else all."""
    if sybil.name != "python":
        return [(0, text)]
    # PythonDocStringDocument.extract_docstrings is undocumented: how Sybil finds docstrings.
    return [(start, doc) for start, _, doc in PythonDocStringDocument.extract_docstrings(text)]


def _kind(region: Region) -> str:
    if region.lexemes.get("directive") == "invisible-code-block":
        return INVISIBLE_CODE_BLOCK
    if isinstance(region.parsed, doctest.Example):
        return DOCTEST_EXAMPLE
    if isinstance(region.evaluator, Skipper):
        return SKIP_DIRECTIVE
    if isinstance(region.evaluator, CombinationClearNamespace):
        return CLEAR_NAMESPACE_DIRECTIVE
    return CODE_BLOCK


def _code_blocks(sybil: Sybil) -> _Languages | None:
    """The parser of ``sybil``'s code blocks (None for Python modules' docstrings)."""
    # Sybil.parsers is undocumented: the parsers it was built with.
    for parser in sybil.parsers:
        if isinstance(parser, _CodeBlockParser):
            assert isinstance(parser.codeblock_parser, _Languages)
            return parser.codeblock_parser
    return None


def _languages(sybil: Sybil) -> Collection[str]:
    code_blocks = _code_blocks(sybil)
    return code_blocks.languages if code_blocks is not None else DEFAULT_LANGUAGES


def region_source(region: Region, line: int = 0) -> tuple[str, int] | None:
    """The Python source a region runs (a doctest's statement or a code block's text) and the
    sheet line its first line is on, ``line`` being the region's step line; else None."""
    parsed = region.parsed
    if isinstance(parsed, doctest.Example):
        return parsed.source, line
    if isinstance(parsed, str):
        # Lexeme.line_offset is undocumented: the lines between the region's start and its
        # source (the fence line, a MyST directive's options).
        return parsed, line + 1 + getattr(parsed, "line_offset", 0)
    return None


def skip_condition(region: Region) -> str | None:
    """A skip directive's condition as Python source, as Sybil evaluates it, else None."""
    parsed = region.parsed
    if not isinstance(region.evaluator, Skipper) or not isinstance(parsed, tuple):
        return None
    # The (action, condition) tuple in Region.parsed is undocumented: SkipParser's layout.
    condition = parsed[1] if len(parsed) > 1 else None
    if not isinstance(condition, str):
        return None
    condition = condition.strip()
    # Sybil evaluates ``if(...)`` as a call of ``if_``; do the same to read its names.
    return "if_" + condition[2:] if condition.startswith("if") else condition


def directive_comments(text: str, path: str, name: str) -> list[tuple[int, str]]:
    """(position, text) of every directive comment named ``name`` Sybil's lexers find in a
    Markdown (MyST) or reST sheet, in order: ``<!-- name: ... -->``, ``% name: ...``,
    ``.. name: ...``; raises ParseError for one that is not closed."""
    lexers: list[Any] = [RestDirectiveInCommentLexer(directive=name)]
    if not path.endswith(".rst"):
        lexers = [DirectiveInHTMLCommentLexer(directive=name), DirectiveInPercentCommentLexer(name)]
    document = Document(text, path)
    found = []
    try:
        for lexer in lexers:
            for region in lexer(document):
                found.append(
                    (region.start, f"{region.lexemes['arguments']} {region.lexemes['source']}")
                )
    except LexingException as error:
        raise ParseError(_line_of(error), f"{name} comment is not closed") from None
    return sorted(found)


# -- a run: one combination's document, examples and skip state -------------------------------


class _Gated:
    """Stands in for an example whose ``requires`` gate does not hold, so that Sybil's skip
    state still counts it (a ``skip: next`` before it skips it, not the block after)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __call__(self, example: Example) -> None:
        raise unittest.SkipTest(self.reason)


class Run:
    """One run of a sheet in one combination: a fresh Sybil document (namespace and evaluator
    stack, which holds the skip state) and the examples of its regions."""

    def __init__(
        self, text: str, path: str, regions: Sequence[ParsedRegion], kept_names: dict[str, Any]
    ) -> None:
        self.document = RunDocument(text, path, kept_names)
        self.namespace = self.document.namespace
        self._regions = regions
        self._examples: list[Example | None] = [None] * len(regions)

    def example(self, index: int) -> Example:
        example = self._examples[index]
        if example is None:
            parsed = self._regions[index]
            example = Example(
                self.document, parsed.line, parsed.column, parsed.region, self.namespace
            )
            self._examples[index] = example
        return example

    def evaluate(
        self, index: int, gated: str | None = None, checker: SheetChecker | None = None
    ) -> None:
        """Evaluate region ``index`` through Sybil's evaluator stack (so skip directives apply);
        ``gated`` is the skip reason of an example whose gate does not hold; a doctest checks
        its output with ``checker``."""
        __tracebackhide__ = True
        example = self.example(index)
        evaluator: Callable[[Example], Any] | None = (
            _Gated(gated) if gated is not None else example.region.evaluator
        )
        assert evaluator is not None  # parse_document keeps only regions that evaluate
        self.document.checker = checker
        # Document.evaluate is undocumented: it tries the evaluators pushed on the document (the
        # skip state) before the region's own, as Example.evaluate does.
        self.document.evaluate(example, evaluator)

    def forget_skip_state(self, index: int) -> None:
        """After a skip directive failed (a condition that raised, say), drop its half-made
        state so that later skip directives of this run are judged on their own."""
        skipper = self._regions[index].region.evaluator
        if isinstance(skipper, Skipper):
            # Skipper.document_state is undocumented: its per-document skip state.
            skipper.document_state.pop(self.document, None)
            self.document.pop_evaluator(skipper)

    def close(self) -> None:
        """Drop what the run holds: its namespace, its examples and its skip state."""
        self.namespace.clear()
        self._examples = []
        for parsed in self._regions:
            skipper = parsed.region.evaluator
            if isinstance(skipper, Skipper):
                skipper.document_state.pop(self.document, None)  # undocumented, as above
