//! The batch's output rows of one record read by the general parser, built as
//! columns in native code (SPEC D1): the Python objects the parser left (its
//! `Draft`s, `Diagnostic`s and the masks' RLE) are walked here, so the batch
//! runs no Python per item. `_numpy_kernels/rows.py` is the twin and says what
//! the rows are; both give the same objects, row for row.

use std::collections::HashMap;

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PySequence, PyString};

/// The output columns, in `batch.schema.COLUMNS` order.
const COLUMNS: usize = 16;
const ID: usize = 0;
const ITEM: usize = 1;
const KIND: usize = 2;
const LABEL: usize = 3;
const X0: usize = 4;
const CONFIDENCE: usize = 8;
const RLE_COUNTS: usize = 9;
const RLE_SIZE: usize = 10;
const AREA: usize = 11;
const DIAGNOSTICS: usize = 12;
const POINT_X: usize = 13;
const POINT_Y: usize = 14;
const BOX_3D: usize = 15;

/// `text` as a UTF-8 column holds it: lone surrogates as backslash escapes
/// (Python's "backslashreplace"), and whether it had to change.
fn storable<'py>(text: &Bound<'py, PyAny>) -> PyResult<(Bound<'py, PyAny>, bool)> {
    let string = text.cast::<PyString>()?;
    if string.to_str().is_ok() {
        return Ok((text.clone(), false));
    }
    let py = text.py();
    let escaped = string
        .call_method1(intern!(py, "encode"), ("utf-8", "backslashreplace"))?
        .call_method1(intern!(py, "decode"), ("utf-8",))?;
    Ok((escaped, true))
}

/// A diagnostic as the `diagnostics` column's struct (a dict), its message storable.
fn entry<'py>(diagnostic: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
    let py = diagnostic.py();
    let out = PyDict::new(py);
    out.set_item(
        intern!(py, "index"),
        diagnostic.getattr(intern!(py, "index"))?,
    )?;
    out.set_item(
        intern!(py, "action"),
        diagnostic.getattr(intern!(py, "action"))?,
    )?;
    out.set_item(
        intern!(py, "code"),
        diagnostic.getattr(intern!(py, "code"))?,
    )?;
    let (message, _) = storable(&diagnostic.getattr(intern!(py, "message"))?)?;
    out.set_item(intern!(py, "message"), message)?;
    Ok(out)
}

