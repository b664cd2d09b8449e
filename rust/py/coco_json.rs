//! Bindings of the COCO file reader (`gemini_vision.evaluate.data`).
//!
//! Each returns a dict of columns (NumPy arrays, and lists of str for the
//! names), or None when the general Python reader must read the document.

use numpy::{PyArray1, PyArrayMethods};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use crate::coco_json::{self as kernel, SegColumns};

fn put_seg<'py>(py: Python<'py>, d: &Bound<'py, PyDict>, s: SegColumns) -> PyResult<()> {
    d.set_item("seg_kind", PyArray1::from_vec(py, s.kind))?;
    d.set_item("poly_rows", PyArray1::from_vec(py, s.poly_rows))?;
    d.set_item("coords", PyArray1::from_vec(py, s.coords))?;
    d.set_item("point_offsets", PyArray1::from_vec(py, s.point_offsets))?;
    d.set_item("poly_offsets", PyArray1::from_vec(py, s.poly_offsets))?;
    d.set_item("str_rows", PyArray1::from_vec(py, s.str_rows))?;
    d.set_item(
        "str_hw",
        PyArray1::from_vec(py, s.str_hw).reshape([s_len(&s.str_offsets), 2])?,
    )?;
    d.set_item("str_data", PyBytes::new(py, &s.str_data))?;
    d.set_item("str_offsets", PyArray1::from_vec(py, s.str_offsets))?;
    d.set_item("list_rows", PyArray1::from_vec(py, s.list_rows))?;
    d.set_item(
        "list_hw",
        PyArray1::from_vec(py, s.list_hw).reshape([s_len(&s.list_offsets), 2])?,
    )?;
    d.set_item("list_counts", PyArray1::from_vec(py, s.list_counts))?;
    d.set_item("list_offsets", PyArray1::from_vec(py, s.list_offsets))?;
    Ok(())
}

/// The number of entries an offsets array (one longer) describes.
fn s_len(offsets: &[i64]) -> usize {
    offsets.len().saturating_sub(1)
}

/// A COCO ground truth's columns, or None (see `rust/coco_json.rs`).
#[pyfunction]
fn eval_read_ground_truth<'py>(
    py: Python<'py>,
    doc: &[u8],
) -> PyResult<Option<Bound<'py, PyDict>>> {
    let Some(gt) = py.detach(|| kernel::read_ground_truth(doc)) else {
        return Ok(None);
    };
    let d = PyDict::new(py);
    let n = gt.ann_id.len();
    d.set_item("img_id", PyArray1::from_vec(py, gt.img_id))?;
    d.set_item("img_height", PyArray1::from_vec(py, gt.img_height))?;
    d.set_item("img_width", PyArray1::from_vec(py, gt.img_width))?;
    d.set_item("img_file", gt.img_file)?;
    d.set_item("cat_id", PyArray1::from_vec(py, gt.cat_id))?;
    d.set_item("cat_name", gt.cat_name)?;
    d.set_item("ann_id", PyArray1::from_vec(py, gt.ann_id))?;
    d.set_item("ann_image", PyArray1::from_vec(py, gt.ann_image))?;
    d.set_item("ann_category", PyArray1::from_vec(py, gt.ann_category))?;
    d.set_item(
        "ann_bbox",
        PyArray1::from_vec(py, gt.ann_bbox).reshape([n, 4])?,
    )?;
    d.set_item("ann_area", PyArray1::from_vec(py, gt.ann_area))?;
    d.set_item("ann_crowd", PyArray1::from_vec(py, gt.ann_crowd))?;
    put_seg(py, &d, gt.seg)?;
    Ok(Some(d))
}

/// A COCO results list's columns, or None (see `rust/coco_json.rs`).
#[pyfunction]
fn eval_read_results<'py>(py: Python<'py>, doc: &[u8]) -> PyResult<Option<Bound<'py, PyDict>>> {
    let Some(r) = py.detach(|| kernel::read_results(doc)) else {
        return Ok(None);
    };
    let d = PyDict::new(py);
    let n = r.image.len();
    d.set_item("image", PyArray1::from_vec(py, r.image))?;
    d.set_item("category", PyArray1::from_vec(py, r.category))?;
    d.set_item("score", PyArray1::from_vec(py, r.score))?;
    d.set_item("bbox", PyArray1::from_vec(py, r.bbox).reshape([n, 4])?)?;
    d.set_item("has_bbox", PyArray1::from_vec(py, r.has_bbox))?;
    put_seg(py, &d, r.seg)?;
    Ok(Some(d))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(eval_read_ground_truth, m)?)?;
    m.add_function(wrap_pyfunction!(eval_read_results, m)?)?;
    Ok(())
}
