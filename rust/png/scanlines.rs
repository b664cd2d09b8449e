//! Inflate the IDAT stream one scanline at a time, in bounded memory.
//!
//! The zlib stream is decompressed by `zlib-rs` (a port of zlib, chosen by
//! measurement: `benches/inflate_crates.py`; on the model's masks it inflates
//! about 1.6 times as fast as fdeflate, libdeflate or miniz_oxide) into a
//! buffer that holds the last 32 KiB of output (deflate back-references reach
//! that far), the one scanline not yet handed out, and room for more; when the
//! buffer fills, that tail moves to the front. Memory is therefore a few
//! scanlines plus 96 KiB, whatever the image size, and the whole stream is
//! never held uncompressed. The inflate state and the buffer are reused from
//! one PNG to the next ([`Inflater`]): a batch decodes thousands of masks per
//! thread, and zlib's state costs more to set up than a small mask to inflate.
//!
//! The stream must produce exactly the bytes the header implies and then end
//! with a valid Adler-32: less, more, or a stream that does not end is an error.
//! Bytes after the end of the zlib stream are ignored (zlib does the same).
//! A corrupt stream's error carries zlib's own words, as the NumPy twin's
//! (Python's `zlib`) does.

use zlib_rs::{Inflate, InflateError, InflateFlush, Status};

use crate::error::{KernelError, KernelResult};

/// Deflate's largest back-reference distance.
const WINDOW: usize = 32 * 1024;
/// Room to decompress into after each compaction.
const CHUNK: usize = 64 * 1024;

/// The inflate state and output buffer of one thread, reused from PNG to PNG.
#[derive(Default)]
pub struct Inflater {
    /// Made on first use (zlib's state is a few tens of KiB).
    state: Option<Inflate>,
    buf: Vec<u8>,
}

impl Inflater {
    /// The buffer's bytes (those of the last image [`ScanlineReader::whole`] read).
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.buf
    }
}

impl std::fmt::Debug for Inflater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inflater")
            .field("ready", &self.state.is_some())
            .field("buf", &self.buf.len())
            .finish()
    }
}

/// `state`, reset for a new zlib stream (made the first time).
fn fresh_state(state: &mut Option<Inflate>) -> KernelResult<&mut Inflate> {
    let failed = || KernelError::Allocation {
        what: "the inflate state".to_string(),
        bytes: 64 * 1024,
        over_limit: false,
    };
    match state {
        Some(state) => {
            state.reset(true);
            Ok(state)
        }
        None => {
            // zlib-rs asserts that its allocation succeeded: a failure to find
            // a few tens of KiB is reported, not unwound into Python.
            let made = std::panic::catch_unwind(|| Inflate::new(true, 15)).map_err(|_| failed())?;
            Ok(state.insert(made))
        }
    }
}

pub(crate) struct ScanlineReader<'a> {
    idat: &'a [&'a [u8]],
    /// Index of the IDAT payload being fed, and how much of it was consumed.
    chunk: usize,
    offset: usize,
    inflater: &'a mut Inflate,
    done: bool,
    buf: &'a mut Vec<u8>,
    /// `buf[read..write]` is decompressed but not yet handed out.
    read: usize,
    write: usize,
    produced: u64,
    expected: u64,
}

/// A deflate error in zlib's words (those of Python's `zlib.error`), so both
/// backends say the same thing.
fn corrupt(err: InflateError, message: Option<&str>) -> KernelError {
    let what = match err {
        // Python: "Error 2 while decompressing data" (zlib sets no message).
        InflateError::NeedDict { .. } => "Error 2 while decompressing data",
        _ => message.unwrap_or("invalid deflate stream"),
    };
    KernelError::MaskDecode(format!(
        "corrupt PNG: the compressed image data is invalid ({what})"
    ))
}

