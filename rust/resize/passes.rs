//! The two 1-D passes in portable Rust, and what a pass writes ([`Finish`]).
//!
//! Every loop here has a fixed trip count per output and reads inside slices
//! the table has already proved long enough, so LLVM vectorises the vertical
//! pass across each row and the horizontal downscale along its taps.

use super::{AxisTable, HALF, PRECISION_BITS};

/// What the last pass writes for an accumulator: a byte, or a threshold bit.
pub(crate) trait Finish: Copy {
    type Out: Copy + Default;
    /// The output for one accumulator `2^21 + Σ px * k`.
    fn one(self, acc: i32) -> Self::Out;
}

/// `clamp(acc >> 22, 0, 255)`: the byte Pillow writes.
#[derive(Clone, Copy)]
pub(crate) struct ToByte;

impl Finish for ToByte {
    type Out = u8;
    #[inline(always)]
    fn one(self, acc: i32) -> u8 {
        (acc >> PRECISION_BITS).clamp(0, 255) as u8
    }
}

/// `acc >= bound`, which is `byte > t` for `bound = (t + 1) << 22`, `0 <= t < 255`.
#[derive(Clone, Copy)]
pub(crate) struct AtLeast(pub(crate) i32);

impl Finish for AtLeast {
    type Out = bool;
    #[inline(always)]
    fn one(self, acc: i32) -> bool {
        acc >= self.0
    }
}

/// One horizontal pass: each row of `src` (`in_w` wide) to a row of `out`.
#[inline(always)]
pub(crate) fn horizontal<F: Finish>(
    src: &[u8],
    in_w: usize,
    table: &AxisTable,
    out: &mut [F::Out],
    finish: F,
) {
    match table.taps {
        1 => horizontal_fixed::<F, 1>(src, in_w, table, out, finish),
        2 => horizontal_fixed::<F, 2>(src, in_w, table, out, finish),
        3 => horizontal_fixed::<F, 3>(src, in_w, table, out, finish),
        4 => horizontal_fixed::<F, 4>(src, in_w, table, out, finish),
        _ => horizontal_any(src, in_w, table, out, finish),
    }
}

/// The horizontal pass with `K` taps known at compile time.
#[inline(always)]
fn horizontal_fixed<F: Finish, const K: usize>(
    src: &[u8],
    in_w: usize,
    table: &AxisTable,
    out: &mut [F::Out],
    finish: F,
) {
    let out_w = table.starts.len();
    for (row, out_row) in src.chunks_exact(in_w).zip(out.chunks_exact_mut(out_w)) {
        for ((o, &start), k) in out_row
            .iter_mut()
            .zip(&table.starts)
            .zip(table.weights.chunks_exact(K))
        {
            let mut acc = HALF;
            if let Some(px) = row.get(start..start + K) {
                for (&p, &w) in px.iter().zip(k) {
                    acc += i32::from(p) * w;
                }
            }
            *o = finish.one(acc);
        }
    }
}

/// One output of a horizontal pass with any number of taps.
#[inline(always)]
pub(crate) fn dot(row: &[u8], start: usize, k: &[i32]) -> i32 {
    let px = row.get(start..start + k.len()).unwrap_or_default();
    px.iter()
        .zip(k)
        .fold(HALF, |acc, (&p, &w)| acc + i32::from(p) * w)
}

#[inline(always)]
fn horizontal_any<F: Finish>(
    src: &[u8],
    in_w: usize,
    table: &AxisTable,
    out: &mut [F::Out],
    finish: F,
) {
    let out_w = table.starts.len();
    for (row, out_row) in src.chunks_exact(in_w).zip(out.chunks_exact_mut(out_w)) {
        for ((o, &start), k) in out_row
            .iter_mut()
            .zip(&table.starts)
            .zip(table.weights.chunks_exact(table.taps))
        {
            *o = finish.one(dot(row, start, k));
        }
    }
}

/// One vertical pass: rows of `src` (`width` wide) to rows of `out`.
#[inline(always)]
pub(crate) fn vertical<F: Finish>(
    src: &[u8],
    width: usize,
    table: &AxisTable,
    out: &mut [F::Out],
    finish: F,
) {
    let taps = table.taps;
    let row = |y: usize| src.get(y * width..(y + 1) * width).unwrap_or_default();
    let mut acc = vec![0i32; if taps > 2 { width } else { 0 }];
    for ((out_row, &start), k) in out
        .chunks_exact_mut(width)
        .zip(&table.starts)
        .zip(table.weights.chunks_exact(taps))
    {
        match *k {
            [k0] => {
                for (o, &a) in out_row.iter_mut().zip(row(start)) {
                    *o = finish.one(HALF + i32::from(a) * k0);
                }
            }
            [k0, k1] => {
                for ((o, &a), &b) in out_row.iter_mut().zip(row(start)).zip(row(start + 1)) {
                    *o = finish.one(HALF + i32::from(a) * k0 + i32::from(b) * k1);
                }
            }
            _ => {
                // Accumulate a row at a time so that each step is one long
                // vectorisable loop over contiguous bytes.
                acc.fill(HALF);
                for (t, &kt) in k.iter().enumerate() {
                    if kt == 0 {
                        continue;
                    }
                    for (a, &p) in acc.iter_mut().zip(row(start + t)) {
                        *a += i32::from(p) * kt;
                    }
                }
                for (o, &a) in out_row.iter_mut().zip(&acc) {
                    *o = finish.one(a);
                }
            }
        }
    }
}
