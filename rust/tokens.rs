//! Image token estimates (SPEC K1, K3, M8): how many tokens the Gemini API
//! bills for one image of `w` x `h` pixels, under each named rule of
//! `docs/tokens.md`.
//!
//! Theory of operation
//! -------------------
//! Every rule is a plain function of a validated [`ImageSize`] (both sides in
//! `1..=2^31`) and one token number (see [`Rule`]); none can fail once its
//! arguments are constructed, so the batch loop is infallible and the only
//! errors are the range checks in [`ImageSize::new`], [`Budget::new`] and
//! [`Rule::from_name`].
//!
//! All arithmetic is on integers and exact:
//!
//! * `floor(min(w, h) / 1.5)` is computed as `2 * min(w, h) / 3`.
//! * `ceil(a / u)` is `a.div_ceil(u)`.
//! * Gemini 3's `f = sqrt(B * 2304 / (w * h))`, `rows = floor(f * h / 48)` is,
//!   in exact arithmetic, `floor(sqrt(B * h / w))`, and because
//!   `floor(sqrt(x)) == isqrt(floor(x))` for every real `x >= 0` it equals
//!   `isqrt(B * h / w)` in integers (likewise `cols = isqrt(B * w / h)`).
//!   Evaluating the formula literally in `f64` gets some sizes wrong by one:
//!   1820x2600 at B = 1120 has `B * h / w = 1600`, so rows is exactly 40, but
//!   the `f64` chain yields 39.999999... and floors to 39. The integer form has
//!   no such cliff. The integer square root itself is taken in `f64`, in the
//!   same steps in both backends ([`floor_sqrt`]): `n < 2^48` converts
//!   exactly, the correctly rounded `sqrt` floors to the integer root, and one
//!   correction step each way makes that exact by construction.
//!
//! No overflow: with sides `<= 2^31` and the token number `<= 2^16`,
//! `documented` has at most `2 * 2^31` tiles (the short side spans at most two
//! crop units, the long side at most `2^31` of them since the unit is >= 1), so
//! at most `2^48` tokens; `pan_and_scan` has a unit >= 256, so at most
//! `(2^23 + 1)^2 + 1` tiles, under `2^63` tokens; `gemini3` gives
//! `rows * cols <= sqrt(Bh/w) * sqrt(Bw/h) = B`, and `B * side <= 2^47`.
//! The unit tests below evaluate the extreme sizes.

use rayon::prelude::*;

use crate::error::{KernelError, KernelResult};

/// The largest accepted image side, `2^31` pixels.
pub const MAX_SIDE: i64 = 1 << 31;
/// The largest accepted token number (tokens per tile or image, or a Gemini 3 budget).
pub const MAX_BUDGET: i64 = 1 << 16;
/// Tokens per tile (and per small image) in the Gemini 1.x/2.x rules.
pub const TOKENS_PER_TILE: u64 = 258;
/// Tokens per image of the `single` rule at `MEDIA_RESOLUTION_LOW`.
pub const SINGLE_LOW_TOKENS: u64 = 66;
/// Images with both sides at most this many pixels are one tile.
pub const SMALL_SIDE: u64 = 384;
/// Batches at least this long are spread over rayon's threads.
const PARALLEL_MIN_LEN: usize = 1 << 15;
/// Sizes per rayon task.
const CHUNK: usize = 1 << 13;

/// Width and height of one image, both checked to lie in `1..=MAX_SIDE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageSize {
    w: u64,
    h: u64,
}

impl ImageSize {
    /// Check both sides; the error names the side and its value.
    pub fn new(width: i64, height: i64) -> KernelResult<Self> {
        Ok(Self {
            w: checked_side("width", width)?,
            h: checked_side("height", height)?,
        })
    }

    /// The width in pixels.
    pub fn width(self) -> u64 {
        self.w
    }

    /// The height in pixels.
    pub fn height(self) -> u64 {
        self.h
    }

