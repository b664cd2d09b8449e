//! Where the kernels that spread work over threads run it: rayon's global
//! pool for "every core", or a pool of the caller's size that is built once
//! and kept for the next call.
//!
//! # Theory of operation
//!
//! Building a rayon pool starts its threads, and dropping it joins them: tens
//! of microseconds a call, and every buffer a thread kept (its
//! [`crate::pipeline::Scratch`]) goes with it. The batch path calls its
//! kernels once per chunk of records, many times a second, so a pool per call
//! was a serial cost on every chunk. The pools are kept here by size, a few at
//! most; a pool that cannot be built (no threads to be had) leaves the work to
//! the calling thread.

use std::sync::{Arc, Mutex, PoisonError};

use rayon::prelude::*;
use rayon::{ThreadPool, ThreadPoolBuilder};

/// Pools kept, by thread count, oldest first.
static POOLS: Mutex<Vec<(usize, Arc<ThreadPool>)>> = Mutex::new(Vec::new());

/// Sizes kept at once: callers use one or two; a new size beyond this drops the oldest.
const KEPT: usize = 4;

/// The kept pool of `threads` threads (`threads` >= 2), built on first use.
fn sized(threads: usize) -> Option<Arc<ThreadPool>> {
    // A panic elsewhere while the lock was held leaves the list itself intact.
    let mut pools = POOLS.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((_, pool)) = pools.iter().find(|(n, _)| *n == threads) {
        return Some(Arc::clone(pool));
    }
    let pool = ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("gemini-vision-{i}"))
        .build()
        .ok()?;
    let pool = Arc::new(pool);
    if pools.len() >= KEPT {
        // A caller still running in it holds its own Arc: the pool ends after that call.
        pools.remove(0);
    }
    pools.push((threads, Arc::clone(&pool)));
    Some(pool)
}

/// Run `f` where its rayon work gets `threads` threads: 0 for rayon's global
/// pool (every core), 1 for the calling thread only, more for a kept pool of
/// that size.
pub fn install<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> R {
    match threads {
        0 => f(),
        1 => match sized(1) {
            // One worker: rayon's jobs run there in order, one at a time.
            Some(pool) => pool.install(f),
            None => f(),
        },
        n => match sized(n) {
            Some(pool) => pool.install(f),
            // No threads to be had: the global pool gives the same results.
            None => f(),
        },
    }
}

/// `f` of every item, results in the items' order, on `threads` threads (as
/// [`install`]; 1 runs them in order on the calling thread). Items are handed
/// out one at a time, so a slow one never holds others back.
///
/// ```
/// let squares = _rust::pool::map(2, &[1, 2, 3], |x| x * x);
/// assert_eq!(squares, vec![1, 4, 9]);
/// ```
pub fn map<T, R, F>(threads: usize, items: &[T], f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync + Send,
{
    if threads == 1 || items.len() <= 1 {
        return items.iter().map(f).collect();
    }
    install(threads, || {
        items.par_iter().with_max_len(1).map(f).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pools_are_kept_by_size_and_results_stay_in_order() {
        let items: Vec<u64> = (0..100).collect();
        for threads in [0, 1, 2, 3, 2] {
            let out = map(threads, &items, |x| x * 3);
            assert_eq!(out, items.iter().map(|x| x * 3).collect::<Vec<_>>());
        }
        let a = sized(2).map(|p| Arc::as_ptr(&p));
        let b = sized(2).map(|p| Arc::as_ptr(&p));
        assert_eq!(a, b, "the same pool twice");
        assert_eq!(install(3, rayon::current_num_threads), 3);
    }

    #[test]
    fn no_more_than_kept_sizes_stay() {
        for threads in 2..(2 + KEPT + 3) {
            assert_eq!(install(threads, rayon::current_num_threads), threads);
        }
        let kept = POOLS.lock().unwrap_or_else(PoisonError::into_inner).len();
        assert!(kept <= KEPT);
    }
}
