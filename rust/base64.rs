//! Standard base64 (RFC 4648 alphabet `A-Z a-z 0-9 + /`) for mask payloads.
//!
//! The model sends each mask as base64 text, sometimes behind a data URL
//! prefix (`data:image/png;base64,`), sometimes wrapped over lines. The rules,
//! shared with the NumPy twin (`_numpy_kernels/pipeline.py`) so that both
//! accept exactly the same texts:
//!
//! - a leading `data:...;base64,` prefix is dropped;
//! - ASCII whitespace anywhere is ignored;
//! - up to two trailing `=` are padding and optional; any other character
//!   outside the alphabet, or a length that leaves a lone 6-bit group
//!   (`len % 4 == 1`), is an error naming the position;
//! - unused low bits of the last group are ignored (as Python's decoder does).

use crate::error::{KernelError, KernelResult};

/// The 6-bit value of an alphabet byte, or 0xff.
const fn decode_table() -> [u8; 256] {
    let mut table = [0xffu8; 256];
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut i = 0;
    while i < 64 {
        table[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    table
}

const TABLE: [u8; 256] = decode_table();

/// Standard base64 with `=` padding: the writer the tests and the fuzz harness
/// make model answers with (the library itself only decodes).
///
/// ```
/// assert_eq!(_rust::base64::encode(b"foobar1"), "Zm9vYmFyMQ==");
/// ```
pub fn encode(data: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for k in 0..4 {
            out.push(if k <= chunk.len() {
                ALPHABET[(n >> (18 - 6 * k) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    out
}

/// `data` without a leading `data:<type>;base64,` prefix.
pub fn strip_data_url(data: &[u8]) -> &[u8] {
    const MARKER: &[u8] = b";base64,";
    if !data.starts_with(b"data:") {
        return data;
    }
    match data.windows(MARKER.len()).position(|w| w == MARKER) {
        Some(at) => &data[at + MARKER.len()..],
        None => data,
    }
}

fn invalid(message: String) -> KernelError {
    KernelError::MaskDecode(format!("mask data is not valid base64: {message}"))
}

/// Decode base64 text (after [`strip_data_url`]) under the rules above.
pub fn decode(text: &[u8]) -> KernelResult<Vec<u8>> {
    let mut out = Vec::new();
    decode_into(text, &mut out)?;
    Ok(out)
}

/// [`decode`] into `out` (cleared first), reusing its allocation.
pub fn decode_into(text: &[u8], out: &mut Vec<u8>) -> KernelResult<()> {
    let text = strip_data_url(text);
    // Room for every byte the text can hold, plus the slack of one 8-byte
    // store: the output is written by index and cut to length at the end.
    out.clear();
    out.resize(text.len() / 4 * 3 + 3 + 8, 0);
    let mut written = 0;
    let mut acc: u32 = 0;
    let mut groups = 0usize;
    let mut padding = 0usize;
    let mut pos = 0;
    while pos < text.len() {
        // Fast path: eight alphabet characters at a group boundary become six
        // bytes, stored as one big-endian word whose last two bytes the next
        // store (or the final cut) overwrites.
        if groups == 0 && padding == 0 {
            // Sixteen characters at a time while they are all in the alphabet.
            let (read, wrote) = simd::decode_blocks(
                text.get(pos..).unwrap_or(&[]),
                out.get_mut(written..).unwrap_or(&mut []),
            );
            pos += read;
            written += wrote;
            if read > 0 {
                continue;
            }
            if let (Some(chars), Some(slot)) =
                (text.get(pos..pos + 8), out.get_mut(written..written + 8))
            {
                let v = |k: usize| u64::from(TABLE[usize::from(chars[k])]);
                let (a, b, c, d) = (v(0), v(1), v(2), v(3));
                let (e, f, g, h) = (v(4), v(5), v(6), v(7));
                if (a | b | c | d | e | f | g | h) & 0xc0 == 0 {
                    let n = (a << 58)
                        | (b << 52)
                        | (c << 46)
                        | (d << 40)
                        | (e << 34)
                        | (f << 28)
                        | (g << 22)
                        | (h << 16);
                    slot.copy_from_slice(&n.to_be_bytes());
                    written += 6;
                    pos += 8;
                    continue;
                }
            }
        }
        let byte = text[pos];
        pos += 1;
        if byte.is_ascii_whitespace() {
            continue;
        }
        if byte == b'=' {
            padding += 1;
            if padding > 2 {
                return Err(invalid(format!("more than two '=' at {}", pos - 1)));
            }
            continue;
        }
        let value = TABLE[usize::from(byte)];
        if value == 0xff {
            return Err(invalid(format!("byte {byte:#04x} at {}", pos - 1)));
        }
        if padding > 0 {
            return Err(invalid(format!("data after '=' padding at {}", pos - 1)));
        }
        acc = (acc << 6) | u32::from(value);
        groups += 1;
        if groups == 4 {
            written = put(
                out,
                written,
                &[(acc >> 16) as u8, (acc >> 8) as u8, acc as u8],
            );
            acc = 0;
            groups = 0;
        }
    }
    written = match groups {
        0 => written,
        1 => return Err(invalid("a lone 6-bit group at the end".into())),
        2 => put(out, written, &[(acc >> 4) as u8]),
        _ => put(out, written, &[(acc >> 10) as u8, (acc >> 2) as u8]),
    };
    out.truncate(written);
    Ok(())
}

/// Store `bytes` at `at` (the buffer is sized for the whole text); the new length.
#[inline]
fn put(out: &mut [u8], at: usize, bytes: &[u8]) -> usize {
    if let Some(slot) = out.get_mut(at..at + bytes.len()) {
        slot.copy_from_slice(bytes);
    }
    at + bytes.len()
}

/// Whether the SSSE3 block decoder runs: an x86-64 CPU that has SSSE3, in a
/// build without the `portable` feature.
fn use_ssse3() -> bool {
    #[cfg(target_arch = "x86_64")]
    let detected = std::arch::is_x86_feature_detected!("ssse3");
    #[cfg(not(target_arch = "x86_64"))]
    let detected = false;
    detected && !cfg!(feature = "portable")
}

/// Sixteen base64 characters to twelve bytes with SSSE3 byte shuffles.
///
/// Per character: its high nibble picks a class (which low nibbles are in the
/// alphabet: none, `+ /`, `0-9`, `@A-O`/`` `a-o ``, `P-Z`/`p-z`) and its low
/// nibble the classes it is *not* in; a non-zero AND of the two table lookups
/// marks a character outside the alphabet. The 6-bit value is the character
/// plus an offset that the high nibble decides (`/` moved down one row to tell
/// it from `+`). Pairs, then pairs of pairs, are merged by multiply-adds into
/// 24-bit groups whose bytes a shuffle puts in order.
mod simd {
    /// Decode whole 16-character blocks of `text` into `out` until a block
    /// holds a character outside the alphabet or either side runs short;
    /// `(characters read, bytes written)`. `out` needs 16 bytes of room per
    /// block (12 are kept).
    pub(super) fn decode_blocks(text: &[u8], out: &mut [u8]) -> (usize, usize) {
        #[cfg(target_arch = "x86_64")]
        if super::use_ssse3() && text.len() >= 16 {
            // SAFETY: `use_ssse3` checked that the CPU has SSSE3.
            return unsafe { x86::decode_blocks(text, out) };
        }
        let _ = (text, out);
        (0, 0)
    }

    /// The SSSE3 decoder whenever the CPU has it, in any build (`None`
    /// elsewhere): the tests hold it against the scalar path.
    #[cfg(test)]
    pub(super) fn decode_blocks_ssse3(text: &[u8], out: &mut [u8]) -> Option<(usize, usize)> {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("ssse3") {
            // SAFETY: the CPU was just checked to have SSSE3.
            return Some(unsafe { x86::decode_blocks(text, out) });
        }
        let _ = (text, out);
        None
    }

    #[cfg(target_arch = "x86_64")]
    mod x86 {
        use std::arch::x86_64::{
            __m128i, _mm_add_epi8, _mm_and_si128, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_madd_epi16,
            _mm_maddubs_epi16, _mm_movemask_epi8, _mm_set1_epi32, _mm_set1_epi8, _mm_setr_epi8,
            _mm_setzero_si128, _mm_shuffle_epi8, _mm_srli_epi32, _mm_storeu_si128,
        };

        /// # Safety
        /// The CPU must have SSSE3.
        #[target_feature(enable = "ssse3")]
        pub(super) unsafe fn decode_blocks(text: &[u8], out: &mut [u8]) -> (usize, usize) {
            // Class bits: 1 none valid, 2 `+ /` row, 4 digits, 8 `@A-O` and
            // `` `a-o ``, 16 `P-Z` and `p-z`.
            let classes_of_high = _mm_setr_epi8(1, 1, 2, 4, 8, 16, 8, 16, 1, 1, 1, 1, 1, 1, 1, 1);
            // For each low nibble, the classes in which it is not valid.
            let invalid_for_low = _mm_setr_epi8(
                1 | 2 | 8,
                1 | 2,
                1 | 2,
                1 | 2,
                1 | 2,
                1 | 2,
                1 | 2,
                1 | 2,
                1 | 2,
                1 | 2,
                1 | 2 | 4,
                1 | 4 | 16,
                1 | 2 | 4 | 16,
                1 | 2 | 4 | 16,
                1 | 2 | 4 | 16,
                1 | 4 | 16,
            );
            // Offsets by high nibble; row 1 is `/` (moved down from row 2).
            let offsets = _mm_setr_epi8(0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0);
            let nibble = _mm_set1_epi8(0x0f);
            let slash = _mm_set1_epi8(b'/' as i8);
            let pairs = _mm_set1_epi32(0x0140_0140);
            let quads = _mm_set1_epi32(0x0001_1000);
            let order = _mm_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1);
            let (mut read, mut wrote) = (0, 0);
            while let (Some(chars), Some(slot)) =
                (text.get(read..read + 16), out.get_mut(wrote..wrote + 16))
            {
                // SAFETY: `chars` holds 16 bytes; unaligned loads are allowed.
                let v: __m128i = unsafe { _mm_loadu_si128(chars.as_ptr().cast()) };
                let high = _mm_and_si128(_mm_srli_epi32(v, 4), nibble);
                let low = _mm_and_si128(v, nibble);
                let bad = _mm_and_si128(
                    _mm_shuffle_epi8(classes_of_high, high),
                    _mm_shuffle_epi8(invalid_for_low, low),
                );
                if _mm_movemask_epi8(_mm_cmpeq_epi8(bad, _mm_setzero_si128())) != 0xffff {
                    break;
                }
                let row = _mm_add_epi8(high, _mm_cmpeq_epi8(v, slash));
                let values = _mm_add_epi8(v, _mm_shuffle_epi8(offsets, row));
                let merged = _mm_madd_epi16(_mm_maddubs_epi16(values, pairs), quads);
                let bytes = _mm_shuffle_epi8(merged, order);
                // SAFETY: `slot` holds 16 bytes; unaligned stores are allowed.
                unsafe { _mm_storeu_si128(slot.as_mut_ptr().cast(), bytes) };
                read += 16;
                wrote += 12;
            }
            (read, wrote)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4648_vectors() {
        for (text, plain) in [
            (&b""[..], &b""[..]),
            (b"Zg==", b"f"),
            (b"Zm8=", b"fo"),
            (b"Zm9v", b"foo"),
            (b"Zm9vYg==", b"foob"),
            (b"Zm9vYmE=", b"fooba"),
            (b"Zm9vYmFy", b"foobar"),
        ] {
            assert_eq!(decode(text).unwrap(), plain);
        }
    }

    #[test]
    fn prefix_whitespace_and_missing_padding() {
        assert_eq!(decode(b"data:image/png;base64,Zm9v").unwrap(), b"foo");
        assert_eq!(decode(b" Zm\n9v\r\nYg").unwrap(), b"foob");
        assert_eq!(decode(b"Zm8").unwrap(), b"fo");
        // Unused low bits of the last group are ignored.
        assert_eq!(decode(b"Zh==").unwrap(), b"f");
    }

    /// Python's decoder on the same bytes, for texts long enough for the
    /// eight-character path, with whitespace and padding in awkward places.
    #[test]
    fn long_texts_with_whitespace_and_padding() {
        let cases: [(&[u8], &[u8]); 5] = [
            (b"Zm9vYmFyYmF6cXV4", b"foobarbazqux"),
            (b"Zm9vYmFy YmF6cXV4\nMTIz", b"foobarbazqux123"),
            (b"Zm9vYmFyYmF6cXV4MQ==", b"foobarbazqux1"),
            (b"Zm9vYmFyYmF6cXV4MTI", b"foobarbazqux12"),
            (b"Z m 9 v Y m F y Y m F 6", b"foobarbaz"),
        ];
        for (text, plain) in cases {
            assert_eq!(decode(text).unwrap(), plain, "{text:?}");
        }
        let all: Vec<u8> = (0..=255).cycle().take(3000).collect();
        let text = encode(&all).into_bytes();
        for cut in [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 1000, 3999, 4000] {
            let n = cut * 3 / 4;
            assert_eq!(decode(&text[..cut - cut % 4]).unwrap(), &all[..n - n % 3]);
        }
        assert_eq!(decode(&text).unwrap(), all);
        assert!(decode(b"Zm9vYmFyYmF6cXV!").is_err());
    }

    /// Every byte value in every position of a block: the vector path takes
    /// exactly the alphabet and decodes it as the scalar path does.
    #[test]
    fn blocks_agree_with_the_scalar_decoder() {
        let base = *b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldY";
        for at in [0, 5, 15, 16, 31] {
            for byte in 0..=255u8 {
                let mut text = base.to_vec();
                text[at] = byte;
                let mut out = vec![0; 64];
                let vector = simd::decode_blocks_ssse3(&text, &mut out);
                let (read, wrote) = vector.unwrap_or((0, 0));
                let valid = TABLE[usize::from(byte)] != 0xff;
                assert_eq!(read / 16 * 12, wrote);
                // An independent reference: four table lookups per three bytes.
                let reference: Vec<u8> = text[..read]
                    .chunks_exact(4)
                    .flat_map(|g| {
                        let n = g
                            .iter()
                            .fold(0u32, |n, &c| n << 6 | u32::from(TABLE[usize::from(c)]));
                        [(n >> 16) as u8, (n >> 8) as u8, n as u8]
                    })
                    .collect();
                assert_eq!(&out[..wrote], &reference[..], "byte {byte} at {at}");
                if vector.is_some() {
                    let expected_read = if valid { 32 } else { at / 16 * 16 };
                    assert_eq!(read, expected_read, "byte {byte:#04x} at {at}");
                }
            }
        }
    }

    #[test]
    fn bad_text_is_a_mask_decode_error() {
        for bad in [
            &b"Zm9v!"[..],
            b"Z",
            b"Zm9vY",
            b"Zg===",
            b"Zg==Zg==",
            b"Zm-v",
            b"\xff",
        ] {
            assert!(
                matches!(decode(bad), Err(KernelError::MaskDecode(_))),
                "{bad:?}"
            );
        }
    }
}
