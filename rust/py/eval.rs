//! Bindings of the COCO evaluation kernels (`gemini_vision.evaluate`).
//!
//! Offsets travel as 1-D int64 arrays (one more entry than items), boxes as
//! `(n, 4)` float64 `[x, y, w, h]`, masks as concatenated uint32 counts with
//! their offsets and an `(n, 2)` int64 array of `(height, width)`.

use numpy::ndarray::{Array2, Array3, Array4, Array5, Ix4, Ix5};
use numpy::{
    PyArray, PyArray1, PyArray2, PyArray3, PyReadonlyArray1, PyReadonlyArray2, PyReadonlyArray3,
};
use pyo3::prelude::*;

use super::args::{boxes, invalid, slice};
use super::to_pyerr;
use crate::accumulate;
use crate::eval::{self as kernel, MatchInput, Regions};
use crate::rle::Rle;

fn as_offsets(py: Python<'_>, a: &PyReadonlyArray1<'_, i64>, name: &str) -> PyResult<Vec<usize>> {
    slice(py, a, name)?
        .iter()
        .map(|&v| usize::try_from(v).map_err(|_| invalid(py, format!("{name} must be >= 0"))))
        .collect()
}

fn sizes(py: Python<'_>, a: &PyReadonlyArray2<'_, i64>, n: usize) -> PyResult<Vec<(usize, usize)>> {
    if a.as_array().dim() != (n, 2) {
        return Err(invalid(py, format!("sizes must have shape ({n}, 2)")));
    }
    slice(py, a, "sizes")?
        .chunks_exact(2)
        .map(
            |hw| match (usize::try_from(hw[0]), usize::try_from(hw[1])) {
                (Ok(h), Ok(w)) => Ok((h, w)),
                _ => Err(invalid(py, "sizes must be >= 0".into())),
            },
        )
        .collect()
}

/// Masks as kernel views: counts `flat[offs[i]..offs[i + 1]]` of frame `hw[i]`.
fn masks<'a>(
    py: Python<'_>,
    flat: &'a [u32],
    offs: &[usize],
    hw: &[(usize, usize)],
) -> PyResult<Vec<Rle<'a>>> {
    if offs.len() != hw.len() + 1 || offs.last().copied().unwrap_or(0) != flat.len() {
        return Err(invalid(
            py,
            "mask offsets must have one more entry than masks and end at the counts' length".into(),
        ));
    }
    offs.windows(2)
        .zip(hw)
        .map(|(w, &(h, wd))| {
            if w[0] > w[1] {
                return Err(invalid(py, "mask offsets must not decrease".into()));
            }
            Rle::new(&flat[w[0]..w[1]], h, wd).map_err(|e| to_pyerr(py, e))
        })
        .collect()
}

type MaskArgs<'py> = (
    PyReadonlyArray1<'py, u32>,
    PyReadonlyArray1<'py, i64>,
    PyReadonlyArray2<'py, i64>,
);

type MatchOut<'py> = (
    Bound<'py, PyArray3<i64>>,
    Bound<'py, PyArray3<bool>>,
    Bound<'py, PyArray2<f64>>,
    Bound<'py, PyArray2<bool>>,
);

