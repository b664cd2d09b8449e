//! The batch path's fast lane (SPEC D1): whole records — the model's answer
//! text and the image size — to items with COCO RLE masks, with no Python in
//! between, for the answers that have the plain shape the model writes.
//!
//! # Theory of operation
//!
//! `spatial.parse` reads any answer: fences of every kind, prose, wrapper
//! objects, cut-off JSON, wrong types, out-of-range numbers — each repaired or
//! dropped with a diagnostic. Nearly every real answer, though, is one JSON
//! list of objects with integer `box_2d`, a string `label` and a PNG `mask`,
//! bare or in one ```` ```json ```` fence. [`read_answer`] recognises exactly
//! that shape, and only where the general parser is known to give the same
//! items with no diagnostic at all; everything else (a float, a key it does
//! not know, a reversed or empty box, an escape it cannot reproduce, a second
//! fence, a mask that fails to decode, a limit reached) makes the record
//! [`Outcome::General`], and the caller runs the general parser on it. So the
//! lane is an acceleration, never a second opinion: a record's rows are the
//! general parser's whichever path made them (the test suite checks this on
//! generated answers either side of every rule here).
//!
//! The masks go through [`crate::batch`]'s item function (base64 -> PNG ->
//! grey -> Pillow-exact resize and threshold -> RLE in the image's frame), and
//! records are spread over rayon's threads.

use memchr::memmem;
use rayon::prelude::*;

use crate::batch::{self, EncodedMask, Options, PngMask};
use crate::pipeline::Scratch;

/// One record: the answer as UTF-8 and the image size in pixels.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    pub text: &'a [u8],
    pub width: usize,
    pub height: usize,
}

/// The general parser's per-answer limits (`spatial.Limits`) the lane must respect.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Total mask pixels (box areas) one answer may ask for.
    pub max_mask_pixels: u64,
    /// Total decoded PNG bytes (estimated from the base64 length) one answer may hold.
    pub max_decoded_bytes: u64,
}

/// One item as the general parser reports it for a plain answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub label: String,
    /// Pixel box `[x0, y0, x1, y1]`, ends exclusive.
    pub bbox: [i64; 4],
    /// The mask in the image frame, when the item had one.
    pub mask: Option<EncodedMask>,
}

/// What became of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every item, in the model's order.
    Items(Vec<Item>),
    /// Not the plain shape (or a mask failed): the general parser must read it.
    General,
}

/// Each record's items, or `General`, in order (threads as in [`batch::png_masks_to_rle`]).
pub fn records_to_items(records: &[Record<'_>], options: Options, limits: Limits) -> Vec<Outcome> {
    // Each thread keeps its pipeline buffers from one record to the next.
    let one = |scratch: &mut Scratch, record: &Record<'_>| match items_of(
        record, &options, &limits, scratch,
    ) {
        Some(items) => Outcome::Items(items),
        None => Outcome::General,
    };
    let parallel = || {
        records
            .par_iter()
            .with_max_len(1)
            .map_init(Scratch::default, one)
            .collect()
    };
    match options.threads {
        1 => {
            let mut scratch = Scratch::default();
            records.iter().map(|r| one(&mut scratch, r)).collect()
        }
        0 => parallel(),
        n => match rayon::ThreadPoolBuilder::new().num_threads(n).build() {
            Ok(pool) => pool.install(parallel),
            Err(_) => parallel(),
        },
    }
}

fn items_of(
    record: &Record<'_>,
    options: &Options,
    limits: &Limits,
    scratch: &mut Scratch,
) -> Option<Vec<Item>> {
    if record.width == 0 || record.height == 0 {
        return None;
    }
    let raw = read_answer(record.text)?;
    let (w, h) = (record.width as f64, record.height as f64);
    let (mut pixels, mut bytes) = (0u64, 0u64);
    let mut items = Vec::with_capacity(raw.len());
    for item in raw {
        let [ymin, xmin, ymax, xmax] = item.box_2d.map(f64::from);
        // Python's int(v / 1000 * size): the same IEEE operations, truncated.
        let bbox = [
            (xmin / 1000.0 * w) as i64,
            (ymin / 1000.0 * h) as i64,
            (xmax / 1000.0 * w) as i64,
            (ymax / 1000.0 * h) as i64,
        ];
        let (bw, bh) = (bbox[2] - bbox[0], bbox[3] - bbox[1]);
        if bw <= 0 || bh <= 0 {
            return None; // an empty box: the general parser notes it
        }
        let mask = match &item.mask_base64 {
            None => None,
            Some(text) => {
                let data = text.as_bytes();
                // The general parser's budget, in its order: pixels, then bytes.
                pixels = pixels.checked_add(u64::try_from(bw * bh).ok()?)?;
                bytes = bytes.checked_add(data.len() as u64 / 4 * 3 + 3)?;
                if pixels > limits.max_mask_pixels || bytes > limits.max_decoded_bytes {
                    return None;
                }
                let job = PngMask {
                    data,
                    bbox,
                    frame: (record.height, record.width),
                };
                Some(batch::encode_one(&job, options, scratch).ok()?)
            }
        };
        items.push(Item {
            label: item.label,
            bbox,
            mask,
        });
    }
    Some(items)
}

