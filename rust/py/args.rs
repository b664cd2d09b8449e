//! What every binding does with its arguments and results: borrow and check
//! them (a bad one raises `KernelInputError` naming it), run the kernel with
//! the GIL released, and hand its output to NumPy without a copy.

use numpy::ndarray::{Array2, Array3, Dimension};
use numpy::{Element, PyArray2, PyArray3, PyReadonlyArray, PyReadwriteArray};
use pyo3::marker::Ungil;
use pyo3::prelude::*;

use super::to_pyerr;
use crate::error::{KernelError, KernelResult};

/// `KernelInputError(message)`.
pub(crate) fn invalid(py: Python<'_>, message: String) -> PyErr {
    to_pyerr(py, KernelError::InvalidArgument(message))
}

/// A kernel result with its error raised as the matching `gemini_vision.errors` class.
pub(crate) fn raise<T>(py: Python<'_>, result: KernelResult<T>) -> PyResult<T> {
    result.map_err(|e| to_pyerr(py, e))
}

/// Run `kernel` with the GIL released; its error becomes the matching Python exception.
pub(crate) fn detached<T, F>(py: Python<'_>, kernel: F) -> PyResult<T>
where
    F: Ungil + FnOnce() -> KernelResult<T>,
    KernelResult<T>: Ungil,
{
    raise(py, py.detach(kernel))
}

/// A size argument as `usize`, or `KernelInputError` naming it.
pub(crate) fn size(py: Python<'_>, name: &str, value: i64) -> PyResult<usize> {
    usize::try_from(value).map_err(|_| invalid(py, format!("{name} must be >= 0, got {value}")))
}

/// A `height x width` frame size, each side checked like [`size`].
pub(crate) fn frame(py: Python<'_>, height: i64, width: i64) -> PyResult<(usize, usize)> {
    Ok((size(py, "height", height)?, size(py, "width", width)?))
}

/// A thread count: 0 for every core, or more.
pub(crate) fn threads(py: Python<'_>, value: i64) -> PyResult<usize> {
    usize::try_from(value).map_err(|_| {
        invalid(
            py,
            format!("threads must be 0 (every core) or more, got {value}"),
        )
    })
}

/// `KernelInputError` unless an array argument has the shape `(rows, cols)`.
pub(crate) fn expect_shape(
    py: Python<'_>,
    name: &str,
    got: (usize, usize),
    want: (usize, usize),
) -> PyResult<()> {
    if got == want {
        return Ok(());
    }
    Err(invalid(
        py,
        format!("{name} must have shape {want:?}, got {got:?}"),
    ))
}

/// Borrow a contiguous array's data, or raise `KernelInputError`.
pub(crate) fn slice<'a, T: Element, D: Dimension>(
    py: Python<'_>,
    array: &'a PyReadonlyArray<'_, T, D>,
    name: &str,
) -> PyResult<&'a [T]> {
    array
        .as_slice()
        .map_err(|_| invalid(py, format!("{name} must be C-contiguous")))
}

/// Borrow a contiguous array's data for writing, or raise `KernelInputError`.
pub(crate) fn slice_mut<'a, T: Element, D: Dimension>(
    py: Python<'_>,
    array: &'a mut PyReadwriteArray<'_, T, D>,
    name: &str,
) -> PyResult<&'a mut [T]> {
    array
        .as_slice_mut()
        .map_err(|_| invalid(py, format!("{name} must be C-contiguous")))
}

/// A kernel's row-major output as a new `(rows, cols)` NumPy array (no copy).
pub(crate) fn array2<'py, T: Element>(
    py: Python<'py>,
    shape: (usize, usize),
    data: Vec<T>,
) -> PyResult<Bound<'py, PyArray2<T>>> {
    let array = Array2::from_shape_vec(shape, data)
        .map_err(|e| invalid(py, format!("a kernel produced a wrong-sized buffer: {e}")))?;
    Ok(PyArray2::from_owned_array(py, array))
}

/// A kernel's row-major output as a new `(n, rows, cols)` NumPy array (no copy).
pub(crate) fn array3<'py, T: Element>(
    py: Python<'py>,
    shape: (usize, usize, usize),
    data: Vec<T>,
) -> PyResult<Bound<'py, PyArray3<T>>> {
    let array = Array3::from_shape_vec(shape, data)
        .map_err(|e| invalid(py, format!("a kernel produced a wrong-sized buffer: {e}")))?;
    Ok(PyArray3::from_owned_array(py, array))
}

/// Rows of an `(n, 4)` float64 array as boxes.
pub(crate) fn boxes(
    py: Python<'_>,
    a: &numpy::PyReadonlyArray2<'_, f64>,
    name: &str,
) -> PyResult<Vec<[f64; 4]>> {
    if a.as_array().ncols() != 4 {
        return Err(invalid(py, format!("{name} must have shape (n, 4)")));
    }
    Ok(slice(py, a, name)?
        .chunks_exact(4)
        .map(|b| [b[0], b[1], b[2], b[3]])
        .collect())
}
