//! Inflate the IDAT stream one scanline at a time, in bounded memory.
//!
//! The zlib stream is decompressed by `fdeflate` into a buffer that holds the
//! last 32 KiB of output (deflate back-references reach that far), the one
//! scanline not yet handed out, and room for more; when the buffer fills, that
//! tail moves to the front. Memory is therefore a few scanlines plus 96 KiB,
//! whatever the image size, and the whole stream is never held uncompressed.
//!
//! The stream must produce exactly the bytes the header implies and then end
//! with a valid Adler-32: less, more, or a stream that does not end is an error.
//! Bytes after the end of the zlib stream are ignored (zlib does the same).

use fdeflate::{DecompressionError, Decompressor};

use crate::error::{KernelError, KernelResult};

/// Deflate's largest back-reference distance.
const WINDOW: usize = 32 * 1024;
/// Room to decompress into after each compaction.
const CHUNK: usize = 64 * 1024;

pub(crate) struct ScanlineReader<'a> {
    idat: &'a [&'a [u8]],
    /// Index of the IDAT payload being fed, and how much of it was consumed.
    chunk: usize,
    offset: usize,
    inflater: Decompressor,
    buf: Vec<u8>,
    /// `buf[read..write]` is decompressed but not yet handed out.
    read: usize,
    write: usize,
    produced: u64,
    expected: u64,
}

/// A deflate error in zlib's words, so both backends can say the same thing.
fn corrupt(err: DecompressionError) -> KernelError {
    use DecompressionError as E;
    let what = match err {
        E::BadZlibHeader => "incorrect header check",
        E::InvalidBlockType => "invalid block type",
        E::InvalidUncompressedBlockLength => "invalid stored block lengths",
        E::InvalidHlit | E::InvalidHdist => "too many length or distance symbols",
        E::InvalidCodeLengthRepeat => "invalid bit length repeat",
        E::BadCodeLengthHuffmanTree => "invalid code lengths set",
        E::BadLiteralLengthHuffmanTree => "invalid literal/lengths set",
        E::BadDistanceHuffmanTree => "invalid distances set",
        E::InvalidLiteralLengthCode => "invalid literal/length code",
        E::InvalidDistanceCode => "invalid distance code",
        E::InputStartsWithRun | E::DistanceTooFarBack => "invalid distance too far back",
        E::WrongChecksum => "incorrect data check",
        _ => "invalid deflate stream",
    };
    KernelError::MaskDecode(format!(
        "corrupt PNG: the compressed image data is invalid ({what})"
    ))
}

impl<'a> ScanlineReader<'a> {
    /// A reader of `expected` bytes of scanlines (filter bytes included) from
    /// the IDAT payloads `idat`, whose longest scanline has `max_line` bytes.
    pub(crate) fn new(idat: &'a [&'a [u8]], expected: u64, max_line: usize) -> Self {
        let streaming = WINDOW + max_line + CHUNK;
        // A small image fits whole, plus one byte to notice surplus data.
        let capacity = usize::try_from(expected.saturating_add(1))
            .map_or(streaming, |whole| whole.min(streaming));
        ScanlineReader {
            idat,
            chunk: 0,
            offset: 0,
            inflater: Decompressor::new(),
            buf: vec![0; capacity],
            read: 0,
            write: 0,
            produced: 0,
            expected,
        }
    }

    /// The next `len` bytes of decompressed scanline data.
    pub(crate) fn next_line(&mut self, len: usize) -> KernelResult<&[u8]> {
        while self.write - self.read < len {
            if self.inflater.is_done() {
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

    /// Check that the stream ends here, with a valid checksum and no surplus.
    pub(crate) fn finish(mut self) -> KernelResult<()> {
        while !self.inflater.is_done() {
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
        let (consumed, produced) = self
            .inflater
            .read(input, &mut self.buf, self.write, last)
            .map_err(|err| match err {
                DecompressionError::InsufficientInput => self.too_short(),
                other => corrupt(other),
            })?;
        self.offset += consumed;
        self.write += produced;
        self.produced += produced as u64;
        if self.produced > self.expected {
            return Err(self.surplus());
        }
        if consumed == 0 && produced == 0 && last && !self.inflater.is_done() {
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
