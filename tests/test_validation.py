"""Bad input is a ValueError that names the problem, caught once at the boundary."""

import numpy as np
import pytest

from impls import validate

X = np.ones((3, 4))
Y = np.array([[0, 1, 1, 0]])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((np.ones(4), Y), r"X must be 2-D of shape \(n_x, m\)"),
        ((np.ones((2, 3, 4)), Y), r"X must be 2-D"),
        ((np.ones((3, 0)), np.ones((1, 0))), "at least one feature and one example"),
        ((np.ones((0, 4)), Y), "at least one feature and one example"),
        ((X, np.array([0, 1, 1, 0])), r"Y must be 2-D of shape \(1, m\) = \(1, 4\)"),
        ((X, np.ones((2, 4))), r"Y must be 2-D of shape \(1, m\)"),
        ((X, np.ones((1, 5))), "X has m = 4 examples .* but Y has 5"),
        ((X, np.array([[0, 1, 2, 0]])), r"Y must hold labels 0 or 1; found \[2.0\]"),
        ((X, np.array([[0, 0.5, 1, 0]])), "labels 0 or 1"),
        ((np.array([[1.0, np.nan, 1, 1]] * 3), Y), r"X must be finite; found \[nan"),
        ((np.array([[1.0, np.inf, 1, 1]] * 3), Y), r"X must be finite; found \[inf"),
        ((X, np.array([[0, np.nan, 1, 0]])), "Y must be finite"),
        ((np.array([["a"] * 4] * 3), Y), "X must hold float64 or float32 numbers .* got dtype <U1"),
        (
            (X.astype(complex), Y),
            r"X must hold float64 or float32 numbers \(integers are converted to float64\); got dtype complex128",
        ),
        ((X.astype(np.float16), Y), "X must hold float64 or float32 numbers .* got dtype float16"),
        ((X.astype(bool), Y), "X must hold float64 or float32 numbers .* got dtype bool"),
        ((X, Y.astype(complex)), r"Y must hold real numbers \(integer, float or bool\)"),
        ((X, Y, np.ones((3, 1), complex)), r"w must hold real numbers \(integer or float\); got dtype complex128"),
        ((np.array([[None] * 4] * 3), Y), "X must hold float64 or float32 numbers .* object"),
        (
            (X.astype(np.float32), Y, np.full((3, 1), 1e39)),
            r"w must fit in X's dtype float32 \(\|value\| <= 3.4e\+38\); found \[1e\+39, ",
        ),
        ((X, Y, np.ones(3)), r"w must have shape \(n_x, 1\) = \(3, 1\); got shape \(3,\)"),
        ((X, Y, np.ones((4, 1))), r"w must have shape \(n_x, 1\) = \(3, 1\)"),
        ((X, Y, np.full((3, 1), np.inf)), "w must be finite"),
        ((X, Y, None, float("nan")), "b must be finite"),
        ((X, Y, None, "0.5"), "b must be a real number; got str"),
        ((X, Y, None, np.zeros(1)), "b must be a real number; got ndarray"),
    ],
)
def test_bad_input_is_a_value_error_naming_it(args: tuple, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate(*args)


def test_integers_become_float64_c_contiguous() -> None:
    Xf = np.asfortranarray(np.arange(12).reshape(3, 4))
    got = validate(Xf, Y, np.array([[1], [2], [3]]), 2)
    assert got.X.dtype == got.Y.dtype == got.w.dtype == np.float64
    assert got.X.flags.c_contiguous
    np.testing.assert_array_equal(got.X, Xf)
    assert got.b == 2.0 and type(got.b) is float


def test_bool_labels_read_as_0_and_1() -> None:
    got = validate(X, Y.astype(bool))
    np.testing.assert_array_equal(got.Y, Y)


def test_defaults_are_zero_weights_and_bias() -> None:
    got = validate(X, Y)
    np.testing.assert_array_equal(got.w, np.zeros((3, 1)))
    assert got.b == 0.0


def test_valid_float_input_is_not_copied() -> None:
    Yf = Y.astype(float)
    got = validate(X, Yf)
    assert got.X is X and got.Y is Yf


@pytest.mark.filterwarnings("error")  # a float64 w beyond float32's range must not warn on its way to the error
def test_a_w_beyond_float32_is_refused_without_a_warning() -> None:
    with pytest.raises(ValueError, match="must fit in X's dtype float32"):
        validate(X.astype(np.float32), Y, [[1.0], [-1e300], [1.0]])


def test_float32_x_is_kept_and_decides_the_dtype_of_y_and_w() -> None:
    X32 = X.astype(np.float32)
    w64 = np.array([[0.1], [1 / 3], [2.0]])  # 1/3 and 0.1 are not float32 numbers
    got = validate(X32, Y.astype(bool), w64, 0.5)
    assert got.X is X32  # float32 and C-contiguous already: not copied
    assert got.X.dtype == got.Y.dtype == got.w.dtype == np.float32
    np.testing.assert_array_equal(got.w, w64.astype(np.float32))  # X wins: w rounded to float32
    np.testing.assert_array_equal(got.Y, Y)
    assert type(got.b) is float and got.b == 0.5


def test_float64_x_widens_a_float32_w() -> None:
    w32 = np.array([[0.1], [0.2], [0.3]], np.float32)
    got = validate(X, Y, w32)
    assert got.w.dtype == np.float64
    np.testing.assert_array_equal(got.w, w32.astype(np.float64))  # exactly: every float32 is a float64


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.uint64])
def test_integer_x_becomes_float64_whatever_w_is(dtype) -> None:
    got = validate(np.arange(12, dtype=dtype).reshape(3, 4), Y, np.ones((3, 1), np.float32))
    assert got.X.dtype == got.Y.dtype == got.w.dtype == np.float64
