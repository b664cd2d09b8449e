//! Binding of the threshold kernel (`threshold.rs`).

use numpy::{PyArray2, PyReadonlyArray2};
use pyo3::prelude::*;

use super::args::array2;
use crate::threshold as kernel_threshold;

/// `mask > threshold` as a bool array of the same shape.
#[pyfunction]
#[pyo3(signature = (mask, threshold = 127))]
fn threshold<'py>(
    py: Python<'py>,
    mask: PyReadonlyArray2<'py, u8>,
    threshold: i32,
) -> PyResult<Bound<'py, PyArray2<bool>>> {
    let shape = mask.as_array().dim();
    let src = mask.as_slice()?;
    array2(
        py,
        shape,
        py.detach(|| kernel_threshold::threshold(src, threshold)),
    )
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(threshold, m)?)?;
    Ok(())
}
