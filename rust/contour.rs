//! Resize + threshold that only computes the pixels near the threshold contour.
//!
//! Same result, bit for bit, as [`crate::resize::resize_bilinear_threshold`]
//! (Pillow's two-pass fixed-point bilinear resize, then `> threshold`), much
//! faster on masks, whose pixels are mostly far from the threshold.
//!
//! # Theory of operation
//!
//! Every weight of Pillow's bilinear filter is `>= 0` and each output's
//! weights sum to `2^22` within half a unit per tap, so one pass maps a window
//! of inputs to a byte between the window's smallest and largest value (the
//! rounding cannot step past either end). Two passes map the 2-D window of an
//! output pixel (its vertical taps x its horizontal taps) to a byte between
//! that window's minimum and maximum. Hence: if every input in the window is
//! `<= t` the output is off, if every input is `> t` it is on, and only windows
//! that hold both kinds need the arithmetic.
//!
//! Per output row, the classes of the rows in its vertical window are OR-ed
//! into one class per input column (1: all `<= t`, 2: all `> t`, 3: both).
//! Windows are contiguous and move right monotonically, so a run of input
//! columns of one pure class covers a contiguous range of output columns,
//! filled in one go; the outputs left between those ranges are computed
//! exactly, with the same tables, the same pass order and the same 8-bit
//! intermediate as the two-pass kernel. The tables of an axis depend only on
//! its two lengths and are kept per thread ([`axes`]): a batch has many masks
//! of one size and boxes of few sizes.
//!
//! Two shortcuts serve the model's masks. When every input row of a window
//! holds one run of above-threshold pixels (or none), the window's pure runs
//! follow from the rows' ends without the per-word classes. When every input
//! byte is 0 or 255, the first pass of a window line has one of `2^taps`
//! values per output, tabulated once per axis with Pillow's rounding and
//! clamping ([`axes::Axis::levels`]): the exact pixels read the line's bits
//! and look its value up instead of multiplying and rounding.
//!
//! Rows go to a [`MaskRows`]: a `Vec<bool>`, or a packed [`BitMask`] for the
//! RLE encoder. A row with the window of the row above and no pixel to compute
//! exactly repeats it, which a packed mask copies word by word.

mod axes;
mod classes;

use std::rc::Rc;

use crate::bitmask::BitMask;
use crate::error::{KernelError, KernelResult};
use crate::resize::{PassOrder, MAX_SIDE};

use axes::Axis;
use classes::Classes;

const PRECISION_BITS: u32 = 22;
const HALF: i32 = 1 << (PRECISION_BITS - 1);

/// One pass's rounding: `clamp((acc) >> 22, 0, 255)`.
#[inline]
fn to_byte(acc: i32) -> i32 {
    (acc >> PRECISION_BITS).clamp(0, 255)
}

/// Everything one resize needs, borrowed by the exact per-pixel computation.
struct Plan<'a> {
    /// Row `y` is `src[y * stride..][..w]`.
    src: &'a [u8],
    w: usize,
    stride: usize,
    y: Rc<Axis>,
    x: Rc<Axis>,
    vertical_first: bool,
    /// On when the clamped result is `>= bound` (`bound = (t + 1) << 22`).
    bound: i32,
    /// Every input byte is 0 or 255: the first pass is a lookup in the
    /// first axis's [`axes::Axis::levels`] ([`Plan::exact_levels`]).
    extreme: bool,
}

