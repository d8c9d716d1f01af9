//! Random-projection mode: the whole gradient checked along a few random
//! ±1 directions, and wrong entries found by bisection, at any size.

use gradcheck::projection::{check_projected, ProjectionConfig};
use gradcheck::{Config, Init, Verdict};

/// Σ cᵢ sin θᵢ + ½(Σ θᵢ)²: every entry of the gradient depends on all θ.
/// (It takes `&Vec` because `Vec<f64>` is the checked parameter type.)
#[allow(clippy::ptr_arg)]
fn cost(t: &Vec<f64>) -> (f64, Vec<f64>) {
    let sum: f64 = t.iter().sum();
    let weights = |i: usize| 1.0 + (i % 5) as f64;
    let j = t
        .iter()
        .enumerate()
        .map(|(i, x)| weights(i) * x.sin())
        .sum::<f64>()
        + 0.5 * sum * sum;
    let g = t
        .iter()
        .enumerate()
        .map(|(i, x)| weights(i) * x.cos() + sum)
        .collect();
    (j, g)
}

/// The stated budget: directions (4 × about 12 evaluations with
/// extrapolation) plus, per wrong entry, two directional checks per halving
/// of the support.
fn budget(n: usize) -> usize {
    let levels = (n as f64).log2().ceil() as usize;
    4 * 12 + levels * 2 * 2 * 12
}

#[test]
fn one_wrong_entry_among_a_million_is_found_within_budget() {
    let n = 1_000_000;
    let theta = Init::Uniform(1.0).sample_vec(&[n], 11);
    let wrong_at = 765_432;
    let buggy = |t: &Vec<f64>| {
        let (j, mut g) = cost(t);
        g[wrong_at] *= 1.01;
        (j, g)
    };
    let report = check_projected(&theta, buggy, &ProjectionConfig::default());
    assert_eq!(report.verdict, Verdict::Fail, "{report}");
    let found: Vec<usize> = report.located.iter().map(|l| l.index).collect();
    assert_eq!(found, [wrong_at], "{report}");
    assert!(
        report.evaluations <= budget(n),
        "{} > {}",
        report.evaluations,
        budget(n)
    );
    assert!(report.to_string().contains("theta[765432]"), "{report}");
}

#[test]
fn correct_gradients_pass_at_any_size() {
    for n in [10, 1_000, 100_000] {
        let theta = Init::Uniform(1.0).sample_vec(&[n], 3);
        let report = check_projected(&theta, cost, &ProjectionConfig::default());
        assert_eq!(report.verdict, Verdict::Pass, "n = {n}: {report}");
        assert!(report.evaluations <= 4 * 12 + 1, "{report}");
    }
}

#[test]
fn several_wrong_entries_are_all_named() {
    let n = 50_000;
    let theta = Init::Uniform(1.0).sample_vec(&[n], 5);
    let wrong = [17, 20_001, 49_999];
    let buggy = |t: &Vec<f64>| {
        let (j, mut g) = cost(t);
        for &k in &wrong {
            g[k] = -g[k];
        }
        (j, g)
    };
    let config = ProjectionConfig {
        check: Config::new().param("w"),
        ..ProjectionConfig::default()
    };
    let report = check_projected(&theta, buggy, &config);
    assert_eq!(report.verdict, Verdict::Fail, "{report}");
    let found: Vec<usize> = report.located.iter().map(|l| l.index).collect();
    assert_eq!(found, wrong, "{report}");
}
