"""Every relative link and anchor in the sheets (and the README) leads somewhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = sorted(
    [ROOT / "README.md", *(ROOT / "cheatsheet").rglob("*.md"), *(ROOT / "docs").rglob("*.md")]
)
# A backtick fence's info string holds no backtick (CommonMark), so a line that opens with a
# code span such as ````` ````markdown ````` is prose, not a fence.
_FENCE = re.compile(
    r"^ {0,3}(`{3,}(?=[^`\n]*$)|~{3,}).*?^ {0,3}\1[ \t]*$", re.MULTILINE | re.DOTALL
)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$", re.MULTILINE)
_LINE_ANCHOR = re.compile(r"L(\d+)")


def prose(text: str) -> str:
    """The text outside code blocks and HTML comments, where links render."""
    return _COMMENT.sub("", _FENCE.sub("", text))


def github_slug(heading: str) -> str:
    """GitHub's anchor for a heading: markup dropped, lowercase, punctuation out, spaces to '-'."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # links keep their text
    text = re.sub(r"<[^>]+>", "", text).replace("`", "").replace("*", "")
    text = text.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    found: set[str] = set()
    seen: dict[str, int] = {}
    for match in _HEADING.finditer(prose(path.read_text(encoding="utf-8"))):
        slug = github_slug(match.group(1))
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        found.add(slug if count == 0 else f"{slug}-{count}")
    found |= set(
        re.findall(r"""<a\s+(?:name|id)=["']([^"']+)["']""", path.read_text(encoding="utf-8"))
    )
    return found


def links(path: Path) -> list[str]:
    return [match.group(1) for match in _LINK.finditer(prose(path.read_text(encoding="utf-8")))]


def test_github_slugs_follow_githubs_rules() -> None:
    assert github_slug("torch.split") == "torchsplit"
    assert github_slug("`expand_as` 与广播") == "expand_as-与广播"
    assert github_slug("BatchNorm2d：在 (N, H, W) 上") == "batchnorm2d在-n-h-w-上"
    assert github_slug("[Sybil](https://sybil.readthedocs.io) directives") == "sybil-directives"


def test_a_line_opening_with_a_code_span_is_not_a_fence() -> None:
    span = "  ````` ````markdown ````` is text\n"
    text = f"{span}\n## Output checking\n\n{span}\n```python\nx = 1\n```\n"
    assert "## Output checking" in prose(text)
    assert "x = 1" not in prose(text)


def test_the_index_links_every_sheet() -> None:
    index = ROOT / "cheatsheet" / "README.md"
    linked = {(index.parent / target.split("#")[0]).resolve() for target in links(index)}
    sheets = {path.resolve() for path in (ROOT / "cheatsheet").rglob("*.md") if path != index}
    assert sheets - linked == set()


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_relative_link_and_anchor_resolves(document: Path) -> None:
    broken = []
    for target in links(document):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
            continue
        location, _, anchor = target.partition("#")
        location, _, query = location.partition("?")
        destination = (document.parent / location).resolve() if location else document
        if not destination.exists():
            broken.append(f"{target}: no such file")
            continue
        if not anchor:
            continue
        line = _LINE_ANCHOR.fullmatch(anchor)
        if line and query == "plain=1":
            if int(line.group(1)) > len(destination.read_text(encoding="utf-8").splitlines()):
                broken.append(f"{target}: the file is shorter")
        elif destination.suffix == ".md" and anchor not in anchors(destination):
            broken.append(f"{target}: no heading with this anchor")
    assert broken == [], f"{document.relative_to(ROOT)}: broken links: {broken}"
