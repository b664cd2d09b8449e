//! A stable-toolchain fuzz harness for the Rust kernels (SPEC R5).
//!
//! cargo-fuzz needs a nightly compiler; this runs on stable, with no extra
//! crate: a seeded generator and structure-aware mutators over a small corpus
//! kept in the repository (`fuzz/corpus/<target>/`). It has no coverage
//! feedback, so it makes up for it with structure: PNGs are rebuilt with
//! valid CRCs (and, on purpose, some with bad ones), their chunks reordered,
//! resized, duplicated, their scanlines refiltered and their zlib streams
//! re-stored, truncated or flipped; answers are spliced from JSON tokens the
//! fast lane's reader branches on.
//!
//!     cargo run --release --example fuzz_kernels -- TARGET RUNS [SEED]
//!     cargo run --release --example fuzz_kernels -- png 600s     # ten minutes
//!
//! Targets: `png` (the decoder), `records` (the batch fast lane's answer
//! reader and the whole lane), `rle` (string codec, decode, decode_box,
//! encode), `frames` (union, label map, full masks, with sizes up to the
//! allocation limit and beyond). A finding is a panic or a broken invariant:
//! the input is written to `fuzz/findings/` and the run exits 1. At the end
//! it prints the inputs per second and the number of distinct outcomes (the
//! error message with its numbers removed, or the output's shape class), the
//! closest a stable harness without coverage gets to "paths".

use std::collections::HashSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::Instant;

use _rust::error::KernelError;
use _rust::paste::{self, BoxMask};
use _rust::records::{self, Limits, Record};
use _rust::resize::PassOrder;
use _rust::{batch, png, rle};

/// xorshift64*: small, seedable, good enough to drive mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
    fn byte(&mut self) -> u8 {
        self.next() as u8
    }
}

// --- PNG structure -------------------------------------------------------------------

const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

fn adler32(bytes: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &x in bytes {
        a = (a + u32::from(x)) % 65521;
        b = (b + a) % 65521;
    }
    (b << 16) | a
}

/// A zlib stream of stored (uncompressed) deflate blocks.
fn zlib_stored(raw: &[u8], block: usize) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let block = block.clamp(1, 65535);
    let mut blocks = raw.chunks(block).peekable();
    if blocks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(part) = blocks.next() {
        out.push(u8::from(blocks.peek().is_none()));
        let len = part.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(part);
    }
    out.extend_from_slice(&adler32(raw).to_be_bytes());
    out
}

#[derive(Clone)]
struct Chunk {
    kind: [u8; 4],
    data: Vec<u8>,
    /// Write a wrong CRC (rarely: the CRC check is one path, not the only one).
    bad_crc: bool,
    /// Write this length instead of the data's (a lying length field).
    length: Option<u32>,
}

fn chunk(kind: &[u8; 4], data: Vec<u8>) -> Chunk {
    Chunk {
        kind: *kind,
        data,
        bad_crc: false,
        length: None,
    }
}

fn write_png(chunks: &[Chunk], trailer: &[u8]) -> Vec<u8> {
    let mut out = SIGNATURE.to_vec();
    for c in chunks {
        let len = c.length.unwrap_or(c.data.len() as u32);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&c.kind);
        out.extend_from_slice(&c.data);
        let mut crc_input = c.kind.to_vec();
        crc_input.extend_from_slice(&c.data);
        let crc = png::crc32(&crc_input) ^ u32::from(c.bad_crc);
        out.extend_from_slice(&crc.to_be_bytes());
    }
    out.extend_from_slice(trailer);
    out
}

/// Split a PNG into chunks (None if it is not chunk-shaped).
fn read_chunks(data: &[u8]) -> Option<Vec<Chunk>> {
    let mut rest = data.strip_prefix(SIGNATURE)?;
    let mut chunks = Vec::new();
    while rest.len() >= 12 {
        let len = u32::from_be_bytes(rest[..4].try_into().ok()?) as usize;
        if rest.len() < 12 + len {
            return None;
        }
        let kind: [u8; 4] = rest[4..8].try_into().ok()?;
        chunks.push(chunk(&kind, rest[8..8 + len].to_vec()));
        rest = &rest[12 + len..];
    }
    Some(chunks)
}