/// pycocotools' `evaluateImg` for every (image, category) group at once.
///
/// Returns `dt_gt` and `dt_ignore` of shape `(detections, areas, thresholds)`,
/// `dt_iou` `(detections, thresholds)` and `gt_ignore` `(ground truths, areas)`.
#[pyfunction]
#[pyo3(signature = (gt_offsets, dt_offsets, gt_boxes, dt_boxes, gt_area, gt_crowd, gt_id_nonzero, dt_area, iou_thrs, area_rng, gt_masks=None, dt_masks=None))]
#[allow(clippy::too_many_arguments)] // the columns of pycocotools' per-image state
fn eval_match<'py>(
    py: Python<'py>,
    gt_offsets: PyReadonlyArray1<'py, i64>,
    dt_offsets: PyReadonlyArray1<'py, i64>,
    gt_boxes: PyReadonlyArray2<'py, f64>,
    dt_boxes: PyReadonlyArray2<'py, f64>,
    gt_area: PyReadonlyArray1<'py, f64>,
    gt_crowd: PyReadonlyArray1<'py, bool>,
    gt_id_nonzero: PyReadonlyArray1<'py, bool>,
    dt_area: PyReadonlyArray1<'py, f64>,
    iou_thrs: PyReadonlyArray1<'py, f64>,
    area_rng: PyReadonlyArray2<'py, f64>,
    gt_masks: Option<MaskArgs<'py>>,
    dt_masks: Option<MaskArgs<'py>>,
) -> PyResult<MatchOut<'py>> {
    let go = as_offsets(py, &gt_offsets, "gt_offsets")?;
    let dof = as_offsets(py, &dt_offsets, "dt_offsets")?;
    let gb = boxes(py, &gt_boxes, "gt_boxes")?;
    let db = boxes(py, &dt_boxes, "dt_boxes")?;
    if area_rng.as_array().ncols() != 2 {
        return Err(invalid(py, "area_rng must have shape (n, 2)".into()));
    }
    let rng: Vec<[f64; 2]> = slice(py, &area_rng, "area_rng")?
        .chunks_exact(2)
        .map(|r| [r[0], r[1]])
        .collect();
    let (gm_data, dm_data);
    let (gm, dm);
    let (gt, dt) = match (&gt_masks, &dt_masks) {
        (Some((gc, goff, gs)), Some((dc, doff, ds))) => {
            let goff = as_offsets(py, goff, "gt mask offsets")?;
            let doff = as_offsets(py, doff, "dt mask offsets")?;
            gm_data = sizes(py, gs, goff.len().saturating_sub(1))?;
            dm_data = sizes(py, ds, doff.len().saturating_sub(1))?;
            gm = masks(py, slice(py, gc, "gt counts")?, &goff, &gm_data)?;
            dm = masks(py, slice(py, dc, "dt counts")?, &doff, &dm_data)?;
            (Regions::Masks(&gm), Regions::Masks(&dm))
        }
        (None, None) => (Regions::Boxes(&gb), Regions::Boxes(&db)),
        _ => {
            return Err(invalid(
                py,
                "give masks for both ground truths and detections, or for neither".into(),
            ))
        }
    };
    let input = MatchInput {
        gt_offsets: &go,
        dt_offsets: &dof,
        gt,
        dt,
        gt_area: slice(py, &gt_area, "gt_area")?,
        gt_crowd: slice(py, &gt_crowd, "gt_crowd")?,
        gt_id_nonzero: slice(py, &gt_id_nonzero, "gt_id_nonzero")?,
        dt_area: slice(py, &dt_area, "dt_area")?,
        iou_thrs: slice(py, &iou_thrs, "iou_thrs")?,
        area_rng: &rng,
    };
    let (nd, ng) = (input.dt.len(), input.gt.len());
    let (na, nt) = (rng.len(), input.iou_thrs.len());
    let res = py
        .detach(|| kernel::match_groups(&input))
        .map_err(|e| to_pyerr(py, e))?;
    let shape_err = |e: numpy::ndarray::ShapeError| invalid(py, e.to_string());
    Ok((
        PyArray3::from_owned_array(
            py,
            Array3::from_shape_vec((nd, na, nt), res.dt_gt).map_err(shape_err)?,
        ),
        PyArray3::from_owned_array(
            py,
            Array3::from_shape_vec((nd, na, nt), res.dt_ignore).map_err(shape_err)?,
        ),
        PyArray2::from_owned_array(
            py,
            Array2::from_shape_vec((nd, nt), res.dt_iou).map_err(shape_err)?,
        ),
        PyArray2::from_owned_array(
            py,
            Array2::from_shape_vec((ng, na), res.gt_ignore).map_err(shape_err)?,
        ),
    ))
}

