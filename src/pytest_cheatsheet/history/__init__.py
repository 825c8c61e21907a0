"""The sheets' claims across releases: a history kept per run, and COMPATIBILITY.md made from it.

``python -m pytest_cheatsheet.history record REPORT --label torch-2.15 --history DIR --output
PAGE`` keeps one JSON report (schema 3: each result carries its claim, computed at collection)
as ``DIR/<label>-<device>.json``, prints the claims whose outcome changed and rewrites the page;
``render --history DIR --output PAGE`` rewrites the page from the history alone. Only reports and
history files are read (a sheet only for the digest saying it is unchanged since the run).
"""