/// Bytes per scanline (without the filter byte) of a `width`-pixel row.
fn row_bytes(width: usize, colour: u8, depth: u8) -> usize {
    let channels = match colour {
        2 => 3,
        4 => 2,
        6 => 4,
        _ => 1,
    };
    (width * channels * usize::from(depth)).div_ceil(8)
}

/// A fresh small PNG drawn from the generator: any colour type, depth,
/// interlace, filter bytes (including invalid ones), palette, tRNS, IDAT split.
fn generate_png(rng: &mut Rng) -> Vec<u8> {
    const FORMATS: [(u8, u8); 15] = [
        (0, 1),
        (0, 2),
        (0, 4),
        (0, 8),
        (0, 16),
        (2, 8),
        (2, 16),
        (3, 1),
        (3, 2),
        (3, 4),
        (3, 8),
        (4, 8),
        (4, 16),
        (6, 8),
        (6, 16),
    ];
    let (colour, depth) = FORMATS[rng.below(FORMATS.len())];
    let (w, h) = (1 + rng.below(40), 1 + rng.below(40));
    let interlace = u8::from(rng.chance(3));
    let mut ihdr = (w as u32).to_be_bytes().to_vec();
    ihdr.extend_from_slice(&(h as u32).to_be_bytes());
    ihdr.extend_from_slice(&[depth, colour, 0, 0, interlace]);
    let mut chunks = vec![chunk(b"IHDR", ihdr)];
    if colour == 3 || rng.chance(8) {
        let entries = 1 + rng.below(256);
        chunks.push(chunk(
            b"PLTE",
            (0..entries * 3).map(|_| rng.byte()).collect(),
        ));
    }
    if rng.chance(4) {
        let n = rng.below(12);
        chunks.push(chunk(b"tRNS", (0..n).map(|_| rng.byte()).collect()));
    }
    // Scanlines: every pass's rows, each with a filter byte (mostly valid).
    let passes: Vec<(usize, usize)> = if interlace == 1 {
        png::ADAM7
            .iter()
            .map(|&(x0, y0, dx, dy)| {
                let (x0, y0, dx, dy) = (x0 as usize, y0 as usize, dx as usize, dy as usize);
                (
                    w.saturating_sub(x0).div_ceil(dx),
                    h.saturating_sub(y0).div_ceil(dy),
                )
            })
            .filter(|&(pw, ph)| pw > 0 && ph > 0)
            .collect()
    } else {
        vec![(w, h)]
    };
    let mut raw = Vec::new();
    for (pw, ph) in passes {
        for _ in 0..ph {
            raw.push(if rng.chance(40) {
                rng.byte()
            } else {
                rng.below(5) as u8
            });
            raw.extend((0..row_bytes(pw, colour, depth)).map(|_| rng.byte()));
        }
    }
    if rng.chance(10) {
        raw.truncate(rng.below(raw.len() + 1));
    }
    let stream = zlib_stored(&raw, 1 + rng.below(raw.len() + 1));
    let split = 1 + rng.below(stream.len() + 1);
    for part in stream.chunks(split) {
        chunks.push(chunk(b"IDAT", part.to_vec()));
    }
    chunks.push(chunk(b"IEND", Vec::new()));
    write_png(&chunks, &[])
}

