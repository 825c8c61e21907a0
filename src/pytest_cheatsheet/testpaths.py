"""A bare ``pytest`` collects the sheets: where pytest took its arguments from ``testpaths``
(run from the rootdir with none given), the sheet paths that ``testpaths`` does not hold are
collected as well. Arguments given on the command line, or a run from a subfolder (pytest then
collects that folder), are left as they are."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_cheatsheet.options import SheetPaths


def add_sheet_paths(config: pytest.Config, paths: SheetPaths) -> None:
    """Append to ``config.args`` the sheet paths its ``testpaths`` arguments do not hold."""
    if config.args_source != pytest.Config.ArgsSource.TESTPATHS:
        return
    given = [
        Path(config.invocation_params.dir, arg.split("::")[0]).resolve() for arg in config.args
    ]
    for path in sorted((*paths.folders, *paths.files)):
        if not any(path == each or each in path.parents for each in given):
            config.args.append(str(path))
