//! The one error type every kernel returns.
//!
//! Kernels never panic on bad input: they return a `KernelError`, and the
//! bindings (`py/mod.rs`) turn each variant into the matching exception class
//! of `gemini_vision.errors`, so the Rust and NumPy backends raise the same
//! classes with the same kind of message.

use std::fmt;

/// Every way a kernel can refuse its input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KernelError {
    /// The PNG bytes are corrupt, truncated or use a feature PNG does not define.
    MaskDecode(String),
    /// The PNG header declares more pixels than the caller allows.
    PixelLimit { width: u64, height: u64, limit: u64 },
    /// An argument is outside its domain (a zero size, a mismatched length).
    InvalidArgument(String),
    /// A COCO RLE is malformed: a bad compressed string, or counts that do not
    /// cover the frame.
    Rle(String),
    /// A buffer the input asks for is larger than [`crate::alloc::MAX_ALLOC_BYTES`]
    /// (`over_limit`), or the allocator could not provide it.
    Allocation {
        what: String,
        bytes: u128,
        over_limit: bool,
    },
}

impl fmt::Display for KernelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KernelError::MaskDecode(msg) => write!(f, "{msg}"),
            KernelError::PixelLimit {
                width,
                height,
                limit,
            } => write!(
                f,
                "PNG header declares {width}x{height} = {} pixels, more than the limit of {limit}",
                u128::from(*width) * u128::from(*height)
            ),
            KernelError::InvalidArgument(msg) => write!(f, "{msg}"),
            KernelError::Rle(msg) => write!(f, "{msg}"),
            KernelError::Allocation {
                what,
                bytes,
                over_limit: true,
            } => write!(
                f,
                "{what} needs {bytes} bytes, more than the allocation limit of {} bytes",
                crate::alloc::MAX_ALLOC_BYTES
            ),
            KernelError::Allocation { what, bytes, .. } => {
                write!(
                    f,
                    "{what} needs {bytes} bytes, which could not be allocated"
                )
            }
        }
    }
}

impl std::error::Error for KernelError {}

/// Shorthand for kernel results.
pub type KernelResult<T> = Result<T, KernelError>;
