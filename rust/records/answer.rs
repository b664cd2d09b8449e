//! The strict reader of the lane's plain answer shape (see [`super`]): the
//! JSON of a bare answer or of its one ```` ```json ```` block, a non-empty
//! list of objects with `box_2d`, `label` and optionally `mask`; anything
//! else is `None` and goes to the general parser.
//!
//! An answer cut off by the token limit is read too, in the two shapes the
//! model's answers are cut in, where the general parser's diagnostics are
//! known ([`Cut`]): the list (bare, or in a fence that the cut left unclosed)
//! ends after a complete item, or inside the base64 text of an item's mask
//! (most of an answer's bytes). At least one item must be complete.

use std::borrow::Cow;

use memchr::memmem;

/// An item of a plain answer, as written (strings decoded; borrowed from the
/// answer where they hold no escape, which a base64 mask never does).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RawItem<'a> {
    pub label: Cow<'a, str>,
    /// `[ymin, xmin, ymax, xmax]` in 0..=1000, not reversed.
    pub box_2d: [u16; 4],
    /// The base64 text after `data:image/png;base64,`.
    pub mask_base64: Option<Cow<'a, str>>,
}

const PNG_PREFIX: &[u8] = b"data:image/png;base64,";

/// Where a plain answer's list was cut off, if it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// The list is complete.
    No,
    /// The text ends after a complete item (or the comma after it): the general
    /// parser keeps every item and notes the cut (`truncated`).
    AfterItem,
    /// The text ends inside the next item (in a key, a box number, the label or
    /// the mask's base64; see [`cut_in_item`]): the same note, and that item
    /// (index: the count of complete items) is rejected as cut off.
    InsideItem,
}

/// A plain answer: its complete items, and where it was cut off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer<'a> {
    pub items: Vec<RawItem<'a>>,
    pub cut: Cut,
}

/// The items of `text` if it has the plain shape, else `None` (see the module).
pub fn read_answer(text: &[u8]) -> Option<Answer<'_>> {
    // Strings are sliced from here, so the whole text must be UTF-8 (a str
    // from Python with a lone surrogate is not, and goes the general way).
    std::str::from_utf8(text).ok()?;
    let (body, open_end) = json_body(text)?;
    let mut parser = Parser { text: body, at: 0 };
    let answer = parser.items(open_end)?;
    parser.skip_ws();
    (parser.at == parser.text.len()).then_some(answer)
}

/// The JSON of a bare answer or of its one ```` ```json ```` block, where the
/// general parser would read it from the same place, and whether it runs to the
/// text's end (bare, or a fence left unclosed: a cut-off list can be read).
fn json_body(text: &[u8]) -> Option<(&[u8], bool)> {
    // memchr's searches: an answer is tens of kilobytes of base64.
    if memmem::find(text, b"~~~").is_some() {
        return None; // a tilde fence, or one could start there
    }
    let backticks = memchr::memchr_iter(b'`', text).count();
    let first = text
        .iter()
        .position(|&b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))?;
    if backticks == 0 {
        return (text[first] == b'[').then_some((text, true));
    }
    // One fenced block: "```json" alone on the first line, "```" alone on the
    // last (or no closing fence: the general parser reads to the text's end);
    // only white space before and after.
    if !matches!(backticks, 3 | 6) || !text[first..].starts_with(b"```json") {
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
    if backticks == 3 {
        return Some((&text[body_start..], true));
    }
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
    Some((&text[body_start..close_line], false))
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

/// Whether `rest` (an item to the text's end) is the beginning of a plain item
/// that the text's end cut off, wherever the cut fell: in a key, a box number,
/// the label, the mask's base64 or the white space between them.
///
/// The general parser drops such an item whatever it held (Python's `json`
/// fails on it, [`Cut::InsideItem`]); what must hold for its rows to be the
/// lane's is that it sees the same element: an object that opens and never
/// closes, with its strings and brackets where a JSON reader sees them. The
/// beginning of a plain item has that shape; anything else (another key, a
/// value of another type, an escape in a key) goes the general way.
fn cut_in_item(rest: &[u8]) -> bool {
    let mut prefix = Prefix { text: rest, at: 0 };
    prefix.item() == Err(Stop::End)
}

/// Why [`Prefix`] stopped reading.
#[derive(Debug, PartialEq, Eq)]
enum Stop {
    /// The text ended: what was read is the beginning of a plain item.
    End,
    /// Something no plain item holds there.
    Other,
}

/// A reader of the beginning of a plain item (the grammar of [`Parser::item`],
/// each step allowed to meet the text's end). Items that complete give `Ok`.
struct Prefix<'a> {
    text: &'a [u8],
    at: usize,
}

