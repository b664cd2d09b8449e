//! Binding of the batch path's mask stage: base64 PNG masks of many records to
//! COCO RLE. Each result is a tuple `(error_class, text, area)`: `error_class`
//! is `None` on success and `text` the compressed counts; on failure it names
//! the `gemini_vision.errors` class and `text` is the message (as `decode_masks`).

use numpy::PyReadonlyArray2;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use super::args::{invalid, raise, size, threads as thread_count};
use super::error_class;
use crate::batch::{self as kernel, Options, PngMask};
use crate::resize::PassOrder;

/// For each mask, its RLE in its frame, or its failure, in order (see the module).
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn png_masks_to_rle<'py>(
    py: Python<'py>,
    data: Vec<Bound<'py, PyBytes>>,
    boxes: PyReadonlyArray2<'py, i64>,
    frames: PyReadonlyArray2<'py, i64>,
    threshold: i32,
    pillow: i64,
    max_pixels: u64,
    threads: i64,
) -> PyResult<Vec<(Option<&'static str>, String, u64)>> {
    let (boxes, frames) = (boxes.as_array(), frames.as_array());
    if boxes.dim() != (data.len(), 4) || frames.dim() != (data.len(), 2) {
        return Err(invalid(
            py,
            format!(
                "boxes must have shape ({n}, 4) and frames ({n}, 2), got {:?} and {:?}",
                boxes.dim(),
                frames.dim(),
                n = data.len()
            ),
        ));
    }
    let order = raise(py, PassOrder::from_pillow_major(pillow))?;
    let threads = thread_count(py, threads)?;
    let mut masks = Vec::with_capacity(data.len());
    for ((text, bbox), frame) in data.iter().zip(boxes.rows()).zip(frames.rows()) {
        masks.push(PngMask {
            data: text.as_bytes(),
            bbox: [bbox[0], bbox[1], bbox[2], bbox[3]],
            frame: (
                size(py, "frame height", frame[0])?,
                size(py, "frame width", frame[1])?,
            ),
        });
    }
    let options = Options {
        threshold,
        order,
        max_pixels,
        threads,
    };
    // `bytes` are immutable, so the slices stay valid with the GIL released.
    let results = py.detach(|| kernel::png_masks_to_rle(&masks, options));
    Ok(results
        .into_iter()
        .map(|result| match result {
            Ok(mask) => (None, mask.counts, mask.area),
            Err(err) => (Some(error_class(&err)), err.to_string(), 0),
        })
        .collect())
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(png_masks_to_rle, m)?)?;
    Ok(())
}
