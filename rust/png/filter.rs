//! Undo the five PNG scanline filters (PNG spec section 9).
//!
//! Each filtered byte is the difference between the raw byte and a prediction
//! from its left neighbour `a` (one pixel back, `bpp` bytes), the byte above
//! `b` and the byte above-left `c`; bytes before the row start count as zero,
//! and the row above the first one of a pass is all zeros.

/// Write the raw bytes of one scanline into `out`.
///
/// `line` is the filtered scanline without its filter byte, `prev` the raw
/// previous scanline of the same pass (zeros for the first), both of
/// `out.len()` bytes, a multiple of `bpp` (1 to 8 bytes per pixel). Returns
/// `Err(kind)` for a filter type other than 0..=4.
pub(crate) fn unfilter(
    kind: u8,
    line: &[u8],
    prev: &[u8],
    out: &mut [u8],
    bpp: usize,
) -> Result<(), u8> {
    let n = out.len();
    debug_assert_eq!(n % bpp, 0, "scanlines hold whole pixels");
    let (line, prev) = (&line[..n], &prev[..n]);
    match kind {
        0 => out.copy_from_slice(line),
        2 => {
            for ((o, &x), &b) in out.iter_mut().zip(line).zip(prev) {
                *o = x.wrapping_add(b);
            }
        }
        1 | 3 | 4 => match bpp {
            1 => unfilter_pixels::<1>(kind, line, prev, out),
            2 => unfilter_pixels::<2>(kind, line, prev, out),
            3 => unfilter_pixels::<3>(kind, line, prev, out),
            4 => unfilter_pixels::<4>(kind, line, prev, out),
            6 => unfilter_pixels::<6>(kind, line, prev, out),
            _ => unfilter_pixels::<8>(kind, line, prev, out),
        },
        other => return Err(other),
    }
    Ok(())
}

/// Sub (1), Average (3) and Paeth (4), which depend on the pixel to the left:
/// a pixel of `BPP` bytes at a time, so the compiler knows every length.
fn unfilter_pixels<const BPP: usize>(kind: u8, line: &[u8], prev: &[u8], out: &mut [u8]) {
    let pixels = out
        .chunks_exact_mut(BPP)
        .zip(line.chunks_exact(BPP))
        .zip(prev.chunks_exact(BPP));
    // `a` is the pixel to the left, `c` the one above it: zero at the row start.
    let mut a = [0u8; BPP];
    let mut c = [0u8; BPP];
    match kind {
        1 => {
            for ((o, x), _) in pixels {
                for k in 0..BPP {
                    a[k] = x[k].wrapping_add(a[k]);
                }
                o.copy_from_slice(&a);
            }
        }
        3 => {
            for ((o, x), b) in pixels {
                for k in 0..BPP {
                    let avg = (u16::from(a[k]) + u16::from(b[k])) >> 1;
                    a[k] = x[k].wrapping_add(avg as u8);
                }
                o.copy_from_slice(&a);
            }
        }
        _ => {
            for ((o, x), b) in pixels {
                for k in 0..BPP {
                    a[k] = x[k].wrapping_add(paeth(a[k], b[k], c[k]));
                }
                c.copy_from_slice(b);
                o.copy_from_slice(&a);
            }
        }
    }
}

/// The Paeth predictor: whichever of a, b, c is closest to a + b - c (ties: a,
/// then b).
///
/// Written as stb_image rearranges it, which is equal on every input (a test
/// checks all 2^24) and has a shorter chain from `a`, the byte just decoded:
/// with `lo`/`hi` the smaller/larger of a and b and `t = 3c - a - b`, the
/// answer is `hi` when `t <= lo` (c at or below both), else `lo` when
/// `hi <= t` (c at or above both), else c. On a 1-byte-per-pixel row the chain
/// is the whole cost: this form decodes such a row about 1.35x faster.
#[inline(always)]
fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let t = 3 * i16::from(c) - i16::from(a) - i16::from(b);
    let (lo, hi) = if a < b { (a, b) } else { (b, a) };
    let below = if i16::from(hi) <= t { lo } else { c };
    if t <= i16::from(lo) {
        hi
    } else {
        below
    }
}

