"""report.html: report.md rendered for a reader without a markdown viewer, one self-contained file.

markdown-it-py (CommonMark, with tables) renders it; every chart is embedded as a data URI, so the file can be
mailed or opened from anywhere; the page is as wide as a laptop's screen, wide tables scroll inside it.
"""

import base64
import html
import re
from pathlib import Path

from markdown_it import MarkdownIt

HTML_NAME = "report.html"
STYLE = """
body { font-family: system-ui, sans-serif; max-width: 900px; margin: 2em auto; padding: 0 1em; line-height: 1.45; }
table { border-collapse: collapse; display: block; overflow-x: auto; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.5em; text-align: left; }
img { max-width: 100%; }
code { background: #f4f4f4; padding: 0 0.2em; }
details { margin: 0.5em 0; } summary { cursor: pointer; color: #555; }
"""


def render_html(markdown: str, run_dir: Path, title: str) -> str:
    """`markdown` as a whole HTML page, the PNGs it names (beside it in `run_dir`) embedded."""
    body = MarkdownIt("commonmark").enable("table").render(markdown)

    def embed(match: re.Match[str]) -> str:
        path = Path(run_dir) / html.unescape(match.group(1))
        if not path.exists() or path.suffix != ".png":
            return match.group(0)
        return f'src="data:image/png;base64,{base64.b64encode(path.read_bytes()).decode("ascii")}"'

    body = re.sub(r'src="([^":]+)"', embed, body)
    return (
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{html.escape(title)}</title>\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<style>{STYLE}</style>\n</head>\n'
        f"<body>\n{body}</body>\n</html>\n"
    )


def write_html(markdown: str, run_dir: Path) -> Path:
    """report.html beside report.md in `run_dir`; its path."""
    first = markdown.splitlines()[0].lstrip("# ") if markdown else "benchmark report"
    path = Path(run_dir) / HTML_NAME
    path.write_text(render_html(markdown, run_dir, first), encoding="utf-8")
    return path
