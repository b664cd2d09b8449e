//! COCO run-length encoding (SPEC M6), straight from box-local masks.
//!
//! # Theory of operation
//!
//! A COCO RLE describes a `height x width` frame read column by column
//! (Fortran order) as alternating runs of off and on pixels, starting with an
//! off run that may be empty. pycocotools' `mask.encode` needs the whole frame;
//! here a box-local mask plus its offset is enough: the columns left and right
//! of the box and the rows above and below it are whole off runs, added as
//! numbers, so the work is proportional to the box, not the frame. Decoding
//! walks the on runs and writes only the ones that cross the requested box.
//!
//! The compressed string form is pycocotools' own: each count after the second
//! is stored as the difference from the count two before it, written as
//! little-endian groups of 5 bits, one character (`48 + group`) each, with bit
//! `0x20` meaning "more groups follow" and bit `0x10` of the last group the
//! sign. [`from_string`] refuses what pycocotools would misread (a character
//! out of range, a number cut short, a count below zero or above `u32`).
//!
//! [`bbox`] and [`iou`] reproduce pycocotools' `rleToBbox`, `bbIou` and
//! `rleIou` operation for operation, including their conventions: boxes are
//! `[x, y, w, h]` doubles, a crowd ground truth divides by the detection's area,
//! masks of different sizes whose boxes overlap give -1.

use rayon::prelude::*;

mod columns;

pub use columns::{encode_bits, Scratch};

use crate::alloc;
use crate::bitmask::BitMask;
use crate::error::{KernelError, KernelResult};
use crate::paste::{clip, BoxMask};

/// A COCO RLE borrowed from the caller: `counts` of a `height x width` frame.
#[derive(Debug, Clone, Copy)]
pub struct Rle<'a> {
    pub counts: &'a [u32],
    pub height: usize,
    pub width: usize,
}

impl<'a> Rle<'a> {
    /// Check that the runs cover the frame exactly.
    pub fn new(counts: &'a [u32], height: usize, width: usize) -> KernelResult<Self> {
        let total: u64 = counts.iter().map(|&c| u64::from(c)).sum();
        let pixels = frame_pixels(height, width)?;
        if total != pixels {
            return Err(KernelError::Rle(format!(
                "RLE counts sum to {total}, but a {height}x{width} frame has {pixels} pixels"
            )));
        }
        Ok(Rle {
            counts,
            height,
            width,
        })
    }
}

/// `height * width`, refusing frames whose pixel count does not fit pycocotools' `uint`.
pub fn frame_pixels(height: usize, width: usize) -> KernelResult<u64> {
    let pixels = (height as u128) * (width as u128);
    if pixels > u128::from(u32::MAX) {
        return Err(KernelError::InvalidArgument(format!(
            "a {height}x{width} frame has more pixels than COCO RLE counts can hold (2**32 - 1)"
        )));
    }
    Ok(pixels as u64)
}

/// The COCO RLE counts of `mask` pasted into an empty `height x width` frame
/// (clipped), equal to pycocotools' `encode` of that frame.
pub fn encode(mask: &BoxMask<'_>, height: usize, width: usize) -> KernelResult<Vec<u32>> {
    let packed = BitMask::from_bools(mask.data, mask.height, mask.width)?;
    encode_bits(
        &packed,
        mask.x0,
        mask.y0,
        height,
        width,
        &mut Scratch::default(),
    )
}

/// Decode the part of `rle` inside the box of `box_height x box_width` at
/// (`x0`, `y0`) into a row-major box-local mask; pixels outside the frame are off.
pub fn decode_box(
    rle: &Rle<'_>,
    x0: i64,
    y0: i64,
    box_height: usize,
    box_width: usize,
) -> KernelResult<Vec<bool>> {
    let mut out = alloc::zeroed_dims(&[box_height, box_width], "the decoded mask")?;
    // An all-on mask of the box's shape tells which frame pixels the box covers.
    let probe = BoxMask {
        data: &[],
        height: box_height,
        width: box_width,
        x0,
        y0,
    };
    let Some(c) = clip(&probe, rle.height, rle.width) else {
        return Ok(out);
    };
    let h = rle.height as u64;
    // The box's columns, as a range of Fortran-order frame indices.
    let first = c.frame_x as u64 * h;
    let last = (c.frame_x + c.width) as u64 * h;
    let (row_lo, row_hi) = (c.frame_y as u64, (c.frame_y + c.height) as u64);
    let mut start = 0u64;
    for (i, &n) in rle.counts.iter().enumerate() {
        let end = start + u64::from(n);
        if i % 2 == 1 && end > first && start < last {
            let mut p = start.max(first);
            let stop = end.min(last);
            while p < stop {
                let (x, y) = (p / h, p % h);
                let column_end = (x + 1) * h;
                let (lo, hi) = (y.max(row_lo), (stop.min(column_end) - x * h).min(row_hi));
                let bx = (x as usize - c.frame_x) + c.mask_x;
                for fy in lo..hi {
                    let by = (fy as usize - c.frame_y) + c.mask_y;
                    out[by * box_width + bx] = true;
                }
                p = column_end;
            }
        }
        start = end;
        if start >= last {
            break;
        }
    }
    Ok(out)
}

