//! COCO RLE straight from a packed row-major mask, touching only where it switches.
//!
//! # Theory of operation
//!
//! COCO counts run down the columns of the frame, but the mask arrives row by
//! row. Reading it pixel by pixel down each column is a strided walk over
//! every pixel; instead the mask is read as packed rows ([`BitMask`]) and the
//! only places that matter are found directly: pixel (y, x) starts or ends a
//! run exactly when it differs from pixel (y - 1, x), i.e. where bit x of
//! `row[y] ^ row[y - 1]` is set (rows above and below the box count as off).
//! Masks are smooth, so a column switches about twice and almost every XOR
//! word is zero.
//!
//! The box is handled in strips of 64 columns (one word of each row): the
//! strip's switches are collected row by row straight into one small bucket
//! per column (rows arrive in order, so each bucket is sorted as filled; no
//! sort is needed), and then each column's switch rows pair up into on runs
//! `[on, off)` at known positions of the frame's column-major order. A strip
//! with a column of more switches than a bucket holds (a noisy mask) is
//! walked again and its switches sorted by column with a counting sort. Off runs are the gaps between
//! on runs; an on run that starts where the previous one ended (a column whose
//! run reaches the frame's bottom row followed by one that starts at its top)
//! is merged, as pycocotools' encoder would.

use crate::bitmask::BitMask;
use crate::error::KernelResult;
use crate::paste::{clip, BoxMask};

use super::frame_pixels;

/// Switches kept per column of a strip before it falls back to sorting.
const SLOTS: usize = 8;

/// Buffers reused from one mask to the next.
#[derive(Debug, Default)]
pub struct Scratch {
    /// The current strip's switches as `(column in the strip, row)`.
    switches: Vec<(u8, u32)>,
    /// The same, sorted by column: rows only.
    sorted: Vec<u32>,
}

/// One strip's switch rows, column by column, in row order: up to [`SLOTS`]
/// per column (a mask's column switches about twice).
struct Buckets {
    rows: [[u32; SLOTS]; 64],
    len: [u8; 64],
}

impl Buckets {
    /// Collect the switches of the strip's column bits `keep` of word `word`
    /// of each row; `false` when a column has more than [`SLOTS`].
    fn collect(&mut self, rows: &[u64], stride: usize, word: usize, keep: u64) -> bool {
        self.len = [0; 64];
        let mut above = 0u64;
        let mut dy = 0u32;
        let mut full = false;
        let mut put =
            |changed: u64, dy: u32, len: &mut [u8; 64], slots: &mut [[u32; SLOTS]; 64]| {
                let mut changed = changed;
                while changed != 0 {
                    let bit = changed.trailing_zeros() as usize & 63;
                    let n = usize::from(len[bit]);
                    match slots[bit].get_mut(n) {
                        Some(slot) => {
                            *slot = dy;
                            len[bit] += 1;
                        }
                        None => full = true,
                    }
                    changed &= changed - 1;
                }
            };
        // `chunks_exact` rather than `step_by`: a plain strided loop.
        for row in rows.chunks_exact(stride.max(1)) {
            let here = row.get(word).map_or(0, |&w| w & keep);
            if here != above {
                put(here ^ above, dy, &mut self.len, &mut self.rows);
                above = here;
            }
            dy += 1;
        }
        // The row after the last is off, as are rows not pushed yet.
        put(above, dy, &mut self.len, &mut self.rows);
        !full
    }
}

/// Counts built from on runs given in increasing order.
struct OnRuns {
    counts: Vec<u32>,
    /// Where the last on run ended (0 before any).
    end: u64,
}

impl OnRuns {
    #[inline]
    fn push(&mut self, start: u64, stop: u64) {
        // Frames hold at most u32::MAX pixels (frame_pixels), so every count fits.
        match self.counts.last_mut() {
            Some(last) if start == self.end => *last += (stop - start) as u32,
            _ => {
                self.counts.push((start - self.end) as u32);
                self.counts.push((stop - start) as u32);
            }
        }
        self.end = stop;
    }

    fn finish(mut self, pixels: u64) -> Vec<u32> {
        if self.counts.is_empty() || self.end < pixels {
            self.counts.push((pixels - self.end) as u32);
        }
        self.counts
    }
}

