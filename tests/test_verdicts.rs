//! The verdict rules on their own: pass only on evidence, fail only on
//! evidence, and refine instead of crying wolf.

use gradcheck::{check, check_split, gradcheck, Config, Init, Status, Verdict};

#[test]
fn a_gradient_twice_too_large_fails_even_when_tiny() {
    // J = 1e-4·Σθ: both sides are of size 1e-4, far above round-off.
    let cost = |t: &[f64; 3]| (1e-4 * t.iter().sum::<f64>(), [2e-4; 3]);
    let report = check(&[0.1, -0.05, 0.07], cost, &Config::new());
    assert_eq!(report.verdict, Verdict::Fail, "{report}");
    assert!(
        report.to_string().contains("2.0000x the numeric value"),
        "{report}"
    );
}

#[test]
fn exact_zero_agreement_is_certified_only_at_round_off() {
    // A constant cost has gradient 0, certified to the cost's resolution.
    let cost = |t: &[f64; 2]| (3.0 + 0.0 * t[0], [0.0, 0.0]);
    let report = check(&[0.1, 0.2], cost, &Config::new());
    assert_eq!(report.verdict, Verdict::Pass, "{report}");
    assert!(report.vacuous());
    // A huge f32 cost that a step cannot move is blind: it says so.
    let cost = |t: &[f32; 2]| (1e6 + t[0] * t[1], [0.0f32, 0.0]);
    let report = check(&[0.1f32, 0.2], cost, &Config::new());
    assert_eq!(report.verdict, Verdict::Inconclusive, "{report}");
    assert!(
        report.to_string().contains("did not change at all"),
        "{report}"
    );
    // The constant cost with a nonzero gradient of 1e-6 is a bug and fails.
    let cost = |t: &[f64; 2]| (3.0 + 0.0 * t[0], [1e-6, 0.0]);
    let report = check(&[0.1, 0.2], cost, &Config::new());
    assert_eq!(report.verdict, Verdict::Fail, "{report}");
}

#[test]
fn curved_costs_pass_at_the_defaults_by_refinement() {
    // Plain central differences at eps = 1e-4 are off by ~h²·f‴/6, far above
    // tol = 1e-9 relative for these; extrapolation settles them.
    for seed in 0..20 {
        let theta = Init::default().sample_vec(&[6], seed);
        let cubes = |t: &Vec<f64>| {
            (
                t.iter().map(|x| x.powi(3)).sum::<f64>(),
                t.iter().map(|x| 3.0 * x * x).collect::<Vec<f64>>(),
            )
        };
        let report = check(&theta, cubes, &Config::new());
        assert_eq!(report.verdict, Verdict::Pass, "{report}");
        for scale in [1e4, 1e-6] {
            let sines = |t: &Vec<f64>| {
                (
                    scale * t.iter().map(|x| x.sin()).sum::<f64>(),
                    t.iter().map(|x| scale * x.cos()).collect::<Vec<f64>>(),
                )
            };
            let report = check(&theta, sines, &Config::new());
            assert_eq!(report.verdict, Verdict::Pass, "scale {scale}: {report}");
        }
    }
}

#[test]
fn a_subgradient_at_a_kink_is_accepted_and_a_wrong_one_fails() {
    let relu = |t: &[f64; 3]| t.iter().map(|x| x.max(0.0)).sum::<f64>();
    for conventional in [0.0, 0.5, 1.0] {
        let grad = move |t: &[f64; 3]| {
            t.map(|x| {
                if x > 0.0 {
                    1.0
                } else if x < 0.0 {
                    0.0
                } else {
                    conventional
                }
            })
        };
        let report = check_split(&[0.0, 0.3, -0.4], relu, grad, &Config::new());
        assert_eq!(report.verdict, Verdict::Inconclusive, "{report}");
        assert_eq!(report.components[0].status, Status::Kink);
        assert!(
            report.to_string().contains("a valid subgradient"),
            "{report}"
        );
    }
    let wrong = |t: &[f64; 3]| {
        t.map(|x| {
            if x > 0.0 {
                1.0
            } else if x < 0.0 {
                0.0
            } else {
                -1.0
            }
        })
    };
    let report = check_split(&[0.0, 0.3, -0.4], relu, wrong, &Config::new());
    assert_eq!(report.verdict, Verdict::Fail, "{report}");
    assert!(report.to_string().contains("no subgradient"), "{report}");
}

