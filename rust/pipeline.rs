//! The fused mask pipeline (SPEC M7): base64 text -> PNG -> grey -> the
//! Pillow-exact resize to the item's pixel box -> `> threshold` -> box-local
//! mask (and, on request, the resized probability map and the COCO RLE).
//!
//! # Theory of operation
//!
//! Each mask item is independent, so the batch is a parallel map: one job per
//! item, spread over a rayon pool (all cores, or a kept pool of the requested
//! size, [`crate::pool`]; one thread runs the items in order on the calling
//! thread), each thread reusing its own buffers ([`with_thread_scratch`]) from
//! item to item and from call to call. The bindings run it with the GIL
//! released. A job that fails (bad base64, a corrupt PNG, a PNG above the pixel
//! limit) yields its own error and the others go on: the caller gets one
//! `Result` per item, in order, and records diagnostics.
//!
//! When the probability map is not wanted, the resize and the threshold are
//! fused and only the pixels near the threshold contour are computed
//! ([`crate::contour`]): the resized grey image is never written. An empty
//! box (zero width or height) still decodes its PNG, so a corrupt payload is
//! reported, and gives an empty mask.

use std::cell::RefCell;

use crate::base64;
use crate::bitmask::BitMask;
use crate::contour::{resize_threshold_contour, resize_threshold_contour_rows_into};
use crate::error::KernelResult;
use crate::paste::BoxMask;
use crate::png;
use crate::pool;
use crate::resize::{resize_bilinear, PassOrder};
use crate::rle;
use crate::threshold::threshold;

/// One mask item: its base64 PNG text and the pixel box it fills.
#[derive(Debug, Clone, Copy)]
pub struct MaskJob<'a> {
    /// Base64 text of the PNG, with or without a `data:...;base64,` prefix.
    pub data: &'a [u8],
    /// Frame column and row of the box's top-left pixel.
    pub x0: i64,
    pub y0: i64,
    /// Box size in pixels (`x1 - x0`, `y1 - y0`); either may be zero.
    pub width: usize,
    pub height: usize,
    /// A pixel is on when its resized value is `> threshold`.
    pub threshold: i32,
    /// Which Pillow's resize to reproduce.
    pub order: PassOrder,
}

/// What every item of a batch shares.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Refuse PNGs whose header declares more pixels than this.
    pub max_pixels: u64,
    /// Also return the resized uint8 probability map.
    pub want_probabilities: bool,
    /// Also return the COCO RLE counts of the mask in a frame of this
    /// `(height, width)`.
    pub rle_frame: Option<(usize, usize)>,
}

/// The outputs of one item; arrays are row-major `height x width` of the box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaskOutput {
    pub mask: Vec<bool>,
    pub probabilities: Option<Vec<u8>>,
    pub counts: Option<Vec<u32>>,
}

/// Run one item through the whole pipeline.
pub fn decode_mask(job: &MaskJob<'_>, options: &Options) -> KernelResult<MaskOutput> {
    decode_mask_with(job, options, &mut Scratch::default())
}

/// [`decode_mask`] with a thread's reused buffers (the PNG decoder's).
pub fn decode_mask_with(
    job: &MaskJob<'_>,
    options: &Options,
    scratch: &mut Scratch,
) -> KernelResult<MaskOutput> {
    base64::decode_into(job.data, &mut scratch.png)?;
    let (grey_w, grey_h) =
        png::decode_png_into(&scratch.png, options.max_pixels, &mut scratch.grey)?;
    let grey = scratch.grey.pixels();
    let (w, h) = (job.width, job.height);
    let (mask, probabilities) = if w == 0 || h == 0 {
        (Vec::new(), options.want_probabilities.then(Vec::new))
    } else if options.want_probabilities {
        let resized = resize_bilinear(grey, grey_h, grey_w, w, h, job.order)?;
        (threshold(&resized, job.threshold), Some(resized))
    } else {
        let mask = resize_threshold_contour(grey, grey_h, grey_w, w, h, job.order, job.threshold)?;
        (mask, None)
    };
    let counts = match options.rle_frame {
        Some((frame_h, frame_w)) => {
            let placed = BoxMask::new(&mask, h, w, job.x0, job.y0)?;
            Some(rle::encode(&placed, frame_h, frame_w)?)
        }
        None => None,
    };
    Ok(MaskOutput {
        mask,
        probabilities,
        counts,
    })
}

