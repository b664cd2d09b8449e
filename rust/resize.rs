//! Pillow-exact bilinear resize of an 8-bit grey mask (SPEC M2), and the same
//! resize with a threshold fused into its last pass (SPEC M3).
//!
//! # Theory of operation
//!
//! Pillow resizes mode "L" in two separable passes, each a 1-D convolution
//! whose weights come from a per-axis table (`docs/resize.md`):
//!
//! 1. The table for an axis depends only on (input length, output length). Its
//!    weights are computed in IEEE double in exactly Pillow's order of
//!    operations, normalised by their left-to-right sum, then turned into
//!    22-bit fixed point. Any reordering changes a weight in its last bit and,
//!    sooner or later, a pixel; so [`AxisTable::new`] reads like Pillow's C.
//! 2. A pass computes `clamp((2^21 + Σ in[lo + j] * k[j]) >> 22, 0, 255)` in
//!    `i32`. The first pass's bytes are the second pass's input: the double
//!    rounding is part of the result.
//! 3. A pass whose axis keeps its length is skipped; the same size is a copy.
//! 4. Pillow 13 runs the vertical pass first when the height shrinks by more
//!    than twice what the width shrinks; Pillow 12 starts with the horizontal
//!    pass unless the image is over 100 times taller than wide ([`PassOrder`]).
//!    The two orders differ by ±1 in places.
//!
//! Speed comes from the table layout, not from changing the arithmetic: taps
//! whose fixed-point weight is zero are trimmed (an upscale keeps at most two),
//! and every output of an axis reads the same number of taps, `taps`, from a
//! start that keeps `start + taps` inside the input (shorter rows are padded
//! with zero weights, which add exactly nothing). The loops are then
//! fixed-length, and LLVM vectorises the vertical pass across each row
//! (`passes.rs`). The horizontal pass reads overlapping windows, which LLVM
//! does not vectorise; `avx2.rs` does it by hand. The whole resize is compiled
//! twice, for the baseline CPU and for AVX2, and the AVX2 copy is picked at run
//! time when the CPU has it; both give the same bytes (a test checks).

use crate::error::{KernelError, KernelResult};

#[cfg(target_arch = "x86_64")]
mod avx2;
mod passes;

use passes::{AtLeast, ToByte};
// What the last pass writes; on x86-64 it must also have an AVX2 store.
#[cfg(target_arch = "x86_64")]
use avx2::Store8 as Sink;
#[cfg(not(target_arch = "x86_64"))]
use passes::Finish as Sink;

/// Fractional bits of the fixed-point weights (Pillow's `PRECISION_BITS`).
const PRECISION_BITS: u32 = 22;
/// Half of one unit, added before the shift so that it rounds to nearest.
const HALF: i32 = 1 << (PRECISION_BITS - 1);

/// The longest side the resize accepts, input or output.
///
/// With at most this many taps per output, `255 * Σ k` stays below `2^31`, so
/// the `i32` accumulator (Pillow's own) cannot overflow.
pub const MAX_SIDE: usize = 1 << 23;

/// Which Pillow's choice of pass order to reproduce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PassOrder {
    /// Pillow 12: the horizontal pass runs first, except that an image more
    /// than 100 times taller than wide whose height shrinks is resized
    /// vertically first (`Image.resize` does that in Python since 12.2;
    /// Pillow <= 12.1 always ran the horizontal pass first).
    Pillow12,
    /// Pillow 13: the vertical pass runs first iff `dy > 0 && dy > 2 * dx`,
    /// with `dy = in_h - out_h`, `dx = in_w - out_w` (signed).
    Pillow13,
}

impl PassOrder {
    /// The order of the Pillow with this major version: 12 or 13.
    pub fn from_pillow_major(major: i64) -> KernelResult<Self> {
        match major {
            12 => Ok(PassOrder::Pillow12),
            13 => Ok(PassOrder::Pillow13),
            other => Err(KernelError::InvalidArgument(format!(
                "pillow must be 12 (the pass order of Pillow 12) or 13 (that of Pillow 13), got {other}"
            ))),
        }
    }

