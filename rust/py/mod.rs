//! PyO3 bindings: borrow NumPy arrays with the GIL held, run the kernel with it
//! released, hand the result back without a copy.
//!
//! Shapes, dtypes and argument ranges are validated once in Python
//! (the `gemini_vision.masks` package, `tokens.py`) before either backend is called; the
//! checks here only keep a bad call from reaching a kernel.

use pyo3::prelude::*;

use crate::error::KernelError;

mod args;
mod batch;
mod coco_json;
mod cpu;
mod eval;
mod json_strings;
mod overlay;
mod paste;
mod pipeline;
mod png;
mod records;
mod resize;
mod rle;
mod rows;
mod threshold;
mod tokens;

/// The name of the `gemini_vision.errors` class that matches a kernel error.
pub(crate) fn error_class(err: &KernelError) -> &'static str {
    match err {
        KernelError::MaskDecode(_) => "MaskDecodeError",
        KernelError::PixelLimit { .. } => "PixelLimitError",
        KernelError::InvalidArgument(_) => "KernelInputError",
        KernelError::Rle(_) => "RleError",
        KernelError::Allocation { .. } => "AllocationError",
    }
}

/// Raise the `gemini_vision.errors` class that matches a kernel error.
pub(crate) fn to_pyerr(py: Python<'_>, err: KernelError) -> PyErr {
    let class = error_class(&err);
    let message = err.to_string();
    match py
        .import("gemini_vision.errors")
        .and_then(|module| module.getattr(class))
    {
        Ok(exc_type) => PyErr::from_type(
            exc_type.cast_into().expect("errors classes are types"),
            message,
        ),
        Err(import_error) => import_error,
    }
}

#[pymodule]
fn _rust(m: &Bound<'_, PyModule>) -> PyResult<()> {
    batch::register(m)?;
    coco_json::register(m)?;
    eval::register(m)?;
    cpu::register(m)?;
    json_strings::register(m)?;
    png::register(m)?;
    resize::register(m)?;
    tokens::register(m)?;
    overlay::register(m)?;
    paste::register(m)?;
    pipeline::register(m)?;
    records::register(m)?;
    rle::register(m)?;
    rows::register(m)?;
    threshold::register(m)?;
    Ok(())
}
