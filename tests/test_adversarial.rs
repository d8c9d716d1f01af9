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

#[test]
fn projections_measure_the_cost_noise_of_huge_f32_sums() {
    use gradcheck::projection::{check_projected, ProjectionConfig};
    let n = 200_000;
    let theta: Vec<f32> = gradcheck::Init::Uniform(1.0)
        .sample_vec(&[n], 2)
        .iter()
        .map(|&v| v as f32)
        .collect();
    let cost = |t: &Vec<f32>| {
        (
            t.iter().map(|x| x * x).sum::<f32>() + 10.0,
            t.iter().map(|x| 2.0 * x).collect::<Vec<f32>>(),
        )
    };
    let report = check_projected(&theta, cost, &ProjectionConfig::default());
    assert_ne!(report.verdict, Verdict::Fail, "{report}");
}

#[test]
fn projections_refuse_a_gradient_of_the_wrong_shape() {
    use gradcheck::ndarray::Array2;
    use gradcheck::projection::{check_projected, ProjectionConfig};
    let w = Array2::from_shape_vec((3, 4), (0..12).map(|i| i as f64 / 10.0).collect()).unwrap();
    let cost = |w: &Array2<f64>| {
        let g = Array2::from_shape_vec((4, 3), w.iter().map(|x| 2.0 * x).collect()).unwrap();
        (w.mapv(|x| x * x).sum(), g)
    };
    let report = check_projected(&w, cost, &ProjectionConfig::default());
    assert_eq!(report.verdict, Verdict::Fail, "{report}");
    assert!(
        report.to_string().contains("the gradient has shape (4, 3)"),
        "{report}"
    );
}

#[test]
fn a_panicking_forward_pass_is_reported_by_the_layer_check() {
    use gradcheck::layer::{check_layer, fn_layer, LayerConfig};
    let forward = |x: &Array1<f64>, w: &Array1<f64>| -> Array1<f64> {
        assert!(w[0] < 0.0, "forward boom");
        x * w
    };
    let backward = |x: &Array1<f64>, w: &Array1<f64>, dy: &Array1<f64>| (dy * w, dy * x);
    let report = check_layer(
        &fn_layer(forward, backward),
        &array![0.1, 0.2],
        &array![0.3, 0.4],
        &LayerConfig::new(),
    );
    assert_eq!(report.verdict, Verdict::Fail, "{report}");
    assert!(report.to_string().contains("forward boom"), "{report}");
}

#[test]
fn a_moderate_error_found_within_a_budget_fails() {
    let cost = |t: &Vec<f64>| {
        let mut g: Vec<f64> = t.iter().map(|x| x.cos()).collect();
        g[3] *= 1.01;
        (t.iter().map(|x| x.sin()).sum::<f64>(), g)
    };
    let theta: Vec<f64> = (0..100).map(|i| i as f64 / 100.0).collect();
    let report = check(&theta, cost, &Config::new().max_evaluations(150));
    assert_eq!(report.verdict, Verdict::Fail, "{report}");
}

#[test]
fn layer_reports_name_the_tensors_of_a_wrong_shape() {
    use gradcheck::layer::{check_layer, fn_layer, LayerConfig};
    let forward = |x: &Array1<f64>, w: &gradcheck::ndarray::Array2<f64>| w.dot(x);
    let backward = |x: &Array1<f64>, w: &gradcheck::ndarray::Array2<f64>, dy: &Array1<f64>| {
        (
            w.t().dot(dy),
            gradcheck::ndarray::Array2::zeros((x.len(), dy.len())),
        )
    };
    let w = gradcheck::ndarray::Array2::from_elem((2, 3), 0.1);
    let report = check_layer(
        &fn_layer(forward, backward),
        &array![0.1, 0.2, 0.3],
        &w,
        &LayerConfig::new(),
    );
    assert_eq!(report.verdict, Verdict::Fail, "{report}");
    assert!(
        report.to_string().contains("{x: (3), params: (3, 2)}"),
        "{report}"
    );
}

#[test]
fn unusable_initializations_are_refused_with_a_message() {
    let result =
        std::panic::catch_unwind(|| gradcheck::Init::Uniform(f64::MAX).sample_vec(&[3], 1));
    let message = result.unwrap_err();
    let text = message
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(text.contains("needs a finite number"), "{text}");
}
