//! The batch path's fast lane (SPEC D1): whole records — the model's answer
//! text and the image size — to the output's columns, with no Python in
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
//! fence, a mask that fails to decode, a limit reached, an item that is an
//! exact copy of an earlier one, a cut-off answer in another shape than the
//! two whose diagnostics are known: [`Cut`]) leaves the record untaken, and the caller
//! runs the general parser on it. So the lane is an acceleration, never a
//! second opinion: a record's rows are the general parser's whichever path
//! made them (the test suite checks this on generated answers either side of
//! every rule here).
//!
//! A call runs in three steps, the first two spread over threads
//! ([`crate::pool`]): every record's answer is read (a few microseconds for
//! tens of kilobytes), then every mask of the records read goes through
//! [`crate::batch`]'s item function (base64 -> PNG -> grey -> Pillow-exact
//! resize and threshold -> RLE in the image's frame), one mask at a time, so
//! threads finish together; then the rows are written, in record order, as
//! flat columns ([`Columns`]) that the caller hands to Arrow without a copy.

mod answer;

pub use answer::{read_answer, Answer, Cut, RawItem};

use crate::batch::{self, EncodedMask, Options, PngMask};
use crate::pipeline;
use crate::pool;

/// One record: the answer as UTF-8 and the image size in pixels. An empty
/// text (what the binding gives for a string that is not UTF-8) is never taken.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    pub text: &'a [u8],
    pub width: usize,
    pub height: usize,
}

/// The general parser's per-answer limits (`spatial.Limits`) the lane must respect:
/// a record that reaches one is left to the general parser, which says so.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Total mask pixels (box areas) one answer may ask for.
    pub max_mask_pixels: u64,
    /// Total decoded PNG bytes (estimated from the base64 length) one answer may hold.
    pub max_decoded_bytes: u64,
    /// UTF-8 bytes of one answer.
    pub max_answer_bytes: u64,
    /// Items of one answer.
    pub max_items: u64,
}

/// The rows of the records the lane took, as the batch output's columns
/// (`batch.schema.COLUMNS`): one row per item, records in order, items in
/// the model's order. Every row is an item of kind `segment` (it had a mask)
/// or `box`, with no diagnostics, confidence, point or 3D box.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Columns {
    /// Per record of the call: whether the lane took it (if not, the general parser reads it).
    pub taken: Vec<bool>,
    /// Per record: 0, or where a taken record's answer was cut off (1: after an
    /// item, 2: inside the next item; see [`Cut`]), which the caller notes as
    /// the general parser does in the record's row.
    pub cut: Vec<u8>,
    /// Per row: the record's position in the call.
    pub record: Vec<i64>,
    /// Per row: the item's index in the model's list.
    pub item: Vec<i32>,
    /// Four per row: the pixel box `x0, y0, x1, y1`, ends exclusive.
    pub boxes: Vec<i32>,
    /// Row `i`'s label is `label_data[label_offsets[i]..label_offsets[i + 1]]` (UTF-8).
    pub label_offsets: Vec<i64>,
    pub label_data: Vec<u8>,
    /// The same for the compressed COCO RLE counts (ASCII); empty for a box.
    pub counts_offsets: Vec<i64>,
    pub counts_data: Vec<u8>,
    /// Per row: the item had a mask (a segment) or not (a box).
    pub segment: Vec<bool>,
    /// Per row: the mask's pixels for a segment, the box's for a box.
    pub area: Vec<i64>,
}

impl Columns {
    /// Rows written.
    pub fn len(&self) -> usize {
        self.item.len()
    }

    /// No rows.
    pub fn is_empty(&self) -> bool {
        self.item.is_empty()
    }
}

/// A record the reader took, before its masks: items and their pixel boxes.
struct Plan<'a> {
    items: Vec<RawItem<'a>>,
    boxes: Vec<[i64; 4]>,
    cut: Cut,
}

