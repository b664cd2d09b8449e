//! Which input columns of a window are all off or all on, as bit sets.
//!
//! Every input row is turned once into a bit set of the columns above the
//! threshold (32 bytes per AVX2 compare on x86-64 CPUs that have it, else 16
//! per SSE2 compare), and its above columns into one run when they are one. A window's columns
//! are then classified a word at a time: on in some row (`any_high`), off in
//! some row (`any_low`); pure-low is `any_low & !any_high`, pure-high the
//! converse, and the runs of pure columns are found with `trailing_zeros`
//! instead of a byte-by-byte walk through the noisy band at a mask's edge.

/// Bit `c` of word `c / 64`: column `c` of `row` is `> t`. Every word of
/// `out` (`row.len().div_ceil(64)` of them) is written whole. Returns a
/// non-zero word iff some byte of the row is neither 0 nor 255. With `AVX2`
/// set (only from [`rows_avx2`], on a CPU that has it) whole words take two
/// 32-byte compares instead of four 16-byte ones.
#[inline(always)]
fn above_bits<const AVX2: bool>(row: &[u8], t: u8, out: &mut [u64]) -> u64 {
    let mut odd = 0u64;
    let mut sixtyfours = row.chunks_exact(64);
    for (chunk, word) in (&mut sixtyfours).zip(out.iter_mut()) {
        let mut bits = 0u64;
        #[cfg(target_arch = "x86_64")]
        if AVX2 {
            if let Ok(bytes) = <&[u8; 64]>::try_from(chunk) {
                // SAFETY: AVX2 is set only by `rows_avx2`, which runs only
                // after the CPU was checked to have AVX2.
                let (above, not_extreme) = unsafe { above64_avx2(bytes, t) };
                bits = above;
                odd |= u64::from(not_extreme);
            }
            *word = bits;
            continue;
        }
        for (k, sixteen) in chunk.chunks_exact(16).enumerate() {
            if let Ok(bytes) = <&[u8; 16]>::try_from(sixteen) {
                let (above, not_extreme) = above16(bytes, t);
                bits |= above << (16 * k);
                odd |= not_extreme;
            }
        }
        *word = bits;
    }
    let rest = sixtyfours.remainder();
    if let Some(word) = out.get_mut(row.len() / 64).filter(|_| !rest.is_empty()) {
        let mut bits = 0u64;
        let mut sixteens = rest.chunks_exact(16);
        for (k, sixteen) in (&mut sixteens).enumerate() {
            if let Ok(bytes) = <&[u8; 16]>::try_from(sixteen) {
                let (above, not_extreme) = above16(bytes, t);
                bits |= above << (16 * k);
                odd |= not_extreme;
            }
        }
        let done = rest.len() / 16 * 16;
        for (k, &v) in sixteens.remainder().iter().enumerate() {
            bits |= u64::from(v > t) << (done + k);
            odd |= u64::from(v != 0 && v != 255);
        }
        *word = bits;
    }
    odd
}

/// Sixty-four bytes `> t` as sixty-four bits (first byte, lowest bit), and
/// whether some byte is neither 0 nor 255 (one test for the 64 bytes: only
/// whether the row has such a byte matters).
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn above64_avx2(bytes: &[u8; 64], t: u8) -> (u64, bool) {
    use std::arch::x86_64::{
        _mm256_cmpgt_epi8, _mm256_loadu_si256, _mm256_movemask_epi8, _mm256_or_si256,
        _mm256_set1_epi8, _mm256_setzero_si256, _mm256_testz_si256, _mm256_xor_si256,
    };
    // SAFETY: `bytes` is 64 readable bytes; loadu needs no alignment.
    let (low, high) = unsafe {
        (
            _mm256_loadu_si256(bytes.as_ptr().cast()),
            _mm256_loadu_si256(bytes.as_ptr().add(32).cast()),
        )
    };
    // Unsigned compare as a signed one: flip the top bit of both sides.
    let flip = _mm256_set1_epi8(i8::MIN);
    let limit = _mm256_xor_si256(_mm256_set1_epi8(t as i8), flip);
    let above = |raw| _mm256_movemask_epi8(_mm256_cmpgt_epi8(_mm256_xor_si256(raw, flip), limit));
    let bits = u64::from(above(low) as u32) | u64::from(above(high) as u32) << 32;
    // A byte is 0 or 255 iff it equals its sign spread over the byte: XOR
    // with the sign is zero for those bytes only.
    let zero = _mm256_setzero_si256();
    let odd = |raw| _mm256_xor_si256(raw, _mm256_cmpgt_epi8(zero, raw));
    let any = _mm256_or_si256(odd(low), odd(high));
    (bits, _mm256_testz_si256(any, any) == 0)
}

