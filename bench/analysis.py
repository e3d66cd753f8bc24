"""Pure analysis of a run's tidy table: speedups, the claims verdict, complexity fits, bandwidth.

Every function takes a DataFrame (from `bench.results.tidy`) and returns a
new one; nothing here measures, plots or writes files.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

BASELINE = "double_loop"
SIZE = ["m", "n_x"]


@dataclass(frozen=True)
class Claim:
    """A speedup the course notes promise for one implementation over the double loop."""

    impl: str
    factor: float
    statement: str

    @property
    def band(self) -> tuple[float, float]:
        """ "About" the factor: within 2x either side (10x: 5x to 20x; 300x: 150x to 600x)."""
        return self.factor / 2, self.factor * 2


CLAIMS = (
    Claim("features_vectorized", 10.0, "one loop removed (features vectorized) is ~10x faster"),
    Claim("fully_vectorized", 300.0, "both loops removed (fully vectorized) is ~300x faster"),
)


def steps(results: pd.DataFrame) -> pd.DataFrame:
    """The gradient-step cases that have a time (measured, or extrapolated from smaller sizes)."""
    return results[(results.kind == "step") & results.seconds.notna()]


def speedups(results: pd.DataFrame, baseline: str = BASELINE) -> pd.DataFrame:
    """Add speedup = seconds[baseline] / seconds, paired at each (m, n_x).

    The interval [speedup_low, speedup_high] pairs the quartiles of the rounds
    (baseline q1 / impl q3 to baseline q3 / impl q1): half the rounds of each
    side lie inside their quartiles. `extrapolated` is true where either side
    is a prediction rather than a measurement.
    """
    timed = steps(results)
    base = timed.loc[timed.impl == baseline, [*SIZE, "seconds", "q1_s", "q3_s", "status"]]
    out = timed.merge(base, on=SIZE, suffixes=("", "_baseline"))
    return out.assign(
        speedup=out.seconds_baseline / out.seconds,
        speedup_low=out.q1_s_baseline / out.q3_s,
        speedup_high=out.q3_s_baseline / out.q1_s,
        extrapolated=(out.status != "measured") | (out.status_baseline != "measured"),
    )


def describe_sizes(frame: pd.DataFrame) -> str:
    """Where in the size grid the rows lie, e.g. 'n_x=10: m=1e+03..1e+06; n_x=100: m=100'."""
    if frame.empty:
        return "nowhere"
    parts = []
    for n_x, group in frame.groupby("n_x"):
        ms = sorted(group.m)
        span = f"{ms[0]:.0e}" if len(ms) == 1 else f"{ms[0]:.0e}..{ms[-1]:.0e}"
        parts.append(f"n_x={n_x}: m={span} ({len(ms)} size{'s' if len(ms) > 1 else ''})")
    return "; ".join(parts).replace("e+0", "e")


def claims_verdict(speedup_table: pd.DataFrame, claims: tuple[Claim, ...] = CLAIMS) -> pd.DataFrame:
    """For each claim: where it holds, where the speedup is beyond it, and where it does not hold.

    Only measured pairs count towards the verdict; extrapolated ones are
    listed apart. "Holds" means within 2x of the claimed factor.
    """
    rows = []
    for claim in claims:
        pairs = speedup_table[speedup_table.impl == claim.impl]
        measured = pairs[~pairs.extrapolated]
        low, high = claim.band
        within = measured[(measured.speedup >= low) & (measured.speedup <= high)]
        beyond = measured[measured.speedup > high]
        below = measured[measured.speedup < low]
        rows.append(
            {
                "claim": claim.statement,
                "impl": claim.impl,
                "factor": claim.factor,
                "measured_sizes": len(measured),
                "speedup_min": measured.speedup.min() if len(measured) else np.nan,
                "speedup_median": measured.speedup.median() if len(measured) else np.nan,
                "speedup_max": measured.speedup.max() if len(measured) else np.nan,
                "verdict": _verdict(len(measured), len(within), len(beyond), len(below)),
                "holds_at": describe_sizes(within),
                "exceeded_at": describe_sizes(beyond),
                "does_not_hold_at": describe_sizes(below),
                "extrapolated_at": describe_sizes(pairs[pairs.extrapolated]),
            }
        )
    return pd.DataFrame(rows)


def _verdict(n: int, within: int, beyond: int, below: int) -> str:
    if n == 0:
        return "not measured"
    if below == 0:
        return "holds everywhere measured" if beyond == 0 else "holds or is exceeded everywhere measured"
    if below == n:
        return "does not hold anywhere measured"
    return f"holds at {within}, is exceeded at {beyond} and does not hold at {below} of {n} measured sizes"


def complexity_fit(results: pd.DataFrame) -> pd.DataFrame:
    """Least-squares fit of log(seconds) = log(c) + k log(m * n_x) per implementation.

    Measured cases only. k near 1 means time linear in the work; k below 1
    means fixed overheads still matter over the measured range. r2 is the
    fit's coefficient of determination in log space.
    """
    rows = []
    measured = results[(results.kind == "step") & (results.status == "measured")]
    for impl, group in measured.groupby("impl", sort=False):
        x = np.log10(group.m.to_numpy(float) * group.n_x.to_numpy(float))
        y = np.log10(group.seconds.to_numpy(float))
        if len(group) < 2 or np.ptp(x) == 0:
            rows.append(
                {
                    "impl": impl,
                    "exponent": np.nan,
                    "r2": np.nan,
                    "ns_per_element": np.nan,
                    "cases": len(group),
                }
            )
            continue
        k, log_c = np.polyfit(x, y, 1)
        residual = y - (k * x + log_c)
        r2 = 1 - float(residual @ residual) / float(((y - y.mean()) ** 2).sum()) if np.ptp(y) > 0 else 1.0
        largest = group.loc[(group.m * group.n_x).idxmax()]
        ns_per_element = largest.seconds / (largest.m * largest.n_x) * 1e9
        rows.append({"impl": impl, "exponent": k, "r2": r2, "ns_per_element": ns_per_element, "cases": len(group)})
    return pd.DataFrame(rows, columns=["impl", "exponent", "r2", "ns_per_element", "cases"])


def read_limit(results: pd.DataFrame) -> pd.DataFrame:
    """Each measured step against one streaming read of its X (read_multiple 1.0 = the bandwidth limit).

    Best against best: the step's fastest round over the read's best of 7, so
    that neither side's noise is compared with the other's floor.
    """
    measured = results[(results.kind == "step") & (results.status == "measured") & results.read_s.notna()]
    return measured.assign(
        read_multiple=measured.min_s / measured.read_s,
        best_gbytes_per_s=measured.bytes_x / measured.min_s / 1e9,
        read_gbytes_per_s=measured.bytes_x / measured.read_s / 1e9,
    )


def fastest_at_largest(results: pd.DataFrame) -> pd.Series | None:
    """The fastest measured step at the largest measured X (ties: the larger m); None if none."""
    table = read_limit(results)
    if table.empty:
        return None
    largest = table.sort_values(["bytes_x", "m"]).iloc[-1]
    same_size = table[(table.m == largest.m) & (table.n_x == largest.n_x)]
    return same_size.loc[same_size.min_s.idxmin()]
