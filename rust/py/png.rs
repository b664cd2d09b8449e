//! Bindings of the PNG decoder.

use numpy::ndarray::Array2;
use numpy::PyArray2;
use pyo3::prelude::*;

use crate::png as kernel_png;

use super::to_pyerr;

/// Decode PNG `data` to an 8-bit grey array of shape (height, width).
#[pyfunction]
fn decode_png<'py>(
    py: Python<'py>,
    data: &[u8],
    max_pixels: u64,
) -> PyResult<Bound<'py, PyArray2<u8>>> {
    // `bytes` are immutable, so the slice stays valid with the GIL released.
    let image = py
        .detach(|| kernel_png::decode_png(data, max_pixels))
        .map_err(|err| to_pyerr(py, err))?;
    let array = Array2::from_shape_vec((image.height, image.width), image.pixels)
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
    Ok(PyArray2::from_owned_array(py, array))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(decode_png, m)?)?;
    Ok(())
}
