//! The horizontal pass with AVX2 intrinsics; picked at run time when the CPU
//! has AVX2 (`resize.rs::dispatch`). Same integers, same order-free sums, so
//! the same bytes as the portable pass.
//!
//! LLVM vectorises the vertical pass on its own, but not the horizontal one:
//! its outputs read overlapping, unaligned windows. Two shapes cover it:
//!
//! - Few taps (every upscale, mild downscales): eight outputs read inside one
//!   16-byte window of the row. One load, then a byte shuffle per tap puts
//!   each output's pixel, zero-extended, into its own 32-bit lane.
//! - Many taps (a multiple of 8, as the table pads them): eight dot products
//!   at once, eight taps per step, then one shared horizontal reduction.
//!
//! Anything else (a table that fits neither) runs the portable pass.

use std::arch::x86_64::{
    __m128i, __m256i, _mm256_add_epi32, _mm256_broadcastsi128_si256, _mm256_castsi256_si128,
    _mm256_cmpgt_epi32, _mm256_cvtepu8_epi32, _mm256_extracti128_si256, _mm256_hadd_epi32,
    _mm256_loadu_si256, _mm256_mullo_epi32, _mm256_permute2x128_si256, _mm256_set1_epi32,
    _mm256_setzero_si256, _mm256_shuffle_epi8, _mm256_srai_epi32, _mm_and_si128, _mm_loadl_epi64,
    _mm_loadu_si128, _mm_packs_epi16, _mm_packs_epi32, _mm_packus_epi16, _mm_set1_epi8,
    _mm_storel_epi64,
};

use super::passes::{self, dot, AtLeast, Finish, ToByte};
use super::{AxisTable, HALF, PRECISION_BITS};

/// Outputs computed per vector step (i32 lanes in a 256-bit register).
const LANES: usize = 8;
/// Bytes in the window a block of outputs reads from.
const WINDOW: usize = 16;

/// Writes eight outputs from eight accumulators.
pub(crate) trait Store8: Finish {
    /// # Safety
    /// The CPU supports AVX2.
    unsafe fn store8(self, acc: __m256i, out: &mut [Self::Out; LANES]);
}

impl Store8 for ToByte {
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn store8(self, acc: __m256i, out: &mut [u8; LANES]) {
        let v = _mm256_srai_epi32(acc, PRECISION_BITS as i32);
        // Saturating packs clamp to 0..=255, as Pillow's clip8 does.
        let words = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
        let bytes = _mm_packus_epi16(words, words);
        // SAFETY: `out` is 8 writable bytes; storel writes exactly 8.
        unsafe { _mm_storel_epi64(out.as_mut_ptr().cast::<__m128i>(), bytes) };
    }
}

impl Store8 for AtLeast {
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn store8(self, acc: __m256i, out: &mut [bool; LANES]) {
        let on = _mm256_cmpgt_epi32(acc, _mm256_set1_epi32(self.0 - 1));
        let words = _mm_packs_epi32(_mm256_castsi256_si128(on), _mm256_extracti128_si256(on, 1));
        // -1 / 0 per byte, masked to 1 / 0: valid `bool` bytes.
        let bits = _mm_and_si128(_mm_packs_epi16(words, words), _mm_set1_epi8(1));
        // SAFETY: `out` is 8 writable one-byte bools; each byte written is 0 or 1.
        unsafe { _mm_storel_epi64(out.as_mut_ptr().cast::<__m128i>(), bits) };
    }
}

/// Per block of eight outputs: where its window starts, and per tap the byte
/// shuffle that picks each output's pixel and the eight weights.
struct Windows {
    starts: Vec<usize>,
    shuffles: Vec<[u8; 32]>,
    weights: Vec<[i32; LANES]>,
}

