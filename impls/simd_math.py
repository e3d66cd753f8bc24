"""exp and log1p that LLVM can vectorize, for the per-example math of numba kernels.

numba >= 0.62 has no SVML: `math.exp` and `math.log` in a loop stay calls to
the scalar libm, one example at a time. These functions are plain
arithmetic, selects and bit casts, so the loop vectorizer turns a loop that
calls them into SIMD code, as numpy's own SIMD routines and SLEEF do in C.
They cover exactly what the stable math of `impls.core` needs:

    exp_minus_abs(z) = exp(-|z|)   for any finite z: a value in [0, 1]
    log1p_unit(x)    = log1p(x)    for x in [0, 1]  (x = exp(-|z|))

exp, with Cody and Waite's range reduction as in fdlibm and Cephes:
-|z| = k ln 2 + r with k an integer and |r| <= ln(2)/2, so exp(-|z|) =
2^k exp(r); exp(r) is its Taylor polynomial (degree 13 for float64, 7 for
float32: the first neglected term is below 1/20 ulp) and 2^k is built from
its bits. 2^k is applied as two factors 2^(k//2) 2^(k - k//2), both normal
numbers, so that a result below the smallest normal number is rounded once,
to the nearest subnormal or to 0. -|z| is clamped where exp is 0 anyway.

log1p, as fdlibm's s_log1p.c, for x in [0, 1]: u = 1 + x rounded, and
c = (1 - u) + x is that rounding's error, exactly (Fast2Sum: 1 >= x);
u = 2^k (1 + f) with k in {0, 1} and f in [sqrt(2)/2 - 1, sqrt(2) - 1];
with s = f / (2 + f), log(1 + f) = 2 atanh(s) = f - f^2/2 + s (f^2/2 + R(s^2)),
R being fdlibm's minimax polynomial (FreeBSD's e_logf.c's for float32);
c / u corrects for the rounding of u.

Both compile for float64 and float32 from one source: the constants come
from `float_format(x)`, the format of the argument. Their measured errors
against `math.exp` and `math.log1p` over the whole range, ends and
subnormal results included, are asserted in tests/test_simd_math.py.

fastmath allows only `contract` (fused multiply-adds) here, never
reassociation: `(t * log2(e) + shift) - shift` rounds to an integer, and
`(t - k hi) - k lo` keeps the reduction exact; reassociated, both would fold
away. numba compiles each function with its own flags, so a kernel compiled
with `reassoc` keeps these instructions as written (the tests check them
inside such a kernel too).
"""

import math
from decimal import Decimal, localcontext
from typing import Any, NamedTuple

import numba
import numpy as np
from numba import types
from numba.extending import intrinsic, overload


class FloatFormat(NamedTuple):
    """The constants of one floating-point format, each of that format's numpy type.

    A float32 times a Python float is a float64 in numba: every constant the
    functions use is typed here, so that the float32 versions stay float32.
    """

    zero: np.floating
    half: np.floating
    one: np.floating
    two: np.floating
    sqrt2: np.floating
    log2e: np.floating
    shift: np.floating  # 1.5 * 2^mantissa_bits: adding it rounds to an integer, kept in the low bits
    exp_ln2_hi: np.floating  # ln 2 = hi + lo, hi with trailing zero bits so that k * hi is exact
    exp_ln2_lo: np.floating
    log_ln2_hi: np.floating  # log's split: k is 0 or 1, so hi can keep more bits
    log_ln2_lo: np.floating
    lowest: np.floating  # exp(lowest) rounds to 0, and k // 2 stays a normal exponent
    exponent_bias: int
    mantissa_bits: int
    exp_taylor: tuple[np.floating, ...]  # 1 / i!, i = 0 .. degree
    log_r: tuple[np.floating, ...]  # R(w) = w (Lg1 + Lg2 w + ...), coefficients Lg1, Lg2, ...


def _ln2_minus(hi: float) -> float:
    """ln 2 - hi, from ln 2 to 40 digits: float64's ln 2 is itself 2e-17 off, times k up to 1100 in exp."""
    with localcontext() as context:
        context.prec = 40
        return float(Decimal(2).ln() - Decimal(hi))


def _format(
    dtype: type[np.floating],
    *,
    mantissa_bits: int,
    exponent_bias: int,
    exp_degree: int,
    exp_ln2_hi: float,
    log_ln2_hi: float,
    lowest: float,
    log_r: tuple[float, ...],
) -> FloatFormat:
    return FloatFormat(
        zero=dtype(0.0),
        half=dtype(0.5),
        one=dtype(1.0),
        two=dtype(2.0),
        sqrt2=dtype(math.sqrt(2.0)),
        log2e=dtype(1.0 / math.log(2.0)),
        shift=dtype(1.5 * 2.0**mantissa_bits),
        exp_ln2_hi=dtype(exp_ln2_hi),
        exp_ln2_lo=dtype(_ln2_minus(exp_ln2_hi)),
        log_ln2_hi=dtype(log_ln2_hi),
        log_ln2_lo=dtype(_ln2_minus(log_ln2_hi)),
        lowest=dtype(lowest),
        exponent_bias=exponent_bias,
        mantissa_bits=mantissa_bits,
        exp_taylor=tuple(dtype(1.0 / math.factorial(i)) for i in range(exp_degree + 1)),
        log_r=tuple(dtype(c) for c in log_r),
    )