/// An item of a plain answer, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawItem {
    pub label: String,
    /// `[ymin, xmin, ymax, xmax]` in 0..=1000, not reversed.
    pub box_2d: [u16; 4],
    /// The base64 text after `data:image/png;base64,`.
    pub mask_base64: Option<String>,
}

const PNG_PREFIX: &[u8] = b"data:image/png;base64,";

/// The items of `text` if it has the plain shape, else `None` (see the module).
pub fn read_answer(text: &[u8]) -> Option<Vec<RawItem>> {
    // Strings are sliced from here, so the whole text must be UTF-8 (a str
    // from Python with a lone surrogate is not, and goes the general way).
    std::str::from_utf8(text).ok()?;
    let mut parser = Parser {
        text: json_body(text)?,
        at: 0,
    };
    let items = parser.items()?;
    parser.skip_ws();
    (parser.at == parser.text.len()).then_some(items)
}

/// The JSON of a bare answer or of its one ```` ```json ```` block, where the
/// general parser would read it from the same place.
fn json_body(text: &[u8]) -> Option<&[u8]> {
    // memchr's searches: an answer is tens of kilobytes of base64.
    if memmem::find(text, b"~~~").is_some() {
        return None; // a tilde fence, or one could start there
    }
    let backticks = memchr::memchr_iter(b'`', text).count();
    let first = text
        .iter()
        .position(|&b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))?;
    if backticks == 0 {
        return (text[first] == b'[').then_some(text);
    }
    // One fenced block: "```json" alone on the first line, "```" alone on the
    // last; only white space before and after.
    if backticks != 6 || !text[first..].starts_with(b"```json") {
        return None;
    }
    // The opening fence's line starts at a newline (or the text's start) and
    // holds only spaces and tabs before the marks.
    let line_start = text[..first]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    if !text[line_start..first]
        .iter()
        .all(|&b| b == b' ' || b == b'\t')
    {
        return None;
    }
    let opening_end = line_end(text, first + b"```json".len())?;
    if opening_end == text.len() {
        return None;
    }
    let body_start = opening_end + 1;
    let close = body_start + memmem::find(&text[body_start..], b"```")?;
    let close_line = text[..close]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    if close_line < body_start
        || !text[close_line..close]
            .iter()
            .all(|&b| b == b' ' || b == b'\t')
    {
        return None;
    }
    let after = line_end(text, close + 3)?;
    if !text[after..]
        .iter()
        .all(|&b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
    {
        return None;
    }
    Some(&text[body_start..close_line])
}

/// Where a fence line whose tag ended at `at` ends: past spaces and tabs and an
/// optional CR, at a newline or the text's end; `None` if anything else follows
/// (the general parser would read it as part of the tag).
fn line_end(text: &[u8], mut at: usize) -> Option<usize> {
    while matches!(text.get(at), Some(b' ' | b'\t')) {
        at += 1;
    }
    if text.get(at) == Some(&b'\r') {
        at += 1;
    }
    match text.get(at) {
        None | Some(b'\n') => Some(at),
        Some(_) => None,
    }
}

