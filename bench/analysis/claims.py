"""The notes' claims, the loops they are judged against, and the words a verdict is said in.

Defined once, here: the analysis judges measured cells with them, the cost
models (bench/analysis/explain.py) judge the sizes between and beyond, the charts and
the report name them.
"""

from dataclasses import dataclass, replace

from bench.records.schema import CAREFUL_LOOP, NOTES_LOOP

BASELINE = CAREFUL_LOOP  # the careful loop: Python lists and `math`
NOTES_BASELINE = NOTES_LOOP  # the notes' loop as written: numpy elements, np.exp and np.log

# The two settings a report speaks of (bench/records/journal.py).
ONE_THREAD = "1 thread"
ALL_CORES = "all cores"
SETTINGS = (ONE_THREAD, ALL_CORES)
SETTING_TITLES = {ONE_THREAD: "vectorization alone (1 thread)", ALL_CORES: "as installed (all cores)"}

# A verdict on one measured cell; the first three are "decided".
HOLDS, EXCEEDED, DOES_NOT_HOLD, UNDECIDED, EXTRAPOLATED = (
    "holds",
    "exceeded",
    "does not hold",
    "undecided",
    "extrapolated",
)
DECIDED = (HOLDS, EXCEEDED, DOES_NOT_HOLD)


@dataclass(frozen=True)
class Claim:
    """A speedup the course notes promise for one implementation over the double loop."""

    impl: str
    factor: float
    statement: str
    short: str  # for legends: what was removed

    @property
    def band(self) -> tuple[float, float]:
        """ "About" the factor: within 2x either side (10x: 5x to 20x; 300x: 150x to 600x)."""
        return self.factor / 2, self.factor * 2


CLAIMS = (
    Claim("features_vectorized", 10.0, "one loop removed (features vectorized) is ~10x faster", "one loop removed"),
    Claim("fully_vectorized", 300.0, "both loops removed (fully vectorized) is ~300x faster", "both loops removed"),
)
# The same claims on the notes' code as written, judged against the notes' own loop.
NOTES_CLAIMS = tuple(replace(claim, impl=f"notes_{claim.impl}") for claim in CLAIMS)


@dataclass(frozen=True)
class Baseline:
    """A loop that speedups are taken against, and the claims judged against it.

    Each baseline judges the claims on its own family only (like against
    like): the careful vectorized code against the careful loop, the notes'
    vectorized code against the notes' loop. A verdict then measures what
    vectorizing does, not how carefully the loop was written.
    """

    impl: str
    title: str  # how the report names it
    claims: tuple[Claim, ...]


BASELINES = (
    Baseline(BASELINE, "the careful loop", CLAIMS),
    Baseline(NOTES_BASELINE, "the notes' loop as written", NOTES_CLAIMS),
)


# The notes' own implementations, careful and as written: the loops and the steps the claims are about.
NOTES_FAMILY = tuple(dict.fromkeys(impl for b in BASELINES for impl in (b.impl, *(claim.impl for claim in b.claims))))


def claims_against(baseline: str) -> tuple[Claim, ...]:
    """The claims judged against `baseline` (BASELINES); none for any other implementation."""
    return next((b.claims for b in BASELINES if b.impl == baseline), ())
