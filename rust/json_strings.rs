//! Long JSON strings lifted out of a document before the standard library's
//! `json.loads` sees it (issue 15: a 2 MB text answer).
//!
//! # Theory of operation
//!
//! `json.loads` spends nearly all of its time on a big text answer inside the
//! one long string: it copies it run by run between escapes (a `\n` every line)
//! into a new `str`. Here the document is read once: `memchr` finds where a
//! string token opens, and one pass over the token ([`scan_string`], sixteen
//! bytes at a time) both decodes it and finds its end. Every *value* string
//! of at least `min_len` bytes is replaced in a copy of the document (the
//! *skeleton*) by a short placeholder, `"<marker><index>"`. The caller parses
//! the skeleton with `json.loads` and puts the strings back.
//!
//! The result is exactly `json.loads`'s, because a string is lifted only when
//! its decoding here is certainly the same: no raw control character (which
//! `json.loads` refuses), only the escapes JSON defines, no `\u` escape of a
//! surrogate (`json.loads` pairs them, or keeps a lone one), valid UTF-8 (the
//! standard library would accept encoded surrogates). Anything else stays in
//! the skeleton for `json.loads` to decode or to refuse, and swapping one
//! well-formed string token for another never changes whether the document
//! is valid. Documents `json.loads` might not read as UTF-8 (a byte-order
//! mark, a NUL in the first four bytes: UTF-16 or UTF-32) are left alone.

use std::ops::Range;

use memchr::memchr;

/// A document with its long strings lifted out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// The document with each lifted string replaced by `"<marker><index>"`.
    pub skeleton: Vec<u8>,
    /// The lifted strings, decoded, in document order.
    pub strings: Vec<String>,
}

/// Lift the value strings of at least `min_len` bytes (as written, escapes
/// included) out of the JSON document `doc`; None when there are none (or the
/// document is not plainly UTF-8), so the caller parses `doc` as it is.
///
/// `marker` must be valid inside a JSON string and contain no `"` or `\`
/// other than in escapes.
pub fn split_long_strings(doc: &[u8], min_len: usize, marker: &[u8]) -> Option<Split> {
    let mut decoded = Vec::new();
    let (skeleton, spans) = split_long_strings_into(doc, min_len, marker, &mut decoded)?;
    let strings = spans
        .into_iter()
        .map(|span| String::from_utf8(decoded[span].to_vec()).ok())
        .collect::<Option<Vec<_>>>()?;
    Some(Split { skeleton, strings })
}

/// [`split_long_strings`] with the decoded strings written into `decoded`:
/// the skeleton and, per lifted string, its range in `decoded` (each valid
/// UTF-8). `decoded` is grown (never shrunk) to the document's length and
/// written from its start: a caller that keeps it from call to call keeps its
/// pages, so a big text answer does not map and zero fresh ones every time.
pub fn split_long_strings_into(
    doc: &[u8],
    min_len: usize,
    marker: &[u8],
    decoded: &mut Vec<u8>,
) -> Option<(Vec<u8>, Vec<Range<usize>>)> {
    if doc.len() < min_len.max(1) || !plain_utf8(doc) {
        return None;
    }
    // Decoding never lengthens a string, so the document's length (and a
    // chunk to spare for whole-chunk stores) holds every string written.
    if decoded.len() < doc.len() + CHUNK {
        decoded.resize(doc.len() + CHUNK, 0);
    }
    let mut written = 0;
    let mut lifted: Vec<(usize, usize, Range<usize>)> = Vec::new();
    let mut pos = 0;
    while let Some(offset) = memchr(b'"', &doc[pos..]) {
        let start = pos + offset;
        let Some(scan) = scan_string(doc, start + 1, decoded, written) else {
            break; // unterminated: json.loads reports it
        };
        let (end, span) = (scan.end, written..scan.written);
        let lift = end - (start + 1) >= min_len
            && scan.plain
            && !is_key(doc, end + 1)
            && (!scan.non_ascii || std::str::from_utf8(&decoded[span.clone()]).is_ok());
        if lift {
            written = span.end;
            lifted.push((start, end + 1, span));
        }
        pos = end + 1;
    }
    if lifted.is_empty() {
        return None;
    }
    let kept: usize = doc.len() - lifted.iter().map(|(s, e, _)| e - s).sum::<usize>();
    let mut skeleton = Vec::with_capacity(kept + lifted.len() * (marker.len() + 12));
    let mut spans = Vec::with_capacity(lifted.len());
    let mut copied = 0;
    for (index, (start, end, span)) in lifted.into_iter().enumerate() {
        skeleton.extend_from_slice(&doc[copied..start]);
        skeleton.push(b'"');
        skeleton.extend_from_slice(marker);
        skeleton.extend_from_slice(index.to_string().as_bytes());
        skeleton.push(b'"');
        spans.push(span);
        copied = end;
    }
    skeleton.extend_from_slice(&doc[copied..]);
    Some((skeleton, spans))
}

