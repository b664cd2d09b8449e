//! Box-local masks placed in a frame (SPEC M4): paste, union, label map and
//! full-frame masks.
//!
//! The model describes each mask inside its own pixel box, so a mask travels as
//! a small array plus the offset of its top-left corner ([`BoxMask`]). Boxes
//! may lie partly or wholly outside the frame (a hostile or sloppy answer, or a
//! frame smaller than the image the boxes were made for): every function clips
//! the box to the frame first ([`clip`]) and never reads or writes outside
//! either array. Offsets are `i64` and the clipping is done in `i128`, so no
//! offset can overflow.
//!
//! Pasting is a logical OR: the mask's on pixels turn the frame's pixels on,
//! its off pixels leave the frame as it was (a mask has a transparent
//! background). In a label map, later masks win where masks overlap, as later
//! layers are drawn on top in an overlay.

use crate::alloc;
use crate::error::{KernelError, KernelResult};

/// A row-major boolean mask of `height x width` whose top-left pixel sits at
/// column `x0`, row `y0` of a frame.
#[derive(Debug, Clone, Copy)]
pub struct BoxMask<'a> {
    /// `height * width` values, row by row.
    pub data: &'a [bool],
    /// Rows of the mask.
    pub height: usize,
    /// Columns of the mask.
    pub width: usize,
    /// Frame column of the mask's first column (may be negative).
    pub x0: i64,
    /// Frame row of the mask's first row (may be negative).
    pub y0: i64,
}

impl<'a> BoxMask<'a> {
    /// A mask view, refusing a `data` whose length is not `height * width`.
    pub fn new(
        data: &'a [bool],
        height: usize,
        width: usize,
        x0: i64,
        y0: i64,
    ) -> KernelResult<Self> {
        if height.checked_mul(width) != Some(data.len()) {
            return Err(KernelError::InvalidArgument(format!(
                "mask data has {} values, not height * width = {height} * {width}",
                data.len()
            )));
        }
        Ok(BoxMask {
            data,
            height,
            width,
            x0,
            y0,
        })
    }

    /// Row `y` of the mask (`y < height`).
    fn row(&self, y: usize) -> &'a [bool] {
        &self.data[y * self.width..(y + 1) * self.width]
    }
}

/// The part of a box that lies inside a frame, in frame and in mask coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clip {
    /// First frame column and row covered.
    pub frame_x: usize,
    pub frame_y: usize,
    /// The same pixel's column and row in the mask.
    pub mask_x: usize,
    pub mask_y: usize,
    /// Size of the covered rectangle (both at least 1).
    pub width: usize,
    pub height: usize,
}

/// Intersect one axis: the span `[start, start + len)` with `[0, limit)`.
///
/// Returns (first frame index, first mask index, length), or `None` if empty.
fn clip_axis(start: i64, len: usize, limit: usize) -> Option<(usize, usize, usize)> {
    let start = i128::from(start);
    let lo = start.max(0);
    let hi = (start + len as i128).min(limit as i128);
    if hi <= lo {
        return None;
    }
    // lo >= 0, hi <= limit and lo - start <= len: all fit in usize.
    let frame = usize::try_from(lo).ok()?;
    let mask = usize::try_from(lo - start).ok()?;
    let count = usize::try_from(hi - lo).ok()?;
    Some((frame, mask, count))
}

/// Where `mask` overlaps a `height x width` frame, or `None` if it misses it.
pub fn clip(mask: &BoxMask<'_>, height: usize, width: usize) -> Option<Clip> {
    let (frame_x, mask_x, w) = clip_axis(mask.x0, mask.width, width)?;
    let (frame_y, mask_y, h) = clip_axis(mask.y0, mask.height, height)?;
    Some(Clip {
        frame_x,
        frame_y,
        mask_x,
        mask_y,
        width: w,
        height: h,
    })
}

/// The number of pixels of a `height x width` frame, or an error on overflow.
pub fn frame_len(height: usize, width: usize) -> KernelResult<usize> {
    height.checked_mul(width).ok_or_else(|| {
        KernelError::InvalidArgument(format!("a {height}x{width} frame is too large"))
    })
}

/// Call `f(frame_index, mask_row_slice)` for each clipped row of `mask`.
fn for_each_row<'a>(
    mask: &BoxMask<'a>,
    height: usize,
    width: usize,
    mut f: impl FnMut(usize, &'a [bool]),
) {
    if let Some(c) = clip(mask, height, width) {
        for dy in 0..c.height {
            let src = &mask.row(c.mask_y + dy)[c.mask_x..c.mask_x + c.width];
            f((c.frame_y + dy) * width + c.frame_x, src);
        }
    }
}

/// OR `mask` into a row-major `height x width` frame, clipped to the frame.
pub fn paste_into(
    frame: &mut [bool],
    height: usize,
    width: usize,
    mask: &BoxMask<'_>,
) -> KernelResult<()> {
    if frame.len() != frame_len(height, width)? {
        return Err(KernelError::InvalidArgument(format!(
            "frame has {} values, not {height} * {width}",
            frame.len()
        )));
    }
    for_each_row(mask, height, width, |start, src| {
        for (dst, &on) in frame[start..start + src.len()].iter_mut().zip(src) {
            *dst |= on;
        }
    });
    Ok(())
}

