//! Bad input never panics inside the library: each case gets a verdict and a
//! report that names what is wrong, where, and the numbers.

use gradcheck::ndarray::{array, Array1, Array2};
use gradcheck::{check, check_split, Config, Problem, Report, Status, Verdict};

fn quadratic(t: &[f64; 3]) -> (f64, [f64; 3]) {
    (t.iter().map(|x| x * x).sum(), t.map(|x| 2.0 * x))
}

fn text(report: &Report) -> String {
    report.to_string()
}

#[test]
fn nan_cost_is_refused_with_its_value() {
    let report = check(
        &[0.1, 0.2, 0.3],
        |t: &[f64; 3]| (f64::NAN, t.map(|x| 2.0 * x)),
        &Config::new(),
    );
    assert_eq!(report.verdict, Verdict::Inconclusive);
    assert!(matches!(
        report.problem,
        Some(Problem::NonFiniteCost { .. })
    ));
    assert!(
        text(&report).contains("the cost is NaN at the parameters"),
        "{report}"
    );
}

#[test]
fn infinite_cost_is_refused() {
    // A naive log-sum-exp overflows at large logits.
    let naive = |t: &[f64; 3]| {
        let s: f64 = t.iter().map(|x| x.exp()).sum();
        (s.ln() - t[0], t.map(|x| x.exp() / s))
    };
    let report = check(&[-1047.0, -981.0, 1891.0], naive, &Config::new());
    assert_eq!(report.verdict, Verdict::Inconclusive);
    assert!(
        text(&report).contains("the cost is inf at the parameters"),
        "{report}"
    );
}

#[test]
fn stable_log_sum_exp_passes_at_huge_logits() {
    let stable = |t: &[f64; 3]| {
        let m = t.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let s: f64 = t.iter().map(|x| (x - m).exp()).sum();
        let p = t.map(|x| (x - m).exp() / s);
        (m + s.ln() - t[0], [p[0] - 1.0, p[1], p[2]])
    };
    for theta in [[-431.0, 279.0, 427.0], [-1047.0, -981.0, 1891.0]] {
        let report = check(&theta, stable, &Config::new());
        assert_eq!(report.verdict, Verdict::Pass, "{report}");
    }
}

#[test]
fn nan_in_the_analytic_gradient_fails_and_names_the_entry() {
    // An L1 gradient written as x/|x| is NaN at exact zeros.
    let targets = [0.5, -0.3, 0.2, 0.0, 0.7];
    let cost = move |t: &[f64; 5]| {
        let f = (0..5)
            .map(|i| 0.1 * t[i].abs() + 0.5 * (t[i] - targets[i]).powi(2))
            .sum();
        let g: [f64; 5] = std::array::from_fn(|i| 0.1 * t[i] / t[i].abs() + (t[i] - targets[i]));
        (f, g)
    };
    let report = check(&[0.0, 0.0, -0.12, 0.08, 0.05], cost, &Config::new());
    assert_eq!(report.verdict, Verdict::Fail);
    let bad: Vec<&str> = report
        .components
        .iter()
        .filter(|c| c.status == Status::NonFiniteAnalytic)
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(bad, ["theta[0]", "theta[1]"]);
    assert!(text(&report).contains("NON-FINITE analytic"), "{report}");
}

#[test]
fn gradient_of_the_wrong_length_is_named() {
    let report = check(
        &vec![0.1, 0.2, 0.3],
        |t: &Vec<f64>| (t.iter().sum::<f64>(), vec![1.0, 1.0]),
        &Config::new(),
    );
    assert_eq!(report.verdict, Verdict::Fail);
    assert!(
        text(&report).contains(
            "the gradient has shape (2) (2 entries) but the parameters have shape (3) (3 entries)"
        ),
        "{report}"
    );
}

#[test]
fn transposed_gradient_is_a_shape_error() {
    let x = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
    let cost = |w: &Array2<f64>| ((w * &x).sum(), x.t().to_owned());
    let report = check(&Array2::zeros((2, 3)), cost, &Config::new().param("W"));
    assert_eq!(report.verdict, Verdict::Fail);
    assert!(
        text(&report).contains("shape (3, 2) (6 entries) but the parameters have shape (2, 3)"),
        "{report}"
    );
}

#[test]
fn wrong_number_of_tensors_is_a_shape_error() {
    let params = vec![Array2::<f64>::zeros((2, 2)), Array2::zeros((1, 2))];
    let report = check(
        &params,
        |p: &Vec<Array2<f64>>| (p[0].sum() + p[1].sum(), vec![Array2::ones((2, 2))]),
        &Config::new(),
    );
    assert_eq!(report.verdict, Verdict::Fail);
    assert!(
        text(&report).contains("the gradient has shape [(2, 2)]"),
        "{report}"
    );
}

#[test]
fn a_panicking_cost_is_reported_not_propagated() {
    let report = check(
        &[0.1, 0.2, 0.3],
        |_: &[f64; 3]| -> (f64, [f64; 3]) { panic!("matrix is singular") },
        &Config::new(),
    );
    assert_eq!(report.verdict, Verdict::Fail);
    assert!(
        text(&report).contains("the cost panicked at the parameters: matrix is singular"),
        "{report}"
    );
}

