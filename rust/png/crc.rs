//! CRC-32 (ISO-HDLC, the polynomial of PNG and zlib), slicing by eight bytes,
//! or sixteen bytes per carry-less multiply where the CPU has one.
//!
//! Every chunk's CRC is checked, image data included, so this runs over the
//! whole file; eight tables let it consume eight bytes per step. On x86-64
//! with PCLMULQDQ (picked at run time), long inputs are folded sixteen bytes
//! at a time instead: the running 128-bit remainder `X` and the next block `D`
//! become `X.lo * k3 ^ X.hi * k4 ^ D` (carry-less products; `k3`, `k4` are
//! `x^(128+32)` and `x^(128-32)` mod P, bit-reflected, computed below), which
//! keeps the CRC of "everything so far" equal to the CRC of the 16 bytes of
//! `X` alone; those 16 bytes and the tail then go through the tables.

const POLY: u32 = 0xEDB8_8320;

const fn make_tables() -> [[u32; 256]; 8] {
    let mut tables = [[0u32; 256]; 8];
    let mut n = 0;
    while n < 256 {
        let mut c = n as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { POLY ^ (c >> 1) } else { c >> 1 };
            k += 1;
        }
        tables[0][n] = c;
        n += 1;
    }
    let mut t = 1;
    while t < 8 {
        let mut n = 0;
        while n < 256 {
            let prev = tables[t - 1][n];
            tables[t][n] = (prev >> 8) ^ tables[0][(prev & 0xff) as usize];
            n += 1;
        }
        t += 1;
    }
    tables
}

static TABLES: [[u32; 256]; 8] = make_tables();

/// Continue a CRC-32 over `data` (start with `crc = 0`).
pub(crate) fn update(crc: u32, data: &[u8]) -> u32 {
    #[cfg(target_arch = "x86_64")]
    if !cfg!(feature = "portable") && data.len() >= 64 && has_pclmulqdq() {
        // SAFETY: the CPU was just checked to have PCLMULQDQ (SSE2 is baseline).
        return !unsafe { fold::raw(!crc, data) };
    }
    !raw(!crc, data)
}

/// Whether this CPU can fold with carry-less multiplies.
#[cfg(target_arch = "x86_64")]
fn has_pclmulqdq() -> bool {
    std::arch::is_x86_feature_detected!("pclmulqdq")
}

/// The table-driven CRC register update, without the initial and final inversion.
fn raw(mut c: u32, data: &[u8]) -> u32 {
    let mut blocks = data.chunks_exact(8);
    for block in &mut blocks {
        let lo = c ^ u32::from_le_bytes([block[0], block[1], block[2], block[3]]);
        let hi = u32::from_le_bytes([block[4], block[5], block[6], block[7]]);
        c = TABLES[7][(lo & 0xff) as usize]
            ^ TABLES[6][((lo >> 8) & 0xff) as usize]
            ^ TABLES[5][((lo >> 16) & 0xff) as usize]
            ^ TABLES[4][(lo >> 24) as usize]
            ^ TABLES[3][(hi & 0xff) as usize]
            ^ TABLES[2][((hi >> 8) & 0xff) as usize]
            ^ TABLES[1][((hi >> 16) & 0xff) as usize]
            ^ TABLES[0][(hi >> 24) as usize];
    }
    for &b in blocks.remainder() {
        c = TABLES[0][((c ^ u32::from(b)) & 0xff) as usize] ^ (c >> 8);
    }
    c
}

/// `x^n mod P` in the bit-reflected form the carry-less folding uses (shifted
/// left by one, as the reflected products come out one bit short).
#[cfg(target_arch = "x86_64")]
const fn x_pow_mod(n: u32) -> u64 {
    // Work in the normal (unreflected) domain, then reflect the 32-bit result.
    const P: u64 = 0x1_04C1_1DB7;
    let mut r: u64 = 1; // x^0
    let mut i = 0;
    while i < n {
        r <<= 1;
        if r & (1 << 32) != 0 {
            r ^= P;
        }
        i += 1;
    }
    ((r as u32).reverse_bits() as u64) << 1
}

