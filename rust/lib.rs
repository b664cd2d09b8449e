//! gemini-vision's Rust kernels.
//!
//! Every kernel is a plain function over slices, in its own module, with no
//! PyO3 in sight: `cargo test` runs them without libpython. The PyO3 wrappers
//! live in `py/` behind the `python` feature, which maturin turns on.

pub mod accumulate;
pub mod alloc;
pub mod base64;
pub mod batch;
pub mod bitmask;
pub mod coco_json;
pub mod contour;
pub mod error;
pub mod eval;
pub mod json_strings;
pub mod overlay;
pub mod paste;
pub mod pipeline;
pub mod png;
pub mod pool;
pub mod records;
pub mod resize;
pub mod rle;
pub mod threshold;
pub mod tokens;

#[cfg(feature = "python")]
mod py;