#[test]
fn a_cost_that_panics_only_when_perturbed_names_the_parameter() {
    let cost = |t: &[f64; 3]| {
        assert!(t[1] <= 0.2, "theta[1] above its bound: {}", t[1]);
        quadratic(t)
    };
    let report = check(&[0.1, 0.2, 0.3], cost, &Config::new());
    assert_eq!(report.verdict, Verdict::Fail);
    assert!(
        text(&report).contains("when theta[1] was perturbed"),
        "{report}"
    );
}

#[test]
fn non_finite_cost_at_a_perturbed_point_leaves_that_entry_unjudged() {
    // sqrt is defined only for x ≥ 0; the point sits right at the boundary.
    let cost = |t: &[f64; 2]| {
        let s = if t[0] < 0.0 { f64::NAN } else { t[0].sqrt() };
        (s + t[1] * t[1], [0.5 / t[0].sqrt(), 2.0 * t[1]])
    };
    let report = check(&[0.0, 0.5], cost, &Config::new());
    assert_ne!(report.verdict, Verdict::Pass, "{report}");
    let t = text(&report);
    assert!(t.contains("theta[0]"), "{report}");
}

#[test]
fn non_finite_parameters_are_named() {
    let report = check(&[0.1, f64::INFINITY, 0.3], quadratic, &Config::new());
    assert_eq!(report.verdict, Verdict::Fail);
    assert!(
        text(&report).contains("parameter theta[1] is inf"),
        "{report}"
    );
}

#[test]
fn invalid_settings_are_named() {
    for (config, message) in [
        (
            Config::new().eps(0.0),
            "eps must be positive and finite, got 0",
        ),
        (
            Config::new().eps(-1e-4),
            "eps must be positive and finite, got -0.0001",
        ),
        (
            Config::new().tol(f64::NAN),
            "tol must be positive and finite, got NaN",
        ),
        (Config::new().eps(1e-20), "below the machine epsilon of f64"),
    ] {
        let report = check(&[0.1, 0.2, 0.3], quadratic, &config);
        assert_eq!(report.verdict, Verdict::Fail);
        assert!(text(&report).contains(message), "{report}");
    }
}

#[test]
fn empty_parameters_are_refused() {
    let report = check(
        &Vec::<f64>::new(),
        |_: &Vec<f64>| (0.0, Vec::<f64>::new()),
        &Config::new(),
    );
    assert_eq!(report.problem, Some(Problem::NoParameters));
}

#[test]
fn a_cost_with_fresh_randomness_is_refused() {
    // Dropout with a fresh mask on every call: the cost is not a function.
    let calls = std::cell::Cell::new(0u64);
    let cost = |t: &[f64; 4]| -> (f64, [f64; 4]) {
        calls.set(calls.get() + 1);
        let mask = |i: usize| ((calls.get().wrapping_mul(2654435761) >> i) & 1) as f64;
        let f = (0..4).map(|i| 2.0 * mask(i) * t[i]).sum();
        (f, std::array::from_fn(|i| 2.0 * mask(i)))
    };
    let report = check(&[0.2, -0.5, 1.1, 0.05], cost, &Config::new());
    assert_eq!(report.verdict, Verdict::Inconclusive);
    assert!(
        text(&report).contains("the cost is not deterministic"),
        "{report}"
    );
}

#[test]
fn the_callers_parameters_are_never_modified() {
    let params = array![0.1, -0.2, 0.3];
    let before = params.clone();
    let cost = |w: &Array1<f64>| (w.mapv(f64::sin).sum(), w.mapv(f64::cos));
    let report = check(&params, cost, &Config::new());
    assert!(report.passed(), "{report}");
    assert_eq!(params, before);

    // Also when the cost panics half way through the perturbations.
    let cost = |w: &Array1<f64>| {
        assert!(w[2] < 0.3);
        (w.sum(), Array1::ones(3))
    };
    let _ = check(&params, cost, &Config::new());
    assert_eq!(params, before);
}

#[test]
fn non_contiguous_arrays_are_checked_in_logical_order() {
    let w = array![[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]].t().to_owned(); // column-major storage
    let c = array![[1.0, -2.0], [3.0, 0.5], [-1.0, 2.0]];
    let cost = |w: &Array2<f64>| {
        let mut g = c.clone();
        g[[2, 1]] *= 3.0; // a planted bug at [2, 1]
        ((w * &c).sum(), g)
    };
    let report = check(&w, cost, &Config::new().param("W"));
    assert_eq!(report.verdict, Verdict::Fail);
    let wrong: Vec<&str> = report
        .components
        .iter()
        .filter(|c| c.status == Status::Disagree)
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(wrong, ["W[2, 1]"]);
}

#[test]
fn split_form_checks_the_same_way() {
    let report = check_split(
        &[0.3f32, -0.2, 0.9],
        |t: &[f32; 3]| t.iter().map(|x| x.sin()).sum::<f32>(),
        |t: &[f32; 3]| t.map(|x| 2.0 * x.cos()),
        &Config::new(),
    );
    assert_eq!(report.verdict, Verdict::Fail);
    assert!(
        text(&report).contains("2.0000x the numeric value"),
        "{report}"
    );
}
