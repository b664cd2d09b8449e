//! Bindings of the paste kernels (SPEC M4): paste, union, label map, full masks.
//!
//! Masks arrive as a list of C-contiguous 2-D bool arrays and their offsets as
//! one `(n, 2)` int64 array of `(x0, y0)`; the `gemini_vision.masks` package has checked both.

use numpy::ndarray::{Array2, Array3};
use numpy::{PyArray2, PyArray3, PyReadonlyArray2, PyReadwriteArray2};
use pyo3::prelude::*;

use super::to_pyerr;
use crate::error::KernelError;
use crate::paste::{self as kernel, BoxMask};

/// A size argument as `usize`, or `KernelInputError` naming it.
pub(crate) fn size(py: Python<'_>, name: &str, value: i64) -> PyResult<usize> {
    usize::try_from(value).map_err(|_| {
        to_pyerr(
            py,
            KernelError::InvalidArgument(format!("{name} must be >= 0, got {value}")),
        )
    })
}

/// Borrow a contiguous array's data, or raise `KernelInputError`.
pub(crate) fn slice<'a, T: numpy::Element, D: numpy::ndarray::Dimension>(
    py: Python<'_>,
    array: &'a numpy::PyReadonlyArray<'_, T, D>,
    name: &str,
) -> PyResult<&'a [T]> {
    array.as_slice().map_err(|_| {
        to_pyerr(
            py,
            KernelError::InvalidArgument(format!("{name} must be C-contiguous")),
        )
    })
}

/// One mask and its offset as a kernel view.
pub(crate) fn box_mask<'a>(
    py: Python<'_>,
    mask: &'a PyReadonlyArray2<'_, bool>,
    x0: i64,
    y0: i64,
) -> PyResult<BoxMask<'a>> {
    let (h, w) = mask.as_array().dim();
    BoxMask::new(slice(py, mask, "mask")?, h, w, x0, y0).map_err(|e| to_pyerr(py, e))
}

/// Every mask with its `(x0, y0)` row of `offsets` as kernel views.
pub(crate) fn box_masks<'a>(
    py: Python<'_>,
    masks: &'a [PyReadonlyArray2<'_, bool>],
    offsets: &'a PyReadonlyArray2<'_, i64>,
) -> PyResult<Vec<BoxMask<'a>>> {
    let offsets = offsets.as_array();
    if offsets.dim() != (masks.len(), 2) {
        return Err(to_pyerr(
            py,
            KernelError::InvalidArgument(format!(
                "offsets must have shape ({}, 2), got {:?}",
                masks.len(),
                offsets.dim()
            )),
        ));
    }
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
    let dst = frame.as_slice_mut().map_err(|_| {
        to_pyerr(
            py,
            KernelError::InvalidArgument("frame must be C-contiguous".into()),
        )
    })?;
    py.detach(|| kernel::paste_into(dst, h, w, &m))
        .map_err(|e| to_pyerr(py, e))
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
    let (h, w) = (size(py, "height", height)?, size(py, "width", width)?);
    let views = box_masks(py, &masks, &offsets)?;
    let out = py
        .detach(|| kernel::union(&views, h, w))
        .map_err(|e| to_pyerr(py, e))?;
    let array = Array2::from_shape_vec((h, w), out)
        .map_err(|e| to_pyerr(py, KernelError::InvalidArgument(e.to_string())))?;
    Ok(PyArray2::from_owned_array(py, array))
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
    let (h, w) = (size(py, "height", height)?, size(py, "width", width)?);
    let views = box_masks(py, &masks, &offsets)?;
    let out = py
        .detach(|| kernel::label_map(&views, h, w))
        .map_err(|e| to_pyerr(py, e))?;
    let array = Array2::from_shape_vec((h, w), out)
        .map_err(|e| to_pyerr(py, KernelError::InvalidArgument(e.to_string())))?;
    Ok(PyArray2::from_owned_array(py, array))
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
    let (h, w) = (size(py, "height", height)?, size(py, "width", width)?);
    let views = box_masks(py, &masks, &offsets)?;
    let out = py
        .detach(|| kernel::full_masks(&views, h, w))
        .map_err(|e| to_pyerr(py, e))?;
    let array = Array3::from_shape_vec((views.len(), h, w), out)
        .map_err(|e| to_pyerr(py, KernelError::InvalidArgument(e.to_string())))?;
    Ok(PyArray3::from_owned_array(py, array))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(paste, m)?)?;
    m.add_function(wrap_pyfunction!(union, m)?)?;
    m.add_function(wrap_pyfunction!(label_map, m)?)?;
    m.add_function(wrap_pyfunction!(full_masks, m)?)?;
    Ok(())
}
