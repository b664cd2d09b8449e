//! Binding of the batch path's fast lane: whole records to the output's
//! columns (see `records.rs`), as NumPy arrays the caller hands to Arrow
//! without a copy, so no Python object is made per item.

use numpy::{PyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use pyo3::types::{PyString, PyTuple};

use super::args::{array2, expect_shape, raise, size, threads as thread_count};
use crate::batch::Options;
use crate::records::{self as kernel, Limits, Record};
use crate::resize::PassOrder;

/// The lane over the records (answer `texts[i]`, `sizes[i] = (width, height)`):
/// `(taken, cut, record, item, boxes, label_offsets, label_data,
/// counts_offsets, counts_data, segment, area)` as in `records::Columns`.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn records_to_columns<'py>(
    py: Python<'py>,
    texts: Vec<Bound<'py, PyString>>,
    sizes: PyReadonlyArray2<'py, i64>,
    threshold: i32,
    pillow: i64,
    max_png_pixels: u64,
    max_mask_pixels: u64,
    max_decoded_bytes: u64,
    max_answer_bytes: u64,
    max_items: u64,
    threads: i64,
) -> PyResult<Bound<'py, PyTuple>> {
    let sizes = sizes.as_array();
    expect_shape(py, "sizes", sizes.dim(), (texts.len(), 2))?;
    let order = raise(py, PassOrder::from_pillow_major(pillow))?;
    let threads = thread_count(py, threads)?;
    let mut records = Vec::with_capacity(texts.len());
    for (text, wh) in texts.iter().zip(sizes.rows()) {
        records.push(Record {
            // Python's own UTF-8 of the string (no copy for ASCII). A lone
            // surrogate has none: an empty text, which the lane never takes.
            text: text.to_str().map_or(&b""[..], str::as_bytes),
            width: size(py, "width", wh[0])?,
            height: size(py, "height", wh[1])?,
        });
    }
    let options = Options {
        threshold,
        order,
        max_pixels: max_png_pixels,
        threads,
    };
    let limits = Limits {
        max_mask_pixels,
        max_decoded_bytes,
        max_answer_bytes,
        max_items,
    };
    // `str`s are immutable, and `texts` holds them: the slices stay valid with the GIL released.
    let out = py.detach(|| kernel::records_to_columns(&records, options, limits));
    let rows = out.len();
    let items = [
        PyArray1::from_vec(py, out.taken).into_any(),
        PyArray1::from_vec(py, out.cut).into_any(),
        PyArray1::from_vec(py, out.record).into_any(),
        PyArray1::from_vec(py, out.item).into_any(),
        array2(py, (rows, 4), out.boxes)?.into_any(),
        PyArray1::from_vec(py, out.label_offsets).into_any(),
        PyArray1::from_vec(py, out.label_data).into_any(),
        PyArray1::from_vec(py, out.counts_offsets).into_any(),
        PyArray1::from_vec(py, out.counts_data).into_any(),
        PyArray1::from_vec(py, out.segment).into_any(),
        PyArray1::from_vec(py, out.area).into_any(),
    ];
    PyTuple::new(py, items)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(records_to_columns, m)?)?;
    Ok(())
}