/// A plain item's keys.
const KEYS: [&[u8]; 3] = [b"box_2d", b"label", b"mask"];

impl Prefix<'_> {
    /// The next byte after white space, not consumed.
    fn next(&mut self) -> Result<u8, Stop> {
        self.at = past_ws(self.text, self.at);
        self.text.get(self.at).copied().ok_or(Stop::End)
    }

    fn eat(&mut self, byte: u8) -> Result<(), Stop> {
        if self.next()? != byte {
            return Err(Stop::Other);
        }
        self.at += 1;
        Ok(())
    }

    fn item(&mut self) -> Result<(), Stop> {
        self.eat(b'{')?;
        let mut seen = [false; KEYS.len()];
        loop {
            let key = self.key()?;
            if std::mem::replace(&mut seen[key], true) {
                return Err(Stop::Other); // a key given twice
            }
            self.eat(b':')?;
            match key {
                0 => self.box_2d()?,
                _ => self.string()?, // the label, or the mask's data URL
            }
            match self.next()? {
                b',' => self.at += 1,
                b'}' => return Ok(()),
                _ => return Err(Stop::Other),
            }
        }
    }

    /// One of [`KEYS`], without escapes; cut, the beginning of one.
    fn key(&mut self) -> Result<usize, Stop> {
        self.eat(b'"')?;
        let rest = &self.text[self.at..];
        let Some(close) = memchr::memchr2(b'"', b'\\', rest) else {
            let cut_key = KEYS.iter().any(|key| key.starts_with(rest));
            return Err(if cut_key { Stop::End } else { Stop::Other });
        };
        let found = KEYS.iter().position(|key| *key == &rest[..close]);
        self.at += close + 1;
        match (rest[close], found) {
            (b'"', Some(key)) => Ok(key),
            _ => Err(Stop::Other),
        }
    }

    /// `[ymin, xmin, ymax, xmax]`: integers of at most four digits, no sign,
    /// no leading zero, no fraction (the values are not checked further: a
    /// cut item is dropped whatever its box).
    fn box_2d(&mut self) -> Result<(), Stop> {
        self.eat(b'[')?;
        for i in 0..4 {
            if i > 0 {
                self.eat(b',')?;
            }
            let first = self.next()?;
            let digits = self.text[self.at..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
            if digits == 0 || digits > 4 || (first == b'0' && digits > 1) {
                return Err(Stop::Other);
            }
            self.at += digits;
        }
        self.eat(b']')
    }

    /// A JSON string: no control character, escapes that JSON has (`\uXXXX`
    /// with four hex digits); cut anywhere, even inside an escape.
    fn string(&mut self) -> Result<(), Stop> {
        self.eat(b'"')?;
        loop {
            let rest = &self.text[self.at..];
            let Some(run) = memchr::memchr2(b'"', b'\\', rest) else {
                return Err(if rest.iter().all(|&b| b >= 0x20) {
                    Stop::End
                } else {
                    Stop::Other
                });
            };
            if rest[..run].iter().any(|&b| b < 0x20) {
                return Err(Stop::Other);
            }
            self.at += run + 1;
            if rest[run] == b'"' {
                return Ok(());
            }
            let escape = *self.text.get(self.at).ok_or(Stop::End)?;
            self.at += 1;
            match escape {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                b'u' => {
                    let hex = &self.text[self.at..(self.at + 4).min(self.text.len())];
                    if !hex.iter().all(u8::is_ascii_hexdigit) {
                        return Err(Stop::Other);
                    }
                    self.at += hex.len();
                    if hex.len() < 4 {
                        return Err(Stop::End);
                    }
                }
                _ => return Err(Stop::Other),
            }
        }
    }
}

