//! Running independent work on a bounded number of threads, and bounding how many
//! threads do one thing at once.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};

use crate::limits::STACK_BYTES;

/// Locks `mutex`, taking the value over from a thread that panicked while holding it.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// The number of CPUs this process may use: the parallelism of work that only computes.
/// Asked once per process: the standard library reads the control groups' files on every
/// call, and the walk asks for every batch.
pub fn cpus() -> usize {
    static CPUS: OnceLock<usize> = OnceLock::new();
    *CPUS.get_or_init(|| std::thread::available_parallelism().map_or(1, usize::from))
}

/// Runs `work` on every item with at most `parallelism` threads (the calling one and
/// others with its stack of [`STACK_BYTES`], as deep evaluation needs; when no more can be
/// started, fewer); results keep the items' order.
pub fn run_parallel<T: Sync, R: Send>(
    parallelism: usize,
    items: &[T],
    work: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    let threads = parallelism.max(1).min(items.len());
    let worker = || {
        loop {
            let i = next.fetch_add(1, Ordering::SeqCst);
            let Some(item) = items.get(i) else { break };
            let r = work(item);
            lock(&results)[i] = Some(r);
        }
    };
    std::thread::scope(|scope| {
        for _ in 1..threads {
            let spawned = std::thread::Builder::new()
                .stack_size(STACK_BYTES)
                .spawn_scoped(scope, worker);
            if spawned.is_err() {
                break;
            }
        }
        worker();
    });
    results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .map(|r| r.expect("every item was processed"))
        .collect()
}

/// Drops `value` on a thread of its own, so that a command that has done its work need not
/// wait for a large plan or state to be freed (a process that exits meanwhile skips it).
pub fn drop_in_background<T: Send + 'static>(value: T) {
    let _ = std::thread::Builder::new()
        .name("ycprov-drop".into())
        .spawn(move || drop(value));
}

/// Runs `work` on runs of consecutive items that `together` accepts as a pair (with the
/// run's first item), each run at most `max_run` long and no longer than it takes to
/// give every one of `parallelism` threads work; `work` returns one result per item of
/// its run. Results keep the items' order.
pub fn run_parallel_runs<T: Sync, R: Send>(
    parallelism: usize,
    items: &[T],
    max_run: usize,
    together: impl Fn(&T, &T) -> bool,
    work: impl Fn(&[T]) -> Vec<R> + Sync,
) -> Vec<R> {
    let size = items
        .len()
        .div_ceil(parallelism.max(1))
        .clamp(1, max_run.max(1));
    let mut runs: Vec<&[T]> = Vec::new();
    let mut start = 0;
    for i in 1..=items.len() {
        if i == items.len() || i - start == size || !together(&items[start], &items[i]) {
            runs.push(&items[start..i]);
            start = i;
        }
    }
    run_parallel(parallelism, &runs, |run| {
        let results = work(run);
        assert_eq!(results.len(), run.len(), "one result per item of a run");
        results
    })
    .into_iter()
    .flatten()
    .collect()
}

/// [`run_parallel_runs`] with any items in a run: `work` takes runs of at most `max_run`
/// consecutive items and returns one result per item; results keep the items' order.
pub fn in_runs<T: Sync, R: Send>(
    parallelism: usize,
    items: &[T],
    max_run: usize,
    work: impl Fn(&[T]) -> Vec<R> + Sync,
) -> Vec<R> {
    run_parallel_runs(parallelism, items, max_run, |_, _| true, work)
}

/// Runs `work` on every item, in runs of at most `max_run` consecutive items per thread
/// hand-out (see [`in_runs`]); results keep the items' order.
pub fn map_in_runs<T: Sync, R: Send>(
    parallelism: usize,
    items: &[T],
    max_run: usize,
    work: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    in_runs(parallelism, items, max_run, |run| {
        run.iter().map(&work).collect()
    })
}

/// A counting semaphore: at most `n` holders of a permit at once.
pub struct Permits {
    free: Mutex<usize>,
    freed: Condvar,
}