impl Plan<'_> {
    /// Compute row `i`'s outputs in `gaps` exactly, as the two-pass kernel
    /// does, into the packed row `row_out`.
    fn exact_gaps(&self, i: usize, gaps: &[(usize, usize)], row_out: &mut [u64]) {
        // Upscales (small masks, larger boxes) read two taps per axis, a copy
        // keeps one, a slight shrink (a box a little smaller than the mask)
        // three or four: fixed tap counts let the compiler unroll the little
        // sums; anything else takes the general loop.
        if self.extreme {
            let done = match (self.y.table.taps, self.x.table.taps, self.vertical_first) {
                (2, 2, vf) => self.exact_levels::<2, 2>(i, gaps, vf, row_out),
                (1, 2, vf) => self.exact_levels::<1, 2>(i, gaps, vf, row_out),
                (2, 1, vf) => self.exact_levels::<2, 1>(i, gaps, vf, row_out),
                (3, 2, vf) => self.exact_levels::<3, 2>(i, gaps, vf, row_out),
                (2, 3, vf) => self.exact_levels::<2, 3>(i, gaps, vf, row_out),
                (3, 3, vf) => self.exact_levels::<3, 3>(i, gaps, vf, row_out),
                (4, 2, vf) => self.exact_levels::<4, 2>(i, gaps, vf, row_out),
                (2, 4, vf) => self.exact_levels::<2, 4>(i, gaps, vf, row_out),
                _ => false,
            };
            if done {
                return;
            }
        }
        match (self.y.table.taps, self.x.table.taps, self.vertical_first) {
            (2, 2, false) => self.exact_fixed::<2, 2, false>(i, gaps, row_out),
            (2, 2, true) => self.exact_fixed::<2, 2, true>(i, gaps, row_out),
            (1, 2, false) => self.exact_fixed::<1, 2, false>(i, gaps, row_out),
            (1, 2, true) => self.exact_fixed::<1, 2, true>(i, gaps, row_out),
            (2, 1, false) => self.exact_fixed::<2, 1, false>(i, gaps, row_out),
            (2, 1, true) => self.exact_fixed::<2, 1, true>(i, gaps, row_out),
            (3, 2, false) => self.exact_fixed::<3, 2, false>(i, gaps, row_out),
            (3, 2, true) => self.exact_fixed::<3, 2, true>(i, gaps, row_out),
            (2, 3, false) => self.exact_fixed::<2, 3, false>(i, gaps, row_out),
            (2, 3, true) => self.exact_fixed::<2, 3, true>(i, gaps, row_out),
            (3, 3, false) => self.exact_fixed::<3, 3, false>(i, gaps, row_out),
            (3, 3, true) => self.exact_fixed::<3, 3, true>(i, gaps, row_out),
            (4, 2, false) => self.exact_fixed::<4, 2, false>(i, gaps, row_out),
            (4, 2, true) => self.exact_fixed::<4, 2, true>(i, gaps, row_out),
            (2, 4, false) => self.exact_fixed::<2, 4, false>(i, gaps, row_out),
            (2, 4, true) => self.exact_fixed::<2, 4, true>(i, gaps, row_out),
            _ => {
                for &(a, b) in gaps {
                    for j in a..b {
                        put_bit(row_out, j, self.exact(i, j));
                    }
                }
            }
        }
    }

    /// Whether [`Plan::first_pass_window`] applies: an upscale on both axes
    /// (two taps each) whose first pass is horizontal, so that the first
    /// pass of a window's two rows is shared by every output row of the window.
    fn shares_first_pass(&self) -> bool {
        !self.vertical_first && self.y.table.taps == 2 && self.x.table.taps == 2
    }

    /// The first (horizontal) pass of input rows `y0` and `y0 + 1` at every
    /// output column in `gaps`, in order, as the two-pass kernel rounds it.
    fn first_pass_window(&self, y0: usize, gaps: &[(usize, usize)], firsts: &mut Vec<[i32; 2]>) {
        let tx = &self.x.table;
        let (w, s) = (self.w, self.stride);
        let (top, bottom) = (
            &self.src[y0 * s..y0 * s + w],
            &self.src[(y0 + 1) * s..(y0 + 1) * s + w],
        );
        firsts.clear();
        let levels = &self.x.levels;
        if self.extreme && levels.len() == tx.starts.len() << 2 {
            // Only 0 and 255: each line's first pass is its level (a lookup).
            for &(a, b) in gaps {
                for (j, &x0) in (a..b).zip(&tx.starts[a..b]) {
                    let line = |row: &[u8]| {
                        let pattern = usize::from(row[x0] & 1 | row[x0 + 1] & 2);
                        i32::from(levels.get(j << 2 | pattern).copied().unwrap_or(0))
                    };
                    firsts.push([line(top), line(bottom)]);
                }
            }
            return;
        }
        for &(a, b) in gaps {
            let weights = tx.weights[a * 2..b * 2].chunks_exact(2);
            for (&x0, kx) in tx.starts[a..b].iter().zip(weights) {
                let line = |row: &[u8]| {
                    to_byte(HALF + i32::from(row[x0]) * kx[0] + i32::from(row[x0 + 1]) * kx[1])
                };
                firsts.push([line(top), line(bottom)]);
            }
        }
    }

    /// Row `i`'s outputs in `gaps` from the window's first pass (`firsts`).
    fn second_pass_window(
        &self,
        i: usize,
        gaps: &[(usize, usize)],
        firsts: &[[i32; 2]],
        row_out: &mut [u64],
    ) {
        let ky = &self.y.table.weights[i * 2..i * 2 + 2];
        let mut firsts = firsts.iter();
        for &(a, b) in gaps {
            for (j, f) in (a..b).zip(&mut firsts) {
                put_bit(row_out, j, HALF + f[0] * ky[0] + f[1] * ky[1] >= self.bound);
            }
        }
    }

    /// [`Plan::exact_gaps`] for an input of only 0 and 255 (`extreme`), `TY`
    /// vertical and `TX` horizontal taps: the first pass of a window line is
    /// the first axis's level for the line's pattern of 255s (a lookup that
    /// holds Pillow's rounding and clamping), the second pass the usual sum.
    /// A byte's bit `d` is its pattern bit for tap `d`, as the byte is 0 or
    /// 255. `false` (nothing written) when the first axis has no levels.
    fn exact_levels<const TY: usize, const TX: usize>(
        &self,
        i: usize,
        gaps: &[(usize, usize)],
        vertical_first: bool,
        row_out: &mut [u64],
    ) -> bool {
        let (ty, tx) = (&self.y.table, &self.x.table);
        let first = if vertical_first { &self.y } else { &self.x };
        if first.levels.len() != first.table.starts.len() << first.table.taps {
            return false;
        }
        let mut ky = [0i32; TY];
        ky.copy_from_slice(&ty.weights[i * TY..(i + 1) * TY]);
        let y0 = ty.starts[i];
        let w = self.w;
        let rows: [&[u8]; TY] = std::array::from_fn(|dy| {
            let start = (y0 + dy) * self.stride;
            self.src.get(start..start + w).unwrap_or(&[])
        });
        if rows.iter().any(|row| row.len() != w) {
            return false;
        }
        // Row i's levels (vertical first): one per pattern of its TY taps.
        let row_levels = &self.y.levels[(i << TY).min(self.y.levels.len())..];
        for &(a, b) in gaps {
            let starts = &tx.starts[a..b];
            let weights = tx.weights[a * TX..b * TX].chunks_exact(TX);
            for ((j, &x0), kx) in (a..b).zip(starts).zip(weights) {
                // The table keeps `x0 + TX <= w`; checked once, the reads
                // below need no more checks.
                if x0 + TX > w {
                    continue;
                }
                let mut acc = HALF;
                if vertical_first {
                    for (dx, &wx) in kx.iter().enumerate() {
                        let mut pattern = 0;
                        for (dy, row) in rows.iter().enumerate() {
                            pattern |= usize::from(row[x0 + dx]) & (1 << dy);
                        }
                        let level = row_levels.get(pattern).copied().unwrap_or(0);
                        acc += i32::from(level) * wx;
                    }
                } else {
                    let levels = self.x.levels.get(j << TX..(j + 1) << TX).unwrap_or(&[]);
                    for (row, &wy) in rows.iter().zip(&ky) {
                        let mut pattern = 0;
                        for dx in 0..TX {
                            pattern |= usize::from(row[x0 + dx]) & (1 << dx);
                        }
                        let level = levels.get(pattern).copied().unwrap_or(0);
                        acc += i32::from(level) * wy;
                    }
                }
                put_bit(row_out, j, acc >= self.bound);
            }
        }
        true
    }

    /// [`Plan::exact_gaps`] for `TY` vertical and `TX` horizontal taps.
    fn exact_fixed<const TY: usize, const TX: usize, const VERTICAL_FIRST: bool>(
        &self,
        i: usize,
        gaps: &[(usize, usize)],
        row_out: &mut [u64],
    ) {
        let (ty, tx) = (&self.y.table, &self.x.table);
        let mut ky = [0i32; TY];
        ky.copy_from_slice(&ty.weights[i * TY..(i + 1) * TY]);
        let y0 = ty.starts[i];
        let rows: [&[u8]; TY] =
            std::array::from_fn(|dy| &self.src[(y0 + dy) * self.stride..][..self.w]);
        for &(a, b) in gaps {
            let starts = &tx.starts[a..b];
            let weights = tx.weights[a * TX..b * TX].chunks_exact(TX);
            for ((j, &x0), kx) in (a..b).zip(starts).zip(weights) {
                // One bounds check per row: the window's TX pixels as an array.
                let window: [Option<&[u8; TX]>; TY] =
                    std::array::from_fn(|dy| rows[dy].get(x0..x0 + TX)?.try_into().ok());
                let mut acc = HALF;
                if VERTICAL_FIRST {
                    for (dx, &wx) in kx.iter().enumerate() {
                        let mut column = HALF;
                        for (px, &wy) in window.iter().zip(&ky) {
                            column += px.map_or(0, |p| i32::from(p[dx])) * wy;
                        }
                        acc += to_byte(column) * wx;
                    }
                } else {
                    for (px, &wy) in window.iter().zip(&ky) {
                        let mut line = HALF;
                        if let Some(p) = px {
                            for (&v, &wx) in p.iter().zip(kx) {
                                line += i32::from(v) * wx;
                            }
                        }
                        acc += to_byte(line) * wy;
                    }
                }
                put_bit(row_out, j, acc >= self.bound);
            }
        }
    }

    /// The exact output at row `i`, column `j`, as the two-pass kernel computes it.
    fn exact(&self, i: usize, j: usize) -> bool {
        let (ty, tx) = (&self.y.table, &self.x.table);
        let ky = &ty.weights[i * ty.taps..(i + 1) * ty.taps];
        let kx = &tx.weights[j * tx.taps..(j + 1) * tx.taps];
        let (y0, x0) = (ty.starts[i], tx.starts[j]);
        let mut acc = HALF;
        if self.vertical_first {
            for (dx, &wx) in kx.iter().enumerate() {
                let mut column = HALF;
                for (dy, &wy) in ky.iter().enumerate() {
                    column += i32::from(self.src[(y0 + dy) * self.stride + x0 + dx]) * wy;
                }
                acc += to_byte(column) * wx;
            }
        } else {
            for (dy, &wy) in ky.iter().enumerate() {
                let row = &self.src[(y0 + dy) * self.stride + x0..][..tx.taps];
                let mut line = HALF;
                for (&v, &wx) in row.iter().zip(kx) {
                    line += i32::from(v) * wx;
                }
                acc += to_byte(line) * wy;
            }
        }
        // clamp(acc >> 22) > t  <=>  acc >= (t + 1) << 22, for t < 255.
        acc >= self.bound
    }
}

