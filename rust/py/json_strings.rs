//! Binding of the long-string split (`json_strings.rs`).

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString};

use super::args;
use crate::json_strings::split_long_strings as kernel_split;

/// `(skeleton, strings)`: the JSON document with its value strings of at least
/// `min_len` bytes replaced by `"<marker><index>"`, and those strings decoded;
/// None when there is nothing to lift.
#[pyfunction]
#[pyo3(signature = (data, min_len, marker))]
fn split_long_strings<'py>(
    py: Python<'py>,
    data: &[u8],
    min_len: i64,
    marker: &[u8],
) -> PyResult<Option<(Bound<'py, PyBytes>, Bound<'py, PyList>)>> {
    let min_len = args::size(py, "min_len", min_len)?;
    let Some(split) = py.detach(|| kernel_split(data, min_len, marker)) else {
        return Ok(None);
    };
    let strings = PyList::empty(py);
    for text in &split.strings {
        strings.append(PyString::new(py, text))?;
    }
    Ok(Some((PyBytes::new(py, &split.skeleton), strings)))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(split_long_strings, m)?)?;
    Ok(())
}