    /// Whether the vertical pass runs first for this change of size.
    pub fn vertical_first(self, in_h: usize, in_w: usize, out_h: usize, out_w: usize) -> bool {
        match self {
            // Sides are at most MAX_SIDE, so `100 * in_w` cannot overflow.
            PassOrder::Pillow12 => in_h > 100 * in_w && out_h < in_h,
            PassOrder::Pillow13 => {
                // Sides are at most MAX_SIDE, so these fit an i64 comfortably.
                let dy = in_h as i64 - out_h as i64;
                let dx = in_w as i64 - out_w as i64;
                dy > 0 && dy > 2 * dx
            }
        }
    }
}

/// The fixed-point weights of one axis: output `i` is
/// `Σ_{t < taps} in[starts[i] + t] * weights[i * taps + t]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AxisTable {
    /// Taps read by every output; `starts[i] + taps <= in_len`.
    pub taps: usize,
    /// First input index read by each output.
    pub starts: Vec<usize>,
    /// `taps` weights per output, zero where the output has fewer taps.
    pub weights: Vec<i32>,
}

/// Pillow's bilinear (triangle) filter, radius 1.
fn triangle(x: f64) -> f64 {
    let x = if x < 0.0 { -x } else { x };
    if x < 1.0 {
        1.0 - x
    } else {
        0.0
    }
}

/// A weight in 22-bit fixed point, rounded half away from zero as Pillow does.
fn to_fixed(w: f64) -> i32 {
    let scaled = w * f64::from(1u32 << PRECISION_BITS);
    // `as` truncates toward zero, like C's (int) cast.
    if w < 0.0 {
        (scaled - 0.5) as i32
    } else {
        (scaled + 0.5) as i32
    }
}

/// Round `taps` up to a multiple of 8 (a vector of i32) when the row allows it:
/// a whole number of vector steps beats a scalar remainder on every output.
fn padded_taps(taps: usize, in_len: usize) -> usize {
    if taps <= 4 {
        return taps;
    }
    let padded = taps.div_ceil(8) * 8;
    if padded <= in_len {
        padded
    } else {
        taps
    }
}

impl AxisTable {
    /// The table that resizes an axis of `in_len` samples to `out_len`.
    ///
    /// Both lengths are in `1..=MAX_SIDE` (checked by the callers).
    pub fn new(in_len: usize, out_len: usize) -> AxisTable {
        // Pillow's precompute_coeffs, operation for operation.
        let scale = in_len as f64 / out_len as f64;
        let filterscale = if scale < 1.0 { 1.0 } else { scale };
        // The triangle's radius is 1, stretched by the scale when shrinking.
        let support = filterscale;
        let ss = 1.0 / filterscale;

        // Each output's trimmed weights go one after another into `fixed`;
        // `spans` says where (first input index, offset in `fixed`, length).
        let mut spans: Vec<(usize, usize, usize)> = Vec::with_capacity(out_len);
        let mut fixed: Vec<i32> = Vec::new();
        let mut float_weights: Vec<f64> = Vec::new();
        for i in 0..out_len {
            let center = (i as f64 + 0.5) * scale;
            // `as` truncates toward zero (and saturates), like C's (int).
            let lo = ((center - support + 0.5) as i64).max(0);
            let hi = ((center + support + 0.5) as i64).min(in_len as i64);
            float_weights.clear();
            let mut sum = 0.0;
            for j in lo..hi {
                let w = triangle((j as f64 - center + 0.5) * ss);
                float_weights.push(w);
                sum += w;
            }
            let offset = fixed.len();
            fixed.extend(
                float_weights
                    .iter()
                    .map(|&w| to_fixed(if sum != 0.0 { w / sum } else { w })),
            );
            // Zero weights add nothing: trim them from both ends.
            let mine = &fixed[offset..];
            let first = mine.iter().position(|&k| k != 0).unwrap_or(0);
            let last = mine.iter().rposition(|&k| k != 0).map_or(first, |p| p + 1);
            let lo = usize::try_from(lo).unwrap_or(0);
            spans.push((lo + first, offset + first, last - first));
        }

        let longest = spans.iter().map(|&(_, _, n)| n).max().unwrap_or(0).max(1);
        let taps = padded_taps(longest, in_len);
        let mut starts = Vec::with_capacity(out_len);
        let mut weights = vec![0; out_len * taps];
        for (&(lo, offset, n), row) in spans.iter().zip(weights.chunks_exact_mut(taps)) {
            // Move the window left where it would run past the end; the
            // weights then sit `shift` places into it.
            let start = lo.min(in_len - taps);
            let shift = lo - start;
            row[shift..shift + n].copy_from_slice(&fixed[offset..offset + n]);
            starts.push(start);
        }
        AxisTable {
            taps,
            starts,
            weights,
        }
    }
}

