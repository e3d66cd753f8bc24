"""The notes' own math, as written: `sigmoid(z) = 1 / (1 + np.exp(-z))` and the cost with `np.log`.

The three `notes_*` implementations are the course notes' code typed in as a
student would: they share this `sigmoid` and compute the cost of an example as

    -(y log(a) + (1 - y) log(1 - a))

It is numerically naive, and this is where (a = sigmoid(z), float64):

- `a` is rounded to about 1e-16 absolute. An example classified right with
  confidence has a loss, `-log(a)` (y = 1) or `-log(1 - a)` (y = 0), of
  about e^-|z|, in which that rounding is a relative error of about
  2e-16 e^|z|: agreement with the careful math (impls/core.py) to 1e-9 is
  guaranteed only for |z| <= SAFE_ABS_Z = 15 (2e-16 e^15 = 7e-10).
- `a` rounds to exactly 1 from z = 53 ln 2 = 36.74 (A_ROUNDS_TO_ONE_Z) on:
  `np.log(1 - a)` is -inf with a "divide by zero" warning, so the cost is
  inf (y = 0) or NaN (y = 1: 0 * -inf, an "invalid value" warning).
- `np.exp(-z)` overflows for z < -709.78 (EXP_OVERFLOWS_Z), with an
  "overflow" warning; `a` is then 0 and `log(a)` -inf.

The benchmark only times them where |z| stays within SAFE_ABS_Z
(bench/measure/prepare.py refuses other data; bench/measure/problems.py makes z about N(0, 1)).
"""

import math

import numpy as np

SAFE_ABS_Z = 15.0
A_ROUNDS_TO_ONE_Z = 53 * math.log(2.0)  # 1 + e^-z rounds to 1 once e^-z <= 2^-53
EXP_OVERFLOWS_Z = -math.log(float(np.finfo(np.float64).max))


def sigmoid(z: np.ndarray | float) -> np.ndarray | float:
    """The notes' sigmoid, on a number or an array: 1 / (1 + e^-z). Overflows for z < -709.78."""
    return 1 / (1 + np.exp(-z))
