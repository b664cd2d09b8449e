//! Runs of Paeth rows of 8-bit grey decoded up to 16 rows at a time in SSE2,
//! or in AVX2 when the CPU has it, for `filter::unfilter_grey_rows`.
//!
//! The rows of a block make a wavefront, as in `filter::paeth_wave`: row `k`
//! decodes its column `s - k` at step `s`. Here row `k` is lane `k % 8` of
//! register `k / 8` (16-bit lanes: Paeth's `3c - a - b` needs 11 bits), so a
//! step is a handful of vector operations for 8 pixels, and the 2 registers
//! of a 16-row block are 2 chains the core interleaves (a step of register 1
//! needs register 0's previous step, not its current one). Row `k`'s pixel
//! above is row `k - 1`'s left pixel: the lanes of the previous step shifted
//! up one, the prior row's byte (or the lower register's top lane) entering
//! lane 0; its above-left pixel is the previous step's above pixel. With
//! AVX2 the 16 rows are the 16 lanes of one register ([`paeth_rows_avx2`]).
//!
//! A step needs the diagonal `line[k][s - k]` of the filtered bytes. Eight
//! steps at a time, row `k`'s 8 bytes from column `s0 - k` are loaded and
//! transposed, which gives the diagonals of steps `s0..s0 + 8` without
//! gathers; the results are transposed back and stored at the same columns.
//!
//! The block works in a scratch copy whose rows have zero columns on both
//! sides, so the wavefront runs from step 0 to past the last column with every
//! load and store in bounds and no scalar triangles at its ends: before its
//! column 0 a row's filtered bytes are zero, so its lane stays zero (Paeth of
//! zeros), which is just the zero left and above-left pixels column 0 needs;
//! after its last column a lane decodes garbage, which no lane to its right
//! (a lower row, an earlier column) ever reads and which is not copied out.

use std::arch::x86_64::{
    __m128i, __m256i, _mm256_add_epi16, _mm256_add_epi8, _mm256_alignr_epi8, _mm256_blendv_epi8,
    _mm256_castsi128_si256, _mm256_castsi256_si128, _mm256_cmpgt_epi16, _mm256_extracti128_si256,
    _mm256_inserti128_si256, _mm256_max_epi16, _mm256_min_epi16, _mm256_or_si256,
    _mm256_permute2x128_si256, _mm256_setzero_si256, _mm256_slli_epi16, _mm256_sub_epi16,
    _mm256_unpackhi_epi16, _mm256_unpackhi_epi32, _mm256_unpackhi_epi8, _mm256_unpacklo_epi16,
    _mm256_unpacklo_epi32, _mm256_unpacklo_epi8, _mm_add_epi16, _mm_add_epi8, _mm_and_si128,
    _mm_andnot_si128, _mm_cmpgt_epi16, _mm_cvtsi128_si64, _mm_cvtsi32_si128, _mm_cvtsi64_si128,
    _mm_extract_epi64, _mm_loadu_si128, _mm_max_epi16, _mm_min_epi16, _mm_or_si128,
    _mm_setzero_si128, _mm_slli_epi16, _mm_slli_si128, _mm_srli_si128, _mm_sub_epi16,
    _mm_unpackhi_epi16, _mm_unpackhi_epi32, _mm_unpackhi_epi64, _mm_unpackhi_epi8,
    _mm_unpacklo_epi16, _mm_unpacklo_epi32, _mm_unpacklo_epi8,
};

/// The most rows a block decodes: 2 registers of 8 lanes (SSE2) or 1 of 16
/// (AVX2).
pub(super) const MAX_ROWS: usize = 16;

/// Where column 0 is in a scratch row: a row starts up to 16 columns before
/// step 0 (row 15 of an AVX2 block, see [`paeth_rows_avx2`]).
const PAD: usize = 16;

/// The scratch copy a block works in: `MAX_ROWS` filtered rows, `MAX_ROWS`
/// result rows and the prior row, each `pitch` bytes with column 0 at `PAD`,
/// and `pitch` reaching past the last column of the last 8 steps of a
/// 16-row block by the 16 bytes of a load; and the prior row widened to
/// 16 bits, likewise. The padding of the filtered rows and the prior rows is
/// zero and stays zero: a block writes only their columns `0..width`, so
/// the scratch serves every block of every image of its width.
#[derive(Debug)]
pub(super) struct Scratch {
    buf: Vec<u8>,
    prior16: Vec<u16>,
    width: usize,
    pitch: usize,
}

