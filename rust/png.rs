//! Decode a PNG into 8-bit grey exactly as Pillow's `convert("L")` does (SPEC M1).
//!
//! Theory of operation. Decoding is two steps:
//!
//! 1. Walk the chunks (`read_layout`): check the signature, every chunk's
//!    length and CRC, the IHDR fields, the chunk order the format requires,
//!    and collect the PLTE payload and the IDAT payloads (slices of the
//!    input, not copies). The pixel limit is checked as soon as IHDR is read,
//!    before anything else is looked at, and the declared scanline bytes are
//!    compared with the most the compressed bytes could inflate to, so a
//!    hostile header cannot make us allocate more than the input justifies.
//! 2. Inflate the IDAT stream scanline by scanline (`scanlines.rs`), undo
//!    each scanline's filter (`filter.rs`) and turn its samples into grey
//!    (`grey.rs`), writing pixels straight into the output — for Adam7 at
//!    each pass's positions.
//!
//! Strictness, shared with the NumPy twin (`_numpy_kernels/png.py`) so both
//! backends accept and refuse the same files: every CRC is checked (IDAT
//! too); unknown critical chunks, a missing or misplaced IHDR/PLTE/IDAT/IEND,
//! non-consecutive IDATs, an unknown filter type and image data of the wrong
//! length are errors. Ancillary chunks (tRNS, gAMA, text...) are skipped:
//! none of them changes Pillow's grey values. PLTE is ignored unless the
//! image is a palette image. Bytes after IEND, and after the end of the zlib
//! stream, are ignored.

mod crc;
mod filter;
mod grey;
#[cfg(target_arch = "x86_64")]
mod paeth_x86;
mod scanlines;

use crate::error::{KernelError, KernelResult};

/// The eight bytes every PNG starts with.
pub const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];
/// The largest chunk length, width and height the format allows (2^31 - 1).
const MAX_U31: u32 = 0x7fff_ffff;
/// Deflate expands at most 1032-fold: 258 bytes per 2-bit match.
const MAX_INFLATE_RATIO: u64 = 1032;

/// The colour types of IHDR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColourType {
    Grey,
    Rgb,
    Palette,
    GreyAlpha,
    Rgba,
}

impl ColourType {
    fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            0 => ColourType::Grey,
            2 => ColourType::Rgb,
            3 => ColourType::Palette,
            4 => ColourType::GreyAlpha,
            6 => ColourType::Rgba,
            _ => return None,
        })
    }

    /// Samples per pixel.
    pub fn channels(self) -> u64 {
        match self {
            ColourType::Grey | ColourType::Palette => 1,
            ColourType::GreyAlpha => 2,
            ColourType::Rgb => 3,
            ColourType::Rgba => 4,
        }
    }

    fn allows_depth(self, depth: u8) -> bool {
        match self {
            ColourType::Grey => matches!(depth, 1 | 2 | 4 | 8 | 16),
            ColourType::Palette => matches!(depth, 1 | 2 | 4 | 8),
            _ => matches!(depth, 8 | 16),
        }
    }
}

/// The fields of IHDR that decoding needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub width: u32,
    pub height: u32,
    pub bit_depth: u8,
    pub colour_type: ColourType,
    pub interlaced: bool,
}

impl Header {
    fn bits_per_pixel(&self) -> u64 {
        self.colour_type.channels() * u64::from(self.bit_depth)
    }
}

/// A decoded image: `pixels[y * width + x]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GreyImage {
    pub width: usize,
    pub height: usize,
    pub pixels: Vec<u8>,
}

/// One pass of the image data: every pixel of a non-interlaced image, or
/// one of the seven Adam7 sub-images.
#[derive(Debug, Clone, Copy)]
struct Pass {
    /// 1..=7 for Adam7 passes.
    number: usize,
    x0: usize,
    y0: usize,
    dx: usize,
    dy: usize,
    width: usize,
    height: usize,
    /// Bytes per scanline, without the filter byte.
    row_bytes: usize,
}

/// Adam7: (x start, y start, x step, y step) of each pass.
pub const ADAM7: [(u32, u32, u32, u32); 7] = [
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
];

fn decode_error(message: String) -> KernelError {
    KernelError::MaskDecode(message)
}

