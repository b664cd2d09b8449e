//! Binding of the batch path's fast lane: whole records to items (see `records.rs`).
//! Per record `None` (the general parser must read it) or its items as tuples
//! `(label, x0, y0, x1, y1, rle_counts or None, area)`.

use numpy::PyReadonlyArray2;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use super::args::{expect_shape, raise, size, threads as thread_count};
use crate::batch::Options;
use crate::records::{self as kernel, Limits, Outcome, Record};
use crate::resize::PassOrder;

type ItemRow = (String, i64, i64, i64, i64, Option<String>, u64);

/// For each record (answer text as UTF-8, `sizes[i] = (width, height)`), its items or None.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn records_to_items<'py>(
    py: Python<'py>,
    texts: Vec<Bound<'py, PyBytes>>,
    sizes: PyReadonlyArray2<'py, i64>,
    threshold: i32,
    pillow: i64,
    max_png_pixels: u64,
    max_mask_pixels: u64,
    max_decoded_bytes: u64,
    threads: i64,
) -> PyResult<Vec<Option<Vec<ItemRow>>>> {
    let sizes = sizes.as_array();
    expect_shape(py, "sizes", sizes.dim(), (texts.len(), 2))?;
    let order = raise(py, PassOrder::from_pillow_major(pillow))?;
    let threads = thread_count(py, threads)?;
    let mut records = Vec::with_capacity(texts.len());
    for (text, wh) in texts.iter().zip(sizes.rows()) {
        records.push(Record {
            text: text.as_bytes(),
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
    };
    // `bytes` are immutable, so the slices stay valid with the GIL released.
    let outcomes = py.detach(|| kernel::records_to_items(&records, options, limits));
    Ok(outcomes
        .into_iter()
        .map(|outcome| match outcome {
            Outcome::General => None,
            Outcome::Items(items) => Some(
                items
                    .into_iter()
                    .map(|item| {
                        let [x0, y0, x1, y1] = item.bbox;
                        let (counts, area) = match item.mask {
                            Some(mask) => (Some(mask.counts), mask.area),
                            // Boxes are checked non-empty, so the product is positive.
                            None => (None, ((x1 - x0) * (y1 - y0)).unsigned_abs()),
                        };
                        (item.label, x0, y0, x1, y1, counts, area)
                    })
                    .collect(),
            ),
        })
        .collect())
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(records_to_items, m)?)?;
    Ok(())
}