/// A zero-filled vector of `len` items, or an error instead of an abort when
/// the allocation cannot be made.
fn alloc<T: Copy + Default>(len: usize, what: &str) -> KernelResult<Vec<T>> {
    let mut v = crate::alloc::with_capacity(len, what)?;
    v.resize(len, T::default());
    Ok(v)
}

/// The checked shape of one resize.
#[derive(Debug, Clone, Copy)]
struct Shape {
    in_h: usize,
    in_w: usize,
    out_h: usize,
    out_w: usize,
}

fn check_shape(
    src_len: usize,
    h: usize,
    w: usize,
    out_w: usize,
    out_h: usize,
) -> KernelResult<Shape> {
    if h == 0 || w == 0 {
        return Err(KernelError::InvalidArgument(format!(
            "cannot resize an empty mask (shape {h}x{w})"
        )));
    }
    if out_w == 0 || out_h == 0 {
        return Err(KernelError::InvalidArgument(format!(
            "the output size must be at least 1x1, got {out_w}x{out_h} (width x height)"
        )));
    }
    if [h, w, out_w, out_h].iter().any(|&side| side > MAX_SIDE) {
        return Err(KernelError::InvalidArgument(format!(
            "resize supports sides up to {MAX_SIDE} pixels, got {h}x{w} -> {out_h}x{out_w} (height x width)"
        )));
    }
    if h.checked_mul(w) != Some(src_len) {
        return Err(KernelError::InvalidArgument(format!(
            "the mask holds {src_len} bytes, not {h}x{w}"
        )));
    }
    if out_w.checked_mul(out_h).is_none() {
        return Err(KernelError::InvalidArgument(format!(
            "the output size {out_w}x{out_h} overflows"
        )));
    }
    Ok(Shape {
        in_h: h,
        in_w: w,
        out_h,
        out_w,
    })
}

/// The horizontal pass, with AVX2 when `AVX2` is set.
#[inline(always)]
fn horizontal<F: Sink, const AVX2: bool>(
    src: &[u8],
    in_w: usize,
    table: &AxisTable,
    out: &mut [F::Out],
    finish: F,
) {
    #[cfg(target_arch = "x86_64")]
    if AVX2 {
        // SAFETY: AVX2 is set only by `run_avx2`, which `dispatch` calls after
        // checking that the CPU has AVX2.
        return unsafe { avx2::horizontal(src, in_w, table, out, finish) };
    }
    passes::horizontal(src, in_w, table, out, finish)
}