/// Mutate a PNG at the chunk level, keeping CRCs valid unless told otherwise.
fn mutate_png(rng: &mut Rng, data: &[u8]) -> Vec<u8> {
    let Some(mut chunks) = read_chunks(data) else {
        return mutate_bytes(rng, data);
    };
    let mut trailer = Vec::new();
    for _ in 0..1 + rng.below(3) {
        let n = chunks.len();
        match rng.below(11) {
            0 if n > 1 => chunks.swap(rng.below(n), rng.below(n)),
            1 if n > 0 => {
                chunks.remove(rng.below(n));
            }
            2 if n > 0 => {
                let c = chunks[rng.below(n)].clone();
                chunks.insert(rng.below(n + 1), c);
            }
            3 if n > 0 => {
                // IHDR fields: size, depth, colour type, interlace, methods.
                if let Some(c) = chunks.iter_mut().find(|c| &c.kind == b"IHDR") {
                    if !c.data.is_empty() {
                        let at = rng.below(c.data.len());
                        c.data[at] = match rng.below(3) {
                            0 => rng.byte(),
                            1 => c.data[at].wrapping_add(1),
                            _ => [0, 1, 2, 3, 4, 6, 8, 16, 255][rng.below(9)],
                        };
                    }
                }
            }
            4 if n > 0 => {
                let c = &mut chunks[rng.below(n)];
                c.data = mutate_bytes(rng, &c.data);
            }
            5 if n > 0 => {
                // Re-store the whole image stream with one filter byte changed.
                let stream: Vec<u8> = chunks
                    .iter()
                    .filter(|c| &c.kind == b"IDAT")
                    .flat_map(|c| c.data.iter().copied())
                    .collect();
                if stream.len() > 6 {
                    let mut body = stream[2..stream.len() - 4].to_vec();
                    if !body.is_empty() {
                        let at = rng.below(body.len());
                        body[at] = rng.byte();
                    }
                    let new = zlib_stored(&body, 1 + rng.below(body.len() + 1));
                    chunks.retain(|c| &c.kind != b"IDAT");
                    let at = chunks.len().saturating_sub(1);
                    chunks.insert(at, chunk(b"IDAT", new));
                }
            }
            6 if n > 0 => chunks[rng.below(n)].length = Some(rng.next() as u32 >> rng.below(32)),
            7 if n > 0 => chunks[rng.below(n)].bad_crc = true,
            8 => {
                let kinds: [&[u8; 4]; 6] = [b"IDAT", b"PLTE", b"tRNS", b"zzZz", b"IEND", b"gAMA"];
                let data = (0..rng.below(16)).map(|_| rng.byte()).collect();
                chunks.insert(rng.below(n + 1), chunk(kinds[rng.below(kinds.len())], data));
            }
            9 => trailer = (0..rng.below(16)).map(|_| rng.byte()).collect(),
            _ if n > 0 => {
                // Truncate one IDAT's data.
                if let Some(c) = chunks.iter_mut().rfind(|c| &c.kind == b"IDAT") {
                    let keep = rng.below(c.data.len() + 1);
                    c.data.truncate(keep);
                }
            }
            _ => {}
        }
    }
    let out = write_png(&chunks, &trailer);
    if rng.chance(20) {
        mutate_bytes(rng, &out)
    } else {
        out
    }
}

/// Byte-level havoc: flips, inserts, deletes, interesting values.
fn mutate_bytes(rng: &mut Rng, data: &[u8]) -> Vec<u8> {
    let mut out = data.to_vec();
    for _ in 0..1 + rng.below(4) {
        let n = out.len();
        match rng.below(6) {
            0 if n > 0 => {
                let at = rng.below(n);
                out[at] ^= 1 << rng.below(8);
            }
            1 if n > 0 => {
                let at = rng.below(n);
                out[at] = [0, 1, 0x7f, 0x80, 0xff][rng.below(5)];
            }
            2 => {
                let at = rng.below(n + 1);
                out.insert(at, rng.byte());
            }
            3 if n > 0 => {
                let at = rng.below(n);
                let len = rng.below(n - at + 1).min(16);
                out.drain(at..at + len);
            }
            4 if n > 1 => {
                let (a, b) = (rng.below(n), rng.below(n));
                let len = rng.below(n - a.max(b) + 1).min(32);
                let piece = out[a..a + len].to_vec();
                out.splice(b..b, piece);
            }
            _ if n > 0 => {
                let at = rng.below(n);
                out.truncate(at);
            }
            _ => {}
        }
    }
    out
}

// --- answers ---------------------------------------------------------------------------

const TOKENS: &[&str] = &[
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    "\"box_2d\"",
    "\"label\"",
    "\"mask\"",
    "\"point\"",
    "0",
    "1000",
    "-1",
    "1e3",
    "999999999999999999999",
    "0.5",
    "\"a\"",
    "\"\\ud800\"",
    "\"\\u00e9\"",
    "\"\\\"\"",
    "\"\\n\"",
    "null",
    "true",
    "```json\n",
    "\n```",
    " ",
    "\"data:image/png;base64,",
    "\"",
    "\\",
    "\u{1F600}",
    "\u{0}",
];