impl Windows {
    /// The blocks for a `K`-tap table, or None if some block's taps span more
    /// than one window.
    fn new<const K: usize>(table: &AxisTable) -> Option<Windows> {
        let blocks = table.starts.len() / LANES;
        let mut w = Windows {
            starts: Vec::with_capacity(blocks),
            shuffles: Vec::with_capacity(blocks * K),
            weights: Vec::with_capacity(blocks * K),
        };
        for (starts, k) in table
            .starts
            .chunks_exact(LANES)
            .zip(table.weights.chunks_exact(LANES * K))
        {
            // Starts never decrease along an axis, but nothing here relies on it.
            let first = starts.iter().copied().min().unwrap_or(0);
            let last = starts.iter().copied().max().unwrap_or(0);
            if last + K - first > WINDOW {
                return None;
            }
            w.starts.push(first);
            for t in 0..K {
                // 0x80 zeroes a byte: each lane gets one pixel, zero-extended.
                let mut shuffle = [0x80u8; 32];
                let mut weights = [0i32; LANES];
                for (j, &s) in starts.iter().enumerate() {
                    // The upper 128-bit half shuffles its own copy of the window.
                    shuffle[4 * j] = (s - first + t) as u8;
                    weights[j] = k[j * K + t];
                }
                w.shuffles.push(shuffle);
                w.weights.push(weights);
            }
        }
        Some(w)
    }
}

/// The horizontal pass of `passes::horizontal`, with AVX2.
///
/// # Safety
/// The CPU supports AVX2.
#[target_feature(enable = "avx2")]
pub(crate) unsafe fn horizontal<F: Store8>(
    src: &[u8],
    in_w: usize,
    table: &AxisTable,
    out: &mut [F::Out],
    finish: F,
) {
    // SAFETY: every arm needs only AVX2 (`windowed` and `dot8` say so), and
    // the caller guarantees it.
    unsafe {
        match table.taps {
            1 => windowed::<F, 1>(src, in_w, table, out, finish),
            2 => windowed::<F, 2>(src, in_w, table, out, finish),
            3 => windowed::<F, 3>(src, in_w, table, out, finish),
            4 => windowed::<F, 4>(src, in_w, table, out, finish),
            taps if taps % LANES == 0 => dot8(src, in_w, table, out, finish),
            _ => passes::horizontal(src, in_w, table, out, finish),
        }
    }
}

#[target_feature(enable = "avx2")]
unsafe fn windowed<F: Store8, const K: usize>(
    src: &[u8],
    in_w: usize,
    table: &AxisTable,
    out: &mut [F::Out],
    finish: F,
) {
    let Some(w) = Windows::new::<K>(table) else {
        return passes::horizontal(src, in_w, table, out, finish);
    };
    let out_w = table.starts.len();
    let done = w.starts.len() * LANES;
    // A copy of the row with a window's worth of slack, so that every 16-byte
    // load stays inside it (the window starts at most at in_w - 1).
    let mut padded = vec![0u8; in_w + WINDOW];
    for (row, out_row) in src.chunks_exact(in_w).zip(out.chunks_exact_mut(out_w)) {
        padded[..in_w].copy_from_slice(row);
        let (vector_part, rest) = out_row.split_at_mut(done);
        for (((o, &start), shuffles), weights) in vector_part
            .chunks_exact_mut(LANES)
            .zip(&w.starts)
            .zip(w.shuffles.chunks_exact(K))
            .zip(w.weights.chunks_exact(K))
        {
            let Some(window) = padded.get(start..start + WINDOW) else {
                continue; // unreachable: start < in_w
            };
            // SAFETY: `window` is 16 readable bytes, each shuffle is 32 bytes and
            // each weight row 8 i32; loadu has no alignment requirement.
            unsafe {
                let bytes = _mm256_broadcastsi128_si256(_mm_loadu_si128(window.as_ptr().cast()));
                let mut acc = _mm256_set1_epi32(HALF);
                for (shuffle, k) in shuffles.iter().zip(weights) {
                    let px =
                        _mm256_shuffle_epi8(bytes, _mm256_loadu_si256(shuffle.as_ptr().cast()));
                    let k = _mm256_loadu_si256(k.as_ptr().cast());
                    acc = _mm256_add_epi32(acc, _mm256_mullo_epi32(px, k));
                }
                if let Ok(o) = <&mut [F::Out; LANES]>::try_from(o) {
                    finish.store8(acc, o);
                }
            }
        }
        let tail = table.starts[done..]
            .iter()
            .zip(table.weights[done * K..].chunks_exact(K));
        for (o, (&start, k)) in rest.iter_mut().zip(tail) {
            *o = finish.one(dot(row, start, k));
        }
    }
}