/// Unfilter the 1-byte-per-pixel scanlines `lines` (each `rows[0].len() + 1`
/// bytes, filter byte first) into `rows`, against `prev`, the raw row above the
/// first (zeros for an image's first row). Runs of Paeth rows are decoded `K`
/// at a time, on a wavefront: row `k` decodes its column `s - k` at step `s`,
/// so the pixel it needs above (row `k - 1`, column `s - k`) was made one step
/// before and is still in a register, and the `K` rows' chains interleave. A
/// Paeth row alone is one chain from pixel to pixel, about 6 cycles a pixel;
/// interleaved, the rows share the core, about 2.5x faster on long runs. On
/// x86-64 (unless the build is `portable`) runs of 3 or more go up to 16 rows
/// at a time in vector lanes instead (see `paeth_x86.rs`), about 3x (SSE2)
/// to 4x (AVX2) faster again. Other filter types go row by row ([`unfilter`]).
///
/// `Err((row, kind))` for a scanline of unknown filter type; the rows before
/// it are decoded.
pub(crate) fn unfilter_grey_rows(
    lines: &[u8],
    prev: &[u8],
    rows: &mut [u8],
    width: usize,
    blocks: &mut PaethBlocks,
) -> Result<(), (usize, u8)> {
    unfilter_grey_rows_on(PaethPath::detect(), lines, prev, rows, width, blocks)
}

/// The vector blocks' scratch rows (about 33 zeroed rows of the image's
/// width), kept in the decoder's scratch from image to image and laid out
/// again only when the width changes: a batch's masks mostly share one.
#[derive(Debug, Default)]
pub(crate) struct PaethBlocks {
    #[cfg(target_arch = "x86_64")]
    scratch: Option<super::paeth_x86::Scratch>,
}

/// How [`unfilter_grey_rows`] decodes runs of Paeth rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PaethPath {
    /// The scalar wavefront of [`paeth_wave`] only.
    Scalar,
    /// 8 rows to a 128-bit register; x86-64 always has SSE2.
    #[cfg(target_arch = "x86_64")]
    Sse2,
    /// 16 rows to a 256-bit register, when the CPU has AVX2.
    #[cfg(target_arch = "x86_64")]
    Avx2,
}

impl PaethPath {
    /// The fastest path this CPU and build have.
    pub(crate) fn detect() -> PaethPath {
        #[cfg(target_arch = "x86_64")]
        if !cfg!(feature = "portable") {
            if std::arch::is_x86_feature_detected!("avx2") {
                return PaethPath::Avx2;
            }
            return PaethPath::Sse2;
        }
        PaethPath::Scalar
    }
}

/// [`unfilter_grey_rows`] on the given path (which the CPU must have: the
/// tests force each one).
pub(crate) fn unfilter_grey_rows_on(
    path: PaethPath,
    lines: &[u8],
    prev: &[u8],
    rows: &mut [u8],
    width: usize,
    #[cfg_attr(not(target_arch = "x86_64"), allow(unused_variables))] blocks: &mut PaethBlocks,
) -> Result<(), (usize, u8)> {
    let stride = width + 1;
    let height = rows.len().checked_div(width).unwrap_or(0);
    debug_assert!(lines.len() >= height * stride && prev.len() >= width);
    let kind = |r: usize| lines[r * stride];
    let mut r = 0;
    while r < height {
        let (above, rest) = rows.split_at_mut(r * width);
        let prior = if r == 0 {
            &prev[..width]
        } else {
            &above[(r - 1) * width..]
        };
        let from_r = &lines[r * stride..];
        // The Paeth rows from here, as many as one block takes at the most.
        let run = (r..height.min(r + LONGEST_RUN))
            .take_while(|&i| kind(i) == 4)
            .count();
        #[cfg(target_arch = "x86_64")]
        if path != PaethPath::Scalar && run >= MIN_VECTOR_RUN {
            use super::paeth_x86::{paeth_rows_avx2, paeth_rows_sse2, Scratch};
            let scratch = match &mut blocks.scratch {
                Some(kept) if kept.width() == width => kept,
                other => other.insert(Scratch::new(width)),
            };
            match (path, run) {
                // SAFETY: the caller passes Avx2 only when the CPU has AVX2
                // (`PaethPath::detect`, or a test that checked).
                (PaethPath::Avx2, _) => unsafe {
                    paeth_rows_avx2(from_r, prior, rest, scratch, run);
                },
                (_, 9..) => paeth_rows_sse2::<2>(from_r, prior, rest, scratch, run),
                (_, _) => paeth_rows_sse2::<1>(from_r, prior, rest, scratch, run),
            }
            r += run;
            continue;
        }
        r += match run {
            PAETH_WAVE.. => {
                paeth_wave::<PAETH_WAVE>(from_r, prior, rest, width);
                PAETH_WAVE
            }
            2.. => {
                paeth_wave::<2>(from_r, prior, rest, width);
                2
            }
            _ => {
                let line = &from_r[1..stride];
                unfilter(kind(r), line, prior, &mut rest[..width], 1).map_err(|k| (r, k))?;
                1
            }
        };
    }
    Ok(())
}

