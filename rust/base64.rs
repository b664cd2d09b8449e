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
    out.clear();
    out.reserve(text.len() / 4 * 3 + 3);
    let mut acc: u32 = 0;
    let mut groups = 0usize;
    let mut padding = 0usize;
    let mut pos = 0;
    while pos < text.len() {
        // Fast path: four alphabet characters at a group boundary.
        if groups == 0 && padding == 0 {
            if let Some(&[a, b, c, d]) = text.get(pos..pos + 4) {
                let v = [a, b, c, d].map(|x| TABLE[usize::from(x)]);
                if (v[0] | v[1] | v[2] | v[3]) & 0xc0 == 0 {
                    let n = (u32::from(v[0]) << 18)
                        | (u32::from(v[1]) << 12)
                        | (u32::from(v[2]) << 6)
                        | u32::from(v[3]);
                    out.extend_from_slice(&[(n >> 16) as u8, (n >> 8) as u8, n as u8]);
                    pos += 4;
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
            out.extend_from_slice(&[(acc >> 16) as u8, (acc >> 8) as u8, acc as u8]);
            acc = 0;
            groups = 0;
        }
    }
    match groups {
        0 => {}
        1 => return Err(invalid("a lone 6-bit group at the end".into())),
        2 => out.push((acc >> 4) as u8),
        _ => out.extend_from_slice(&[(acc >> 10) as u8, (acc >> 2) as u8]),
    }
    Ok(())
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