/// The record's rows as 16 columns (see `_numpy_kernels/rows.py`).
#[pyfunction]
fn item_rows<'py>(
    py: Python<'py>,
    record_id: Bound<'py, PyAny>,
    drafts: Vec<Bound<'py, PyAny>>,
    diagnostics: Vec<Bound<'py, PyAny>>,
    segments: Bound<'py, PyDict>,
    frame: (Bound<'py, PyAny>, Bound<'py, PyAny>),
) -> PyResult<Vec<Bound<'py, PyList>>> {
    let columns: Vec<Bound<'py, PyList>> = (0..COLUMNS).map(|_| PyList::empty(py)).collect();
    let none = py.None().into_bound(py);

    // Each item's diagnostics, by the item's index; those of no kept item are loose.
    let mut by_item: HashMap<i64, Bound<'py, PyList>> = HashMap::with_capacity(drafts.len());
    let mut indices = Vec::with_capacity(drafts.len());
    for draft in &drafts {
        let index = draft.getattr(intern!(py, "index"))?;
        by_item.insert(index.extract::<i64>()?, PyList::empty(py));
        indices.push(index);
    }
    // Whole-text notes first, then by item; `sort_by_key` is stable, so each
    // group keeps the order given (as `Pending.sorted_diagnostics`).
    let mut ordered = Vec::with_capacity(diagnostics.len());
    for diagnostic in diagnostics {
        let index = diagnostic.getattr(intern!(py, "index"))?;
        let key = if index.is_none() {
            None
        } else {
            Some(index.extract::<i64>()?)
        };
        ordered.push((key, diagnostic));
    }
    ordered.sort_by_key(|(key, _)| key.unwrap_or(-1));
    let loose = PyList::empty(py);
    for (key, diagnostic) in &ordered {
        match key.and_then(|k| by_item.get(&k)) {
            Some(list) => list.append(entry(diagnostic)?)?,
            None => loose.append(entry(diagnostic)?)?,
        }
    }

    let (height, width) = frame;
    for (draft, index_obj) in drafts.iter().zip(&indices) {
        let index = index_obj.extract::<i64>()?;
        let notes = &by_item[&index];
        let (label, escaped) = storable(&draft.getattr(intern!(py, "label"))?)?;
        if escaped {
            let note = PyDict::new(py);
            note.set_item(intern!(py, "index"), index_obj)?;
            note.set_item(intern!(py, "action"), "repaired")?;
            note.set_item(intern!(py, "code"), "unencodable_text")?;
            note.set_item(
                intern!(py, "message"),
                format!(
                    "item {index}: the label has lone surrogates (not UTF-8); stored with \
                     backslash escapes as {}",
                    label.repr()?.to_str()?
                ),
            )?;
            notes.append(note)?;
        }
        let bbox = draft.getattr(intern!(py, "box"))?;
        let segment = segments.get_item(index_obj)?;
        let kind: &Bound<'py, PyString>;
        let area: Bound<'py, PyAny>;
        if let Some(segment) = &segment {
            kind = intern!(py, "segment");
            area = segment.get_item(1)?;
        } else if !bbox.is_none() {
            kind = intern!(py, "box");
            let [x0, y0, x1, y1]: [i64; 4] = bbox.extract()?;
            let pixels = (x1 - x0).checked_mul(y1 - y0).ok_or_else(|| {
                pyo3::exceptions::PyOverflowError::new_err("the box's area overflows")
            })?;
            area = pixels.into_pyobject(py)?.into_any();
        } else {
            let point = draft.getattr(intern!(py, "point"))?;
            kind = if point.is_none() {
                intern!(py, "box_3d")
            } else {
                intern!(py, "point")
            };
            area = 0i64.into_pyobject(py)?.into_any();
        }
        columns[ID].append(&record_id)?;
        columns[ITEM].append(index_obj)?;
        columns[KIND].append(kind)?;
        columns[LABEL].append(label)?;
        for k in 0..4 {
            if bbox.is_none() {
                columns[X0 + k].append(&none)?;
            } else {
                columns[X0 + k].append(bbox.get_item(k)?)?;
            }
        }
        columns[CONFIDENCE].append(draft.getattr(intern!(py, "confidence"))?)?;
        match &segment {
            Some(segment) => {
                columns[RLE_COUNTS].append(segment.get_item(0)?)?;
                columns[RLE_SIZE].append(PyList::new(py, [&height, &width])?)?;
            }
            None => {
                columns[RLE_COUNTS].append(&none)?;
                columns[RLE_SIZE].append(&none)?;
            }
        }
        columns[AREA].append(area)?;
        columns[DIAGNOSTICS].append(notes)?;
        let point = draft.getattr(intern!(py, "point"))?;
        if point.is_none() {
            columns[POINT_X].append(&none)?;
            columns[POINT_Y].append(&none)?;
        } else {
            columns[POINT_X].append(point.get_item(0)?)?;
            columns[POINT_Y].append(point.get_item(1)?)?;
        }
        let box_3d = draft.getattr(intern!(py, "box_3d"))?;
        if box_3d.is_none() {
            columns[BOX_3D].append(&none)?;
        } else {
            columns[BOX_3D].append(box_3d.cast::<PySequence>()?.to_list()?)?;
        }
    }
    if !loose.is_empty() || drafts.is_empty() {
        // A record row: the diagnostics of no kept item; every other column null.
        for (i, column) in columns.iter().enumerate() {
            match i {
                ID => column.append(&record_id)?,
                DIAGNOSTICS => column.append(&loose)?,
                _ => column.append(&none)?,
            }
        }
    }
    Ok(columns)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(item_rows, m)?)?;
    Ok(())
}
