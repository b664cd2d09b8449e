//! Row-major masks packed eight pixels to the byte, sixty-four to the word.
//!
//! The fused resize writes the mask of a box row by row; the COCO encoder then
//! needs, per column, the rows where the mask switches on or off. Packed rows
//! give both cheaply: a row is pushed as `width / 64` words, and the switches
//! between two rows are the set bits of their XOR, a handful of words per row
//! (masks are smooth, so almost every XOR word is zero).
//!
//! Bit `x % 64` of word `y * stride + x / 64` is pixel (row `y`, column `x`);
//! the bits past `width` in a row's last word are always zero.

use crate::error::{KernelError, KernelResult};

/// A packed `height x width` mask (see the module docs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BitMask {
    height: usize,
    width: usize,
    /// Words per row: `width.div_ceil(64)`.
    stride: usize,
    words: Vec<u64>,
}

/// Eight 0/1 bytes as the eight low bits of a byte (first byte, lowest bit).
#[inline(always)]
fn pack8(bytes: [u8; 8]) -> u64 {
    // Byte k (0 or 1) lands alone on bit 56 + k: no two products share a bit,
    // so nothing carries into the top byte.
    u64::from_le_bytes(bytes).wrapping_mul(0x0102_0408_1020_4080) >> 56
}

/// Sixteen pixels as the sixteen low bits of a word (first pixel, lowest bit):
/// SSE2 on x86-64, the multiply trick of [`pack8`] elsewhere and in the
/// `portable` build.
#[inline(always)]
fn pack16(pixels: &[bool; 16]) -> u64 {
    #[cfg(all(target_arch = "x86_64", not(feature = "portable")))]
    let bits = pack16_sse2(pixels);
    #[cfg(not(all(target_arch = "x86_64", not(feature = "portable"))))]
    let bits = pack16_portable(pixels);
    bits
}

/// [`pack16`] with SSE2.
#[cfg(target_arch = "x86_64")]
#[cfg_attr(feature = "portable", allow(dead_code))]
#[inline(always)]
fn pack16_sse2(pixels: &[bool; 16]) -> u64 {
    use std::arch::x86_64::{_mm_loadu_si128, _mm_movemask_epi8, _mm_slli_epi64};
    // SAFETY: SSE2 is part of every x86-64 CPU; the load reads the 16 bytes of
    // `pixels` (a bool is one byte, 0 or 1) and has no alignment requirement.
    unsafe {
        let v = _mm_loadu_si128(pixels.as_ptr().cast());
        // Bit 0 of each byte to its bit 7 (no bit crosses a byte), then gather.
        u64::from(_mm_movemask_epi8(_mm_slli_epi64(v, 7)) as u16)
    }
}

/// [`pack16`] without SIMD.
#[cfg_attr(
    all(target_arch = "x86_64", not(feature = "portable")),
    allow(dead_code)
)]
#[inline(always)]
fn pack16_portable(pixels: &[bool; 16]) -> u64 {
    let half = |k: usize| pack8(std::array::from_fn(|i| u8::from(pixels[k + i])));
    half(0) | half(8) << 8
}

impl BitMask {
    /// An empty mask; [`BitMask::reset`] gives it a shape.
    pub fn new() -> BitMask {
        BitMask::default()
    }

    /// Forget the rows and get ready for `height` rows of `width` pixels,
    /// keeping the allocation (a scratch mask is reused across many masks).
    pub fn reset(&mut self, height: usize, width: usize) -> KernelResult<()> {
        let stride = width.div_ceil(64);
        let len = stride.checked_mul(height).ok_or_else(|| {
            KernelError::InvalidArgument(format!("a {height}x{width} mask is too large"))
        })?;
        self.words.clear();
        crate::alloc::reserve(&mut self.words, len, "the packed mask")?;
        self.height = height;
        self.width = width;
        self.stride = stride;
        Ok(())
    }

    /// A packed copy of the row-major `height x width` mask `data`.
    pub fn from_bools(data: &[bool], height: usize, width: usize) -> KernelResult<BitMask> {
        if height.checked_mul(width) != Some(data.len()) {
            return Err(KernelError::InvalidArgument(format!(
                "mask data has {} values, not height * width = {height} * {width}",
                data.len()
            )));
        }
        let mut mask = BitMask::new();
        mask.reset(height, width)?;
        if width > 0 {
            for row in data.chunks_exact(width) {
                mask.push_row(row);
            }
        }
        Ok(mask)
    }

    pub fn height(&self) -> usize {
        self.height
    }

    pub fn width(&self) -> usize {
        self.width
    }

    /// Words per row.
    pub fn stride(&self) -> usize {
        self.stride
    }

    /// Rows pushed so far.
    pub fn rows(&self) -> usize {
        self.words.len().checked_div(self.stride).unwrap_or(0)
    }

