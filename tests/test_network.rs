//! The three-layer network of the `neural_network` example: its
//! backpropagation passes the gradient check on real data at random
//! initializations, and planted bugs fail it with a report that points at
//! them.

#[allow(dead_code)]
#[path = "../examples/neural_network/network.rs"]
mod network;

use std::sync::OnceLock;

use gradcheck::ndarray::{s, Array1, Array2};
use gradcheck::runner::{run, Spec};
use gradcheck::{check, gradcheck, Config, Init, Problem, Report, Shape, Status, Verdict};
use network::{init_params, nn_cost, nn_cost_with, Bug};
use proptest::strategy::Just;

/// Rows of the diabetes data used by the checks (small, for debug builds).
const ROWS: usize = 40;
const LAMBDA: f64 = 1.0;

/// The first `ROWS` training rows, standardized, with binary labels.
fn data() -> &'static (Array2<f64>, Array1<f64>) {
    static DATA: OnceLock<(Array2<f64>, Array1<f64>)> = OnceLock::new();
    DATA.get_or_init(|| {
        let d = network::diabetes(0.8);
        (
            d.x_train.slice(s![..ROWS, ..]).to_owned(),
            d.y_train.slice(s![..ROWS]).to_owned(),
        )
    })
}

fn config() -> Config {
    Config::new()
        .label("nn_cost")
        .param("theta")
        .names(["Theta1", "Theta2", "Theta3"])
}

fn check_bug(bug: Bug, seed: u64) -> Report {
    let (x, y) = data();
    let theta = init_params(Init::default(), seed);
    check(&theta, |t| nn_cost_with(t, x, y, LAMBDA, bug), &config())
}

/// The names of the entries the report marks as disagreeing.
fn disagreeing(report: &Report) -> Vec<String> {
    report
        .components
        .iter()
        .filter(|c| c.status == Status::Disagree)
        .map(|c| c.name.clone())
        .collect()
}

fn assert_fails(report: &Report) {
    assert_eq!(report.verdict, Verdict::Fail, "\n{report}");
}

#[test]
fn the_data_is_standardized_and_balanced() {
    let d = network::diabetes(0.8);
    // linfa-datasets 0.8.1 drops the first of the 442 patients as a header.
    assert_eq!(d.x_train.nrows() + d.x_test.nrows(), 441);
    assert_eq!(d.x_train.ncols(), 10);
    for column in d.x_train.columns() {
        let mean = column.mean().unwrap();
        let std = column.std(0.0);
        assert!(mean.abs() < 1e-12, "mean {mean}");
        assert!((std - 1.0).abs() < 1e-12, "std {std}");
    }
    let positive = d.y_train.iter().filter(|&&y| y == 1.0).count();
    let share = positive as f64 / d.y_train.len() as f64;
    assert!((0.45..0.55).contains(&share), "{share}");
}

#[test]
fn correct_backprop_passes_at_random_inits() {
    let (x, y) = data();
    for seed in 1..=4 {
        let theta = init_params(Init::default(), seed);
        let report = check(&theta, |t| nn_cost(t, x, y, LAMBDA), &config());
        assert_eq!(report.verdict, Verdict::Pass, "seed {seed}\n{report}");
        assert!(report.relative_difference <= 1e-9, "{report}");
        assert_eq!(report.layout.len(), 231);
        // A pass keeps only the agreeing entries closest to failing.
        assert!(report.components.len() <= 8, "{report}");
    }
}

#[test]
fn correct_backprop_passes_without_regularization_and_at_larger_weights() {
    let (x, y) = data();
    for (init, lambda) in [(Init::default(), 0.0), (Init::GlorotUniform, 3.0)] {
        let theta = init_params(init, 11);
        let report = check(&theta, |t| nn_cost(t, x, y, lambda), &config());
        assert_eq!(
            report.verdict,
            Verdict::Pass,
            "{init:?}, λ = {lambda}\n{report}"
        );
    }
}

/// The ratio in the diagnosis "every disagreeing entry is 40.0000x the
/// numeric value", if there is one.
fn scale_in_diagnosis(report: &Report) -> Option<f64> {
    report.diagnosis.iter().find_map(|line| {
        let rest = line.strip_prefix("every disagreeing entry is ")?;
        let (ratio, tail) = rest.split_once("x the numeric value")?;
        tail.contains("missing or extra 1/m")
            .then(|| ratio.parse().ok())
            .flatten()
    })
}

#[test]
fn missing_one_over_m_is_diagnosed_as_an_m_times_scale_error() {
    for seed in [1, 7] {
        let report = check_bug(Bug::MissingOneOverM, seed);
        assert_fails(&report);
        assert_eq!(disagreeing(&report).len(), 231, "\n{report}");
        // The diagnosis prints the ratio of one entry to four decimals.
        let ratio = scale_in_diagnosis(&report).unwrap_or_else(|| panic!("\n{report}"));
        assert!((ratio - ROWS as f64).abs() < 1e-2, "{ratio}\n{report}");
    }
}