/// Every row's bits and span (see [`Classes::reset`]); whether every byte
/// is 0 or 255.
#[inline(always)]
fn rows<const AVX2: bool>(
    src: &[u8],
    src_stride: usize,
    w: usize,
    t: u8,
    above: &mut [u64],
    spans: &mut Vec<(u32, u32)>,
) -> bool {
    let stride = w.div_ceil(64);
    let mut odd = 0;
    for (row, bits) in src
        .chunks(src_stride.max(1))
        .zip(above.chunks_exact_mut(stride.max(1)))
    {
        // Every row holds `w` bytes (the last ends `src`): the rest is padding.
        odd |= above_bits::<AVX2>(&row[..w.min(row.len())], t, bits);
        spans.push(span(bits));
    }
    odd == 0
}

/// [`rows`] compiled for AVX2 (and POPCNT, which every AVX2 CPU has, for
/// the spans' bit counts).
///
/// # Safety
/// The CPU must support AVX2 and POPCNT.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,popcnt")]
unsafe fn rows_avx2(
    src: &[u8],
    src_stride: usize,
    w: usize,
    t: u8,
    above: &mut [u64],
    spans: &mut Vec<(u32, u32)>,
) -> bool {
    rows::<true>(src, src_stride, w, t, above, spans)
}

/// [`rows`] with AVX2 when the CPU has it (and the build is not `portable`).
fn rows_dispatch(
    src: &[u8],
    src_stride: usize,
    w: usize,
    t: u8,
    above: &mut [u64],
    spans: &mut Vec<(u32, u32)>,
) -> bool {
    #[cfg(target_arch = "x86_64")]
    if !cfg!(feature = "portable")
        && std::arch::is_x86_feature_detected!("avx2")
        && std::arch::is_x86_feature_detected!("popcnt")
    {
        // SAFETY: the CPU was just checked to support AVX2 and POPCNT.
        return unsafe { rows_avx2(src, src_stride, w, t, above, spans) };
    }
    rows::<false>(src, src_stride, w, t, above, spans)
}

/// Sixteen bytes `> t` as sixteen bits (first byte, lowest bit), and the
/// bytes that are neither 0 nor 255, likewise: SSE2 on x86-64, a plain loop
/// elsewhere and in the `portable` build.
#[inline(always)]
fn above16(bytes: &[u8; 16], t: u8) -> (u64, u64) {
    #[cfg(all(target_arch = "x86_64", not(feature = "portable")))]
    let bits = above16_sse2(bytes, t);
    #[cfg(not(all(target_arch = "x86_64", not(feature = "portable"))))]
    let bits = above16_portable(bytes, t);
    bits
}

/// [`above16`] with SSE2.
#[cfg(target_arch = "x86_64")]
#[cfg_attr(feature = "portable", allow(dead_code))]
#[inline(always)]
fn above16_sse2(bytes: &[u8; 16], t: u8) -> (u64, u64) {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_cmpgt_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
        _mm_setzero_si128, _mm_xor_si128,
    };
    // SAFETY: SSE2 is part of every x86-64 CPU; the load reads the 16 bytes of
    // `bytes` and has no alignment requirement.
    unsafe {
        let raw = _mm_loadu_si128(bytes.as_ptr().cast());
        // Unsigned compare as a signed one: flip the top bit of both sides.
        let flip = _mm_set1_epi8(i8::MIN);
        let limit = _mm_xor_si128(_mm_set1_epi8(t as i8), flip);
        let above = _mm_movemask_epi8(_mm_cmpgt_epi8(_mm_xor_si128(raw, flip), limit));
        // A byte is 0 or 255 iff it equals its sign spread over the byte.
        let sign = _mm_cmpgt_epi8(_mm_setzero_si128(), raw);
        let extreme = _mm_movemask_epi8(_mm_cmpeq_epi8(raw, sign));
        (u64::from(above as u16), u64::from(!extreme as u16))
    }
}

