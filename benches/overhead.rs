//! Speed and scale, measured side by side in one run:
//!
//! 1. harness overhead: `check` against a plain hand loop of 2n central
//!    differences of the same cost, n = 10 … 10,000, and the peak extra
//!    memory the check allocates;
//! 2. the same on the main example's network (231 parameters, 353 rows);
//! 3. the parallel first pass against the sequential one on a cost of
//!    about 1 ms (build with `--features rayon` for threads);
//! 4. random-projection mode with one wrong entry among 10⁴ … 10⁶;
//! 5. the `finitediff` crate's central differences of the same costs.
//!
//! Run with `cargo bench --bench overhead` (add `--features rayon` for 3).
//! Figures are medians of repeated runs; the machine is shared and noisy.

// The costs take `&Vec<f64>` because `Vec<f64>` is the checked type.
#![allow(clippy::ptr_arg)]

#[path = "../examples/neural_network/network.rs"]
#[allow(dead_code)]
mod network;

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use gradcheck::projection::{check_projected, ProjectionConfig};
use gradcheck::{check, check_parallel, Config, Init, Verdict};

/// Counts live and peak heap bytes.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Median wall time of `runs` calls of `f`, in seconds.
fn median(runs: usize, mut f: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[runs / 2]
}

/// Median times of `a` and `b` over `runs` interleaved runs, so that load
/// on the shared machine hits both alike.
fn paired(runs: usize, mut a: impl FnMut(), mut b: impl FnMut()) -> (f64, f64) {
    let (mut ta, mut tb) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        ta.push(median(1, &mut a));
        tb.push(median(1, &mut b));
    }
    let mid = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    (mid(ta), mid(tb))
}

/// A cheap O(n) cost with its gradient: Σ cᵢ sin θᵢ + ½(Σ θᵢ)².
fn separable(t: &Vec<f64>) -> (f64, Vec<f64>) {
    let sum: f64 = t.iter().sum();
    let j = t
        .iter()
        .enumerate()
        .map(|(i, x)| (1.0 + (i % 5) as f64) * x.sin())
        .sum::<f64>()
        + 0.5 * sum * sum;
    let g = t
        .iter()
        .enumerate()
        .map(|(i, x)| (1.0 + (i % 5) as f64) * x.cos() + sum)
        .collect();
    (j, g)
}

/// 2n central differences by hand, in place, as a reference.
fn hand_loop<P: Clone>(
    theta: &P,
    n: usize,
    get: impl Fn(&P, usize) -> f64,
    set: impl Fn(&mut P, usize, f64),
    cost: impl Fn(&P) -> f64,
) -> Vec<f64> {
    let mut t = theta.clone();
    (0..n)
        .map(|i| {
            let x = get(&t, i);
            let h = 1e-4 * x.abs().max(1.0);
            set(&mut t, i, x + h);
            let fp = cost(&t);
            set(&mut t, i, x - h);
            let fm = cost(&t);
            set(&mut t, i, x);
            (fp - fm) / (2.0 * h)
        })
        .collect()
}

fn overhead() {
    println!("1. harness overhead: check() against a hand loop of 2n central differences");
    println!(
        "   (where plain differences cannot reach tol = 1e-9, check() refines: more evaluations)"
    );
    println!(
        "{:>8} {:>14} {:>14} {:>8} {:>10} {:>12} {:>18}",
        "n", "hand loop", "check()", "ratio", "verdict", "evaluations", "peak extra memory"
    );
    for n in [10usize, 100, 1_000, 10_000] {
        let theta = Init::Uniform(1.0).sample_vec(&[n], 1);
        let runs = if n >= 10_000 { 5 } else { 15 };
        let reps = (100_000 / (n * n)).max(1);
        let mut verdict = Verdict::Fail;
        let mut evaluations = 0;
        let (hand, harness) = paired(
            runs,
            || {
                for _ in 0..reps {
                    black_box(hand_loop(
                        &theta,
                        n,
                        |t, i| t[i],
                        |t, i, v| t[i] = v,
                        |t| separable(t).0,
                    ));
                }
            },
            || {
                for _ in 0..reps {
                    let report = black_box(check(&theta, separable, &Config::new()));
                    verdict = report.verdict;
                    evaluations = report.evaluations;
                }
            },
        );
        let (hand, harness) = (hand / reps as f64, harness / reps as f64);
        let before = LIVE.load(Ordering::Relaxed);
        PEAK.store(before, Ordering::Relaxed);
        black_box(check(&theta, separable, &Config::new()));
        let extra = PEAK.load(Ordering::Relaxed) - before;
        println!(
            "{n:>8} {:>12.3} ms {:>12.3} ms {:>8.3} {:>10} {:>12} {:>9} B = {:.1} x θ",
            hand * 1e3,
            harness * 1e3,
            harness / hand,
            verdict.to_string(),
            evaluations,
            extra,
            extra as f64 / (8 * n) as f64
        );
    }
}