/// Set bit `j % 64` of word `j / 64` to `on`.
#[inline(always)]
fn put_bit(words: &mut [u64], j: usize, on: bool) {
    if let Some(word) = words.get_mut(j / 64) {
        let bit = j % 64;
        *word = (*word & !(1u64 << bit)) | (u64::from(on) << bit);
    }
}

/// Set bits `lo..hi` (of a packed row) to `on`, a word at a time.
fn fill_bits(words: &mut [u64], lo: usize, hi: usize, on: bool) {
    if lo >= hi {
        return;
    }
    let (first, last) = (lo / 64, (hi - 1) / 64);
    let value = if on { u64::MAX } else { 0 };
    let head = u64::MAX << (lo % 64);
    let tail = u64::MAX >> (63 - (hi - 1) % 64);
    let mut put = |k: usize, mask: u64| {
        if let Some(word) = words.get_mut(k) {
            *word = (*word & !mask) | (value & mask);
        }
    };
    if first == last {
        put(first, head & tail);
        return;
    }
    put(first, head);
    for k in first + 1..last {
        put(k, u64::MAX);
    }
    put(last, tail);
}

/// Set bits `lo..hi` of a packed row and clear all others.
fn fill_range(words: &mut [u64], lo: usize, hi: usize) {
    words.fill(0);
    fill_bits(words, lo, hi, true);
}