impl Scratch {
    pub(super) fn new(width: usize) -> Scratch {
        let pitch = PAD + (width + 16).next_multiple_of(8) + 16;
        Scratch {
            buf: vec![0; (2 * MAX_ROWS + 1) * pitch],
            prior16: vec![0; pitch],
            width,
            pitch,
        }
    }

    /// The image width the scratch is laid out for.
    pub(super) fn width(&self) -> usize {
        self.width
    }
}

/// Decode the `used` (1 to `8 * N`) Paeth scanlines at the start of `lines`
/// (each `width + 1` bytes, filter byte first, `width` that of `scratch`)
/// into the first `used` rows of `rows`, against `prior`, the raw row above
/// them. SSE2, which every x86-64 CPU has.
///
/// A block of fewer rows than lanes costs as much as a full one: the unused
/// lanes decode whatever their scratch rows hold, which only lanes above
/// them read, and are not copied out.
pub(super) fn paeth_rows_sse2<const N: usize>(
    lines: &[u8],
    prior: &[u8],
    rows: &mut [u8],
    scratch: &mut Scratch,
    used: usize,
) {
    // SAFETY: SSE2 is part of every x86-64 CPU.
    unsafe { paeth_rows::<N>(lines, prior, rows, scratch, used) };
}

/// The body of [`paeth_rows_sse2`].
#[target_feature(enable = "sse2")]
#[inline]
fn paeth_rows<const N: usize>(
    lines: &[u8],
    prior: &[u8],
    rows: &mut [u8],
    scratch: &mut Scratch,
    used: usize,
) {
    let Scratch {
        buf, width, pitch, ..
    } = scratch;
    let (width, pitch) = (*width, *pitch);
    let used = used.min(8 * N);
    let (filtered, rest) = buf.split_at_mut(MAX_ROWS * pitch);
    let (decoded, prior_row) = rest.split_at_mut(MAX_ROWS * pitch);
    for k in 0..used {
        filtered[k * pitch + PAD..][..width]
            .copy_from_slice(&lines[k * (width + 1) + 1..][..width]);
    }
    prior_row[PAD..][..width].copy_from_slice(&prior[..width]);
    let filtered = &*filtered;

    let zero = _mm_setzero_si128();
    // Per register: the left pixels (the lanes' last results), the
    // above-left pixels (the last step's above pixels) and 3 times those.
    let mut a = [zero; N];
    let mut c = [zero; N];
    let mut c3 = [zero; N];
    // Row k's last column is reached at step width - 1 + k.
    let steps = (width + used - 1).next_multiple_of(8);
    for s0 in (0..steps).step_by(8) {
        // Row k's bytes of columns s0 - k .. s0 - k + 8, at scratch offset
        // k * pitch + PAD + s0 - k: within row k's `pitch` bytes (k <= 15,
        // s0 + 8 <= steps).
        let at = |k: usize| k * pitch + PAD + s0 - k;
        let mut x = [[zero; 8]; N];
        for (g, x) in x.iter_mut().enumerate() {
            let load = |i: usize| load8(&filtered[at(8 * g + i)..]);
            *x = transpose_in([
                load(0),
                load(1),
                load(2),
                load(3),
                load(4),
                load(5),
                load(6),
                load(7),
            ]);
        }
        for j in 0..8 {
            // The above pixels: lane k takes lane k - 1's left pixel; lane 0
            // the prior row's byte, or the register below's top lane.
            let mut b = [zero; N];
            for g in 0..N {
                let enter = if g == 0 {
                    _mm_cvtsi32_si128(i32::from(prior_row[PAD + s0 + j]))
                } else {
                    _mm_srli_si128::<14>(a[g - 1])
                };
                b[g] = _mm_or_si128(_mm_slli_si128::<2>(a[g]), enter);
            }
            for g in 0..N {
                let pred = paeth(a[g], b[g], c[g], c3[g]);
                // The bytes wrap mod 256 as PNG's sum does; both high bytes
                // are zero, so the lanes stay 0..=255.
                a[g] = _mm_add_epi8(x[g][j], pred);
                x[g][j] = a[g];
                c[g] = b[g];
                c3[g] = _mm_add_epi16(_mm_add_epi16(b[g], b[g]), b[g]);
            }
        }
        for (g, x) in x.iter().enumerate() {
            let out = transpose_out(x);
            for (i, row) in out.iter().enumerate() {
                let k = 8 * g + i;
                decoded[at(k)..][..8].copy_from_slice(&row.to_le_bytes());
            }
        }
    }
    for k in 0..used {
        rows[k * width..][..width].copy_from_slice(&decoded[k * pitch + PAD..][..width]);
    }
}