/// The lane over `records` (see the module): the rows of those it takes.
pub fn records_to_columns(records: &[Record<'_>], options: Options, limits: Limits) -> Columns {
    let plans = pool::map(options.threads, records, |record| plan(record, &limits));
    let mut jobs = Vec::new();
    for (plan, record) in plans.iter().zip(records) {
        let Some(plan) = plan else { continue };
        for (item, &bbox) in plan.items.iter().zip(&plan.boxes) {
            if let Some(data) = &item.mask_base64 {
                jobs.push(PngMask {
                    data: data.as_bytes(),
                    bbox,
                    frame: (record.height, record.width),
                });
            }
        }
    }
    let masks = pool::map(options.threads, &jobs, |job| {
        pipeline::with_thread_scratch(|scratch| batch::encode_one(job, &options, scratch).ok())
    });
    write_rows(&plans, &masks)
}

/// A record's items and boxes if the lane takes it so far (its masks still to decode).
fn plan<'a>(record: &Record<'a>, limits: &Limits) -> Option<Plan<'a>> {
    if record.width == 0 || record.height == 0 || record.text.len() as u64 > limits.max_answer_bytes
    {
        return None;
    }
    let Answer { items, cut } = read_answer(record.text)?;
    // The general parser counts an item cut off inside it too.
    let count = items.len() + usize::from(cut == Cut::InsideItem);
    if count as u64 > limits.max_items || count > i32::MAX as usize {
        return None; // the general parser reads up to the cap and says so
    }
    if has_copies(&items) {
        return None; // the general parser notes the copy
    }
    let (w, h) = (record.width as f64, record.height as f64);
    let (mut pixels, mut bytes) = (0u64, 0u64);
    let mut boxes = Vec::with_capacity(items.len());
    for item in &items {
        let [ymin, xmin, ymax, xmax] = item.box_2d.map(f64::from);
        // Python's int(v / 1000 * size): the same IEEE operations, truncated.
        let bbox = [
            (xmin / 1000.0 * w) as i64,
            (ymin / 1000.0 * h) as i64,
            (xmax / 1000.0 * w) as i64,
            (ymax / 1000.0 * h) as i64,
        ];
        let (bw, bh) = (bbox[2] - bbox[0], bbox[3] - bbox[1]);
        if bw <= 0 || bh <= 0 || bbox.iter().any(|&v| i32::try_from(v).is_err()) {
            return None; // an empty box: the general parser notes it
        }
        if let Some(text) = &item.mask_base64 {
            // The general parser's budget, in its order: pixels, then bytes.
            pixels = pixels.checked_add(u64::try_from(bw.checked_mul(bh)?).ok()?)?;
            bytes = bytes.checked_add(text.len() as u64 / 4 * 3 + 3)?;
            if pixels > limits.max_mask_pixels || bytes > limits.max_decoded_bytes {
                return None;
            }
        }
        boxes.push(bbox);
    }
    Some(Plan { items, boxes, cut })
}

/// Whether an item equals an earlier one as JSON values (the general parser's `duplicate`).
///
/// The items are sorted by all their fields, box first, so that equal items
/// end up side by side. Hashing them would read every mask's kilobytes of
/// base64 (a few microseconds an answer); the sort reads a mask only when two
/// items have the same box and label, which a real answer hardly ever has.
fn has_copies(items: &[RawItem<'_>]) -> bool {
    let mut sorted: Vec<&RawItem<'_>> = items.iter().collect();
    sorted.sort_unstable_by_key(|item| (item.box_2d, &*item.label, item.mask_base64.as_deref()));
    sorted.windows(2).any(|pair| pair[0] == pair[1])
}

/// The rows of the records whose every mask decoded, in order.
fn write_rows(plans: &[Option<Plan<'_>>], masks: &[Option<EncodedMask>]) -> Columns {
    let mut out = Columns {
        taken: Vec::with_capacity(plans.len()),
        cut: Vec::with_capacity(plans.len()),
        label_offsets: vec![0],
        counts_offsets: vec![0],
        ..Columns::default()
    };
    let mut next = 0; // the first mask of the record at hand
    for (index, plan) in plans.iter().enumerate() {
        let Some(plan) = plan else {
            out.taken.push(false);
            out.cut.push(0);
            continue;
        };
        let count = plan
            .items
            .iter()
            .filter(|i| i.mask_base64.is_some())
            .count();
        let mine = &masks[next..next + count];
        next += count;
        // A mask that failed: the general parser reports it.
        let taken = mine.iter().all(Option::is_some);
        out.taken.push(taken);
        out.cut.push(match plan.cut {
            _ if !taken => 0,
            Cut::No => 0,
            Cut::AfterItem => 1,
            Cut::InsideItem => 2,
        });
        if taken {
            write_record(&mut out, index, plan, mine);
        }
    }
    out
}

fn write_record(out: &mut Columns, index: usize, plan: &Plan<'_>, masks: &[Option<EncodedMask>]) {
    let mut masks = masks.iter().flatten();
    for (position, (item, bbox)) in plan.items.iter().zip(&plan.boxes).enumerate() {
        out.record.push(index as i64);
        // At most `max_items` items and boxes checked to fit: the casts are exact.
        out.item.push(position as i32);
        out.boxes.extend(bbox.map(|v| v as i32));
        out.label_data.extend_from_slice(item.label.as_bytes());
        out.label_offsets.push(out.label_data.len() as i64);
        let mask = match item.mask_base64 {
            Some(_) => masks.next(),
            None => None,
        };
        match mask {
            Some(mask) => {
                out.counts_data.extend_from_slice(mask.counts.as_bytes());
                out.area.push(mask.area as i64);
            }
            None => out.area.push((bbox[2] - bbox[0]) * (bbox[3] - bbox[1])),
        }
        out.segment.push(mask.is_some());
        out.counts_offsets.push(out.counts_data.len() as i64);
    }
}

#[cfg(test)]
mod tests;