fn mutate_answer(rng: &mut Rng, data: &[u8], png_seed: &[u8]) -> Vec<u8> {
    let mut out = data.to_vec();
    for _ in 0..1 + rng.below(3) {
        match rng.below(4) {
            0 => {
                let token = TOKENS[rng.below(TOKENS.len())].as_bytes();
                let at = rng.below(out.len() + 1);
                out.splice(at..at, token.iter().copied());
            }
            1 => {
                // A fresh mask: a base64 PNG, valid or damaged.
                let png = mutate_png(rng, png_seed);
                let text = base64(&png);
                let item = format!(
                    "{{\"box_2d\": [{}, {}, {}, {}], \"label\": \"m\", \"mask\": \"data:image/png;base64,{text}\"}}",
                    rng.below(500),
                    rng.below(500),
                    500 + rng.below(501),
                    500 + rng.below(501)
                );
                out = format!("[{item}]").into_bytes();
            }
            _ => out = mutate_bytes(rng, &out),
        }
    }
    out
}

/// A fresh answer in the shape the lane reads, with the details it branches on
/// drawn at random: key order, number forms, escapes, fences, masks.
fn generate_answer(rng: &mut Rng, png_seed: &[u8]) -> Vec<u8> {
    const NUMBERS: [&str; 10] = [
        "0",
        "7",
        "500",
        "1000",
        "1001",
        "-3",
        "12.5",
        "1e2",
        "0500",
        "99999999999",
    ];
    const LABELS: [&str; 8] = [
        "a",
        "",
        r"caf\u00e9",
        r"\ud800",
        r"\\",
        r#"\"q\""#,
        r"\u0000",
        "\u{1F600}",
    ];
    let mut items = Vec::new();
    for _ in 0..rng.below(4) {
        let mut fields = Vec::new();
        let sides = if rng.chance(10) { 3 } else { 4 };
        let b: Vec<String> = (0..sides)
            .map(|_| {
                if rng.chance(4) {
                    NUMBERS[rng.below(NUMBERS.len())].to_string()
                } else {
                    rng.below(1001).to_string()
                }
            })
            .collect();
        fields.push(format!("\"box_2d\": [{}]", b.join(", ")));
        fields.push(format!(
            "\"label\": \"{}\"",
            LABELS[rng.below(LABELS.len())]
        ));
        if rng.chance(2) {
            let png = if rng.chance(2) {
                png_seed.to_vec()
            } else {
                mutate_png(rng, png_seed)
            };
            fields.push(format!(
                "\"mask\": \"data:image/png;base64,{}\"",
                base64(&png)
            ));
        }
        if rng.chance(10) {
            fields.push("\"extra\": 1".into());
        }
        if rng.chance(2) {
            fields.reverse();
        }
        items.push(format!("{{{}}}", fields.join(", ")));
    }
    let list = format!("[{}]", items.join(", "));
    match rng.below(4) {
        0 => format!("```json\n{list}\n```"),
        1 => format!("Here:\n```json\n{list}\n```\nDone."),
        _ => list,
    }
    .into_bytes()
}

fn base64(data: &[u8]) -> String {
    _rust::base64::encode(data)
}

// --- targets ---------------------------------------------------------------------------

/// An outcome class: the error text without its numbers, or a shape tag.
fn class(err: &KernelError) -> String {
    err.to_string()
        .chars()
        .map(|c| if c.is_ascii_digit() { '#' } else { c })
        .collect::<String>()
        .split("##")
        .collect::<Vec<_>>()
        .join("#")
}

fn run_png(data: &[u8]) -> Result<String, String> {
    const LIMIT: u64 = 1 << 16;
    match png::decode_png(data, LIMIT) {
        Ok(img) => {
            if img.pixels.len() != img.width * img.height || img.pixels.len() as u64 > LIMIT {
                return Err(format!(
                    "{}x{} image with {} pixels",
                    img.width,
                    img.height,
                    img.pixels.len()
                ));
            }
            Ok(format!("ok {}", img.width.min(2) * 3 + img.height.min(2)))
        }
        Err(e) => Ok(class(&e)),
    }
}

