//! Unit tests of the PNG decoder on hand-built files. The exhaustive
//! comparison with Pillow lives in `tests/test_png_decode.py`.

use super::*;

fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    out.extend_from_slice(&crc::update(0, &body).to_be_bytes());
    out
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &x in data {
        a = (a + u32::from(x)) % 65521;
        b = (b + a) % 65521;
    }
    (b << 16) | a
}

/// A zlib stream of stored (uncompressed) blocks, so tests control every byte.
fn zlib_stored(raw: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = if raw.is_empty() {
        vec![&[]]
    } else {
        raw.chunks(65535).collect()
    };
    for (i, block) in blocks.iter().enumerate() {
        out.push(u8::from(i + 1 == blocks.len()));
        let len = block.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    out.extend_from_slice(&adler32(raw).to_be_bytes());
    out
}

fn ihdr(width: u32, height: u32, depth: u8, colour: u8, interlace: u8) -> Vec<u8> {
    let mut d = width.to_be_bytes().to_vec();
    d.extend_from_slice(&height.to_be_bytes());
    d.extend_from_slice(&[depth, colour, 0, 0, interlace]);
    chunk(b"IHDR", &d)
}

/// A PNG from an IHDR chunk, chunks before IDAT, and the zlib stream.
fn png(ihdr: &[u8], before: &[Vec<u8>], stream: &[u8]) -> Vec<u8> {
    let mut out = SIGNATURE.to_vec();
    out.extend_from_slice(ihdr);
    for c in before {
        out.extend_from_slice(c);
    }
    out.extend_from_slice(&chunk(b"IDAT", stream));
    out.extend_from_slice(&chunk(b"IEND", &[]));
    out
}

/// Scanlines with filter type 0 from raw rows.
fn unfiltered(rows: &[&[u8]]) -> Vec<u8> {
    rows.iter()
        .flat_map(|r| std::iter::once(0).chain(r.iter().copied()))
        .collect()
}

fn grey8(width: u32, rows: &[&[u8]]) -> Vec<u8> {
    let h = rows.len() as u32;
    png(
        &ihdr(width, h, 8, 0, 0),
        &[],
        &zlib_stored(&unfiltered(rows)),
    )
}

fn decode(data: &[u8]) -> KernelResult<GreyImage> {
    decode_png(data, 1 << 24)
}

fn message(data: &[u8]) -> String {
    match decode(data) {
        Err(KernelError::MaskDecode(m)) => m,
        other => panic!("expected a decode error, got {other:?}"),
    }
}

#[test]
fn grey8_round_trips() {
    let img = decode(&grey8(3, &[&[0, 1, 2], &[253, 254, 255]])).unwrap();
    assert_eq!((img.width, img.height), (3, 2));
    assert_eq!(img.pixels, [0, 1, 2, 253, 254, 255]);
}

#[test]
fn compressed_stream_and_split_idat() {
    let raw = unfiltered(&[&[9; 40], &[200; 40], &[7; 40]]);
    let stream = fdeflate::compress_to_vec(&raw);
    let mut file = SIGNATURE.to_vec();
    file.extend(ihdr(40, 3, 8, 0, 0));
    file.extend(chunk(b"IDAT", &[]));
    for part in stream.chunks(3) {
        file.extend(chunk(b"IDAT", part));
    }
    file.extend(chunk(b"IEND", &[]));
    let img = decode(&file).unwrap();
    assert_eq!(&img.pixels[..40], &[9; 40]);
    assert_eq!(&img.pixels[80..], &[7; 40]);
}

#[test]
fn large_image_streams_through_the_window() {
    // Larger than the reader's buffer, so the buffer is compacted many times.
    let (w, h) = (1000u32, 300u32);
    let rows: Vec<Vec<u8>> = (0..h)
        .map(|y| (0..w).map(|x| ((x * 7 + y * 13) % 251) as u8).collect())
        .collect();
    let refs: Vec<&[u8]> = rows.iter().map(Vec::as_slice).collect();
    let stream = fdeflate::compress_to_vec(&unfiltered(&refs));
    let img = decode(&png(&ihdr(w, h, 8, 0, 0), &[], &stream)).unwrap();
    assert_eq!(img.pixels, rows.concat());
}

#[test]
fn colour_types_convert_like_pillow() {
    let rgb = png(
        &ihdr(2, 1, 8, 2, 0),
        &[],
        &zlib_stored(&[0, 255, 0, 0, 0, 0, 255]),
    );
    assert_eq!(decode(&rgb).unwrap().pixels, [76, 29]);
    let rgba16 = png(
        &ihdr(1, 1, 16, 6, 0),
        &[],
        &zlib_stored(&[0, 0, 0xff, 0xff, 0xff, 0, 0, 0, 0]),
    );
    assert_eq!(decode(&rgba16).unwrap().pixels, [150]);
    let grey2 = png(&ihdr(4, 1, 2, 0, 0), &[], &zlib_stored(&[0, 0b0001_1011]));
    assert_eq!(decode(&grey2).unwrap().pixels, [0, 85, 170, 255]);
    let plte = chunk(b"PLTE", &[255, 0, 0, 0, 0, 255]);
    let pal = png(&ihdr(3, 1, 8, 3, 0), &[plte], &zlib_stored(&[0, 1, 0, 2]));
    assert_eq!(decode(&pal).unwrap().pixels, [29, 76, 0]);
}

#[test]
fn interlaced_equals_plain() {
    for (w, h) in [(1, 1), (2, 3), (5, 5), (9, 17), (16, 8)] {
        let px = |x: u32, y: u32| ((x * 31 + y * 17) % 256) as u8;
        let rows: Vec<Vec<u8>> = (0..h).map(|y| (0..w).map(|x| px(x, y)).collect()).collect();
        let mut lines = Vec::new();
        for (x0, y0, dx, dy) in ADAM7 {
            let xs: Vec<u32> = (x0..w).step_by(dx as usize).collect();
            if xs.is_empty() {
                continue;
            }
            for y in (y0..h).step_by(dy as usize) {
                lines.push(0);
                lines.extend(xs.iter().map(|&x| px(x, y)));
            }
        }
        let img = decode(&png(&ihdr(w, h, 8, 0, 1), &[], &zlib_stored(&lines))).unwrap();
        assert_eq!(img.pixels, rows.concat(), "{w}x{h}");
    }
}

#[test]
fn pixel_limit_is_checked_before_anything_else() {
    let mut file = SIGNATURE.to_vec();
    file.extend(ihdr(100_000, 100_000, 8, 0, 0));
    // No IDAT, no IEND: the limit must fire first.
    assert_eq!(
        decode_png(&file, 4096 * 4096),
        Err(KernelError::PixelLimit {
            width: 100_000,
            height: 100_000,
            limit: 4096 * 4096
        })
    );
    let ok = grey8(3, &[&[1, 2, 3], &[4, 5, 6]]);
    assert!(decode_png(&ok, 6).is_ok());
    assert!(matches!(
        decode_png(&ok, 5),
        Err(KernelError::PixelLimit { .. })
    ));
}

#[test]
fn huge_header_with_tiny_data_is_refused_without_allocating() {
    let file = png(
        &ihdr(MAX_U31, MAX_U31, 16, 6, 0),
        &[],
        &zlib_stored(&[0; 16]),
    );
    let msg = match decode_png(&file, u64::MAX) {
        Err(KernelError::MaskDecode(m)) => m,
        other => panic!("{other:?}"),
    };
    assert!(msg.contains("cannot hold"), "{msg}");
}

#[test]
fn structural_errors_name_the_problem() {
    let good = grey8(2, &[&[1, 2]]);
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"GIF89a....".to_vec(), "not a PNG"),
        (good[..good.len() - 12].to_vec(), "ends before the IEND"),
        (good[..good.len() - 8].to_vec(), "cut off"),
        (good[..good.len() - 3].to_vec(), "but only 1 bytes remain"),
        (good[..30].to_vec(), "only"),
        (
            {
                let mut f = good.clone();
                f[20] ^= 1; // a byte of IHDR's data
                f
            },
            "CRC mismatch in chunk 'IHDR'",
        ),
        (
            png(&ihdr(2, 1, 3, 0, 0), &[], &zlib_stored(&[0, 0])),
            "bit depth 3",
        ),
        (
            png(&ihdr(2, 1, 8, 5, 0), &[], &zlib_stored(&[0, 0, 0])),
            "colour type 5",
        ),
        (
            png(&ihdr(0, 1, 8, 0, 0), &[], &zlib_stored(&[0])),
            "image size 0x1",
        ),
        (
            png(&ihdr(2, 1, 8, 0, 2), &[], &zlib_stored(&[0, 0, 0])),
            "interlace",
        ),
        (
            png(&ihdr(2, 1, 8, 3, 0), &[], &zlib_stored(&[0, 0, 0])),
            "PLTE",
        ),
        (
            png(
                &ihdr(2, 1, 8, 0, 0),
                &[chunk(b"ABCD", &[])],
                &zlib_stored(&[0, 0, 0]),
            ),
            "unknown critical chunk 'ABCD'",
        ),
        (
            png(
                &ihdr(2, 1, 8, 0, 0),
                &[chunk(b"IHDR", &[0; 13])],
                &zlib_stored(&[0, 0, 0]),
            ),
            "second IHDR",
        ),
        (
            png(&ihdr(2, 1, 8, 0, 0), &[], &zlib_stored(&[5, 0, 0])),
            "filter type 5",
        ),
        (
            png(&ihdr(2, 1, 8, 0, 0), &[], &zlib_stored(&[0, 0])),
            "holds 2 bytes",
        ),
        (
            png(&ihdr(2, 1, 8, 0, 0), &[], &zlib_stored(&[0, 0, 0, 0])),
            "more than the 3",
        ),
        (
            png(&ihdr(2, 1, 8, 0, 0), &[], &[0x78, 0x01, 1, 3, 0]),
            "cut short",
        ),
        (
            png(&ihdr(2, 1, 8, 0, 0), &[], &[0x78, 0x02, 0, 0]),
            "invalid",
        ),
        (
            {
                let mut s = zlib_stored(&[0, 1, 2]);
                let n = s.len();
                s[n - 1] ^= 0xff; // the Adler-32
                png(&ihdr(2, 1, 8, 0, 0), &[], &s)
            },
            "invalid",
        ),
    ];
    for (file, expected) in cases {
        let m = message(&file);
        assert!(m.contains(expected), "{m:?} does not mention {expected:?}");
    }
}

