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
//! strip's switches are collected row by row, sorted by column with a counting
//! sort over 64 buckets (stable, so each column's rows stay in order), and
//! then each column's switch rows pair up into on runs `[on, off)` at known
//! positions of the frame's column-major order. Off runs are the gaps between
//! on runs; an on run that starts where the previous one ended (a column whose
//! run reaches the frame's bottom row followed by one that starts at its top)
//! is merged, as pycocotools' encoder would.

use crate::bitmask::BitMask;
use crate::error::KernelResult;
use crate::paste::{clip, BoxMask};

use super::frame_pixels;

/// Buffers reused from one mask to the next.
#[derive(Debug, Default)]
pub struct Scratch {
    /// The current strip's switches as `(column in the strip, row)`.
    switches: Vec<(u8, u32)>,
    /// The same, sorted by column: rows only.
    sorted: Vec<u32>,
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
    for word in first_col / 64..end_col.div_ceil(64) {
        // The strip's columns inside the clip, as a bit mask of the word.
        let lo = (word * 64).max(first_col) - word * 64;
        let hi = (word * 64 + 64).min(end_col) - word * 64;
        let keep = (u64::MAX >> (64 - (hi - lo))) << lo;
        scratch.switches.clear();
        let mut above = 0u64;
        let mut dy = 0u32;
        for row in rows.chunks_exact(stride.max(1)) {
            let here = row.get(word).map_or(0, |&w| w & keep);
            let mut changed = here ^ above;
            while changed != 0 {
                scratch.switches.push((changed.trailing_zeros() as u8, dy));
                changed &= changed - 1;
            }
            above = here;
            dy += 1;
        }
        // The row after the last is off, as are rows not pushed yet.
        let mut changed = above;
        while changed != 0 {
            scratch.switches.push((changed.trailing_zeros() as u8, dy));
            changed &= changed - 1;
        }
        // Counting sort by column; `ends[b]` becomes the end of column b's rows.
        let mut ends = [0u32; 64];
        for &(bit, _) in &scratch.switches {
            ends[usize::from(bit)] += 1;
        }
        let mut total = 0;
        for slot in ends.iter_mut() {
            let n = *slot;
            *slot = total;
            total += n;
        }
        scratch.sorted.clear();
        scratch.sorted.resize(scratch.switches.len(), 0);
        for &(bit, dy) in &scratch.switches {
            let slot = &mut ends[usize::from(bit)];
            if let Some(s) = scratch.sorted.get_mut(*slot as usize) {
                *s = dy;
            }
            *slot += 1;
        }
        let mut begin = 0usize;
        for (bit, &end) in ends.iter().enumerate().take(hi).skip(lo) {
            let end = end as usize;
            let frame_col = (c.frame_x + (word * 64 + bit - first_col)) as u64;
            let base = frame_col * frame_h + c.frame_y as u64;
            let column = scratch.sorted.get(begin..end).unwrap_or(&[]);
            for pair in column.chunks_exact(2) {
                runs.push(base + u64::from(pair[0]), base + u64::from(pair[1]));
            }
            begin = end;
        }
    }
    Ok(runs.finish(pixels))
}
