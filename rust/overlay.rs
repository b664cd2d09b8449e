//! Colour masks alpha-composited onto an RGB or RGBA image (SPEC M5), byte for
//! byte as Pillow's `Image.alpha_composite(image, layer)` where `layer` is the
//! colour `(r, g, b, a)` on the mask's pixels and transparent elsewhere.
//!
//! # Theory of operation
//!
//! Pillow composites a source pixel S over a destination pixel D in unsigned
//! 32-bit integers (`docs/resize.md`, "Alpha composite"):
//!
//! ```text
//! S.a == 0:  out = D
//! otherwise: blend = D.a * (255 - S.a);  outa255 = S.a * 255 + blend
//!            c1 = S.a * 255 * 255 * 128 / outa255;  c2 = 255 * 128 - c1
//!            out.ch = div255(S.ch * c1 + D.ch * c2 + (128 << 7)) >> 7
//!            out.a  = div255(outa255 + 128),  div255(x) = ((x >> 8) + x) >> 8
//! ```
//!
//! Transparent layer pixels leave D unchanged, so only the mask's pixels are
//! visited. With S fixed for a whole mask, `c1`, `c2` and `out.a` depend only
//! on `D.a`; on an opaque destination (every RGB image, most RGBA ones) every
//! output channel is a function of the destination byte alone, so one
//! 256-entry table per channel replaces the arithmetic. Destination pixels
//! that are not opaque take the general formula with `c1`, `c2` read from a
//! 256-entry table indexed by `D.a`. An RGB image is treated as alpha 255
//! throughout; its alpha would stay 255 (`div255(255 * 255 + 128) = 255`).

use crate::error::{KernelError, KernelResult};
use crate::paste::{clip, frame_len, BoxMask};

/// Pillow's `PRECISION_BITS` in `AlphaComposite.c`.
const PRECISION_BITS: u32 = 7;

/// Pillow's approximation of `x / 255` used by alpha_composite.
fn div255(x: u32) -> u32 {
    ((x >> 8) + x) >> 8
}

/// The coefficients of S over a destination alpha `da`: (c1, c2, out alpha).
fn coefficients(sa: u32, da: u32) -> (u32, u32, u8) {
    let blend = da * (255 - sa);
    let outa255 = sa * 255 + blend;
    // sa >= 1 here, so outa255 >= 255 and the division is defined.
    let c1 = sa * 255 * 255 * (1 << PRECISION_BITS) / outa255;
    let c2 = 255 * (1 << PRECISION_BITS) - c1;
    // div255 of at most 65025 + 128 is at most 255.
    (c1, c2, div255(outa255 + 0x80) as u8)
}

/// One colour channel of S over D with the given coefficients.
fn channel(s: u32, d: u32, c1: u32, c2: u32) -> u8 {
    let t = s * c1 + d * c2 + (0x80 << PRECISION_BITS);
    // At most 255 by construction of c1 + c2 = 255 << 7.
    (div255(t) >> PRECISION_BITS) as u8
}

/// Precomputed blending of one colour over every destination value.
struct Blender {
    colour: [u32; 3],
    /// `opaque[ch][d]`: channel `ch` of the colour over an opaque byte `d`.
    opaque: [[u8; 256]; 3],
    /// `by_alpha[da]`: (c1, c2, out alpha) over destination alpha `da`.
    by_alpha: Box<[(u32, u32, u8); 256]>,
}

impl Blender {
    /// `None` for a fully transparent colour, which changes nothing.
    fn new(rgba: [u8; 4]) -> Option<Blender> {
        let sa = u32::from(rgba[3]);
        if sa == 0 {
            return None;
        }
        let colour = [u32::from(rgba[0]), u32::from(rgba[1]), u32::from(rgba[2])];
        let mut by_alpha = Box::new([(0u32, 0u32, 0u8); 256]);
        for (da, slot) in (0u32..).zip(by_alpha.iter_mut()) {
            *slot = coefficients(sa, da);
        }
        let (c1, c2, _) = by_alpha[255];
        let mut opaque = [[0u8; 256]; 3];
        for (table, &s) in opaque.iter_mut().zip(&colour) {
            for (d, out) in (0u32..).zip(table.iter_mut()) {
                *out = channel(s, d, c1, c2);
            }
        }
        Some(Blender {
            colour,
            opaque,
            by_alpha,
        })
    }

    /// Composite onto one RGB pixel (treated as opaque).
    #[inline]
    fn rgb(&self, px: &mut [u8]) {
        for (v, table) in px.iter_mut().zip(&self.opaque) {
            *v = table[usize::from(*v)];
        }
    }

    /// Composite onto one RGBA pixel.
    #[inline]
    fn rgba(&self, px: &mut [u8]) {
        let da = px[3];
        if da == 255 {
            self.rgb(&mut px[..3]);
            return;
        }
        let (c1, c2, a) = self.by_alpha[usize::from(da)];
        for (v, &s) in px[..3].iter_mut().zip(&self.colour) {
            *v = channel(s, u32::from(*v), c1, c2);
        }
        px[3] = a;
    }
}

