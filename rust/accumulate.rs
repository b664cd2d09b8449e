//! pycocotools' `COCOeval.accumulate`: precision, recall and score tables
//! from the per-detection outcome of the matching.
//!
//! # Theory of operation
//!
//! For each category `k`, area range `a` and `maxDets` entry `m`, pycocotools
//! takes the category's detections (each image's best `maxDets`, all images
//! concatenated, then stably sorted by score), and for each IoU threshold
//! counts true and false positives cumulatively (detections it ignores count
//! as neither), turns them into recall `tp / npig` and precision
//! `tp / (fp + tp + eps)`, makes precision non-increasing from the right, and
//! reads it at the first detection whose recall reaches each recall
//! threshold. The caller hands the detections already in that order, grouped
//! by category, with their rank inside their image; a detection whose rank is
//! not below `maxDets[m]` is simply left out of column `m`. Everything here is
//! the same float operations in the same order as pycocotools' NumPy code, so
//! the tables are equal to the last bit. Categories are independent and run
//! on rayon's threads.

use rayon::prelude::*;

use crate::error::{KernelError, KernelResult};

/// What [`accumulate`] reads. `tp` and `fp` are `[detection][area][threshold]`;
/// `npig` is `[category][area]` (the ground truths that count).
pub struct AccumulateInput<'a> {
    /// Detections of category `k` are `cat_offsets[k]..cat_offsets[k + 1]`.
    pub cat_offsets: &'a [usize],
    pub rank: &'a [i64],
    pub score: &'a [f64],
    pub tp: &'a [bool],
    pub fp: &'a [bool],
    pub npig: &'a [i64],
    pub max_dets: &'a [i64],
    pub rec_thrs: &'a [f64],
    pub n_areas: usize,
    pub n_thrs: usize,
}

/// The tables, C order: precision and scores `(T, R, K, A, M)`, recall `(T, K, A, M)`;
/// -1 where a category has no ground truth in an area range.
#[derive(Debug, Clone, PartialEq)]
pub struct Accumulated {
    pub precision: Vec<f64>,
    pub recall: Vec<f64>,
    pub scores: Vec<f64>,
}

fn invalid(msg: String) -> KernelError {
    KernelError::InvalidArgument(msg)
}

impl AccumulateInput<'_> {
    fn check(&self) -> KernelResult<()> {
        let nd = self.rank.len();
        let n_k = self.cat_offsets.len().saturating_sub(1);
        let cells = nd.checked_mul(self.n_areas * self.n_thrs);
        if self.score.len() != nd || Some(self.tp.len()) != cells || Some(self.fp.len()) != cells {
            return Err(invalid(
                "rank, score, tp and fp must describe the same detections".into(),
            ));
        }
        if self.npig.len() != n_k * self.n_areas {
            return Err(invalid(format!(
                "npig must have shape ({n_k}, {})",
                self.n_areas
            )));
        }
        if self.cat_offsets.first() != Some(&0)
            || self.cat_offsets.last() != Some(&nd)
            || self.cat_offsets.windows(2).any(|w| w[0] > w[1])
        {
            return Err(invalid(format!(
                "cat_offsets must rise from 0 to {nd} (one more entry than categories)"
            )));
        }
        Ok(())
    }
}

/// One category's tables, `[t][r][a][m]` and `[t][a][m]`.
struct Block {
    precision: Vec<f64>,
    recall: Vec<f64>,
    scores: Vec<f64>,
}