#[test]
fn idat_order_and_iend_rules() {
    let stream = zlib_stored(&[0, 1, 2]);
    let mut split = SIGNATURE.to_vec();
    split.extend(ihdr(2, 1, 8, 0, 0));
    split.extend(chunk(b"IDAT", &stream[..4]));
    split.extend(chunk(b"tEXt", b"a\0b"));
    split.extend(chunk(b"IDAT", &stream[4..]));
    split.extend(chunk(b"IEND", &[]));
    assert!(message(&split).contains("does not follow"));

    let mut no_idat = SIGNATURE.to_vec();
    no_idat.extend(ihdr(2, 1, 8, 0, 0));
    no_idat.extend(chunk(b"IEND", &[]));
    assert!(message(&no_idat).contains("no IDAT"));

    let mut trailing = png(&ihdr(2, 1, 8, 0, 0), &[], &stream);
    trailing.extend_from_slice(b"garbage after IEND");
    assert_eq!(decode(&trailing).unwrap().pixels, [1, 2]);

    let mut fat_iend = png(&ihdr(2, 1, 8, 0, 0), &[], &stream);
    let n = fat_iend.len();
    fat_iend.truncate(n - 12);
    fat_iend.extend(chunk(b"IEND", b"x"));
    assert!(message(&fat_iend).contains("IEND"));
}

