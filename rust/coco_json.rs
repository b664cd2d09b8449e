//! COCO ground-truth and results files read straight into columns.
//!
//! # Theory of operation
//!
//! `gemini_vision.evaluate` reads a COCO file as columns (one array per
//! field). Going through `json.loads` first makes a Python dict per
//! annotation and a float object per polygon coordinate, only to flatten
//! them again; on a COCO-val-sized set that is most of an evaluation's time.
//! Here one pass over the document's bytes fills the columns directly.
//!
//! The reader is deliberately narrow. It accepts exactly the documents whose
//! meaning it is sure of, and answers `None` for everything else, so the
//! caller runs its general Python reader (which then reads the document the
//! way it always has, and raises its usual errors with their usual
//! messages). `None` is the answer for: anything that is not JSON as RFC 8259
//! writes it (no `NaN`, no trailing commas, no byte-order mark, no lone
//! surrogate escapes); an id, image id, category id, `iscrowd`, `height`,
//! `width`, RLE size or RLE count that is not an integer literal within
//! range; a number that is not finite as a double; a box that is not four
//! numbers; a segmentation that is not polygons, an RLE dict or null; a
//! required field that is missing. Keys that appear twice keep their last
//! value, as `json.loads` does. Cross-references (an annotation's image id
//! among the images) are the caller's to check, on the columns.
//!
//! Numbers parse with the standard library's correctly rounded `f64` parser,
//! which gives the same double as Python's `float()` of the same literal.

/// The segmentations of a column of annotations, pooled by kind.
///
/// `kind[i]` is [`SEG_NONE`], [`SEG_POLYGONS`], [`SEG_BOXES`] (a polygon
/// list whose first entry has four numbers: every entry is a box, stored as
/// its four-corner polygon as pycocotools builds it), [`SEG_RLE_STRING`] or
/// [`SEG_RLE_COUNTS`]. Each pool lists the rows it holds (`*_rows`), in row
/// order, with their data.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct SegColumns {
    pub kind: Vec<u8>,
    /// Rows with polygons (or boxes); row `poly_rows[j]` owns polygons
    /// `poly_offsets[j]..poly_offsets[j + 1]`, polygon `p` is the points
    /// `point_offsets[p]..point_offsets[p + 1]` of `coords` (x, y pairs).
    pub poly_rows: Vec<i64>,
    pub coords: Vec<f64>,
    pub point_offsets: Vec<i64>,
    pub poly_offsets: Vec<i64>,
    /// Rows with a compressed RLE string: `str_data[str_offsets[j]..str_offsets[j + 1]]`.
    pub str_rows: Vec<i64>,
    pub str_hw: Vec<i64>,
    pub str_data: Vec<u8>,
    pub str_offsets: Vec<i64>,
    /// Rows with uncompressed RLE counts: `list_counts[list_offsets[j]..list_offsets[j + 1]]`.
    pub list_rows: Vec<i64>,
    pub list_hw: Vec<i64>,
    pub list_counts: Vec<u32>,
    pub list_offsets: Vec<i64>,
}

pub const SEG_NONE: u8 = 0;
pub const SEG_POLYGONS: u8 = 1;
pub const SEG_BOXES: u8 = 2;
pub const SEG_RLE_STRING: u8 = 3;
pub const SEG_RLE_COUNTS: u8 = 4;

/// A COCO ground truth as columns.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct GroundTruthColumns {
    pub img_id: Vec<i64>,
    /// 0 when missing or null.
    pub img_height: Vec<i64>,
    pub img_width: Vec<i64>,
    /// None when missing, null or empty.
    pub img_file: Vec<Option<String>>,
    pub cat_id: Vec<i64>,
    /// "" when missing.
    pub cat_name: Vec<String>,
    /// 0 when missing.
    pub ann_id: Vec<i64>,
    pub ann_image: Vec<i64>,
    pub ann_category: Vec<i64>,
    /// `[x, y, w, h]` per annotation, flat.
    pub ann_bbox: Vec<f64>,
    /// NaN when missing or null.
    pub ann_area: Vec<f64>,
    /// 0 when missing.
    pub ann_crowd: Vec<i64>,
    pub seg: SegColumns,
}

/// A COCO results list as columns.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ResultColumns {
    pub image: Vec<i64>,
    pub category: Vec<i64>,
    pub score: Vec<f64>,
    /// `[x, y, w, h]` per result, flat; zeros where `has_bbox` is false.
    pub bbox: Vec<f64>,
    /// The result's `bbox` is four numbers (false: missing, null or `[]`).
    pub has_bbox: Vec<bool>,
    pub seg: SegColumns,
}

