//! Bindings of the PNG decoder.

use numpy::PyArray2;
use pyo3::prelude::*;

use super::args::{array2, detached};
use crate::png as kernel_png;

/// Decode PNG `data` to an 8-bit grey array of shape (height, width).
#[pyfunction]
fn decode_png<'py>(
    py: Python<'py>,
    data: &[u8],
    max_pixels: u64,
) -> PyResult<Bound<'py, PyArray2<u8>>> {
    // `bytes` are immutable, so the slice stays valid with the GIL released.
    let image = detached(py, || kernel_png::decode_png(data, max_pixels))?;
    array2(py, (image.height, image.width), image.pixels)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(decode_png, m)?)?;
    Ok(())
}
