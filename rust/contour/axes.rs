//! The per-axis tables of the fused kernel, built once per (input, output)
//! length on each thread.
//!
//! A batch resizes many masks of the same PNG size (the model's masks come in
//! a few sizes) to boxes of a few hundred distinct sizes, and building a table
//! in Pillow's double arithmetic costs more than thresholding a whole box
//! (a division per tap). So tables are kept per thread, keyed by the two
//! lengths, which determine them entirely: a cached table is the table.
//! The cache is bounded: when it would hold more than [`CACHE_LIMIT`] numbers
//! it is emptied and starts over.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use crate::resize::AxisTable;

/// The most numbers (starts, weights, bounds) kept per thread: a few MiB.
const CACHE_LIMIT: usize = 1 << 19;

/// One axis: its table; each output's *live* window, the inputs it gives a
/// non-zero weight (`live[i] = (first input, count)`: a table row is padded to
/// the common tap count with zero weights, and an input of weight zero cannot
/// move the output, so it does not make the window mixed); and for every input
/// index `c` (0..=in_len) the first output whose live window starts at or
/// after `c` (`first_from`) and the number of outputs whose live window ends
/// at or before `c` (`ended_by`). Live windows move right monotonically, as
/// the filter's support does.
#[derive(Debug)]
pub(super) struct Axis {
    pub table: AxisTable,
    pub live: Vec<(usize, usize)>,
    pub first_from: Vec<usize>,
    pub ended_by: Vec<usize>,
    /// When `taps <= MAX_LEVEL_TAPS`: for each output `k` and each pattern
    /// `p` of its taps (bit `d` of `p`: tap `d` reads 255, else 0),
    /// `levels[k << taps | p]` is the byte this pass writes, rounded and
    /// clamped as the pass does. Empty for more taps. A mask holding only 0
    /// and 255 (the model's) then passes through this axis by lookups.
    pub levels: Vec<u8>,
}

/// The most taps an axis has [`Axis::levels`] for (16 patterns an output).
pub(super) const MAX_LEVEL_TAPS: usize = 4;

/// [`Axis::levels`] of `table`.
fn levels(table: &AxisTable) -> Vec<u8> {
    let taps = table.taps;
    if taps > MAX_LEVEL_TAPS {
        return Vec::new();
    }
    let mut out = Vec::with_capacity(table.starts.len() << taps);
    for weights in table.weights.chunks_exact(taps.max(1)) {
        for pattern in 0..1usize << taps {
            let sum: i64 = weights
                .iter()
                .enumerate()
                .filter(|&(d, _)| pattern >> d & 1 == 1)
                .map(|(_, &k)| 255 * i64::from(k))
                .sum();
            // The pass's `clamp((2^21 + Σ px * k) >> 22, 0, 255)`.
            out.push(((sum + (1 << 21)) >> 22).clamp(0, 255) as u8);
        }
    }
    out
}

impl Axis {
    fn new(in_len: usize, out_len: usize) -> Axis {
        let table = AxisTable::new(in_len, out_len);
        let n = table.starts.len();
        let live: Vec<(usize, usize)> = table
            .starts
            .iter()
            .zip(table.weights.chunks_exact(table.taps.max(1)))
            .map(|(&start, weights)| {
                match (
                    weights.iter().position(|&k| k != 0),
                    weights.iter().rposition(|&k| k != 0),
                ) {
                    (Some(first), Some(last)) => (start + first, last + 1 - first),
                    // All zero (cannot happen for a bilinear table): the whole window.
                    _ => (start, table.taps),
                }
            })
            .collect();
        let mut first_from = vec![n; in_len + 1];
        let mut ended_by = vec![0; in_len + 1];
        let mut j = 0;
        for (c, slot) in first_from.iter_mut().enumerate() {
            while j < n && live[j].0 < c {
                j += 1;
            }
            *slot = j;
        }
        let mut j = 0;
        for (c, slot) in ended_by.iter_mut().enumerate() {
            while j < n && live[j].0 + live[j].1 <= c {
                j += 1;
            }
            *slot = j;
        }
        Axis {
            levels: levels(&table),
            table,
            live,
            first_from,
            ended_by,
        }
    }

    fn numbers(&self) -> usize {
        self.table.starts.len()
            + self.table.weights.len()
            + 2 * self.live.len()
            + self.first_from.len()
            + self.ended_by.len()
            + self.levels.len() / 8
    }
}

#[derive(Default)]
struct Cache {
    axes: HashMap<(usize, usize), Rc<Axis>>,
    numbers: usize,
}

thread_local! {
    static CACHE: RefCell<Cache> = RefCell::new(Cache::default());
}

/// The axis resizing `in_len` samples to `out_len` (both in `1..=MAX_SIDE`).
pub(super) fn axis(in_len: usize, out_len: usize) -> Rc<Axis> {
    let lookup = CACHE.try_with(|cache| {
        let mut cache = cache.try_borrow_mut().ok()?;
        if let Some(axis) = cache.axes.get(&(in_len, out_len)) {
            return Some(Rc::clone(axis));
        }
        let axis = Rc::new(Axis::new(in_len, out_len));
        let size = axis.numbers();
        if size <= CACHE_LIMIT {
            if cache.numbers + size > CACHE_LIMIT {
                cache.axes.clear();
                cache.numbers = 0;
            }
            cache.numbers += size;
            cache.axes.insert((in_len, out_len), Rc::clone(&axis));
        }
        Some(axis)
    });
    // No cache to be had (the thread is ending): build the axis afresh.
    lookup
        .ok()
        .flatten()
        .unwrap_or_else(|| Rc::new(Axis::new(in_len, out_len)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_axes_equal_fresh_ones() {
        for (n, m) in [(64, 150), (64, 150), (3, 1), (1, 7), (300, 64), (64, 150)] {
            let cached = axis(n, m);
            let fresh = Axis::new(n, m);
            assert_eq!(cached.table, fresh.table);
            assert_eq!(cached.first_from, fresh.first_from);
            assert_eq!(cached.live, fresh.live);
            assert_eq!(cached.ended_by, fresh.ended_by);
            assert_eq!(cached.levels, fresh.levels);
        }
        assert!(Rc::ptr_eq(&axis(64, 151), &axis(64, 151)));
    }

    #[test]
    fn the_cache_stays_bounded() {
        for m in 1..400 {
            let _ = axis(2000, m * 7);
        }
        let numbers = CACHE.with(|c| c.borrow().numbers);
        assert!(numbers <= CACHE_LIMIT, "{numbers}");
        // An axis too large to keep is still built.
        assert_eq!(axis(1, CACHE_LIMIT).table.starts.len(), CACHE_LIMIT);
    }
}