/// The first position from `at` on that is not JSON white space.
fn past_ws(text: &[u8], mut at: usize) -> usize {
    while matches!(text.get(at), Some(b' ' | b'\t' | b'\r' | b'\n')) {
        at += 1;
    }
    at
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
        self.at = past_ws(self.text, self.at);
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        self.skip_ws();
        (self.peek() == Some(byte)).then(|| self.at += 1)
    }

    /// The list; with `open_end`, a list the text's end cut off (see [`Cut`]).
    fn items(&mut self, open_end: bool) -> Option<Answer<'a>> {
        self.eat(b'[')?;
        let mut items = Vec::new();
        loop {
            let start = self.at;
            match self.item() {
                Some(item) => items.push(item),
                None if open_end && !items.is_empty() && cut_in_item(&self.text[start..]) => {
                    self.at = self.text.len();
                    return Some(Answer {
                        items,
                        cut: Cut::InsideItem,
                    });
                }
                None => return None,
            }
            self.skip_ws();
            let Some(byte) = self.peek() else {
                return open_end.then_some(Answer {
                    items,
                    cut: Cut::AfterItem,
                });
            };
            match byte {
                b',' => self.at += 1,
                b']' => {
                    self.at += 1;
                    return Some(Answer {
                        items,
                        cut: Cut::No,
                    });
                }
                _ => return None,
            }
            self.skip_ws();
            if open_end && self.peek().is_none() {
                return Some(Answer {
                    items,
                    cut: Cut::AfterItem,
                });
            }
        }
    }

    fn item(&mut self) -> Option<RawItem<'a>> {
        self.eat(b'{')?;
        let (mut label, mut box_2d, mut mask) = (None, None, None);
        loop {
            let key = self.string()?;
            self.eat(b':')?;
            self.skip_ws();
            match &*key {
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
    fn mask(&mut self) -> Option<Cow<'a, str>> {
        let value = self.string()?;
        let data = value.as_bytes().strip_prefix(PNG_PREFIX)?;
        let ends_plain = matches!((data.first(), data.last()),
            (Some(a), Some(z)) if a.is_ascii_graphic() && z.is_ascii_graphic());
        if !ends_plain || memchr::memchr(b'<', data).is_some() {
            return None;
        }
        Some(match value {
            Cow::Borrowed(text) => Cow::Borrowed(&text[PNG_PREFIX.len()..]),
            Cow::Owned(mut text) => {
                text.drain(..PNG_PREFIX.len());
                Cow::Owned(text)
            }
        })
    }

    /// A JSON string as Python's `json` decodes it; `None` where that would fail
    /// or give a lone surrogate. Borrowed from the text when it has no escape.
    fn string(&mut self) -> Option<Cow<'a, str>> {
        self.skip_ws();
        if self.peek() != Some(b'"') {
            return None;
        }
        self.at += 1;
        let text: &'a [u8] = self.text;
        let mut out = Vec::new();
        loop {
            // Copy the run up to the next quote or escape at once; Python's json
            // (strict) refuses control characters anywhere in a string.
            let rest = text.get(self.at..)?;
            let run = memchr::memchr2(b'"', b'\\', rest)?;
            if rest[..run].iter().any(|&b| b < 0x20) {
                return None;
            }
            self.at += run + 1;
            if rest[run] == b'"' && out.is_empty() {
                // No escape before the closing quote: the text itself (UTF-8
                // throughout, as `read_answer` checked; a quote ends no sequence).
                return std::str::from_utf8(&rest[..run]).ok().map(Cow::Borrowed);
            }
            out.extend_from_slice(&rest[..run]);
            match rest[run] {
                b'"' => return String::from_utf8(out).ok().map(Cow::Owned),
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