F64 = _format(
    np.float64,
    mantissa_bits=52,
    exponent_bias=1023,
    exp_degree=13,  # |r|^14 / 14! < 4.2e-18 for |r| <= ln(2)/2
    exp_ln2_hi=float.fromhex("0x1.62e42feep-1"),  # fdlibm's ln2HI: k * hi exact for |k| < 2^21
    log_ln2_hi=float.fromhex("0x1.62e42feep-1"),
    lowest=-760.0,  # exp(-745.2) already rounds to 0
    # fdlibm's Lg1..Lg7: |2 atanh(s) / s - 2 - R(s^2)| < 2^-58.45 for |s| <= 0.1716
    log_r=(
        6.666666666666735130e-01,
        3.999999999940941908e-01,
        2.857142874366239149e-01,
        2.222219843214978396e-01,
        1.818357216161805012e-01,
        1.531383769920937332e-01,
        1.479819860511658591e-01,
    ),
)
F32 = _format(
    np.float32,
    mantissa_bits=23,
    exponent_bias=127,
    exp_degree=7,  # |r|^8 / 8! < 5.3e-9 for |r| <= ln(2)/2
    exp_ln2_hi=float.fromhex("0x1.62e4p-1"),  # fdlibm's expf ln2HI: k * hi exact for |k| < 2^9
    log_ln2_hi=float.fromhex("0x1.62e3p-1"),  # fdlibm's logf ln2_hi (0x3f317180)
    lowest=-110.0,  # exp(-104) already rounds to 0 in float32
    # FreeBSD e_logf.c's Lg1..Lg4: error < 2^-34.24 on the same interval
    log_r=(0xAAAAAA * 2.0**-24, 0xCCCE13 * 2.0**-25, 0x91E9EE * 2.0**-25, 0xF89E26 * 2.0**-26),
)


def float_format(x: Any) -> FloatFormat:
    """The `FloatFormat` of a float or an array (float64 or float32), in Python and in numba code."""
    return F32 if np.asarray(x).dtype == np.float32 else F64


@overload(float_format)
def _float_format_typed(x):  # type: ignore[no-untyped-def]
    dtype = x.dtype if isinstance(x, types.Array) else x
    if dtype == types.float32:
        return lambda x: F32
    if dtype == types.float64:
        return lambda x: F64
    return None


_SAME_WIDTH_INT = {types.float64: types.int64, types.float32: types.int32}


@intrinsic
def bits_of(typingctx, x):  # type: ignore[no-untyped-def]
    """The bits of a float as a signed integer of the same width (float64 -> int64, float32 -> int32)."""
    if x not in _SAME_WIDTH_INT:
        return None
    target = _SAME_WIDTH_INT[x]

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        return builder.bitcast(args[0], context.get_value_type(target))

    return target(x), codegen


@intrinsic
def float_from_bits(typingctx, bits, like):  # type: ignore[no-untyped-def]
    """The float of `like`'s type whose bits are the low bits of the integer `bits`."""
    if like not in _SAME_WIDTH_INT or not isinstance(bits, types.Integer):
        return None

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        integer = context.cast(builder, args[0], bits, _SAME_WIDTH_INT[like])  # truncates int64 to int32
        return builder.bitcast(integer, context.get_value_type(like))

    return like(bits, like), codegen


@numba.njit(cache=True, error_model="numpy", fastmath={"contract"})
def horner(coefficients, x):  # type: ignore[no-untyped-def]
    """sum(coefficients[i] x^i), innermost term first; LLVM unrolls the loop over the constant tuple."""
    acc = coefficients[-1]
    for i in range(len(coefficients) - 2, -1, -1):
        acc = acc * x + coefficients[i]
    return acc


@numba.njit(cache=True, error_model="numpy", fastmath={"contract"})
def _power_of_two(k, like):  # type: ignore[no-untyped-def]
    """2^k in like's type, for integer k within the normal exponents."""
    f = float_format(like)
    return float_from_bits((k + f.exponent_bias) << f.mantissa_bits, like)


@numba.njit(cache=True, error_model="numpy", fastmath={"contract"})
def exp_minus_abs(z):  # type: ignore[no-untyped-def]
    """exp(-|z|) for any finite z: in [0, 1], subnormal or 0 where it underflows, never NaN."""
    f = float_format(z)
    t = max(-abs(z), f.lowest)
    shifted = t * f.log2e + f.shift  # the nearest integer k to t / ln 2, in the low bits
    k_float = shifted - f.shift
    k = bits_of(shifted) - bits_of(f.shift)
    r = (t - k_float * f.exp_ln2_hi) - k_float * f.exp_ln2_lo  # t = k ln 2 + r, |r| <= ln(2) / 2
    exp_r = f.one + (r + r * r * horner(f.exp_taylor[2:], r))  # 1 + r + r^2 (1/2 + r/6 + ...)
    half_k = k >> 1  # two normal factors: one rounding when the product is subnormal
    return exp_r * _power_of_two(half_k, z) * _power_of_two(k - half_k, z)


@numba.njit(cache=True, error_model="numpy", fastmath={"contract"})
def log1p_unit(x):  # type: ignore[no-untyped-def]
    """log1p(x) for x in [0, 1] (subnormal x included: log1p(x) = x there)."""
    fmt = float_format(x)
    u = fmt.one + x
    c = (fmt.one - u) + x  # u + c = 1 + x exactly
    k_is_1 = u > fmt.sqrt2  # u = 2^k (1 + f) with f in [sqrt(2)/2 - 1, sqrt(2) - 1]
    k = fmt.one if k_is_1 else fmt.zero
    f = (fmt.half * u - fmt.one) if k_is_1 else (u - fmt.one)  # exact (Sterbenz)
    s = f / (fmt.two + f)
    w = s * s
    r = w * horner(fmt.log_r, w)
    half_f2 = fmt.half * f * f
    correction = k * fmt.log_ln2_lo + c / u  # log(1 + x) = log(u) + log1p(c / u), c / u < 1 ulp
    return k * fmt.log_ln2_hi - ((half_f2 - (s * (half_f2 + r) + correction)) - f)