/// A held permit; dropping it gives it back.
pub struct Permit<'a> {
    permits: &'a Permits,
}

impl Permits {
    /// `n` permits (at least one).
    pub fn new(n: usize) -> Permits {
        Permits {
            free: Mutex::new(n.max(1)),
            freed: Condvar::new(),
        }
    }

    fn free(&self) -> MutexGuard<'_, usize> {
        lock(&self.free)
    }

    /// Waits for a free permit and takes it.
    pub fn acquire(&self) -> Permit<'_> {
        let mut free = self.free();
        while *free == 0 {
            free = self.freed.wait(free).unwrap_or_else(|e| e.into_inner());
        }
        *free -= 1;
        Permit { permits: self }
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        *self.permits.free() += 1;
        self.permits.freed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_and_bounds_threads() {
        let active = AtomicUsize::new(0);
        let max = AtomicUsize::new(0);
        let items: Vec<u64> = (0..20).collect();
        let out = run_parallel(3, &items, |i| {
            let now = active.fetch_add(1, Ordering::SeqCst) + 1;
            max.fetch_max(now, Ordering::SeqCst);
            std::thread::sleep(std::time::Duration::from_millis(2));
            active.fetch_sub(1, Ordering::SeqCst);
            i * 2
        });
        assert_eq!(out, items.iter().map(|i| i * 2).collect::<Vec<_>>());
        assert!(max.load(Ordering::SeqCst) <= 3);
    }

    #[test]
    fn runs_share_a_key_fit_the_threads_and_keep_order() {
        /// Items as (key, value), threads, the longest run, and the runs `work` sees.
        type Case<'a> = (&'a [(char, u32)], usize, usize, &'a [&'a [u32]]);
        let cases: &[Case] = &[
            (&[], 4, 8, &[]),
            (&[('a', 1)], 4, 8, &[&[1]]),
            (
                &[('a', 1), ('a', 2), ('a', 3), ('a', 4)],
                2,
                8,
                &[&[1, 2], &[3, 4]],
            ),
            (
                &[('a', 1), ('a', 2), ('a', 3), ('a', 4)],
                1,
                3,
                &[&[1, 2, 3], &[4]],
            ),
            (
                &[('a', 1), ('b', 2), ('b', 3), ('a', 4)],
                1,
                8,
                &[&[1], &[2, 3], &[4]],
            ),
        ];
        for &(items, threads, max_run, expected) in cases {
            let seen = Mutex::new(Vec::new());
            let out = run_parallel_runs(
                threads,
                items,
                max_run,
                |a, b| a.0 == b.0,
                |run| {
                    seen.lock()
                        .unwrap()
                        .push(run.iter().map(|(_, v)| *v).collect::<Vec<_>>());
                    run.iter().map(|(_, v)| v * 10).collect()
                },
            );
            let mut seen = seen.into_inner().unwrap();
            seen.sort();
            let expected: Vec<Vec<u32>> = expected.iter().map(|r| r.to_vec()).collect();
            assert_eq!(seen, expected, "runs of {items:?}");
            let values: Vec<u32> = items.iter().map(|(_, v)| v * 10).collect();
            assert_eq!(out, values, "results of {items:?} in order");
        }
    }

    #[test]
    fn permits_bound_the_holders_and_come_back_when_dropped() {
        let permits = Permits::new(2);
        let active = AtomicUsize::new(0);
        let max = AtomicUsize::new(0);
        let items: Vec<u64> = (0..12).collect();
        run_parallel(6, &items, |_| {
            let _permit = permits.acquire();
            let now = active.fetch_add(1, Ordering::SeqCst) + 1;
            max.fetch_max(now, Ordering::SeqCst);
            std::thread::sleep(std::time::Duration::from_millis(3));
            active.fetch_sub(1, Ordering::SeqCst);
        });
        assert_eq!(max.load(Ordering::SeqCst), 2);
        assert_eq!(*permits.free(), 2);
    }
}