/// The COCO RLE counts of `mask`, its top-left pixel at frame column `x0`,
/// row `y0`, pasted into an empty `height x width` frame (clipped). Rows the
/// mask has not been given yet count as off.
pub fn encode_bits(
    mask: &BitMask,
    x0: i64,
    y0: i64,
    height: usize,
    width: usize,
    scratch: &mut Scratch,
) -> KernelResult<Vec<u32>> {
    let pixels = frame_pixels(height, width)?;
    let mut runs = OnRuns {
        counts: Vec::new(),
        end: 0,
    };
    // An all-on mask of the box's shape tells which frame pixels the box covers.
    let probe = BoxMask {
        data: &[],
        height: mask.height(),
        width: mask.width(),
        x0,
        y0,
    };
    let Some(c) = clip(&probe, height, width) else {
        return Ok(runs.finish(pixels));
    };
    let frame_h = height as u64;
    let (first_col, end_col) = (c.mask_x, c.mask_x + c.width);
    let stride = mask.stride();
    let rows = mask.rows_words(c.mask_y, c.height);
    // A column switches about twice: one on run, two counts.
    runs.counts.reserve(2 * c.width + 1);
    let mut buckets = Buckets {
        rows: [[0; SLOTS]; 64],
        len: [0; 64],
    };
    for word in first_col / 64..end_col.div_ceil(64) {
        // The strip's columns inside the clip, as a bit mask of the word.
        let lo = (word * 64).max(first_col) - word * 64;
        let hi = (word * 64 + 64).min(end_col) - word * 64;
        let keep = (u64::MAX >> (64 - (hi - lo))) << lo;
        let top = c.frame_y as u64;
        // `bit >= lo`, so the column is inside the clip.
        let frame_col = |bit: usize| (c.frame_x + (word * 64 + bit - first_col)) as u64;
        if buckets.collect(rows, stride, word, keep) {
            for bit in lo..hi {
                let base = frame_col(bit) * frame_h + top;
                let n = usize::from(buckets.len[bit]);
                for pair in buckets.rows[bit][..n.min(SLOTS)].chunks_exact(2) {
                    runs.push(base + u64::from(pair[0]), base + u64::from(pair[1]));
                }
            }
        } else {
            let ends = sorted_strip(rows, stride, word, keep, scratch);
            let mut begin = 0usize;
            for (bit, &end) in ends.iter().enumerate().take(hi).skip(lo) {
                let end = end as usize;
                let base = frame_col(bit) * frame_h + top;
                let column = scratch.sorted.get(begin..end).unwrap_or(&[]);
                for pair in column.chunks_exact(2) {
                    runs.push(base + u64::from(pair[0]), base + u64::from(pair[1]));
                }
                begin = end;
            }
        }
    }
    Ok(runs.finish(pixels))
}

/// A strip with a column of more than [`SLOTS`] switches: its switches
/// gathered row by row, then sorted by column with a counting sort (stable, so
/// each column's rows stay in order). Column `b`'s rows end up in
/// `scratch.sorted[ends[b - 1]..ends[b]]`, `ends` being the value returned.
fn sorted_strip(
    rows: &[u64],
    stride: usize,
    word: usize,
    keep: u64,
    scratch: &mut Scratch,
) -> [u32; 64] {
    scratch.switches.clear();
    let mut above = 0u64;
    let mut dy = 0u32;
    for here in rows.iter().skip(word).step_by(stride.max(1)) {
        let here = here & keep;
        let mut changed = here ^ above;
        while changed != 0 {
            scratch.switches.push((changed.trailing_zeros() as u8, dy));
            changed &= changed - 1;
        }
        above = here;
        dy += 1;
    }
    let mut changed = above;
    while changed != 0 {
        scratch.switches.push((changed.trailing_zeros() as u8, dy));
        changed &= changed - 1;
    }
    let mut ends = [0u32; 64];
    for &(bit, _) in &scratch.switches {
        ends[usize::from(bit) & 63] += 1;
    }
    let mut total = 0;
    let mut starts = [0u32; 64];
    for (start, end) in starts.iter_mut().zip(ends.iter_mut()) {
        *start = total;
        total += *end;
        *end = total;
    }
    scratch.sorted.clear();
    scratch.sorted.resize(scratch.switches.len(), 0);
    for &(bit, dy) in &scratch.switches {
        let slot = &mut starts[usize::from(bit) & 63];
        if let Some(s) = scratch.sorted.get_mut(*slot as usize) {
            *s = dy;
        }
        *slot += 1;
    }
    ends
}
