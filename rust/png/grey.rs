//! Raw scanline samples to 8-bit grey, the way Pillow's `convert("L")` does it.
//!
//! Measured against Pillow 12.3 and 13.0 (`tests/test_png_decode.py` keeps
//! checking it), per PNG colour type and bit depth:
//!
//! * grey 1/2/4 bits: scaled to 0..255 (x255, x85, x17); 8 bits: as is;
//!   16 bits: Pillow opens it as `I;16` and `convert("L")` clips, so values
//!   above 255 become 255 (it does not take the high byte).
//! * RGB, RGBA: ITU-R 601-2 luma of R, G, B with Pillow's fixed-point
//!   rounding, `(R*19595 + G*38470 + B*7471 + 0x8000) >> 16`; 16-bit samples
//!   use their high byte; alpha is ignored.
//! * grey + alpha: the grey sample (its high byte at 16 bits); alpha ignored.
//! * palette: the luma of the palette colour; an index past the end of PLTE
//!   reads as black (0).
//! * tRNS never changes the grey values.

use super::{ColourType, Header};

/// Pillow's RGB to L: ITU-R 601-2 luma in 16.16 fixed point, rounded.
#[inline]
pub(crate) fn luma(r: u8, g: u8, b: u8) -> u8 {
    ((u32::from(r) * 19595 + u32::from(g) * 38470 + u32::from(b) * 7471 + 0x8000) >> 16) as u8
}

/// How one raw scanline becomes grey pixels.
#[derive(Debug, Clone)]
pub(crate) enum Converter {
    /// Samples of 1, 2 or 4 bits (grey or palette index) looked up in a table.
    Packed {
        depth: u8,
        lut: Box<[u8; 256]>,
    },
    /// One byte per pixel looked up in a table (8-bit palette).
    Palette8 {
        lut: Box<[u8; 256]>,
    },
    /// 8-bit grey: the bytes themselves.
    Grey8,
    /// 16-bit grey, clipped to 255.
    Grey16,
    /// Grey + alpha: the grey sample (its high byte at 16 bits).
    GreyAlpha8,
    GreyAlpha16,
    /// RGB and RGBA: the luma of R, G, B (their high bytes at 16 bits).
    Rgb8,
    Rgb16,
    Rgba8,
    Rgba16,
}

impl Converter {
    /// The converter for `header`; `palette` is the PLTE payload (palette images only).
    pub(crate) fn new(header: &Header, palette: &[u8]) -> Converter {
        let depth = header.bit_depth;
        match (header.colour_type, depth) {
            (ColourType::Grey, 8) => Converter::Grey8,
            (ColourType::Grey, 16) => Converter::Grey16,
            (ColourType::Grey, _) => {
                let max = (1u16 << depth) - 1;
                let mut lut = Box::new([0u8; 256]);
                for (v, slot) in lut.iter_mut().enumerate().take(usize::from(max) + 1) {
                    *slot = (v as u16 * 255 / max) as u8;
                }
                Converter::Packed { depth, lut }
            }
            (ColourType::Palette, _) => {
                // Entries PLTE does not define stay 0, as in Pillow.
                let mut lut = Box::new([0u8; 256]);
                for (slot, rgb) in lut.iter_mut().zip(palette.chunks_exact(3)) {
                    *slot = luma(rgb[0], rgb[1], rgb[2]);
                }
                if depth == 8 {
                    Converter::Palette8 { lut }
                } else {
                    Converter::Packed { depth, lut }
                }
            }
            (ColourType::GreyAlpha, 8) => Converter::GreyAlpha8,
            (ColourType::GreyAlpha, _) => Converter::GreyAlpha16,
            (ColourType::Rgb, 8) => Converter::Rgb8,
            (ColourType::Rgb, _) => Converter::Rgb16,
            (ColourType::Rgba, 8) => Converter::Rgba8,
            (ColourType::Rgba, _) => Converter::Rgba16,
        }
    }

    /// Convert the raw scanline `row` into `out.len()` grey pixels.
    pub(crate) fn convert(&self, row: &[u8], out: &mut [u8]) {
        match self {
            Converter::Packed { depth, lut } => unpack(row, *depth, lut, out),
            Converter::Palette8 { lut } => {
                for (o, &i) in out.iter_mut().zip(row) {
                    *o = lut[usize::from(i)];
                }
            }
            Converter::Grey8 => out.copy_from_slice(&row[..out.len()]),
            Converter::Grey16 => {
                for (o, s) in out.iter_mut().zip(row.chunks_exact(2)) {
                    *o = if s[0] != 0 { 255 } else { s[1] };
                }
            }
            Converter::GreyAlpha8 => first::<2>(row, out),
            Converter::GreyAlpha16 => first::<4>(row, out),
            Converter::Rgb8 => luma_of::<3, 1>(row, out),
            Converter::Rgb16 => luma_of::<6, 2>(row, out),
            Converter::Rgba8 => luma_of::<4, 1>(row, out),
            Converter::Rgba16 => luma_of::<8, 2>(row, out),
        }
    }
}