/// Every byte's eight bits as eight booleans, lowest bit first.
static BYTE_BOOLS: [[bool; 8]; 256] = {
    let mut table = [[false; 8]; 256];
    let mut byte = 0;
    while byte < 256 {
        let mut bit = 0;
        while bit < 8 {
            table[byte][bit] = (byte >> bit) & 1 == 1;
            bit += 1;
        }
        byte += 1;
    }
    table
};

/// Where the fused kernel writes its output, one row at a time. A row comes
/// packed: pixel `j` is bit `j % 64` of word `j / 64`, and the bits past the
/// row's width are zero.
pub trait MaskRows {
    /// Append one row of `width` pixels.
    fn push_row(&mut self, bits: &[u64], width: usize);
    /// Append `bits` again: it equals the row appended last.
    fn repeat_row(&mut self, bits: &[u64], width: usize);
}

impl MaskRows for Vec<bool> {
    fn push_row(&mut self, bits: &[u64], width: usize) {
        for (k, &word) in bits.iter().enumerate().take(width.div_ceil(64)) {
            let n = (width - 64 * k).min(64);
            match word {
                // Most words of a mask are all off or all on: a fill.
                0 => self.resize(self.len() + n, false),
                u64::MAX => self.resize(self.len() + n, true),
                _ => {
                    let mut unpacked = [false; 64];
                    for (eight, byte) in unpacked.chunks_exact_mut(8).zip(word.to_le_bytes()) {
                        eight.copy_from_slice(&BYTE_BOOLS[usize::from(byte)]);
                    }
                    self.extend_from_slice(&unpacked[..n]);
                }
            }
        }
    }

