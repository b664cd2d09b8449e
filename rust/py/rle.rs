//! Bindings of the COCO RLE kernels (SPEC M6).
//!
//! Counts travel as 1-D uint32 arrays, frame sizes as `(height, width)` ints
//! (COCO's `"size": [h, w]`), boxes for IoU as `(n, 4)` float64 `[x, y, w, h]`.

use numpy::{PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use rayon::prelude::*;

use super::args::{array2, boxes, detached, expect_shape, frame, raise, size, slice};
use super::paste::{box_mask, box_masks};
use crate::rle::{self as kernel, Rle};

/// The counts and frame size of one RLE, checked.
fn rle<'a>(
    py: Python<'_>,
    counts: &'a PyReadonlyArray1<'_, u32>,
    height: i64,
    width: i64,
) -> PyResult<Rle<'a>> {
    let (h, w) = frame(py, height, width)?;
    raise(py, Rle::new(slice(py, counts, "counts")?, h, w))
}

/// Every RLE of a list with its `(height, width)` row of `sizes`.
fn rles<'a>(
    py: Python<'_>,
    counts: &'a [PyReadonlyArray1<'_, u32>],
    sizes: &PyReadonlyArray2<'_, i64>,
) -> PyResult<Vec<Rle<'a>>> {
    let sizes = sizes.as_array();
    expect_shape(py, "sizes", sizes.dim(), (counts.len(), 2))?;
    counts
        .iter()
        .zip(sizes.rows())
        .map(|(c, hw)| rle(py, c, hw[0], hw[1]))
        .collect()
}

/// The RLE counts of `mask` at (`x0`, `y0`) in an empty `height x width` frame.
#[pyfunction]
fn rle_encode<'py>(
    py: Python<'py>,
    mask: PyReadonlyArray2<'py, bool>,
    x0: i64,
    y0: i64,
    height: i64,
    width: i64,
) -> PyResult<Bound<'py, PyArray1<u32>>> {
    let (h, w) = frame(py, height, width)?;
    let m = box_mask(py, &mask, x0, y0)?;
    let counts = detached(py, || kernel::encode(&m, h, w))?;
    Ok(PyArray1::from_vec(py, counts))
}

/// [`rle_encode`] of every mask, spread over threads.
#[pyfunction]
fn rle_encode_many<'py>(
    py: Python<'py>,
    masks: Vec<PyReadonlyArray2<'py, bool>>,
    offsets: PyReadonlyArray2<'py, i64>,
    height: i64,
    width: i64,
) -> PyResult<Vec<Bound<'py, PyArray1<u32>>>> {
    let (h, w) = frame(py, height, width)?;
    let views = box_masks(py, &masks, &offsets)?;
    let all = detached(py, || {
        views
            .par_iter()
            .map(|m| kernel::encode(m, h, w))
            .collect::<Result<Vec<_>, _>>()
    })?;
    Ok(all.into_iter().map(|c| PyArray1::from_vec(py, c)).collect())
}

/// Decode counts into a `height x width` bool frame.
#[pyfunction]
fn rle_decode<'py>(
    py: Python<'py>,
    counts: PyReadonlyArray1<'py, u32>,
    height: i64,
    width: i64,
) -> PyResult<Bound<'py, PyArray2<bool>>> {
    let r = rle(py, &counts, height, width)?;
    array2(
        py,
        (r.height, r.width),
        detached(py, || kernel::decode(&r))?,
    )
}

/// Decode the part of the RLE inside a box into a `box_height x box_width` mask.
#[pyfunction]
#[allow(clippy::too_many_arguments)] // one counts array, a frame size and a box
fn rle_decode_box<'py>(
    py: Python<'py>,
    counts: PyReadonlyArray1<'py, u32>,
    height: i64,
    width: i64,
    x0: i64,
    y0: i64,
    box_height: i64,
    box_width: i64,
) -> PyResult<Bound<'py, PyArray2<bool>>> {
    let r = rle(py, &counts, height, width)?;
    let (bh, bw) = (
        size(py, "box_height", box_height)?,
        size(py, "box_width", box_width)?,
    );
    array2(
        py,
        (bh, bw),
        detached(py, || kernel::decode_box(&r, x0, y0, bh, bw))?,
    )
}