#[test]
fn ancillary_chunks_are_skipped() {
    let before = vec![
        chunk(b"tRNS", &[0, 1]),
        chunk(b"gAMA", &[0, 0, 0xb1, 0x8f]),
        chunk(b"PLTE", &[1, 2, 3]),
    ];
    let file = png(&ihdr(2, 1, 8, 0, 0), &before, &zlib_stored(&[0, 1, 2]));
    assert_eq!(decode(&file).unwrap().pixels, [1, 2]);
}

#[test]
fn no_truncation_or_byte_flip_panics() {
    let raw = unfiltered(&[&[1, 2, 3, 4], &[5, 6, 7, 8], &[9, 10, 11, 12]]);
    let file = png(&ihdr(4, 3, 8, 0, 1), &[], &fdeflate::compress_to_vec(&raw));
    for cut in 0..file.len() {
        assert!(decode(&file[..cut]).is_err());
    }
    for i in 0..file.len() {
        for flip in [1u8, 0x80, 0xff] {
            let mut bad = file.clone();
            bad[i] ^= flip;
            let _ = decode(&bad);
        }
    }
}

/// `decode_png_rows_into` gives the same rows and the same errors as
/// `decode_png_into`, whether the rows stay in the inflate buffer (filter 0
/// everywhere), are unfiltered from it, or are streamed; for every cut and
/// byte flip of the file (a flip may break the stream after a bad filter type,
/// which the line-by-line decoder reports first).
#[test]
fn rows_in_place_agree_with_the_copied_pixels() {
    let rows: [&[u8]; 3] = [&[1, 2, 3, 4], &[5, 6, 7, 8], &[9, 10, 11, 12]];
    let mut filtered = unfiltered(&rows);
    filtered[5] = 2; // row 1: Up
    let (w, h) = (1000u32, 300u32);
    let big: Vec<Vec<u8>> = (0..h)
        .map(|y| (0..w).map(|x| ((x * 7 + y * 13) % 251) as u8).collect())
        .collect();
    let big: Vec<&[u8]> = big.iter().map(Vec::as_slice).collect();
    let files = [
        png(
            &ihdr(4, 3, 8, 0, 0),
            &[],
            &fdeflate::compress_to_vec(&unfiltered(&rows)),
        ),
        png(
            &ihdr(4, 3, 8, 0, 0),
            &[],
            &fdeflate::compress_to_vec(&filtered),
        ),
        png(&ihdr(4, 3, 8, 0, 0), &[], &zlib_stored(&filtered)),
        png(
            &ihdr(w, h, 8, 0, 0),
            &[],
            &fdeflate::compress_to_vec(&unfiltered(&big)),
        ),
    ];
    let (mut copied, mut in_place) = (Scratch::default(), Scratch::default());
    let mut check = |file: &[u8]| {
        let want = decode_png_into(file, 1 << 24, &mut copied);
        let got = decode_png_rows_into(file, 1 << 24, &mut in_place);
        assert_eq!(got, want);
        if let Ok((width, height)) = got {
            let (data, stride) = in_place.rows();
            let rows: Vec<u8> = (0..height)
                .flat_map(|y| data[y * stride..][..width].iter().copied())
                .collect();
            assert_eq!(rows, copied.pixels());
        }
    };
    for file in &files {
        check(file);
    }
    for file in &files[..3] {
        for cut in 0..file.len() {
            check(&file[..cut]);
        }
        for i in 0..file.len() {
            for flip in [1u8, 0x80, 0xff] {
                let mut bad = file.clone();
                bad[i] ^= flip;
                check(&bad);
            }
        }
    }
}