/// Concatenated counts and their offsets, as returned to Python.
type Counts<'py> = (Bound<'py, PyArray1<u32>>, Bound<'py, PyArray1<i64>>);

fn to_arrays<'py>(py: Python<'py>, (flat, offs): (Vec<u32>, Vec<usize>)) -> Counts<'py> {
    let offs: Vec<i64> = offs.into_iter().map(|v| v as i64).collect();
    (PyArray1::from_vec(py, flat), PyArray1::from_vec(py, offs))
}

/// The RLE counts of every annotation's polygons (pycocotools' `frPyObjects` + `merge`).
#[pyfunction]
fn eval_polygons<'py>(
    py: Python<'py>,
    coords: PyReadonlyArray1<'py, f64>,
    point_offsets: PyReadonlyArray1<'py, i64>,
    poly_offsets: PyReadonlyArray1<'py, i64>,
    sizes_hw: PyReadonlyArray2<'py, i64>,
) -> PyResult<Counts<'py>> {
    let c = slice(py, &coords, "coords")?;
    let po = as_offsets(py, &point_offsets, "point_offsets")?;
    let ao = as_offsets(py, &poly_offsets, "poly_offsets")?;
    let hw = sizes(py, &sizes_hw, ao.len().saturating_sub(1))?;
    let out = py
        .detach(|| kernel::polygons_to_rles(c, &po, &ao, &hw))
        .map_err(|e| to_pyerr(py, e))?;
    Ok(to_arrays(py, out))
}

/// Counts of many compressed RLE strings: string `i` is `data[offsets[i]:offsets[i + 1]]`.
#[pyfunction]
fn eval_rle_strings<'py>(
    py: Python<'py>,
    data: &[u8],
    offsets: PyReadonlyArray1<'py, i64>,
) -> PyResult<Counts<'py>> {
    let o = as_offsets(py, &offsets, "offsets")?;
    let out = py
        .detach(|| kernel::rle_strings(data, &o))
        .map_err(|e| to_pyerr(py, e))?;
    Ok(to_arrays(py, out))
}

type GatherOut<'py> = (
    Bound<'py, PyArray1<u32>>,
    Bound<'py, PyArray1<i64>>,
    Bound<'py, PyArray1<u64>>,
    Bound<'py, PyArray1<f64>>,
);

/// The masks `(kinds[i], entries[i])` of three pools in one call (see `gather_masks`):
/// counts, offsets, each mask's count sum and its area.
#[pyfunction]
#[allow(clippy::too_many_arguments)] // three pools, each with its offsets
fn eval_masks<'py>(
    py: Python<'py>,
    kinds: PyReadonlyArray1<'py, u8>,
    entries: PyReadonlyArray1<'py, i64>,
    sizes_hw: PyReadonlyArray2<'py, i64>,
    coords: PyReadonlyArray1<'py, f64>,
    point_offsets: PyReadonlyArray1<'py, i64>,
    poly_offsets: PyReadonlyArray1<'py, i64>,
    str_data: &[u8],
    str_offsets: PyReadonlyArray1<'py, i64>,
    list_counts: PyReadonlyArray1<'py, u32>,
    list_offsets: PyReadonlyArray1<'py, i64>,
) -> PyResult<GatherOut<'py>> {
    let k = slice(py, &kinds, "kinds")?;
    let e = as_offsets(py, &entries, "entries")?;
    let hw = sizes(py, &sizes_hw, k.len())?;
    let po = as_offsets(py, &point_offsets, "point_offsets")?;
    let ao = as_offsets(py, &poly_offsets, "poly_offsets")?;
    let so = as_offsets(py, &str_offsets, "str_offsets")?;
    let lo = as_offsets(py, &list_offsets, "list_offsets")?;
    let pools = kernel::MaskPools {
        coords: slice(py, &coords, "coords")?,
        point_offsets: &po,
        poly_offsets: &ao,
        str_data,
        str_offsets: &so,
        list_counts: slice(py, &list_counts, "list_counts")?,
        list_offsets: &lo,
    };
    let g = py
        .detach(|| kernel::gather_masks(&pools, k, &e, &hw))
        .map_err(|e| to_pyerr(py, e))?;
    let (counts, offsets) = to_arrays(py, (g.counts, g.offsets));
    let areas: Vec<f64> = g.areas.into_iter().map(|a| a as f64).collect();
    Ok((
        counts,
        offsets,
        PyArray1::from_vec(py, g.sums),
        PyArray1::from_vec(py, areas),
    ))
}