/// The compressed (pycocotools string) form of counts, as ASCII bytes.
#[pyfunction]
fn rle_to_string<'py>(
    py: Python<'py>,
    counts: PyReadonlyArray1<'py, u32>,
) -> PyResult<Bound<'py, PyBytes>> {
    let c = slice(py, &counts, "counts")?;
    let s = py.detach(|| kernel::to_string(c));
    Ok(PyBytes::new(py, &s))
}

/// Counts from the compressed form; `RleError` if it is malformed.
#[pyfunction]
fn rle_from_string<'py>(py: Python<'py>, s: &[u8]) -> PyResult<Bound<'py, PyArray1<u32>>> {
    Ok(PyArray1::from_vec(
        py,
        detached(py, || kernel::from_string(s))?,
    ))
}

/// The number of on pixels.
#[pyfunction]
fn rle_area(py: Python<'_>, counts: PyReadonlyArray1<'_, u32>) -> PyResult<u64> {
    Ok(kernel::area(slice(py, &counts, "counts")?))
}

/// `[x, y, w, h]` of the on pixels, as pycocotools' `toBbox`.
#[pyfunction]
fn rle_bbox<'py>(
    py: Python<'py>,
    counts: PyReadonlyArray1<'py, u32>,
    height: i64,
    width: i64,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let r = rle(py, &counts, height, width)?;
    Ok(PyArray1::from_vec(py, kernel::bbox(&r).to_vec()))
}

/// `[x, y, w, h]` of the on pixels of a box-local mask inside the frame.
#[pyfunction]
fn mask_bbox<'py>(
    py: Python<'py>,
    mask: PyReadonlyArray2<'py, bool>,
    x0: i64,
    y0: i64,
    height: i64,
    width: i64,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let (h, w) = frame(py, height, width)?;
    let m = box_mask(py, &mask, x0, y0)?;
    Ok(PyArray1::from_vec(py, kernel::mask_bbox(&m, h, w).to_vec()))
}

/// IoU of `[x, y, w, h]` boxes, `len(dt) x len(gt)`, as pycocotools' `iou`.
#[pyfunction]
fn box_iou<'py>(
    py: Python<'py>,
    dt: PyReadonlyArray2<'py, f64>,
    gt: PyReadonlyArray2<'py, f64>,
    iscrowd: PyReadonlyArray1<'py, bool>,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let (d, g) = (boxes(py, &dt, "dt")?, boxes(py, &gt, "gt")?);
    let crowd = slice(py, &iscrowd, "iscrowd")?;
    array2(
        py,
        (d.len(), g.len()),
        detached(py, || kernel::box_iou(&d, &g, crowd))?,
    )
}

/// IoU of RLE masks, `len(dt) x len(gt)`, as pycocotools' `iou`.
#[pyfunction]
fn rle_iou<'py>(
    py: Python<'py>,
    dt: Vec<PyReadonlyArray1<'py, u32>>,
    dt_sizes: PyReadonlyArray2<'py, i64>,
    gt: Vec<PyReadonlyArray1<'py, u32>>,
    gt_sizes: PyReadonlyArray2<'py, i64>,
    iscrowd: PyReadonlyArray1<'py, bool>,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let d = rles(py, &dt, &dt_sizes)?;
    let g = rles(py, &gt, &gt_sizes)?;
    let crowd = slice(py, &iscrowd, "iscrowd")?;
    array2(
        py,
        (d.len(), g.len()),
        detached(py, || kernel::iou(&d, &g, crowd))?,
    )
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(rle_encode, m)?)?;
    m.add_function(wrap_pyfunction!(rle_encode_many, m)?)?;
    m.add_function(wrap_pyfunction!(rle_decode, m)?)?;
    m.add_function(wrap_pyfunction!(rle_decode_box, m)?)?;
    m.add_function(wrap_pyfunction!(rle_to_string, m)?)?;
    m.add_function(wrap_pyfunction!(rle_from_string, m)?)?;
    m.add_function(wrap_pyfunction!(rle_area, m)?)?;
    m.add_function(wrap_pyfunction!(rle_bbox, m)?)?;
    m.add_function(wrap_pyfunction!(mask_bbox, m)?)?;
    m.add_function(wrap_pyfunction!(box_iou, m)?)?;
    m.add_function(wrap_pyfunction!(rle_iou, m)?)?;
    Ok(())
}