/// A chunk type for messages: `'IHDR'`, or its hex bytes when not letters.
fn chunk_name(kind: [u8; 4]) -> String {
    if kind.iter().all(u8::is_ascii_alphabetic) {
        format!("'{}'", String::from_utf8_lossy(&kind))
    } else {
        format!(
            "0x{:02x}{:02x}{:02x}{:02x}",
            kind[0], kind[1], kind[2], kind[3]
        )
    }
}

fn be_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

struct Chunk<'a> {
    kind: [u8; 4],
    data: &'a [u8],
    offset: usize,
}

/// The chunk at `pos` and the position after it, checked down to its CRC.
fn read_chunk(data: &[u8], pos: usize) -> KernelResult<(Chunk<'_>, usize)> {
    if data.len() - pos < 8 {
        return Err(decode_error(if pos == data.len() {
            "truncated PNG: the data ends before the IEND chunk".to_string()
        } else {
            format!("truncated PNG: the chunk header at byte {pos} is cut off")
        }));
    }
    let length = be_u32(data, pos).unwrap_or(0);
    let mut kind = [0u8; 4];
    kind.copy_from_slice(&data[pos + 4..pos + 8]);
    let name = chunk_name(kind);
    if !kind.iter().all(u8::is_ascii_alphabetic) {
        return Err(decode_error(format!(
            "corrupt PNG: the chunk type {name} at byte {pos} is not four ASCII letters"
        )));
    }
    if length > MAX_U31 {
        return Err(decode_error(format!(
            "corrupt PNG: chunk {name} at byte {pos} declares {length} bytes, more than 2^31-1"
        )));
    }
    let available = data.len() - pos - 8;
    let length = length as usize;
    if available < length + 4 {
        return Err(decode_error(format!(
            "truncated PNG: chunk {name} at byte {pos} declares {length} bytes of data and a CRC, \
             but only {available} bytes remain"
        )));
    }
    let body = &data[pos + 4..pos + 8 + length];
    let stored = be_u32(data, pos + 8 + length).unwrap_or(0);
    if crc::update(0, body) != stored {
        return Err(decode_error(format!(
            "corrupt PNG: CRC mismatch in chunk {name} at byte {pos}"
        )));
    }
    let chunk = Chunk {
        kind,
        data: &body[4..],
        offset: pos,
    };
    Ok((chunk, pos + 12 + length))
}

/// Parse and validate the 13 bytes of IHDR.
fn parse_header(chunk: &Chunk<'_>) -> KernelResult<Header> {
    let d = chunk.data;
    if d.len() != 13 {
        return Err(decode_error(format!(
            "corrupt PNG: IHDR holds {} bytes, expected 13",
            d.len()
        )));
    }
    let width = be_u32(d, 0).unwrap_or(0);
    let height = be_u32(d, 4).unwrap_or(0);
    let (depth, code, compression, filter_method, interlace) = (d[8], d[9], d[10], d[11], d[12]);
    if width == 0 || height == 0 || width > MAX_U31 || height > MAX_U31 {
        return Err(decode_error(format!(
            "corrupt PNG: the image size {width}x{height} is not allowed \
             (each side must be 1 to 2^31-1)"
        )));
    }
    let colour_type = ColourType::from_code(code)
        .ok_or_else(|| decode_error(format!("corrupt PNG: unknown colour type {code}")))?;
    if !colour_type.allows_depth(depth) {
        return Err(decode_error(format!(
            "corrupt PNG: bit depth {depth} is not allowed for colour type {code}"
        )));
    }
    if compression != 0 {
        return Err(decode_error(format!(
            "corrupt PNG: unknown compression method {compression}"
        )));
    }
    if filter_method != 0 {
        return Err(decode_error(format!(
            "corrupt PNG: unknown filter method {filter_method}"
        )));
    }
    if interlace > 1 {
        return Err(decode_error(format!(
            "corrupt PNG: unknown interlace method {interlace}"
        )));
    }
    Ok(Header {
        width,
        height,
        bit_depth: depth,
        colour_type,
        interlaced: interlace == 1,
    })
}

/// What the chunk walk found.
struct Layout<'a> {
    header: Header,
    palette: &'a [u8],
    idat: Vec<&'a [u8]>,
}