/// Composite each `colours[i]` (RGBA) through `masks[i]`, in order, onto a
/// row-major `height x width x channels` image (`channels` 3 or 4), in place.
///
/// Equal to chaining `Image.alpha_composite` over full-frame layers; for an
/// RGB image, to doing that in RGBA and dropping the (still opaque) alpha.
pub fn overlay_into(
    image: &mut [u8],
    height: usize,
    width: usize,
    channels: usize,
    masks: &[BoxMask<'_>],
    colours: &[[u8; 4]],
) -> KernelResult<()> {
    if channels != 3 && channels != 4 {
        return Err(KernelError::InvalidArgument(format!(
            "image must have 3 (RGB) or 4 (RGBA) channels, got {channels}"
        )));
    }
    if frame_len(height, width)?.checked_mul(channels) != Some(image.len()) {
        return Err(KernelError::InvalidArgument(format!(
            "image has {} bytes, not {height} * {width} * {channels}",
            image.len()
        )));
    }
    if masks.len() != colours.len() {
        return Err(KernelError::InvalidArgument(format!(
            "{} masks but {} colours",
            masks.len(),
            colours.len()
        )));
    }
    for (mask, &rgba) in masks.iter().zip(colours) {
        let (Some(blender), Some(c)) = (Blender::new(rgba), clip(mask, height, width)) else {
            continue;
        };
        for dy in 0..c.height {
            let src_start = (c.mask_y + dy) * mask.width + c.mask_x;
            let src = &mask.data[src_start..src_start + c.width];
            let dst_start = ((c.frame_y + dy) * width + c.frame_x) * channels;
            let dst = &mut image[dst_start..dst_start + c.width * channels];
            for (px, &on) in dst.chunks_exact_mut(channels).zip(src) {
                if on {
                    if channels == 3 {
                        blender.rgb(px);
                    } else {
                        blender.rgba(px);
                    }
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pillow's formula for one pixel, written out directly.
    fn pillow_pixel(s: [u8; 4], d: [u8; 4]) -> [u8; 4] {
        if s[3] == 0 {
            return d;
        }
        let (sa, da) = (u32::from(s[3]), u32::from(d[3]));
        let blend = da * (255 - sa);
        let outa255 = sa * 255 + blend;
        let c1 = sa * 255 * 255 * 128 / outa255;
        let c2 = 255 * 128 - c1;
        let mut out = [0u8; 4];
        for ch in 0..3 {
            let t = u32::from(s[ch]) * c1 + u32::from(d[ch]) * c2 + (128 << 7);
            out[ch] = ((((t >> 8) + t) >> 8) >> 7) as u8;
        }
        let u = outa255 + 128;
        out[3] = (((u >> 8) + u) >> 8) as u8;
        out
    }

    #[test]
    fn tables_match_the_formula_for_every_destination() {
        for s in [
            [255, 0, 0, 128],
            [10, 200, 30, 1],
            [1, 2, 3, 255],
            [9, 9, 9, 200],
        ] {
            let b = Blender::new(s).unwrap();
            for da in [0u8, 1, 77, 254, 255] {
                for d in 0..=255u8 {
                    let mut px = [d, 255 - d, d / 2, da];
                    let expected = pillow_pixel(s, px);
                    b.rgba(&mut px);
                    assert_eq!(px, expected, "s={s:?} d={d} da={da}");
                }
            }
        }
    }

    #[test]
    fn rgb_stays_opaque_and_only_mask_pixels_change() {
        let mut image = vec![100u8; 2 * 2 * 3];
        let data = [true, false];
        let m = BoxMask::new(&data, 1, 2, 1, 1).unwrap();
        overlay_into(&mut image, 2, 2, 3, &[m], &[[255, 0, 0, 128]]).unwrap();
        let expected = pillow_pixel([255, 0, 0, 128], [100, 100, 100, 255]);
        assert_eq!(expected[3], 255);
        assert_eq!(&image[9..12], &expected[..3]);
        assert_eq!(&image[..9], &[100u8; 9]);
    }

    #[test]
    fn transparent_colour_and_bad_shapes() {
        let mut image = vec![7u8; 4];
        let data = [true];
        let m = BoxMask::new(&data, 1, 1, 0, 0).unwrap();
        overlay_into(&mut image, 1, 1, 4, &[m], &[[1, 2, 3, 0]]).unwrap();
        assert_eq!(image, vec![7u8; 4]);
        assert!(overlay_into(&mut image, 1, 1, 2, &[], &[]).is_err());
        assert!(overlay_into(&mut image, 1, 2, 4, &[], &[]).is_err());
        assert!(overlay_into(&mut image, 1, 1, 4, &[m], &[]).is_err());
    }
}
