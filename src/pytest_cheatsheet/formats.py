"""What each documentation format contributes: which code blocks run, with Sybil's own lexers."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from sybil import Document, Region
from sybil.parsers.markdown import CodeBlockParser as MarkdownCodeBlockParser
from sybil.typing import Evaluator

from pytest_cheatsheet.options import info_language


class FencedCodeBlocks(MarkdownCodeBlockParser):
    """Sybil's Markdown code-block parser for several languages at once: the info string's first
    word, case-insensitive, with any attributes after it (```` ```Python title="a.py" ````)."""

    def __init__(self, languages: Collection[str], language: str, evaluator: Evaluator) -> None:
        super().__init__(language=language, evaluator=evaluator)
        self.languages = frozenset(languages)
        self.code_evaluator = evaluator

    def runs(self, region: Region) -> bool:
        return info_language(str(region.lexemes.get("arguments", ""))) in self.languages

    def __call__(self, document: Document) -> Iterable[Region]:
        for region in self.lexers(document):
            if self.runs(region):
                region.parsed = region.lexemes["source"]
                region.evaluator = self.code_evaluator
                yield region

    def block_spans(self, document: Document) -> list[tuple[int, int]]:
        """(start, end) of every block that runs, visible or invisible, in order."""
        return sorted({(r.start, r.end) for r in self.lexers(document) if self.runs(r)})
