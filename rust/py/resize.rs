//! Bindings of the resize kernels (SPEC M2, M3).
//!
//! Sizes and the Pillow version arrive as Python ints; a negative or huge one
//! becomes `KernelInputError` here rather than PyO3's `OverflowError`, so both
//! backends raise the same class when called directly.

use numpy::{PyArray2, PyReadonlyArray2};
use pyo3::prelude::*;

use super::args::{array2, detached, raise};
use crate::error::{KernelError, KernelResult};
use crate::resize::{self as kernel, PassOrder};

/// A size argument as `usize`, or the error that names it.
fn side(name: &str, value: i64) -> KernelResult<usize> {
    usize::try_from(value)
        .ok()
        .filter(|&v| v >= 1)
        .ok_or_else(|| KernelError::InvalidArgument(format!("{name} must be >= 1, got {value}")))
}

/// The checked arguments of one resize call.
struct Call<'a> {
    src: &'a [u8],
    h: usize,
    w: usize,
    width: usize,
    height: usize,
    order: PassOrder,
}

fn call<'a>(
    src: &'a [u8],
    (h, w): (usize, usize),
    width: i64,
    height: i64,
    pillow: i64,
) -> KernelResult<Call<'a>> {
    Ok(Call {
        src,
        h,
        w,
        width: side("width", width)?,
        height: side("height", height)?,
        order: PassOrder::from_pillow_major(pillow)?,
    })
}

/// Pillow-exact bilinear resize of a 2-D uint8 mask to `height x width`.
#[pyfunction]
#[pyo3(signature = (mask, width, height, pillow = 13))]
fn resize_bilinear<'py>(
    py: Python<'py>,
    mask: PyReadonlyArray2<'py, u8>,
    width: i64,
    height: i64,
    pillow: i64,
) -> PyResult<Bound<'py, PyArray2<u8>>> {
    let src = mask.as_slice()?;
    let c = raise(py, call(src, mask.as_array().dim(), width, height, pillow))?;
    let out = detached(py, || {
        kernel::resize_bilinear(c.src, c.h, c.w, c.width, c.height, c.order)
    })?;
    array2(py, (c.height, c.width), out)
}

/// `resize_bilinear(...) > threshold`, fused into the last pass.
#[pyfunction]
#[pyo3(signature = (mask, width, height, threshold = 127, pillow = 13))]
fn resize_bilinear_threshold<'py>(
    py: Python<'py>,
    mask: PyReadonlyArray2<'py, u8>,
    width: i64,
    height: i64,
    threshold: i64,
    pillow: i64,
) -> PyResult<Bound<'py, PyArray2<bool>>> {
    // Thresholds outside a byte's range saturate, so clamping loses nothing.
    let threshold = threshold.clamp(-1, 255) as i32;
    let src = mask.as_slice()?;
    let c = raise(py, call(src, mask.as_array().dim(), width, height, pillow))?;
    let out = detached(py, || {
        kernel::resize_bilinear_threshold(c.src, c.h, c.w, c.width, c.height, c.order, threshold)
    })?;
    array2(py, (c.height, c.width), out)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(resize_bilinear, m)?)?;
    m.add_function(wrap_pyfunction!(resize_bilinear_threshold, m)?)?;
    Ok(())
}