/// The bytes [`scan_string`] reads (and writes) at a time.
const CHUNK: usize = 16;

/// Whether `json.loads` reads `doc` as UTF-8 (its encoding detection looks
/// for a byte-order mark and for NULs among the first four bytes).
fn plain_utf8(doc: &[u8]) -> bool {
    !doc.starts_with(&[0xEF, 0xBB, 0xBF]) && !doc.iter().take(4).any(|&b| b == 0)
}

/// Whether the string ending before `after` is an object key (a `:` follows).
fn is_key(doc: &[u8], after: usize) -> bool {
    doc[after.min(doc.len())..]
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        == Some(&b':')
}

/// What [`scan_string`] found out about one string token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Scan {
    /// The index of the closing `"`.
    end: usize,
    /// Where the decoded bytes end in the output.
    written: usize,
    /// Whether the bytes written are what `json.loads` decodes the body to,
    /// provided they are UTF-8: no raw control character, only JSON's escapes,
    /// no `\u` escape of a surrogate (see the module notes).
    plain: bool,
    /// Whether a byte of 0x80 or more was written (only then can the bytes
    /// fail to be UTF-8, so only then are they checked).
    non_ascii: bool,
}

/// Decode the string whose body starts at `doc[from]` into `out` from
/// `out[at]` on, in one pass that also finds its end: the first `"` not
/// escaped (escapes are consumed in pairs, so a `\"` never ends it). None
/// when the document ends first. `out` must hold `at` plus the rest of the
/// document plus [`CHUNK`] bytes.
///
/// Sixteen bytes are stored at a time and the write position moves past
/// those before the first quote, backslash or control character
/// ([`specials16`]): a text with a `\n` on every line costs a few stores and
/// one escape a line, with no second walk to find the end or to look for
/// control characters.
fn scan_string(doc: &[u8], from: usize, out: &mut [u8], at: usize) -> Option<Scan> {
    let mut plain = true;
    let mut non_ascii = false;
    let (mut pos, mut w) = (from, at);
    loop {
        while let Some(chunk) = doc.get(pos..pos + CHUNK) {
            let chunk: &[u8; CHUNK] = chunk.try_into().ok()?;
            out[w..w + CHUNK].copy_from_slice(chunk);
            let (special, high) = specials16(chunk);
            if special == 0 {
                non_ascii |= high != 0;
                pos += CHUNK;
                w += CHUNK;
                continue;
            }
            let k = special.trailing_zeros() as usize;
            non_ascii |= high & ((1u32 << k) - 1) != 0;
            pos += k;
            w += k;
            // The commonest escapes (`\n`, `\"`, ...) without leaving the loop.
            if chunk[k] == b'\\' {
                let simple = SIMPLE_ESCAPES[usize::from(*doc.get(pos + 1)?)];
                if simple != 0 {
                    out[w] = simple;
                    pos += 2;
                    w += 1;
                    continue;
                }
            }
            break;
        }
        // At a quote, a backslash or a control character, or in the last 15 bytes.
        let byte = *doc.get(pos)?;
        match byte {
            b'"' => {
                return Some(Scan {
                    end: pos,
                    written: w,
                    plain,
                    non_ascii,
                })
            }
            b'\\' => {
                let escaped = *doc.get(pos + 1)?;
                pos += 2;
                let simple = SIMPLE_ESCAPES[usize::from(escaped)];
                if simple != 0 {
                    out[w] = simple;
                    w += 1;
                } else if escaped != b'u' {
                    plain = false;
                } else if let Some(c) = doc.get(pos..pos + 4).and_then(hex_char) {
                    let encoded = c.encode_utf8(&mut out[w..w + 4]);
                    non_ascii |= encoded.len() > 1;
                    w += encoded.len();
                    pos += 4;
                } else {
                    // A surrogate, or not four hex digits: json.loads judges
                    // it. The digits (if any) are read on as text, which has
                    // no quote or backslash to mistake.
                    plain = false;
                }
            }
            _ => {
                plain &= byte >= 0x20;
                non_ascii |= byte >= 0x80;
                out[w] = byte;
                pos += 1;
                w += 1;
            }
        }
    }
}