    /// Append one row of `width` pixels (a shorter slice is padded with off
    /// pixels, a longer one cut).
    pub fn push_row(&mut self, row: &[bool]) {
        let row = row.get(..self.width).unwrap_or(row);
        let mut pushed = 0;
        for chunk in row.chunks(64) {
            let mut sixteens = chunk.chunks_exact(16);
            let mut word = 0u64;
            for (k, sixteen) in (&mut sixteens).enumerate() {
                if let Ok(pixels) = <&[bool; 16]>::try_from(sixteen) {
                    word |= pack16(pixels) << (16 * k);
                }
            }
            let done = chunk.len() / 16 * 16;
            for (k, &on) in sixteens.remainder().iter().enumerate() {
                word |= u64::from(on) << (done + k);
            }
            self.words.push(word);
            pushed += 1;
        }
        for _ in pushed..self.stride {
            self.words.push(0);
        }
    }

    /// Append one row given packed (`stride` words; a shorter slice is
    /// padded with off pixels). The bits past `width` must be zero.
    pub fn push_words(&mut self, row: &[u64]) {
        let row = row.get(..self.stride).unwrap_or(row);
        self.words.extend_from_slice(row);
        for _ in row.len()..self.stride {
            self.words.push(0);
        }
    }

    /// Append a copy of the last row (the first row if none yet: an off row).
    pub fn repeat_row(&mut self) {
        let n = self.words.len();
        if n >= self.stride && self.stride > 0 {
            self.words.extend_from_within(n - self.stride..n);
        } else {
            self.words.extend(std::iter::repeat_n(0, self.stride));
        }
    }

    /// The words of row `y`, or `None` past the rows pushed.
    pub fn row(&self, y: usize) -> Option<&[u64]> {
        let start = y.checked_mul(self.stride)?;
        self.words.get(start..start.checked_add(self.stride)?)
    }

    /// The words of rows `first..first + count` (fewer if not all were pushed).
    pub fn rows_words(&self, first: usize, count: usize) -> &[u64] {
        let start = first.saturating_mul(self.stride).min(self.words.len());
        let end = first
            .saturating_add(count)
            .saturating_mul(self.stride)
            .min(self.words.len());
        &self.words[start..end]
    }

    /// Pixel (`y`, `x`), off outside the mask.
    pub fn get(&self, y: usize, x: usize) -> bool {
        x < self.width
            && self
                .row(y)
                .and_then(|r| r.get(x / 64))
                .is_some_and(|w| w >> (x % 64) & 1 == 1)
    }

    /// The row-major booleans of the rows pushed.
    pub fn to_bools(&self) -> Vec<bool> {
        let mut out = Vec::with_capacity(self.rows() * self.width);
        for y in 0..self.rows() {
            out.extend((0..self.width).map(|x| self.get(y, x)));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every one of the 65,536 patterns: the SSE2 arm, the portable arm and
    /// the bit-by-bit definition agree.
    #[test]
    fn pack16_arms_agree_on_every_pattern() {
        for pattern in 0..=u16::MAX {
            let pixels: [bool; 16] = std::array::from_fn(|k| pattern >> k & 1 == 1);
            let expected = u64::from(pattern);
            assert_eq!(pack16_portable(&pixels), expected, "{pattern:#06x}");
            assert_eq!(pack16(&pixels), expected, "{pattern:#06x}");
            #[cfg(target_arch = "x86_64")]
            assert_eq!(pack16_sse2(&pixels), expected, "{pattern:#06x}");
        }
    }

    #[test]
    fn pack8_puts_byte_k_on_bit_k() {
        for v in 0..=255u8 {
            let bytes: [u8; 8] = std::array::from_fn(|k| v >> k & 1);
            assert_eq!(pack8(bytes), u64::from(v));
        }
    }

    #[test]
    fn pack16_puts_pixel_k_on_bit_k() {
        for v in [0u16, 1, 0x8000, 0xffff, 0x1234, 0xa5a5, 0x0ff0] {
            let pixels: [bool; 16] = std::array::from_fn(|k| v >> k & 1 == 1);
            assert_eq!(pack16(&pixels), u64::from(v));
        }
    }

    #[test]
    fn bools_round_trip_at_every_width() {
        let mut seed = 7u64;
        for width in [0, 1, 7, 8, 63, 64, 65, 127, 128, 200] {
            let height = 3;
            let data: Vec<bool> = (0..height * width)
                .map(|_| {
                    seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                    seed >> 63 == 1
                })
                .collect();
            let mask = BitMask::from_bools(&data, height, width).unwrap();
            assert_eq!(mask.to_bools(), data, "width {width}");
            if width > 0 {
                assert_eq!(mask.rows(), height);
            }
            // Padding bits stay off.
            for y in 0..mask.rows() {
                let last = mask.row(y).unwrap().last().copied();
                if width % 64 != 0 {
                    assert_eq!(last.unwrap() >> (width % 64), 0);
                }
            }
        }
        assert!(BitMask::from_bools(&[true], 2, 1).is_err());
    }

    #[test]
    fn repeat_row_copies_the_last_row() {
        let mut mask = BitMask::new();
        mask.reset(3, 70).unwrap();
        mask.repeat_row();
        let row: Vec<bool> = (0..70).map(|x| x % 3 == 0).collect();
        mask.push_row(&row);
        mask.repeat_row();
        let mut expected = vec![false; 70];
        expected.extend(&row);
        expected.extend(&row);
        assert_eq!(mask.to_bools(), expected);
        assert!(!mask.get(5, 0) && !mask.get(0, 99));
    }
}