/// Walk every chunk up to IEND, checking the structure (see the module docs).
/// Pillow refuses a file whose tRNS (grey or truecolour image: 2 or 6 bytes),
/// gAMA (4), cHRM (32), sRGB (1) or pHYs (9) chunk is shorter than the values
/// it holds ("Truncated gAMA chunk"), wherever it lies before IEND: so do we.
/// Their contents never change the grey values.
fn check_ancillary(header: &Header, chunk: &Chunk<'_>) -> KernelResult<()> {
    let need = match (&chunk.kind, header.colour_type) {
        (b"tRNS", ColourType::Grey) => 2,
        (b"tRNS", ColourType::Rgb) => 6,
        (b"gAMA", _) => 4,
        (b"cHRM", _) => 32,
        (b"sRGB", _) => 1,
        (b"pHYs", _) => 9,
        _ => 0,
    };
    if chunk.data.len() < need {
        return Err(decode_error(format!(
            "corrupt PNG: the {} chunk at byte {} holds {} bytes, fewer than the {need} it needs",
            chunk_name(chunk.kind),
            chunk.offset,
            chunk.data.len()
        )));
    }
    Ok(())
}

fn read_layout(data: &[u8], max_pixels: u64) -> KernelResult<Layout<'_>> {
    if data.len() < SIGNATURE.len() || data[..SIGNATURE.len()] != SIGNATURE {
        return Err(decode_error(
            "not a PNG file: the data does not start with the PNG signature".to_string(),
        ));
    }
    let (first, mut pos) = read_chunk(data, SIGNATURE.len())?;
    if &first.kind != b"IHDR" {
        return Err(decode_error(format!(
            "corrupt PNG: the first chunk is {}, expected 'IHDR'",
            chunk_name(first.kind)
        )));
    }
    let header = parse_header(&first)?;
    let pixels = u64::from(header.width) * u64::from(header.height);
    if pixels > max_pixels {
        return Err(KernelError::PixelLimit {
            width: header.width.into(),
            height: header.height.into(),
            limit: max_pixels,
        });
    }
    let is_palette = header.colour_type == ColourType::Palette;
    let mut palette: Option<&[u8]> = None;
    let mut idat: Vec<&[u8]> = Vec::new();
    // IDAT chunks must be consecutive: once another chunk follows them, no more.
    let mut idat_closed = false;
    loop {
        let (chunk, next) = read_chunk(data, pos)?;
        pos = next;
        let name = chunk_name(chunk.kind);
        match &chunk.kind {
            b"IEND" => {
                if !chunk.data.is_empty() {
                    return Err(decode_error(format!(
                        "corrupt PNG: the IEND chunk at byte {} is not empty",
                        chunk.offset
                    )));
                }
                break;
            }
            b"IDAT" => {
                if idat_closed {
                    return Err(decode_error(format!(
                        "corrupt PNG: the IDAT chunk at byte {} does not follow the other IDAT chunks",
                        chunk.offset
                    )));
                }
                if is_palette && palette.is_none() {
                    return Err(decode_error(
                        "corrupt PNG: a palette image needs a PLTE chunk before its IDAT chunks"
                            .to_string(),
                    ));
                }
                idat.push(chunk.data);
                continue;
            }
            b"IHDR" => {
                return Err(decode_error(format!(
                    "corrupt PNG: a second IHDR chunk at byte {}",
                    chunk.offset
                )));
            }
            b"PLTE" if is_palette => {
                let n = chunk.data.len();
                if palette.is_some() || !idat.is_empty() {
                    return Err(decode_error(format!(
                        "corrupt PNG: the PLTE chunk at byte {} comes after IDAT or another PLTE",
                        chunk.offset
                    )));
                }
                if n == 0 || n > 768 || n % 3 != 0 {
                    return Err(decode_error(format!(
                        "corrupt PNG: PLTE holds {n} bytes, not 1 to 256 RGB entries"
                    )));
                }
                palette = Some(chunk.data);
            }
            b"tRNS" | b"gAMA" | b"cHRM" | b"sRGB" | b"pHYs" => check_ancillary(&header, &chunk)?,
            kind if kind[0].is_ascii_uppercase() && kind != b"PLTE" => {
                return Err(decode_error(format!(
                    "corrupt PNG: unknown critical chunk {name} at byte {}",
                    chunk.offset
                )));
            }
            _ => {} // ancillary chunks, and PLTE of a non-palette image
        }
        idat_closed = !idat.is_empty();
    }
    if idat.is_empty() {
        return Err(decode_error(
            "corrupt PNG: there is no IDAT chunk".to_string(),
        ));
    }
    Ok(Layout {
        header,
        palette: palette.unwrap_or(&[]),
        idat,
    })
}