/// The byte each one-letter JSON escape stands for (`\n` -> newline), by the
/// letter; 0 for `u` and for the letters JSON does not define.
const SIMPLE_ESCAPES: [u8; 256] = {
    let mut table = [0u8; 256];
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table[b'/' as usize] = b'/';
    table[b'b' as usize] = 0x08;
    table[b'f' as usize] = 0x0C;
    table[b'n' as usize] = b'\n';
    table[b'r' as usize] = b'\r';
    table[b't' as usize] = b'\t';
    table
};

/// The character of a `\u` escape's four hex digits; None for anything else
/// and for a surrogate (`json.loads` pairs those, or keeps a lone one).
fn hex_char(hex: &[u8]) -> Option<char> {
    let mut code = 0u32;
    for &digit in hex {
        code = code * 16 + char::from(digit).to_digit(16)?;
    }
    char::from_u32(code)
}

/// For sixteen bytes of a string body: a bit per byte that is `"`, `\` or
/// below 0x20 (first byte, lowest bit), and a bit per byte of 0x80 or more.
/// SSE2 on x86-64; without SIMD elsewhere and in the `portable` build.
#[inline(always)]
fn specials16(chunk: &[u8; 16]) -> (u32, u32) {
    #[cfg(all(target_arch = "x86_64", not(feature = "portable")))]
    let masks = specials16_sse2(chunk);
    #[cfg(not(all(target_arch = "x86_64", not(feature = "portable"))))]
    let masks = specials16_portable(chunk);
    masks
}

/// [`specials16`] with SSE2.
#[cfg(target_arch = "x86_64")]
#[cfg_attr(feature = "portable", allow(dead_code))]
#[inline(always)]
fn specials16_sse2(chunk: &[u8; 16]) -> (u32, u32) {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_max_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };
    // SAFETY: SSE2 is part of every x86-64 CPU; the load reads the 16 bytes
    // of `chunk` and has no alignment requirement.
    unsafe {
        let v = _mm_loadu_si128(chunk.as_ptr().cast());
        let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
        let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
        // max(v, 0x1F) == 0x1F exactly when v <= 0x1F (unsigned).
        let low = _mm_set1_epi8(0x1F);
        let control = _mm_cmpeq_epi8(_mm_max_epu8(v, low), low);
        let special = _mm_or_si128(_mm_or_si128(quote, backslash), control);
        (
            _mm_movemask_epi8(special) as u32 & 0xFFFF,
            _mm_movemask_epi8(v) as u32 & 0xFFFF,
        )
    }
}

