"""The sheets' claims across releases: a history kept per run, and COMPATIBILITY.md made from it.

``record`` turns one JSON report (``--cheatsheet-report``, schema 3) into
``<history>/<label>-<device>.json``, prints the claims whose outcome changed and rewrites the
page; ``render`` rewrites the page from the history alone::

    python -m pytest_cheatsheet.history record reports/torch-2.15.json --label torch-2.15 \\
        --history cheatsheet/history --output cheatsheet/COMPATIBILITY.md
    python -m pytest_cheatsheet.history render --history cheatsheet/history \\
        --output cheatsheet/COMPATIBILITY.md

(``python -m pytest_cheatsheet.compat`` is the same command.) Each result of the report carries
its claim, computed at collection (claims.py); recording reads no sheet but for the digest that
says it is unchanged since the run, and no message's text. Only the standard library is needed.
"""