fn network_overhead() {
    println!("\n2. the main example's network (231 parameters, diabetes data)");
    let data = network::diabetes(0.8);
    let (x, y) = (&data.x_train, &data.y_train);
    let theta = network::init_params(Init::default(), 1);
    let n: usize = theta.iter().map(|a| a.len()).sum();
    let cost = |t: &Vec<gradcheck::ndarray::Array2<f64>>| network::nn_cost(t, x, y, 1.0);
    let mut report = None;
    let (hand, harness) = paired(
        11,
        || {
            black_box(hand_loop(
                &theta,
                n,
                gradcheck::Params::get_flat,
                gradcheck::Params::set_flat,
                |t| cost(t).0,
            ));
        },
        || report = Some(black_box(check(&theta, cost, &Config::new()))),
    );
    let report = report.expect("ran");
    println!(
        "   hand loop {:.1} ms, check() {:.1} ms, ratio {:.3}; {} with {} evaluations ({} refined)",
        hand * 1e3,
        harness * 1e3,
        harness / hand,
        report.verdict,
        report.evaluations,
        report.refined
    );
}

/// About a millisecond of work per call, with its gradient.
fn slow(t: &Vec<f64>) -> (f64, Vec<f64>) {
    let mut acc = 0.0;
    for k in 0..150_000 {
        acc += ((k as f64) * 1e-5).sin();
    }
    let (j, g) = separable(t);
    (j + 1e-30 * acc, g)
}

fn parallel() {
    println!("\n3. parallel first pass (cost of about 1 ms, 32 parameters)");
    let theta = Init::Uniform(1.0).sample_vec(&[32], 3);
    let (single, many) = paired(
        5,
        || {
            black_box(check(&theta, slow, &Config::new()));
        },
        || {
            black_box(check_parallel(&theta, slow, &Config::new()));
        },
    );
    let threads = if cfg!(feature = "rayon") {
        format!(
            "{} threads (rayon)",
            std::thread::available_parallelism().map_or(1, |n| n.get())
        )
    } else {
        "the rayon feature is off: both run sequentially".to_string()
    };
    println!(
        "   check() {:.1} ms, check_parallel() {:.1} ms, speedup {:.2}x; {threads}",
        single * 1e3,
        many * 1e3,
        single / many
    );
}

fn projection() {
    println!("\n4. random projections, one wrong gradient entry");
    println!(
        "{:>10} {:>10} {:>12} {:>14} {:>16}",
        "n", "verdict", "found", "evaluations", "time"
    );
    for n in [10_000usize, 100_000, 1_000_000] {
        let theta = Init::Uniform(1.0).sample_vec(&[n], 5);
        let wrong_at = n / 3 + 7;
        let cost = |t: &Vec<f64>| {
            let (j, mut g) = separable(t);
            g[wrong_at] *= 1.01;
            (j, g)
        };
        let start = Instant::now();
        let report = check_projected(&theta, cost, &ProjectionConfig::default());
        let elapsed = start.elapsed().as_secs_f64();
        let found = report
            .located
            .iter()
            .map(|l| l.index.to_string())
            .collect::<Vec<_>>()
            .join(",");
        println!(
            "{n:>10} {:>10} {:>12} {:>14} {:>13.2} s   (wrong entry: {wrong_at})",
            report.verdict.to_string(),
            found,
            report.evaluations,
            elapsed
        );
    }
    let n = 10_000;
    let theta = Init::Uniform(1.0).sample_vec(&[n], 5);
    let start = Instant::now();
    let full = check(&theta, separable, &Config::new());
    println!(
        "   for comparison, the full check at n = {n}: {} evaluations, {:.2} s",
        full.evaluations,
        start.elapsed().as_secs_f64()
    );
}

fn finitediff_side_by_side() {
    println!("\n5. the finitediff crate (central differences at h = cbrt(eps)) on the same costs");
    println!(
        "{:<24} {:>12} {:>14} {:>14} {:>14}",
        "cost", "finitediff", "its rel diff", "gradcheck", "its verdict"
    );
    type Cost = fn(&Vec<f64>) -> (f64, Vec<f64>);
    let exp_scaled: Cost = |t| {
        (
            1e4 * t.iter().map(|x| x.exp()).sum::<f64>(),
            t.iter().map(|x| 1e4 * x.exp()).collect(),
        )
    };
    for (name, cost, n) in [
        ("sin + square, n = 100", separable as Cost, 100usize),
        ("sin + square, n = 1000", separable as Cost, 1000),
        ("1e4 exp, n = 100", exp_scaled, 100),
    ] {
        let theta = Init::Uniform(1.0).sample_vec(&[n], 7);
        let value = |t: &Vec<f64>| Ok(cost(t).0);
        let numeric_fn = finitediff::vec::central_diff(&value);
        let mut numeric = Vec::new();
        let fd = median(5, || {
            numeric = black_box(numeric_fn(&theta).expect("finite"))
        });
        let analytic = cost(&theta).1;
        let rel = gradcheck::compare::relative_difference(&analytic, &numeric);
        let mut report = None;
        let ours = median(5, || {
            report = Some(black_box(check(&theta, cost, &Config::new())))
        });
        let report = report.expect("ran");
        println!(
            "{name:<24} {:>9.3} ms {rel:>14.2e} {:>11.3} ms {:>14}",
            fd * 1e3,
            ours * 1e3,
            format!("{} {:.1e}", report.verdict, report.relative_difference)
        );
    }
    println!(
        "   finitediff returns a numeric gradient only; gradcheck's time includes the comparison,\n   \
         refinement where central differences cannot reach tol, and the report."
    );
}

fn main() {
    overhead();
    network_overhead();
    parallel();
    projection();
    finitediff_side_by_side();
}
