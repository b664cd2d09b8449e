//! Binarize a grey mask: `value > threshold` (SPEC M3).
//!
//! The documented midpoint is 127; the threshold is an `i32` so that -1 (every
//! pixel on) and 255 (every pixel off) are expressible without a special case.

/// Write `src[i] > threshold` into `out[i]`.
///
/// `src` and `out` must have the same length; the bindings guarantee it.
pub fn threshold_into(src: &[u8], threshold: i32, out: &mut [bool]) {
    debug_assert_eq!(src.len(), out.len());
    // A u8 compared with a clamped u8 threshold lets the loop vectorize.
    match u8::try_from(threshold) {
        Ok(t) => {
            for (o, &v) in out.iter_mut().zip(src) {
                *o = v > t;
            }
        }
        Err(_) => out.fill(threshold < 0),
    }
}

/// Return `src[i] > threshold` as a new vector.
pub fn threshold(src: &[u8], threshold: i32) -> Vec<bool> {
    let mut out = vec![false; src.len()];
    threshold_into(src, threshold, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strictly_greater_than() {
        assert_eq!(
            threshold(&[0, 127, 128, 255], 127),
            [false, false, true, true]
        );
    }

    #[test]
    fn out_of_range_thresholds_saturate() {
        assert_eq!(threshold(&[0, 255], -1), [true, true]);
        assert_eq!(threshold(&[0, 255], -100), [true, true]);
        assert_eq!(threshold(&[0, 255], 255), [false, false]);
        assert_eq!(threshold(&[0, 255], 1000), [false, false]);
    }
}