/// The first 8 bytes of `bytes` in the low half of a register.
#[target_feature(enable = "sse2")]
#[inline]
fn load8(bytes: &[u8]) -> __m128i {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[..8]);
    _mm_cvtsi64_si128(i64::from_le_bytes(word))
}

/// Eight rows of 8 bytes (the low halves of `rows`) as 8 columns of 16-bit
/// lanes: lane `k` of column `j` is byte `j` of row `k`.
#[target_feature(enable = "sse2")]
#[inline]
fn transpose_in(rows: [__m128i; 8]) -> [__m128i; 8] {
    let [r0, r1, r2, r3, r4, r5, r6, r7] = rows;
    // Byte pairs (rows 0 and 1, ...) per column.
    let p01 = _mm_unpacklo_epi8(r0, r1);
    let p23 = _mm_unpacklo_epi8(r2, r3);
    let p45 = _mm_unpacklo_epi8(r4, r5);
    let p67 = _mm_unpacklo_epi8(r6, r7);
    // Rows 0-3 (and 4-7) of columns 0-3 and of columns 4-7.
    let q0 = _mm_unpacklo_epi16(p01, p23);
    let q1 = _mm_unpackhi_epi16(p01, p23);
    let q2 = _mm_unpacklo_epi16(p45, p67);
    let q3 = _mm_unpackhi_epi16(p45, p67);
    // Columns 0 and 1, 2 and 3, ... whole.
    let c01 = _mm_unpacklo_epi32(q0, q2);
    let c23 = _mm_unpackhi_epi32(q0, q2);
    let c45 = _mm_unpacklo_epi32(q1, q3);
    let c67 = _mm_unpackhi_epi32(q1, q3);
    let zero = _mm_setzero_si128();
    [
        _mm_unpacklo_epi8(c01, zero),
        _mm_unpackhi_epi8(c01, zero),
        _mm_unpacklo_epi8(c23, zero),
        _mm_unpackhi_epi8(c23, zero),
        _mm_unpacklo_epi8(c45, zero),
        _mm_unpackhi_epi8(c45, zero),
        _mm_unpacklo_epi8(c67, zero),
        _mm_unpackhi_epi8(c67, zero),
    ]
}

/// The inverse of [`transpose_in`] for lanes of 0..=255: 8 columns of 16-bit
/// lanes as 8 rows of 8 bytes, each as a little-endian word.
#[target_feature(enable = "sse2")]
#[inline]
fn transpose_out(columns: &[__m128i; 8]) -> [i64; 8] {
    // A 16-bit lane holding the bytes of two columns: the byte pairs of
    // `transpose_in`, without a pack.
    let pair = |lo: __m128i, hi: __m128i| _mm_or_si128(lo, _mm_slli_epi16::<8>(hi));
    let p01 = pair(columns[0], columns[1]);
    let p23 = pair(columns[2], columns[3]);
    let p45 = pair(columns[4], columns[5]);
    let p67 = pair(columns[6], columns[7]);
    let q0 = _mm_unpacklo_epi16(p01, p23);
    let q1 = _mm_unpackhi_epi16(p01, p23);
    let q2 = _mm_unpacklo_epi16(p45, p67);
    let q3 = _mm_unpackhi_epi16(p45, p67);
    let r01 = _mm_unpacklo_epi32(q0, q2);
    let r23 = _mm_unpackhi_epi32(q0, q2);
    let r45 = _mm_unpacklo_epi32(q1, q3);
    let r67 = _mm_unpackhi_epi32(q1, q3);
    let low = _mm_cvtsi128_si64;
    let high = |v: __m128i| _mm_cvtsi128_si64(_mm_unpackhi_epi64(v, v));
    [
        low(r01),
        high(r01),
        low(r23),
        high(r23),
        low(r45),
        high(r45),
        low(r67),
        high(r67),
    ]
}

/// `filter::paeth` in 16-bit lanes (`c3` is 3 times `c`): `hi` when
/// `t <= lo`, else `lo` when `hi <= t`, else `c`, by masks.
#[target_feature(enable = "sse2")]
#[inline]
fn paeth(a: __m128i, b: __m128i, c: __m128i, c3: __m128i) -> __m128i {
    let lo = _mm_min_epi16(a, b);
    let hi = _mm_max_epi16(a, b);
    let t = _mm_sub_epi16(_mm_sub_epi16(c3, a), b);
    let not_hi = _mm_cmpgt_epi16(t, lo);
    let is_c = _mm_cmpgt_epi16(hi, t);
    let c_or_lo = _mm_or_si128(_mm_and_si128(is_c, c), _mm_andnot_si128(is_c, lo));
    _mm_or_si128(_mm_and_si128(not_hi, c_or_lo), _mm_andnot_si128(not_hi, hi))
}