/// Decode `rle` into a row-major `height x width` frame.
pub fn decode(rle: &Rle<'_>) -> KernelResult<Vec<bool>> {
    decode_box(rle, 0, 0, rle.height, rle.width)
}

/// The compressed form of `counts` (pycocotools' `rleToString`).
pub fn to_string(counts: &[u32]) -> Vec<u8> {
    let mut s = Vec::with_capacity(counts.len() * 2);
    for (i, &n) in counts.iter().enumerate() {
        let mut x = i64::from(n);
        if i > 2 {
            x -= i64::from(counts[i - 2]);
        }
        loop {
            let mut c = (x & 0x1f) as u8;
            x >>= 5;
            let more = if c & 0x10 != 0 { x != -1 } else { x != 0 };
            if more {
                c |= 0x20;
            }
            s.push(c + 48);
            if !more {
                break;
            }
        }
    }
    s
}

/// Parse the compressed form (pycocotools' `rleFrString`), refusing malformed text.
pub fn from_string(s: &[u8]) -> KernelResult<Vec<u32>> {
    let mut counts: Vec<u32> = Vec::with_capacity(s.len());
    let mut p = 0;
    while p < s.len() {
        let begin = p;
        let mut x: i64 = 0;
        let mut k = 0u32;
        loop {
            let Some(&byte) = s.get(p) else {
                return Err(KernelError::Rle(format!(
                    "RLE string ends inside a number (at character {begin})"
                )));
            };
            if !(48..48 + 64).contains(&byte) {
                return Err(KernelError::Rle(format!(
                    "RLE string has character {:?} at {p}; only '0'..'o' are allowed",
                    char::from(byte)
                )));
            }
            if k >= 12 {
                return Err(KernelError::Rle(format!(
                    "RLE string has a number too long at character {begin}"
                )));
            }
            let c = i64::from(byte - 48);
            x |= (c & 0x1f) << (5 * k);
            p += 1;
            k += 1;
            if c & 0x20 == 0 {
                if c & 0x10 != 0 {
                    x |= -1i64 << (5 * k);
                }
                break;
            }
        }
        let m = counts.len();
        if m > 2 {
            x += i64::from(counts[m - 2]);
        }
        let count = u32::try_from(x).map_err(|_| {
            KernelError::Rle(format!(
                "RLE string gives count {m} the value {x}, outside 0..2**32"
            ))
        })?;
        counts.push(count);
    }
    Ok(counts)
}

/// The number of on pixels.
pub fn area(counts: &[u32]) -> u64 {
    counts
        .iter()
        .skip(1)
        .step_by(2)
        .map(|&c| u64::from(c))
        .sum()
}

/// pycocotools' `rleToBbox`: `[x, y, w, h]` of the on pixels, zeros if none.
pub fn bbox(rle: &Rle<'_>) -> [f64; 4] {
    let (h, w) = (rle.height as u32, rle.width as u32);
    let m = rle.counts.len() / 2 * 2;
    if m == 0 || h == 0 {
        return [0.0; 4];
    }
    let (mut xs, mut ys, mut xe, mut ye) = (w, h, 0u32, 0u32);
    let (mut cc, mut xp) = (0u32, 0u32);
    for (j, &n) in rle.counts[..m].iter().enumerate() {
        // Wrapping, as pycocotools' unsigned ints do on degenerate input.
        cc = cc.wrapping_add(n);
        let t = cc.wrapping_sub((j % 2) as u32);
        let y = t % h;
        let x = (t - y) / h;
        if j % 2 == 0 {
            xp = x;
        } else if xp < x {
            // The run crosses a column boundary: it touches the first and last row.
            ys = 0;
            ye = h - 1;
        }
        xs = xs.min(x);
        xe = xe.max(x);
        ys = ys.min(y);
        ye = ye.max(y);
    }
    [
        f64::from(xs),
        f64::from(ys),
        f64::from(xe) - f64::from(xs) + 1.0,
        f64::from(ye) - f64::from(ys) + 1.0,
    ]
}

