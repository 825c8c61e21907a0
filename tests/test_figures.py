"""The committed cheat-sheet figures must equal what cheatsheet/figures/make_figures.py renders."""

from __future__ import annotations

import importlib.util
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from types import ModuleType

FIGURES = Path(__file__).resolve().parent.parent / "cheatsheet" / "figures"
SVG_NS = "{http://www.w3.org/2000/svg}"


def _load_make_figures(path: Path = FIGURES / "make_figures.py") -> ModuleType:
    spec = importlib.util.spec_from_file_location("cheatsheet_make_figures", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def test_normalization_axes_svg_is_up_to_date() -> None:
    rendered = _load_make_figures().render_normalization_axes()
    committed = (FIGURES / "normalization-axes.svg").read_bytes()
    assert committed == rendered.encode("utf-8"), (
        "normalization-axes.svg is stale: run python cheatsheet/figures/make_figures.py"
    )


def test_render_is_deterministic() -> None:
    module = _load_make_figures()
    assert module.render_normalization_axes() == module.render_normalization_axes()


def test_normalization_axes_svg_is_well_formed_with_four_panels() -> None:
    root = ET.fromstring((FIGURES / "normalization-axes.svg").read_bytes())
    assert root.tag == f"{SVG_NS}svg"
    panels = [g for g in root.iter(f"{SVG_NS}g") if g.get("class") == "panel"]
    assert [g.get("id") for g in panels] == [
        "panel-batchnorm",
        "panel-layernorm",
        "panel-instancenorm",
        "panel-groupnorm",
    ]
    for panel in panels:
        texts = {t.text for t in panel.iter(f"{SVG_NS}text")}
        assert {"C", "H, W", "N"} <= texts
        highlighted = [
            p for p in panel.iter(f"{SVG_NS}polygon") if "hl" in (p.get("class") or "").split()
        ]
        assert highlighted, f"{panel.get('id')} highlights no cell"


def test_main_writes_the_svg_next_to_the_script(tmp_path: Path) -> None:
    copy = tmp_path / "make_figures.py"
    copy.write_bytes((FIGURES / "make_figures.py").read_bytes())
    module = _load_make_figures(copy)
    module.main()
    assert (tmp_path / "normalization-axes.svg").read_text(encoding="utf-8") == (
        module.render_normalization_axes()
    )
