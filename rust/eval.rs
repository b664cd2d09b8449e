//! COCO evaluation kernels: polygon rasterisation, batched RLE string decoding
//! and the per-image greedy matching of `COCOeval.evaluateImg`.
//!
//! # Theory of operation
//!
//! pycocotools evaluates every (image, category) pair on its own: it sorts the
//! detections by score, computes their IoU with every ground truth, and for
//! each area range and IoU threshold walks the detections in order, giving each
//! the best still-free ground truth (crowds stay free; a match to a regular
//! ground truth is never traded for an ignored one). Those pairs are
//! independent, so [`match_groups`] runs them over rayon's threads; the caller
//! hands in every pair as a "group": a range of ground truths and a range of
//! detections already in score order (and cut to the largest `maxDets`).
//!
//! The outputs are laid out detection-major (`[detection][area][threshold]`)
//! so that each group owns one contiguous chunk of every output and the
//! threads write without sharing anything.
//!
//! [`polygon_counts`] is pycocotools' `rleFrPoly`, operation for operation (it
//! upsamples by five, walks every edge, keeps the points where the boundary
//! crosses a pixel column, and turns their sorted positions into runs), so
//! masks given as polygons cover exactly the pixels pycocotools' do.

use rayon::prelude::*;

use crate::error::{KernelError, KernelResult};
use crate::rle::{self, Rle};

/// The regions of one side (ground truths or detections): boxes or masks.
#[derive(Debug, Clone, Copy)]
pub enum Regions<'a> {
    /// `[x, y, w, h]` boxes.
    Boxes(&'a [[f64; 4]]),
    /// COCO RLE masks.
    Masks(&'a [Rle<'a>]),
}

impl Regions<'_> {
    /// The number of regions.
    pub fn len(&self) -> usize {
        match self {
            Regions::Boxes(b) => b.len(),
            Regions::Masks(m) => m.len(),
        }
    }

    /// True when there are no regions.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Everything [`match_groups`] reads. Offsets have one more entry than there
/// are groups; group `i` owns ground truths `gt_offsets[i]..gt_offsets[i + 1]`
/// and detections `dt_offsets[i]..dt_offsets[i + 1]` (detections in score order).
#[derive(Debug, Clone, Copy)]
pub struct MatchInput<'a> {
    pub gt_offsets: &'a [usize],
    pub dt_offsets: &'a [usize],
    pub gt: Regions<'a>,
    pub dt: Regions<'a>,
    /// The ground truths' `area` field, for the area ranges.
    pub gt_area: &'a [f64],
    /// `iscrowd`: a crowd is ignored, may match many detections, and its IoU
    /// divides by the detection's area.
    pub gt_crowd: &'a [bool],
    /// False for a ground truth whose `id` is 0: pycocotools records a match
    /// by that id, so a match to it reads as no match afterwards.
    pub gt_id_nonzero: &'a [bool],
    pub dt_area: &'a [f64],
    pub iou_thrs: &'a [f64],
    pub area_rng: &'a [[f64; 2]],
}

/// What [`match_groups`] returns.
#[derive(Debug, Clone, PartialEq)]
pub struct Matches {
    /// `[detection][area][threshold]`: the matched ground truth's index, or -1.
    pub dt_gt: Vec<i64>,
    /// `[detection][area][threshold]`: pycocotools' `dtIgnore`.
    pub dt_ignore: Vec<bool>,
    /// `[detection][threshold]`: the IoU of the match in the first area range (0 if none).
    pub dt_iou: Vec<f64>,
    /// `[ground truth][area]`: pycocotools' `gtIgnore`.
    pub gt_ignore: Vec<bool>,
}

fn invalid(msg: String) -> KernelError {
    KernelError::InvalidArgument(msg)
}

fn check_offsets(name: &str, offsets: &[usize], total: usize) -> KernelResult<()> {
    if offsets.first().copied().unwrap_or(0) != 0
        || offsets.last().copied().unwrap_or(0) != total
        || offsets.windows(2).any(|w| w[0] > w[1])
    {
        return Err(invalid(format!(
            "{name} must rise from 0 to {total} (one more entry than groups)"
        )));
    }
    Ok(())
}