fn run_records(data: &[u8]) -> Result<String, String> {
    let raw = records::read_answer(data);
    let (w, h) = (64usize, 48usize);
    let options = batch::Options {
        threshold: 127,
        order: PassOrder::Pillow13,
        max_pixels: 1 << 16,
        threads: 1,
    };
    let limits = Limits {
        max_mask_pixels: 1 << 20,
        max_decoded_bytes: 1 << 20,
        max_answer_bytes: 1 << 20,
        max_items: 1 << 10,
    };
    let record = Record {
        text: data,
        width: w,
        height: h,
    };
    let out = records::records_to_columns(&[record], options, limits);
    let rows = out.len();
    let consistent = out.record.len() == rows
        && out.boxes.len() == 4 * rows
        && out.label_offsets.len() == rows + 1
        && out.counts_offsets.len() == rows + 1
        && out.segment.len() == rows
        && out.area.len() == rows
        && out
            .label_offsets
            .last()
            .is_some_and(|&end| end as usize == out.label_data.len())
        && out
            .counts_offsets
            .last()
            .is_some_and(|&end| end as usize == out.counts_data.len());
    if !consistent || out.taken.len() != 1 || out.cut.len() != 1 || out.taken[0] == (rows == 0) {
        return Err(format!(
            "inconsistent columns: {} rows, taken {:?}",
            rows, out.taken
        ));
    }
    match (&raw, out.taken[0]) {
        (None, true) => Err("the lane took an answer the reader refused".into()),
        (_, true) => {
            for bbox in out.boxes.chunks_exact(4) {
                let [x0, y0, x1, y1] = [bbox[0], bbox[1], bbox[2], bbox[3]].map(i64::from);
                if !(0 <= x0 && x0 < x1 && x1 <= w as i64 && 0 <= y0 && y0 < y1 && y1 <= h as i64) {
                    return Err(format!("box {bbox:?} outside the {w}x{h} image"));
                }
            }
            let masks = out.segment.iter().filter(|&&s| s).count();
            Ok(format!("items {} masks {}", rows.min(4), masks.min(4)))
        }
        (Some(r), false) => Ok(format!("read {} general", r.items.len().min(3))),
        (None, false) => Ok("general".into()),
    }
}

fn run_rle(rng: &mut Rng, data: &[u8]) -> Result<String, String> {
    let counts = match rle::from_string(data) {
        Ok(c) => c,
        Err(e) => return Ok(class(&e)),
    };
    if rle::from_string(&rle::to_string(&counts)).as_ref() != Ok(&counts) {
        return Err(format!("string round trip changed {counts:?}"));
    }
    // Read the counts against a frame whose size the input picks.
    let total: u64 = counts.iter().map(|&c| u64::from(c)).sum();
    let h = 1 + rng.below(40);
    if !total.is_multiple_of(h as u64) || total / (h as u64) > 4096 {
        return Ok("counts of another frame".into());
    }
    let w = (total / h as u64) as usize;
    let r = match rle::Rle::new(&counts, h, w) {
        Ok(r) => r,
        Err(e) => return Ok(class(&e)),
    };
    let frame = rle::decode(&r).map_err(|e| e.to_string())?;
    let (x0, y0) = (rng.below(w + 4) as i64 - 2, rng.below(h + 4) as i64 - 2);
    let (bw, bh) = (rng.below(w + 3), rng.below(h + 3));
    let part = rle::decode_box(&r, x0, y0, bh, bw).map_err(|e| e.to_string())?;
    for by in 0..bh {
        for bx in 0..bw {
            let (fx, fy) = (x0 + bx as i64, y0 + by as i64);
            let inside = (0..w as i64).contains(&fx) && (0..h as i64).contains(&fy);
            let expected = inside && frame[fy as usize * w + fx as usize];
            if part[by * bw + bx] != expected {
                return Err(format!("decode_box differs from decode at ({bx}, {by})"));
            }
        }
    }
    let whole = BoxMask::new(&frame, h, w, 0, 0).map_err(|e| e.to_string())?;
    let again = rle::encode(&whole, h, w).map_err(|e| e.to_string())?;
    let r2 = rle::Rle::new(&again, h, w).map_err(|e| e.to_string())?;
    if rle::decode(&r2).map_err(|e| e.to_string())? != frame {
        return Err("encode(decode(rle)) decodes differently".into());
    }
    Ok(format!("rle {}", counts.len().min(4)))
}

