"""pycocotools' ``accumulate``, the NumPy twin of ``rust/accumulate.rs``.

Vectorised per category over every (maxDets, area range, IoU threshold)
column at once. A detection beyond a column's ``maxDets`` stays in the column
with no true- or false-positive increment: the cumulative counts of the
others, their precision and its upper envelope are then exactly those of
pycocotools' shorter list, and the recall search lands on kept rows.

>>> p, r, s = eval_accumulate(np.array([0, 2]), np.array([0, 1]), np.array([0.9, 0.8]),
...                           np.array([[[True]], [[False]]]), np.array([[[False]], [[True]]]),
...                           np.array([[1]]), np.array([10]), np.array([0.0, 1.0]))
>>> r.ravel().tolist(), s.ravel().tolist()
([1.0], [0.9, 0.9])
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from gemini_vision.errors import KernelInputError

__all__ = ["eval_accumulate"]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

_EPS = np.spacing(1)


def _needed_tp(npig: I64, rec_thrs: F64) -> I64:
    """``(K, A, R)``: the fewest true positives ``c`` with ``c / npig >= r``, in float64.

    pycocotools searches the recall ``tp / npig`` for each recall threshold;
    recall rises with ``tp`` (an integer), so the same search runs exactly on
    the integers, for every IoU threshold at once.
    """
    n = np.maximum(npig, 1).astype(np.float64)[..., None]
    r = np.asarray(rec_thrs, dtype=np.float64)[None, None, :]
    c = np.maximum(np.ceil(r * n), 0)
    for _ in range(3):  # the float product is off by at most one either way
        c = np.where((c > 0) & ((c - 1) / n >= r), c - 1, c)
        c = np.where(c / n < r, c + 1, c)
    return c.astype(np.int64)


def _first_reaching(tp: I64, need: I64, nd: int) -> I64:
    """``(C, R)``: per column ``c`` of ``tp`` (``(nd, C)``, rising), the first row reaching
    ``need[c, r]``.

    One ``searchsorted`` for every column: column ``c`` is shifted into its own band
    ``[c * (nd + 2), c * (nd + 2) + nd + 1]`` of the integers, so all stay sorted.
    """
    n_c = tp.shape[1]
    band = nd + 2
    offs = np.arange(n_c, dtype=np.int64) * band
    hay = (tp.T + offs[:, None]).ravel()
    queries = (np.minimum(need, nd + 1) + offs[:, None]).ravel()
    idx = np.searchsorted(hay, queries, side="left").reshape(n_c, -1)
    return idx - (np.arange(n_c) * nd)[:, None]


def eval_accumulate(
    cat_offsets: I64,
    rank: I64,
    score: F64,
    tp: npt.NDArray[np.bool_],
    fp: npt.NDArray[np.bool_],
    npig: I64,
    max_dets: I64,
    rec_thrs: F64,
) -> tuple[F64, F64, F64]:
    """``(precision, recall, scores)`` of pycocotools' ``accumulate`` (see ``rust/accumulate.rs``).

    Detections come grouped by category (``cat_offsets``) in pycocotools' order;
    ``tp`` and ``fp`` are ``(D, A, T)``, ``npig`` is ``(K, A)``.
    """
    if tp.ndim != 3 or fp.shape != tp.shape:
        raise KernelInputError("tp and fp must have the same shape (D, A, T)")
    n_d, n_a, n_t = tp.shape
    if np.ndim(npig) != 2 or np.shape(npig)[1] != n_a:
        raise KernelInputError("npig and tp must have as many area ranges")
    n_k = np.shape(npig)[0]
    bounds = np.asarray(cat_offsets, dtype=np.int64)
    if (
        len(bounds) != n_k + 1
        or bounds[0] != 0
        or bounds[-1] != n_d
        or np.any(np.diff(bounds) < 0)
        or len(rank) != n_d
        or len(score) != n_d
    ):
        raise KernelInputError(f"cat_offsets must rise from 0 to {n_d} (one more than categories)")
    n_r, n_m = len(rec_thrs), len(max_dets)
    precision = -np.ones((n_t, n_r, n_k, n_a, n_m))
    recall = -np.ones((n_t, n_k, n_a, n_m))
    scores = -np.ones((n_t, n_r, n_k, n_a, n_m))
    needed = _needed_tp(npig, rec_thrs)  # (K, A, R)
    max_dets = np.asarray(max_dets, dtype=np.int64)
    n_c = n_m * n_a * n_t
    col_m = np.repeat(np.arange(n_m), n_a * n_t)
    cols = np.arange(n_c)[:, None]
    for k in range(n_k):
        live = npig[k] > 0
        if not live.any():
            continue
        s, e = int(bounds[k]), int(bounds[k + 1])
        nd = e - s
        if nd == 0:
            recall[:, k, live, :] = 0
            precision[:, :, k, live, :] = 0
            scores[:, :, k, live, :] = 0
            continue
        kept = rank[s:e, None] < max_dets[None, :]  # (nd, M)
        tp5 = tp[s:e, None, :, :] & kept[:, :, None, None]  # (nd, M, A, T)
        fp5 = fp[s:e, None, :, :] & kept[:, :, None, None]
        tp_int = np.cumsum(tp5.reshape(nd, n_c), axis=0, dtype=np.int64)
        tps = tp_int.astype(float)
        fps = np.cumsum(fp5.reshape(nd, n_c), axis=0).astype(float)
        pr = tps / (fps + tps + _EPS)
        env = np.maximum.accumulate(pr[::-1], axis=0)[::-1]
        rec = tps[-1].reshape(n_m, n_a, n_t) / np.where(live, npig[k], 1)[None, :, None]
        need = np.broadcast_to(needed[k][None, :, None, :], (n_m, n_a, n_t, n_r)).reshape(n_c, n_r)
        idx = _first_reaching(tp_int, need, nd)
        # The first kept row at or after each row (nd if none), per maxDets.
        pos = np.where(kept, np.arange(nd)[:, None], nd)
        nxt = np.vstack([np.minimum.accumulate(pos[::-1], axis=0)[::-1], np.full((1, n_m), nd)])
        j = nxt[np.minimum(idx, nd), col_m[:, None]]
        valid = j < nd
        jj = np.minimum(j, nd - 1)
        prec = np.where(valid, env[jj, cols], 0.0).reshape(n_m, n_a, n_t, n_r)
        sc = np.where(valid, score[s:e][jj], 0.0).reshape(n_m, n_a, n_t, n_r)
        precision[:, :, k, live, :] = prec.transpose(2, 3, 1, 0)[:, :, live, :]
        scores[:, :, k, live, :] = sc.transpose(2, 3, 1, 0)[:, :, live, :]
        recall[:, k, live, :] = rec.transpose(2, 1, 0)[:, live, :]
    return precision, recall, scores