/// The most Paeth rows [`unfilter_grey_rows`] looks ahead for: a vector block's rows.
const LONGEST_RUN: usize = 16;
#[cfg(target_arch = "x86_64")]
const _: () = assert!(LONGEST_RUN == super::paeth_x86::MAX_ROWS);

/// The shortest run of Paeth rows [`unfilter_grey_rows`] decodes in vector
/// lanes: a block costs the same for 3 rows as for 8, and from 3 rows on that
/// is less than the scalar wavefront's (2 rows: about 1.25x more).
#[cfg(target_arch = "x86_64")]
const MIN_VECTOR_RUN: usize = 3;

/// Paeth rows decoded together by [`unfilter_grey_rows`]: 4 keeps every
/// chain's state in registers on x86-64 (6 and 8 measured no faster).
const PAETH_WAVE: usize = 4;

/// Decode the `K` Paeth scanlines at the start of `lines` (each `width + 1`
/// bytes, filter byte first) into the first `K` rows of `rows`, against
/// `prior`, on a wavefront (see [`unfilter_grey_rows`]).
///
/// Row `k` decodes column `s - k` at step `s`. Steps `K-1` to `width-1` have
/// every row at work; they run with the rows' state in registers. Before them
/// each row `k` has a head of `K-1-k` pixels, after them a tail of `k` pixels,
/// which are decoded row after row from memory (for `width < K`, every pixel).
fn paeth_wave<const K: usize>(lines: &[u8], prior: &[u8], rows: &mut [u8], width: usize) {
    let stride = width + 1;
    let full = K - 1..width; // the steps with every row at work
    let head = |k: usize| (K - 1 - k).min(width);
    for k in 0..K {
        paeth_span(lines, prior, rows, width, k, 0..head(k));
    }
    if !full.is_empty() {
        // Row k's left pixel and above-left pixel after its head; row k's
        // pixel above is row k-1's left pixel as the step starts.
        let mut a = [0u8; K];
        let mut c = [0u8; K];
        for k in 0..K {
            let i = K - 1 - k;
            if i > 0 {
                a[k] = rows[k * width + i - 1];
                c[k] = if k == 0 {
                    prior[i - 1]
                } else {
                    rows[(k - 1) * width + i - 1]
                };
            }
        }
        let lines = &lines[1..K * stride];
        let rows = &mut rows[..K * width];
        for s in full {
            for k in (0..K).rev() {
                let b = if k == 0 { prior[s] } else { a[k - 1] };
                // Row k, column s - k: `lines[k * stride + s - k]`, `rows[k * width + s - k]`.
                let x = lines[s + k * width].wrapping_add(paeth(a[k], b, c[k]));
                rows[s + k * (width - 1)] = x;
                a[k] = x;
                c[k] = b;
            }
        }
    }
    for k in 1..K {
        paeth_span(
            lines,
            prior,
            rows,
            width,
            k,
            width.saturating_sub(k).max(head(k))..width,
        );
    }
}