impl MatchInput<'_> {
    fn check(&self) -> KernelResult<()> {
        let (ng, nd) = (self.gt.len(), self.dt.len());
        if self.gt_offsets.len() != self.dt_offsets.len() || self.gt_offsets.is_empty() {
            return Err(invalid(
                "gt_offsets and dt_offsets must have the same length, at least 1".into(),
            ));
        }
        check_offsets("gt_offsets", self.gt_offsets, ng)?;
        check_offsets("dt_offsets", self.dt_offsets, nd)?;
        for (name, len) in [
            ("gt_area", self.gt_area.len()),
            ("gt_crowd", self.gt_crowd.len()),
            ("gt_id_nonzero", self.gt_id_nonzero.len()),
        ] {
            if len != ng {
                return Err(invalid(format!(
                    "{name} has {len} entries for {ng} ground truths"
                )));
            }
        }
        if self.dt_area.len() != nd {
            return Err(invalid(format!(
                "dt_area has {} entries for {nd} detections",
                self.dt_area.len()
            )));
        }
        if matches!(
            (&self.gt, &self.dt),
            (Regions::Boxes(_), Regions::Masks(_)) | (Regions::Masks(_), Regions::Boxes(_))
        ) {
            return Err(invalid(
                "ground truths and detections must both be boxes or both masks".into(),
            ));
        }
        if nd
            .saturating_mul(self.area_rng.len())
            .saturating_mul(self.iou_thrs.len())
            > (1 << 40)
        {
            return Err(invalid(
                "too many detections x area ranges x thresholds".into(),
            ));
        }
        Ok(())
    }
}

/// Split `out` into one chunk per group, `stride` items per member.
fn chunks<'a, T>(mut out: &'a mut [T], offsets: &[usize], stride: usize) -> Vec<&'a mut [T]> {
    let mut parts = Vec::with_capacity(offsets.len().saturating_sub(1));
    for w in offsets.windows(2) {
        let (head, tail) = out.split_at_mut((w[1] - w[0]) * stride);
        parts.push(head);
        out = tail;
    }
    parts
}

/// pycocotools' IoU of detections `d` with ground truths `g`, row-major `d x g`.
fn group_ious(
    input: &MatchInput<'_>,
    dt_boxes: &[[f64; 4]],
    gt_boxes: &[[f64; 4]],
    d: std::ops::Range<usize>,
    g: std::ops::Range<usize>,
) -> Vec<f64> {
    let crowd = &input.gt_crowd[g.clone()];
    let mut out = Vec::with_capacity(d.len() * g.len());
    for di in d {
        for (k, gi) in g.clone().enumerate() {
            let v = rle::box_pair_iou(&dt_boxes[di], &gt_boxes[gi], crowd[k]);
            let v = match (&input.dt, &input.gt) {
                (Regions::Masks(dm), Regions::Masks(gm)) if v > 0.0 => {
                    let (a, b) = (&dm[di], &gm[gi]);
                    if a.height != b.height || a.width != b.width {
                        -1.0
                    } else {
                        let (i, mut u) = rle::intersection_union(a.counts, b.counts);
                        if i == 0 {
                            u = 1;
                        } else if crowd[k] {
                            u = rle::area(a.counts);
                        }
                        i as f64 / u as f64
                    }
                }
                _ => v,
            };
            out.push(v);
        }
    }
    out
}

struct GroupOut<'a> {
    dt_gt: &'a mut [i64],
    dt_ignore: &'a mut [bool],
    dt_iou: &'a mut [f64],
    gt_ignore: &'a mut [bool],
}

fn outside(area: f64, rng: &[f64; 2]) -> bool {
    area < rng[0] || area > rng[1]
}