    /// Both sides as u32 (they are at most 2^31).
    fn sides_u32(self) -> (u32, u32) {
        (
            u32::try_from(self.w).unwrap_or(u32::MAX),
            u32::try_from(self.h).unwrap_or(u32::MAX),
        )
    }

    fn is_small(self) -> bool {
        self.w <= SMALL_SIDE && self.h <= SMALL_SIDE
    }
}

fn checked_side(name: &str, value: i64) -> KernelResult<u64> {
    if (1..=MAX_SIDE).contains(&value) {
        Ok(value.unsigned_abs())
    } else {
        Err(KernelError::InvalidArgument(format!(
            "{name} must be an image size in 1..={MAX_SIDE} pixels, got {value}"
        )))
    }
}

/// A rule's token number, checked to lie in `1..=MAX_BUDGET`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget(u64);

impl Budget {
    /// Check the range; the error names the value.
    pub fn new(value: i64) -> KernelResult<Self> {
        if (1..=MAX_BUDGET).contains(&value) {
            Ok(Self(value.unsigned_abs()))
        } else {
            Err(KernelError::InvalidArgument(format!(
                "budget must be in 1..={MAX_BUDGET} tokens, got {value}"
            )))
        }
    }

    /// The value in tokens.
    pub fn get(self) -> u64 {
        self.0
    }
}

/// The named rules. Each takes one token number, the kernel's `budget`:
/// tokens per tile for `Documented` and `PanAndScan`, tokens per image for
/// `Single` and `Flat258` (the two compute the same thing; they differ in the
/// evidence behind them), and the total budget `B` for `Gemini3`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    Documented,
    PanAndScan,
    Single,
    Gemini3,
    Flat258,
}

