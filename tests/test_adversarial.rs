//! Regressions from adversarial testing: wrong gradients that once passed
//! or came out inconclusive, correct ones that once failed, and edge cases
//! that once broke the report.

use gradcheck::ndarray::{array, Array1};
use gradcheck::sweep::{sweep, DEFAULT_STEPS};
use gradcheck::{check, check_split, Config, Problem, Verdict};

fn relu(x: f64) -> f64 {
    x.max(0.0)
}

#[test]
fn gradient_blocks_in_the_wrong_order_fail() {
    // J = Σ w³ + 2 Σ v², with the two gradients returned in swapped roles.
    let cost = |t: &[f64; 4]| {
        let j = t[0].powi(3) + t[1].powi(3) + 2.0 * (t[2] * t[2] + t[3] * t[3]);
        (
            j,
            [4.0 * t[2], 4.0 * t[3], 3.0 * t[0] * t[0], 3.0 * t[1] * t[1]],
        )
    };
    let report = check(&[0.05, -0.08, 0.11, 0.02], cost, &Config::new());
    assert_eq!(report.verdict, Verdict::Fail, "{report}");
}

#[test]
fn a_backward_pass_that_does_not_mask_dead_units_fails() {
    // y = Σ cᵢ relu(wᵢ xᵢ); the backward pass forgets relu′ = 0 for dead
    // units, where the cost is exactly flat.
    let x = [0.5, -1.0, 2.0, 0.3];
    let c = [1.0, -0.5, 0.75, 2.0];
    let cost = |w: &[f64; 4]| (0..4).map(|i| c[i] * relu(w[i] * x[i])).sum::<f64>();
    let unmasked = |_: &[f64; 4]| -> [f64; 4] { std::array::from_fn(|i| c[i] * x[i]) };
    let report = check_split(&[0.1, 0.2, -0.3, 0.4], cost, unmasked, &Config::new());
    assert_eq!(report.verdict, Verdict::Fail, "{report}");
    assert!(
        report.to_string().contains("dead but not masked"),
        "{report}"
    );
}

#[test]
fn a_wrong_power_fails() {
    let cost = |t: &[f64; 3]| (t.iter().map(|x| x.powi(3)).sum::<f64>(), t.map(|x| 3.0 * x));
    let report = check(&[0.05, -0.1, 0.08], cost, &Config::new());
    assert_eq!(report.verdict, Verdict::Fail, "{report}");
}

#[test]
fn a_jump_in_one_entry_does_not_excuse_a_bug_in_another() {
    let cost = |t: &[f64; 2]| (t[0].floor() + t[1] * t[1], [0.0, -2.0 * t[1]]);
    let report = check(&[3.0, 0.4], cost, &Config::new());
    assert_eq!(report.verdict, Verdict::Fail, "{report}");
}

#[test]
fn a_huge_cost_does_not_make_a_wrong_gradient_pass() {
    let correct = |t: &[f64; 3]| {
        (
            1e10 + t.iter().map(|x| x.sin()).sum::<f64>(),
            t.map(f64::cos),
        )
    };
    let report = check(&[0.3, -0.2, 0.9], correct, &Config::new());
    assert_ne!(report.verdict, Verdict::Fail, "{report}");
    for (label, factor) in [
        ("10 % too large", 1.1),
        ("sign flipped", -1.0),
        ("zero", 0.0),
    ] {
        let wrong = |t: &[f64; 3]| {
            (
                1e10 + t.iter().map(|x| x.sin()).sum::<f64>(),
                t.map(|x| factor * x.cos()),
            )
        };
        let report = check(&[0.3, -0.2, 0.9], wrong, &Config::new());
        assert_ne!(report.verdict, Verdict::Pass, "{label}: {report}");
    }
}

#[test]
fn an_overflowing_difference_is_no_pass() {
    let cost = |t: &[f64; 2]| (1e12 * (t[0] - 1e300) + t[1] * t[1], [-7.0, 1e12]);
    let report = check(&[1e300, 0.3], cost, &Config::new());
    assert_ne!(report.verdict, Verdict::Pass, "{report}");
}

#[test]
fn sign_errors_are_caught_at_enormous_cost_scales() {
    for scale in [1e160, 1e170, 1e300] {
        let cost = |t: &[f64; 2]| {
            (
                scale * (t[0].sin() + t[1].cos()),
                [-scale * t[0].cos(), scale * t[1].sin()],
            )
        };
        let report = check(&[0.3, 0.7], cost, &Config::new());
        assert_eq!(report.verdict, Verdict::Fail, "scale {scale:e}: {report}");
    }
}

#[test]
fn the_sweep_reports_a_panicking_cost_instead_of_panicking() {
    let cost = |t: &[f64; 1]| {
        assert!(t[0] > 0.0, "t0 must be positive");
        (t[0].ln(), [1.0 / t[0]])
    };
    let result = sweep(&[0.05], cost, &DEFAULT_STEPS, &Config::new());
    assert!(
        matches!(result, Err(Problem::CostPanicked { .. })),
        "{result:?}"
    );
}

#[test]
fn a_non_subgradient_at_a_tie_fails_jointly() {
    let max = |t: &[f64; 5]| t.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let all_ones = |_: &[f64; 5]| [1.0; 5];
    let report = check_split(&[0.0; 5], max, all_ones, &Config::new());
    assert_eq!(report.verdict, Verdict::Fail, "{report}");
    assert!(report.to_string().contains("jointly"), "{report}");
    // Valid conventions stay undecided, not failed.
    for g in [[0.2; 5], [1.0, 0.0, 0.0, 0.0, 0.0]] {
        let report = check_split(&[0.0; 5], max, move |_: &[f64; 5]| g, &Config::new());
        assert_eq!(report.verdict, Verdict::Inconclusive, "{report}");
    }
}

#[test]
fn separable_kinks_with_valid_subgradients_stay_undecided() {
    let c = [1.0, 2.0, -1.0, 0.5];
    let cost = |t: &[f64; 4]| (0..4).map(|i| c[i] * relu(t[i])).sum::<f64>();
    let grad =
        |t: &[f64; 4]| -> [f64; 4] { std::array::from_fn(|i| if t[i] > 0.0 { c[i] } else { 0.0 }) };
    let report = check_split(&[0.0, 1e-7, -3e-7, 0.8], cost, grad, &Config::new());
    assert_eq!(report.verdict, Verdict::Inconclusive, "{report}");
}

#[test]
fn one_ulp_of_nondeterminism_is_tolerated() {
    let calls = std::cell::Cell::new(0u32);
    let cost = |t: &Array1<f64>| {
        calls.set(calls.get() + 1);
        let wobble = if calls.get() % 2 == 0 {
            1.0 + f64::EPSILON
        } else {
            1.0
        };
        (wobble * t.mapv(|x| x * x).sum(), t.mapv(|x| 2.0 * x))
    };
    let report = check(&array![0.3, -0.2, 0.5], cost, &Config::new());
    assert_ne!(report.verdict, Verdict::Fail, "{report}");
    assert!(report.problem.is_none(), "{report}");
}