/// [`above16`] without SIMD.
#[cfg_attr(
    all(target_arch = "x86_64", not(feature = "portable")),
    allow(dead_code)
)]
#[inline(always)]
fn above16_portable(bytes: &[u8; 16], t: u8) -> (u64, u64) {
    bytes
        .iter()
        .enumerate()
        .fold((0, 0), |(above, odd), (k, &v)| {
            (
                above | u64::from(v > t) << k,
                odd | u64::from(v != 0 && v != 255) << k,
            )
        })
}

/// The first set bit at or after `from`, if any.
fn next_set(words: &[u64], from: usize) -> Option<usize> {
    let mut i = from / 64;
    let mut word = words.get(i)? & (u64::MAX << (from % 64));
    loop {
        if word != 0 {
            return Some(i * 64 + word.trailing_zeros() as usize);
        }
        i += 1;
        word = *words.get(i)?;
    }
}

/// The first clear bit at or after `from`, or `limit` if none before it.
fn next_clear(words: &[u64], from: usize, limit: usize) -> usize {
    let mut i = from / 64;
    let Some(&first) = words.get(i) else {
        return limit;
    };
    let mut word = !first & (u64::MAX << (from % 64));
    loop {
        if word != 0 {
            return (i * 64 + word.trailing_zeros() as usize).min(limit);
        }
        i += 1;
        match words.get(i) {
            Some(&w) => word = !w,
            None => return limit,
        }
    }
}

/// The above-threshold bits of every input row, and a window's classes.
pub(super) struct Classes {
    width: usize,
    stride: usize,
    above: Vec<u64>,
    pure_low: Vec<u64>,
    pure_high: Vec<u64>,
    pure: Vec<u64>,
    /// Per input row, its above-threshold columns as one run `[a, b)`:
    /// `(0, 0)` for none, `(1, 0)` when they are not one run.
    spans: Vec<(u32, u32)>,
    /// Every input byte is 0 or 255.
    extreme: bool,
}

/// A row's span that is not one run (see `Classes::spans`).
const SCATTERED: (u32, u32) = (1, 0);

/// The above-threshold columns of a row of bits as one run `[a, b)`, `(0, 0)`
/// if there are none, [`SCATTERED`] if they are not contiguous.
#[inline(always)]
fn span(bits: &[u64]) -> (u32, u32) {
    let (mut first, mut last, mut count) = (None, 0usize, 0u32);
    for (k, &word) in bits.iter().enumerate() {
        if word != 0 {
            first.get_or_insert(k * 64 + word.trailing_zeros() as usize);
            last = k * 64 + 63 - word.leading_zeros() as usize;
            count += word.count_ones();
        }
    }
    match first {
        None => (0, 0),
        // Rows are at most MAX_SIDE (2^23) wide: the columns fit a u32.
        Some(a) if (last + 1 - a) as u32 == count => (a as u32, last as u32 + 1),
        Some(_) => SCATTERED,
    }
}

impl Classes {
    /// The bits of the `h x w` image `src` (`src.len() == h * w`, `w >= 1`).
    pub(super) fn new(src: &[u8], w: usize, t: u8) -> Classes {
        let mut classes = Classes {
            width: 0,
            stride: 0,
            above: Vec::new(),
            pure_low: Vec::new(),
            pure_high: Vec::new(),
            pure: Vec::new(),
            spans: Vec::new(),
            extreme: false,
        };
        classes.reset(src, w, w, t);
        classes
    }

    /// [`Classes::new`] in place, keeping the allocations (a thread reuses
    /// one `Classes` from mask to mask), for rows `src_stride` bytes apart
    /// (`src_stride >= w`, the last row ending `src`).
    pub(super) fn reset(&mut self, src: &[u8], src_stride: usize, w: usize, t: u8) {
        let stride = w.div_ceil(64);
        let rows = src.len().div_ceil(src_stride.max(1));
        // Every word is written by `above_bits`: no need to clear.
        self.above.resize(rows * stride, 0);
        self.above.truncate(rows * stride);
        self.spans.clear();
        self.extreme = rows_dispatch(src, src_stride, w, t, &mut self.above, &mut self.spans);
        self.width = w;
        self.stride = stride;
        for v in [&mut self.pure_low, &mut self.pure_high, &mut self.pure] {
            v.clear();
            v.resize(stride, 0);
        }
    }

