use super::*;
use crate::resize::PassOrder;

/// A 2x2 8-bit grey PNG with pixels [0, 255; 255, 0].
const PNG_2X2: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAAAAABX3VL4AAAAEUlEQVR4AQEGAPn/AAD/AP8ABgAB/wyjNeQAAAAASUVORK5CYII=";

fn labels(text: &str) -> Option<Vec<String>> {
    read_answer(text.as_bytes()).map(|answer| {
        answer
            .items
            .into_iter()
            .map(|i| i.label.into_owned())
            .collect()
    })
}

fn options(threads: usize) -> Options {
    Options {
        threshold: 127,
        order: PassOrder::Pillow13,
        max_pixels: 1 << 24,
        threads,
    }
}

const LIMITS: Limits = Limits {
    max_mask_pixels: 1 << 27,
    max_decoded_bytes: 1 << 26,
    max_answer_bytes: 1 << 20,
    max_items: 10_000,
};

fn record(text: &str) -> Record<'_> {
    Record {
        text: text.as_bytes(),
        width: 40,
        height: 30,
    }
}

fn item(label: &str, box_2d: &str, mask: bool) -> String {
    let mask = if mask {
        format!(r#", "mask": "data:image/png;base64,{PNG_2X2}""#)
    } else {
        String::new()
    };
    format!(r#"{{"box_2d": {box_2d}, "label": "{label}"{mask}}}"#)
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
    let items = read_answer(fenced.as_bytes()).map_or_else(Vec::new, |a| a.items);
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].box_2d, [1, 2, 3, 4]);
    assert_eq!(items[0].mask_base64.as_deref(), Some("AAAA"));
    assert!(
        matches!(items[0].mask_base64, Some(std::borrow::Cow::Borrowed(_))),
        "no copy of a plain mask"
    );
    let escaped =
        r#"[{"box_2d": [1, 2, 3, 4], "label": "a", "mask": "data:image\/png;base64,AAAA"}]"#;
    let items = read_answer(escaped.as_bytes()).map_or_else(Vec::new, |a| a.items);
    assert_eq!(
        items[0].mask_base64.as_deref(),
        Some("AAAA"),
        "escapes mean what json says"
    );
    assert_eq!(
        labels(r#"[{"box_2d": [1, 2, 3, 4], "label": "\n\"q\""}]"#),
        Some(vec!["\n\"q\"".into()])
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
    let out = records_to_columns(&records, options(1), LIMITS);
    let expected = Columns {
        taken: vec![true],
        cut: vec![0],
        record: vec![0],
        item: vec![0],
        // int(1 / 1000 * 1023), int(333 / 1000 * 767), int(999 / 1000 * 1023), ...
        boxes: vec![1, 255, 1021, 511],
        label_offsets: vec![0, 1],
        label_data: b"a".to_vec(),
        counts_offsets: vec![0, 0],
        counts_data: Vec::new(),
        segment: vec![false],
        area: vec![1020 * 256],
    };
    assert_eq!(out, expected);
}

#[test]
fn rows_are_columns_in_record_order() {
    let a = format!(
        "[{}, {}]",
        item("cat", "[0, 0, 500, 500]", true),
        item("dog", "[100, 100, 200, 300]", false)
    );
    let b = format!("[{}]", item("bird", "[0, 0, 1000, 1000]", true));
    let texts = [a.as_str(), "not plain", b.as_str()];
    let records: Vec<Record<'_>> = texts.iter().map(|t| record(t)).collect();
    let out = records_to_columns(&records, options(1), LIMITS);
    assert_eq!(out.taken, vec![true, false, true]);
    assert_eq!(out.record, vec![0, 0, 2]);
    assert_eq!(out.item, vec![0, 1, 0]);
    assert_eq!(out.boxes, vec![0, 0, 20, 15, 4, 3, 12, 6, 0, 0, 40, 30]);
    assert_eq!(out.label_data, b"catdogbird");
    assert_eq!(out.label_offsets, vec![0, 3, 6, 10]);
    assert_eq!(out.segment, vec![true, false, true]);
    assert_eq!(out.area[1], 8 * 3, "a box's area is its pixels");
    // The masks' counts are those of the batch's mask function.
    let job = PngMask {
        data: PNG_2X2.as_bytes(),
        bbox: [0, 0, 20, 15],
        frame: (30, 40),
    };
    let first = batch::png_masks_to_rle(&[job], options(1)).remove(0);
    let first = first.unwrap_or_else(|e| panic!("{e}"));
    let end = out.counts_offsets[1] as usize;
    assert_eq!(&out.counts_data[..end], first.counts.as_bytes());
    assert_eq!(out.area[0], first.area as i64);
    assert_eq!(
        out.counts_offsets[1], out.counts_offsets[2],
        "a box has no counts"
    );
    for threads in [0, 2, 3] {
        assert_eq!(records_to_columns(&records, options(threads), LIMITS), out);
    }
}

#[test]
fn limits_copies_and_failed_masks_leave_the_record() {
    let one = format!("[{}]", item("a", "[0, 0, 500, 500]", true));
    let two = format!(
        "[{}, {}]",
        item("a", "[0, 0, 500, 500]", false),
        item("b", "[0, 0, 500, 500]", false)
    );
    let copies = format!(
        "[{}, {}]",
        item("a", "[0, 0, 500, 500]", true),
        item("a", "[0, 0, 500, 500]", true)
    );
    let not_copies = format!(
        "[{}, {}]",
        item("a", "[0, 0, 500, 500]", true),
        item("a", "[0, 0, 500, 500]", false)
    );
    let broken = one.replace("iVBOR", "iVBOq");
    let take = |text: &str, limits: Limits| {
        records_to_columns(&[record(text)], options(1), limits).taken[0]
    };
    assert!(take(&one, LIMITS) && take(&two, LIMITS) && take(&not_copies, LIMITS));
    assert!(!take(&copies, LIMITS), "an exact copy: the parser notes it");
    assert!(
        !take(&broken, LIMITS),
        "a mask that fails: the parser reports it"
    );
    let size = one.len() as u64;
    assert!(take(
        &one,
        Limits {
            max_answer_bytes: size,
            ..LIMITS
        }
    ));
    assert!(!take(
        &one,
        Limits {
            max_answer_bytes: size - 1,
            ..LIMITS
        }
    ));
    assert!(take(
        &two,
        Limits {
            max_items: 2,
            ..LIMITS
        }
    ));
    assert!(!take(
        &two,
        Limits {
            max_items: 1,
            ..LIMITS
        }
    ));
    assert!(!take(
        &one,
        Limits {
            max_mask_pixels: 299,
            ..LIMITS
        }
    ));
    assert!(take(
        &one,
        Limits {
            max_mask_pixels: 300,
            ..LIMITS
        }
    ));
    assert!(!take(
        &one,
        Limits {
            max_decoded_bytes: 10,
            ..LIMITS
        }
    ));
    let empty = Record {
        width: 0,
        ..record(&one)
    };
    assert_eq!(
        records_to_columns(&[empty], options(1), LIMITS).taken,
        vec![false]
    );
    let none = records_to_columns(&[], options(2), LIMITS);
    assert!(none.is_empty() && none.label_offsets == vec![0]);
}

#[test]
fn cut_off_answers_in_the_two_known_shapes_wherever_the_cut_falls() {
    let one = item("a", "[0, 0, 500, 500]", true);
    let two = item("b", "[0, 0, 1000, 1000]", true);
    let full = format!("```json\n[{one}, {two}]\n```");
    let cut_at = |n: usize| full[..full.len() - n].to_string();
    let cut = |text: &str| read_answer(text.as_bytes()).map(|a| (a.items.len(), a.cut));
    assert_eq!(cut(&full), Some((2, Cut::No)));
    // Inside the second mask's base64: the first item, and the second cut off.
    assert_eq!(cut(&cut_at(30)), Some((1, Cut::InsideItem)));
    // After the second item, with or without the list's end; after a comma.
    assert_eq!(cut(&cut_at(5)), Some((2, Cut::AfterItem)));
    assert_eq!(cut(&format!("```json\n[{one}, {two}]")), Some((2, Cut::No)));
    assert_eq!(cut(&format!("[{one},\n ")), Some((1, Cut::AfterItem)));
    assert_eq!(cut(&format!("[{one}")), Some((1, Cut::AfterItem)));
    // Cut anywhere else in the second item: in a key, a box number, the label,
    // between members, inside an escape.
    let escaped = r#"{"label": "caf\u00e9 \"x\"", "box_2d": [10, 20, 300, 400]}"#;
    for end in 1..two.len() {
        let text = format!("[{one}, {}", &two[..end]);
        assert_eq!(cut(&text), Some((1, Cut::InsideItem)), "{text:?}");
    }
    for end in 1..escaped.len() {
        let text = format!("[{one}, {}", &escaped[..end]);
        assert_eq!(cut(&text), Some((1, Cut::InsideItem)), "{text:?}");
    }
    for text in [
        format!("```json\n[{one}, {two}\n```"), // a closed fence holding a cut list
        format!("[{}", &one[..one.len() - 30]), // no complete item
        format!("[{one}, {}\n", &two[..two.len() - 30]), // a new line in the base64
        format!("[{one}, x"),
        format!("[{one}, {{\"point\": [1"), // a key no plain item has
        format!("[{one}, {{\"box_2d\": [1.5"), // a fraction
        format!("[{one}, {{\"box_2d\": [01"), // a leading zero
        format!("[{one}, {{\"box_2d\": [12345"), // five digits
        format!("[{one}, {{\"label\": 3"),  // a label that is not a string
        format!("[{one}, {{\"label\": \"a\\q"), // an escape JSON does not have
        format!("[{one}, {{\"label\": \"a\\u00g"), // a bad hex digit
        format!("[{one}, {{\"lab\\u0065l\": \"a"), // an escape in a key
        format!("[{one}, {{\"label\": \"a\", \"label\": \"b"), // a key twice
        format!("[{one}, {{\"label\": \"a\"}}, {{"), // a complete item, not plain
    ] {
        assert_eq!(cut(&text), None, "{text:?}");
    }
    // Rows: the complete items, and the record's cut for the caller's note.
    let texts = [cut_at(30), cut_at(5), full.clone()];
    let records: Vec<Record<'_>> = texts.iter().map(|t| record(t)).collect();
    let out = records_to_columns(&records, options(1), LIMITS);
    assert_eq!(out.taken, vec![true, true, true]);
    assert_eq!(out.cut, vec![2, 1, 0]);
    assert_eq!(out.record, vec![0, 1, 1, 2, 2]);
    // An item cut off counts towards the item cap, as the general parser counts it.
    let capped = Limits {
        max_items: 1,
        ..LIMITS
    };
    assert_eq!(
        records_to_columns(&records[..1], options(1), capped).taken,
        vec![false]
    );
}

#[test]
fn copies_are_found_wherever_they_stand() {
    let raw = |label: &'static str, y: u16, mask: Option<&'static str>| RawItem {
        label: label.into(),
        box_2d: [y, 0, 500, 500],
        mask_base64: mask.map(Into::into),
    };
    let (a, b, c) = (Some("iVBORa"), Some("iVBORb"), Some("iVBORc"));
    // Same box and label, masks that differ: the copy is two places away.
    let items = [
        raw("x", 1, a),
        raw("x", 1, b),
        raw("x", 1, c),
        raw("x", 1, a),
    ];
    assert!(has_copies(&items));
    assert!(!has_copies(&items[..3]));
    // Any one field apart is not a copy; an item without a mask can be one.
    let apart = [
        raw("x", 1, a),
        raw("y", 1, a),
        raw("x", 2, a),
        raw("x", 1, None),
    ];
    assert!(!has_copies(&apart));
    assert!(has_copies(&[
        raw("x", 1, None),
        raw("y", 9, b),
        raw("x", 1, None)
    ]));
    assert!(!has_copies(&[]) && !has_copies(&apart[..1]));
}