fn match_group(
    input: &MatchInput<'_>,
    dt_boxes: &[[f64; 4]],
    gt_boxes: &[[f64; 4]],
    group: usize,
    out: GroupOut<'_>,
) {
    let g = input.gt_offsets[group]..input.gt_offsets[group + 1];
    let d = input.dt_offsets[group]..input.dt_offsets[group + 1];
    let (ng, nd) = (g.len(), d.len());
    let (na, nt) = (input.area_rng.len(), input.iou_thrs.len());
    out.dt_gt.fill(-1);
    out.dt_ignore.fill(false);
    out.dt_iou.fill(0.0);
    let ious = if ng > 0 && nd > 0 {
        group_ious(input, dt_boxes, gt_boxes, d.clone(), g.clone())
    } else {
        Vec::new()
    };
    let crowd = &input.gt_crowd[g.clone()];
    let nonzero = &input.gt_id_nonzero[g.clone()];
    let mut ignored = vec![false; ng];
    let mut order: Vec<usize> = Vec::with_capacity(ng);
    let mut taken = vec![false; ng];
    for (a, rng) in input.area_rng.iter().enumerate() {
        for (k, gi) in g.clone().enumerate() {
            ignored[k] = crowd[k] || outside(input.gt_area[gi], rng);
            out.gt_ignore[k * na + a] = ignored[k];
        }
        // Regular ground truths first, each part in its original order.
        order.clear();
        order.extend((0..ng).filter(|&k| !ignored[k]));
        order.extend((0..ng).filter(|&k| ignored[k]));
        for (t, &thr) in input.iou_thrs.iter().enumerate() {
            if ious.is_empty() {
                break;
            }
            taken.fill(false);
            for di in 0..nd {
                let row = &ious[di * ng..(di + 1) * ng];
                let mut best = if thr < 1.0 - 1e-10 { thr } else { 1.0 - 1e-10 };
                let mut m: Option<usize> = None;
                for &k in &order {
                    if taken[k] && !crowd[k] {
                        continue;
                    }
                    if let Some(mk) = m {
                        if !ignored[mk] && ignored[k] {
                            break;
                        }
                    }
                    if row[k] < best {
                        continue;
                    }
                    best = row[k];
                    m = Some(k);
                }
                if let Some(k) = m {
                    let slot = (di * na + a) * nt + t;
                    out.dt_gt[slot] = (g.start + k) as i64;
                    out.dt_ignore[slot] = ignored[k];
                    taken[k] = true;
                    if a == 0 {
                        out.dt_iou[di * nt + t] = row[k];
                    }
                }
            }
        }
        // Detections with no (valid) match outside the range are ignored too.
        for (di, dj) in d.clone().enumerate() {
            if !outside(input.dt_area[dj], rng) {
                continue;
            }
            for t in 0..nt {
                let slot = (di * na + a) * nt + t;
                let m = out.dt_gt[slot];
                if m < 0 || !nonzero[m as usize - g.start] {
                    out.dt_ignore[slot] = true;
                }
            }
        }
    }
}

/// Match every group's detections to its ground truths at every area range
/// and IoU threshold, as pycocotools' `evaluateImg` (spread over threads).
pub fn match_groups(input: &MatchInput<'_>) -> KernelResult<Matches> {
    input.check()?;
    let boxes = |r: &Regions<'_>| -> Vec<[f64; 4]> {
        match r {
            Regions::Boxes(b) => b.to_vec(),
            Regions::Masks(m) => m.par_iter().map(rle::bbox).collect(),
        }
    };
    let (dt_boxes, gt_boxes) = (boxes(&input.dt), boxes(&input.gt));
    let (nd, ng) = (input.dt.len(), input.gt.len());
    let (na, nt) = (input.area_rng.len(), input.iou_thrs.len());
    let mut res = Matches {
        dt_gt: vec![-1; nd * na * nt],
        dt_ignore: vec![false; nd * na * nt],
        dt_iou: vec![0.0; nd * nt],
        gt_ignore: vec![false; ng * na],
    };
    let parts = chunks(&mut res.dt_gt, input.dt_offsets, na * nt)
        .into_iter()
        .zip(chunks(&mut res.dt_ignore, input.dt_offsets, na * nt))
        .zip(chunks(&mut res.dt_iou, input.dt_offsets, nt))
        .zip(chunks(&mut res.gt_ignore, input.gt_offsets, na))
        .enumerate()
        .map(|(i, (((dt_gt, dt_ignore), dt_iou), gt_ignore))| {
            (
                i,
                GroupOut {
                    dt_gt,
                    dt_ignore,
                    dt_iou,
                    gt_ignore,
                },
            )
        })
        .collect::<Vec<_>>();
    parts
        .into_par_iter()
        .for_each(|(i, out)| match_group(input, &dt_boxes, &gt_boxes, i, out));
    Ok(res)
}

