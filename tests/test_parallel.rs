//! The parallel first pass gives the same report as the sequential one (run
//! with `--features rayon` for real threads; without the feature the same
//! API runs sequentially).

use gradcheck::ndarray::Array2;
use gradcheck::{check, check_parallel, gradcheck, Config, Init, Problem, Verdict};

fn network(t: &Array2<f64>) -> (f64, Array2<f64>) {
    // J = Σ tanh(Wx)·c for fixed x and c, as a function of W (8×6).
    let x = [0.5, -1.0, 0.25, 2.0, -0.3, 0.8];
    let c = [1.0, -0.5, 0.3, 2.0, -1.2, 0.7, 0.1, -0.9];
    let mut j = 0.0;
    let mut g = Array2::zeros(t.raw_dim());
    for r in 0..8 {
        let z: f64 = (0..6).map(|k| t[[r, k]] * x[k]).sum();
        j += c[r] * z.tanh();
        for k in 0..6 {
            g[[r, k]] = c[r] * (1.0 - z.tanh().powi(2)) * x[k];
        }
    }
    (j, g)
}

fn draw(seed: u64) -> Array2<f64> {
    Array2::from_shape_vec((8, 6), Init::Uniform(1.0).sample_vec(&[8, 6], seed)).unwrap()
}

#[test]
fn parallel_and_sequential_reports_agree() {
    for seed in 0..5 {
        let w = draw(seed);
        let sequential = check(&w, network, &Config::new().param("W"));
        let parallel = check_parallel(&w, network, &Config::new().param("W"));
        assert_eq!(sequential.verdict, Verdict::Pass, "{sequential}");
        assert_eq!(parallel.verdict, sequential.verdict, "{parallel}");
        assert_eq!(parallel.evaluations, sequential.evaluations);
        for (a, b) in parallel.components.iter().zip(&sequential.components) {
            assert_eq!(a.numeric.to_bits(), b.numeric.to_bits(), "{}", a.name);
        }
    }
}

#[test]
fn a_planted_bug_is_caught_in_parallel() {
    let wrong = |t: &Array2<f64>| {
        let (j, mut g) = network(t);
        g[[3, 2]] *= 1.5;
        (j, g)
    };
    let report = check_parallel(&draw(9), wrong, &Config::new().param("W"));
    assert_eq!(report.verdict, Verdict::Fail, "{report}");
    assert!(report.to_string().contains("W[3, 2]"), "{report}");
}

#[test]
fn a_panic_in_a_worker_is_reported() {
    let touchy = |t: &Array2<f64>| {
        assert!(t[[0, 0]] < 0.5, "W[0, 0] out of range");
        network(t)
    };
    let mut w = draw(1);
    w[[0, 0]] = 0.49995;
    let report = check_parallel(&w, touchy, &Config::new().param("W"));
    assert_eq!(report.verdict, Verdict::Fail, "{report}");
    assert!(
        matches!(&report.problem, Some(Problem::CostPanicked { message, .. }) if message.contains("out of range")),
        "{report}"
    );
}

/// The attribute's `parallel` switch, with a step sweep at the first draw.
#[gradcheck(dim = 12, parallel, sweep, cases = 8)]
fn softplus_sum(t: &[f64]) -> (f64, Vec<f64>) {
    let j = t
        .iter()
        .map(|x| x.max(0.0) + (-x.abs()).exp().ln_1p())
        .sum();
    (j, t.iter().map(|x| 1.0 / (1.0 + (-x).exp())).collect())
}

#[gradcheck(dim = 12, parallel, cases = 8)]
#[should_panic(expected = "DISAGREE")]
fn softplus_sum_wrong(t: &[f64]) -> (f64, Vec<f64>) {
    let (j, g) = softplus_sum(t);
    (j, g.iter().map(|v| v * 0.9).collect())
}