    fn repeat_row(&mut self, bits: &[u64], width: usize) {
        match self.len().checked_sub(width) {
            Some(start) => self.extend_from_within(start..),
            None => self.push_row(bits, width),
        }
    }
}

impl MaskRows for BitMask {
    fn push_row(&mut self, bits: &[u64], _width: usize) {
        BitMask::push_words(self, bits);
    }

    fn repeat_row(&mut self, _bits: &[u64], _width: usize) {
        // The packed copy of the last row is already there: copy its words.
        BitMask::repeat_row(self);
    }
}

/// [`crate::resize::resize_bilinear_threshold`], computing exactly only the
/// outputs whose input window straddles the threshold.
pub fn resize_threshold_contour(
    src: &[u8],
    h: usize,
    w: usize,
    out_w: usize,
    out_h: usize,
    order: PassOrder,
    threshold: i32,
) -> KernelResult<Vec<bool>> {
    let out_len = out_w.checked_mul(out_h).ok_or_else(|| {
        KernelError::InvalidArgument(format!("a {out_h}x{out_w} output is too large"))
    })?;
    // Rows are appended whole, so the output is written once and never zeroed.
    let mut out: Vec<bool> = crate::alloc::with_capacity(out_len, "the resized mask")?;
    resize_threshold_contour_into(src, h, w, out_w, out_h, order, threshold, &mut out)?;
    Ok(out)
}

/// [`resize_threshold_contour`], appending the `out_h` rows of `out_w` pixels to `out`.
#[allow(clippy::too_many_arguments)]
pub fn resize_threshold_contour_into(
    src: &[u8],
    h: usize,
    w: usize,
    out_w: usize,
    out_h: usize,
    order: PassOrder,
    threshold: i32,
    out: &mut impl MaskRows,
) -> KernelResult<()> {
    resize_threshold_contour_rows_into(src, w, h, w, out_w, out_h, order, threshold, out)
}