/// C's `(int)` of a double: truncation toward zero (`as` truncates; the
/// coordinates are bounded, so it never saturates).
fn c_int(v: f64) -> i64 {
    v as i64
}

/// The boundary walk of [`polygon_counts`]: the last point, and the run
/// boundaries found so far.
struct Walker {
    prev: Option<(i64, i64)>,
    a: Vec<u64>,
    w: f64,
    height: u64,
}

impl Walker {
    /// The next dense point.
    fn step(&mut self, u: i64, v: i64) {
        if let Some((pu, pv)) = self.prev {
            self.cross(pu, pv, u, v);
        }
        self.prev = Some((u, v));
    }

    /// The step from `(pu, pv)` to `(u, v)`: a run boundary if it crosses a
    /// column centre inside the frame (pycocotools' downsampling test).
    fn cross(&mut self, pu: i64, pv: i64, u: i64, v: i64) {
        if u == pu {
            return;
        }
        // pycocotools computes xd = (q + 0.5) / 5 - 0.5 and keeps it when it is a
        // whole number: exactly when q is 2 mod 5, and then xd = (q - 2) / 5.
        let q = if u < pu { u } else { u - 1 };
        if (q - 2).rem_euclid(5) != 0 {
            return;
        }
        let xd = (q - 2) / 5;
        if xd < 0 || xd as f64 > self.w - 1.0 {
            return;
        }
        // pycocotools: ceil(clamp((v + 0.5) / 5 - 0.5, 0, h)). (v + 0.5) / 5 - 0.5 is
        // (v - 2) / 5, exactly when that is whole and never across a whole number
        // otherwise (its fraction is a multiple of 0.2), so the same ceiling
        // comes from integers (no call to libm's ceil).
        let yd = (v.min(pv) - 2).div_euclid(5) + i64::from((v.min(pv) - 2).rem_euclid(5) != 0);
        let yd = yd.clamp(0, self.height as i64);
        self.a.push(xd as u64 * self.height + yd as u64);
    }
}