/// Buffers one thread reuses from mask to mask in [`mask_rle`] and [`decode_mask_with`].
#[derive(Debug, Default)]
pub struct Scratch {
    png: Vec<u8>,
    grey: png::Scratch,
    mask: BitMask,
    rle: rle::Scratch,
}

/// Bytes a thread's buffers may keep between masks: a mask above this (a huge
/// PNG or box) gets its buffers freed after it, so an idle thread holds little.
const KEEP_BYTES: usize = 32 << 20;

impl Scratch {
    /// Free the buffers if the last mask made them large (see [`KEEP_BYTES`]).
    fn trim(&mut self) {
        let mask_bytes = self
            .mask
            .height()
            .saturating_mul(self.mask.stride())
            .saturating_mul(8);
        if self.png.capacity() > KEEP_BYTES
            || self.grey.pixels().len() > KEEP_BYTES
            || mask_bytes > KEEP_BYTES
        {
            *self = Scratch::default();
        }
    }
}

thread_local! {
    /// Each thread's buffers, kept from call to call (the pools' threads live on, [`crate::pool`]).
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// `f` with the calling thread's [`Scratch`]: its buffers are already grown
/// to the masks seen before, so a mask allocates nothing.
pub fn with_thread_scratch<R>(f: impl FnOnce(&mut Scratch) -> R) -> R {
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut scratch) => {
            let out = f(&mut scratch);
            scratch.trim();
            out
        }
        // Only if `f` came back here on the same thread (it does not): fresh buffers.
        Err(_) => f(&mut Scratch::default()),
    })
}

/// The COCO RLE counts of one item's mask in a `(height, width)` frame: the
/// same counts as [`decode_mask`] with `rle_frame`, without the box-local
/// boolean mask (the resize writes packed rows that the encoder reads).
pub fn mask_rle(
    job: &MaskJob<'_>,
    max_pixels: u64,
    frame: (usize, usize),
    scratch: &mut Scratch,
) -> KernelResult<Vec<u32>> {
    base64::decode_into(job.data, &mut scratch.png)?;
    // The model's masks are read where they were inflated (no copy of the rows).
    let (grey_w, grey_h) = png::decode_png_rows_into(&scratch.png, max_pixels, &mut scratch.grey)?;
    let (w, h) = (job.width, job.height);
    scratch.mask.reset(h, w)?;
    if w > 0 && h > 0 {
        let (rows, stride) = scratch.grey.rows();
        resize_threshold_contour_rows_into(
            rows,
            stride,
            grey_h,
            grey_w,
            w,
            h,
            job.order,
            job.threshold,
            &mut scratch.mask,
        )?;
    }
    rle::encode_bits(
        &scratch.mask,
        job.x0,
        job.y0,
        frame.0,
        frame.1,
        &mut scratch.rle,
    )
}