/// The union of `masks` as a new `height x width` frame.
pub fn union(masks: &[BoxMask<'_>], height: usize, width: usize) -> KernelResult<Vec<bool>> {
    let mut frame = alloc::zeroed_dims(&[height, width], "the union frame")?;
    for mask in masks {
        paste_into(&mut frame, height, width, mask)?;
    }
    Ok(frame)
}

/// A `height x width` map holding `i + 1` where mask `i` is on and 0 where no
/// mask is; where masks overlap, the later one wins.
pub fn label_map(masks: &[BoxMask<'_>], height: usize, width: usize) -> KernelResult<Vec<i32>> {
    if i32::try_from(masks.len()).is_err() {
        return Err(KernelError::InvalidArgument(format!(
            "{} masks do not fit an int32 label map",
            masks.len()
        )));
    }
    let mut labels = alloc::zeroed_dims(&[height, width], "the label map")?;
    for (i, mask) in masks.iter().enumerate() {
        // Fits: masks.len() <= i32::MAX was checked above.
        let label = i as i32 + 1;
        for_each_row(mask, height, width, |start, src| {
            for (dst, &on) in labels[start..start + src.len()].iter_mut().zip(src) {
                if on {
                    *dst = label;
                }
            }
        });
    }
    Ok(labels)
}

/// Every mask pasted into its own empty frame: `masks.len() x height x width`.
pub fn full_masks(masks: &[BoxMask<'_>], height: usize, width: usize) -> KernelResult<Vec<bool>> {
    let mut out = alloc::zeroed_dims(&[masks.len(), height, width], "the full masks")?;
    let plane = height * width; // fits: the product above did
    if plane > 0 {
        for (frame, mask) in out.chunks_exact_mut(plane).zip(masks) {
            paste_into(frame, height, width, mask)?;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bm(data: &[bool], h: usize, w: usize, x0: i64, y0: i64) -> BoxMask<'_> {
        BoxMask::new(data, h, w, x0, y0).unwrap()
    }

    const T: bool = true;
    const F: bool = false;

    #[test]
    fn clip_inside_partly_and_outside() {
        let data = [T; 6];
        let m = bm(&data, 2, 3, 1, 1);
        assert_eq!(
            clip(&m, 4, 4),
            Some(Clip {
                frame_x: 1,
                frame_y: 1,
                mask_x: 0,
                mask_y: 0,
                width: 3,
                height: 2
            })
        );
        let m = bm(&data, 2, 3, -2, 3);
        assert_eq!(
            clip(&m, 4, 4),
            Some(Clip {
                frame_x: 0,
                frame_y: 3,
                mask_x: 2,
                mask_y: 0,
                width: 1,
                height: 1
            })
        );
        assert_eq!(clip(&bm(&data, 2, 3, 4, 0), 4, 4), None);
        assert_eq!(clip(&bm(&data, 2, 3, -3, 0), 4, 4), None);
        assert_eq!(clip(&bm(&data, 2, 3, i64::MAX, i64::MIN), 4, 4), None);
        assert_eq!(clip(&bm(&[], 0, 0, 1, 1), 4, 4), None);
    }

    #[test]
    fn paste_is_an_or_clipped_to_the_frame() {
        let mut frame = vec![F, F, F, T, F, F, F, F, F];
        let data = [T, F, F, T];
        paste_into(&mut frame, 3, 3, &bm(&data, 2, 2, 2, 0)).unwrap();
        // Column 2 gets the mask's first column (T, F); the frame's T at (1, 0) stays.
        assert_eq!(frame, vec![F, F, T, T, F, F, F, F, F]);
    }

    #[test]
    fn paste_refuses_a_wrong_frame_length() {
        let mut frame = vec![F; 5];
        assert!(paste_into(&mut frame, 2, 3, &bm(&[T], 1, 1, 0, 0)).is_err());
        assert!(BoxMask::new(&[T, T], 1, 3, 0, 0).is_err());
    }

    #[test]
    fn label_map_later_masks_win() {
        let a = [T, T];
        let b = [T];
        let masks = [bm(&a, 1, 2, 0, 0), bm(&b, 1, 1, 1, 0)];
        assert_eq!(label_map(&masks, 1, 3).unwrap(), vec![1, 2, 0]);
        assert_eq!(union(&masks, 1, 3).unwrap(), vec![T, T, F]);
    }

    #[test]
    fn full_masks_one_plane_per_mask() {
        let a = [T];
        let masks = [bm(&a, 1, 1, 0, 0), bm(&a, 1, 1, 1, 1), bm(&a, 1, 1, 5, 5)];
        let out = full_masks(&masks, 2, 2).unwrap();
        assert_eq!(out, vec![T, F, F, F, F, F, F, T, F, F, F, F]);
        assert_eq!(full_masks(&masks, 0, 2).unwrap(), Vec::<bool>::new());
    }

    #[test]
    fn huge_frames_are_refused_not_overflowed() {
        assert!(union(&[], usize::MAX, 2).is_err());
        let a = [T];
        assert!(full_masks(&[bm(&a, 1, 1, 0, 0); 3], usize::MAX / 2, 1).is_err());
    }
}