/// About how many column crossings a polygon makes (two per column it spans,
/// within the frame): the walk's first allocation.
fn crossings_hint(x: &[i64], width: usize) -> usize {
    let (lo, hi) = x
        .iter()
        .fold((i64::MAX, i64::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    let span = usize::try_from((hi.saturating_sub(lo)) / 5 + 2).unwrap_or(0);
    2 * span.min(width + 2) + 2
}

/// pycocotools' `rleFrPoly`: the RLE counts of the polygon `xy`
/// (`x0, y0, x1, y1, ...`) in a `height x width` frame.
pub fn polygon_counts(xy: &[f64], height: usize, width: usize) -> KernelResult<Vec<u32>> {
    let pixels = rle::frame_pixels(height, width)?;
    let k = xy.len() / 2;
    if k == 0 {
        return Err(invalid("a polygon needs at least one point".into()));
    }
    if xy.iter().any(|v| !v.is_finite() || v.abs() > 1e8) {
        return Err(invalid(
            "polygon coordinates must be finite numbers within +-1e8".into(),
        ));
    }
    let scale = 5.0;
    let mut x: Vec<i64> = (0..k).map(|j| c_int(scale * xy[2 * j] + 0.5)).collect();
    let mut y: Vec<i64> = (0..k).map(|j| c_int(scale * xy[2 * j + 1] + 0.5)).collect();
    x.push(x[0]);
    y.push(y[0]);
    // Walk the dense points along every edge in the upsampled grid, and keep
    // each step that crosses a pixel column's centre line (pycocotools builds
    // the whole point list first; the points and their order are the same).
    let mut walk = Walker {
        prev: None,
        a: Vec::with_capacity(crossings_hint(&x, width)),
        w: width as f64,
        height: height as u64,
    };
    for j in 0..k {
        let (mut xs, mut xe, mut ys, mut ye) = (x[j], x[j + 1], y[j], y[j + 1]);
        let (dx, dy) = ((xe - xs).abs(), (ys - ye).abs());
        let flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
        if flip {
            std::mem::swap(&mut xs, &mut xe);
            std::mem::swap(&mut ys, &mut ye);
        }
        if dx == 0 && dy == 0 {
            // pycocotools divides 0 by 0 here; the point's row is never read,
            // because its column equals both neighbours'.
            walk.step(xs, ys);
            continue;
        }
        if dx >= dy {
            let s = (ye - ys) as f64 / dx as f64;
            let t_of = |d: i64| if flip { dx - d } else { d };
            let u_of = |d: i64| t_of(d) + xs;
            let v_of = |d: i64| c_int(ys as f64 + s * t_of(d) as f64 + 0.5);
            walk.step(u_of(0), v_of(0));
            // Inside the edge every point moves one column; only a step whose
            // left column is 2 mod 5 (a pixel centre of the 5x grid) can count,
            // so only those steps are computed.
            let u0 = u_of(0);
            let r = if flip {
                (u0 - 2).rem_euclid(5)
            } else {
                (3 - u0).rem_euclid(5)
            };
            let mut d = if r == 0 { 5 } else { r };
            while d <= dx {
                walk.cross(u_of(d - 1), v_of(d - 1), u_of(d), v_of(d));
                d += 5;
            }
            walk.prev = Some((u_of(dx), v_of(dx)));
        } else {
            let s = (xe - xs) as f64 / dy as f64;
            let u_at = |t: i64| c_int(xs as f64 + s * t as f64 + 0.5);
            let (t_first, t_last) = if flip { (dy, 0) } else { (0, dy) };
            walk.step(u_at(t_first), t_first + ys);
            // Here |s| < 1: the column moves by at most one per point, and
            // rarely. In t order it is monotone, so each change of column is
            // found from the line's equation (and checked against the exact
            // per-point formula), and only changes at a column centre are
            // looked for. A step's crossing depends on its two points only
            // through min(u) and min(v), so walking t backwards (flip) finds
            // the same crossings.
            let (u0, u1) = (u_at(0), u_at(dy));
            let rising = u1 >= u0;
            let (lo, hi) = if rising { (u0, u1) } else { (u1, u0) };
            let mut c = lo + (2 - lo).rem_euclid(5);
            while c < hi {
                // The first t whose column is past c (rising: >= c + 1; falling: <= c).
                let past = |t: i64| if rising { u_at(t) > c } else { u_at(t) <= c };
                // Estimate where the line reaches the column, then step to the exact
                // first point (the estimate is off by a point or two at most).
                let est = ((c as f64 + 0.5 - xs as f64) / s).ceil();
                let mut l = if est.is_finite() {
                    (est as i64).clamp(1, dy)
                } else {
                    dy
                };
                while l > 1 && past(l - 1) {
                    l -= 1;
                }
                while !past(l) {
                    l += 1;
                }
                walk.cross(c + 1, l - 1 + ys, c, l + ys);
                c += 5;
            }
            walk.prev = Some((u_at(t_last), t_last + ys));
        }
    }
    let mut a = walk.a;
    a.push(pixels);
    a.sort_unstable();
    // Positions to runs; a repeated position toggles twice, so its zero run
    // folds into the run before it.
    let mut counts: Vec<u32> = Vec::with_capacity(a.len());
    let mut prev = 0u64;
    let mut j = 0;
    let mut first = true;
    while j < a.len() {
        let run = (a[j] - prev) as u32;
        prev = a[j];
        j += 1;
        if first || run > 0 {
            counts.push(run);
            first = false;
        } else if j < a.len() {
            let next = (a[j] - prev) as u32;
            prev = a[j];
            j += 1;
            if let Some(last) = counts.last_mut() {
                *last += next;
            }
        }
    }
    Ok(counts)
}

/// The union of RLEs of one frame, as canonical counts.
pub fn union_counts(parts: &[Vec<u32>], pixels: u64) -> Vec<u32> {
    if parts.len() == 1 {
        return parts[0].clone();
    }
    // Every part's on intervals, merged.
    let mut spans: Vec<(u64, u64)> = Vec::new();
    for counts in parts {
        let mut pos = 0u64;
        for (i, &c) in counts.iter().enumerate() {
            let next = pos + u64::from(c);
            if i % 2 == 1 && c > 0 {
                spans.push((pos, next));
            }
            pos = next;
        }
    }
    spans.sort_unstable();
    let mut counts = Vec::new();
    let mut pos = 0u64;
    let mut cur: Option<(u64, u64)> = None;
    for (s, e) in spans {
        match cur {
            Some((cs, ce)) if s <= ce => cur = Some((cs, ce.max(e))),
            Some((cs, ce)) => {
                counts.push((cs - pos) as u32);
                counts.push((ce - cs) as u32);
                pos = ce;
                cur = Some((s, e));
            }
            None => cur = Some((s, e)),
        }
    }
    if let Some((cs, ce)) = cur {
        counts.push((cs - pos) as u32);
        counts.push((ce - cs) as u32);
        pos = ce;
    }
    if pos < pixels || counts.is_empty() {
        counts.push((pixels - pos) as u32);
    }
    counts
}

/// The mask of each annotation: the union of its polygons.
///
/// `coords` holds every polygon's `x, y` pairs; polygon `p` is
/// `coords[2 * point_offsets[p]..2 * point_offsets[p + 1]]`, annotation `i`
/// owns polygons `poly_offsets[i]..poly_offsets[i + 1]` and has frame
/// `sizes[i]`. Returns the concatenated counts and their offsets.
pub fn polygons_to_rles(
    coords: &[f64],
    point_offsets: &[usize],
    poly_offsets: &[usize],
    sizes: &[(usize, usize)],
) -> KernelResult<(Vec<u32>, Vec<usize>)> {
    let npoly = point_offsets.len().saturating_sub(1);
    check_offsets("point_offsets", point_offsets, coords.len() / 2)?;
    check_offsets("poly_offsets", poly_offsets, npoly)?;
    if sizes.len() + 1 != poly_offsets.len() {
        return Err(invalid(format!(
            "sizes has {} entries for {} annotations",
            sizes.len(),
            poly_offsets.len() - 1
        )));
    }
    let all: Vec<Vec<u32>> = (0..sizes.len())
        .into_par_iter()
        .map(|i| {
            let (h, w) = sizes[i];
            let pixels = rle::frame_pixels(h, w)?;
            let parts = (poly_offsets[i]..poly_offsets[i + 1])
                .map(|p| {
                    let xy = &coords[2 * point_offsets[p]..2 * point_offsets[p + 1]];
                    polygon_counts(xy, h, w)
                })
                .collect::<KernelResult<Vec<_>>>()?;
            if parts.is_empty() {
                return Err(invalid(format!("annotation {i} has no polygon")));
            }
            Ok(union_counts(&parts, pixels))
        })
        .collect::<KernelResult<_>>()?;
    Ok(flatten(all))
}

fn flatten(all: Vec<Vec<u32>>) -> (Vec<u32>, Vec<usize>) {
    let mut offsets = Vec::with_capacity(all.len() + 1);
    offsets.push(0);
    let mut flat = Vec::with_capacity(all.iter().map(Vec::len).sum());
    for c in all {
        flat.extend_from_slice(&c);
        offsets.push(flat.len());
    }
    (flat, offsets)
}

/// Decode many compressed RLE strings at once: `data[offsets[i]..offsets[i + 1]]` is string `i`.
pub fn rle_strings(data: &[u8], offsets: &[usize]) -> KernelResult<(Vec<u32>, Vec<usize>)> {
    check_offsets("offsets", offsets, data.len())?;
    let all = offsets
        .par_windows(2)
        .map(|w| rle::from_string(&data[w[0]..w[1]]))
        .collect::<KernelResult<Vec<_>>>()?;
    Ok(flatten(all))
}

/// Where [`gather_masks`] finds each mask: a pool of polygons (as for
/// [`polygons_to_rles`]), of compressed RLE strings (as for [`rle_strings`])
/// and of uncompressed counts (`list_counts[list_offsets[e]..list_offsets[e + 1]]`).
pub struct MaskPools<'a> {
    pub coords: &'a [f64],
    pub point_offsets: &'a [usize],
    pub poly_offsets: &'a [usize],
    pub str_data: &'a [u8],
    pub str_offsets: &'a [usize],
    pub list_counts: &'a [u32],
    pub list_offsets: &'a [usize],
}

/// Mask `i` of [`gather_masks`] is entry `entries[i]` of the polygon pool.
pub const FROM_POLYGONS: u8 = 0;
/// ... of the compressed RLE strings.
pub const FROM_STRING: u8 = 1;
/// ... of the uncompressed counts (copied as given).
pub const FROM_COUNTS: u8 = 2;

/// What [`gather_masks`] returns: the concatenated counts with their offsets,
/// and per mask the sum of its counts and its area (the sum of its odd runs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gathered {
    pub counts: Vec<u32>,
    pub offsets: Vec<usize>,
    pub sums: Vec<u64>,
    pub areas: Vec<u64>,
}