type Tables<'py> = (
    Bound<'py, PyArray<f64, Ix5>>,
    Bound<'py, PyArray<f64, Ix4>>,
    Bound<'py, PyArray<f64, Ix5>>,
);

/// pycocotools' `accumulate` (see `rust/accumulate.rs`): `(precision, recall, scores)`.
#[pyfunction]
#[allow(clippy::too_many_arguments)] // the columns of pycocotools' accumulation
fn eval_accumulate<'py>(
    py: Python<'py>,
    cat_offsets: PyReadonlyArray1<'py, i64>,
    rank: PyReadonlyArray1<'py, i64>,
    score: PyReadonlyArray1<'py, f64>,
    tp: PyReadonlyArray3<'py, bool>,
    fp: PyReadonlyArray3<'py, bool>,
    npig: PyReadonlyArray2<'py, i64>,
    max_dets: PyReadonlyArray1<'py, i64>,
    rec_thrs: PyReadonlyArray1<'py, f64>,
) -> PyResult<Tables<'py>> {
    let (_, n_areas, n_thrs) = tp.as_array().dim();
    if fp.as_array().dim() != tp.as_array().dim() {
        return Err(invalid(py, "tp and fp must have the same shape".into()));
    }
    let (n_k, npig_areas) = npig.as_array().dim();
    if npig_areas != n_areas {
        return Err(invalid(
            py,
            "npig and tp must have as many area ranges".into(),
        ));
    }
    let offsets = as_offsets(py, &cat_offsets, "cat_offsets")?;
    let input = accumulate::AccumulateInput {
        cat_offsets: &offsets,
        rank: slice(py, &rank, "rank")?,
        score: slice(py, &score, "score")?,
        tp: slice(py, &tp, "tp")?,
        fp: slice(py, &fp, "fp")?,
        npig: slice(py, &npig, "npig")?,
        max_dets: slice(py, &max_dets, "max_dets")?,
        rec_thrs: slice(py, &rec_thrs, "rec_thrs")?,
        n_areas,
        n_thrs,
    };
    let (nm, nr) = (input.max_dets.len(), input.rec_thrs.len());
    let out = py
        .detach(|| accumulate::accumulate(&input))
        .map_err(|e| to_pyerr(py, e))?;
    let shape_err = |e: numpy::ndarray::ShapeError| invalid(py, e.to_string());
    let table5 = |v: Vec<f64>| -> PyResult<Bound<'py, PyArray<f64, Ix5>>> {
        let a = Array5::from_shape_vec((n_thrs, nr, n_k, n_areas, nm), v).map_err(shape_err)?;
        Ok(PyArray::from_owned_array(py, a))
    };
    let recall =
        Array4::from_shape_vec((n_thrs, n_k, n_areas, nm), out.recall).map_err(shape_err)?;
    Ok((
        table5(out.precision)?,
        PyArray::from_owned_array(py, recall),
        table5(out.scores)?,
    ))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(eval_accumulate, m)?)?;
    m.add_function(wrap_pyfunction!(eval_masks, m)?)?;
    m.add_function(wrap_pyfunction!(eval_match, m)?)?;
    m.add_function(wrap_pyfunction!(eval_polygons, m)?)?;
    m.add_function(wrap_pyfunction!(eval_rle_strings, m)?)?;
    Ok(())
}