impl Rule {
    /// Every rule name, in the order error messages list them.
    pub const NAMES: [&'static str; 5] =
        ["documented", "pan_and_scan", "single", "gemini3", "flat258"];

    /// The rule called `name`; the error lists the allowed names.
    pub fn from_name(name: &str) -> KernelResult<Self> {
        match name {
            "documented" => Ok(Rule::Documented),
            "pan_and_scan" => Ok(Rule::PanAndScan),
            "single" => Ok(Rule::Single),
            "gemini3" => Ok(Rule::Gemini3),
            "flat258" => Ok(Rule::Flat258),
            _ => Err(KernelError::InvalidArgument(format!(
                "unknown token rule {name:?}; the rules are {}",
                Rule::NAMES.join(", ")
            ))),
        }
    }

    /// Tokens for one image under this rule.
    pub fn tokens(self, size: ImageSize, budget: Budget) -> u64 {
        match self {
            Rule::Documented => documented_with(size, budget.get()),
            Rule::PanAndScan => pan_and_scan_with(size, budget.get()),
            Rule::Single | Rule::Flat258 => budget.get(),
            Rule::Gemini3 => gemini3(size, budget),
        }
    }
}

/// `ceil(w / unit) * ceil(h / unit)` for a unit >= 1.
fn tile_count(size: ImageSize, unit: u32) -> u64 {
    // Sides and units fit in u32 (<= 2^31), and 32-bit division is the
    // cheaper instruction; the product needs 64 bits.
    let (w, h) = size.sides_u32();
    u64::from(w.div_ceil(unit)) * u64::from(h.div_ceil(unit))
}

/// The seed's crop unit `floor(min(w, h) / 1.5)`, at least 1.
///
/// The guide's formula gives 0 when the short side is 1 pixel (a 1x1000
/// image: `floor(1 / 1.5) = 0`), and a tile count of `ceil(w / 0)` means
/// nothing; a 1-pixel unit is the smallest crop that exists, so the unit is
/// clamped to 1. Only short sides of 1 px are affected (2 px gives 1 already).
fn crop_unit(size: ImageSize) -> u32 {
    let (w, h) = size.sides_u32();
    let short = w.min(h);
    // floor(2m / 3) = m - ceil(m / 3), which cannot overflow u32 for m <= 2^31.
    (short - short.div_ceil(3)).max(1)
}

/// The seed guide's rule with `per_tile` tokens per tile.
pub fn documented_with(size: ImageSize, per_tile: u64) -> u64 {
    if size.is_small() {
        return per_tile;
    }
    tile_count(size, crop_unit(size)) * per_tile
}

/// The seed guide's rule: 258 per tile, crop unit `floor(min(w, h) / 1.5)`.
pub fn documented(size: ImageSize) -> u64 {
    documented_with(size, TOKENS_PER_TILE)
}

/// Pan-and-scan with `per_tile` tokens per tile: the crop unit clamped to
/// `[256, 768]`, plus one tile for the global view.
pub fn pan_and_scan_with(size: ImageSize, per_tile: u64) -> u64 {
    if size.is_small() {
        return per_tile;
    }
    let unit = crop_unit(size).clamp(256, 768);
    (tile_count(size, unit) + 1) * per_tile
}

/// Pan-and-scan at 258 tokens per tile (Vertex AI's default for 2.x).
pub fn pan_and_scan(size: ImageSize) -> u64 {
    pan_and_scan_with(size, TOKENS_PER_TILE)
}

/// One image, 258 tokens whatever its size (Gemini API default for 2.5).
pub fn single(_size: ImageSize) -> u64 {
    TOKENS_PER_TILE
}

/// One image at `MEDIA_RESOLUTION_LOW`: 66 tokens.
pub fn single_low(_size: ImageSize) -> u64 {
    SINGLE_LOW_TOKENS
}

/// Gemini 1.0/1.5: 258 tokens per image.
pub fn flat258(_size: ImageSize) -> u64 {
    TOKENS_PER_TILE
}

/// Gemini 3: a grid of `rows x cols` tokens fitted to the budget `B`
/// (see the module comment for why this is exact integer arithmetic).
pub fn gemini3(size: ImageSize, budget: Budget) -> u64 {
    let (w, h, b) = (size.w, size.h, budget.get());
    let mut rows = floor_sqrt(b * h / w);
    let mut cols = floor_sqrt(b * w / h);
    // Extreme aspect ratios: one row (or column) of up to B tokens.
    if rows == 0 {
        rows = 1;
        cols = (w / h).min(b);
    }
    if cols == 0 {
        cols = 1;
        rows = (h / w).min(b);
    }
    rows * cols
}

/// `floor(sqrt(n))` for `n < 2^52` (here `n <= B * side <= 2^47`).
///
/// `n as f64` is exact below 2^53, and the correctly rounded square root of
/// an integer below 2^52 never rounds up to the next integer, so the `f64`
/// root floors to the integer root; the corrections keep that true by
/// construction. The NumPy twin performs the same steps.
pub fn floor_sqrt(n: u64) -> u64 {
    // Truncation is the floor here: the root is non-negative and below 2^26.
    let mut root = (n as f64).sqrt() as u64;
    if root * root > n {
        root -= 1;
    }
    if (root + 1) * (root + 1) <= n {
        root += 1;
    }
    root
}

/// Apply `tokens_of` to every pair, in parallel for long inputs. Generic, so
/// each rule gets its own loop with the rule's arithmetic inlined.
fn fill<F>(widths: &[i64], heights: &[i64], out: &mut [i64], tokens_of: F)
where
    F: Fn(ImageSize) -> u64 + Sync,
{
    let one = |w: i64, h: i64| -> i64 {
        // Both sides were checked by the caller, so this `ImageSize` is
        // valid; the result is below 2^63 (module comment), so it converts.
        let size = ImageSize {
            w: w.unsigned_abs(),
            h: h.unsigned_abs(),
        };
        i64::try_from(tokens_of(size)).unwrap_or(i64::MAX)
    };
    let serial = |o: &mut [i64], ws: &[i64], hs: &[i64]| {
        for ((t, &w), &h) in o.iter_mut().zip(ws).zip(hs) {
            *t = one(w, h);
        }
    };
    if out.len() >= PARALLEL_MIN_LEN {
        out.par_chunks_mut(CHUNK)
            .zip(widths.par_chunks(CHUNK).zip(heights.par_chunks(CHUNK)))
            .for_each(|(o, (ws, hs))| serial(o, ws, hs));
    } else {
        serial(out, widths, heights);
    }
}

/// Tokens for each `(widths[i], heights[i])` under `rule`, written into `out`.
///
/// Every size is checked before anything is computed; the error names the
/// first bad index and value. All three slices must have the same length.
pub fn tokens_batch_into(
    widths: &[i64],
    heights: &[i64],
    rule: Rule,
    budget: Budget,
    out: &mut [i64],
) -> KernelResult<()> {
    if widths.len() != heights.len() || widths.len() != out.len() {
        return Err(KernelError::InvalidArgument(format!(
            "widths, heights and the output must have the same length, got {}, {} and {}",
            widths.len(),
            heights.len(),
            out.len()
        )));
    }
    check_sides("widths", widths)?;
    check_sides("heights", heights)?;
    let b = budget.get();
    match rule {
        Rule::Documented => fill(widths, heights, out, |s| documented_with(s, b)),
        Rule::PanAndScan => fill(widths, heights, out, |s| pan_and_scan_with(s, b)),
        Rule::Single | Rule::Flat258 => out.fill(i64::try_from(b).unwrap_or(i64::MAX)),
        Rule::Gemini3 => fill(widths, heights, out, |s| gemini3(s, budget)),
    }
    Ok(())
}

/// Tokens for each `(widths[i], heights[i])` under `rule`, as a new vector.
pub fn tokens_batch(
    widths: &[i64],
    heights: &[i64],
    rule: Rule,
    budget: Budget,
) -> KernelResult<Vec<i64>> {
    let mut out = vec![0; widths.len()];
    tokens_batch_into(widths, heights, rule, budget, &mut out)?;
    Ok(out)
}

/// The first value outside `1..=MAX_SIDE`, as an error naming its index.
fn check_sides(name: &str, sides: &[i64]) -> KernelResult<()> {
    // A branch-free scan first (it vectorizes); the index only on failure.
    if sides.iter().all(|&s| (1..=MAX_SIDE).contains(&s)) {
        return Ok(());
    }
    match sides
        .iter()
        .enumerate()
        .find(|(_, s)| !(1..=MAX_SIDE).contains(*s))
    {
        Some((i, value)) => Err(KernelError::InvalidArgument(format!(
            "{name}[{i}] must be an image size in 1..={MAX_SIDE} pixels, got {value}"
        ))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn size(w: i64, h: i64) -> ImageSize {
        ImageSize::new(w, h).unwrap()
    }

    fn budget(b: i64) -> Budget {
        Budget::new(b).unwrap()
    }

    #[test]
    fn seed_example_960x540_is_six_tiles() {
        assert_eq!(crop_unit(size(960, 540)), 360);
        assert_eq!(documented(size(960, 540)), 6 * 258);
    }

    #[test]
    fn small_images_are_one_tile() {
        for (w, h) in [(1, 1), (384, 384), (100, 384)] {
            assert_eq!(documented(size(w, h)), 258);
            assert_eq!(pan_and_scan(size(w, h)), 258);
        }
        assert_eq!(documented(size(385, 384)), 4 * 258);
    }

    #[test]
    fn documented_clamps_a_zero_unit_to_one() {
        // floor(1 / 1.5) = 0: one 1-pixel tile per row.
        assert_eq!(documented(size(1, 1000)), 1000 * 258);
        assert_eq!(documented(size(2, 1000)), 2 * 1000 * 258);
    }

    #[test]
    fn pan_and_scan_measurements() {
        assert_eq!(pan_and_scan(size(700, 1003)), 1806);
        assert_eq!(pan_and_scan(size(2400, 1935)), 3354);
    }

    #[test]
    fn gemini3_measurements() {
        let b = budget(1120);
        for side in [100, 256, 512, 1024, 2048] {
            assert_eq!(gemini3(size(side, side), b), 1089);
        }
        assert_eq!(gemini3(size(1568, 728), b), 1078);
        assert_eq!(gemini3(size(1920, 1080), b), 1100);
        assert_eq!(gemini3(size(2048, 512), b), 1056);
    }

    #[test]
    fn floor_sqrt_is_the_integer_root() {
        for n in (0..100_000).chain([(1 << 47) - 1, 1 << 47, (1 << 52) - 1]) {
            let r = floor_sqrt(n);
            assert!(r * r <= n && n < (r + 1) * (r + 1), "{n}");
        }
        for k in [1u64 << 20, (1 << 26) - 1, 40, 94906265] {
            assert_eq!(floor_sqrt(k * k), k);
            assert_eq!(floor_sqrt(k * k - 1), k - 1);
        }
    }

    #[test]
    fn gemini3_is_exact_where_f64_rounds_down() {
        // B * h / w = 1600 exactly: rows = 40; cols = isqrt(1120 * 1820 / 2600) = 28.
        assert_eq!(gemini3(size(1820, 2600), budget(1120)), 40 * 28);
    }

    #[test]
    fn gemini3_extreme_aspect_ratios() {
        // rows would be 0: one row of min(w / h, B) tokens.
        assert_eq!(gemini3(size(10_000, 1), budget(280)), 280);
        assert_eq!(gemini3(size(1, 10_000), budget(280)), 280);
        assert_eq!(gemini3(size(1 << 31, 1), budget(2240)), 2240);
        // Just inside the grid: B * h / w = 1.
        assert_eq!(gemini3(size(280, 1), budget(280)), 280);
    }

    #[test]
    fn extreme_sizes_do_not_overflow() {
        let max = MAX_SIDE;
        let big = budget(MAX_BUDGET);
        let m = max.unsigned_abs();
        assert_eq!(documented_with(size(max, 1), 1), m);
        assert_eq!(documented_with(size(max, 1), big.get()), m * (1 << 16));
        assert_eq!(documented(size(max, max)), 4 * 258);
        let p = m.div_ceil(768) * m.div_ceil(768) + 1;
        assert_eq!(Rule::PanAndScan.tokens(size(max, max), big), p * (1 << 16));
        let p = (m / 256) * 2 + 1;
        assert_eq!(Rule::PanAndScan.tokens(size(max, 384), big), p * (1 << 16));
        assert!(gemini3(size(max, max), big) <= 1 << 16);
        assert!(gemini3(size(max, 1), big) <= 1 << 16);
    }

    #[test]
    fn bad_arguments_are_errors() {
        assert!(ImageSize::new(0, 5).is_err());
        assert!(ImageSize::new(5, -1).is_err());
        assert!(ImageSize::new(MAX_SIDE + 1, 5).is_err());
        assert!(Budget::new(0).is_err());
        assert!(Budget::new(MAX_BUDGET + 1).is_err());
        let err = Rule::from_name("tiles").unwrap_err().to_string();
        assert!(err.contains("pan_and_scan"), "{err}");
        let err = tokens_batch(&[1, 0], &[1, 1], Rule::Single, budget(258)).unwrap_err();
        assert!(err.to_string().contains("widths[1]"), "{err}");
        assert!(tokens_batch(&[1], &[1, 1], Rule::Single, budget(258)).is_err());
    }

    #[test]
    fn batch_matches_scalar_in_parallel_and_serial() {
        let n = PARALLEL_MIN_LEN * 2 + 7;
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            i64::try_from(state % 5000).unwrap() + 1
        };
        let widths: Vec<i64> = (0..n).map(|_| next()).collect();
        let heights: Vec<i64> = (0..n).map(|_| next()).collect();
        for rule in Rule::NAMES.map(|name| Rule::from_name(name).unwrap()) {
            let b = budget(1120);
            let batch = tokens_batch(&widths, &heights, rule, b).unwrap();
            let short = tokens_batch(&widths[..100], &heights[..100], rule, b).unwrap();
            assert_eq!(&batch[..100], &short[..]);
            for ((&w, &h), &t) in widths.iter().zip(&heights).zip(&batch) {
                assert_eq!(t, i64::try_from(rule.tokens(size(w, h), b)).unwrap());
            }
        }
    }
}
