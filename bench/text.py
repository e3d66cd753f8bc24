"""Numbers as people read them: the formatting every layer shares, importing nothing of the project."""


def human_bytes(n: float) -> str:
    """A byte count as people write it: '800 MB', '8 TB' (powers of 1000, three significant digits)."""
    for unit in ("B", "kB", "MB", "GB"):
        if abs(n) < 1000:
            return f"{n:.3g} {unit}"
        n /= 1000
    return f"{n:.3g} TB" if abs(n) < 1000 else f"{n:,.0f} TB"


def number_text(value: float) -> str:
    """Three significant digits, but whole numbers from 1000 up to 10^6 rather than exponents: '0.213', '1250'."""
    return f"{value:.0f}" if 1000 <= abs(value) < 1e6 else f"{value:.3g}"