/// ReLU layer output weighted by fixed, uneven weights. Random draws almost
/// never land within a step of a kink; those that do are redrawn.
#[gradcheck(dim = 6, cases = 64, init = uniform(1.0))]
fn weighted_relu(t: &[f64]) -> (f64, Vec<f64>) {
    let c = [0.5, -1.0, 2.0, 0.25, -0.75, 1.5];
    let f = t.iter().zip(c).map(|(x, w)| w * x.max(0.0)).sum();
    (
        f,
        t.iter()
            .zip(c)
            .map(|(x, w)| if *x > 0.0 { w } else { 0.0 })
            .collect(),
    )
}

/// At zero initialization every draw sits on every kink: no draw can be
/// judged, and the test says so instead of passing.
#[gradcheck(dim = 3, cases = 4, init = zeros)]
#[should_panic(expected = "INCONCLUSIVE")]
fn relu_at_zero_initialization(t: &[f64]) -> (f64, Vec<f64>) {
    (
        t.iter().map(|x| x.max(0.0)).sum(),
        t.iter().map(|x| if *x > 0.0 { 1.0 } else { 0.0 }).collect(),
    )
}

/// At zero initialization the gradient of Σ cᵢθᵢ² vanishes, and so does a
/// gradient seven times too large: the test refuses to call that a pass.
#[gradcheck(dim = 3, cases = 4, init = zeros)]
#[should_panic(expected = "VACUOUS")]
fn weighted_squares_at_zero_initialization(t: &[f64]) -> (f64, Vec<f64>) {
    let c = [0.5, 2.0, -1.0];
    let j = t.iter().zip(c).map(|(x, w)| w * x * x).sum();
    (j, t.iter().zip(c).map(|(x, w)| 7.0 * 2.0 * w * x).collect())
}

#[test]
fn a_cost_constant_up_to_rounding_is_not_called_a_kink() {
    // Σ (xᵢ − mean(x)) is zero, computed with rounding noise.
    let cost = |x: &[f64; 6]| {
        let mean = x.iter().sum::<f64>() / 6.0;
        (x.iter().map(|v| v - mean).sum::<f64>(), [0.0; 6])
    };
    let report = check(&[0.31, -1.7, 2.2, 0.05, 9.4, -3.3], cost, &Config::new());
    assert_eq!(report.verdict, Verdict::Pass, "{report}");
    assert!(report.vacuous());
    assert!(
        report
            .to_string()
            .contains("cannot tell it from a wrong gradient"),
        "{report}"
    );
}

#[test]
fn a_single_odd_ratio_is_not_called_a_scale_error() {
    let cost = |t: &[f64; 3]| {
        (
            t[0].powi(3) + t[1] + t[2],
            [3.0 * t[0] * t[0] * 1.0028, 1.0, 1.0],
        )
    };
    let report = check(&[0.7, 0.1, 0.2], cost, &Config::new());
    assert_eq!(report.verdict, Verdict::Fail, "{report}");
    assert!(!report.to_string().contains("scale error"), "{report}");
    let doubled = |t: &[f64; 3]| (t[0].powi(3) + t[1] + t[2], [6.0 * t[0] * t[0], 1.0, 1.0]);
    let report = check(&[0.7, 0.1, 0.2], doubled, &Config::new());
    assert!(
        report.to_string().contains("2.0000x the numeric value"),
        "{report}"
    );
}

#[test]
fn a_budget_stops_the_check_and_says_how_far_it_got() {
    let cost = |t: &Vec<f64>| {
        (
            t.iter().map(|x| x.sin()).sum::<f64>(),
            t.iter().map(|x| x.cos()).collect::<Vec<f64>>(),
        )
    };
    let theta: Vec<f64> = (0..100).map(|i| i as f64 / 100.0).collect();
    let report = check(&theta, cost, &Config::new().max_evaluations(50));
    assert_eq!(report.verdict, Verdict::Inconclusive, "{report}");
    assert!(report.evaluations <= 50, "{report}");
    assert!(
        report
            .to_string()
            .contains("spent after differencing 24 of 100 entries"),
        "{report}"
    );
    // A disagreement found within the budget is still a failure.
    let wrong = |t: &Vec<f64>| {
        let (j, mut g) = cost(t);
        g[3] *= 2.0;
        (j, g)
    };
    let report = check(&theta, wrong, &Config::new().max_evaluations(50));
    assert_eq!(report.verdict, Verdict::Fail, "{report}");
}

/// A failure report names the drawn data arguments next to their values.
#[gradcheck(dim = 2, cases = 4, data(scale in 1.0..2.0))]
#[should_panic(expected = "data drawn (scale)")]
fn scaled_wrong(t: &[f64], scale: f64) -> (f64, Vec<f64>) {
    (
        scale * (t[0] * t[0] + t[1]),
        vec![4.0 * scale * t[0], scale],
    )
}