/// `[x, y, w, h]` of the on pixels of `mask` inside a `height x width` frame,
/// equal to [`bbox`] of its [`encode`]; zeros if none.
pub fn mask_bbox(mask: &BoxMask<'_>, height: usize, width: usize) -> [f64; 4] {
    let Some(c) = clip(mask, height, width) else {
        return [0.0; 4];
    };
    let (mut xs, mut ys, mut xe, mut ye) = (usize::MAX, usize::MAX, 0, 0);
    for dy in 0..c.height {
        let start = (c.mask_y + dy) * mask.width + c.mask_x;
        let row = &mask.data[start..start + c.width];
        if let (Some(a), Some(b)) = (row.iter().position(|&v| v), row.iter().rposition(|&v| v)) {
            ys = ys.min(dy);
            ye = dy;
            xs = xs.min(a);
            xe = xe.max(b);
        }
    }
    if ys == usize::MAX {
        return [0.0; 4];
    }
    [
        (c.frame_x + xs) as f64,
        (c.frame_y + ys) as f64,
        (xe - xs + 1) as f64,
        (ye - ys + 1) as f64,
    ]
}

/// pycocotools' `bbIou` for one pair: `d` a detection, `g` a ground truth.
pub(crate) fn box_pair_iou(d: &[f64; 4], g: &[f64; 4], crowd: bool) -> f64 {
    let w = (d[2] + d[0]).min(g[2] + g[0]) - d[0].max(g[0]);
    if w <= 0.0 {
        return 0.0;
    }
    let h = (d[3] + d[1]).min(g[3] + g[1]) - d[1].max(g[1]);
    if h <= 0.0 {
        return 0.0;
    }
    let i = w * h;
    let da = d[2] * d[3];
    let u = if crowd { da } else { da + g[2] * g[3] - i };
    i / u
}

/// Check that `iscrowd` is empty (no crowds) or has one flag per ground truth.
fn crowd_flags(iscrowd: &[bool], n: usize) -> KernelResult<impl Fn(usize) -> bool + '_> {
    if !iscrowd.is_empty() && iscrowd.len() != n {
        return Err(KernelError::InvalidArgument(format!(
            "iscrowd has {} flags for {n} ground truths",
            iscrowd.len()
        )));
    }
    Ok(move |g: usize| iscrowd.get(g).copied().unwrap_or(false))
}

/// IoU of every detection box with every ground-truth box (`[x, y, w, h]`),
/// row-major `dt.len() x gt.len()`, as pycocotools' `iou` on boxes.
pub fn box_iou(dt: &[[f64; 4]], gt: &[[f64; 4]], iscrowd: &[bool]) -> KernelResult<Vec<f64>> {
    let crowd = crowd_flags(iscrowd, gt.len())?;
    let mut out = alloc::with_capacity(dt.len().saturating_mul(gt.len()), "the IoU matrix")?;
    for d in dt {
        for (g, gbox) in gt.iter().enumerate() {
            out.push(box_pair_iou(d, gbox, crowd(g)));
        }
    }
    Ok(out)
}

