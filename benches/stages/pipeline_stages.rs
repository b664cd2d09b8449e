//! Time each stage of the batch's per-mask pipeline on one thread.
//!
//! `benches/pipeline_stages.py` writes the masks of a workload to a file and
//! runs this program on it; by hand:
//!
//!     cargo run --release --example pipeline_stages -- MASKS_FILE [ROUNDS]
//!
//! Each line of the file is one mask: `x0 y0 x1 y1 frame_h frame_w base64`
//! (the box in frame pixels, ends exclusive; the base64 PNG, a `data:` prefix
//! allowed). The stages are those of `pipeline::mask_rle` plus the compressed
//! string, each run over every mask with the previous stage's output made
//! beforehand, so a stage's time is its own:
//!
//! * `base64`: the text to PNG bytes;
//! * `png`: the PNG to its grey rows (left in the inflate buffer when it can);
//! * `resize`: the fused Pillow-exact BILINEAR resize + `> 127` into packed rows;
//! * `rle`: the packed mask to COCO counts in the frame;
//! * `string`: the counts to pycocotools' compressed string;
//! * `total`: `mask_rle` and the string, end to end.
//!
//! The resize and the RLE are timed mask by mask, each after its input was
//! copied (untimed) into a buffer the stage then reads, so that it is in the
//! cache as the stage before leaves it in the pipeline; the clocks' own cost
//! per mask is measured and subtracted. The other stages read inputs that fit
//! the cache and are timed over all the masks at once. Rounds interleave the
//! stages (round 1: every stage once, round 2: ...), and each stage reports
//! its best round as microseconds per mask, of the thread's CPU time (Linux;
//! wall time elsewhere) and of wall time.

use std::time::Instant;

use _rust::bitmask::BitMask;
use _rust::contour::resize_threshold_contour_rows_into;
use _rust::resize::PassOrder;
use _rust::{base64, pipeline, png, rle};

/// One mask of the workload.
struct Mask {
    text: Vec<u8>,
    x0: i64,
    y0: i64,
    width: usize,
    height: usize,
    frame: (usize, usize),
}

fn parse(line: &str) -> Option<Mask> {
    let mut fields = line.split_ascii_whitespace();
    let mut number = || fields.next()?.parse::<i64>().ok();
    let (x0, y0, x1, y1) = (number()?, number()?, number()?, number()?);
    let (frame_h, frame_w) = (number()?, number()?);
    let text = fields.next()?.as_bytes().to_vec();
    Some(Mask {
        text,
        x0,
        y0,
        width: usize::try_from(x1 - x0).ok()?,
        height: usize::try_from(y1 - y0).ok()?,
        frame: (
            usize::try_from(frame_h).ok()?,
            usize::try_from(frame_w).ok()?,
        ),
    })
}

/// The calling thread's CPU time in seconds.
#[cfg(target_os = "linux")]
fn cpu_seconds() -> f64 {
    #[repr(C)]
    struct Timespec {
        sec: i64,
        nsec: i64,
    }
    extern "C" {
        fn clock_gettime(clock: i32, out: *mut Timespec) -> i32;
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut t = Timespec { sec: 0, nsec: 0 };
    // SAFETY: clock_gettime writes one timespec (two longs on x86-64 Linux)
    // through a pointer to a live, properly laid out one.
    let rc = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut t) };
    if rc != 0 {
        return 0.0;
    }
    t.sec as f64 + t.nsec as f64 * 1e-9
}

#[cfg(not(target_os = "linux"))]
fn cpu_seconds() -> f64 {
    use std::sync::OnceLock;
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_secs_f64()
}

/// Best (CPU, wall) seconds of one run of a stage over every mask so far.
#[derive(Clone, Copy)]
struct Best {
    cpu: f64,
    wall: f64,
}

impl Best {
    fn keep(&mut self, cpu: f64, wall: f64) {
        self.cpu = self.cpu.min(cpu);
        self.wall = self.wall.min(wall);
    }
}

/// Time `stage` over every mask at once.
fn per_pass(best: &mut Best, mut stage: impl FnMut()) {
    let (cpu, wall) = (cpu_seconds(), Instant::now());
    stage();
    best.keep(cpu_seconds() - cpu, wall.elapsed().as_secs_f64());
}

/// Time `stage(i)` of every mask `i` alone, after an untimed `prepare(i)`
/// (which puts the stage's input in the cache, as the stage before it leaves
/// it in the pipeline), less `overhead`: the clocks' own cost per mask.
fn per_mask<S>(
    best: &mut Best,
    masks: usize,
    overhead: Best,
    state: &mut S,
    mut prepare: impl FnMut(&mut S, usize),
    mut stage: impl FnMut(&mut S, usize),
) {
    let (mut cpu, mut wall) = (0.0, 0.0);
    for i in 0..masks {
        prepare(state, i);
        let (c, w) = (cpu_seconds(), Instant::now());
        stage(state, i);
        wall += w.elapsed().as_secs_f64();
        cpu += cpu_seconds() - c;
    }
    let n = masks as f64;
    best.keep(cpu - overhead.cpu * n, wall - overhead.wall * n);
}

