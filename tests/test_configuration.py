from __future__ import annotations

import textwrap

import pytest

DTYPE_SHEET = """\
```python
>>> import torch
>>> torch.ones(2, dtype=dtype).sum().item()
2.0
```
"""


def write(pytester: pytest.Pytester, name: str, text: str) -> None:
    path = pytester.path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")


def pyproject(pytester: pytest.Pytester, options: str) -> None:
    write(
        pytester,
        "pyproject.toml",
        '[tool.pytest.ini_options]\ncheatsheet_items = "example"\n' + textwrap.dedent(options),
    )


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("-p", "no:cacheprovider", *args)


def test_ini_options_accept_toml_lists(pytester: pytest.Pytester) -> None:
    pyproject(
        pytester,
        """
        cheatsheet_paths = ["docs"]
        cheatsheet_devices = ["cpu"]
        cheatsheet_dtypes = ["float32", "float64"]
        cheatsheet_autocast = ["off"]
        """,
    )
    write(pytester, "docs/a.md", DTYPE_SHEET)
    result = run(pytester, "--collect-only", "-q")
    result.stdout.fnmatch_lines(["docs/a.md::float32::line:2", "docs/a.md::float64::line:3"])
    run(pytester).assert_outcomes(passed=4)


@pytest.mark.parametrize(
    "paths", ['"docs,README.md"', '"docs README.md"', '"docs, README.md"', '["docs", "README.md"]']
)
def test_cheatsheet_paths_names_folders_and_files_separated_by_commas_or_spaces(
    pytester: pytest.Pytester, paths: str
) -> None:
    pyproject(pytester, f"cheatsheet_paths = {paths}\ncheatsheet_devices = 'cpu'\n")
    write(pytester, "docs/a.md", DTYPE_SHEET)
    write(pytester, "README.md", DTYPE_SHEET)
    write(pytester, "OTHER.md", "```python\n>>> 1\n2\n```\n")
    result = run(pytester, "-v")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["README.md::float32::line:2 PASSED*"])


def test_axis_options_in_an_ini_file_take_commas_spaces_and_lines(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini(
        "[pytest]\ncheatsheet_items = example\n"
        "cheatsheet_devices = cpu\ncheatsheet_dtypes = float32,\n  float64\n"
    )
    write(pytester, "cheatsheet/a.md", DTYPE_SHEET)
    run(pytester).assert_outcomes(passed=4)


def test_cheatsheet_paths_takes_globs_relative_to_the_rootdir(pytester: pytest.Pytester) -> None:
    pyproject(pytester, "cheatsheet_paths = ['docs/**/*.md']\ncheatsheet_devices = 'cpu'\n")
    write(pytester, "docs/guide/deep/a.md", DTYPE_SHEET)
    write(pytester, "docs/b.md", DTYPE_SHEET)
    write(pytester, "docs/c.txt", "```python\n>>> 1\n2\n```\n")
    write(pytester, "other/d.md", "```python\n>>> 1\n2\n```\n")
    (pytester.path / "docs" / "guide" / "deep").joinpath("sub").mkdir()
    pytester.chdir()
    run(pytester).assert_outcomes(passed=4)


def test_sheets_are_found_from_a_subfolder_by_paths_relative_to_the_rootdir(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pyproject(pytester, "cheatsheet_devices = 'cpu'\n")  # the default path: cheatsheet
    write(pytester, "cheatsheet/torch/math.md", DTYPE_SHEET)
    write(pytester, "cheatsheet/torch/other.md", DTYPE_SHEET)
    monkeypatch.chdir(pytester.path / "cheatsheet")
    result = run(pytester, "torch/math.md", "-v")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["torch/math.md::float32::line:2 PASSED*"])
    monkeypatch.chdir(pytester.path / "cheatsheet" / "torch")
    run(pytester).assert_outcomes(passed=4)


@pytest.mark.parametrize("paths", ["docz", "docs,missing.md", "docs/*.rst"])
def test_a_cheatsheet_path_that_does_not_exist_is_a_usage_error(
    pytester: pytest.Pytester, paths: str
) -> None:
    pyproject(pytester, f"cheatsheet_paths = {paths!r}\n")
    write(pytester, "docs/a.md", DTYPE_SHEET)
    result = run(pytester)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: ini option cheatsheet_paths: '*' * relative to the rootdir*"]
    )


