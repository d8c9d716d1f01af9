//! A negative control for a test suite: the checker must pass the caller's
//! correct gradient and catch errors planted in it, at the caller's own
//! cost and parameters, or the call fails.
//!
//! A gradient check that passes proves little if the same check would also
//! have passed a wrong gradient (a degenerate projection, a tolerance too
//! loose for the cost's scale, a point where the cost is flat). The self-test
//! plants three errors of known kind in the analytic gradient and demands a
//! failure for each.

use std::fmt;

use crate::check::{check, Config};
use crate::params::{Gradient, Params};
use crate::report::{Report, Verdict};
use crate::scalar::Scalar;

/// An error planted in a gradient.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Plant {
    /// The largest entry multiplied by `1 + factor`.
    Scale(f64),
    /// The largest entry with its sign flipped.
    SignFlip,
    /// The two largest entries (of different values) swapped.
    Swap,
}

impl fmt::Display for Plant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Plant::Scale(x) => write!(f, "largest entry scaled by 1 + {x:e}"),
            Plant::SignFlip => f.write_str("largest entry with its sign flipped"),
            Plant::Swap => f.write_str("two largest entries swapped"),
        }
    }
}

impl Plant {
    /// Applies the error to a gradient in place; `false` when it cannot be
    /// planted (no nonzero entry, or no two different entries to swap).
    pub fn apply<G: Params>(&self, g: &mut G) -> bool {
        let n = g.layout().len();
        let mut order: Vec<usize> = (0..n).collect();
        let size = |i: usize| g.get_flat(i).to_f64().abs();
        order.sort_by(|&i, &j| size(j).total_cmp(&size(i)));
        let Some(&k) = order.first() else {
            return false;
        };
        let largest = g.get_flat(k).to_f64();
        if largest == 0.0 {
            return false;
        }
        match *self {
            Plant::Scale(x) => g.set_flat(k, G::Scalar::from_f64(largest * (1.0 + x))),
            Plant::SignFlip => g.set_flat(k, G::Scalar::from_f64(-largest)),
            Plant::Swap => {
                let other = order[1..]
                    .iter()
                    .copied()
                    .find(|&j| (g.get_flat(j).to_f64() - largest).abs() > 1e-2 * largest.abs());
                let Some(j) = other else { return false };
                let v = g.get_flat(j);
                g.set_flat(j, g.get_flat(k));
                g.set_flat(k, v);
            }
        }
        true
    }
}

/// The outcome of [`self_test`]: the report on the correct gradient and one
/// per planted error.
#[derive(Clone, Debug)]
pub struct SelfTest {
    /// The check of the gradient as given.
    pub correct: Report,
    /// Each planted error with the check's report on it (`None` when it could
    /// not be planted).
    pub planted: Vec<(Plant, Option<Report>)>,
}

impl SelfTest {
    /// Whether the correct gradient passed and every planted error failed.
    pub fn ok(&self) -> bool {
        self.correct.verdict == Verdict::Pass
            && self
                .planted
                .iter()
                .all(|(_, r)| r.as_ref().is_none_or(|r| r.verdict == Verdict::Fail))
    }
}

impl fmt::Display for SelfTest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "self-test of {}: the gradient as given: {} (relative difference {:.3e})",
            self.correct.label, self.correct.verdict, self.correct.relative_difference
        )?;
        for (plant, report) in &self.planted {
            match report {
                Some(r) => writeln!(
                    f,
                    "  planted {plant}: {} (relative difference {:.3e}){}",
                    r.verdict,
                    r.relative_difference,
                    if r.verdict == Verdict::Fail {
                        ""
                    } else {
                        "  <- NOT CAUGHT"
                    }
                )?,
                None => writeln!(f, "  planted {plant}: could not be planted")?,
            }
        }
        Ok(())
    }
}

/// Checks the gradient as given (it must pass) and with each of
/// `[Plant::Scale(1e-2), Plant::SignFlip, Plant::Swap]` planted (each must
/// fail). Returns the outcome, or an error message with every report when
/// the checker does not behave, so that `self_test(..).unwrap()` fails a
/// test with the reason.
///
/// ```
/// use gradcheck_runtime::selftest::self_test;
/// use gradcheck_runtime::Config;
///
/// let cost = |t: &[f64; 3]| {
///     let j = t[0] * t[0] * t[1] + t[2].sin();
///     (j, [2.0 * t[0] * t[1], t[0] * t[0], t[2].cos()])
/// };
/// let outcome = self_test(&[0.3, -0.8, 0.5], cost, &Config::new()).unwrap();
/// assert!(outcome.ok());
///
/// // At θ = 0 the gradient of Σθ² vanishes: nothing can be planted to scale
/// // or flip, and the self-test says so instead of passing silently.
/// let flat = |t: &[f64; 2]| (t[0] * t[0] + t[1] * t[1], [2.0 * t[0], 2.0 * t[1]]);
/// let err = self_test(&[0.0, 0.0], flat, &Config::new()).unwrap_err();
/// assert!(err.contains("could not be planted"), "{err}");
/// ```
pub fn self_test<P, G, F>(params: &P, mut cost: F, config: &Config) -> Result<SelfTest, String>
where
    P: Params,
    G: Gradient<Scalar = P::Scalar> + Params<Scalar = P::Scalar>,
    F: FnMut(&P) -> (P::Scalar, G),
{
    let correct = check(params, &mut cost, config);
    let mut planted = Vec::new();
    for plant in [Plant::Scale(1e-2), Plant::SignFlip, Plant::Swap] {
        let mut possible = true;
        let report = check(
            params,
            |p: &P| {
                let (f, mut g) = cost(p);
                possible &= plant.apply(&mut g);
                (f, g)
            },
            config,
        );
        planted.push((plant, possible.then_some(report)));
    }
    let outcome = SelfTest { correct, planted };
    let unplantable = outcome.planted.iter().all(|(_, r)| r.is_none());
    if outcome.ok() && !unplantable {
        return Ok(outcome);
    }
    let mut message = if outcome.correct.verdict == Verdict::Pass {
        format!("the gradient checker's self-test failed:\n{outcome}")
    } else {
        format!(
            "the gradient as given does not pass its own check, so the self-test cannot vouch \
             for the check at these parameters:\n{outcome}"
        )
    };
    if unplantable {
        message.push_str(
            "no error could be planted: the gradient is zero here; choose parameters where it \
             is not\n",
        );
    }
    message.push_str(&format!(
        "\nreport on the gradient as given:\n{}",
        outcome.correct
    ));
    for (plant, report) in &outcome.planted {
        if let Some(r) = report.as_ref().filter(|r| r.verdict != Verdict::Fail) {
            message.push_str(&format!("\nreport with the {plant}:\n{r}"));
        }
    }
    Err(message)
}
