"""The report of a run: its charts, report.md and CSV tables, drawn from one analysis."""