def test_without_a_sheet_folder_nothing_is_collected_and_nothing_fails(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile("def test_plain():\n    pass\n")
    run(pytester).assert_outcomes(passed=1)


def test_a_markdown_file_named_on_the_command_line_is_collected_outside_the_paths(
    pytester: pytest.Pytester,
) -> None:
    pyproject(pytester, "cheatsheet_devices = 'cpu'\n")
    write(pytester, "README.md", DTYPE_SHEET)
    write(pytester, "notes/b.md", DTYPE_SHEET)
    run(pytester, "README.md").assert_outcomes(passed=2)
    run(pytester).assert_outcomes()
    pytester.makepyfile(test_x="def test_x():\n    pass\n")
    run(pytester, "README.md", "test_x.py").assert_outcomes(passed=3)


@pytest.mark.parametrize(
    "info",
    ["python", "py", "python3", "pycon", "Python", "PY", 'python title="a.py"', "py {linenos}"],
)
def test_fenced_blocks_of_every_python_tag_run(pytester: pytest.Pytester, info: str) -> None:
    write(pytester, "cheatsheet/a.md", f"```{info}\n>>> 1 + 1\n3\n```\n\n```{info}\nx = 1\n```\n")
    result = run(pytester)
    result.assert_outcomes(passed=1, failed=1)


@pytest.mark.parametrize("info", ["text", "pythonic", "console", "python-repl"])
def test_fenced_blocks_of_other_languages_do_not_run(pytester: pytest.Pytester, info: str) -> None:
    write(pytester, "cheatsheet/a.md", f"```{info}\n>>> 1 + 1\n3\n```\n\n```python\nx = 1\n```\n")
    run(pytester).assert_outcomes(passed=1)


def test_cheatsheet_languages_chooses_the_tags_that_run(pytester: pytest.Pytester) -> None:
    pyproject(pytester, "cheatsheet_languages = ['python', 'python-repl']\n")
    write(
        pytester,
        "cheatsheet/a.md",
        "```py\n>>> 1\n3\n```\n\n```python-repl\n>>> 1\n1\n```\n\n```Python\nx = 1\n```\n",
    )
    run(pytester).assert_outcomes(passed=2)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ("cheatsheet_dtypes = [1, 2]", "*cheatsheet_dtypes*"),
        ("cheatsheet_dtypes = ['float17']", "*cheatsheet_dtypes: unknown dtype 'float17'; valid:*"),
        ("cheatsheet_devices = 'gpu'", "*cheatsheet_devices: unknown device 'gpu'; valid:*"),
        ("cheatsheet_autocast = ['maybe']", "*cheatsheet_autocast: unknown autocast value*"),
        ("cheatsheet_languages = ['py!']", "*cheatsheet_languages: 'py!' is not a language name*"),
        ("cheatsheet_languages = []", "*cheatsheet_languages: needs at least one language*"),
        ("cheatsheet_autocast_dtype = 'float16 bfloat16'", "*one dtype, got float16 bfloat16*"),
        (
            "cheatsheet_require_devices = 'gpu'",
            "*cheatsheet_require_devices: unknown device 'gpu'*",
        ),
        ("cheatsheet_paths = [3]", "*cheatsheet_paths*"),
        ("cheatsheet_dtypes = ''", "*cheatsheet_dtypes: dtypes= needs at least one value*"),
    ],
)
def test_bad_ini_values_are_usage_errors_naming_the_option(
    pytester: pytest.Pytester, options: str, message: str
) -> None:
    pyproject(pytester, options + "\n")
    result = run(pytester)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()


def test_a_narrowing_that_leaves_a_sheet_nothing_is_said_per_sheet(
    pytester: pytest.Pytester,
) -> None:
    pyproject(pytester, "")
    write(
        pytester,
        "cheatsheet/a.md",
        "<!-- cheatsheet: devices=cpu dtypes=float32,float64 -->\n" + DTYPE_SHEET,
    )
    write(
        pytester,
        "cheatsheet/b.md",
        "<!-- cheatsheet: devices=cpu dtypes=float16 -->\n" + DTYPE_SHEET,
    )
    result = run(pytester, "--cheatsheet-dtypes=float16", "-rs")
    result.assert_outcomes(passed=2, skipped=1)
    result.stdout.fnmatch_lines(
        [
            "*cheatsheet: sheets left nothing to run*",
            "cheatsheet/a.md: no combination left "
            "(its dtypes float32, float64, --cheatsheet-dtypes=float16)",
            "SKIPPED [[]1[]] cheatsheet/a.md:1: no combination left*",
        ]
    )


def test_a_required_device_that_is_absent_is_an_error_not_a_skip(
    pytester: pytest.Pytester,
) -> None:
    pyproject(pytester, "")
    write(
        pytester,
        "cheatsheet/a.md",
        "<!-- cheatsheet: devices=cpu,mps -->\n"
        + DTYPE_SHEET.replace("dtype=dtype", "device=device"),
    )
    run(pytester).assert_outcomes(passed=2, skipped=2)
    result = run(pytester, "--cheatsheet-require-devices=mps")
    result.assert_outcomes(passed=2, errors=2)
    result.stdout.fnmatch_lines(
        ["*device 'mps' is required (cheatsheet_require_devices) but is not available*"]
    )
    pyproject(pytester, "cheatsheet_require_devices = ['mps']\n")
    run(pytester).assert_outcomes(passed=2, errors=2)


def test_a_required_device_given_on_the_command_line_is_validated(
    pytester: pytest.Pytester,
) -> None:
    result = run(pytester, "--cheatsheet-require-devices=gpu")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--cheatsheet-require-devices: unknown device 'gpu'*"])
