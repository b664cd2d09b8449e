//! Binding of the overlay kernel (SPEC M5).

use numpy::{PyReadonlyArray2, PyReadwriteArray3};
use pyo3::prelude::*;

use super::args::{detached, expect_shape, slice, slice_mut};
use super::paste::box_masks;
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
    expect_shape(py, "colors", colors.as_array().dim(), (views.len(), 4))?;
    let rgba: Vec<[u8; 4]> = slice(py, &colors, "colors")?
        .chunks_exact(4)
        .map(|c| [c[0], c[1], c[2], c[3]])
        .collect();
    let dst = slice_mut(py, &mut image, "image")?;
    detached(py, || {
        kernel::overlay_into(dst, h, w, channels, &views, &rgba)
    })
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(overlay, m)?)?;
    Ok(())
}
