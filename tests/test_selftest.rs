//! The self-test (a negative control) and the step sweep, on costs from the
//! corpus: a healthy check passes its own gradient and catches planted
//! errors; a degenerate one (a test loss whose gradient is identically zero)
//! is exposed instead of passing silently.

mod corpus;

use corpus::*;
use gradcheck::ndarray::{array, Array2};
use gradcheck::sweep::{sweep, DEFAULT_STEPS};
use gradcheck::{self_test, Config};

#[test]
fn a_healthy_check_passes_its_gradient_and_catches_planted_errors() {
    let a = gb23_a();
    let outcome = self_test(
        &array![0.4, -0.7, 1.2],
        gb23((&a + &a.t()) / 2.0),
        &Config::new(),
    )
    .unwrap();
    assert!(outcome.ok(), "{outcome}");
    assert_eq!(outcome.planted.len(), 3);

    let outcome = self_test(&gb05_theta(), gb05(false), &Config::new()).unwrap();
    assert!(outcome.ok(), "{outcome}");
}

#[test]
fn a_degenerate_test_loss_is_exposed() {
    // Σ BN(x) is constant in x: its gradient is 0 up to rounding, errors
    // planted in it stay at round-off, and a wrong backward pass could
    // never be caught through it.
    let err = self_test(
        &gb11_x(),
        batch_norm([1.5, -0.7], [0.1, 0.2], Array2::ones((4, 2)), true),
        &Config::new(),
    )
    .unwrap_err();
    assert!(err.contains("NOT CAUGHT"), "{err}");

    // The same layer under uneven weights is a sound test.
    let outcome = self_test(
        &gb11_x(),
        batch_norm([1.5, -0.7], [0.1, 0.2], gb11_c(), false),
        &Config::new(),
    )
    .unwrap();
    assert!(outcome.ok(), "{outcome}");
}

#[test]
fn a_wrong_gradient_fails_the_self_test() {
    let err = self_test(&GB04_THETA, gb04(Gb04::OnesInBias, 1.0), &Config::new()).unwrap_err();
    assert!(err.contains("the gradient as given: FAIL"), "{err}");
}

#[test]
fn the_sweep_separates_right_from_wrong() {
    let right = sweep(
        &GB04_THETA,
        gb04(Gb04::Correct, 1.0),
        &DEFAULT_STEPS,
        &Config::new(),
    )
    .unwrap();
    let wrong = sweep(
        &GB04_THETA,
        gb04(Gb04::OnesInBias, 1.0),
        &DEFAULT_STEPS,
        &Config::new(),
    )
    .unwrap();
    let best = right.best().unwrap();
    assert!(best.relative_difference < 1e-9, "{right}");
    // Truncation: a hundredfold larger step, ten-thousandfold larger error.
    let at = |eps: f64| {
        right
            .rows
            .iter()
            .find(|r| r.eps == eps)
            .unwrap()
            .relative_difference
    };
    let ratio = at(1e-2) / at(1e-3);
    assert!((50.0..200.0).contains(&ratio), "{right}");
    // A wrong gradient stays wrong at every step.
    assert!(
        wrong.rows.iter().all(|r| r.relative_difference > 0.2),
        "{wrong}"
    );
}