/// The clocks' cost of timing one mask in [`per_mask`] (best of many).
fn clock_overhead() -> Best {
    let mut best = Best {
        cpu: f64::INFINITY,
        wall: f64::INFINITY,
    };
    let none = Best {
        cpu: 0.0,
        wall: 0.0,
    };
    for _ in 0..50 {
        per_mask(&mut best, 1000, none, &mut (), |_, _| {}, |_, _| {});
    }
    Best {
        cpu: best.cpu / 1000.0,
        wall: best.wall / 1000.0,
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: pipeline_stages MASKS_FILE [ROUNDS]");
        std::process::exit(2);
    };
    let rounds: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(30);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        eprintln!("cannot read {path}: {e}");
        std::process::exit(2);
    });
    let masks: Vec<Mask> = text.lines().filter_map(parse).collect();
    if masks.is_empty() {
        eprintln!("no masks in {path}");
        std::process::exit(2);
    }
    let order = PassOrder::Pillow13;
    let (threshold, max_pixels) = (127, 1u64 << 24);

    // Each stage's input, made once.
    let pngs: Vec<Vec<u8>> = masks
        .iter()
        .map(|m| {
            let mut out = Vec::new();
            base64::decode_into(&m.text, &mut out).expect("base64");
            out
        })
        .collect();
    // The grey rows as the pipeline reads them (with their stride).
    let greys: Vec<(Vec<u8>, usize, usize, usize)> = pngs
        .iter()
        .map(|p| {
            let mut s = png::Scratch::default();
            let (w, h) = png::decode_png_rows_into(p, max_pixels, &mut s).expect("png");
            let (rows, stride) = s.rows();
            (rows.to_vec(), h, w, stride)
        })
        .collect();
    let packed: Vec<BitMask> = masks
        .iter()
        .zip(&greys)
        .map(|(m, (grey, h, w, stride))| {
            let mut bits = BitMask::new();
            bits.reset(m.height, m.width).expect("mask");
            resize_threshold_contour_rows_into(
                grey, *stride, *h, *w, m.width, m.height, order, threshold, &mut bits,
            )
            .expect("resize");
            bits
        })
        .collect();
    let counts: Vec<Vec<u32>> = masks
        .iter()
        .zip(&packed)
        .map(|(m, bits)| {
            rle::encode_bits(
                bits,
                m.x0,
                m.y0,
                m.frame.0,
                m.frame.1,
                &mut rle::Scratch::default(),
            )
            .expect("rle")
        })
        .collect();

    let names = ["base64", "png", "resize", "rle", "string", "total"];
    let mut best = [Best {
        cpu: f64::INFINITY,
        wall: f64::INFINITY,
    }; 6];
    let mut bytes = Vec::new();
    let mut png_scratch = png::Scratch::default();
    let mut bits = BitMask::new();
    let mut rle_scratch = rle::Scratch::default();
    let mut scratch = pipeline::Scratch::default();
    let mut sink = 0usize;
    let overhead = clock_overhead();
    let mut hot_grey: Vec<u8> = Vec::new();
    let mut hot_bits = BitMask::new();
    for _ in 0..rounds {
        per_pass(&mut best[0], || {
            for m in &masks {
                base64::decode_into(&m.text, &mut bytes).expect("base64");
                sink += bytes.len();
            }
        });
        per_pass(&mut best[1], || {
            for p in &pngs {
                let (w, _) =
                    png::decode_png_rows_into(p, max_pixels, &mut png_scratch).expect("png");
                sink += w;
            }
        });
        per_mask(
            &mut best[2],
            masks.len(),
            overhead,
            &mut (&mut hot_grey, &mut bits),
            |(grey, bits), i| {
                grey.clone_from(&greys[i].0);
                bits.reset(masks[i].height, masks[i].width).expect("mask");
            },
            |(grey, bits), i| {
                let (m, (_, h, w, stride)) = (&masks[i], &greys[i]);
                resize_threshold_contour_rows_into(
                    grey, *stride, *h, *w, m.width, m.height, order, threshold, *bits,
                )
                .expect("resize");
                sink += bits.rows();
            },
        );
        per_mask(
            &mut best[3],
            masks.len(),
            overhead,
            &mut hot_bits,
            |hot, i| hot.clone_from(&packed[i]),
            |hot, i| {
                let m = &masks[i];
                let c = rle::encode_bits(hot, m.x0, m.y0, m.frame.0, m.frame.1, &mut rle_scratch)
                    .expect("rle");
                sink += c.len();
            },
        );
        per_pass(&mut best[4], || {
            for c in &counts {
                sink += rle::to_string(c).len();
            }
        });
        per_pass(&mut best[5], || {
            for m in &masks {
                let job = pipeline::MaskJob {
                    data: &m.text,
                    x0: m.x0,
                    y0: m.y0,
                    width: m.width,
                    height: m.height,
                    threshold,
                    order,
                };
                let c = pipeline::mask_rle(&job, max_pixels, m.frame, &mut scratch).expect("mask");
                sink += rle::to_string(&c).len() + rle::area(&c) as usize;
            }
        });
    }
    let n = masks.len() as f64;
    println!(
        "{} masks, best of {rounds} rounds, us per mask (thread CPU / wall)",
        masks.len()
    );
    for (name, b) in names.iter().zip(&best) {
        println!("{name:>8} {:8.2} {:8.2}", b.cpu / n * 1e6, b.wall / n * 1e6);
    }
    // Keeps the work observable, so no stage is optimised away.
    if sink == 1 {
        println!();
    }
}
