//! Binding of the long-string split (`json_strings.rs`).

use std::cell::RefCell;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString};

use super::args;
use crate::json_strings::split_long_strings_into as kernel_split;

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
    DECODED.with(|cell| {
        let mut decoded = cell.borrow_mut();
        let buffer: &mut Vec<u8> = &mut decoded;
        let split = py.detach(|| kernel_split(data, min_len, marker, buffer));
        let result = match split {
            None => None,
            Some((skeleton, spans)) => {
                let strings = PyList::empty(py);
                for span in spans {
                    // The kernel made sure each span is UTF-8 (it checks the
                    // strings with a non-ASCII byte); Python's decode, which
                    // makes the str, is the one full pass over the bytes.
                    strings.append(PyString::from_bytes(py, &decoded[span])?)?;
                }
                Some((PyBytes::new(py, &skeleton), strings))
            }
        };
        if decoded.capacity() > KEEP_AT_MOST {
            *decoded = Vec::new();
        }
        Ok(result)
    })
}

/// Past this many bytes the buffer is not kept between calls.
const KEEP_AT_MOST: usize = 64 << 20;

thread_local! {
    /// The decoded strings of the last call, kept so that its pages stay mapped.
    static DECODED: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(split_long_strings, m)?)?;
    Ok(())
}