/// Nesting deeper than this is left to the general reader.
const MAX_DEPTH: usize = 256;

/// `None`: the caller's general reader takes over.
type R<T> = Option<T>;

struct Parser<'a> {
    b: &'a [u8],
    /// The same document as text (checked UTF-8 once): numbers are sliced from it.
    text: &'a str,
    i: usize,
    /// A scratch buffer for decoded keys and strings.
    key: Vec<u8>,
}

/// A number as written: its text, and whether it is an integer literal.
#[derive(Clone, Copy)]
struct Num<'a> {
    text: &'a str,
    int: bool,
}

impl Num<'_> {
    fn f64(self) -> R<f64> {
        // The grammar was checked, so the text is ASCII; Rust's parser is
        // correctly rounded, like Python's float().
        let v: f64 = self.text.parse().ok()?;
        if !v.is_finite() {
            return None;
        }
        if self.int {
            // Python turns an int into a float exactly rounded too; beyond
            // i64 the general reader decides.
            self.i64()?;
        }
        Some(v)
    }

    fn i64(self) -> R<i64> {
        if !self.int {
            return None;
        }
        self.text.parse().ok()
    }
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        Parser {
            b: text.as_bytes(),
            text,
            i: 0,
            key: Vec::new(),
        }
    }

    fn ws(&mut self) {
        while let Some(&c) = self.b.get(self.i) {
            if matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
                self.i += 1;
            } else {
                break;
            }
        }
    }

    /// The next significant byte, not consumed.
    fn peek(&mut self) -> R<u8> {
        self.ws();
        self.b.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> R<()> {
        if self.peek()? == c {
            self.i += 1;
            Some(())
        } else {
            None
        }
    }

    fn literal(&mut self, word: &[u8]) -> R<()> {
        if self.b.get(self.i..self.i + word.len())? == word {
            self.i += word.len();
            Some(())
        } else {
            None
        }
    }

    /// `null` if it is next (consumed), else false.
    fn null(&mut self) -> R<bool> {
        if self.peek()? == b'n' {
            self.literal(b"null")?;
            return Some(true);
        }
        Some(false)
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while self.b.get(self.i).is_some_and(u8::is_ascii_digit) {
            self.i += 1;
        }
        self.i - start
    }

    /// A number, checked against JSON's grammar.
    fn number(&mut self) -> R<Num<'a>> {
        self.ws();
        let start = self.i;
        if self.b.get(self.i) == Some(&b'-') {
            self.i += 1;
        }
        let first = *self.b.get(self.i)?;
        let n = self.digits();
        if n == 0 || (first == b'0' && n > 1) {
            return None;
        }
        let mut int = true;
        if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return None;
            }
            int = false;
        }
        if matches!(self.b.get(self.i), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.b.get(self.i), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if self.digits() == 0 {
                return None;
            }
            int = false;
        }
        Some(Num {
            text: self.text.get(start..self.i)?,
            int,
        })
    }

    fn hex4(&mut self) -> R<u32> {
        let s = self.b.get(self.i..self.i + 4)?;
        self.i += 4;
        let mut v = 0u32;
        for &c in s {
            v = v * 16 + char::from(c).to_digit(16)?;
        }
        Some(v)
    }

    /// A string (the next token), decoded and appended to `out`.
    fn string_into(&mut self, out: &mut Vec<u8>) -> R<()> {
        self.eat(b'"')?;
        loop {
            let rest = self.b.get(self.i..)?;
            let n = rest
                .iter()
                .position(|&c| c == b'"' || c == b'\\' || c < 0x20)?;
            out.extend_from_slice(&rest[..n]);
            self.i += n;
            match self.b[self.i] {
                b'"' => {
                    self.i += 1;
                    return Some(());
                }
                b'\\' => {
                    let e = *self.b.get(self.i + 1)?;
                    self.i += 2;
                    let c = match e {
                        b'"' => b'"',
                        b'\\' => b'\\',
                        b'/' => b'/',
                        b'b' => 8,
                        b'f' => 12,
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'u' => {
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi) {
                                // Only a proper pair; a lone surrogate is the general reader's.
                                self.literal(b"\\u")?;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return None;
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else if (0xDC00..0xE000).contains(&hi) {
                                return None;
                            } else {
                                hi
                            };
                            let ch = char::from_u32(code)?;
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                            continue;
                        }
                        _ => return None,
                    };
                    out.push(c);
                }
                _ => return None, // a raw control character
            }
        }
    }

    fn string(&mut self) -> R<String> {
        let mut out = Vec::new();
        self.string_into(&mut out)?;
        String::from_utf8(out).ok()
    }

    /// Any value, checked and skipped.
    fn skip(&mut self, depth: usize) -> R<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'{' => self.object(|p, _| p.skip(depth + 1)),
            b'[' => self.array(|p| p.skip(depth + 1)),
            b'"' => {
                let mut scratch = std::mem::take(&mut self.key);
                scratch.clear();
                let r = self.string_into(&mut scratch);
                self.key = scratch;
                r
            }
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            _ => self.number().map(|_| ()),
        }
    }

    /// An object; `f` reads the value of each key (the key is decoded).
    fn object<F>(&mut self, mut f: F) -> R<()>
    where
        F: FnMut(&mut Self, &[u8]) -> R<()>,
    {
        self.eat(b'{')?;
        if self.peek()? == b'}' {
            self.i += 1;
            return Some(());
        }
        loop {
            let mut key = std::mem::take(&mut self.key);
            key.clear();
            self.string_into(&mut key)?;
            self.eat(b':')?;
            let r = f(self, &key);
            self.key = key;
            r?;
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// An array; `f` reads each element.
    fn array<F>(&mut self, mut f: F) -> R<()>
    where
        F: FnMut(&mut Self) -> R<()>,
    {
        self.eat(b'[')?;
        if self.peek()? == b']' {
            self.i += 1;
            return Some(());
        }
        loop {
            f(self)?;
            match self.peek()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// An array of numbers as doubles, appended to `out`.
    fn numbers(&mut self, out: &mut Vec<f64>) -> R<()> {
        self.array(|p| {
            out.push(p.number()?.f64()?);
            Some(())
        })
    }

    /// `[x, y, w, h]`.
    fn bbox(&mut self) -> R<[f64; 4]> {
        let mut v = Vec::with_capacity(4);
        self.numbers(&mut v)?;
        v.try_into().ok()
    }

    /// An integer that fits in `T`.
    fn int<T: TryFrom<i64>>(&mut self) -> R<T> {
        T::try_from(self.number()?.i64()?).ok()
    }

    /// A list of arrays that must be read as a whole: a null or missing
    /// list stands for empty, anything else but an array is refused.
    fn list<F>(&mut self, f: F) -> R<()>
    where
        F: FnMut(&mut Self) -> R<()>,
    {
        if self.null()? {
            return Some(());
        }
        self.array(f)
    }

    fn end(&mut self) -> R<()> {
        self.ws();
        (self.i == self.b.len()).then_some(())
    }
}

/// One annotation's segmentation, before it joins the columns.
#[derive(Default)]
struct Seg {
    kind: u8,
    coords: Vec<f64>,
    /// Points per polygon.
    points: Vec<usize>,
    hw: [i64; 2],
    data: Vec<u8>,
    counts: Vec<u32>,
}

impl Seg {
    fn clear(&mut self) {
        self.kind = SEG_NONE;
        self.coords.clear();
        self.points.clear();
        self.data.clear();
        self.counts.clear();
    }

    /// Read a segmentation value (pycocotools' `annToRLE` inputs).
    fn read(&mut self, p: &mut Parser<'_>) -> R<()> {
        self.clear();
        match p.peek()? {
            b'n' => p.literal(b"null"),
            b'[' => self.polygons(p),
            b'{' => self.rle(p),
            _ => None,
        }
    }

    fn polygons(&mut self, p: &mut Parser<'_>) -> R<()> {
        let mut part = Vec::new();
        let mut boxes = None;
        p.array(|p| {
            part.clear();
            p.numbers(&mut part)?;
            let is_box = *boxes.get_or_insert(part.len() == 4);
            if is_box {
                let [x, y, w, h]: [f64; 4] = part.as_slice().try_into().ok()?;
                // pycocotools' frBbox, in the same float operations.
                self.coords
                    .extend_from_slice(&[x, y, x, y + h, x + w, y + h, x + w, y]);
                self.points.push(4);
            } else {
                if part.len() < 2 {
                    return None;
                }
                let k = part.len() / 2;
                self.coords.extend_from_slice(&part[..2 * k]);
                self.points.push(k);
            }
            Some(())
        })?;
        self.kind = match boxes {
            None => return None, // an empty polygon list
            Some(true) => SEG_BOXES,
            Some(false) => SEG_POLYGONS,
        };
        Some(())
    }

    fn rle(&mut self, p: &mut Parser<'_>) -> R<()> {
        let mut size = None;
        let mut counts = None;
        p.object(|p, key| match key {
            b"size" => {
                let mut hw = [0i64; 2];
                let mut n = 0;
                p.array(|p| {
                    *hw.get_mut(n)? = p.int::<u32>()?.into();
                    n += 1;
                    Some(())
                })?;
                size = (n == 2).then_some(hw);
                size.map(|_| ())
            }
            b"counts" => {
                self.data.clear();
                self.counts.clear();
                counts = Some(match p.peek()? {
                    b'"' => {
                        p.string_into(&mut self.data)?;
                        if !self.data.is_ascii() {
                            return None;
                        }
                        SEG_RLE_STRING
                    }
                    b'[' => {
                        let out = &mut self.counts;
                        p.array(|p| {
                            out.push(p.int::<u32>()?);
                            Some(())
                        })?;
                        SEG_RLE_COUNTS
                    }
                    _ => return None,
                });
                Some(())
            }
            _ => p.skip(1),
        })?;
        self.hw = size?;
        self.kind = counts?;
        Some(())
    }
}

impl SegColumns {
    fn new() -> Self {
        SegColumns {
            point_offsets: vec![0],
            poly_offsets: vec![0],
            str_offsets: vec![0],
            list_offsets: vec![0],
            ..Default::default()
        }
    }

    fn push(&mut self, s: &Seg) {
        let row = self.kind.len() as i64;
        self.kind.push(s.kind);
        match s.kind {
            SEG_POLYGONS | SEG_BOXES => {
                self.poly_rows.push(row);
                self.coords.extend_from_slice(&s.coords);
                let mut last = *self.point_offsets.last().unwrap_or(&0);
                for &k in &s.points {
                    last += k as i64;
                    self.point_offsets.push(last);
                }
                self.poly_offsets.push(self.point_offsets.len() as i64 - 1);
            }
            SEG_RLE_STRING => {
                self.str_rows.push(row);
                self.str_hw.extend_from_slice(&s.hw);
                self.str_data.extend_from_slice(&s.data);
                self.str_offsets.push(self.str_data.len() as i64);
            }
            SEG_RLE_COUNTS => {
                self.list_rows.push(row);
                self.list_hw.extend_from_slice(&s.hw);
                self.list_counts.extend_from_slice(&s.counts);
                self.list_offsets.push(self.list_counts.len() as i64);
            }
            _ => {}
        }
    }
}

fn read_images(p: &mut Parser<'_>, gt: &mut GroundTruthColumns) -> R<()> {
    gt.img_id.clear();
    gt.img_height.clear();
    gt.img_width.clear();
    gt.img_file.clear();
    p.list(|p| {
        let (mut id, mut h, mut w, mut file) = (None, 0i64, 0i64, None);
        p.object(|p, key| {
            match key {
                b"id" => id = Some(p.number()?.i64()?),
                // int(h or 0): null reads as 0.
                b"height" => h = if p.null()? { 0 } else { p.number()?.i64()? },
                b"width" => w = if p.null()? { 0 } else { p.number()?.i64()? },
                b"file_name" => {
                    file = if p.null()? {
                        None
                    } else {
                        Some(p.string()?).filter(|s| !s.is_empty())
                    }
                }
                _ => p.skip(1)?,
            }
            Some(())
        })?;
        gt.img_id.push(id?);
        gt.img_height.push(h);
        gt.img_width.push(w);
        gt.img_file.push(file);
        Some(())
    })
}

fn read_categories(p: &mut Parser<'_>, gt: &mut GroundTruthColumns) -> R<()> {
    gt.cat_id.clear();
    gt.cat_name.clear();
    p.list(|p| {
        let (mut id, mut name) = (None, String::new());
        p.object(|p, key| {
            match key {
                b"id" => id = Some(p.number()?.i64()?),
                b"name" => name = p.string()?,
                _ => p.skip(1)?,
            }
            Some(())
        })?;
        gt.cat_id.push(id?);
        gt.cat_name.push(name);
        Some(())
    })
}

fn read_annotations(p: &mut Parser<'_>, gt: &mut GroundTruthColumns) -> R<()> {
    gt.ann_id.clear();
    gt.ann_image.clear();
    gt.ann_category.clear();
    gt.ann_bbox.clear();
    gt.ann_area.clear();
    gt.ann_crowd.clear();
    gt.seg = SegColumns::new();
    let mut seg = Seg::default();
    p.list(|p| {
        let (mut id, mut image, mut cat, mut bbox) = (0i64, None, None, None);
        let (mut area, mut crowd) = (f64::NAN, 0i64);
        seg.clear();
        p.object(|p, key| {
            match key {
                b"id" => id = p.number()?.i64()?,
                b"image_id" => image = Some(p.number()?.i64()?),
                b"category_id" => cat = Some(p.number()?.i64()?),
                b"bbox" => bbox = Some(p.bbox()?),
                b"area" => {
                    area = if p.null()? {
                        f64::NAN
                    } else {
                        p.number()?.f64()?
                    }
                }
                b"iscrowd" => crowd = p.number()?.i64()?,
                b"segmentation" => seg.read(p)?,
                _ => p.skip(1)?,
            }
            Some(())
        })?;
        gt.ann_id.push(id);
        gt.ann_image.push(image?);
        gt.ann_category.push(cat?);
        gt.ann_bbox.extend_from_slice(&bbox?);
        gt.ann_area.push(area);
        gt.ann_crowd.push(crowd);
        gt.seg.push(&seg);
        Some(())
    })
}

/// Read a COCO ground truth (`{"images": [...], "categories": [...],
/// "annotations": [...]}`); `None` if the general reader must (see the module
/// documentation).
pub fn read_ground_truth(doc: &[u8]) -> Option<GroundTruthColumns> {
    let mut p = Parser::new(std::str::from_utf8(doc).ok()?);
    let mut gt = GroundTruthColumns {
        seg: SegColumns::new(),
        ..Default::default()
    };
    p.object(|p, key| match key {
        b"images" => read_images(p, &mut gt),
        b"categories" => read_categories(p, &mut gt),
        b"annotations" => read_annotations(p, &mut gt),
        _ => p.skip(1),
    })?;
    p.end()?;
    Some(gt)
}

/// Read a COCO results list (`[{"image_id", "category_id", "score", "bbox"
/// and/or "segmentation"}, ...]`); `None` if the general reader must. Every
/// result needs a score here (score-less results are the general reader's).
pub fn read_results(doc: &[u8]) -> Option<ResultColumns> {
    let mut p = Parser::new(std::str::from_utf8(doc).ok()?);
    let mut out = ResultColumns {
        seg: SegColumns::new(),
        ..Default::default()
    };
    let mut seg = Seg::default();
    let mut part = Vec::with_capacity(4);
    p.array(|p| {
        let (mut image, mut cat, mut score, mut bbox) = (None, None, None, None);
        seg.clear();
        p.object(|p, key| {
            match key {
                b"image_id" => image = Some(p.number()?.i64()?),
                b"category_id" => cat = Some(p.number()?.i64()?),
                b"score" => score = Some(p.number()?.f64()?),
                b"bbox" => {
                    // Missing, null and [] all mean "no box"; else four numbers.
                    part.clear();
                    if !p.null()? {
                        p.numbers(&mut part)?;
                    }
                    bbox = match part.len() {
                        0 => None,
                        4 => Some([part[0], part[1], part[2], part[3]]),
                        _ => return None,
                    };
                }
                b"segmentation" => seg.read(p)?,
                _ => p.skip(1)?,
            }
            Some(())
        })?;
        out.image.push(image?);
        out.category.push(cat?);
        out.score.push(score?);
        out.has_bbox.push(bbox.is_some());
        out.bbox.extend_from_slice(&bbox.unwrap_or([0.0; 4]));
        out.seg.push(&seg);
        Some(())
    })?;
    p.end()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ground_truth_columns() {
        let doc = br#"{"info": {"a": [1, {"b": null}]},
            "images": [{"id": 1, "height": 4, "width": 5, "file_name": "a\u00e9.jpg"}],
            "categories": [{"id": 3, "name": "cat"}],
            "annotations": [
              {"id": 7, "image_id": 1, "category_id": 3, "bbox": [0, 0, 2, 2.5],
               "area": null, "segmentation": [[0, 0, 1, 0, 1, 1]]},
              {"image_id": 1, "category_id": 3, "bbox": [1, 1, 1, 1], "iscrowd": 1,
               "segmentation": {"size": [4, 5], "counts": "a\\b"}},
              {"image_id": 1, "category_id": 3, "bbox": [1, 1, 1, 1], "area": 1e0,
               "segmentation": [[1, 2, 3, 4]], "segmentation": {"counts": [20], "size": [4, 5]}}]}"#;
        let gt = read_ground_truth(doc).unwrap();
        assert_eq!(gt.img_file, vec![Some("a\u{e9}.jpg".to_string())]);
        assert_eq!(gt.ann_id, vec![7, 0, 0]);
        assert_eq!(gt.ann_crowd, vec![0, 1, 0]);
        assert!(gt.ann_area[0].is_nan() && gt.ann_area[2] == 1.0);
        assert_eq!(gt.ann_bbox[3], 2.5);
        assert_eq!(
            gt.seg.kind,
            vec![SEG_POLYGONS, SEG_RLE_STRING, SEG_RLE_COUNTS]
        );
        assert_eq!(gt.seg.coords, vec![0.0, 0.0, 1.0, 0.0, 1.0, 1.0]);
        assert_eq!(gt.seg.str_data, b"a\\b");
        assert_eq!(gt.seg.list_counts, vec![20]);
        assert_eq!(gt.seg.list_rows, vec![2]);
    }

    #[test]
    fn boxes_become_polygons() {
        let doc = br#"[{"image_id": 1, "category_id": 1, "score": 0.5,
            "segmentation": [[1, 2, 3, 4], [0, 0, 1, 1]]}]"#;
        let r = read_results(doc).unwrap();
        assert_eq!(r.seg.kind, vec![SEG_BOXES]);
        assert_eq!(
            &r.seg.coords[..8],
            &[1.0, 2.0, 1.0, 6.0, 4.0, 6.0, 4.0, 2.0]
        );
        assert_eq!(r.seg.point_offsets, vec![0, 4, 8]);
        assert!(!r.has_bbox[0]);
    }

    #[test]
    fn refuses_what_it_does_not_handle() {
        for doc in [
            &br#"[{"image_id": "a", "category_id": 1, "score": 1, "bbox": [0, 0, 1, 1]}]"#[..],
            br#"[{"image_id": 1.0, "category_id": 1, "score": 1, "bbox": [0, 0, 1, 1]}]"#,
            br#"[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1]}]"#,
            br#"[{"image_id": 1, "category_id": 1, "score": NaN, "bbox": [0, 0, 1, 1]}]"#,
            br#"[{"image_id": 1, "category_id": 1, "score": 1, "bbox": [0, 0, 1]}]"#,
            br#"[{"image_id": 1, "category_id": 1, "score": 1e999, "bbox": [0, 0, 1, 1]}]"#,
            br#"[{"image_id": 1, "category_id": 1, "score": 1, "bbox": [0, 0, 1, 1]},]"#,
            br#"[{"image_id": 01, "category_id": 1, "score": 1, "bbox": [0, 0, 1, 1]}]"#,
            br#"[{"image_id": 1, "category_id": 1, "score": 1, "segmentation": []}]"#,
            br#"[{"image_id": 1, "category_id": 1, "score": 1, "segmentation": [[1]]}]"#,
            br#"[{"image_id": 1, "category_id": 1, "score": 1, "segmentation": [[1,2,3,4],[1,2]]}]"#,
            br#"[{"image_id": 1, "category_id": 1, "score": 1, "segmentation": {"counts": [-1], "size": [1, 1]}}]"#,
            br#"[{"image_id": 1, "category_id": 1, "score": 1, "segmentation": {"counts": "\ud800", "size": [1, 1]}}]"#,
            br#"[{"image_id": 1, "category_id": 1, "score": true, "bbox": [0, 0, 1, 1]}]"#,
            br#"[] x"#,
            br#"{"images": {}}"#,
        ] {
            assert!(read_results(doc).is_none(), "{}", String::from_utf8_lossy(doc));
        }
        assert!(read_ground_truth(br#"{"images": {}}"#).is_none());
        assert!(read_ground_truth(br#"{"images": [{"height": 1}]}"#).is_none());
        assert!(read_results(
            br#"[{"image_id": 1, "category_id": 1, "score": 1, "bbox": [0, 0, 1, 1]}]"#
        )
        .is_some());
    }
}