/// The first byte of each pixel of `BYTES` bytes.
fn first<const BYTES: usize>(row: &[u8], out: &mut [u8]) {
    for (o, s) in out.iter_mut().zip(row.chunks_exact(BYTES)) {
        *o = s[0];
    }
}

/// Luma of the (high bytes of the) first three samples of each pixel of
/// `BYTES` bytes, samples being `STEP` bytes apart.
fn luma_of<const BYTES: usize, const STEP: usize>(row: &[u8], out: &mut [u8]) {
    // Eight pixels per step with fixed bounds lets the compiler use SIMD
    // shuffles and multiplies; the remainder goes one pixel at a time.
    const LANES: usize = 8;
    let mut blocks_out = out.chunks_exact_mut(LANES);
    let mut blocks_in = row.chunks_exact(LANES * BYTES);
    for (o, s) in (&mut blocks_out).zip(&mut blocks_in) {
        let mut acc = [0u32; LANES];
        for (k, a) in acc.iter_mut().enumerate() {
            let p = &s[k * BYTES..];
            *a = u32::from(p[0]) * 19595
                + u32::from(p[STEP]) * 38470
                + u32::from(p[2 * STEP]) * 7471;
        }
        for (o, a) in o.iter_mut().zip(acc) {
            *o = ((a + 0x8000) >> 16) as u8;
        }
    }
    let rest_in = blocks_in.remainder();
    for (o, s) in blocks_out
        .into_remainder()
        .iter_mut()
        .zip(rest_in.chunks_exact(BYTES))
    {
        *o = luma(s[0], s[STEP], s[2 * STEP]);
    }
}

/// Unpack samples of `depth` < 8 bits, most significant first, through `lut`.
fn unpack(row: &[u8], depth: u8, lut: &[u8; 256], out: &mut [u8]) {
    let per_byte = usize::from(8 / depth);
    let mask = (1u8 << depth) - 1;
    for (pixels, &byte) in out.chunks_mut(per_byte).zip(row) {
        for (k, o) in pixels.iter_mut().enumerate() {
            let shift = 8 - depth * (k as u8 + 1);
            *o = lut[usize::from((byte >> shift) & mask)];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(colour_type: ColourType, bit_depth: u8) -> Header {
        Header {
            width: 4,
            height: 1,
            bit_depth,
            colour_type,
            interlaced: false,
        }
    }

    fn convert(
        colour_type: ColourType,
        depth: u8,
        palette: &[u8],
        row: &[u8],
        n: usize,
    ) -> Vec<u8> {
        let mut out = vec![0; n];
        Converter::new(&header(colour_type, depth), palette).convert(row, &mut out);
        out
    }

    #[test]
    fn luma_matches_pillow_fixed_point() {
        assert_eq!(luma(0, 0, 0), 0);
        assert_eq!(luma(255, 255, 255), 255);
        assert_eq!(luma(255, 0, 0), 76);
        assert_eq!(luma(0, 255, 0), 150);
        assert_eq!(luma(0, 0, 255), 29);
    }

    #[test]
    fn low_bit_grey_is_scaled() {
        assert_eq!(
            convert(ColourType::Grey, 1, &[], &[0b1010_0000], 4),
            [255, 0, 255, 0]
        );
        assert_eq!(
            convert(ColourType::Grey, 2, &[], &[0b0001_1011], 4),
            [0, 85, 170, 255]
        );
        assert_eq!(
            convert(ColourType::Grey, 4, &[], &[0x0f, 0x71], 4),
            [0, 255, 119, 17]
        );
    }

    #[test]
    fn sixteen_bit_grey_clips() {
        let row = [0x00, 0x05, 0x00, 0xff, 0x01, 0x00, 0xff, 0xff];
        assert_eq!(
            convert(ColourType::Grey, 16, &[], &row, 4),
            [5, 255, 255, 255]
        );
    }

    #[test]
    fn sixteen_bit_colour_keeps_the_high_byte() {
        let row = [0xff, 0x00, 0x00, 0xff, 0x00, 0xff];
        assert_eq!(convert(ColourType::Rgb, 16, &[], &row, 1), [76]);
        let row = [0x12, 0x34, 0xff, 0xff];
        assert_eq!(convert(ColourType::GreyAlpha, 16, &[], &row, 1), [0x12]);
    }

    #[test]
    fn palette_indices_past_the_end_are_black() {
        let palette = [255, 255, 255, 0, 255, 0];
        assert_eq!(
            convert(ColourType::Palette, 8, &palette, &[0, 1, 2, 255], 4),
            [255, 150, 0, 0]
        );
        assert_eq!(
            convert(ColourType::Palette, 2, &palette, &[0b0001_1011], 4),
            [255, 150, 0, 0]
        );
    }
}
