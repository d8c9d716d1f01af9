//! Regression tests from public gradient-bug reports, with detailed
//! assertions on the reports: each cost is checked at the point the report
//! describes, and at neighbours (other regions, f32, random points).
//! `test_corpus.rs` checks the verdict of every case and variant.

mod corpus;

use corpus::*;
use gradcheck::ndarray::array;
use gradcheck::{check, check_split, Config, Report, Status, Verdict};

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

#[test]
fn gb09_wrong_variable_fails_in_both_variants() {
    for (variant, rel) in [(Gb09::OfInput, 0.871), (Gb09::AtActivation, 0.077)] {
        let report = check_split(&GB09_THETA, gb09_cost, gb09_grad(variant), &Config::new());
        assert_verdict(&report, Verdict::Fail);
        approx::assert_abs_diff_eq!(report.relative_difference, rel, epsilon = 2e-3);
    }
}

#[test]
fn gb09_input_bug_is_caught_even_where_it_nearly_matches() {
    // z(1 − z) crosses σ′(z) near 0.40 and 0.66; in between it is only a few
    // percent off, far above any tolerance.
    let theta = [0.45, 0.5, 0.55, 0.6, 0.62];
    let report = check_split(&theta, gb09_cost, gb09_grad(Gb09::OfInput), &Config::new());
    assert_verdict(&report, Verdict::Fail);
    assert!(report.relative_difference < 0.1, "{report}");
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
    assert_verdict(&gb23_f32(false), Verdict::Fail);
    assert_verdict(&gb23_f32(true), Verdict::Pass);
}