    /// Whether every byte of the input is 0 or 255 (the model's masks).
    pub(super) fn extreme(&self) -> bool {
        self.extreme
    }

    /// Words held by the input's bits.
    pub(super) fn words(&self) -> usize {
        self.above.capacity()
    }

    /// The window of rows `y0..y0 + taps` when every row's above-threshold
    /// columns form one run (or none), cheaper than [`Classes::window`]:
    /// `Some(None)` when no column is above in any row, else
    /// `Some(Some([a, ia, ib, b]))`: columns `[ia, ib)` are above in every
    /// row (pure high; `ia == ib == b` when none is), columns outside
    /// `[a, b)` in none (pure low), `a <= ia <= ib <= b`. When the rows' runs
    /// do not overlap, the pure-low columns between them count as mixed
    /// (computing a pure pixel exactly gives the same bit). `None` when a
    /// row's above columns are scattered.
    pub(super) fn window_bounds(&self, y0: usize, taps: usize) -> Option<Option<[usize; 4]>> {
        let rows = self.spans.get(y0..y0 + taps)?;
        let (mut a, mut b) = (u32::MAX, 0u32);
        let (mut ia, mut ib) = (0u32, u32::MAX);
        for &(start, end) in rows {
            if (start, end) == SCATTERED {
                return None;
            }
            if start < end {
                a = a.min(start);
                b = b.max(end);
            }
            // An empty row empties the intersection.
            ia = ia.max(start);
            ib = ib.min(end);
        }
        if a >= b {
            return Some(None);
        }
        let (a, b) = (a as usize, b as usize);
        let (ia, ib) = if ia < ib {
            (ia as usize, ib as usize)
        } else {
            (b, b)
        };
        Some(Some([a, ia, ib, b]))
    }

    /// Classify the columns of the window of rows `y0..y0 + taps`.
    pub(super) fn window(&mut self, y0: usize, taps: usize) {
        let start = (y0 * self.stride).min(self.above.len());
        let end = ((y0 + taps) * self.stride).min(self.above.len());
        for k in 0..self.stride {
            // Bits past the width are neither low nor high.
            let valid = if k + 1 == self.stride && !self.width.is_multiple_of(64) {
                (1u64 << (self.width % 64)) - 1
            } else {
                u64::MAX
            };
            let (mut any_high, mut any_low) = (0u64, 0u64);
            for row in self.above[start..end].chunks_exact(self.stride) {
                any_high |= row[k];
                any_low |= !row[k];
            }
            any_low &= valid;
            self.pure_low[k] = any_low & !any_high;
            self.pure_high[k] = any_high & !any_low;
            self.pure[k] = self.pure_low[k] | self.pure_high[k];
        }
    }

    /// The next maximal run of pure columns of one class at or after `from`:
    /// `(start, end, high)`.
    pub(super) fn next_run(&self, from: usize) -> Option<(usize, usize, bool)> {
        let start = next_set(&self.pure, from)?;
        let high = self
            .pure_high
            .get(start / 64)
            .is_some_and(|w| w >> (start % 64) & 1 == 1);
        let class = if high {
            &self.pure_high
        } else {
            &self.pure_low
        };
        Some((start, next_clear(class, start, self.width), high))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SSE2 arm, the portable arm and a plain compare agree for every
    /// threshold on rows that hold every byte value, including both sides of
    /// the signed/unsigned boundary at 128.
    #[test]
    fn above16_arms_agree_for_every_threshold() {
        let mut seed = 0x9e37_79b9_u32;
        let mut rows: Vec<[u8; 16]> = (0..16u8)
            .map(|k| std::array::from_fn(|i| k * 16 + i as u8))
            .collect();
        rows.extend((0..64).map(|_| {
            std::array::from_fn(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                (seed >> 24) as u8
            })
        }));
        rows.push(std::array::from_fn(|i| if i % 3 == 0 { 255 } else { 0 }));
        rows.push([255; 16]);
        rows.push([0; 16]);
        for bytes in &rows {
            let odd = bytes
                .iter()
                .enumerate()
                .fold(0u64, |bits, (k, &v)| bits | u64::from(v % 255 != 0) << k);
            for t in 0..=255u8 {
                let above = bytes
                    .iter()
                    .enumerate()
                    .fold(0u64, |bits, (k, &v)| bits | u64::from(v > t) << k);
                let expected = (above, odd);
                assert_eq!(above16_portable(bytes, t), expected, "t={t}");
                assert_eq!(above16(bytes, t), expected, "t={t}");
                #[cfg(target_arch = "x86_64")]
                assert_eq!(above16_sse2(bytes, t), expected, "t={t}");
            }
        }
    }

