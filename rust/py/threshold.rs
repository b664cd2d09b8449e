//! Binding of the threshold kernel (`threshold.rs`).

use numpy::{PyArray2, PyReadonlyArray2};
use pyo3::prelude::*;

use crate::threshold as kernel_threshold;

/// `mask > threshold` as a bool array of the same shape.
#[pyfunction]
#[pyo3(signature = (mask, threshold = 127))]
fn threshold<'py>(
    py: Python<'py>,
    mask: PyReadonlyArray2<'py, u8>,
    threshold: i32,
) -> PyResult<Bound<'py, PyArray2<bool>>> {
    let view = mask.as_array();
    let (h, w) = view.dim();
    let src = mask.as_slice()?;
    let out = py.detach(|| kernel_threshold::threshold(src, threshold));
    let array = numpy::ndarray::Array2::from_shape_vec((h, w), out)
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
    Ok(PyArray2::from_owned_array(py, array))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(threshold, m)?)?;
    Ok(())
}
