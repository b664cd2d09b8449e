//! Bindings of the image token kernel (`tokens.rs`).

use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;

use super::args::{detached, raise};
use crate::tokens::{self as kernel, Budget, Rule};

/// Copy-free slice of a contiguous array, or a copy of a strided one.
fn as_vec_or_slice<'a>(array: &'a PyReadonlyArray1<'_, i64>) -> std::borrow::Cow<'a, [i64]> {
    match array.as_slice() {
        Ok(slice) => std::borrow::Cow::Borrowed(slice),
        Err(_) => std::borrow::Cow::Owned(array.as_array().iter().copied().collect()),
    }
}

/// Tokens per image for each `(widths[i], heights[i])` under `rule`.
///
/// `budget` is the rule's token number: tokens per tile (`documented`,
/// `pan_and_scan`), per image (`single`, `flat258`), or Gemini 3's budget.
#[pyfunction]
fn image_tokens_batch<'py>(
    py: Python<'py>,
    widths: PyReadonlyArray1<'py, i64>,
    heights: PyReadonlyArray1<'py, i64>,
    rule: &str,
    budget: i64,
) -> PyResult<Bound<'py, PyArray1<i64>>> {
    let rule = raise(py, Rule::from_name(rule))?;
    let budget = raise(py, Budget::new(budget))?;
    let ws = as_vec_or_slice(&widths);
    let hs = as_vec_or_slice(&heights);
    let out = detached(py, || kernel::tokens_batch(&ws, &hs, rule, budget))?;
    Ok(out.into_pyarray(py))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(image_tokens_batch, m)?)?;
    Ok(())
}
