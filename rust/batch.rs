//! The batch path's mask stage (SPEC D1, M7): the base64 PNG masks of many
//! records, each to COCO RLE in its own image's frame, in one call.
//!
//! # Theory of operation
//!
//! Each mask goes through the fused pipeline's RLE item function
//! ([`pipeline::mask_rle`]: base64 -> PNG -> Pillow's grey -> the
//! Pillow-exact BILINEAR resize to the box fused with the threshold, written
//! as packed rows -> the COCO RLE of the mask in the frame of *its* image; the
//! same counts as [`pipeline::decode_mask`] gives), then pycocotools'
//! compressed string ([`rle::to_string`]) and the area. Masks are
//! independent, so they are spread over rayon's threads (all cores, or a kept
//! pool of the caller's size: [`crate::pool`]), each thread reusing its
//! buffers from mask to mask and call to call; a mask's failure is returned in
//! its place and never stops the others.

use crate::error::{KernelError, KernelResult};
use crate::pipeline::{self, MaskJob};
use crate::pool;
use crate::resize::PassOrder;
use crate::rle;

/// One mask to encode: base64 PNG text (a `data:` prefix is fine), the pixel
/// box `[x0, y0, x1, y1]` (ends exclusive) and the frame `(height, width)` of its image.
#[derive(Debug, Clone, Copy)]
pub struct PngMask<'a> {
    pub data: &'a [u8],
    pub bbox: [i64; 4],
    pub frame: (usize, usize),
}

/// A mask's COCO RLE: pycocotools' compressed counts (ASCII) and the mask's area.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedMask {
    pub counts: String,
    pub area: u64,
}

/// What to do with every mask.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Mask pixels are `value > threshold`.
    pub threshold: i32,
    pub order: PassOrder,
    /// Refuse a PNG whose header declares more pixels.
    pub max_pixels: u64,
    /// Threads: 0 for rayon's pool (every core), 1 for this thread only.
    pub threads: usize,
}