/// [`specials16`] without SIMD.
#[cfg_attr(
    all(target_arch = "x86_64", not(feature = "portable")),
    allow(dead_code)
)]
#[inline(always)]
fn specials16_portable(chunk: &[u8; 16]) -> (u32, u32) {
    chunk
        .iter()
        .enumerate()
        .fold((0, 0), |(special, high), (i, &b)| {
            let is_special = b == b'"' || b == b'\\' || b < 0x20;
            (
                special | u32::from(is_special) << i,
                high | u32::from(b >= 0x80) << i,
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: &[u8] = b"\\u0000m";

    fn split(doc: &str, min_len: usize) -> Option<(String, Vec<String>)> {
        split_long_strings(doc.as_bytes(), min_len, M)
            .map(|s| (String::from_utf8(s.skeleton).unwrap(), s.strings))
    }

    #[test]
    fn lifts_long_values_only() {
        let doc = r#"{"abcdefgh": "short", "t": "long\ntext\u00e9\/", "l": ["0123456789"]}"#;
        let (skeleton, strings) = split(doc, 8).unwrap();
        assert_eq!(
            skeleton,
            r#"{"abcdefgh": "short", "t": "\u0000m0", "l": ["\u0000m1"]}"#
        );
        assert_eq!(
            strings,
            vec!["long\ntexté/".to_string(), "0123456789".into()]
        );
    }

    #[test]
    fn leaves_what_json_loads_must_decide() {
        for body in [
            r#"surrogate \ud83d\ude00 pair"#,
            "raw\tcontrol character",
            r#"bad \x escape here"#,
            r#"short \u12 escape"#,
        ] {
            let doc = format!(r#"["{body}"]"#);
            assert_eq!(split(&doc, 4), None, "{body}");
        }
        assert_eq!(split(r#"{"unterminated long string"#, 4), None);
        assert_eq!(split("\u{feff}[\"a long string\"]", 4), None);
        let invalid_utf8 = b"[\"long \xED\xA0\x80 bytes\"]";
        assert_eq!(split_long_strings(invalid_utf8, 4, M), None);
    }

    /// Every byte value at every lane: the SSE2 arm and the portable arm agree.
    #[test]
    fn both_arms_find_the_same_bytes() {
        for lane in 0..16 {
            for byte in 0..=255u8 {
                let mut chunk = [b'a'; 16];
                chunk[lane] = byte;
                let (special, high) = specials16_portable(&chunk);
                let expect_special = byte == b'"' || byte == b'\\' || byte < 0x20;
                assert_eq!(
                    special,
                    u32::from(expect_special) << lane,
                    "{byte} at {lane}"
                );
                assert_eq!(high, u32::from(byte >= 0x80) << lane, "{byte} at {lane}");
                #[cfg(target_arch = "x86_64")]
                assert_eq!(specials16_sse2(&chunk), (special, high), "{byte} at {lane}");
            }
        }
    }

    /// Escapes, quotes, control and non-ASCII bytes on both sides of every
    /// 16-byte boundary decode as a byte-at-a-time reading does.
    #[test]
    fn chunk_boundaries_do_not_matter() {
        let pieces = [r"\n", r#"\""#, r"\\", r"\u00e9", "é", "x", r"\ud83d", "\t"];
        for lead in 0..20 {
            for piece in pieces {
                let body = format!("{}{piece}{}", "a".repeat(lead), "b".repeat(20));
                let doc = format!(r#"["{body}", 1]"#);
                let expected = match piece {
                    r"\n" => Some("\n"),
                    r#"\""# => Some("\""),
                    r"\\" => Some("\\"),
                    r"\u00e9" | "é" => Some("é"),
                    "x" => Some("x"),
                    _ => None, // a surrogate escape or a raw tab: json.loads decides
                }
                .map(|middle| format!("{}{middle}{}", "a".repeat(lead), "b".repeat(20)));
                let got = split(&doc, 4);
                match expected {
                    Some(text) => {
                        let (skeleton, strings) = got.expect(&doc);
                        assert_eq!(skeleton, r#"["\u0000m0", 1]"#, "{doc}");
                        assert_eq!(strings, vec![text], "{doc}");
                    }
                    None => assert_eq!(got, None, "{doc}"),
                }
            }
        }
    }

    #[test]
    fn escaped_quotes_do_not_end_a_string() {
        let (skeleton, strings) = split(r#"{"a": "say \"hi\" \\", "b": 1}"#, 4).unwrap();
        assert_eq!(skeleton, r#"{"a": "\u0000m0", "b": 1}"#);
        assert_eq!(strings, vec![r#"say "hi" \"#.to_string()]);
    }
}