/// [`resize_threshold_contour_into`] reading rows `stride` bytes apart: row
/// `y` of the `h x w` input is `src[y * stride..][..w]` (`stride >= w`, the
/// last row ending `src`), such as a PNG's scanlines read where they were
/// inflated ([`crate::png::decode_png_rows_into`]), between their filter bytes.
///
/// ```
/// # use _rust::contour::resize_threshold_contour_rows_into;
/// # use _rust::resize::PassOrder;
/// // A 2x2 input [[0, 255], [255, 0]] with a byte of padding after each row.
/// let src = [0u8, 255, 9, 255, 0];
/// let mut out: Vec<bool> = Vec::new();
/// resize_threshold_contour_rows_into(&src, 3, 2, 2, 2, 2, PassOrder::Pillow13, 127, &mut out)
///     .unwrap();
/// assert_eq!(out, [false, true, true, false]);
/// ```
#[allow(clippy::too_many_arguments)]
pub fn resize_threshold_contour_rows_into(
    src: &[u8],
    stride: usize,
    h: usize,
    w: usize,
    out_w: usize,
    out_h: usize,
    order: PassOrder,
    threshold: i32,
    out: &mut impl MaskRows,
) -> KernelResult<()> {
    if h == 0 || w == 0 || out_w == 0 || out_h == 0 {
        return Err(KernelError::InvalidArgument(format!(
            "cannot resize {h}x{w} to {out_h}x{out_w}: sizes must be at least 1"
        )));
    }
    let len = (h - 1).checked_mul(stride).and_then(|n| n.checked_add(w));
    if stride < w || len != Some(src.len()) || h.max(w).max(out_w).max(out_h) > MAX_SIDE {
        let rows = if stride == w {
            String::new()
        } else {
            format!(" in rows {stride} bytes apart")
        };
        return Err(KernelError::InvalidArgument(format!(
            "mask of {} bytes is not {h}x{w}{rows}, or a side exceeds {MAX_SIDE}",
            src.len()
        )));
    }
    out_w.checked_mul(out_h).ok_or_else(|| {
        KernelError::InvalidArgument(format!("a {out_h}x{out_w} output is too large"))
    })?;
    // The row being made, packed (see `MaskRows`).
    let mut row_out = vec![0u64; out_w.div_ceil(64)];
    let t = match u8::try_from(threshold) {
        Ok(t) if t < 255 => t,
        _ => {
            fill_bits(&mut row_out, 0, out_w, threshold < 0);
            for _ in 0..out_h {
                out.push_row(&row_out, out_w);
            }
            return Ok(());
        }
    };

    let mut buffers = Buffers::take();
    let Buffers {
        classes,
        gaps,
        firsts,
    } = &mut buffers;
    classes.reset(src, stride, w, t);
    let plan = Plan {
        src,
        w,
        stride,
        y: axes::axis(h, out_h),
        x: axes::axis(w, out_w),
        vertical_first: order.vertical_first(h, w, out_h, out_w),
        bound: (i32::from(t) + 1) << PRECISION_BITS,
        // 0 is off and 255 on for every byte threshold t < 255.
        extreme: classes.extreme(),
    };
    let (ty, live_y) = (&plan.y.table, &plan.y.live);
    let (first_from, ended_by) = (&plan.x.first_from, &plan.x.ended_by);
    // Output columns that need the exact arithmetic in the current window:
    // `gaps`; `firsts`: their first pass (`Plan::first_pass_window`).
    gaps.clear();
    let shared = plan.shares_first_pass();
    let mut window = (usize::MAX, (0, 0));
    for (i, (&y0, &live)) in ty.starts.iter().zip(live_y).enumerate() {
        // With the same input rows as the row above (and the same live ones),
        // `row_out` still holds its pure ranges and `firsts` the first pass;
        // only the exact pixels are computed again.
        let fresh = (y0, live) != window;
        if fresh {
            window = (y0, live);
            gaps.clear();
            let mut next = 0;
            let mut pure_run = |start: usize, end: usize, high: bool| {
                // Outputs whose whole live window lies in [start, end).
                let (lo, hi) = (first_from[start], ended_by[end]);
                if lo < hi && hi > next {
                    if lo > next {
                        gaps.push((next, lo));
                    }
                    fill_bits(&mut row_out, lo.max(next), hi, high);
                    next = hi;
                }
            };
            match classes.window_bounds(live.0, live.1) {
                Some(None) => {
                    // No input pixel of the window is above: all off.
                    row_out.fill(0);
                    next = out_w;
                }
                Some(Some([a, ia, ib, b])) => {
                    // Every row of the window is one run of above pixels (the
                    // usual mask). Outputs before `low_end` read only columns
                    // before `a` (off), those from `low_start` only columns
                    // from `b` (off), those in `high` only `[ia, ib)` (on);
                    // live windows move right monotonically, so these come in
                    // this order, and the outputs between are the gaps.
                    let (low_end, low_start) = (ended_by[a], first_from[b]);
                    let high = (first_from[ia], ended_by[ib]);
                    let (h0, h1) = if high.0 < high.1 {
                        high
                    } else {
                        (low_start, low_start)
                    };
                    fill_range(&mut row_out, h0, h1);
                    if low_end < h0 {
                        gaps.push((low_end, h0));
                    }
                    if h1 < low_start {
                        gaps.push((h1, low_start));
                    }
                    next = out_w;
                }
                None => {
                    classes.window(live.0, live.1);
                    let mut c = 0;
                    while let Some((start, end, high)) = classes.next_run(c) {
                        pure_run(start, end, high);
                        c = end;
                    }
                }
            }
            if next < out_w {
                gaps.push((next, out_w));
            }
        }
        if gaps.is_empty() && !fresh {
            out.repeat_row(&row_out, out_w);
            continue;
        }
        if shared {
            if fresh {
                plan.first_pass_window(y0, gaps, firsts);
            }
            plan.second_pass_window(i, gaps, firsts, &mut row_out);
        } else {
            plan.exact_gaps(i, gaps, &mut row_out);
        }
        out.push_row(&row_out, out_w);
    }
    buffers.give_back();
    Ok(())
}

