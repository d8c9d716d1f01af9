//! Measures how the f32 defaults of `eps` and `tol` behave: for each
//! candidate pair, how many checks of CORRECT gradients fail to pass (false
//! alarms and inconclusive verdicts) and how many checks of gradients with a
//! small planted error are caught, over smooth costs at random inits.
//!
//! Run with `cargo run --release --example calibrate_f32`.

// The costs take `&Vec<f32>` because `Vec<f32>` is the checked parameter type.
#![allow(clippy::ptr_arg)]

use gradcheck::{check, Config, Init, Verdict};

type Cost = fn(&Vec<f32>) -> (f32, Vec<f32>);

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// Σ θ³
fn cubes(t: &Vec<f32>) -> (f32, Vec<f32>) {
    (
        t.iter().map(|x| x * x * x).sum(),
        t.iter().map(|x| 3.0 * x * x).collect(),
    )
}

/// Σ 10·sin(3θ)
fn sines(t: &Vec<f32>) -> (f32, Vec<f32>) {
    (
        t.iter().map(|x| 10.0 * (3.0 * x).sin()).sum(),
        t.iter().map(|x| 30.0 * (3.0 * x).cos()).collect(),
    )
}

/// Logistic regression on fixed synthetic data, mean cross-entropy.
fn logistic(t: &Vec<f32>) -> (f32, Vec<f32>) {
    let n = t.len();
    let m = 16;
    let mut j = 0.0;
    let mut g = vec![0.0; n];
    for k in 0..m {
        let x: Vec<f32> = (0..n)
            .map(|i| (((k * 7 + i * 3) % 11) as f32 - 5.0) / 3.0)
            .collect();
        let y = (k % 3 == 0) as u8 as f32;
        let h = sigmoid(x.iter().zip(t).map(|(a, b)| a * b).sum());
        j -= y * h.ln() + (1.0 - y) * (1.0 - h).ln();
        for i in 0..n {
            g[i] += (h - y) * x[i];
        }
    }
    (j / m as f32, g.iter().map(|v| v / m as f32).collect())
}

/// Softmax cross-entropy of the parameters as logits, with target 0.
fn softmax_ce(t: &Vec<f32>) -> (f32, Vec<f32>) {
    let m = t.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
    let s: f32 = t.iter().map(|x| (x - m).exp()).sum();
    let mut g: Vec<f32> = t.iter().map(|x| (x - m).exp() / s).collect();
    g[0] -= 1.0;
    (m + s.ln() - t[0], g)
}

/// ½ θᵀAθ with a fixed symmetric A.
fn quadratic(t: &Vec<f32>) -> (f32, Vec<f32>) {
    let n = t.len();
    let a = |i: usize, j: usize| {
        1.0 / (1.0 + (i as f32 - j as f32).abs()) + if i == j { 2.0 } else { 0.0 }
    };
    let mut j = 0.0;
    let mut g = vec![0.0; n];
    for i in 0..n {
        for k in 0..n {
            j += 0.5 * t[i] * a(i, k) * t[k];
            g[i] += a(i, k) * t[k];
        }
    }
    (j, g)
}

fn main() {
    let costs: [(&str, Cost); 5] = [
        ("sum of cubes", cubes),
        ("10 sin(3x)", sines),
        ("logistic regression", logistic),
        ("softmax cross-entropy", softmax_ce),
        ("quadratic form", quadratic),
    ];
    let draws = 200;
    let n = 8;
    println!(
        "f32 checks of {} costs x {draws} random inits (uniform 0.12 and 1.0), n = {n}",
        costs.len()
    );
    println!("bug = one entry of the gradient scaled by (1 + 1e-2)\n");
    println!(
        "{:>7} {:>7}  {:>14} {:>14}  {:>12} {:>12}",
        "eps", "tol", "correct: pass", "not pass", "bug caught", "bug passed"
    );
    for eps in [1e-3, 3e-3, 1e-2, 3e-2] {
        for tol in [1e-5, 1e-4, 1e-3] {
            let config = Config::new().eps(eps).tol(tol);
            let (mut pass, mut other, mut caught, mut missed, mut total) = (0, 0, 0, 0, 0);
            for (_, cost) in costs {
                for seed in 0..draws {
                    let width = if seed % 2 == 0 { 0.12 } else { 1.0 };
                    let theta: Vec<f32> = Init::Uniform(width)
                        .sample_vec(&[n], seed)
                        .iter()
                        .map(|&v| v as f32)
                        .collect();
                    total += 1;
                    match check(&theta, cost, &config).verdict {
                        Verdict::Pass => pass += 1,
                        _ => other += 1,
                    }
                    let k = (seed as usize) % n;
                    let buggy = |t: &Vec<f32>| {
                        let (j, mut g) = cost(t);
                        g[k] *= 1.01;
                        (j, g)
                    };
                    match check(&theta, buggy, &config).verdict {
                        Verdict::Fail => caught += 1,
                        Verdict::Pass => missed += 1,
                        Verdict::Inconclusive => {}
                    }
                }
            }
            println!(
                "{eps:>7.0e} {tol:>7.0e}  {:>14} {:>14}  {:>12} {:>12}",
                format!("{pass}/{total}"),
                other,
                format!("{caught}/{total}"),
                missed
            );
        }
    }
}