/// The non-empty passes of `header`'s image data, in stream order.
fn passes(header: &Header) -> KernelResult<Vec<Pass>> {
    let layout: &[(u32, u32, u32, u32)] = if header.interlaced {
        &ADAM7
    } else {
        &[(0, 0, 1, 1)]
    };
    let too_big = || decode_error("the image is too large for this platform".to_string());
    let mut out = Vec::with_capacity(layout.len());
    for (index, &(x0, y0, dx, dy)) in layout.iter().enumerate() {
        let width = header.width.saturating_sub(x0).div_ceil(dx);
        let height = header.height.saturating_sub(y0).div_ceil(dy);
        if width == 0 || height == 0 {
            continue;
        }
        let row_bytes = (u64::from(width) * header.bits_per_pixel()).div_ceil(8);
        out.push(Pass {
            number: index + 1,
            x0: x0 as usize,
            y0: y0 as usize,
            dx: dx as usize,
            dy: dy as usize,
            width: usize::try_from(width).map_err(|_| too_big())?,
            height: usize::try_from(height).map_err(|_| too_big())?,
            row_bytes: usize::try_from(row_bytes).map_err(|_| too_big())?,
        });
    }
    Ok(out)
}

/// The CRC-32 a PNG chunk carries over its type and data, for code that writes
/// PNGs (the tests' fixtures, the fuzz harness).
///
/// ```
/// assert_eq!(_rust::png::crc32(b"IEND"), 0xAE42_6082);
/// ```
pub fn crc32(data: &[u8]) -> u32 {
    crc::update(0, data)
}

/// Buffers one thread reuses from PNG to PNG ([`decode_png_into`]): the
/// inflate state and buffer, the decoded pixels and the scanline rows.
#[derive(Debug, Default)]
pub struct Scratch {
    inflater: scanlines::Inflater,
    pixels: Vec<u8>,
    prev: Vec<u8>,
    cur: Vec<u8>,
    spread: Vec<u8>,
    /// The last image's `(width, height)`, and whether its rows were left
    /// where inflating put them ([`decode_png_rows_into`]): in the inflate
    /// buffer from byte 1, a row and its next row's filter byte apart.
    shape: (usize, usize),
    in_buffer: bool,
    /// The Paeth rows' vector blocks' scratch ([`filter::PaethBlocks`]).
    paeth: filter::PaethBlocks,
}

impl Scratch {
    /// The pixels of the last image [`decode_png_into`] decoded (row-major).
    pub fn pixels(&self) -> &[u8] {
        &self.pixels
    }

    /// The rows of the last image [`decode_png_rows_into`] decoded and their
    /// stride: row `y` is `rows[y * stride..][..width]`, the last row ending
    /// the slice.
    pub fn rows(&self) -> (&[u8], usize) {
        let (width, height) = self.shape;
        if !self.in_buffer {
            return (&self.pixels, width);
        }
        let stride = width + 1;
        let len = height.saturating_sub(1) * stride + width;
        (self.inflater.bytes().get(1..=len).unwrap_or(&[]), stride)
    }
}

/// `v` holding exactly `len` bytes (whatever they are), reusing its allocation.
fn sized(v: &mut Vec<u8>, len: usize, what: &str) -> KernelResult<()> {
    if v.len() < len {
        let more = len - v.len();
        crate::alloc::reserve(v, more, what)?;
        v.resize(len, 0);
    }
    v.truncate(len);
    Ok(())
}

/// Decode `data` to grey, refusing images of more than `max_pixels` pixels.
///
/// Errors: `KernelError::PixelLimit` when IHDR declares more than
/// `max_pixels` pixels (nothing else is decoded), `KernelError::MaskDecode`
/// naming the problem for anything that is not a valid PNG.
pub fn decode_png(data: &[u8], max_pixels: u64) -> KernelResult<GreyImage> {
    let mut scratch = Scratch::default();
    let (width, height) = decode_png_into(data, max_pixels, &mut scratch)?;
    Ok(GreyImage {
        width,
        height,
        pixels: std::mem::take(&mut scratch.pixels),
    })
}

