"""Self-contained HTML pages with plotly charts: `tandem report --format html` and the replay's page.

Each page carries plotly.js inline and loads nothing at view time (docs/decision_log.md, 2026-12-04);
its charts are drawn from the same numbers as the command's table and JSON.
"""