fn run_frames(rng: &mut Rng, data: &[u8]) -> Result<String, String> {
    // The input's bytes are the masks' pixels; the generator picks the geometry.
    let n = rng.below(4);
    let mut owned = Vec::new();
    let mut used = 0;
    for _ in 0..n {
        let (mh, mw) = (rng.below(6), rng.below(6));
        let pixels: Vec<bool> = (0..mh * mw)
            .map(|i| data.get(used + i).is_some_and(|b| b & 1 == 1))
            .collect();
        used += mh * mw;
        owned.push((
            pixels,
            mh,
            mw,
            rng.below(20) as i64 - 6,
            rng.below(20) as i64 - 6,
        ));
    }
    let masks: Vec<BoxMask<'_>> = owned
        .iter()
        .map(|(p, mh, mw, x0, y0)| BoxMask::new(p, *mh, *mw, *x0, *y0).expect("sized above"))
        .collect();
    let huge = rng.chance(50);
    let (h, w) = if huge {
        (
            1usize << (20 + rng.below(24)),
            1usize << (20 + rng.below(24)),
        )
    } else {
        (rng.below(12), rng.below(12))
    };
    let union = paste::union(&masks, h, w);
    let labels = paste::label_map(&masks, h, w);
    let full = paste::full_masks(&masks, h, w);
    match (union, labels, full) {
        (Ok(u), Ok(l), Ok(f)) => {
            let plane = h * w;
            for p in 0..plane {
                let any = (0..masks.len()).any(|i| f[i * plane + p]);
                let last = (0..masks.len()).rev().find(|&i| f[i * plane + p]);
                if u[p] != any || l[p] != last.map_or(0, |i| i as i32 + 1) {
                    return Err(format!("union/label map disagree with full masks at {p}"));
                }
            }
            Ok("frames".into())
        }
        (u, l, f) => {
            for e in [u.err(), l.err(), f.err()].into_iter().flatten() {
                if !matches!(
                    e,
                    KernelError::Allocation { .. } | KernelError::InvalidArgument(_)
                ) {
                    return Err(format!("unexpected error {e}"));
                }
            }
            Ok(if huge { "refused huge" } else { "refused" }.into())
        }
    }
}

// --- driver ----------------------------------------------------------------------------

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.sort();
    files.iter().filter_map(|p| std::fs::read(p).ok()).collect()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: fuzz_kernels {png,records,rle,frames} RUNS|SECONDSs [SEED]";
    let target = args.get(1).expect(usage).as_str();
    // RUNS is a count of inputs, or a duration such as `600s`.
    let budget = args.get(2).expect(usage);
    let seconds: Option<f64> = budget.strip_suffix('s').and_then(|s| s.parse().ok());
    let runs: u64 = match seconds {
        Some(_) => u64::MAX,
        None => budget.parse().expect(usage),
    };
    let seed: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(1);
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut seeds = corpus(target);
    if seeds.is_empty() {
        seeds.push(generate_png(&mut rng));
    }
    let png_seeds = corpus("png");
    let png_seed = png_seeds
        .first()
        .cloned()
        .unwrap_or_else(|| generate_png(&mut Rng(7)));
    let mut outcomes: HashSet<String> = HashSet::new();
    let start = Instant::now();
    std::panic::set_hook(Box::new(|_| {}));
    let mut done = 0u64;
    for run in 0..runs {
        if seconds.is_some_and(|limit| run % 1024 == 0 && start.elapsed().as_secs_f64() > limit) {
            break;
        }
        done = run + 1;
        let base = &seeds[rng.below(seeds.len())];
        let input = match target {
            "png" if rng.chance(3) => generate_png(&mut rng),
            "png" => mutate_png(&mut rng, base),
            "records" if rng.chance(2) => generate_answer(&mut rng, &png_seed),
            "records" => mutate_answer(&mut rng, base, &png_seed),
            _ => mutate_bytes(&mut rng, base),
        };
        let mut case_rng = Rng(rng.next() | 1);
        let result = catch_unwind(AssertUnwindSafe(|| match target {
            "png" => run_png(&input),
            "records" => run_records(&input),
            "rle" => run_rle(&mut case_rng, &input),
            "frames" => run_frames(&mut case_rng, &input),
            _ => panic!("{usage}"),
        }));
        let failure = match result {
            Ok(Ok(outcome)) => {
                if outcomes.insert(outcome) && input.len() <= 4096 && seeds.len() < 4096 {
                    // A new outcome: keep the input as a base for further mutation.
                    seeds.push(input);
                }
                continue;
            }
            Ok(Err(broken)) => broken,
            Err(_) => "panic".to_string(),
        };
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/findings");
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join(format!("{target}-{seed}-{run}"));
        let _ = std::fs::write(&path, &input);
        eprintln!(
            "finding in {target} at run {run}: {failure}; input in {}",
            path.display()
        );
        std::process::exit(1);
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{target}: {done} inputs in {secs:.1} s ({:.0}/s), {} distinct outcomes, {} inputs kept",
        done as f64 / secs.max(1e-9),
        outcomes.len(),
        seeds.len()
    );
}
