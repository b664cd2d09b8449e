//! Long JSON strings lifted out of a document before the standard library's
//! `json.loads` sees it (issue 15: a 2 MB text answer).
//!
//! # Theory of operation
//!
//! `json.loads` spends nearly all of its time on a big text answer inside the
//! one long string: it copies it run by run between escapes (a `\n` every line)
//! into a new `str`. Here the document is scanned once for string tokens
//! (`memchr` for `"` and `\`); every *value* string of at least `min_len`
//! bytes is unescaped here and replaced in a copy of the document (the
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

use memchr::{memchr, memchr_iter};

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

/// [`split_long_strings`] with the decoded strings appended to `decoded`
/// (cleared first; a caller that keeps it keeps its capacity, so a big text
/// answer does not map fresh pages on every call): the skeleton and, per
/// lifted string, its range in `decoded` (each valid UTF-8).
pub fn split_long_strings_into(
    doc: &[u8],
    min_len: usize,
    marker: &[u8],
    decoded: &mut Vec<u8>,
) -> Option<(Vec<u8>, Vec<Range<usize>>)> {
    decoded.clear();
    if doc.len() < min_len.max(1) || !plain_utf8(doc) {
        return None;
    }
    let mut lifted: Vec<(usize, usize, Range<usize>)> = Vec::new();
    let mut pos = 0;
    while let Some(offset) = memchr(b'"', &doc[pos..]) {
        let start = pos + offset;
        let Some(end) = string_end(doc, start + 1) else {
            break; // unterminated: json.loads reports it
        };
        let body = &doc[start + 1..end];
        if body.len() >= min_len && !is_key(doc, end + 1) {
            let from = decoded.len();
            if decode_into(body, decoded) {
                lifted.push((start, end + 1, from..decoded.len()));
            } else {
                decoded.truncate(from);
            }
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

/// Whether `json.loads` reads `doc` as UTF-8 (its encoding detection looks
/// for a byte-order mark and for NULs among the first four bytes).
fn plain_utf8(doc: &[u8]) -> bool {
    !doc.starts_with(&[0xEF, 0xBB, 0xBF]) && !doc.iter().take(4).any(|&b| b == 0)
}

/// The index of the `"` that closes the string whose body starts at `from`:
/// the first `"` after an even run of backslashes. Stopping only at quotes
/// (not at every escape) keeps a text with a `\n` on every line fast.
fn string_end(doc: &[u8], mut from: usize) -> Option<usize> {
    loop {
        let at = from + memchr(b'"', doc.get(from..)?)?;
        let backslashes = doc[..at].iter().rev().take_while(|&&b| b == b'\\').count();
        if backslashes % 2 == 0 {
            return Some(at);
        }
        from = at + 1;
    }
}

/// Whether the string ending before `after` is an object key (a `:` follows).
fn is_key(doc: &[u8], after: usize) -> bool {
    doc[after.min(doc.len())..]
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        == Some(&b':')
}

/// Append the string a JSON string body decodes to, when `json.loads` would
/// surely decode it the same way (see the module notes); false otherwise.
fn decode_into(body: &[u8], out: &mut Vec<u8>) -> bool {
    let start = out.len();
    decode_escapes(body, out).is_some() && std::str::from_utf8(&out[start..]).is_ok()
}

/// Append the body with its escapes decoded; None on what only json.loads may judge.
fn decode_escapes(body: &[u8], out: &mut Vec<u8>) -> Option<()> {
    // A fold, not any(): it vectorises (no early exit), and rejects are rare.
    if body.iter().fold(false, |seen, &b| seen | (b < 0x20)) {
        return None;
    }
    out.reserve(body.len());
    let mut pos = 0;
    for at in memchr_iter(b'\\', body) {
        if at < pos {
            continue; // the second backslash of an escaped one
        }
        out.extend_from_slice(&body[pos..at]);
        let escaped = *body.get(at + 1)?;
        pos = at + 2;
        let byte = match escaped {
            b'"' => b'"',
            b'\\' => b'\\',
            b'/' => b'/',
            b'b' => 0x08,
            b'f' => 0x0C,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => {
                let hex = body.get(pos..pos + 4)?;
                if !hex.iter().all(u8::is_ascii_hexdigit) {
                    return None;
                }
                let code = u32::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
                let c = char::from_u32(code)?; // None for surrogates
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                pos += 4;
                continue;
            }
            _ => return None,
        };
        out.push(byte);
    }
    out.extend_from_slice(&body[pos..]);
    Some(())
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

    #[test]
    fn escaped_quotes_do_not_end_a_string() {
        let (skeleton, strings) = split(r#"{"a": "say \"hi\" \\", "b": 1}"#, 4).unwrap();
        assert_eq!(skeleton, r#"{"a": "\u0000m0", "b": 1}"#);
        assert_eq!(strings, vec![r#"say "hi" \"#.to_string()]);
    }
}