/// Run the passes the shape needs; the last one writes `finish.one(acc)`.
#[inline(always)]
fn run<F: Sink, const AVX2: bool>(
    src: &[u8],
    s: Shape,
    order: PassOrder,
    finish: F,
) -> KernelResult<Vec<F::Out>> {
    let need_h = s.in_w != s.out_w;
    let need_v = s.in_h != s.out_h;
    let h_table = need_h.then(|| AxisTable::new(s.in_w, s.out_w));
    let v_table = need_v.then(|| AxisTable::new(s.in_h, s.out_h));
    let mut out = alloc::<F::Out>(s.out_h * s.out_w, "the resized mask")?;
    match (&h_table, &v_table) {
        (None, None) => {
            // The same size: a copy, through `finish` so that a threshold applies.
            for (o, &p) in out.iter_mut().zip(src) {
                *o = finish.one((i32::from(p) << PRECISION_BITS) + HALF);
            }
        }
        (Some(ht), None) => horizontal::<F, AVX2>(src, s.in_w, ht, &mut out, finish),
        (None, Some(vt)) => passes::vertical(src, s.in_w, vt, &mut out, finish),
        (Some(ht), Some(vt)) => {
            if order.vertical_first(s.in_h, s.in_w, s.out_h, s.out_w) {
                let mut mid = alloc::<u8>(s.out_h * s.in_w, "the intermediate resized image")?;
                passes::vertical(src, s.in_w, vt, &mut mid, ToByte);
                horizontal::<F, AVX2>(&mid, s.in_w, ht, &mut out, finish);
            } else {
                let mut mid = alloc::<u8>(s.in_h * s.out_w, "the intermediate resized image")?;
                horizontal::<ToByte, AVX2>(src, s.in_w, ht, &mut mid, ToByte);
                passes::vertical(&mid, s.out_w, vt, &mut out, finish);
            }
        }
    }
    Ok(out)
}

/// `run` compiled for AVX2: the vertical pass vectorises wider, the
/// horizontal pass uses `avx2.rs`.
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn run_avx2<F: Sink>(
    src: &[u8],
    s: Shape,
    order: PassOrder,
    finish: F,
) -> KernelResult<Vec<F::Out>> {
    run::<F, true>(src, s, order, finish)
}

fn dispatch<F: Sink>(
    src: &[u8],
    s: Shape,
    order: PassOrder,
    finish: F,
) -> KernelResult<Vec<F::Out>> {
    #[cfg(target_arch = "x86_64")]
    if !cfg!(feature = "portable") && std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU was just checked to support AVX2.
        return unsafe { run_avx2(src, s, order, finish) };
    }
    run::<F, false>(src, s, order, finish)
}

/// Resize an `h x w` grey mask to `out_w x out_h` exactly as Pillow's
/// `Image.resize((out_w, out_h), Image.Resampling.BILINEAR)` does on mode "L".
///
/// `src` is row-major, `h * w` bytes; the result is row-major, `out_h * out_w`.
/// Zero sizes, a length that is not `h * w`, and sides above [`MAX_SIDE`] are
/// refused with [`KernelError::InvalidArgument`].
pub fn resize_bilinear(
    src: &[u8],
    h: usize,
    w: usize,
    out_w: usize,
    out_h: usize,
    order: PassOrder,
) -> KernelResult<Vec<u8>> {
    let shape = check_shape(src.len(), h, w, out_w, out_h)?;
    dispatch(src, shape, order, ToByte)
}