    /// The portable and AVX2 row walks give a plain compare's bits, the rows'
    /// spans, and whether every byte is 0 or 255, at every length around the
    /// vector widths; one odd byte anywhere is noticed.
    #[test]
    fn above_bits_match_a_plain_compare() {
        let grey: Vec<u8> = (0..300u32).map(|i| (i * 37 % 256) as u8).collect();
        let binary: Vec<u8> = (0..300u32)
            .map(|i| if i % 7 < 3 { 255 } else { 0 })
            .collect();
        let mut single = binary.clone();
        single[150] = 254;
        for row in [&grey, &binary, &single] {
            for t in [0u8, 1, 126, 127, 128, 200, 254, 255] {
                for len in [
                    1usize, 15, 16, 17, 31, 32, 33, 64, 65, 127, 128, 151, 200, 300,
                ] {
                    let row = &row[..len];
                    let extreme = row.iter().all(|&v| v == 0 || v == 255);
                    let mut bits = vec![u64::MAX; len.div_ceil(64)];
                    let mut spans = Vec::new();
                    assert_eq!(
                        rows::<false>(row, len, len, t, &mut bits, &mut spans),
                        extreme
                    );
                    for (c, &v) in row.iter().enumerate() {
                        assert_eq!(bits[c / 64] >> (c % 64) & 1 == 1, v > t, "t={t} c={c}");
                    }
                    if len % 64 != 0 {
                        assert_eq!(bits[len / 64] >> (len % 64), 0, "padding bits");
                    }
                    assert_eq!(spans, vec![span(&bits)]);
                    #[cfg(target_arch = "x86_64")]
                    if std::arch::is_x86_feature_detected!("avx2")
                        && std::arch::is_x86_feature_detected!("popcnt")
                    {
                        let mut vector = vec![u64::MAX; len.div_ceil(64)];
                        let mut spans = Vec::new();
                        // SAFETY: the CPU was just checked to support AVX2 and POPCNT.
                        let all = unsafe { rows_avx2(row, len, len, t, &mut vector, &mut spans) };
                        assert_eq!(vector, bits, "avx2 t={t} len={len}");
                        assert_eq!(spans, vec![span(&bits)]);
                        assert_eq!(all, extreme);
                    }
                }
            }
        }
    }

    #[test]
    fn runs_are_the_maximal_pure_runs() {
        // Columns (2 rows, t = 127): L L M H H L M M H, then 60 L, 4 H.
        let top = [0u8, 0, 0, 255, 255, 0, 255, 0, 255];
        let bottom = [0u8, 0, 255, 255, 255, 0, 0, 255, 255];
        let mut rows: Vec<u8> = top.to_vec();
        rows.extend([0; 60]);
        rows.extend([255; 4]);
        rows.extend(bottom);
        rows.extend([0; 60]);
        rows.extend([255; 4]);
        let w = 73;
        let mut classes = Classes::new(&rows, w, 127);
        classes.window(0, 2);
        let mut runs = Vec::new();
        let mut c = 0;
        while let Some((start, end, high)) = classes.next_run(c) {
            runs.push((start, end, high));
            c = end;
        }
        assert_eq!(
            runs,
            vec![
                (0, 2, false),
                (3, 5, true),
                (5, 6, false),
                (8, 9, true),
                (9, 69, false),
                (69, 73, true)
            ]
        );
        assert_eq!(next_set(&[0, 0], 3), None);
        assert_eq!(next_clear(&[u64::MAX], 5, 64), 64);
    }
}
