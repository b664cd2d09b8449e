//! Bindings of the paste kernels (SPEC M4): paste, union, label map, full masks.
//!
//! Masks arrive as a list of C-contiguous 2-D bool arrays and their offsets as
//! one `(n, 2)` int64 array of `(x0, y0)`; the `gemini_vision.masks` package has checked both.

use numpy::{PyArray2, PyArray3, PyReadonlyArray2, PyReadwriteArray2};
use pyo3::prelude::*;

use super::args::{array2, array3, detached, expect_shape, frame, raise, slice, slice_mut};
use crate::paste::{self as kernel, BoxMask};

/// One mask and its offset as a kernel view.
pub(crate) fn box_mask<'a>(
    py: Python<'_>,
    mask: &'a PyReadonlyArray2<'_, bool>,
    x0: i64,
    y0: i64,
) -> PyResult<BoxMask<'a>> {
    let (h, w) = mask.as_array().dim();
    raise(py, BoxMask::new(slice(py, mask, "mask")?, h, w, x0, y0))
}

/// Every mask with its `(x0, y0)` row of `offsets` as kernel views.
pub(crate) fn box_masks<'a>(
    py: Python<'_>,
    masks: &'a [PyReadonlyArray2<'_, bool>],
    offsets: &'a PyReadonlyArray2<'_, i64>,
) -> PyResult<Vec<BoxMask<'a>>> {
    let offsets = offsets.as_array();
    expect_shape(py, "offsets", offsets.dim(), (masks.len(), 2))?;
    masks
        .iter()
        .zip(offsets.rows())
        .map(|(mask, xy)| box_mask(py, mask, xy[0], xy[1]))
        .collect()
}

/// OR `mask` into `frame` (in place) at column `x0`, row `y0`, clipped.
#[pyfunction]
fn paste(
    py: Python<'_>,
    mut frame: PyReadwriteArray2<'_, bool>,
    mask: PyReadonlyArray2<'_, bool>,
    x0: i64,
    y0: i64,
) -> PyResult<()> {
    let (h, w) = frame.as_array().dim();
    let m = box_mask(py, &mask, x0, y0)?;
    let dst = slice_mut(py, &mut frame, "frame")?;
    detached(py, || kernel::paste_into(dst, h, w, &m))
}

/// The union of the masks as a `height x width` bool frame.
#[pyfunction]
fn union<'py>(
    py: Python<'py>,
    masks: Vec<PyReadonlyArray2<'py, bool>>,
    offsets: PyReadonlyArray2<'py, i64>,
    height: i64,
    width: i64,
) -> PyResult<Bound<'py, PyArray2<bool>>> {
    let (h, w) = frame(py, height, width)?;
    let views = box_masks(py, &masks, &offsets)?;
    array2(py, (h, w), detached(py, || kernel::union(&views, h, w))?)
}

/// An int32 `height x width` map: `i + 1` where mask `i` is on (later wins), else 0.
#[pyfunction]
fn label_map<'py>(
    py: Python<'py>,
    masks: Vec<PyReadonlyArray2<'py, bool>>,
    offsets: PyReadonlyArray2<'py, i64>,
    height: i64,
    width: i64,
) -> PyResult<Bound<'py, PyArray2<i32>>> {
    let (h, w) = frame(py, height, width)?;
    let views = box_masks(py, &masks, &offsets)?;
    array2(
        py,
        (h, w),
        detached(py, || kernel::label_map(&views, h, w))?,
    )
}

/// Each mask in its own empty frame: an `n x height x width` bool array.
#[pyfunction]
fn full_masks<'py>(
    py: Python<'py>,
    masks: Vec<PyReadonlyArray2<'py, bool>>,
    offsets: PyReadonlyArray2<'py, i64>,
    height: i64,
    width: i64,
) -> PyResult<Bound<'py, PyArray3<bool>>> {
    let (h, w) = frame(py, height, width)?;
    let views = box_masks(py, &masks, &offsets)?;
    let out = detached(py, || kernel::full_masks(&views, h, w))?;
    array3(py, (views.len(), h, w), out)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(paste, m)?)?;
    m.add_function(wrap_pyfunction!(union, m)?)?;
    m.add_function(wrap_pyfunction!(label_map, m)?)?;
    m.add_function(wrap_pyfunction!(full_masks, m)?)?;
    Ok(())
}