/// [`resize_bilinear`] followed by `value > threshold`, fused into the last
/// pass (no resized grey image is written).
pub fn resize_bilinear_threshold(
    src: &[u8],
    h: usize,
    w: usize,
    out_w: usize,
    out_h: usize,
    order: PassOrder,
    threshold: i32,
) -> KernelResult<Vec<bool>> {
    let shape = check_shape(src.len(), h, w, out_w, out_h)?;
    match u8::try_from(threshold) {
        // `clamp(acc >> 22) > t` for a byte t < 255 is `acc >= (t + 1) << 22`.
        Ok(t) if t < 255 => dispatch(
            src,
            shape,
            order,
            AtLeast((i32::from(t) + 1) << PRECISION_BITS),
        ),
        // 255 and above: no byte is greater; below 0: every byte is.
        _ => Ok(vec![threshold < 0; out_w * out_h]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P13: PassOrder = PassOrder::Pillow13;

    #[test]
    fn same_size_is_a_copy() {
        let src: Vec<u8> = (0..=255).collect();
        assert_eq!(resize_bilinear(&src, 16, 16, 16, 16, P13).unwrap(), src);
    }

    #[test]
    fn one_pixel_stretches_to_a_constant() {
        let out = resize_bilinear(&[200], 1, 1, 5, 3, P13).unwrap();
        assert_eq!(out, vec![200; 15]);
    }

    #[test]
    fn anything_shrinks_to_its_weighted_mean() {
        // 2 -> 1: scale 2, centre 1, taps 0 and 1 each weigh 1/2: (10+30)/2.
        assert_eq!(resize_bilinear(&[10, 30], 1, 2, 1, 1, P13).unwrap(), [20]);
        // 3 -> 1: centre 1.5, support 3: weights 2/3, 1, 2/3 over 7/3.
        // (0*2 + 90*3 + 0*2) / 7 = 38.57 -> 39 after fixed-point rounding.
        assert_eq!(resize_bilinear(&[0, 90, 0], 1, 3, 1, 1, P13).unwrap(), [39]);
    }

    #[test]
    fn doubling_a_ramp_interpolates_by_quarters() {
        // 2 -> 4: centres 0.25, 0.75, 1.25, 1.75 in input units; the outer
        // outputs clamp to the edge pixel, the inner mix 3:1.
        let out = resize_bilinear(&[0, 100], 1, 2, 4, 1, P13).unwrap();
        assert_eq!(out, [0, 25, 75, 100]);
        let out = resize_bilinear(&[0, 100], 2, 1, 1, 4, P13).unwrap();
        assert_eq!(out, [0, 25, 75, 100]);
    }

    #[test]
    fn table_windows_stay_inside_the_input() {
        for (n, m) in [
            (1, 7),
            (7, 1),
            (5, 3),
            (100, 9),
            (9, 100),
            (300, 1),
            (13, 13),
        ] {
            let t = AxisTable::new(n, m);
            assert_eq!(t.starts.len(), m);
            assert_eq!(t.weights.len(), m * t.taps);
            assert!(t.starts.iter().all(|&s| s + t.taps <= n), "{n}->{m}");
        }
    }

    #[test]
    fn table_weights_sum_to_one_in_fixed_point() {
        for (n, m) in [(3, 7), (7, 3), (64, 500), (1024, 100), (500, 1)] {
            let t = AxisTable::new(n, m);
            for k in t.weights.chunks_exact(t.taps) {
                let sum: i64 = k.iter().map(|&w| i64::from(w)).sum();
                // Each tap rounds by at most a half unit.
                assert!(
                    (sum - (1 << 22)).unsigned_abs() <= t.taps as u64,
                    "{n}->{m}: {sum}"
                );
            }
        }
    }

    #[test]
    fn upscaling_needs_at_most_two_taps() {
        assert_eq!(AxisTable::new(64, 2000).taps, 2);
        assert_eq!(AxisTable::new(1, 500).taps, 1);
    }

    #[test]
    fn pillow13_rule_picks_the_vertical_pass_first() {
        assert!(P13.vertical_first(100, 100, 10, 90));
        assert!(!P13.vertical_first(100, 100, 10, 10)); // dy = 90, 2dx = 180
        assert!(!P13.vertical_first(10, 100, 20, 10)); // dy < 0
        assert!(!PassOrder::Pillow12.vertical_first(100, 100, 10, 90));
        assert!(PassOrder::Pillow12.vertical_first(301, 3, 10, 90));
        assert!(!PassOrder::Pillow12.vertical_first(300, 3, 10, 90));
        assert!(!PassOrder::Pillow12.vertical_first(301, 3, 400, 90));
    }

    #[test]
    fn orders_agree_when_only_one_axis_changes() {
        let src: Vec<u8> = (0..200u32).map(|v| (v * 37 % 256) as u8).collect();
        let a = resize_bilinear(&src, 20, 10, 10, 3, PassOrder::Pillow12).unwrap();
        let b = resize_bilinear(&src, 20, 10, 10, 3, P13).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn fused_threshold_matches_resize_then_compare() {
        let src: Vec<u8> = (0..37 * 23u32).map(|v| (v * 97 % 256) as u8).collect();
        for (ow, oh) in [(23, 37), (50, 11), (5, 80), (1, 1), (200, 150)] {
            let grey = resize_bilinear(&src, 37, 23, ow, oh, P13).unwrap();
            for t in [-5, -1, 0, 1, 127, 128, 254, 255, 1000] {
                let fused = resize_bilinear_threshold(&src, 37, 23, ow, oh, P13, t).unwrap();
                let expected: Vec<bool> = grey.iter().map(|&v| i32::from(v) > t).collect();
                assert_eq!(fused, expected, "{ow}x{oh} t={t}");
            }
        }
    }

    /// The AVX2 build of `run` when the CPU has AVX2 (whatever the `portable`
    /// feature says), else what `dispatch` runs.
    fn vector<F: Sink>(src: &[u8], s: Shape, order: PassOrder, finish: F) -> Vec<F::Out> {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU was just checked to support AVX2.
            return unsafe { run_avx2(src, s, order, finish) }.unwrap();
        }
        dispatch(src, s, order, finish).unwrap()
    }

    #[test]
    fn vector_and_portable_passes_agree() {
        // `vector` runs the AVX2 build whenever the CPU has AVX2, even in the
        // `portable` build; `run::<_, false>` never does. Sizes cover the windowed path (1-4 taps), the 8-lane dot
        // products, odd tap counts that fall back, and partial blocks.
        let sizes = [1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 64, 100, 203, 600];
        let mut seed = 0x2545_f491_u32;
        for &in_w in &sizes {
            for &out_w in &sizes {
                let h = 3;
                let src: Vec<u8> = (0..h * in_w)
                    .map(|_| {
                        seed ^= seed << 13;
                        seed ^= seed >> 17;
                        seed ^= seed << 5;
                        (seed >> 24) as u8
                    })
                    .collect();
                let s = check_shape(src.len(), h, in_w, out_w, 5).unwrap();
                let portable = run::<_, false>(&src, s, P13, ToByte).unwrap();
                assert_eq!(vector(&src, s, P13, ToByte), portable, "{in_w}->{out_w}");
                let bound = AtLeast(128 << PRECISION_BITS);
                let bits = run::<_, false>(&src, s, P13, bound).unwrap();
                assert_eq!(vector(&src, s, P13, bound), bits, "{in_w}->{out_w}");
                let s = check_shape(src.len(), h, in_w, out_w, h).unwrap();
                let portable = run::<_, false>(&src, s, P13, bound).unwrap();
                assert_eq!(vector(&src, s, P13, bound), portable, "{in_w}->{out_w}");
            }
        }
    }

    #[test]
    fn bad_sizes_are_refused() {
        let err = |r: KernelResult<Vec<u8>>| matches!(r, Err(KernelError::InvalidArgument(_)));
        assert!(err(resize_bilinear(&[], 0, 0, 1, 1, P13)));
        assert!(err(resize_bilinear(&[1], 1, 1, 0, 1, P13)));
        assert!(err(resize_bilinear(&[1], 1, 1, 1, 0, P13)));
        assert!(err(resize_bilinear(&[1, 2], 1, 1, 1, 1, P13)));
        assert!(err(resize_bilinear(&[1], usize::MAX, 2, 1, 1, P13)));
        assert!(err(resize_bilinear(&[1], 1, 1, MAX_SIDE + 1, 1, P13)));
        assert!(PassOrder::from_pillow_major(11).is_err());
        assert_eq!(PassOrder::from_pillow_major(12), Ok(PassOrder::Pillow12));
    }
}
