//! Regression tests from public gradient-bug reports: each cost is checked
//! at the point the report describes, with the verdict a correct checker
//! must reach, and with neighbours (other regions, f32, other shapes).

use gradcheck::ndarray::{self, array, Array1, Array2};
use gradcheck::{check, check_split, Config, Report, Status, Verdict};

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn assert_verdict(report: &Report, verdict: Verdict) {
    assert_eq!(report.verdict, verdict, "\n{report}");
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

// GB01: an activation's backward pass that drops the upstream weights c.

const GB01_THETA: [f64; 6] = [-1.3, 0.4, -0.2, 2.1, -0.05, 0.9];
const GB01_C: [f64; 6] = [0.5, -1.2, 2.0, 0.3, -0.7, 1.5];

fn isrlu(x: f64) -> f64 {
    if x < 0.0 {
        x / (1.0 + x * x).sqrt()
    } else {
        x
    }
}

fn isrlu_slope(x: f64) -> f64 {
    let m = x.min(0.0);
    (1.0 + m * m).powf(-1.5)
}

fn gb01(c: [f64; 6], buggy: bool) -> impl Fn(&[f64; 6]) -> (f64, [f64; 6]) {
    move |t| {
        let f = (0..6).map(|i| c[i] * isrlu(t[i])).sum();
        let g = std::array::from_fn(|i| {
            if buggy {
                isrlu_slope(t[i])
            } else {
                c[i] * isrlu_slope(t[i])
            }
        });
        (f, g)
    }
}

#[test]
fn gb01_dropped_upstream_weights_fail() {
    let report = check(&GB01_THETA, gb01(GB01_C, true), &Config::new());
    assert_verdict(&report, Verdict::Fail);
    approx::assert_abs_diff_eq!(report.relative_difference, 0.609, epsilon = 1e-3);
    // Every entry is off by its own weight c_i, so the report lists all six.
    assert_eq!(disagreeing(&report).len(), 6);
}

#[test]
fn gb01_correct_backward_passes() {
    let report = check(&GB01_THETA, gb01(GB01_C, false), &Config::new());
    assert_verdict(&report, Verdict::Pass);
}

#[test]
fn gb01_unit_weights_hide_the_bug() {
    // With c ≡ 1 the dropped factor is 1: no checker can see the bug at this
    // projection, which is why layer checks draw non-uniform cotangents.
    let report = check(&GB01_THETA, gb01([1.0; 6], true), &Config::new());
    assert_verdict(&report, Verdict::Pass);
}

// GB03: backprop of a mean loss whose gradients are not divided by N.

struct Gb03 {
    x: Array2<f64>,
    y: [usize; 4],
    lambda: f64,
}

impl Gb03 {
    fn new() -> Self {
        Gb03 {
            x: array![[0.5, -1.2], [1.5, 0.3], [-0.7, 0.8], [0.2, 2.0]],
            y: [0, 1, 1, 0],
            lambda: 0.01,
        }
    }

    /// θ = (W1 row-major, b1, W2 row-major, b2); z1 = x W1 + b1.
    fn cost(&self, t: &[f64], divide: bool) -> (f64, Vec<f64>) {
        let w1 = Array2::from_shape_vec((2, 2), t[0..4].to_vec()).unwrap();
        let b1 = Array1::from(t[4..6].to_vec());
        let w2 = Array2::from_shape_vec((2, 2), t[6..10].to_vec()).unwrap();
        let b2 = Array1::from(t[10..12].to_vec());
        let n = self.x.nrows() as f64;

        let a1 = (self.x.dot(&w1) + &b1).mapv(f64::tanh);
        let z2 = a1.dot(&w2) + &b2;
        let mut p = z2.mapv(f64::exp);
        for mut row in p.rows_mut() {
            let s = row.sum();
            row /= s;
        }
        let mut loss = 0.0;
        let mut d3 = p.clone();
        for (k, &label) in self.y.iter().enumerate() {
            loss -= p[[k, label]].ln();
            d3[[k, label]] -= 1.0;
        }
        let reg = 0.5 * self.lambda * (w1.mapv(|v| v * v).sum() + w2.mapv(|v| v * v).sum());
        let j = (loss + reg) / n;

        let dw2 = a1.t().dot(&d3) + self.lambda * &w2;
        let db2 = d3.sum_axis(ndarray::Axis(0));
        let d2 = d3.dot(&w2.t()) * a1.mapv(|a| 1.0 - a * a);
        let dw1 = self.x.t().dot(&d2) + self.lambda * &w1;
        let db1 = d2.sum_axis(ndarray::Axis(0));
        let scale = if divide { 1.0 / n } else { 1.0 };
        let g = dw1
            .iter()
            .chain(&db1)
            .chain(&dw2)
            .chain(&db2)
            .map(|v| v * scale)
            .collect();
        (j, g)
    }
}

const GB03_THETA: [f64; 12] = [
    0.11, -0.08, 0.05, 0.10, 0.0, 0.0, -0.12, 0.07, 0.09, -0.03, 0.0, 0.0,
];

#[test]
fn gb03_missing_one_over_n_fails_with_a_constant_ratio() {
    let model = Gb03::new();
    let report = check(
        &GB03_THETA.to_vec(),
        |t: &Vec<f64>| model.cost(t, false),
        &Config::new(),
    );
    assert_verdict(&report, Verdict::Fail);
    approx::assert_abs_diff_eq!(report.relative_difference, 0.6, epsilon = 1e-6);
    let text = report.to_string();
    assert!(text.contains("4.0000x the numeric value"), "{text}");
}

#[test]
fn gb03_divided_gradient_passes() {
    let model = Gb03::new();
    let report = check(
        &GB03_THETA.to_vec(),
        |t: &Vec<f64>| model.cost(t, true),
        &Config::new(),
    );
    assert_verdict(&report, Verdict::Pass);
}

#[test]
fn gb03_scale_bug_is_caught_at_random_points_too() {
    let model = Gb03::new();
    for seed in 0..5 {
        let theta = gradcheck::Init::default().sample_vec(&[12], seed);
        let report = check(&theta, |t: &Vec<f64>| model.cost(t, false), &Config::new());
        assert_verdict(&report, Verdict::Fail);
        let report = check(&theta, |t: &Vec<f64>| model.cost(t, true), &Config::new());
        assert_verdict(&report, Verdict::Pass);
    }
}

// GB04: regularized logistic regression; the bias must not be regularized.

#[derive(Clone, Copy, Debug, PartialEq)]
enum Gb04 {
    Correct,
    /// (λ/m)·[1, θ1, θ2]
    OnesInBias,
    /// (λ/m)·[θ0, θ1, θ2]
    BiasRegularized,
}

fn gb04(variant: Gb04, lambda: f64) -> impl Fn(&[f64; 3]) -> (f64, [f64; 3]) {
    let x = [
        [1.0, 0.5, -1.2],
        [1.0, 1.5, 0.3],
        [1.0, -0.7, 0.8],
        [1.0, 0.2, 2.0],
    ];
    let y = [1.0, 0.0, 1.0, 0.0];
    move |t| {
        let m = x.len() as f64;
        let mut j = 0.0;
        let mut g = [0.0; 3];
        for (row, &yk) in x.iter().zip(&y) {
            let h = sigmoid(row.iter().zip(t).map(|(a, b)| a * b).sum());
            j -= yk * h.ln() + (1.0 - yk) * (1.0 - h).ln();
            for (gi, xi) in g.iter_mut().zip(row) {
                *gi += (h - yk) * xi;
            }
        }
        j = j / m + lambda / (2.0 * m) * (t[1] * t[1] + t[2] * t[2]);
        let reg = match variant {
            Gb04::Correct => [0.0, t[1], t[2]],
            Gb04::OnesInBias => [1.0, t[1], t[2]],
            Gb04::BiasRegularized => [t[0], t[1], t[2]],
        };
        (j, std::array::from_fn(|i| g[i] / m + lambda / m * reg[i]))
    }
}

const GB04_THETA: [f64; 3] = [0.05, -0.1, 0.08];

#[test]
fn gb04_regularized_bias_fails_when_lambda_is_positive() {
    for (variant, lambda, rel) in [
        (Gb04::OnesInBias, 1.0, 0.26),
        (Gb04::BiasRegularized, 1.0, 0.014),
        (Gb04::OnesInBias, 3.0, 0.555),
        (Gb04::BiasRegularized, 3.0, 0.041),
    ] {
        let report = check(&GB04_THETA, gb04(variant, lambda), &Config::new());
        assert_verdict(&report, Verdict::Fail);
        approx::assert_abs_diff_eq!(report.relative_difference, rel, epsilon = 0.006);
        // Only the bias entry is wrong, and the report says so.
        assert_eq!(
            disagreeing(&report),
            vec!["theta[0]".to_string()],
            "{variant:?}"
        );
    }
}

#[test]
fn gb04_every_variant_passes_without_regularization() {
    for variant in [Gb04::Correct, Gb04::OnesInBias, Gb04::BiasRegularized] {
        let report = check(&GB04_THETA, gb04(variant, 0.0), &Config::new());
        assert_verdict(&report, Verdict::Pass);
    }
}

#[test]
fn gb04_correct_gradient_passes_with_regularization() {
    for lambda in [0.1, 1.0, 3.0, 100.0] {
        let report = check(&GB04_THETA, gb04(Gb04::Correct, lambda), &Config::new());
        assert_verdict(&report, Verdict::Pass);
    }
}

#[test]
fn gb04_small_bias_bug_fails_even_at_a_loose_tolerance_of_one_percent() {
    let report = check(
        &GB04_THETA,
        gb04(Gb04::BiasRegularized, 1.0),
        &Config::new().tol(1e-2),
    );
    assert_verdict(&report, Verdict::Fail);
}

// GB05: planted bugs in two of four parameter blocks.

/// Blocks: W1 (2×3), b1 (2×1), W2 (1×2), b2 (1×1).
fn gb05(buggy: bool) -> impl Fn(&Vec<Array2<f64>>) -> (f64, Vec<Array2<f64>>) {
    let x = array![[1.0, 0.3], [-2.0, 1.2], [0.5, -1.5]]; // one example per column
    let y = array![[1.0, 0.0]];
    move |p| {
        let (w1, b1, w2, b2) = (&p[0], &p[1], &p[2], &p[3]);
        let m = x.ncols() as f64;
        let z1 = w1.dot(&x) + b1;
        let a1 = z1.mapv(|v| v.max(0.0));
        let a2 = (w2.dot(&a1) + b2).mapv(sigmoid);
        let j = -(&y * &a2.mapv(f64::ln) + (1.0 - &y) * &a2.mapv(|v| (1.0 - v).ln())).sum() / m;

        let dz2 = &a2 - &y;
        let mut dw2 = dz2.dot(&a1.t()) / m;
        let db2 = dz2.sum_axis(ndarray::Axis(1)).insert_axis(ndarray::Axis(1)) / m;
        let dz1 = w2.t().dot(&dz2) * z1.mapv(|v| if v > 0.0 { 1.0 } else { 0.0 });
        let dw1 = dz1.dot(&x.t()) / m;
        let mut db1 = dz1.sum_axis(ndarray::Axis(1)).insert_axis(ndarray::Axis(1)) / m;
        if buggy {
            dw2 *= 2.0;
            db1 *= 4.0;
        }
        (j, vec![dw1, db1, dw2, db2])
    }
}

fn gb05_theta() -> Vec<Array2<f64>> {
    vec![
        array![[0.6, -0.3, 0.2], [-0.4, 0.5, -0.9]],
        array![[0.1], [0.2]],
        array![[0.7, -0.5]],
        array![[0.05]],
    ]
}

#[test]
fn gb05_planted_bugs_are_located_by_block() {
    let config = Config::new().names(["W1", "b1", "W2", "b2"]);
    let report = check(&gb05_theta(), gb05(true), &config);
    assert_verdict(&report, Verdict::Fail);
    approx::assert_abs_diff_eq!(report.relative_difference, 0.375, epsilon = 1e-3);
    let mut wrong = disagreeing(&report);
    wrong.sort();
    assert_eq!(wrong, ["W2[0, 0]", "W2[0, 1]", "b1[0, 0]", "b1[1, 0]"]);
    let text = report.to_string();
    assert!(
        text.contains("confined to b1 (2 of 2), W2 (2 of 2); W1, b2 agree"),
        "{text}"
    );
}

#[test]
fn gb05_correct_backprop_passes() {
    let report = check(&gb05_theta(), gb05(false), &Config::new());
    assert_verdict(&report, Verdict::Pass);
}

// GB09: sigmoid derivative taken of the wrong variable.

const GB09_C: [f64; 5] = [1.0, -0.5, 0.8, 2.0, -1.5];

#[derive(Clone, Copy, Debug)]
enum Gb09 {
    Correct,
    /// z(1 − z) with z the input.
    OfInput,
    /// σ′ evaluated at the activation.
    AtActivation,
}

fn gb09(variant: Gb09) -> (impl Fn(&[f64; 5]) -> f64, impl Fn(&[f64; 5]) -> [f64; 5]) {
    let cost = |t: &[f64; 5]| (0..5).map(|i| GB09_C[i] * sigmoid(t[i])).sum();
    let grad = move |t: &[f64; 5]| {
        std::array::from_fn(|i| {
            let s = sigmoid(t[i]);
            GB09_C[i]
                * match variant {
                    Gb09::Correct => s * (1.0 - s),
                    Gb09::OfInput => t[i] * (1.0 - t[i]),
                    Gb09::AtActivation => sigmoid(s) * (1.0 - sigmoid(s)),
                }
        })
    };
    (cost, grad)
}

#[test]
fn gb09_wrong_variable_fails_in_both_variants() {
    let theta = [0.3, -1.1, 2.2, 0.05, -0.4];
    for (variant, rel) in [(Gb09::OfInput, 0.871), (Gb09::AtActivation, 0.077)] {
        let (cost, grad) = gb09(variant);
        let report = check_split(&theta, cost, grad, &Config::new());
        assert_verdict(&report, Verdict::Fail);
        approx::assert_abs_diff_eq!(report.relative_difference, rel, epsilon = 2e-3);
    }
    let (cost, grad) = gb09(Gb09::Correct);
    assert_verdict(
        &check_split(&theta, cost, grad, &Config::new()),
        Verdict::Pass,
    );
}

#[test]
fn gb09_input_bug_is_caught_even_where_it_nearly_matches() {
    // z(1 − z) crosses σ′(z) near 0.40 and 0.66; in between it is only a few
    // percent off, far above any tolerance.
    let (cost, grad) = gb09(Gb09::OfInput);
    let report = check_split(&[0.45, 0.5, 0.55, 0.6, 0.62], cost, grad, &Config::new());
    assert_verdict(&report, Verdict::Fail);
    assert!(report.relative_difference < 0.1, "{report}");
}

// GB23: ∇(½wᵀAw − bᵀw) = Aw − b holds only for symmetric A.

fn gb23(a: Array2<f64>) -> impl Fn(&Array1<f64>) -> (f64, Array1<f64>) {
    let b = array![0.3, -0.1, 0.4];
    move |w| (0.5 * w.dot(&a.dot(w)) - b.dot(w), a.dot(w) - &b)
}

fn gb23_a() -> Array2<f64> {
    array![[2.0, 0.5, -1.0], [1.5, 3.0, 0.2], [0.0, -0.8, 1.0]]
}

#[test]
fn gb23_non_symmetric_matrix_fails() {
    let report = check(
        &array![0.4, -0.7, 1.2],
        gb23(gb23_a()),
        &Config::new().param("w"),
    );
    assert_verdict(&report, Verdict::Fail);
    approx::assert_abs_diff_eq!(report.relative_difference, 0.231, epsilon = 1e-3);
}

#[test]
fn gb23_symmetric_matrix_passes() {
    let a = gb23_a();
    let symmetric = (&a + &a.t()) / 2.0;
    let report = check(&array![0.4, -0.7, 1.2], gb23(symmetric), &Config::new());
    assert_verdict(&report, Verdict::Pass);
}

#[test]
fn gb23_in_f32_gives_the_same_verdicts() {
    let a = gb23_a().mapv(|v| v as f32);
    let b = array![0.3f32, -0.1, 0.4];
    let w = array![0.4f32, -0.7, 1.2];
    let cost = |a: Array2<f32>| {
        let b = b.clone();
        move |w: &Array1<f32>| (0.5 * w.dot(&a.dot(w)) - b.dot(w), a.dot(w) - &b)
    };
    let symmetric = (&a + &a.t()) / 2.0;
    assert_verdict(&check(&w, cost(a), &Config::new()), Verdict::Fail);
    assert_verdict(&check(&w, cost(symmetric), &Config::new()), Verdict::Pass);
}
