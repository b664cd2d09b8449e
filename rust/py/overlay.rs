//! Binding of the overlay kernel (SPEC M5).

use numpy::{PyReadonlyArray2, PyReadwriteArray3};
use pyo3::prelude::*;

use super::paste::{box_masks, slice};
use super::to_pyerr;
use crate::error::KernelError;
use crate::overlay as kernel;

/// Composite `colors[i]` (an `(n, 4)` uint8 RGBA array) through `masks[i]` at
/// `offsets[i]`, in order, onto an `h x w x 3|4` uint8 image, in place.
#[pyfunction]
fn overlay(
    py: Python<'_>,
    mut image: PyReadwriteArray3<'_, u8>,
    masks: Vec<PyReadonlyArray2<'_, bool>>,
    offsets: PyReadonlyArray2<'_, i64>,
    colors: PyReadonlyArray2<'_, u8>,
) -> PyResult<()> {
    let (h, w, channels) = image.as_array().dim();
    let views = box_masks(py, &masks, &offsets)?;
    if colors.as_array().dim() != (views.len(), 4) {
        return Err(to_pyerr(
            py,
            KernelError::InvalidArgument(format!(
                "colors must have shape ({}, 4), got {:?}",
                views.len(),
                colors.as_array().dim()
            )),
        ));
    }
    let rgba: Vec<[u8; 4]> = slice(py, &colors, "colors")?
        .chunks_exact(4)
        .map(|c| [c[0], c[1], c[2], c[3]])
        .collect();
    let dst = image.as_slice_mut().map_err(|_| {
        to_pyerr(
            py,
            KernelError::InvalidArgument("image must be C-contiguous".into()),
        )
    })?;
    py.detach(|| kernel::overlay_into(dst, h, w, channels, &views, &rgba))
        .map_err(|e| to_pyerr(py, e))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(overlay, m)?)?;
    Ok(())
}
