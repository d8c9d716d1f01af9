//! Random-projection checks for gradients too large to check entry by
//! entry: directional derivatives along random ±1 directions, two cost
//! evaluations each, and on a failure a bisection of the direction's
//! support that finds the wrong entries.
//!
//! For a Rademacher direction `d` (independent ±1 entries), the gap
//! `⟨a − n, d⟩` between the analytic and numeric directional derivatives
//! has mean zero and variance `‖a − n‖²`, while `⟨a, d⟩` has variance
//! `‖a‖²`: the relative gap seen along a random direction is the relative
//! error of the whole gradient, whatever the number of parameters. One
//! direction misses an error only when the signs cancel it exactly, which
//! for a single wrong entry cannot happen; `directions` independent draws
//! make a cancellation of several errors vanishingly unlikely.
//!
//! Narrowing down costs about `2 · log₂(n)` directional checks per wrong
//! entry: a million parameters with one wrong entry take 20 levels of
//! bisection.

use std::fmt;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::check::Config;
use crate::difference::{noise_level, ridders, DifferenceError, Estimate};
use crate::params::{Gradient, Params};
use crate::report::Verdict;
use crate::scalar::Scalar;

/// Settings of a projection check.
#[derive(Clone, Debug, PartialEq)]
pub struct ProjectionConfig {
    /// Step and tolerance (`eps` is the step along a direction of ±1
    /// entries, scaled by `max(1, max |θᵢ|)`), label and names.
    pub check: Config,
    /// Random directions to check the whole gradient along.
    pub directions: usize,
    /// How many wrong entries to narrow down at most.
    pub max_located: usize,
    /// Seed of the directions.
    pub seed: u64,
}

impl Default for ProjectionConfig {
    fn default() -> Self {
        ProjectionConfig {
            check: Config::new(),
            directions: 4,
            max_located: 8,
            seed: 0xD1EC7,
        }
    }
}

/// One entry found wrong by bisection.
#[derive(Clone, Debug, PartialEq)]
pub struct Located {
    /// Flat index.
    pub index: usize,
    /// Name with multi-index.
    pub name: String,
    /// The analytic derivative.
    pub analytic: f64,
    /// The numeric derivative along this entry alone.
    pub numeric: f64,
}

/// The outcome of a projection check.
#[derive(Clone, Debug, PartialEq)]
pub struct ProjectionReport {
    /// The conclusion.
    pub verdict: Verdict,
    /// What was checked.
    pub label: String,
    /// Number of parameters.
    pub parameters: usize,
    /// Per direction: analytic and numeric directional derivative.
    pub directional: Vec<(f64, f64)>,
    /// The largest relative gap over the directions.
    pub relative_difference: f64,
    /// The tolerance.
    pub tol: f64,
    /// Entries located by bisection, when the check failed.
    pub located: Vec<Located>,
    /// Cost evaluations spent (gradient evaluations included).
    pub evaluations: usize,
    /// Why the check could not conclude, or other remarks.
    pub notes: Vec<String>,
}

impl ProjectionReport {
    /// Whether the verdict is [`Verdict::Pass`].
    pub fn passed(&self) -> bool {
        self.verdict == Verdict::Pass
    }
}

impl fmt::Display for ProjectionReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "gradcheck {}: {} ({} parameters, {} random directions)",
            self.verdict,
            self.label,
            self.parameters,
            self.directional.len()
        )?;
        let cmp = if self.relative_difference <= self.tol {
            "<="
        } else {
            ">"
        };
        writeln!(
            f,
            "  largest relative gap along a direction = {:.3e}  {cmp}  tol {:e}",
            self.relative_difference, self.tol
        )?;
        for (k, (a, n)) in self.directional.iter().enumerate() {
            writeln!(f, "    direction {k}: analytic {a:.6e}  numeric {n:.6e}")?;
        }
        if !self.located.is_empty() {
            writeln!(f, "  wrong entries found by bisecting the directions:")?;
            for l in &self.located {
                writeln!(
                    f,
                    "    {:<16} analytic {:.6e}  numeric {:.6e}",
                    l.name, l.analytic, l.numeric
                )?;
            }
        }
        for note in &self.notes {
            writeln!(f, "  {note}")?;
        }
        writeln!(f, "  cost evaluations: {}", self.evaluations)
    }
}

/// The working copy and the cost, with a count of evaluations.
struct Along<'a, P, F> {
    theta: P,
    base: &'a P,
    cost: F,
    evaluations: usize,
}