/// The masks `(kinds[i], entries[i])`, in that order, each in frame
/// `sizes[i]` (the frame polygons are drawn in; an RLE's own size otherwise),
/// made on rayon's threads. Sums are returned, not checked, so the caller can
/// name the mask whose counts do not cover its frame; of several bad masks,
/// the error is the first one's.
pub fn gather_masks(
    pools: &MaskPools<'_>,
    kinds: &[u8],
    entries: &[usize],
    sizes: &[(usize, usize)],
) -> KernelResult<Gathered> {
    let npoly = pools.point_offsets.len().saturating_sub(1);
    check_offsets("point_offsets", pools.point_offsets, pools.coords.len() / 2)?;
    check_offsets("poly_offsets", pools.poly_offsets, npoly)?;
    check_offsets("str_offsets", pools.str_offsets, pools.str_data.len())?;
    check_offsets("list_offsets", pools.list_offsets, pools.list_counts.len())?;
    if kinds.len() != entries.len() || kinds.len() != sizes.len() {
        return Err(invalid(
            "kinds, entries and sizes must have one entry per mask".into(),
        ));
    }
    let range = |offsets: &[usize], e: usize| -> KernelResult<(usize, usize)> {
        match (offsets.get(e), offsets.get(e + 1)) {
            (Some(&a), Some(&b)) => Ok((a, b)),
            _ => Err(invalid(format!(
                "entry {e} is outside its pool of {}",
                offsets.len().saturating_sub(1)
            ))),
        }
    };
    let one = |i: usize| -> KernelResult<Vec<u32>> {
        let (h, w) = sizes[i];
        match kinds[i] {
            FROM_POLYGONS => {
                let pixels = rle::frame_pixels(h, w)?;
                let (a, b) = range(pools.poly_offsets, entries[i])?;
                let parts = (a..b)
                    .map(|p| {
                        let xy = &pools.coords
                            [2 * pools.point_offsets[p]..2 * pools.point_offsets[p + 1]];
                        polygon_counts(xy, h, w)
                    })
                    .collect::<KernelResult<Vec<_>>>()?;
                if parts.is_empty() {
                    return Err(invalid(format!("mask {i} has no polygon")));
                }
                Ok(union_counts(&parts, pixels))
            }
            FROM_STRING => {
                let (a, b) = range(pools.str_offsets, entries[i])?;
                rle::from_string(&pools.str_data[a..b])
            }
            FROM_COUNTS => {
                let (a, b) = range(pools.list_offsets, entries[i])?;
                Ok(pools.list_counts[a..b].to_vec())
            }
            k => Err(invalid(format!("mask kind {k} is not 0, 1 or 2"))),
        }
    };
    let all: Vec<KernelResult<Vec<u32>>> = (0..kinds.len()).into_par_iter().map(one).collect();
    let mut masks = Vec::with_capacity(all.len());
    for m in all {
        masks.push(m?);
    }
    let sums = masks
        .iter()
        .map(|c| c.iter().map(|&v| u64::from(v)).sum())
        .collect();
    let areas = masks
        .iter()
        .map(|c| c.iter().skip(1).step_by(2).map(|&v| u64::from(v)).sum())
        .collect();
    let (counts, offsets) = flatten(masks);
    Ok(Gathered {
        counts,
        offsets,
        sums,
        areas,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(counts: &[u32], h: usize, w: usize) -> Vec<bool> {
        rle::decode(&Rle::new(counts, h, w).unwrap()).unwrap()
    }

    #[test]
    fn square_polygon_covers_its_pixels() {
        // The box [1, 1, 2, 2] as a polygon in a 4x4 frame covers pixels 1..3.
        let c = polygon_counts(&[1.0, 1.0, 1.0, 3.0, 3.0, 3.0, 3.0, 1.0], 4, 4).unwrap();
        let m = decode(&c, 4, 4);
        let on: Vec<usize> = (0..16).filter(|&i| m[i]).collect();
        // Column-major: (x=1, y=1..2) and (x=2, y=1..2).
        assert_eq!(on, vec![5, 6, 9, 10]);
    }

    #[test]
    fn union_merges_overlapping_parts() {
        let u = union_counts(&[vec![1, 2, 3], vec![2, 3, 1]], 6);
        assert_eq!(u, vec![1, 4, 1]);
        assert_eq!(union_counts(&[vec![6], vec![6]], 6), vec![6]);
    }

    #[test]
    fn crowd_and_order_follow_coco() {
        let gt = [[0.0, 0.0, 10.0, 10.0], [0.0, 0.0, 10.0, 10.0]];
        let dt = [[0.0, 0.0, 10.0, 10.0], [0.0, 0.0, 10.0, 9.0]];
        let input = MatchInput {
            gt_offsets: &[0, 2],
            dt_offsets: &[0, 2],
            gt: Regions::Boxes(&gt),
            dt: Regions::Boxes(&dt),
            gt_area: &[100.0, 100.0],
            gt_crowd: &[false, false],
            gt_id_nonzero: &[true, true],
            dt_area: &[100.0, 90.0],
            iou_thrs: &[0.5],
            area_rng: &[[0.0, 1e10]],
        };
        let m = match_groups(&input).unwrap();
        // Equal IoUs: the later ground truth wins; the second detection takes the other.
        assert_eq!(m.dt_gt, vec![1, 0]);
        assert_eq!(m.dt_ignore, vec![false, false]);
    }

    #[test]
    fn gathered_masks_follow_the_order_asked() {
        let pools = MaskPools {
            coords: &[1.0, 1.0, 1.0, 3.0, 3.0, 3.0, 3.0, 1.0],
            point_offsets: &[0, 4],
            poly_offsets: &[0, 1],
            str_data: b"",
            str_offsets: &[0],
            list_counts: &[0, 0, 4, 12],
            list_offsets: &[0, 4],
        };
        let g = gather_masks(
            &pools,
            &[FROM_COUNTS, FROM_POLYGONS],
            &[0, 0],
            &[(4, 4), (4, 4)],
        )
        .unwrap();
        let square = polygon_counts(pools.coords, 4, 4).unwrap();
        assert_eq!(&g.counts[..4], &[0, 0, 4, 12]);
        assert_eq!(&g.counts[4..], square.as_slice());
        assert_eq!(g.sums, vec![16, 16]);
        assert_eq!(g.areas, vec![12, 4]);
        assert!(gather_masks(&pools, &[FROM_STRING], &[0], &[(4, 4)]).is_err());
    }

    #[test]
    fn bad_offsets_are_errors() {
        let input = MatchInput {
            gt_offsets: &[0, 3],
            dt_offsets: &[0, 0],
            gt: Regions::Boxes(&[]),
            dt: Regions::Boxes(&[]),
            gt_area: &[],
            gt_crowd: &[],
            gt_id_nonzero: &[],
            dt_area: &[],
            iou_thrs: &[0.5],
            area_rng: &[[0.0, 1.0]],
        };
        assert!(match_groups(&input).is_err());
    }
}