/// Paeth-decode columns `span` of row `k` of a [`paeth_wave`], reading its
/// left, above and above-left pixels from `rows` (`prior` above row 0).
fn paeth_span(
    lines: &[u8],
    prior: &[u8],
    rows: &mut [u8],
    width: usize,
    k: usize,
    span: std::ops::Range<usize>,
) {
    let (above_rows, rest) = rows.split_at_mut(k * width);
    let above = if k == 0 {
        prior
    } else {
        &above_rows[(k - 1) * width..]
    };
    let row = &mut rest[..width];
    let line = &lines[k * (width + 1) + 1..][..width];
    for i in span {
        let (a, c) = if i == 0 {
            (0, 0)
        } else {
            (row[i - 1], above[i - 1])
        };
        row[i] = line[i].wrapping_add(paeth(a, above[i], c));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The textbook encoder side, to round-trip against.
    fn filter(kind: u8, raw: &[u8], prev: &[u8], bpp: usize) -> Vec<u8> {
        (0..raw.len())
            .map(|i| {
                let a = if i >= bpp { raw[i - bpp] } else { 0 };
                let b = prev[i];
                let c = if i >= bpp { prev[i - bpp] } else { 0 };
                let pred = match kind {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => ((u16::from(a) + u16::from(b)) / 2) as u8,
                    _ => textbook_paeth(a, b, c),
                };
                raw[i].wrapping_sub(pred)
            })
            .collect()
    }

    /// A fixed stream of bytes from `seed` (a linear congruential generator).
    fn bytes(mut seed: u32) -> impl FnMut() -> u8 {
        move || {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (seed >> 16) as u8
        }
    }

    #[test]
    fn every_filter_round_trips() {
        let mut next = bytes(12345u32);
        for bpp in [1, 2, 3, 4, 6, 8] {
            for len in [0, bpp, 2 * bpp, 37 * bpp] {
                let prev: Vec<u8> = (0..len).map(|_| next()).collect();
                let raw: Vec<u8> = (0..len).map(|_| next()).collect();
                for kind in 0..=4 {
                    let line = filter(kind, &raw, &prev, bpp);
                    let mut out = vec![0; len];
                    unfilter(kind, &line, &prev, &mut out, bpp).unwrap();
                    assert_eq!(out, raw, "filter {kind}, bpp {bpp}, len {len}");
                }
            }
        }
    }

    /// The textbook predictor (PNG spec 9.4), to compare the fast form with.
    fn textbook_paeth(a: u8, b: u8, c: u8) -> u8 {
        let p = i16::from(a) + i16::from(b) - i16::from(c);
        let (pa, pb, pc) = (
            (p - i16::from(a)).abs(),
            (p - i16::from(b)).abs(),
            (p - i16::from(c)).abs(),
        );
        if pa <= pb && pa <= pc {
            a
        } else if pb <= pc {
            b
        } else {
            c
        }
    }

    #[test]
    fn paeth_equals_the_textbook_on_every_input() {
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                for c in 0..=255u8 {
                    assert_eq!(paeth(a, b, c), textbook_paeth(a, b, c), "a={a} b={b} c={c}");
                }
            }
        }
    }

    /// Every path this CPU has: the scalar wavefront, and on x86-64 SSE2 and
    /// (if the CPU has it) AVX2, whatever the `portable` feature says.
    fn paths() -> Vec<PaethPath> {
        #[allow(unused_mut)]
        let mut paths = vec![PaethPath::Scalar];
        #[cfg(target_arch = "x86_64")]
        {
            paths.push(PaethPath::Sse2);
            if std::arch::is_x86_feature_detected!("avx2") {
                paths.push(PaethPath::Avx2);
            }
        }
        paths
    }

    /// Runs of Paeth rows either side of the vector blocks' least 3 rows and
    /// their 8 and 16 lanes (and 16 + 17), each followed by a row of another
    /// type.
    const RUNS: [usize; 13] = [1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 18, 33, 4];

    fn kinds(pattern: u32, height: usize, next: &mut impl FnMut() -> u8) -> Vec<u8> {
        let runs: Vec<u8> = RUNS
            .iter()
            .enumerate()
            .flat_map(|(i, &n)| std::iter::repeat_n(4, n).chain([(i % 4) as u8]))
            .collect();
        (0..height)
            .map(|r| match pattern {
                0 => 4,
                1 => [4, 4, 4, 1, 4, 4, 2, 4, 4, 4, 4, 4, 0][r % 13],
                2 => (r % 5) as u8,
                3 => [4, 4, 3][r % 3],
                4 => runs[r % runs.len()],
                _ => u8::from(!next().is_multiple_of(8)) * 4,
            })
            .collect()
    }

    #[test]
    fn whole_images_round_trip_with_any_mix_of_filters() {
        let mut next = bytes(777u32);
        // One scratch for every image, as the decoder keeps it: reused at one
        // width, laid out again at the next.
        let mut blocks = PaethBlocks::default();
        let widths = (1..=40).chain([63, 64, 65, 100, 257]);
        for width in widths {
            for height in [1, 2, 3, 5, 7, 8, 9, 13, 15, 16, 17, 33, 40, 123] {
                // Runs of Paeth rows of every length, between other types.
                for pattern in 0..6u32 {
                    let raw: Vec<u8> = (0..width * height).map(|_| next()).collect();
                    let mut lines = Vec::new();
                    let zeros = vec![0u8; width];
                    for (r, kind) in kinds(pattern, height, &mut next).into_iter().enumerate() {
                        let prev = if r == 0 {
                            &zeros[..]
                        } else {
                            &raw[(r - 1) * width..r * width]
                        };
                        lines.push(kind);
                        lines.extend(filter(kind, &raw[r * width..(r + 1) * width], prev, 1));
                    }
                    for path in paths() {
                        let mut rows = vec![0u8; width * height];
                        unfilter_grey_rows_on(path, &lines, &zeros, &mut rows, width, &mut blocks)
                            .unwrap();
                        assert_eq!(rows, raw, "{width}x{height}, pattern {pattern}, {path:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn every_path_decodes_the_same_rows() {
        // Arbitrary filtered bytes (every stream is some image's) against a
        // non-zero row above, so the vector blocks' prior row matters too.
        let mut next = bytes(4242u32);
        let mut blocks = PaethBlocks::default();
        for width in [1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 256, 300] {
            for pattern in 0..6u32 {
                let height = 150;
                let kinds = kinds(pattern, height, &mut next);
                let prev: Vec<u8> = (0..width).map(|_| next()).collect();
                let mut lines = Vec::new();
                for kind in kinds {
                    lines.push(kind);
                    lines.extend((0..width).map(|_| next()));
                }
                let decoded: Vec<Vec<u8>> = paths()
                    .into_iter()
                    .map(|path| {
                        let mut rows = vec![0u8; width * height];
                        unfilter_grey_rows_on(path, &lines, &prev, &mut rows, width, &mut blocks)
                            .unwrap();
                        rows
                    })
                    .collect();
                for (path, rows) in paths().iter().zip(&decoded) {
                    assert_eq!(
                        rows, &decoded[0],
                        "width {width}, pattern {pattern}, {path:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn whole_images_report_the_first_bad_filter_type() {
        // Rows 0-4 Paeth (a wave of 4, then one row), row 5 of type 7.
        let width = 3;
        let mut lines = Vec::new();
        for kind in [4, 4, 4, 4, 4, 7, 4] {
            lines.push(kind);
            lines.extend([1, 2, 3]);
        }
        let mut rows = vec![0u8; width * 7];
        assert_eq!(
            unfilter_grey_rows(
                &lines,
                &[0; 3],
                &mut rows,
                width,
                &mut PaethBlocks::default()
            ),
            Err((5, 7))
        );
    }

    #[test]
    fn unknown_filter_type_is_reported() {
        let mut out = [0u8; 2];
        assert_eq!(unfilter(5, &[1, 2], &[0, 0], &mut out, 1), Err(5));
        assert_eq!(unfilter(255, &[1, 2], &[0, 0], &mut out, 1), Err(255));
    }
}