impl<P: Params, G, F: FnMut(&P) -> (P::Scalar, G)> Along<'_, P, F> {
    /// The cost at `θ + t·d` where `d` is ±1 on `support` (zero elsewhere)
    /// times `scale`; θ is restored afterwards.
    fn at(&mut self, t: f64, support: &[(usize, f64)]) -> Result<f64, ()> {
        for &(i, sign) in support {
            let x = self.base.get_flat(i).to_f64() + t * sign;
            self.theta.set_flat(i, P::Scalar::from_f64(x));
        }
        let value = (self.cost)(&self.theta).0.to_f64();
        for &(i, _) in support {
            self.theta.set_flat(i, self.base.get_flat(i));
        }
        self.evaluations += 1;
        value.is_finite().then_some(value).ok_or(())
    }

    /// The numeric derivative along a signed support, extrapolated.
    fn derivative(&mut self, support: &[(usize, f64)], h: f64) -> Option<Estimate> {
        // A one-parameter function of t whose derivative at 0 is the
        // directional derivative.
        let result = ridders(|t: f64| self.at(t, support), 0.0f64, h, None);
        match result {
            Ok(e) => Some(e),
            Err(DifferenceError::StepBelowResolution { .. }) | Err(_) => None,
        }
    }
}

/// Checks a gradient along random ±1 directions (see the [module](self)
/// docs), and on a failure locates wrong entries by bisection.
///
/// ```
/// use gradcheck_runtime::projection::{check_projected, ProjectionConfig};
///
/// // J = Σ cᵢ θᵢ² over 100,000 parameters, one gradient entry wrong.
/// let n = 100_000;
/// let c: Vec<f64> = (0..n).map(|i| 1.0 + (i % 7) as f64).collect();
/// let cost = |t: &Vec<f64>| {
///     let j = t.iter().zip(&c).map(|(x, w)| w * x * x).sum::<f64>();
///     let mut g: Vec<f64> = t.iter().zip(&c).map(|(x, w)| 2.0 * w * x).collect();
///     g[31_337] *= 1.5;
///     (j, g)
/// };
/// let theta: Vec<f64> = (0..n).map(|i| ((i * 37 % 101) as f64 - 50.0) / 400.0).collect();
/// let report = check_projected(&theta, cost, &ProjectionConfig::default());
/// assert!(!report.passed());
/// assert_eq!(report.located[0].name, "theta[31337]");
/// assert!(report.evaluations < 2_000, "{report}");
/// ```
pub fn check_projected<P, G, F>(
    params: &P,
    mut cost: F,
    config: &ProjectionConfig,
) -> ProjectionReport
where
    P: Params,
    G: Gradient<Scalar = P::Scalar>,
    F: FnMut(&P) -> (P::Scalar, G),
{
    let theta = params.to_standard();
    let layout = theta.layout();
    let n = layout.len();
    let eps = config.check.eps.unwrap_or(P::Scalar::DEFAULT_EPS);
    let tol = config.check.tol.unwrap_or(P::Scalar::DEFAULT_TOL);
    let label = if config.check.label.is_empty() {
        "gradient check along random directions".to_string()
    } else {
        config.check.label.clone()
    };
    let names: Vec<&str> = config.check.names.iter().map(String::as_str).collect();
    let base_name = if config.check.param.is_empty() {
        "theta"
    } else {
        &config.check.param
    };
    let mut report = ProjectionReport {
        verdict: Verdict::Pass,
        label,
        parameters: n,
        directional: Vec::new(),
        relative_difference: 0.0,
        tol,
        located: Vec::new(),
        evaluations: 0,
        notes: Vec::new(),
    };

    let (f0, gradient) = cost(&theta);
    let got = gradient.grad_layout();
    let analytic = gradient.to_f64_vec();
    drop(gradient);
    if !got.same_shapes(&layout) {
        report.verdict = Verdict::Fail;
        report.notes.push(format!(
            "the gradient has shape {got} ({} entries) but the parameters have shape {layout} \
             ({n} entries)",
            got.len()
        ));
        report.evaluations = 1;
        return report;
    }
    if !f0.to_f64().is_finite() {
        report.verdict = Verdict::Inconclusive;
        report.notes.push(format!(
            "the cost is {} at the parameters; use `check` for the full diagnosis",
            f0.to_f64()
        ));
        report.evaluations = 1;
        return report;
    }
    if let Some(i) = analytic.iter().position(|a| !a.is_finite()) {
        report.verdict = Verdict::Fail;
        report.located.push(Located {
            index: i,
            name: layout.name(i, base_name, &names),
            analytic: analytic[i],
            numeric: f64::NAN,
        });
        report
            .notes
            .push("the analytic gradient is not finite".to_string());
        report.evaluations = 1;
        return report;
    }

    let scale = (0..n)
        .map(|i| theta.get_flat(i).to_f64().abs())
        .fold(1.0f64, f64::max);
    let h = eps * scale;
    let mut rng = StdRng::seed_from_u64(config.seed);
    let mut along = Along {
        theta: theta.clone(),
        base: &theta,
        cost: &mut cost,
        evaluations: 1,
    };
    let draw = |indices: &[usize], rng: &mut StdRng| -> Vec<(usize, f64)> {
        indices
            .iter()
            .map(|&i| {
                (
                    i,
                    if rng.random_range(0..2) == 0 {
                        -1.0
                    } else {
                        1.0
                    },
                )
            })
            .collect()
    };

    // The verdict along a signed support: Some(true) when the gap is beyond
    // tolerance and error estimate (evidence of a bug), Some(false) when
    // within, None when no derivative could be formed.
    // The cost's own noise along a random direction (sums of millions of
    // f32 terms round far beyond a few ulps), from high-order differences of
    // values a quarter step apart.
    let probe = draw(&(0..n).collect::<Vec<_>>(), &mut rng);
    let samples: Vec<f64> = (0..7)
        .map_while(|k| along.at(k as f64 * h / 4.0, &probe).ok())
        .collect();
    let noise = if samples.len() == 7 {
        noise_level(&samples)
    } else {
        0.0
    };
    let judge = |along: &mut Along<P, &mut F>, support: &[(usize, f64)]| {
        let a: f64 = support.iter().map(|&(i, s)| s * analytic[i]).sum();
        let est = along.derivative(support, h)?;
        let value_noise =
            (8.0 * P::Scalar::EPSILON * est.scale.max(f0.to_f64().abs())).max(2.0 * noise);
        let round_off = value_noise / est.step;
        let uncertainty = est.error.max(round_off);
        let gap = (a - est.value).abs();
        let wrong = gap > tol * (a.abs() + est.value.abs()) + 4.0 * uncertainty;
        Some((
            wrong,
            a,
            est.value,
            gap / (a.abs() + est.value.abs()).max(f64::MIN_POSITIVE),
        ))
    };

    let all: Vec<usize> = (0..n).collect();
    let mut any_wrong = false;
    for _ in 0..config.directions.max(1) {
        let support = draw(&all, &mut rng);
        match judge(&mut along, &support) {
            Some((wrong, a, num, rel)) => {
                report.directional.push((a, num));
                report.relative_difference = report.relative_difference.max(rel);
                any_wrong |= wrong;
            }
            None => {
                report.verdict = Verdict::Inconclusive;
                report
                    .notes
                    .push("the cost was not finite along a direction".to_string());
            }
        }
    }

    if any_wrong {
        report.verdict = Verdict::Fail;
        // Bisect: keep halves whose restricted direction still disagrees.
        let mut stack = vec![all];
        while let Some(indices) = stack.pop() {
            if report.located.len() >= config.max_located {
                report.notes.push(format!(
                    "stopped after locating {} wrong entries",
                    config.max_located
                ));
                break;
            }
            if indices.len() == 1 {
                let i = indices[0];
                let single = [(i, 1.0)];
                if let Some((true, a, num, _)) = judge(&mut along, &single) {
                    report.located.push(Located {
                        index: i,
                        name: layout.name(i, base_name, &names),
                        analytic: a,
                        numeric: num,
                    });
                }
                continue;
            }
            let mid = indices.len() / 2;
            for half in [&indices[..mid], &indices[mid..]] {
                // Two independent sign draws guard against a cancellation.
                let wrong = (0..2).any(|_| {
                    let support = draw(half, &mut rng);
                    matches!(judge(&mut along, &support), Some((true, ..)))
                });
                if wrong {
                    stack.push(half.to_vec());
                }
            }
        }
        report.located.sort_by_key(|l| l.index);
        if report.located.is_empty() {
            report.notes.push(
                "no single wrong entry was isolated: the error is spread over many entries, or \
                 cancels within halves"
                    .to_string(),
            );
        }
    }
    report.evaluations = along.evaluations;
    report
}
