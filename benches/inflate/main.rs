//! Inflate the zlib streams of real-size mask PNGs with each candidate crate
//! (see `benches/inflate_crates.py`, which builds and runs this).
//!
//! Input on stdin: per stream two little-endian u32, the inflated length and
//! the stream's length, then the stream. Each crate's output is checked: the
//! length, and the bytes against fdeflate's. Output: one line per crate, nanoseconds per
//! stream (best of the rounds) and MB/s of output.

use std::io::Read;
use std::time::Instant;

/// (inflated length, stream) pairs.
fn streams() -> Vec<(usize, Vec<u8>)> {
    let mut input = Vec::new();
    std::io::stdin().read_to_end(&mut input).unwrap();
    let u32_at = |pos: usize| u32::from_le_bytes(input[pos..pos + 4].try_into().unwrap()) as usize;
    let mut pos = 0;
    let mut out = Vec::new();
    while pos < input.len() {
        let (expected, len) = (u32_at(pos), u32_at(pos + 4));
        out.push((expected, input[pos + 8..pos + 8 + len].to_vec()));
        pos += 8 + len;
    }
    out
}

fn fdeflate_one(stream: &[u8], out: &mut [u8]) -> usize {
    let mut d = fdeflate::Decompressor::new();
    let (_, n) = d.read(stream, out, 0, true).unwrap();
    assert!(d.is_done());
    n
}

fn miniz_one(stream: &[u8], out: &mut [u8]) -> usize {
    use miniz_oxide::inflate::core::{decompress, inflate_flags as f, DecompressorOxide};
    let mut d = DecompressorOxide::new();
    let flags = f::TINFL_FLAG_PARSE_ZLIB_HEADER
        | f::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF
        | f::TINFL_FLAG_COMPUTE_ADLER32;
    let (status, _, n) = decompress(&mut d, stream, out, 0, flags);
    assert_eq!(status, miniz_oxide::inflate::TINFLStatus::Done);
    n
}

fn zlib_rs_one(stream: &[u8], out: &mut [u8]) -> usize {
    let (done, rc) =
        zlib_rs::inflate::uncompress_slice(out, stream, zlib_rs::inflate::InflateConfig::default());
    assert_eq!(rc, zlib_rs::ReturnCode::Ok);
    done.len()
}

/// zlib-rs with one state reused from stream to stream, as a thread of the extension would.
fn zlib_rs_reused(inflater: &mut zlib_rs::Inflate, stream: &[u8], out: &mut [u8]) -> usize {
    inflater.reset(true);
    let status = inflater
        .decompress(stream, out, zlib_rs::InflateFlush::Finish)
        .unwrap();
    assert_eq!(status, zlib_rs::Status::StreamEnd);
    inflater.total_out() as usize
}

fn libdeflate_one(d: &mut libdeflater::Decompressor, stream: &[u8], out: &mut [u8]) -> usize {
    d.zlib_decompress(stream, out).unwrap()
}

fn main() {
    let streams = streams();
    let rounds = 50;
    let largest = streams.iter().map(|(n, _)| *n).max().unwrap_or(0);
    let total: usize = streams.iter().map(|(n, _)| *n).sum();
    let reference: Vec<Vec<u8>> = streams
        .iter()
        .map(|(expected, s)| {
            let mut out = vec![0u8; *expected + 1];
            assert_eq!(fdeflate_one(s, &mut out), *expected);
            out.truncate(*expected);
            out
        })
        .collect();
    let mut lib = libdeflater::Decompressor::new();
    let run = |name: &str, f: &mut dyn FnMut(&[u8], &mut [u8]) -> usize| {
        // One byte more than the output, as the extension's reader has (to see surplus data).
        let mut out = vec![0u8; largest + 1];
        let mut best = f64::INFINITY;
        for _ in 0..rounds {
            let start = Instant::now();
            for (expected, s) in &streams {
                std::hint::black_box(f(s, &mut out[..expected + 1]));
            }
            best = best.min(start.elapsed().as_secs_f64());
        }
        for ((expected, s), want) in streams.iter().zip(&reference) {
            assert_eq!(f(s, &mut out[..expected + 1]), *expected, "{name}");
            assert_eq!(&out[..*expected], &want[..], "{name}");
        }
        println!(
            "{name:<16} {:>8.2} us/stream {:>8.0} MB/s",
            best / streams.len() as f64 * 1e6,
            total as f64 / best / 1e6
        );
    };
    run("fdeflate", &mut |s, o| fdeflate_one(s, o));
    run("zlib-rs", &mut |s, o| zlib_rs_one(s, o));
    let mut inflater = zlib_rs::Inflate::new(true, 15);
    run("zlib-rs, reused", &mut |s, o| {
        zlib_rs_reused(&mut inflater, s, o)
    });
    run("libdeflate", &mut |s, o| libdeflate_one(&mut lib, s, o));
    run("miniz_oxide", &mut |s, o| miniz_one(s, o));
}
