"""``python -m pytest_cheatsheet.compat``: the history's command (pytest_cheatsheet.history)."""

from pytest_cheatsheet.history.__main__ import main

if __name__ == "__main__":
    raise SystemExit(main())
