"""The report's first screen and its shape: the notes' table measured, the answer, the limits, report.html."""

import re
from html.parser import HTMLParser

import pytest

from bench.reporting.build import build_report
from tests.synthetic import claim_grid
from tests.test_report import write_run

SIZES = [(m, n_x) for m in (100, 1000, 10_000) for n_x in (10, 100)]
FIRST_SCREEN_LINES = 40
MOST_LINES_OUTSIDE_DETAILS = 200


@pytest.fixture(scope="module")
def holding(tmp_path_factory):
    """A run where both claims hold everywhere: 10x and 300x exactly."""
    directory = write_run(tmp_path_factory.mktemp("holds"), claim_grid(10.0, 300.0, SIZES))
    return directory, build_report(directory).read_text()


def _first_screen(text: str) -> str:
    return text.split("\n## ")[0]


def test_the_first_screen_has_the_notes_table_measured_the_map_and_the_answer(holding) -> None:
    _, text = holding
    screen = _first_screen(text)
    assert len(screen.splitlines()) <= FIRST_SCREEN_LINES
    assert "| Full: both loops vectorized (`fully_vectorized`)" in screen and "~300x" in screen
    # The largest timed m at each n_x: m = 1e4 for both; exactly the speedups the run has.
    row = next(line for line in screen.splitlines() if line.startswith("| Full"))
    assert re.search(r"\|\s*300x \[300, 300\]\s*\|\s*300x \[300, 300\]\s*\|\s*300x to 300x \(6 sizes\)", row), row
    assert "m = 1e4, n_x = 10" in screen and "m = 1e4, n_x = 100" in screen
    assert "![Where each claim holds, 1 thread](speedup_heatmap_1_thread.png)" in screen
    answer = " ".join(screen.split("**The answer.**")[1].split())  # its wrapped lines joined
    assert "~300x (both loops removed) holds at 6 (n_x = 10 and 100) of 6 measured sizes" in answer
    assert "Measure it on your machine: `python -m bench run" in screen


def test_where_the_claim_does_not_hold_the_answer_says_so(tmp_path) -> None:
    text = build_report(write_run(tmp_path, claim_grid(2.0, 40.0, SIZES))).read_text()
    screen = " ".join(_first_screen(text).split())  # wrapped lines joined
    assert "~300x (both loops removed) does not hold at 6 (n_x = 10 and 100) of 6 measured sizes" in screen
    assert "~10x (one loop removed) does not hold at 6" in screen
    assert "holds at" not in screen.split("**The answer.**")[1].split("Why")[0]


def test_no_sentence_says_a_count_of_zero(holding) -> None:
    _, text = holding
    assert not re.search(r"\b(holds|is exceeded|does not hold|is undecided) at 0\b", text)


def test_the_report_stays_within_its_limits(holding) -> None:
    _, text = holding
    outside = re.sub(r"<details>.*?</details>", "", text, flags=re.S)
    assert len(outside.splitlines()) <= MOST_LINES_OUTSIDE_DETAILS
    long = [line[:60] for line in text.splitlines() if len(line) > 300 and not line.startswith("|")]
    assert not long, long


class _Page(HTMLParser):
    """What a browser's first screen would show: text and elements up to the first <h2>."""

    def __init__(self) -> None:
        super().__init__()
        self.before_h2, self.tags, self.text, self.images = True, [], [], []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "h2":
            self.before_h2 = False
        if self.before_h2:
            self.tags.append(tag)
            self.images += [value for name, value in attrs if tag == "img" and name == "src"]

    def handle_data(self, data: str) -> None:
        if self.before_h2:
            self.text.append(data)


def test_report_html_is_self_contained_with_the_first_screen_first(holding) -> None:
    directory, _ = holding
    page = _Page()
    page.feed((directory / "report.html").read_text())
    text = " ".join(" ".join(page.text).split())
    assert "table" in page.tags and "~300x" in text and "The answer." in text
    assert page.images and all(src.startswith("data:image/png;base64,") for src in page.images)


def test_every_chart_fits_1800_pixels_with_seven_feature_counts(tmp_path) -> None:
    from PIL import Image

    sizes = [(m, n_x) for m in (100, 1000) for n_x in (1, 3, 10, 30, 100, 300, 1000)]  # the fine grid's n_x
    build_report(write_run(tmp_path, claim_grid(10.0, 300.0, sizes)))
    widths = {path.name: Image.open(path).size[0] for path in tmp_path.glob("*.png")}
    assert "time_vs_m.png" in widths and max(widths.values()) <= 1800, widths