fn category(input: &AccumulateInput<'_>, k: usize) -> Block {
    let (na, nt, nm, nr) = (
        input.n_areas,
        input.n_thrs,
        input.max_dets.len(),
        input.rec_thrs.len(),
    );
    let mut b = Block {
        precision: vec![-1.0; nt * nr * na * nm],
        recall: vec![-1.0; nt * na * nm],
        scores: vec![-1.0; nt * nr * na * nm],
    };
    let (s, e) = (input.cat_offsets[k], input.cat_offsets[k + 1]);
    let sorted = input.rec_thrs.windows(2).all(|w| w[0] <= w[1]);
    let mut rc = Vec::new();
    let mut pr = Vec::new();
    for m in 0..nm {
        let kept: Vec<usize> = (s..e)
            .filter(|&d| input.rank[d] < input.max_dets[m])
            .collect();
        let nd = kept.len();
        for a in 0..na {
            let npig = input.npig[k * na + a];
            if npig == 0 {
                continue;
            }
            for t in 0..nt {
                rc.clear();
                pr.clear();
                let (mut tp, mut fp) = (0u64, 0u64);
                for &d in &kept {
                    let cell = (d * na + a) * nt + t;
                    tp += u64::from(input.tp[cell]);
                    fp += u64::from(input.fp[cell]);
                    let (tpf, fpf) = (tp as f64, fp as f64);
                    rc.push(tpf / npig as f64);
                    pr.push(tpf / (fpf + tpf + f64::EPSILON));
                }
                b.recall[(t * na + a) * nm + m] = rc.last().copied().unwrap_or(0.0);
                for i in (1..nd).rev() {
                    if pr[i] > pr[i - 1] {
                        pr[i - 1] = pr[i];
                    }
                }
                for r in 0..nr {
                    let cell = ((t * nr + r) * na + a) * nm + m;
                    b.precision[cell] = 0.0;
                    b.scores[cell] = 0.0;
                }
                let mut pi = 0;
                for (r, &thr) in input.rec_thrs.iter().enumerate() {
                    // NumPy's searchsorted(side="left"): the first recall reaching
                    // thr (a forward walk while the thresholds rise, as they do
                    // by default); pycocotools stops at the first threshold no
                    // detection reaches.
                    if sorted {
                        while pi < nd && rc[pi] < thr {
                            pi += 1;
                        }
                    } else {
                        pi = rc.partition_point(|&v| v < thr);
                    }
                    if pi >= nd {
                        break;
                    }
                    let cell = ((t * nr + r) * na + a) * nm + m;
                    b.precision[cell] = pr[pi];
                    b.scores[cell] = input.score[kept[pi]];
                }
            }
        }
    }
    b
}

/// pycocotools' `accumulate` (see the module documentation).
pub fn accumulate(input: &AccumulateInput<'_>) -> KernelResult<Accumulated> {
    input.check()?;
    let n_k = input.cat_offsets.len() - 1;
    let (na, nt, nm, nr) = (
        input.n_areas,
        input.n_thrs,
        input.max_dets.len(),
        input.rec_thrs.len(),
    );
    let blocks: Vec<Block> = (0..n_k)
        .into_par_iter()
        .map(|k| category(input, k))
        .collect();
    let mut out = Accumulated {
        precision: vec![-1.0; nt * nr * n_k * na * nm],
        recall: vec![-1.0; nt * n_k * na * nm],
        scores: vec![-1.0; nt * nr * n_k * na * nm],
    };
    let am = na * nm;
    for (k, b) in blocks.iter().enumerate() {
        for tr in 0..nt * nr {
            let to = (tr * n_k + k) * am;
            out.precision[to..to + am].copy_from_slice(&b.precision[tr * am..(tr + 1) * am]);
            out.scores[to..to + am].copy_from_slice(&b.scores[tr * am..(tr + 1) * am]);
        }
        for t in 0..nt {
            let to = (t * n_k + k) * am;
            out.recall[to..to + am].copy_from_slice(&b.recall[t * am..(t + 1) * am]);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_category_by_hand() {
        // Three detections: hit, miss, hit; two ground truths; one threshold.
        let input = AccumulateInput {
            cat_offsets: &[0, 3],
            rank: &[0, 1, 0],
            score: &[0.9, 0.8, 0.7],
            tp: &[true, false, true],
            fp: &[false, true, false],
            npig: &[2],
            max_dets: &[1, 10],
            rec_thrs: &[0.0, 0.5, 1.0],
            n_areas: 1,
            n_thrs: 1,
        };
        let r = accumulate(&input).unwrap();
        // maxDets 1 keeps detections 0 and 2 (rank 0): both hits, recall 1.
        // maxDets 10: precision 1, 1/2, 2/3 -> envelope 1, 2/3, 2/3.
        let eps = f64::EPSILON;
        assert_eq!(r.recall, vec![1.0, 1.0]);
        assert_eq!(r.precision[0..2], [2.0 / (2.0 + eps), 1.0 / (1.0 + eps)]);
        let two_thirds = 2.0 / (3.0 + eps);
        assert_eq!(r.precision[4..6], [2.0 / (2.0 + eps), two_thirds]);
        assert_eq!(r.scores[4..6], [0.7, 0.7]);
    }

    #[test]
    fn no_ground_truth_stays_minus_one() {
        let input = AccumulateInput {
            cat_offsets: &[0, 1],
            rank: &[0],
            score: &[0.5],
            tp: &[false],
            fp: &[true],
            npig: &[0],
            max_dets: &[1],
            rec_thrs: &[0.0],
            n_areas: 1,
            n_thrs: 1,
        };
        let r = accumulate(&input).unwrap();
        assert_eq!((r.precision, r.recall), (vec![-1.0], vec![-1.0]));
    }
}