/// Pixels on in both and on in either, by pycocotools' `rleIou` walk, step
/// for step.
///
/// The walk takes at most one new run per side per step and stops as soon as
/// the current runs of both sides are empty at once. On canonical counts
/// (no zero-length run after the first) that is the end of both lists; on
/// counts with zero-length runs inside both it can be earlier, and the
/// intersection and union are then pycocotools' partial ones (which its IoU
/// reports, so ours does too).
pub(crate) fn intersection_union(a: &[u32], b: &[u32]) -> (u64, u64) {
    let (Some(&a0), Some(&b0)) = (a.first(), b.first()) else {
        return (0, 0);
    };
    let (mut ca, mut cb) = (a0, b0);
    let (mut ia, mut ib) = (1usize, 1usize);
    let (mut va, mut vb) = (false, false);
    let (mut inter, mut union) = (0u64, 0u64);
    // pycocotools' `ct` is an unsigned int: the sum wraps as there.
    let mut ct: u32 = 1;
    while ct > 0 {
        let c = ca.min(cb);
        if va || vb {
            union += u64::from(c);
            if va && vb {
                inter += u64::from(c);
            }
        }
        ca -= c;
        let refill_a = ca == 0 && ia < a.len();
        if refill_a {
            ca = a[ia];
            ia += 1;
            va = !va;
        }
        cb -= c;
        let refill_b = cb == 0 && ib < b.len();
        if refill_b {
            cb = b[ib];
            ib += 1;
            vb = !vb;
        }
        if c == 0 && !refill_a && !refill_b {
            // Lists of different sums (pycocotools would spin here forever;
            // callers check the sums, so this is unreachable for them).
            break;
        }
        ct = ca.wrapping_add(cb);
    }
    (inter, union)
}