/// The working buffers of one resize, kept per thread from mask to mask.
struct Buffers {
    classes: Classes,
    gaps: Vec<(usize, usize)>,
    firsts: Vec<[i32; 2]>,
}

thread_local! {
    static BUFFERS: std::cell::Cell<Option<Buffers>> = const { std::cell::Cell::new(None) };
}

/// Buffers larger than this (in input bits' words) are not kept for the next mask.
const KEEP_WORDS: usize = 1 << 18;

impl Buffers {
    /// This thread's buffers, or new ones.
    fn take() -> Buffers {
        BUFFERS
            .try_with(std::cell::Cell::take)
            .ok()
            .flatten()
            .unwrap_or_else(|| Buffers {
                classes: Classes::new(&[], 1, 0),
                gaps: Vec::new(),
                firsts: Vec::new(),
            })
    }

    /// Keep the buffers for this thread's next resize (unless huge).
    fn give_back(self) {
        if self.classes.words() <= KEEP_WORDS {
            // A thread being torn down just drops them.
            let _ = BUFFERS.try_with(|cell| cell.set(Some(self)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resize::resize_bilinear_threshold;

    /// A small deterministic generator (xorshift), so the tests need no crate.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: u64) -> usize {
            (self.next() % n) as usize
        }
    }

    /// A soft disc (mostly 0 and 255, a gradient at the edge), or noise;
    /// `binary`: only 0 and 255 (the model's masks: the lookups of
    /// `Plan::exact_levels`).
    fn image(rng: &mut Rng, h: usize, w: usize, noise: bool, binary: bool) -> Vec<u8> {
        let grey = soft_image(rng, h, w, noise);
        if binary {
            return grey
                .iter()
                .map(|&v| if v > 127 { 255 } else { 0 })
                .collect();
        }
        grey
    }

    fn soft_image(rng: &mut Rng, h: usize, w: usize, noise: bool) -> Vec<u8> {
        let (cy, cx) = (
            rng.below(h as u64 + 1) as f64,
            rng.below(w as u64 + 1) as f64,
        );
        let r = (h.min(w) as f64) * 0.4 + 1.0;
        (0..h * w)
            .map(|p| {
                if noise {
                    return rng.next() as u8;
                }
                let (y, x) = ((p / w) as f64, (p % w) as f64);
                let d = ((y - cy).powi(2) + (x - cx).powi(2)).sqrt() / r;
                ((1.2 - d) * 600.0).clamp(0.0, 255.0) as u8
            })
            .collect()
    }

    #[test]
    fn equals_the_two_pass_kernel() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for case in 0..1200 {
            // Every fourth case wider than a word of column bits.
            let wide = if case % 4 == 3 { 160 } else { 40 };
            let (h, w) = (1 + rng.below(40), 1 + rng.below(wide));
            let (oh, ow) = (1 + rng.below(90), 1 + rng.below(90));
            let src = image(&mut rng, h, w, case % 5 == 0, case % 3 != 0);
            let t = [127, 128, 0, 254, 1][case % 5];
            for order in [PassOrder::Pillow12, PassOrder::Pillow13] {
                let fast = resize_threshold_contour(&src, h, w, ow, oh, order, t).unwrap();
                let full = resize_bilinear_threshold(&src, h, w, ow, oh, order, t).unwrap();
                assert_eq!(fast, full, "{h}x{w} -> {oh}x{ow}, t={t}, {order:?}");
                let mut packed = BitMask::new();
                packed.reset(oh, ow).unwrap();
                resize_threshold_contour_into(&src, h, w, ow, oh, order, t, &mut packed).unwrap();
                assert_eq!(packed.to_bools(), full, "packed {h}x{w} -> {oh}x{ow}");
                // The same rows with padding between them (noise, never read).
                let pad = 1 + case % 3;
                let mut strided = Vec::new();
                for row in src.chunks_exact(w) {
                    strided.extend_from_slice(row);
                    strided.extend((0..pad).map(|_| rng.next() as u8));
                }
                strided.truncate(strided.len() - pad);
                let mut apart = BitMask::new();
                apart.reset(oh, ow).unwrap();
                resize_threshold_contour_rows_into(
                    &strided,
                    w + pad,
                    h,
                    w,
                    ow,
                    oh,
                    order,
                    t,
                    &mut apart,
                )
                .unwrap();
                assert_eq!(
                    apart.to_bools(),
                    full,
                    "stride {} {h}x{w} -> {oh}x{ow}",
                    w + pad
                );
            }
        }
    }

    #[test]
    fn saturated_thresholds_and_bad_shapes() {
        let src = [0u8, 255, 255, 0];
        let p13 = PassOrder::Pillow13;
        assert_eq!(
            resize_threshold_contour(&src, 2, 2, 3, 1, p13, -1).unwrap(),
            [true; 3]
        );
        assert_eq!(
            resize_threshold_contour(&src, 2, 2, 3, 1, p13, 255).unwrap(),
            [false; 3]
        );
        assert!(resize_threshold_contour(&src, 2, 2, 0, 1, p13, 127).is_err());
        assert!(resize_threshold_contour(&src, 3, 2, 1, 1, p13, 127).is_err());
        let mut out: Vec<bool> = Vec::new();
        let strided = |stride, h, w, out: &mut Vec<bool>| {
            resize_threshold_contour_rows_into(&src, stride, h, w, 1, 1, p13, 127, out)
        };
        assert!(
            strided(1, 2, 2, &mut out).is_err(),
            "stride below the width"
        );
        assert!(strided(3, 2, 2, &mut out).is_err(), "rows past the end");
        assert!(strided(2, 2, 2, &mut out).is_ok());
        assert!(
            strided(3, 1, 2, &mut out).is_err(),
            "bytes after the last row"
        );
    }
}
