//! Binding of the fused mask pipeline (SPEC M7).
//!
//! The whole batch runs with the GIL released. Each item comes back as a
//! tuple `(error_class, message, mask, probabilities, counts)`: `error_class`
//! is `None` on success, else the name of the `gemini_vision.errors` class the
//! failure maps to, so one bad item never raises for the batch.

use numpy::{PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use super::args::{array2, detached, invalid, raise, size, slice};
use super::error_class;
use crate::base64;
use crate::pipeline::{self as kernel, MaskJob, MaskOutput, Options};
use crate::resize::PassOrder;

type ItemTuple<'py> = (
    Option<&'static str>,
    String,
    Option<Bound<'py, PyArray2<bool>>>,
    Option<Bound<'py, PyArray2<u8>>>,
    Option<Bound<'py, PyArray1<u32>>>,
);

/// Decode every mask item: `data[i]` (base64 PNG text) into the box
/// `boxes[i] = (x0, y0, x1, y1)` with `thresholds[i]` and `pillow[i]` (12 or 13).
#[pyfunction]
#[allow(clippy::too_many_arguments)] // the batch's columns and its shared options
fn decode_masks<'py>(
    py: Python<'py>,
    data: Vec<Bound<'py, PyBytes>>,
    boxes: PyReadonlyArray2<'py, i64>,
    thresholds: PyReadonlyArray1<'py, i32>,
    pillow: PyReadonlyArray1<'py, i64>,
    max_pixels: u64,
    want_probabilities: bool,
    rle_shape: Option<(i64, i64)>,
    threads: usize,
) -> PyResult<Vec<ItemTuple<'py>>> {
    let n = data.len();
    let err = |msg: String| invalid(py, msg);
    if boxes.as_array().dim() != (n, 4) {
        return Err(err(format!("boxes must have shape ({n}, 4)")));
    }
    let (thresholds, pillow) = (
        slice(py, &thresholds, "thresholds")?,
        slice(py, &pillow, "pillow")?,
    );
    if thresholds.len() != n || pillow.len() != n {
        return Err(err(format!("thresholds and pillow must have {n} entries")));
    }
    let rle_frame = match rle_shape {
        Some((h, w)) => Some((size(py, "rle height", h)?, size(py, "rle width", w)?)),
        None => None,
    };
    let mut jobs = Vec::with_capacity(n);
    for (i, (text, b)) in data.iter().zip(boxes.as_array().rows()).enumerate() {
        let (x0, y0, x1, y1) = (b[0], b[1], b[2], b[3]);
        let width = x1.checked_sub(x0).and_then(|v| usize::try_from(v).ok());
        let height = y1.checked_sub(y0).and_then(|v| usize::try_from(v).ok());
        let (Some(width), Some(height)) = (width, height) else {
            return Err(err(format!("boxes[{i}] must have x0 <= x1 and y0 <= y1")));
        };
        jobs.push(MaskJob {
            data: text.as_bytes(),
            x0,
            y0,
            width,
            height,
            threshold: thresholds[i],
            order: raise(py, PassOrder::from_pillow_major(pillow[i]))?,
        });
    }
    let options = Options {
        max_pixels,
        want_probabilities,
        rle_frame,
    };
    let results = py.detach(|| kernel::decode_masks(&jobs, &options, threads));
    let mut out = Vec::with_capacity(n);
    for (job, result) in jobs.iter().zip(results) {
        out.push(match result {
            Ok(MaskOutput {
                mask,
                probabilities,
                counts,
            }) => {
                let shape = (job.height, job.width);
                (
                    None,
                    String::new(),
                    Some(array2(py, shape, mask)?),
                    probabilities.map(|p| array2(py, shape, p)).transpose()?,
                    counts.map(|c| PyArray1::from_vec(py, c)),
                )
            }
            Err(e) => (Some(error_class(&e)), e.to_string(), None, None, None),
        });
    }
    Ok(out)
}

/// The bytes of base64 mask text (the pipeline's first step), or `MaskDecodeError`.
#[pyfunction]
fn decode_base64<'py>(py: Python<'py>, text: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
    let bytes = detached(py, || base64::decode(text))?;
    Ok(PyBytes::new(py, &bytes))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(decode_base64, m)?)?;
    m.add_function(wrap_pyfunction!(decode_masks, m)?)?;
    Ok(())
}