/// A strict reader of the plain shape: a non-empty list of objects with the
/// keys `box_2d` (four integers 0..=1000, not reversed), `label` (a string)
/// and optionally `mask` (a base64 PNG data URL), each once.
struct Parser<'a> {
    text: &'a [u8],
    at: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.at += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        self.skip_ws();
        (self.peek() == Some(byte)).then(|| self.at += 1)
    }

    fn items(&mut self) -> Option<Vec<RawItem>> {
        self.eat(b'[')?;
        let mut items = Vec::new();
        loop {
            items.push(self.item()?);
            self.skip_ws();
            match self.peek()? {
                b',' => self.at += 1,
                b']' => {
                    self.at += 1;
                    return Some(items);
                }
                _ => return None,
            }
        }
    }

    fn item(&mut self) -> Option<RawItem> {
        self.eat(b'{')?;
        let (mut label, mut box_2d, mut mask) = (None, None, None);
        loop {
            let key = self.string()?;
            self.eat(b':')?;
            self.skip_ws();
            match key.as_str() {
                "box_2d" if box_2d.is_none() => box_2d = Some(self.box_2d()?),
                "label" if label.is_none() => label = Some(self.string()?),
                "mask" if mask.is_none() => mask = Some(self.mask()?),
                _ => return None, // another key, or a key given twice
            }
            self.skip_ws();
            match self.peek()? {
                b',' => self.at += 1,
                b'}' => {
                    self.at += 1;
                    break;
                }
                _ => return None,
            }
        }
        Some(RawItem {
            label: label?,
            box_2d: box_2d?,
            mask_base64: mask,
        })
    }

    fn box_2d(&mut self) -> Option<[u16; 4]> {
        self.eat(b'[')?;
        let mut values = [0u16; 4];
        for (i, value) in values.iter_mut().enumerate() {
            if i > 0 {
                self.eat(b',')?;
            }
            *value = self.integer()?;
        }
        self.eat(b']')?;
        let [ymin, xmin, ymax, xmax] = values;
        (ymin <= ymax && xmin <= xmax).then_some(values)
    }

    /// A JSON integer in 0..=1000 (no sign, fraction or exponent: those go the general way).
    fn integer(&mut self) -> Option<u16> {
        self.skip_ws();
        let start = self.at;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.at += 1;
        }
        let digits = &self.text[start..self.at];
        if digits.is_empty() || digits.len() > 4 || (digits.len() > 1 && digits[0] == b'0') {
            return None;
        }
        if matches!(self.peek(), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        let value = digits
            .iter()
            .fold(0u16, |n, &d| n * 10 + u16::from(d - b'0'));
        (value <= 1000).then_some(value)
    }

    /// The text after `data:image/png;base64,` — as the general parser would hand it
    /// to the decoder: no white space at either end to strip, no `<` (a `<seg_>` token).
    /// Whatever else it holds, the decoder judges the same way on both paths.
    fn mask(&mut self) -> Option<String> {
        let mut value = self.string()?;
        let data = value.as_bytes().strip_prefix(PNG_PREFIX)?;
        let ends_plain = matches!((data.first(), data.last()),
            (Some(a), Some(z)) if a.is_ascii_graphic() && z.is_ascii_graphic());
        if !ends_plain || memchr::memchr(b'<', data).is_some() {
            return None;
        }
        value.drain(..PNG_PREFIX.len());
        Some(value)
    }

    /// A JSON string as Python's `json` decodes it; `None` where that would fail
    /// or give a lone surrogate.
    fn string(&mut self) -> Option<String> {
        self.skip_ws();
        if self.peek() != Some(b'"') {
            return None;
        }
        self.at += 1;
        let mut out = Vec::new();
        loop {
            // Copy the run up to the next quote or escape at once; Python's json
            // (strict) refuses control characters anywhere in a string.
            let rest = self.text.get(self.at..)?;
            let run = memchr::memchr2(b'"', b'\\', rest)?;
            if rest[..run].iter().any(|&b| b < 0x20) {
                return None;
            }
            out.extend_from_slice(&rest[..run]);
            self.at += run;
            let byte = self.peek()?;
            self.at += 1;
            match byte {
                b'"' => return String::from_utf8(out).ok(),
                b'\\' => {
                    let escape = self.peek()?;
                    self.at += 1;
                    let decoded = match escape {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => return None,
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(decoded.encode_utf8(&mut buf).as_bytes());
                }
                _ => return None, // unreachable: the run stopped at a quote or backslash
            }
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.text.get(self.at..self.at + 4)?;
        let text = std::str::from_utf8(digits).ok()?;
        if !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        self.at += 4;
        u32::from_str_radix(text, 16).ok()
    }

    /// After `\u`: one code point, a surrogate pair joined; a lone surrogate is `None`.
    fn unicode_escape(&mut self) -> Option<char> {
        let first = self.hex4()?;
        if (0xD800..0xDC00).contains(&first) {
            if self.text.get(self.at..self.at + 2)? != b"\\u" {
                return None;
            }
            self.at += 2;
            let second = self.hex4()?;
            if !(0xDC00..0xE000).contains(&second) {
                return None;
            }
            return char::from_u32(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00));
        }
        char::from_u32(first) // None for a lone low surrogate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(text: &str) -> Option<Vec<String>> {
        read_answer(text.as_bytes()).map(|items| items.into_iter().map(|i| i.label).collect())
    }

    #[test]
    fn reads_the_plain_shapes() {
        let bare = r#" [{"box_2d": [1, 2, 3, 4], "label": "a"}, {"label": "b\u00e9\ud83d\ude00", "box_2d": [0,0,1000,1000]}] "#;
        assert_eq!(labels(bare), Some(vec!["a".into(), "bé😀".into()]));
        let fenced = "Here:\n```json\n[{\"box_2d\": [1, 2, 3, 4], \"label\": \"x\", \"mask\": \"data:image/png;base64,AAAA\"}]\n```\n";
        assert_eq!(
            labels(fenced),
            None,
            "prose before the fence goes the general way"
        );
        let fenced = "```json\n[{\"box_2d\": [1, 2, 3, 4], \"label\": \"x\", \"mask\": \"data:image/png;base64,AAAA\"}]\n```\n";
        let items = read_answer(fenced.as_bytes()).unwrap_or_default();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].box_2d, [1, 2, 3, 4]);
        assert_eq!(items[0].mask_base64.as_deref(), Some("AAAA"));
        let escaped =
            r#"[{"box_2d": [1, 2, 3, 4], "label": "a", "mask": "data:image\/png;base64,AAAA"}]"#;
        let items = read_answer(escaped.as_bytes()).unwrap_or_default();
        assert_eq!(
            items[0].mask_base64.as_deref(),
            Some("AAAA"),
            "escapes mean what json says"
        );
    }

    #[test]
    fn leaves_everything_else_to_the_general_parser() {
        for text in [
            "",
            "[]",
            "[{}]",
            r#"[{"box_2d": [1, 2, 3, 4]}]"#, // no label
            r#"[{"box_2d": [1, 2, 3, 4], "label": "a", "label": "b"}]"#, // twice
            r#"[{"box_2d": [1.0, 2, 3, 4], "label": "a"}]"#,
            r#"[{"box_2d": [1, 2, 3, 1e3], "label": "a"}]"#,
            r#"[{"box_2d": [-1, 2, 3, 4], "label": "a"}]"#,
            r#"[{"box_2d": [1, 2, 3, 1001], "label": "a"}]"#,
            r#"[{"box_2d": [01, 2, 3, 4], "label": "a"}]"#,
            r#"[{"box_2d": [5, 2, 3, 4], "label": "a"}]"#, // reversed
            r#"[{"box_2d": [1, 2, 3], "label": "a"}]"#,
            r#"[{"box_2d": [1, 2, 3, 4], "label": 7}]"#,
            r#"[{"box_2d": [1, 2, 3, 4], "label": "a", "confidence": 0.5}]"#,
            r#"[{"box_2d": [1, 2, 3, 4], "label": "\ud800"}]"#,
            "[{\"box_2d\": [1, 2, 3, 4], \"label\": \"tab\there\"}]",
            r#"[{"box_2d": [1, 2, 3, 4], "label": "a", "mask": "data:image/png;base64,AAAA "}]"#,
            r#"[{"box_2d": [1, 2, 3, 4], "label": "a", "mask": "data:image/png;base64,AA<seg_1>"}]"#,
            r#"[{"box_2d": [1, 2, 3, 4], "label": "a", "mask": "data:image/png;base64,"}]"#,
            r#"[{"box_2d": [1, 2, 3, 4], "label": "a", "mask": "<seg_1>"}]"#,
            r#"[{"box_2d": [1, 2, 3, 4], "label": "a"}] trailing"#,
            r#"[{"box_2d": [1, 2, 3, 4], "label": "a"},]"#,
            "```json\n[{\"box_2d\": [1, 2, 3, 4], \"label\": \"a\"}]\n```\n```json\n[]\n```",
            "````json\n[{\"box_2d\": [1, 2, 3, 4], \"label\": \"a\"}]\n````",
            "```json\n[{\"box_2d\": [1, 2, 3, 4], \"label\": \"a\"}]\n``` more",
            "```json\n[{\"box_2d\": [1, 2, 3, 4], \"label\": \"a\"}]\n``` \r \n",
            "```json\n[{\"box_2d\": [1, 2, 3, 4], \"label\": \"a\"}]",
            "\r```json\n[{\"box_2d\": [1, 2, 3, 4], \"label\": \"a\"}]\n```",
            "[{\"box_2d\": [1, 2, 3, 4], \"label\": \"~~~\"}]",
        ] {
            assert_eq!(labels(text), None, "{text:?}");
        }
        assert_eq!(
            read_answer(b"[{\"box_2d\": [1, 2, 3, 4], \"label\": \"\xff\"}]"),
            None
        );
    }

    #[test]
    fn boxes_are_pythons_int_of_the_scaled_float() {
        let records = [Record {
            text: br#"[{"box_2d": [333, 1, 667, 999], "label": "a"}]"#,
            width: 1023,
            height: 767,
        }];
        let options = Options {
            threshold: 127,
            order: crate::resize::PassOrder::Pillow13,
            max_pixels: 1 << 24,
            threads: 1,
        };
        let limits = Limits {
            max_mask_pixels: 1 << 27,
            max_decoded_bytes: 1 << 26,
        };
        let out = records_to_items(&records, options, limits);
        let expected = Item {
            label: "a".into(),
            // int(1 / 1000 * 1023), int(333 / 1000 * 767), int(999 / 1000 * 1023), ...
            bbox: [1, 255, 1021, 511],
            mask: None,
        };
        assert_eq!(out, vec![Outcome::Items(vec![expected])]);
    }
}