/// Decode the `used` (1 to 16) Paeth scanlines at the start of `lines` as
/// [`paeth_rows_sse2`] does, in the 16 lanes of one 256-bit register: rows 0
/// to 7 in the low 128-bit half, rows 8 to 15 in the high one. (Two such
/// registers, 32 rows, measured slower per pixel, 0.35 ns against 0.30,
/// likely because their state and diagonals outgrow the 16 registers.)
///
/// The lanes cross from the low half to the high one once per step, and the
/// instruction that does that (`vperm2i128`) takes 3 cycles; on the chain
/// from a step to the next it would make each step 3 cycles longer. So the
/// high half runs a step later than a plain wavefront: row `k` decodes its
/// column `s - lag(k)` at step `s`, `lag(k)` being `k` in the low half and
/// `k + 1` in the high one. Row 8 then needs the pixel row 7 made two steps
/// before, not one: the crossing is done a step ahead, and the step's only
/// shift of lanes is `vpalignr` within each half.
///
/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
pub(super) unsafe fn paeth_rows_avx2(
    lines: &[u8],
    prior: &[u8],
    rows: &mut [u8],
    scratch: &mut Scratch,
    used: usize,
) {
    let Scratch {
        buf,
        prior16,
        width,
        pitch,
    } = scratch;
    let (width, pitch) = (*width, *pitch);
    let used = used.clamp(1, 16);
    let (filtered, rest) = buf.split_at_mut(MAX_ROWS * pitch);
    let (decoded, _) = rest.split_at_mut(MAX_ROWS * pitch);
    for k in 0..used {
        filtered[k * pitch + PAD..][..width]
            .copy_from_slice(&lines[k * (width + 1) + 1..][..width]);
    }
    for (wide, &byte) in prior16[PAD..].iter_mut().zip(&prior[..width]) {
        *wide = u16::from(byte);
    }
    let (filtered, prior16) = (&*filtered, &*prior16);

    // Row k decodes column s - lag(k) at step s: at most 15 + 1 = 16.
    let lag = |k: usize| k + k / 8;
    // The last row's last column is reached at step width - 1 + lag(used - 1).
    let steps = (width + lag(used - 1)).next_multiple_of(8);
    let zero = _mm256_setzero_si256();
    // The left pixels (the lanes' last results) and the ones before them,
    // the above-left pixels (the last step's above pixels) and 3 times those.
    let (mut a, mut a2, mut c, mut c3) = (zero, zero, zero, zero);
    for s0 in (0..steps).step_by(8) {
        // Row k's bytes of columns s0 - lag(k) .. + 8, at scratch offset
        // k * pitch + PAD + s0 - lag(k): within row k's `pitch` bytes, and so
        // are the 8 bytes more that the high half's 16-byte loads read
        // (lag(k) <= PAD, s0 + 8 <= steps).
        let at = |k: usize| k * pitch + PAD + s0 - lag(k);
        let mut halves = [zero; 8];
        for (k, half) in halves.iter_mut().enumerate() {
            *half = load_halves(&filtered[at(k)..], &filtered[at(k + 8)..]);
        }
        let mut x = transpose_in256(halves);
        for (j, x) in x.iter_mut().enumerate() {
            // The prior row's byte of column s0 + j, in lane 7.
            let widened = &prior16[PAD + s0 + j - 7..][..8];
            // SAFETY: `widened` is 16 readable bytes; loadu needs no alignment.
            let enter = unsafe { _mm_loadu_si128(widened.as_ptr().cast()) };
            // The above pixels: lane k takes lane k - 1's left pixel; lane 0
            // of the low half the prior row's byte, of the high half row 7's
            // pixel of two steps ago, both first put in lane 7 of the half.
            let below = _mm256_permute2x128_si256::<0x20>(_mm256_castsi128_si256(enter), a2);
            let b = _mm256_alignr_epi8::<14>(a, below);
            let pred = paeth256(a, b, c, c3);
            a2 = a;
            // The bytes wrap mod 256 as PNG's sum does; both high bytes are
            // zero, so the lanes stay 0..=255.
            a = _mm256_add_epi8(*x, pred);
            *x = a;
            c = b;
            c3 = _mm256_add_epi16(_mm256_add_epi16(b, b), b);
        }
        for (i, pair) in transpose_out256(&x).into_iter().enumerate() {
            // Rows 2i and 2i + 1 of the low half, then of the high one.
            let halves = [
                _mm256_castsi256_si128(pair),
                _mm256_extracti128_si256::<1>(pair),
            ];
            for (h, v) in halves.into_iter().enumerate() {
                let k = 8 * h + 2 * i;
                let words = [_mm_cvtsi128_si64(v), _mm_extract_epi64::<1>(v)];
                for (d, word) in words.into_iter().enumerate() {
                    decoded[at(k + d)..][..8].copy_from_slice(&word.to_le_bytes());
                }
            }
        }
    }
    for k in 0..used {
        rows[k * width..][..width].copy_from_slice(&decoded[k * pitch + PAD..][..width]);
    }
}