/// The sums of the eight lanes of each of `a[0]..a[7]`, in that order.
#[inline]
#[target_feature(enable = "avx2")]
fn sum_lanes(a: &[__m256i; LANES]) -> __m256i {
    let h01 = _mm256_hadd_epi32(a[0], a[1]);
    let h23 = _mm256_hadd_epi32(a[2], a[3]);
    let h45 = _mm256_hadd_epi32(a[4], a[5]);
    let h67 = _mm256_hadd_epi32(a[6], a[7]);
    // Low halves: sums of lanes 0..4 of a[0..4] / a[4..8]; high halves: lanes 4..8.
    let q0 = _mm256_hadd_epi32(h01, h23);
    let q1 = _mm256_hadd_epi32(h45, h67);
    _mm256_add_epi32(
        _mm256_permute2x128_si256(q0, q1, 0x20),
        _mm256_permute2x128_si256(q0, q1, 0x31),
    )
}

#[target_feature(enable = "avx2")]
unsafe fn dot8<F: Store8>(
    src: &[u8],
    in_w: usize,
    table: &AxisTable,
    out: &mut [F::Out],
    finish: F,
) {
    let out_w = table.starts.len();
    let taps = table.taps;
    // Every unchecked read below is inside a row: checked here once.
    if table.starts.iter().any(|&s| s + taps > in_w) || table.weights.len() != out_w * taps {
        return passes::horizontal(src, in_w, table, out, finish);
    }
    let done = out_w / LANES * LANES;
    for (row, out_row) in src.chunks_exact(in_w).zip(out.chunks_exact_mut(out_w)) {
        let (vector_part, rest) = out_row.split_at_mut(done);
        for ((o, starts), k) in vector_part
            .chunks_exact_mut(LANES)
            .zip(table.starts.chunks_exact(LANES))
            .zip(table.weights.chunks_exact(LANES * taps))
        {
            let mut acc = [_mm256_setzero_si256(); LANES];
            for step in (0..taps).step_by(LANES) {
                for (j, (a, &start)) in acc.iter_mut().zip(starts).enumerate() {
                    // SAFETY: start + taps <= in_w = row.len() (checked above) and
                    // step + 8 <= taps, so the 8 bytes read are inside `row`;
                    // j * taps + step + 8 <= 8 * taps = k.len() for the weights.
                    unsafe {
                        let px = row.as_ptr().add(start + step);
                        let px = _mm256_cvtepu8_epi32(_mm_loadl_epi64(px.cast()));
                        let kj = _mm256_loadu_si256(k.as_ptr().add(j * taps + step).cast());
                        *a = _mm256_add_epi32(*a, _mm256_mullo_epi32(px, kj));
                    }
                }
            }
            let sums = _mm256_add_epi32(sum_lanes(&acc), _mm256_set1_epi32(HALF));
            if let Ok(o) = <&mut [F::Out; LANES]>::try_from(o) {
                // SAFETY: the caller guarantees AVX2.
                unsafe { finish.store8(sums, o) };
            }
        }
        let tail = table.starts[done..]
            .iter()
            .zip(table.weights[done * taps..].chunks_exact(taps));
        for (o, (&start, k)) in rest.iter_mut().zip(tail) {
            *o = finish.one(dot(row, start, k));
        }
    }
}
