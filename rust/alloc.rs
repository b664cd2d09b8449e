//! Fallible allocation of every buffer whose size comes from the input.
//!
//! A frame, a label map, a decoded RLE or a resized mask is as large as the
//! numbers in an answer say. Rust's `vec![0; n]` aborts the whole process
//! when the allocator says no (an embedding service would die with it), so
//! every such buffer is made here instead: the size is first checked against
//! [`MAX_ALLOC_BYTES`], then allocated with an allocator call that can fail,
//! and either refusal is a [`KernelError::Allocation`] (Python:
//! `gemini_vision.errors.AllocationError`, a `MemoryError`). The NumPy twin
//! (`_numpy_kernels/alloc.py`) checks the same limit and words its errors the
//! same way.

use std::alloc::{alloc_zeroed, Layout};

use crate::error::{KernelError, KernelResult};

/// The largest single buffer a kernel allocates for its input: 4 GiB (2^32
/// bytes), the size of the largest frame a COCO RLE can describe.
pub const MAX_ALLOC_BYTES: u64 = 1 << 32;

/// Element types whose all-zero bit pattern is a valid value (`false`, `0`, `0.0`).
pub trait Zeroable: Copy {}
impl Zeroable for bool {}
impl Zeroable for u8 {}
impl Zeroable for i32 {}
impl Zeroable for u32 {}
impl Zeroable for i64 {}
impl Zeroable for u64 {}
impl Zeroable for f64 {}

/// The size in bytes of `len` items of `T`, or the error for a buffer above the limit.
fn checked_bytes<T>(len: usize, what: &str) -> KernelResult<usize> {
    checked_count::<T>(len as u128, what)
}

fn checked_count<T>(len: u128, what: &str) -> KernelResult<usize> {
    let bytes = len.saturating_mul(std::mem::size_of::<T>() as u128);
    if bytes > u128::from(MAX_ALLOC_BYTES) {
        return Err(KernelError::Allocation {
            what: what.to_string(),
            bytes,
            over_limit: true,
        });
    }
    // At most 2^32 here, so it fits usize on 64-bit targets; on 32-bit ones
    // `try_from` fails and the allocation is refused below.
    usize::try_from(bytes).map_err(|_| failed(what, bytes))
}

fn failed(what: &str, bytes: u128) -> KernelError {
    KernelError::Allocation {
        what: what.to_string(),
        bytes,
        over_limit: false,
    }
}

/// `len` zeroed items, or [`KernelError::Allocation`] instead of an abort.
///
/// Zeroed memory comes from the allocator's zeroing path (fresh pages for large
/// buffers), so a sparse frame costs no more resident memory than it touches.
pub fn zeroed<T: Zeroable>(len: usize, what: &str) -> KernelResult<Vec<T>> {
    let bytes = checked_bytes::<T>(len, what)?;
    if bytes == 0 {
        // Every `Zeroable` type has a non-zero size, so this is `len == 0`.
        return Ok(Vec::new());
    }
    let layout = Layout::array::<T>(len).map_err(|_| failed(what, bytes as u128))?;
    // SAFETY: `layout` has a non-zero size (checked above). The pointer, when
    // not null, is a fresh allocation of exactly `layout` from the global
    // allocator, which is what `Vec<T>` with capacity `len` deallocates with;
    // every `T: Zeroable` is valid as all-zero bytes, so all `len` items are
    // initialised.
    unsafe {
        let ptr = alloc_zeroed(layout).cast::<T>();
        if ptr.is_null() {
            return Err(failed(what, bytes as u128));
        }
        Ok(Vec::from_raw_parts(ptr, len, len))
    }
}

/// `dims.iter().product()` zeroed items (an n-dimensional array), or
/// [`KernelError::Allocation`]; a product beyond `usize` is refused by the limit
/// check with its exact size, not reported as an overflow.
pub fn zeroed_dims<T: Zeroable>(dims: &[usize], what: &str) -> KernelResult<Vec<T>> {
    let count = dims
        .iter()
        .fold(1u128, |acc, &d| acc.saturating_mul(d as u128));
    checked_count::<T>(count, what)?;
    // At most MAX_ALLOC_BYTES items now, so the count fits usize on 64-bit targets.
    let len = usize::try_from(count).map_err(|_| failed(what, count))?;
    zeroed(len, what)
}

/// An empty vector with room for `len` items, or [`KernelError::Allocation`].
pub fn with_capacity<T>(len: usize, what: &str) -> KernelResult<Vec<T>> {
    let bytes = checked_bytes::<T>(len, what)?;
    let mut v = Vec::new();
    v.try_reserve_exact(len)
        .map_err(|_| failed(what, bytes as u128))?;
    Ok(v)
}

/// Make room for `additional` more items in `v`, or [`KernelError::Allocation`].
pub fn reserve<T>(v: &mut Vec<T>, additional: usize, what: &str) -> KernelResult<()> {
    let total = v.len().saturating_add(additional);
    let bytes = checked_bytes::<T>(total, what)?;
    v.try_reserve(additional)
        .map_err(|_| failed(what, bytes as u128))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_buffers_are_zeroed() {
        assert_eq!(zeroed::<i32>(3, "x").unwrap(), vec![0, 0, 0]);
        assert_eq!(zeroed::<bool>(0, "x").unwrap(), Vec::<bool>::new());
        assert!(with_capacity::<u8>(10, "x").unwrap().capacity() >= 10);
    }

    #[test]
    fn over_the_limit_is_refused_before_allocating() {
        let err = zeroed::<bool>(usize::MAX, "a frame").unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "a frame needs {} bytes, more than the allocation limit of 4294967296 bytes",
                usize::MAX
            )
        );
        let err = zeroed::<i32>((1 << 30) + 1, "a label map").unwrap_err();
        assert!(matches!(
            err,
            KernelError::Allocation {
                over_limit: true,
                ..
            }
        ));
        let mut v = vec![1u8];
        assert!(reserve(&mut v, usize::MAX, "rows").is_err());
    }
}
