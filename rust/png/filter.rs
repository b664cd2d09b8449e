//! Undo the five PNG scanline filters (PNG spec section 9).
//!
//! Each filtered byte is the difference between the raw byte and a prediction
//! from its left neighbour `a` (one pixel back, `bpp` bytes), the byte above
//! `b` and the byte above-left `c`; bytes before the row start count as zero,
//! and the row above the first one of a pass is all zeros.

/// Write the raw bytes of one scanline into `out`.
///
/// `line` is the filtered scanline without its filter byte, `prev` the raw
/// previous scanline of the same pass (zeros for the first), both of
/// `out.len()` bytes, a multiple of `bpp` (1 to 8 bytes per pixel). Returns
/// `Err(kind)` for a filter type other than 0..=4.
pub(crate) fn unfilter(
    kind: u8,
    line: &[u8],
    prev: &[u8],
    out: &mut [u8],
    bpp: usize,
) -> Result<(), u8> {
    let n = out.len();
    debug_assert_eq!(n % bpp, 0, "scanlines hold whole pixels");
    let (line, prev) = (&line[..n], &prev[..n]);
    match kind {
        0 => out.copy_from_slice(line),
        2 => {
            for ((o, &x), &b) in out.iter_mut().zip(line).zip(prev) {
                *o = x.wrapping_add(b);
            }
        }
        1 | 3 | 4 => match bpp {
            1 => unfilter_pixels::<1>(kind, line, prev, out),
            2 => unfilter_pixels::<2>(kind, line, prev, out),
            3 => unfilter_pixels::<3>(kind, line, prev, out),
            4 => unfilter_pixels::<4>(kind, line, prev, out),
            6 => unfilter_pixels::<6>(kind, line, prev, out),
            _ => unfilter_pixels::<8>(kind, line, prev, out),
        },
        other => return Err(other),
    }
    Ok(())
}

/// Sub (1), Average (3) and Paeth (4), which depend on the pixel to the left:
/// a pixel of `BPP` bytes at a time, so the compiler knows every length.
fn unfilter_pixels<const BPP: usize>(kind: u8, line: &[u8], prev: &[u8], out: &mut [u8]) {
    let pixels = out
        .chunks_exact_mut(BPP)
        .zip(line.chunks_exact(BPP))
        .zip(prev.chunks_exact(BPP));
    // `a` is the pixel to the left, `c` the one above it: zero at the row start.
    let mut a = [0u8; BPP];
    let mut c = [0u8; BPP];
    match kind {
        1 => {
            for ((o, x), _) in pixels {
                for k in 0..BPP {
                    a[k] = x[k].wrapping_add(a[k]);
                }
                o.copy_from_slice(&a);
            }
        }
        3 => {
            for ((o, x), b) in pixels {
                for k in 0..BPP {
                    let avg = (u16::from(a[k]) + u16::from(b[k])) >> 1;
                    a[k] = x[k].wrapping_add(avg as u8);
                }
                o.copy_from_slice(&a);
            }
        }
        _ => {
            for ((o, x), b) in pixels {
                for k in 0..BPP {
                    a[k] = x[k].wrapping_add(paeth(a[k], b[k], c[k]));
                }
                c.copy_from_slice(b);
                o.copy_from_slice(&a);
            }
        }
    }
}

/// The Paeth predictor: whichever of a, b, c is closest to a + b - c (ties: a,
/// then b), written with selects rather than branches.
#[inline(always)]
fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let (ia, ib, ic) = (i16::from(a), i16::from(b), i16::from(c));
    let pa = (ib - ic).abs();
    let pb = (ia - ic).abs();
    let pc = (ia + ib - 2 * ic).abs();
    let (nearest, pick) = if pb < pa { (pb, b) } else { (pa, a) };
    if pc < nearest {
        c
    } else {
        pick
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The textbook encoder side, to round-trip against.
    fn filter(kind: u8, raw: &[u8], prev: &[u8], bpp: usize) -> Vec<u8> {
        (0..raw.len())
            .map(|i| {
                let a = if i >= bpp { raw[i - bpp] } else { 0 };
                let b = prev[i];
                let c = if i >= bpp { prev[i - bpp] } else { 0 };
                let pred = match kind {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => ((u16::from(a) + u16::from(b)) / 2) as u8,
                    _ => {
                        let p = i16::from(a) + i16::from(b) - i16::from(c);
                        let (pa, pb, pc) = (
                            (p - i16::from(a)).abs(),
                            (p - i16::from(b)).abs(),
                            (p - i16::from(c)).abs(),
                        );
                        if pa <= pb && pa <= pc {
                            a
                        } else if pb <= pc {
                            b
                        } else {
                            c
                        }
                    }
                };
                raw[i].wrapping_sub(pred)
            })
            .collect()
    }

    #[test]
    fn every_filter_round_trips() {
        let mut seed = 12345u32;
        let mut next = || {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (seed >> 16) as u8
        };
        for bpp in [1, 2, 3, 4, 6, 8] {
            for len in [0, bpp, 2 * bpp, 37 * bpp] {
                let prev: Vec<u8> = (0..len).map(|_| next()).collect();
                let raw: Vec<u8> = (0..len).map(|_| next()).collect();
                for kind in 0..=4 {
                    let line = filter(kind, &raw, &prev, bpp);
                    let mut out = vec![0; len];
                    unfilter(kind, &line, &prev, &mut out, bpp).unwrap();
                    assert_eq!(out, raw, "filter {kind}, bpp {bpp}, len {len}");
                }
            }
        }
    }

    #[test]
    fn unknown_filter_type_is_reported() {
        let mut out = [0u8; 2];
        assert_eq!(unfilter(5, &[1, 2], &[0, 0], &mut out, 1), Err(5));
        assert_eq!(unfilter(255, &[1, 2], &[0, 0], &mut out, 1), Err(255));
    }
}