/// [`decode_png`] into `scratch` (its pixels: [`Scratch::pixels`]); returns
/// `(width, height)`. The same result and errors, without allocating once the
/// scratch has held an image as large.
pub fn decode_png_into(
    data: &[u8],
    max_pixels: u64,
    scratch: &mut Scratch,
) -> KernelResult<(usize, usize)> {
    decode(data, max_pixels, scratch, false, false)
}

/// [`decode_png_into`], leaving the rows where they are when it can: an 8-bit
/// grey image, not interlaced, small enough to inflate whole and with filter
/// type 0 on every scanline (the model's masks) is read in the inflate
/// buffer, without copying it row by row into an image. Its rows:
/// [`Scratch::rows`] (the pixels of any other image, stride `width`). The
/// same result and errors as [`decode_png_into`].
///
/// ```
/// # use _rust::png::{decode_png_rows_into, Scratch};
/// # fn chunk(kind: &[u8], data: &[u8]) -> Vec<u8> {
/// #     let mut body = kind.to_vec();
/// #     body.extend_from_slice(data);
/// #     let mut out = (data.len() as u32).to_be_bytes().to_vec();
/// #     out.extend_from_slice(&body);
/// #     out.extend_from_slice(&_rust::png::crc32(&body).to_be_bytes());
/// #     out
/// # }
/// // A 2x2 grey PNG: rows [0, 255] and [255, 0], stored uncompressed.
/// let raw = [0u8, 0, 255, 0, 255, 0];
/// let mut zlib = vec![0x78, 0x01, 1, 6, 0, !6, !0];
/// zlib.extend_from_slice(&raw);
/// let (mut a, mut b) = (1u32, 0u32);
/// for &x in &raw {
///     a = (a + u32::from(x)) % 65521;
///     b = (b + a) % 65521;
/// }
/// zlib.extend_from_slice(&((b << 16) | a).to_be_bytes());
/// let mut png = _rust::png::SIGNATURE.to_vec();
/// png.extend(chunk(b"IHDR", &[0, 0, 0, 2, 0, 0, 0, 2, 8, 0, 0, 0, 0]));
/// png.extend(chunk(b"IDAT", &zlib));
/// png.extend(chunk(b"IEND", &[]));
/// let mut scratch = Scratch::default();
/// assert_eq!(decode_png_rows_into(&png, 1 << 20, &mut scratch).unwrap(), (2, 2));
/// let (rows, stride) = scratch.rows();
/// assert_eq!((stride, &rows[..2], &rows[stride..stride + 2]), (3, &[0, 255][..], &[255, 0][..]));
/// ```
pub fn decode_png_rows_into(
    data: &[u8],
    max_pixels: u64,
    scratch: &mut Scratch,
) -> KernelResult<(usize, usize)> {
    decode(data, max_pixels, scratch, true, false)
}

/// Unfilter scanline `line` (filter byte first) of an 8-bit grey image into
/// row `r` of `pixels` (rows of `width` bytes), against the row above (`zeros`,
/// `width` zero bytes, for the first). `Err` holds an unknown filter type.
fn unfilter_grey_row(
    r: usize,
    line: &[u8],
    zeros: &[u8],
    pixels: &mut [u8],
    width: usize,
) -> Result<(), u8> {
    let (above, rest) = pixels.split_at_mut(r * width);
    let prior = match r {
        0 => zeros,
        _ => &above[(r - 1) * width..],
    };
    filter::unfilter(line[0], &line[1..], prior, &mut rest[..width], 1)
}