#[test]
fn regularized_bias_column_fails_exactly_at_the_bias_entries() {
    let report = check_bug(Bug::BiasRegularized, 2);
    assert_fails(&report);
    let mut names = disagreeing(&report);
    names.sort();
    let mut expected: Vec<String> = (0..10)
        .flat_map(|i| [format!("Theta1[{i}, 0]"), format!("Theta2[{i}, 0]")])
        .chain(["Theta3[0, 0]".to_string()])
        .collect();
    expected.sort();
    assert_eq!(names, expected, "\n{report}");
    // The worst entry shown first is a bias entry.
    let text = report.to_string();
    let first_row = text
        .lines()
        .find(|l| l.trim_start().starts_with("Theta"))
        .unwrap();
    assert!(first_row.contains(", 0]"), "\n{text}");
}

#[test]
fn delta_sent_back_through_the_transpose_fails_in_theta1_only() {
    let report = check_bug(Bug::TransposedTheta2, 3);
    assert_fails(&report);
    let names = disagreeing(&report);
    assert!(!names.is_empty());
    assert!(names.iter().all(|n| n.starts_with("Theta1[")), "\n{report}");
    assert!(
        report
            .to_string()
            .contains("the disagreements are confined to Theta1"),
        "\n{report}"
    );
}

#[test]
fn wrong_layer_sigmoid_gradient_fails_in_theta1_only() {
    let report = check_bug(Bug::WrongLayerSigmoidGradient, 4);
    assert_fails(&report);
    let names = disagreeing(&report);
    assert!(!names.is_empty());
    assert!(names.iter().all(|n| n.starts_with("Theta1[")), "\n{report}");
}

#[test]
fn wrong_layer_activation_fails_in_theta2_except_its_bias_column() {
    let report = check_bug(Bug::WrongLayerActivation, 5);
    assert_fails(&report);
    let names = disagreeing(&report);
    // a1 and a2 share their bias column of ones, so Theta2[i, 0] is right.
    assert_eq!(names.len(), 100, "\n{report}");
    assert!(
        names
            .iter()
            .all(|n| n.starts_with("Theta2[") && !n.ends_with(", 0]")),
        "\n{report}"
    );
    assert!(
        report.to_string().contains(
            "the disagreements are confined to Theta2 (100 of 110); Theta1, Theta3 agree"
        ),
        "\n{report}"
    );
}

#[test]
fn transposed_gradient_is_a_shape_error() {
    let report = check_bug(Bug::TransposedGradient, 6);
    assert_fails(&report);
    assert!(
        matches!(report.problem, Some(Problem::GradientShape { .. })),
        "\n{report}"
    );
    let text = report.to_string();
    assert!(
        text.contains("the gradient has shape [(11, 10), (10, 11), (1, 11)]"),
        "\n{text}"
    );
}

/// The same check through the runtime's property runner directly, without
/// the attribute.
#[test]
fn nn_cost_passes_the_property_runner() {
    let spec = Spec {
        shape: Shape::Many(&[&[10, 11], &[10, 11], &[1, 11]]),
        names: &["Theta1", "Theta2", "Theta3"],
        cases: 4,
        ..Spec::new("nn_cost", "theta")
    };
    let (x, y) = data();
    run(spec, Just(()), |theta: &Vec<Array2<f64>>, _: &()| {
        nn_cost(theta, x, y, LAMBDA)
    });
}

/// The attribute on a thin wrapper around the example's cost: `cases`
/// random initializations, each checked on the 40-row subset.
#[gradcheck(
    shapes = [(10, 11), (10, 11), (1, 11)],
    names = ["Theta1", "Theta2", "Theta3"],
    cases = 4,
    data(x = data().0.clone(), y = data().1.clone(), lambda = LAMBDA)
)]
fn nn_cost_attr(
    theta: &[Array2<f64>],
    x: &Array2<f64>,
    y: &Array1<f64>,
    lambda: f64,
) -> (f64, Vec<Array2<f64>>) {
    nn_cost(theta, x, y, lambda)
}

/// A planted bug under the attribute: the generated test panics with the
/// report of the (shrunk) failing draw.
#[gradcheck(
    shapes = [(10, 11), (10, 11), (1, 11)],
    names = ["Theta1", "Theta2", "Theta3"],
    cases = 4,
    data(x = data().0.clone(), y = data().1.clone(), lambda = LAMBDA)
)]
#[should_panic(expected = "x the numeric value: a scale error, e.g. a missing or extra 1/m")]
fn nn_cost_missing_one_over_m(
    theta: &[Array2<f64>],
    x: &Array2<f64>,
    y: &Array1<f64>,
    lambda: f64,
) -> (f64, Vec<Array2<f64>>) {
    nn_cost_with(theta, x, y, lambda, Bug::MissingOneOverM)
}