/// IoU of every detection mask with every ground-truth mask, row-major
/// `dt.len() x gt.len()`, as pycocotools' `iou` on RLEs (spread over threads).
pub fn iou(dt: &[Rle<'_>], gt: &[Rle<'_>], iscrowd: &[bool]) -> KernelResult<Vec<f64>> {
    let crowd = crowd_flags(iscrowd, gt.len())?;
    let dt_boxes: Vec<[f64; 4]> = dt.iter().map(bbox).collect();
    let gt_boxes: Vec<[f64; 4]> = gt.iter().map(bbox).collect();
    let mut out = alloc::zeroed(dt.len().saturating_mul(gt.len()), "the IoU matrix")?;
    if gt.is_empty() {
        return Ok(out);
    }
    out.par_chunks_mut(gt.len())
        .zip(dt.par_iter().zip(&dt_boxes))
        .for_each(|(row, (d, dbox))| {
            for (g, (slot, (gr, gbox))) in row.iter_mut().zip(gt.iter().zip(&gt_boxes)).enumerate()
            {
                let is_crowd = crowd(g);
                if box_pair_iou(dbox, gbox, is_crowd) <= 0.0 {
                    continue;
                }
                if d.height != gr.height || d.width != gr.width {
                    *slot = -1.0;
                    continue;
                }
                let (i, mut u) = intersection_union(d.counts, gr.counts);
                if i == 0 {
                    u = 1;
                } else if is_crowd {
                    u = area(d.counts);
                }
                *slot = i as f64 / u as f64;
            }
        });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: bool = true;
    const F: bool = false;

    /// Builds counts from runs pushed in order, merging equal neighbours (the
    /// references' run builder).
    struct Runs {
        counts: Vec<u32>,
        value: bool,
        run: u64,
    }

    impl Runs {
        fn new() -> Runs {
            Runs {
                counts: Vec::new(),
                value: false,
                run: 0,
            }
        }

        #[inline]
        fn push(&mut self, value: bool, n: u64) {
            if n == 0 {
                return;
            }
            if value != self.value {
                // Runs never exceed the frame, which fits u32 (frame_pixels).
                self.counts.push(self.run as u32);
                self.value = value;
                self.run = 0;
            }
            self.run += n;
        }

        fn finish(mut self) -> Vec<u32> {
            self.counts.push(self.run as u32);
            self.counts
        }
    }

    /// The former per-pixel encoder, kept as a reference: the COCO RLE counts of `mask` pasted into an empty `height x width` frame
    /// (clipped), equal to pycocotools' `encode` of that frame.
    fn encode_per_pixel(mask: &BoxMask<'_>, height: usize, width: usize) -> KernelResult<Vec<u32>> {
        let pixels = frame_pixels(height, width)?;
        let mut runs = Runs::new();
        let Some(c) = clip(mask, height, width) else {
            runs.push(false, pixels);
            return Ok(runs.finish());
        };
        let h = height as u64;
        runs.push(false, c.frame_x as u64 * h);
        let below = (height - c.frame_y - c.height) as u64;
        for dx in 0..c.width {
            runs.push(false, c.frame_y as u64);
            let column = c.mask_x + dx;
            for dy in 0..c.height {
                runs.push(mask.data[(c.mask_y + dy) * mask.width + column], 1);
            }
            runs.push(false, below);
        }
        runs.push(false, (width - c.frame_x - c.width) as u64 * h);
        Ok(runs.finish())
    }

    /// The reference: encode a whole row-major frame column by column.
    fn encode_frame(frame: &[bool], h: usize, w: usize) -> Vec<u32> {
        let mut runs = Runs::new();
        for x in 0..w {
            for y in 0..h {
                runs.push(frame[y * w + x], 1);
            }
        }
        runs.finish()
    }

    #[test]
    fn intersection_union_walks_as_pycocotools() {
        assert_eq!(intersection_union(&[0, 4], &[0, 4]), (4, 4));
        assert_eq!(intersection_union(&[1, 0, 0, 3], &[0, 4]), (3, 4));
        // Both sides at an empty run at once: pycocotools' walk stops there.
        assert_eq!(intersection_union(&[0, 0, 0, 4], &[0, 0, 0, 4]), (0, 0));
        assert_eq!(intersection_union(&[2, 0, 1, 1], &[2, 0, 0, 2]), (0, 0));
        assert_eq!(intersection_union(&[0, 0, 0, 4], &[0, 4]), (4, 4));
        assert_eq!(intersection_union(&[4], &[3]), (0, 0));
    }

    #[test]
    fn encode_matches_the_whole_frame_encoding() {
        // A 2x3 mask at several offsets, some partly outside a 4x5 frame.
        let data = [T, F, T, T, T, F];
        for (x0, y0) in [(0, 0), (1, 1), (-1, 2), (3, -1), (2, 3), (9, 9), (-5, 0)] {
            let m = BoxMask::new(&data, 2, 3, x0, y0).unwrap();
            let mut frame = vec![F; 20];
            crate::paste::paste_into(&mut frame, 4, 5, &m).unwrap();
            assert_eq!(
                encode(&m, 4, 5).unwrap(),
                encode_frame(&frame, 4, 5),
                "{x0},{y0}"
            );
            let counts = encode(&m, 4, 5).unwrap();
            let rle = Rle::new(&counts, 4, 5).unwrap();
            assert_eq!(decode(&rle).unwrap(), frame);
            assert_eq!(decode_box(&rle, x0, y0, 2, 3).unwrap().len(), 6);
        }
    }

    /// Random smooth masks (a disc, a few runs per column), noise, all-on
    /// and all-off, at offsets inside, across every edge and outside the frame.
    #[test]
    fn packed_encoder_equals_the_per_pixel_one() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n.max(1)) as usize
        };
        for case in 0..3000 {
            let (bh, bw) = (1 + next(if case % 7 == 0 { 3 } else { 150 }), 1 + next(200));
            let (fh, fw) = (1 + next(160), 1 + next(220));
            let (cy, cx, r) = (next(bh as u64), next(bw as u64), 1 + next(90));
            let data: Vec<bool> = (0..bh * bw)
                .map(|p| match case % 6 {
                    0 => next(2) == 1,
                    1 => true,
                    2 => false,
                    _ => {
                        let (y, x) = ((p / bw) as i64 - cy as i64, (p % bw) as i64 - cx as i64);
                        y * y + x * x < (r * r) as i64
                    }
                })
                .collect();
            let x0 = next(fw as u64 + bw as u64 + 20) as i64 - bw as i64 - 10;
            let y0 = next(fh as u64 + bh as u64 + 20) as i64 - bh as i64 - 10;
            let m = BoxMask::new(&data, bh, bw, x0, y0).unwrap();
            let expected = encode_per_pixel(&m, fh, fw).unwrap();
            assert_eq!(encode(&m, fh, fw).unwrap(), expected, "case {case}");
            if case % 10 == 0 {
                let mut frame = vec![F; fh * fw];
                crate::paste::paste_into(&mut frame, fh, fw, &m).unwrap();
                assert_eq!(encode_frame(&frame, fh, fw), expected, "case {case}");
            }
        }
        // Empty frames and boxes give one off run.
        let m = BoxMask::new(&[], 0, 4, 0, 0).unwrap();
        assert_eq!(encode(&m, 3, 2).unwrap(), vec![6]);
        assert_eq!(
            encode(&BoxMask::new(&[T], 1, 1, 0, 0).unwrap(), 0, 3).unwrap(),
            vec![0]
        );
        // A one-pixel box in each corner of a 1x1 and a 2x2 frame.
        assert_eq!(
            encode(&BoxMask::new(&[T], 1, 1, 0, 0).unwrap(), 1, 1).unwrap(),
            vec![0, 1]
        );
        assert_eq!(
            encode(&BoxMask::new(&[T], 1, 1, 1, 1).unwrap(), 2, 2).unwrap(),
            vec![3, 1]
        );
    }

    #[test]
    fn known_counts_from_pycocotools() {
        // pycocotools encodes this 3x4 frame (column 2 rows 1-2 and the pixel
        // at row 0, column 3 on) as b"732".
        let frame = [F, F, F, T, F, F, T, F, F, F, T, F];
        let counts = encode_frame(&frame, 3, 4);
        assert_eq!(counts, vec![7, 3, 2]);
        assert_eq!(to_string(&counts), b"732");
        assert_eq!(encode_frame(&[], 0, 5), vec![0]);
        assert_eq!(to_string(&[0]), b"0");
    }

    #[test]
    fn decode_box_reads_only_the_box() {
        let frame = [T, F, T, T, T, F, F, T, T];
        let counts = encode_frame(&frame, 3, 3);
        let rle = Rle::new(&counts, 3, 3).unwrap();
        assert_eq!(decode_box(&rle, 1, 1, 2, 2).unwrap(), vec![T, F, T, T]);
        // A box hanging off the top-left corner: outside pixels are off.
        assert_eq!(decode_box(&rle, -1, -1, 2, 2).unwrap(), vec![F, F, F, T]);
        assert_eq!(decode_box(&rle, 5, 5, 1, 1).unwrap(), vec![F]);
    }

    #[test]
    fn strings_round_trip_including_negative_deltas() {
        let counts = vec![0, 5, 100_000, 1, 3, 4_000_000_000, 0, 7];
        let s = to_string(&counts);
        assert!(s.iter().all(|c| (48..112).contains(c)));
        assert_eq!(from_string(&s).unwrap(), counts);
        assert_eq!(from_string(b"").unwrap(), Vec::<u32>::new());
    }

    #[test]
    fn malformed_strings_are_errors() {
        for bad in [&b"7 2"[..], b"\x00", b"p", b"P", b"ooooooooooooo", b"0P"] {
            assert!(
                matches!(from_string(bad), Err(KernelError::Rle(_))),
                "{bad:?}"
            );
        }
        // The third count is 0 + a delta of -1 -> negative.
        assert!(matches!(from_string(b"00O"), Err(KernelError::Rle(_))));
        assert!(Rle::new(&[1, 2], 2, 2).is_err());
    }

    #[test]
    fn bbox_area_and_mask_bbox_agree() {
        let data = [F, T, T, T];
        let m = BoxMask::new(&data, 2, 2, 1, 0).unwrap();
        let counts = encode(&m, 3, 4).unwrap();
        let rle = Rle::new(&counts, 3, 4).unwrap();
        assert_eq!(bbox(&rle), [1.0, 0.0, 2.0, 2.0]);
        assert_eq!(mask_bbox(&m, 3, 4), bbox(&rle));
        assert_eq!(area(&counts), 3);
        assert_eq!(bbox(&Rle::new(&[12], 3, 4).unwrap()), [0.0; 4]);
    }

    #[test]
    fn iou_follows_pycocotools_conventions() {
        // Values from pycocotools.mask.iou on the same inputs.
        let out = box_iou(
            &[[0.0, 0.0, 2.0, 2.0]],
            &[[1.0, 1.0, 2.0, 2.0], [0.0, 0.0, 1.0, 1.0]],
            &[F, T],
        )
        .unwrap();
        assert_eq!(out, vec![1.0 / 7.0, 0.25]);
        let a = [7u32, 3, 2];
        let all = [0u32, 12];
        let ra = Rle::new(&a, 3, 4).unwrap();
        let rb = Rle::new(&all, 3, 4).unwrap();
        assert_eq!(iou(&[ra], &[rb], &[]).unwrap(), vec![0.25]);
        assert_eq!(iou(&[ra], &[rb], &[T]).unwrap(), vec![1.0]);
        let other = [0u32, 15];
        let rc = Rle::new(&other, 3, 5).unwrap();
        assert_eq!(iou(&[ra], &[rc], &[]).unwrap(), vec![-1.0]);
        assert!(iou(&[ra], &[rb], &[T, T]).is_err());
    }
}