#[cfg(target_arch = "x86_64")]
mod fold {
    use std::arch::x86_64::{
        __m128i, _mm_clmulepi64_si128, _mm_cvtsi32_si128, _mm_loadu_si128, _mm_set_epi64x,
        _mm_storeu_si128, _mm_xor_si128,
    };

    const K3: u64 = super::x_pow_mod(128 + 32);
    const K4: u64 = super::x_pow_mod(128 - 32);

    /// [`super::raw`] with carry-less folding of all whole 16-byte blocks.
    ///
    /// # Safety
    /// The CPU must have PCLMULQDQ.
    #[target_feature(enable = "pclmulqdq,sse2")]
    pub(super) unsafe fn raw(c: u32, data: &[u8]) -> u32 {
        let mut blocks = data.chunks_exact(16);
        let load = |block: &[u8]| -> __m128i {
            // SAFETY: every block of `chunks_exact(16)` holds 16 bytes; the
            // load has no alignment requirement.
            unsafe { _mm_loadu_si128(block.as_ptr().cast()) }
        };
        let Some(first) = blocks.next() else {
            return super::raw(c, data);
        };
        // The running register enters as the first four bytes XOR-ed in.
        let mut x = _mm_xor_si128(load(first), _mm_cvtsi32_si128(c as i32));
        let k = _mm_set_epi64x(K4 as i64, K3 as i64);
        for block in &mut blocks {
            let lo = _mm_clmulepi64_si128(x, k, 0x00);
            let hi = _mm_clmulepi64_si128(x, k, 0x11);
            x = _mm_xor_si128(_mm_xor_si128(lo, hi), load(block));
        }
        let mut folded = [0u8; 16];
        // SAFETY: `folded` has room for the 16 bytes stored, unaligned.
        unsafe { _mm_storeu_si128(folded.as_mut_ptr().cast(), x) };
        super::raw(super::raw(0, &folded), blocks.remainder())
    }
}

#[cfg(test)]
mod tests {
    use super::{raw, update};

    #[test]
    fn known_values() {
        // The check value of CRC-32/ISO-HDLC, and the CRC of an empty IEND chunk.
        assert_eq!(update(0, b"123456789"), 0xCBF4_3926);
        assert_eq!(update(0, b"IEND"), 0xAE42_6082);
        assert_eq!(update(0, b""), 0);
    }

    #[test]
    fn folding_equals_the_tables_at_every_length() {
        let data: Vec<u8> = (0..3000u32).map(|i| (i * 131 + i / 7) as u8).collect();
        for len in (0..200).chain([1000, 2999, 3000]) {
            for start in [0u32, 1, 0xffff_ffff, 0x1234_5678] {
                let slice = &data[..len];
                assert_eq!(update(start, slice), !raw(!start, slice), "len {len}");
            }
        }
    }

    /// The folding arm against the tables directly, whichever arm `update`
    /// takes (the `portable` feature makes it take the tables).
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn folding_arm_equals_the_table_arm() {
        if !super::has_pclmulqdq() {
            return;
        }
        let data: Vec<u8> = (0..5000u32).map(|i| (i * 197 + i / 11) as u8).collect();
        for len in (64..300).chain([1024, 4999, 5000]) {
            for start in [0u32, 1, 0xffff_ffff, 0x1234_5678] {
                let slice = &data[..len];
                // SAFETY: the CPU was checked to have PCLMULQDQ above.
                let folded = unsafe { super::fold::raw(start, slice) };
                assert_eq!(folded, raw(start, slice), "len {len}");
            }
        }
    }

    #[test]
    fn incremental_equals_one_shot() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 + i / 13) as u8).collect();
        for split in [0, 1, 7, 8, 9, 500, 999, 1000] {
            let (a, b) = data.split_at(split);
            assert_eq!(update(update(0, a), b), update(0, &data));
        }
    }
}
