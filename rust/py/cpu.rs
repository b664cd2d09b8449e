//! Which SIMD paths the kernels take on this CPU (`gemini-vision info`).
//!
//! Each kernel checks the CPU at run time and takes its vector path only when
//! the extension is there; this asks the same questions the kernels ask.

use pyo3::prelude::*;

/// The instruction-set extensions the kernels use on this CPU, in a fixed order:
/// `sse2` (mask bit packing, contour classes, PNG Paeth rows; always there on
/// x86-64), `avx2` (resize, horizontal pass; PNG Paeth rows; with POPCNT,
/// which every AVX2 CPU has, the contour resize's row bits, spans and
/// two-valued check), `ssse3` (base64 decoding), `pclmulqdq` (PNG CRC-32).
/// Empty on other architectures and in a `portable` build: the portable code
/// runs.
#[pyfunction]
fn simd_features() -> Vec<&'static str> {
    #[allow(unused_mut)]
    let mut used = Vec::new();
    #[cfg(all(target_arch = "x86_64", not(feature = "portable")))]
    {
        used.push("sse2");
        if std::arch::is_x86_feature_detected!("avx2") {
            used.push("avx2");
        }
        if std::arch::is_x86_feature_detected!("ssse3") {
            used.push("ssse3");
        }
        if std::arch::is_x86_feature_detected!("pclmulqdq") {
            used.push("pclmulqdq");
        }
    }
    used
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(simd_features, m)?)?;
    Ok(())
}