/// Encode every mask (see the module's theory); results in the order of `masks`.
pub fn png_masks_to_rle(masks: &[PngMask<'_>], options: Options) -> Vec<KernelResult<EncodedMask>> {
    pool::map(options.threads, masks, |mask| {
        pipeline::with_thread_scratch(|scratch| encode_one(mask, &options, scratch))
    })
}

/// One mask of [`png_masks_to_rle`], on the calling thread with its scratch buffers.
pub fn encode_one(
    mask: &PngMask<'_>,
    options: &Options,
    scratch: &mut pipeline::Scratch,
) -> KernelResult<EncodedMask> {
    let [x0, y0, x1, y1] = mask.bbox;
    let (width, height) = match (usize::try_from(x1 - x0), usize::try_from(y1 - y0)) {
        (Ok(w), Ok(h)) if w > 0 && h > 0 => (w, h),
        _ => {
            return Err(KernelError::InvalidArgument(format!(
                "the box {:?} is empty or reversed",
                mask.bbox
            )))
        }
    };
    let job = MaskJob {
        data: mask.data,
        x0,
        y0,
        width,
        height,
        threshold: options.threshold,
        order: options.order,
    };
    let counts = pipeline::mask_rle(&job, options.max_pixels, mask.frame, scratch)?;
    // The compressed form is ASCII by construction (bytes 48..=111).
    let text = String::from_utf8(rle::to_string(&counts))
        .map_err(|e| KernelError::InvalidArgument(e.to_string()))?;
    Ok(EncodedMask {
        counts: text,
        area: rle::area(&counts),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut out = (data.len() as u32).to_be_bytes().to_vec();
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crate::png::crc32(&body).to_be_bytes());
        out
    }

    /// An 8-bit grey PNG of `rows`, stored (uncompressed) deflate.
    fn grey_png(rows: &[&[u8]]) -> Vec<u8> {
        let (w, h) = (rows[0].len() as u32, rows.len() as u32);
        let raw: Vec<u8> = rows
            .iter()
            .flat_map(|r| std::iter::once(0).chain(r.iter().copied()))
            .collect();
        let (mut a, mut b) = (1u32, 0u32);
        for &x in &raw {
            a = (a + u32::from(x)) % 65521;
            b = (b + a) % 65521;
        }
        let len = raw.len() as u16;
        let mut zlib = vec![0x78, 0x01, 1];
        zlib.extend_from_slice(&len.to_le_bytes());
        zlib.extend_from_slice(&(!len).to_le_bytes());
        zlib.extend_from_slice(&raw);
        zlib.extend_from_slice(&((b << 16) | a).to_be_bytes());
        let mut ihdr = w.to_be_bytes().to_vec();
        ihdr.extend_from_slice(&h.to_be_bytes());
        ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
        let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
        out.extend(chunk(b"IHDR", &ihdr));
        out.extend(chunk(b"IDAT", &zlib));
        out.extend(chunk(b"IEND", &[]));
        out
    }

    fn b64(data: &[u8]) -> Vec<u8> {
        crate::base64::encode(data).into_bytes()
    }

    fn options(threads: usize) -> Options {
        Options {
            threshold: 127,
            order: PassOrder::Pillow13,
            max_pixels: 1 << 20,
            threads,
        }
    }

    #[test]
    fn a_mask_becomes_the_rle_of_its_frame() {
        // 2x2 PNG, same size box at (1, 1) of a 3x4 frame (h x w): on pixels at
        // frame (row 1, col 1) and (row 2, col 2). Column-major: 4 off, 1 on, 3 off, 1 on, 3 off.
        let png = b64(&grey_png(&[&[255, 0], &[0, 200]]));
        let mask = PngMask {
            data: &png,
            bbox: [1, 1, 3, 3],
            frame: (3, 4),
        };
        let out = png_masks_to_rle(&[mask], options(1));
        let expected = rle::to_string(&[4, 1, 3, 1, 3]);
        assert_eq!(
            out,
            vec![Ok(EncodedMask {
                counts: String::from_utf8(expected).unwrap(),
                area: 2
            })]
        );
    }

    #[test]
    fn failures_stay_in_place_and_threads_agree() {
        let raw = grey_png(&[&[10, 250, 250], &[250, 250, 10]]);
        let (png, cut) = (b64(&raw), b64(&raw[..20]));
        let good = PngMask {
            data: &png,
            bbox: [0, 0, 5, 4],
            frame: (6, 7),
        };
        let broken = PngMask { data: &cut, ..good };
        let not_base64 = PngMask {
            data: b"%%%%",
            ..good
        };
        let empty = PngMask {
            bbox: [2, 2, 2, 4],
            ..good
        };
        let masks: Vec<PngMask<'_>> = (0..40)
            .map(|i| match i % 5 {
                1 => broken,
                2 => not_base64,
                3 => empty,
                _ => good,
            })
            .collect();
        let one = png_masks_to_rle(&masks, options(1));
        assert_eq!(one, png_masks_to_rle(&masks, options(0)));
        assert_eq!(one, png_masks_to_rle(&masks, options(3)));
        assert!(matches!(one[1], Err(KernelError::MaskDecode(_))));
        assert!(matches!(one[2], Err(KernelError::MaskDecode(_))));
        assert!(matches!(one[3], Err(KernelError::InvalidArgument(_))));
        assert!(one[0].as_ref().is_ok_and(|m| m.area > 0));
    }

    #[test]
    fn the_pixel_limit_is_checked_per_mask() {
        let png = b64(&grey_png(&[&[1, 2, 3]]));
        let mask = PngMask {
            data: &png,
            bbox: [0, 0, 1, 1],
            frame: (1, 1),
        };
        let out = png_masks_to_rle(
            &[mask],
            Options {
                max_pixels: 2,
                ..options(1)
            },
        );
        assert!(matches!(out[0], Err(KernelError::PixelLimit { .. })));
    }
}