impl<'a> ScanlineReader<'a> {
    /// A reader of `expected` bytes of scanlines (filter bytes included) from
    /// the IDAT payloads `idat`, whose longest scanline has `max_line` bytes.
    pub(crate) fn new(
        idat: &'a [&'a [u8]],
        expected: u64,
        max_line: usize,
        inflater: &'a mut Inflater,
    ) -> KernelResult<Self> {
        let streaming = WINDOW + max_line + CHUNK;
        // A small image fits whole, plus one byte to notice surplus data.
        let capacity = usize::try_from(expected.saturating_add(1))
            .map_or(streaming, |whole| whole.min(streaming));
        let Inflater { state, buf } = inflater;
        if buf.len() < capacity {
            let more = capacity - buf.len();
            crate::alloc::reserve(buf, more, "the inflate buffer")?;
            buf.resize(capacity, 0);
        }
        // Every byte handed out is written by the inflater first, so what the
        // buffer held before is never seen.
        buf.truncate(capacity);
        Ok(ScanlineReader {
            idat,
            chunk: 0,
            offset: 0,
            inflater: fresh_state(state)?,
            done: false,
            buf,
            read: 0,
            write: 0,
            produced: 0,
            expected,
        })
    }

    /// The next `len` bytes of decompressed scanline data.
    pub(crate) fn next_line(&mut self, len: usize) -> KernelResult<&[u8]> {
        while self.write - self.read < len {
            if self.done {
                return Err(KernelError::MaskDecode(format!(
                    "corrupt PNG: the image data holds {} bytes of scanlines, the header implies {}",
                    self.produced, self.expected
                )));
            }
            self.fill()?;
        }
        let start = self.read;
        self.read += len;
        Ok(&self.buf[start..self.read])
    }

    /// Every byte of scanlines at once, when the buffer holds them all (a
    /// small image, such as the model's masks), so that they can be read
    /// where they lie: the stream is inflated to its end, which is checked
    /// (its length and checksum) as [`ScanlineReader::finish`] does. `Ok(None)`
    /// for an image too large, which is streamed. Only before any `next_line`.
    /// An error here may not be the one reading line by line reports first.
    pub(crate) fn whole(&mut self) -> KernelResult<Option<&[u8]>> {
        let n = match usize::try_from(self.expected) {
            Ok(n) if n < self.buf.len() && self.read == 0 && self.write == 0 => n,
            _ => return Ok(None),
        };
        while !self.done {
            self.fill()?;
        }
        if self.write != n {
            return Err(self.too_short());
        }
        self.read = n;
        Ok(self.buf.get(..n))
    }

    /// Check that the stream ends here, with a valid checksum and no surplus.
    pub(crate) fn finish(mut self) -> KernelResult<()> {
        while !self.done {
            self.fill()?;
        }
        if self.write > self.read {
            return Err(self.surplus());
        }
        Ok(())
    }

    /// Decompress some more into the buffer.
    fn fill(&mut self) -> KernelResult<()> {
        if self.write == self.buf.len() {
            self.compact();
        }
        // Skip to the first payload with bytes left (zero-length IDATs are legal).
        while self.chunk + 1 < self.idat.len() && self.offset == self.idat[self.chunk].len() {
            self.chunk += 1;
            self.offset = 0;
        }
        let input = self
            .idat
            .get(self.chunk)
            .map_or(&[][..], |c| &c[self.offset..]);
        let last = self.chunk + 1 >= self.idat.len();
        let (in_before, out_before) = (self.inflater.total_in(), self.inflater.total_out());
        // With the last input, zlib may finish in this call and then need not
        // copy its output into its own window (a 32 KiB copy per mask).
        let flush = if last {
            InflateFlush::Finish
        } else {
            InflateFlush::NoFlush
        };
        let status = self
            .inflater
            .decompress(input, &mut self.buf[self.write..], flush);
        // zlib counts in u64; each step is bounded by the slices given.
        let consumed = (self.inflater.total_in() - in_before) as usize;
        let produced = (self.inflater.total_out() - out_before) as usize;
        self.offset += consumed;
        self.write += produced;
        self.produced += produced as u64;
        match status {
            Ok(Status::StreamEnd) => self.done = true,
            Ok(Status::Ok | Status::BufError) => {}
            Err(err) => {
                let message = self.inflater.error_message();
                return Err(corrupt(err, message));
            }
        }
        if self.produced > self.expected {
            return Err(self.surplus());
        }
        if !self.done && consumed == 0 && produced == 0 && last {
            // All input fed, output room left, and still no end: a cut stream.
            return Err(self.too_short());
        }
        Ok(())
    }

    /// Move the back-reference window and the pending bytes to the front.
    fn compact(&mut self) {
        let keep_from = self.read.min(self.write.saturating_sub(WINDOW));
        self.buf.copy_within(keep_from..self.write, 0);
        self.read -= keep_from;
        self.write -= keep_from;
    }

    fn too_short(&self) -> KernelError {
        KernelError::MaskDecode(format!(
            "corrupt PNG: the compressed image data is cut short \
             (the header implies {} bytes of scanlines)",
            self.expected
        ))
    }

    fn surplus(&self) -> KernelError {
        KernelError::MaskDecode(format!(
            "corrupt PNG: the image data holds more than the {} bytes of scanlines the header implies",
            self.expected
        ))
    }
}