/// [`decode_png_into`]; `in_place`: [`decode_png_rows_into`]. An 8-bit grey
/// image small enough is inflated whole first, unless `streamed`: then (and
/// for every other image) it is read line by line, as the second try after
/// the whole stream failed, so that the error is the one streaming meets first.
fn decode(
    data: &[u8],
    max_pixels: u64,
    scratch: &mut Scratch,
    in_place: bool,
    streamed: bool,
) -> KernelResult<(usize, usize)> {
    scratch.in_buffer = false;
    let layout = read_layout(data, max_pixels)?;
    let header = layout.header;
    let passes = passes(&header)?;
    let expected: u128 = passes
        .iter()
        .map(|p| p.height as u128 * (p.row_bytes as u128 + 1))
        .sum();
    let compressed: u64 = layout.idat.iter().map(|c| c.len() as u64).sum();
    if expected > u128::from(compressed) * u128::from(MAX_INFLATE_RATIO) {
        return Err(decode_error(format!(
            "corrupt PNG: {compressed} bytes of compressed image data cannot hold the \
             {expected} bytes of scanlines of a {}x{} image",
            header.width, header.height
        )));
    }
    let too_big = || decode_error("the image is too large for this platform".to_string());
    let width = usize::try_from(header.width).map_err(|_| too_big())?;
    let height = usize::try_from(header.height).map_err(|_| too_big())?;
    let Scratch {
        inflater,
        pixels,
        prev,
        cur,
        spread,
        shape,
        in_buffer,
        paeth,
    } = scratch;
    *shape = (width, height);
    // Every pixel is written below (each row whole, or by the Adam7 passes,
    // which cover the image), so the reused buffer need not be cleared.
    sized(
        pixels,
        width.checked_mul(height).ok_or_else(too_big)?,
        "the decoded PNG",
    )?;

    let converter = grey::Converter::new(&header, layout.palette);
    let bpp = usize::try_from(header.bits_per_pixel().div_ceil(8)).map_err(|_| too_big())?;
    let max_row = passes.iter().map(|p| p.row_bytes).max().unwrap_or(0);
    let mut reader =
        scanlines::ScanlineReader::new(&layout.idat, expected as u64, max_row + 1, inflater)?;
    sized(prev, max_row, "a PNG scanline")?;
    sized(cur, max_row, "a PNG scanline")?;
    sized(
        spread,
        if header.interlaced { width } else { 0 },
        "a PNG scanline",
    )?;
    let bad_filter = |kind: u8, r: usize, pass: &Pass| {
        let pass_name = if header.interlaced {
            format!(" of Adam7 pass {}", pass.number)
        } else {
            String::new()
        };
        decode_error(format!(
            "corrupt PNG: scanline {r}{pass_name} has unknown filter type {kind}"
        ))
    };
    if let ([pass], grey::Converter::Grey8) = (&passes[..], &converter) {
        if !streamed {
            let stride = width + 1;
            match reader.whole() {
                // Filter type 0 everywhere: the rows are the pixels, in place.
                Ok(Some(all)) if in_place && all.iter().step_by(stride).all(|&kind| kind == 0) => {
                    *in_buffer = true;
                    return Ok((width, height));
                }
                Ok(Some(all)) => {
                    // The stream is whole and sound: only a filter type can be
                    // wrong. Whole, runs of Paeth rows decode together.
                    prev.fill(0);
                    filter::unfilter_grey_rows(all, prev, pixels, width, paeth)
                        .map_err(|(r, kind)| bad_filter(kind, r, pass))?;
                    return Ok((width, height));
                }
                Ok(None) => {}
                // Reading line by line may meet another error first: report that one.
                Err(_) => return decode(data, max_pixels, scratch, in_place, true),
            }
        }
        // 8-bit grey, not interlaced (the model's masks): each scanline is
        // unfiltered straight into its output row, against the row above.
        prev.fill(0);
        for r in 0..height {
            let line = reader.next_line(width + 1)?;
            unfilter_grey_row(r, line, prev, pixels, width)
                .map_err(|kind| bad_filter(kind, r, pass))?;
        }
    } else {
        for pass in &passes {
            let n = pass.row_bytes;
            prev[..n].fill(0);
            for r in 0..pass.height {
                let line = reader.next_line(n + 1)?;
                filter::unfilter(line[0], &line[1..], &prev[..n], &mut cur[..n], bpp)
                    .map_err(|kind| bad_filter(kind, r, pass))?;
                let y = pass.y0 + r * pass.dy;
                let out_row = &mut pixels[y * width..(y + 1) * width];
                if pass.dx == 1 {
                    converter.convert(&cur[..n], out_row);
                } else {
                    let grey = &mut spread[..pass.width];
                    converter.convert(&cur[..n], grey);
                    for (&v, o) in grey
                        .iter()
                        .zip(out_row[pass.x0..].iter_mut().step_by(pass.dx))
                    {
                        *o = v;
                    }
                }
                std::mem::swap(prev, cur);
            }
        }
    }
    reader.finish()?;
    Ok((width, height))
}

#[cfg(test)]
mod tests;