/// Run every item, on `threads` threads (0: all cores, 1: the calling thread
/// only). One result per item, in order; a failed item does not stop the others.
pub fn decode_masks(
    jobs: &[MaskJob<'_>],
    options: &Options,
    threads: usize,
) -> Vec<KernelResult<MaskOutput>> {
    pool::map(threads, jobs, |job| {
        with_thread_scratch(|scratch| decode_mask_with(job, options, scratch))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::KernelError;

    /// A 2x2 8-bit grey PNG with pixels [0, 255; 255, 0] (Pillow, compress_level=0).
    const PNG_2X2: &str =
        "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAAAAABX3VL4AAAAEUlEQVR4AQEGAPn/AAD/AP8ABgAB/wyjNeQAAAAASUVORK5CYII=";

    fn job(data: &str, width: usize, height: usize) -> MaskJob<'_> {
        MaskJob {
            data: data.as_bytes(),
            x0: 1,
            y0: 0,
            width,
            height,
            threshold: 127,
            order: PassOrder::Pillow13,
        }
    }

    const OPTIONS: Options = Options {
        max_pixels: 1 << 24,
        want_probabilities: true,
        rle_frame: Some((2, 3)),
    };

    #[test]
    fn same_size_box_keeps_the_pixels() {
        let out = decode_mask(&job(PNG_2X2, 2, 2), &OPTIONS).unwrap();
        assert_eq!(out.probabilities, Some(vec![0, 255, 255, 0]));
        assert_eq!(out.mask, vec![false, true, true, false]);
        // Columns of a 2x3 frame: [off, off], [off, on], [on, off].
        assert_eq!(out.counts, Some(vec![3, 2, 1]));
    }

    #[test]
    fn fused_and_unfused_paths_agree() {
        let fused = Options {
            want_probabilities: false,
            ..OPTIONS
        };
        for (w, h) in [(5, 3), (1, 7), (2, 2), (9, 9)] {
            let a = decode_mask(&job(PNG_2X2, w, h), &OPTIONS).unwrap();
            let b = decode_mask(&job(PNG_2X2, w, h), &fused).unwrap();
            assert_eq!(a.mask, b.mask);
            assert_eq!(b.probabilities, None);
        }
    }

    #[test]
    fn mask_rle_equals_decode_mask_counts() {
        let fused = Options {
            want_probabilities: false,
            ..OPTIONS
        };
        let mut scratch = Scratch::default();
        for (w, h, x0, y0) in [
            (5, 3, 1, 0),
            (1, 7, -1, 2),
            (9, 9, 0, 0),
            (0, 4, 1, 1),
            (3, 3, 7, 7),
        ] {
            for frame in [(2, 3), (10, 12), (1, 1)] {
                let item = MaskJob {
                    x0,
                    y0,
                    ..job(PNG_2X2, w, h)
                };
                let with_frame = Options {
                    rle_frame: Some(frame),
                    ..fused
                };
                let expected = decode_mask(&item, &with_frame).unwrap().counts;
                let got = mask_rle(&item, fused.max_pixels, frame, &mut scratch).unwrap();
                assert_eq!(Some(got), expected, "{w}x{h} at {x0},{y0} in {frame:?}");
            }
        }
        assert!(matches!(
            mask_rle(&job("AAAA", 3, 3), 1 << 24, (2, 3), &mut scratch),
            Err(KernelError::MaskDecode(_))
        ));
    }

    #[test]
    fn empty_box_gives_an_empty_mask() {
        let out = decode_mask(&job(PNG_2X2, 0, 4), &OPTIONS).unwrap();
        assert!(out.mask.is_empty());
        assert_eq!(out.counts, Some(vec![6]));
    }

    #[test]
    fn failures_stay_with_their_item() {
        let jobs = [
            job(PNG_2X2, 3, 3),
            job("not base64!", 3, 3),
            job("AAAA", 3, 3),
            job(PNG_2X2, 1, 1),
        ];
        for threads in [0, 1, 3] {
            let out = decode_masks(&jobs, &OPTIONS, threads);
            assert_eq!(out.len(), 4);
            assert!(out[0].is_ok() && out[3].is_ok());
            assert!(matches!(out[1], Err(KernelError::MaskDecode(_))));
            assert!(matches!(out[2], Err(KernelError::MaskDecode(_))));
        }
        let tight = Options {
            max_pixels: 3,
            ..OPTIONS
        };
        assert!(matches!(
            decode_mask(&job(PNG_2X2, 3, 3), &tight),
            Err(KernelError::PixelLimit { .. })
        ));
    }
}