/// The first 8 bytes of `low` in the low half and the first 16 of `high` in
/// the high half (only the first 8 are used): the high load folds into
/// `vinserti128`.
#[target_feature(enable = "avx2")]
#[inline]
fn load_halves(low: &[u8], high: &[u8]) -> __m256i {
    let high = &high[..16];
    // SAFETY: `high` is 16 readable bytes; loadu needs no alignment.
    let high = unsafe { _mm_loadu_si128(high.as_ptr().cast()) };
    _mm256_inserti128_si256::<1>(_mm256_castsi128_si256(load8(low)), high)
}

/// [`transpose_in`] in each 128-bit half.
#[target_feature(enable = "avx2")]
#[inline]
fn transpose_in256(rows: [__m256i; 8]) -> [__m256i; 8] {
    let [r0, r1, r2, r3, r4, r5, r6, r7] = rows;
    let p01 = _mm256_unpacklo_epi8(r0, r1);
    let p23 = _mm256_unpacklo_epi8(r2, r3);
    let p45 = _mm256_unpacklo_epi8(r4, r5);
    let p67 = _mm256_unpacklo_epi8(r6, r7);
    let q0 = _mm256_unpacklo_epi16(p01, p23);
    let q1 = _mm256_unpackhi_epi16(p01, p23);
    let q2 = _mm256_unpacklo_epi16(p45, p67);
    let q3 = _mm256_unpackhi_epi16(p45, p67);
    let c01 = _mm256_unpacklo_epi32(q0, q2);
    let c23 = _mm256_unpackhi_epi32(q0, q2);
    let c45 = _mm256_unpacklo_epi32(q1, q3);
    let c67 = _mm256_unpackhi_epi32(q1, q3);
    let zero = _mm256_setzero_si256();
    [
        _mm256_unpacklo_epi8(c01, zero),
        _mm256_unpackhi_epi8(c01, zero),
        _mm256_unpacklo_epi8(c23, zero),
        _mm256_unpackhi_epi8(c23, zero),
        _mm256_unpacklo_epi8(c45, zero),
        _mm256_unpackhi_epi8(c45, zero),
        _mm256_unpacklo_epi8(c67, zero),
        _mm256_unpackhi_epi8(c67, zero),
    ]
}

/// [`transpose_out`] in each 128-bit half: rows 0 and 1, 2 and 3, ... of the
/// half, each pair in the low and high 8 bytes of the half.
#[target_feature(enable = "avx2")]
#[inline]
fn transpose_out256(columns: &[__m256i; 8]) -> [__m256i; 4] {
    let pair = |lo: __m256i, hi: __m256i| _mm256_or_si256(lo, _mm256_slli_epi16::<8>(hi));
    let p01 = pair(columns[0], columns[1]);
    let p23 = pair(columns[2], columns[3]);
    let p45 = pair(columns[4], columns[5]);
    let p67 = pair(columns[6], columns[7]);
    let q0 = _mm256_unpacklo_epi16(p01, p23);
    let q1 = _mm256_unpackhi_epi16(p01, p23);
    let q2 = _mm256_unpacklo_epi16(p45, p67);
    let q3 = _mm256_unpackhi_epi16(p45, p67);
    [
        _mm256_unpacklo_epi32(q0, q2),
        _mm256_unpackhi_epi32(q0, q2),
        _mm256_unpacklo_epi32(q1, q3),
        _mm256_unpackhi_epi32(q1, q3),
    ]
}

/// [`paeth`] in 16 lanes.
#[target_feature(enable = "avx2")]
#[inline]
fn paeth256(a: __m256i, b: __m256i, c: __m256i, c3: __m256i) -> __m256i {
    let lo = _mm256_min_epi16(a, b);
    let hi = _mm256_max_epi16(a, b);
    let t = _mm256_sub_epi16(_mm256_sub_epi16(c3, a), b);
    let not_hi = _mm256_cmpgt_epi16(t, lo);
    let is_c = _mm256_cmpgt_epi16(hi, t);
    let c_or_lo = _mm256_blendv_epi8(lo, c, is_c);
    _mm256_blendv_epi8(hi, c_or_lo, not_hi)
}
