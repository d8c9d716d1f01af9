//! The gradient check itself: perturb each parameter both ways, compare with
//! the analytic gradient, refine where the comparison is not yet decisive,
//! and conclude.

use std::collections::{BTreeMap, BTreeSet};
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::compare::diagnose;
use crate::difference::{
    noise_level, ridders_until, smoothness, stencil, step_for, DifferenceError, Estimate,
    Smoothness, Stencil,
};
use crate::params::{Gradient, Params};
use crate::report::{Component, Problem, Report, Status, Verdict};
use crate::scalar::Scalar;

/// Settings of one check. Unset `eps` and `tol` take the scalar type's
/// defaults ([`Scalar::DEFAULT_EPS`], [`Scalar::DEFAULT_TOL`]).
///
/// ```
/// use gradcheck_runtime::Config;
///
/// let config = Config::new()
///     .eps(1e-5)
///     .tol(1e-8)
///     .label("dense layer")
///     .param("theta")
///     .names(["W", "b"]);
/// assert_eq!(config.eps, Some(1e-5));
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Config {
    /// Step setting: parameter `θᵢ` is perturbed by `h = eps · max(1, |θᵢ|)`.
    pub eps: Option<f64>,
    /// Tolerance on the relative difference `‖a − n‖ / (‖a‖ + ‖n‖)`.
    pub tol: Option<f64>,
    /// What the report calls the checked function.
    pub label: String,
    /// The parameters' name in reports (default `theta`).
    pub param: String,
    /// Names of the parameter blocks (one per tensor), overriding `param`.
    pub names: Vec<String>,
    /// Stop after this many cost evaluations, with an inconclusive verdict
    /// that says how far the check got.
    pub max_evaluations: Option<usize>,
    /// Stop after this much time, likewise.
    pub max_time: Option<std::time::Duration>,
}

impl Config {
    /// Defaults everywhere.
    pub fn new() -> Self {
        Config::default()
    }

    /// Sets the step setting.
    pub fn eps(mut self, eps: f64) -> Self {
        self.eps = Some(eps);
        self
    }

    /// Sets the tolerance.
    pub fn tol(mut self, tol: f64) -> Self {
        self.tol = Some(tol);
        self
    }

    /// Sets the label of the report.
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    /// Sets the parameters' name.
    pub fn param(mut self, param: impl Into<String>) -> Self {
        self.param = param.into();
        self
    }

    /// Stops the check after `n` cost evaluations.
    pub fn max_evaluations(mut self, n: usize) -> Self {
        self.max_evaluations = Some(n);
        self
    }

    /// Stops the check after `time`.
    pub fn max_time(mut self, time: std::time::Duration) -> Self {
        self.max_time = Some(time);
        self
    }

    /// Names the parameter blocks, in order (`["W1", "b1", "W2", "b2"]`).
    pub fn names<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.names = names.into_iter().map(Into::into).collect();
        self
    }

    fn resolved<S: Scalar>(&self) -> Result<(f64, f64), Problem> {
        let eps = self.eps.unwrap_or(S::DEFAULT_EPS);
        let tol = self.tol.unwrap_or(S::DEFAULT_TOL);
        if !(eps.is_finite() && eps > 0.0) {
            return Err(Problem::InvalidConfig(format!(
                "eps must be positive and finite, got {eps}"
            )));
        }
        if !(tol.is_finite() && tol > 0.0) {
            return Err(Problem::InvalidConfig(format!(
                "tol must be positive and finite, got {tol}"
            )));
        }
        if eps < S::EPSILON {
            return Err(Problem::InvalidConfig(format!(
                "eps = {eps:e} is below the machine epsilon of {} ({:e}): θ ± h would round \
                 back to θ",
                S::NAME,
                S::EPSILON
            )));
        }
        Ok((eps, tol))
    }
}

/// Checks a cost that returns its value and gradient together.
///
/// The parameters are copied; the copy is perturbed in place one entry at a
/// time and restored, and `params` itself is never modified. See the crate
/// documentation for how the verdict is reached.
///
/// ```
/// use gradcheck_runtime::{check, Config, Verdict};
///
/// // J(θ) = Σ θᵢ³, ∇J = 3θ²
/// let cost = |t: &[f64; 3]| (t.iter().map(|x| x.powi(3)).sum::<f64>(), t.map(|x| 3.0 * x * x));
/// let report = check(&[0.1, -0.05, 0.11], cost, &Config::new());
/// assert_eq!(report.verdict, Verdict::Pass, "{report}");
///
/// // A missing factor 3 fails, and the report says where and by how much.
/// let wrong = |t: &[f64; 3]| (t.iter().map(|x| x.powi(3)).sum::<f64>(), t.map(|x| x * x));
/// let report = check(&[0.1, -0.05, 0.11], wrong, &Config::new());
/// assert_eq!(report.verdict, Verdict::Fail);
/// assert!(report.to_string().contains("theta[0]"));
/// assert!(report.to_string().contains("0.3333x the numeric value"));
/// ```
pub fn check<P, G, F>(params: &P, cost: F, config: &Config) -> Report
where
    P: Params,
    G: Gradient<Scalar = P::Scalar>,
    F: FnMut(&P) -> (P::Scalar, G),
{
    run(params, Combined(cost), config)
}

/// Checks a cost and a separate gradient function.
///
/// Finite differences call only `cost`, so this form spends no time on
/// gradients that are thrown away.
///
/// ```
/// use gradcheck_runtime::{check_split, Config};
///
/// let cost = |w: &Vec<f64>| w.iter().map(|x| x.sin()).sum::<f64>();
/// let grad = |w: &Vec<f64>| w.iter().map(|x| x.cos()).collect::<Vec<f64>>();
/// let report = check_split(&vec![0.3, -1.2, 2.0], cost, grad, &Config::new().param("w"));
/// assert!(report.passed(), "{report}");
/// ```
pub fn check_split<P, G, C, D>(params: &P, cost: C, grad: D, config: &Config) -> Report
where
    P: Params,
    G: Gradient<Scalar = P::Scalar>,
    C: FnMut(&P) -> P::Scalar,
    D: FnMut(&P) -> G,
{
    run(params, Split(cost, grad), config)
}

/// Checks a cost that returns its value and gradient, evaluating the first
/// central difference of every entry in parallel (on every core, through
/// rayon with the `rayon` feature; sequentially without it). Refinement,
/// kink tests and the rest run sequentially; `max_evaluations` and
/// `max_time` apply to them, not to the parallel pass.
///
/// ```
/// use gradcheck_runtime::{check_parallel, Config};
///
/// let cost = |t: &Vec<f64>| (t.iter().map(|x| x.exp()).sum::<f64>(), t.iter().map(|x| x.exp()).collect::<Vec<_>>());
/// let report = check_parallel(&vec![0.1, -0.3, 0.7, 1.1], cost, &Config::new());
/// assert!(report.passed(), "{report}");
/// ```
pub fn check_parallel<P, G, F>(params: &P, cost: F, config: &Config) -> Report
where
    P: Params + Send + Sync,
    G: Gradient<Scalar = P::Scalar>,
    F: Fn(&P) -> (P::Scalar, G) + Sync,
{
    let first = |theta: &P, eps: f64| parallel_first_pass(theta, eps, &|p: &P| cost(p).0);
    run_with(params, Combined(&cost), config, Some(&first))
}

/// The first pass over all entries, each worker with its own copy of θ.
#[cfg(feature = "rayon")]
fn parallel_first_pass<P, C>(
    theta: &P,
    eps: f64,
    value: &C,
) -> Vec<Result<Stencil, DifferenceError<EvalFailure>>>
where
    P: Params + Send + Sync,
    C: Fn(&P) -> P::Scalar + Sync,
{
    use rayon::prelude::*;
    let n = theta.flat_len();
    (0..n)
        .into_par_iter()
        .map_init(
            || theta.clone(),
            |local, i| first_difference(local, i, eps, value),
        )
        .collect()
}

#[cfg(not(feature = "rayon"))]
fn parallel_first_pass<P, C>(
    theta: &P,
    eps: f64,
    value: &C,
) -> Vec<Result<Stencil, DifferenceError<EvalFailure>>>
where
    P: Params,
    C: Fn(&P) -> P::Scalar,
{
    let mut local = theta.clone();
    (0..theta.flat_len())
        .map(|i| first_difference(&mut local, i, eps, value))
        .collect()
}

/// Entry `i`'s central difference on a private copy of θ.
fn first_difference<P: Params, C: Fn(&P) -> P::Scalar>(
    local: &mut P,
    i: usize,
    eps: f64,
    value: &C,
) -> Result<Stencil, DifferenceError<EvalFailure>> {
    let x = local.get_flat(i);
    let h = step_for(eps, x.to_f64());
    Stencil::evaluate(
        |v: P::Scalar| {
            local.set_flat(i, v);
            let result = guarded(|| value(local));
            local.set_flat(i, x);
            result
        },
        x,
        h,
    )
}

/// A cost with its gradient, in one of the two forms.
trait Objective<P: Params> {
    type G: Gradient<Scalar = P::Scalar>;
    fn value(&mut self, p: &P) -> P::Scalar;
    fn value_and_gradient(&mut self, p: &P) -> (P::Scalar, Self::G);
}

struct Combined<F>(F);

impl<P, G, F> Objective<P> for Combined<F>
where
    P: Params,
    G: Gradient<Scalar = P::Scalar>,
    F: FnMut(&P) -> (P::Scalar, G),
{
    type G = G;

    fn value(&mut self, p: &P) -> P::Scalar {
        (self.0)(p).0
    }

    fn value_and_gradient(&mut self, p: &P) -> (P::Scalar, G) {
        (self.0)(p)
    }
}

struct Split<C, D>(C, D);

impl<P, G, C, D> Objective<P> for Split<C, D>
where
    P: Params,
    G: Gradient<Scalar = P::Scalar>,
    C: FnMut(&P) -> P::Scalar,
    D: FnMut(&P) -> G,
{
    type G = G;

    fn value(&mut self, p: &P) -> P::Scalar {
        (self.0)(p)
    }

    fn value_and_gradient(&mut self, p: &P) -> (P::Scalar, G) {
        ((self.0)(p), (self.1)(p))
    }
}

/// The text of a caught panic.
pub(crate) fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(a panic payload that is not a string)".to_string()
    }
}

/// Evaluates a cost guarded: a panic or a value that is not finite becomes
/// an [`EvalFailure`].
fn guarded<S: Scalar>(cost: impl FnOnce() -> S) -> Result<f64, EvalFailure> {
    match catch_unwind(AssertUnwindSafe(cost)) {
        Ok(v) if v.to_f64().is_finite() => Ok(v.to_f64()),
        Ok(v) => Err(EvalFailure::NonFinite(v.to_f64())),
        Err(payload) => Err(EvalFailure::Panicked(panic_message(payload))),
    }
}

/// Why the cost gave no usable value at a perturbed point.
#[derive(Debug)]
enum EvalFailure {
    NonFinite(f64),
    Panicked(String),
    /// The evaluation or time budget is spent.
    Budget,
}

/// The working copy of the parameters and the objective, with a count of
/// evaluations.
struct Probe<P, O> {
    theta: P,
    objective: O,
    evaluations: usize,
    /// Evaluations allowed in all.
    limit: usize,
    /// When the budget ends.
    deadline: Option<std::time::Instant>,
}

impl<P: Params, O: Objective<P>> Probe<P, O> {
    /// The cost with entry `i` set to `x`; the entry is restored afterwards,
    /// whether or not the cost panicked.
    fn value_at(&mut self, i: usize, x: P::Scalar) -> Result<f64, EvalFailure> {
        self.spend()?;
        let original = self.theta.get_flat(i);
        self.theta.set_flat(i, x);
        let (theta, objective) = (&self.theta, &mut self.objective);
        let result = guarded(|| objective.value(theta));
        self.theta.set_flat(i, original);
        self.evaluations += 1;
        result
    }

    /// The cost with several entries moved at once (`θᵢ + δᵢ`), restored
    /// afterwards.
    /// Refuses an evaluation once the budget is spent.
    fn spend(&self) -> Result<(), EvalFailure> {
        let late = self
            .deadline
            .is_some_and(|d| std::time::Instant::now() >= d);
        if self.evaluations >= self.limit || late {
            Err(EvalFailure::Budget)
        } else {
            Ok(())
        }
    }

    fn value_moved(&mut self, moves: &[(usize, f64)]) -> Result<f64, EvalFailure> {
        self.spend()?;
        let original: Vec<P::Scalar> = moves.iter().map(|&(i, _)| self.theta.get_flat(i)).collect();
        for (&(i, delta), x) in moves.iter().zip(&original) {
            self.theta
                .set_flat(i, P::Scalar::from_f64(x.to_f64() + delta));
        }
        let (theta, objective) = (&self.theta, &mut self.objective);
        let result = guarded(|| objective.value(theta));
        for (&(i, _), x) in moves.iter().zip(original) {
            self.theta.set_flat(i, x);
        }
        self.evaluations += 1;
        result
    }

    /// The noise in the cost's computed values near θ, from `NOISE_POINTS`
    /// evaluations along a fixed ±1 direction, spaced a quarter of the
    /// difference step apart (see [`noise_level`]); 0 when an evaluation
    /// fails. At that spacing the smooth part of the cost cancels in the
    /// high-order differences, and what remains is the noise the differences
    /// themselves see: rounding, and the steps of a cost whose value is
    /// quantized (log(1 − σ(z)) near saturation).
    fn noise(&mut self, f0: f64, eps: f64) -> f64 {
        let n = self.theta.layout().len();
        let original: Vec<P::Scalar> = (0..n).map(|i| self.theta.get_flat(i)).collect();
        let delta = eps / 4.0;
        let mut values = vec![f0];
        for k in 1..NOISE_POINTS {
            if self.spend().is_err() {
                break;
            }
            for (i, x) in original.iter().enumerate() {
                let x = x.to_f64();
                let sign = if (i.wrapping_mul(0x9E37_79B9) >> 7) & 1 == 0 {
                    1.0
                } else {
                    -1.0
                };
                let moved = x + sign * k as f64 * delta * x.abs().max(1.0);
                self.theta.set_flat(i, P::Scalar::from_f64(moved));
            }
            let (theta, objective) = (&self.theta, &mut self.objective);
            let result = guarded(|| objective.value(theta));
            self.evaluations += 1;
            match result {
                Ok(v) => values.push(v),
                Err(_) => break,
            }
        }
        for (i, x) in original.into_iter().enumerate() {
            self.theta.set_flat(i, x);
        }
        if values.len() < NOISE_POINTS {
            return 0.0;
        }
        noise_level(&values)
    }
}

/// A relative gap that no truncation or round-off of a plain central
/// difference at a sensible step explains (its truncation error is about
/// h²·f‴/6, 1e-9 relative at the default step for a well-scaled cost).
const GROSS: f64 = 1e-4;
/// Relative distances of the probes that tell a parameter the cost ignores
/// from a saturated one.
const FLAT_PROBES: [f64; 3] = [0.5, 8.0, 128.0];
/// Evaluations behind the noise estimate (θ itself included).
const NOISE_POINTS: usize = 7;
/// A central difference's noise, in units of the cost's noise over the step.
const NOISE_MULTIPLE: f64 = 2.0;

/// How many error estimates a disagreement must exceed to count as one.
const UNCERTAINTY_FACTOR: f64 = 4.0;
/// Round-off of a central difference, in units of `ε · |f| / h`: each cost
/// value carries a few ulps of accumulated rounding.
const ROUND_OFF_ULPS: f64 = 8.0;
/// An error estimate up to this many round-off units is round-off, not
/// truncation or noise.
const ROUND_OFF_DOMINATED: f64 = 4.0;
/// One-sided slopes that differ by more than this fraction of their size
/// trigger the kink test even where the central difference agrees.
const KINK_GAP: f64 = 1e-2;
/// Two evaluations at the same point this many ulps apart still count as
/// deterministic.
const NONDETERMINISM_ULPS: f64 = 4.0;
/// How many agreeing entries the report keeps (those closest to failing).
const SHOWN_AGREEING: usize = 8;
/// How many entries without a numeric derivative the diagnosis lists.
const SHOWN_REASONS: usize = 5;

/// Computes every entry's first central difference at once (in parallel),
/// given the parameters and `eps`.
type FirstPass<'a, P> = &'a dyn Fn(&P, f64) -> Vec<Result<Stencil, DifferenceError<EvalFailure>>>;

fn run<P, O>(params: &P, objective: O, config: &Config) -> Report
where
    P: Params,
    O: Objective<P>,
{
    run_with(params, objective, config, None)
}

fn run_with<P, O>(
    params: &P,
    objective: O,
    config: &Config,
    parallel: Option<FirstPass<'_, P>>,
) -> Report
where
    P: Params,
    O: Objective<P>,
{
    let theta = params.to_standard();
    let layout = theta.layout();
    let names: Vec<&str> = config.names.iter().map(String::as_str).collect();
    let base = if config.param.is_empty() {
        "theta"
    } else {
        config.param.as_str()
    };
    let name_of = |i: usize| layout.name(i, base, &names);

    let mut report = Report {
        verdict: Verdict::Fail,
        label: if config.label.is_empty() {
            "gradient check".to_string()
        } else {
            config.label.clone()
        },
        scalar: P::Scalar::NAME,
        layout: layout.clone(),
        relative_difference: f64::NAN,
        tol: config.tol.unwrap_or(P::Scalar::DEFAULT_TOL),
        eps: config.eps.unwrap_or(P::Scalar::DEFAULT_EPS),
        components: Vec::new(),
        problem: None,
        diagnosis: Vec::new(),
        refined: 0,
        evaluations: 0,
        context: Vec::new(),
        zero_gradient: false,
    };
    let stop = |mut report: Report, problem: Problem, evaluations: usize| {
        report.verdict = problem.verdict();
        report.problem = Some(problem);
        report.evaluations = evaluations;
        report
    };

    let (eps, tol) = match config.resolved::<P::Scalar>() {
        Ok(v) => v,
        Err(p) => return stop(report, p, 0),
    };
    let n = layout.len();
    if n == 0 {
        return stop(report, Problem::NoParameters, 0);
    }
    if let Some(i) = (0..n).find(|&i| !theta.get_flat(i).to_f64().is_finite()) {
        let problem = Problem::NonFiniteParameter {
            name: name_of(i),
            value: theta.get_flat(i).to_f64(),
        };
        return stop(report, problem, 0);
    }

    // The analytic side, once.
    let mut probe = Probe {
        theta,
        objective,
        evaluations: 0,
        limit: config.max_evaluations.unwrap_or(usize::MAX),
        deadline: config.max_time.map(|t| std::time::Instant::now() + t),
    };
    let first = {
        let (theta, objective) = (&probe.theta, &mut probe.objective);
        catch_unwind(AssertUnwindSafe(|| objective.value_and_gradient(theta)))
    };
    probe.evaluations += 1;
    let (f0, gradient) = match first {
        Ok(v) => v,
        Err(payload) => {
            let problem = Problem::CostPanicked {
                at: "at the parameters".to_string(),
                message: panic_message(payload),
            };
            return stop(report, problem, probe.evaluations);
        }
    };
    let f0 = f0.to_f64();
    if !f0.is_finite() {
        return stop(
            report,
            Problem::NonFiniteCost { value: f0 },
            probe.evaluations,
        );
    }
    let got = gradient.grad_layout();
    if !got.same_shapes(&layout) {
        let problem = Problem::GradientShape {
            expected: Box::new(layout),
            got: Box::new(got),
        };
        return stop(report, problem, probe.evaluations);
    }
    let analytic = gradient.to_f64_vec();
    drop(gradient);

    // The same point again must give the same value, or no difference of
    // two values can mean anything.
    let again = {
        let (theta, objective) = (&probe.theta, &mut probe.objective);
        catch_unwind(AssertUnwindSafe(|| objective.value(theta)))
    };
    probe.evaluations += 1;
    match again {
        // A few ulps apart (a parallel reduction) is noise, which the noise
        // estimate accounts for; more is a cost that is not a function.
        Ok(v) if (v.to_f64() - f0).abs() <= NONDETERMINISM_ULPS * P::Scalar::EPSILON * f0.abs() => {
        }
        Ok(v) => {
            let problem = Problem::NotDeterministic {
                first: f0,
                second: v.to_f64(),
            };
            return stop(report, problem, probe.evaluations);
        }
        Err(payload) => {
            let problem = Problem::CostPanicked {
                at: "at the parameters, on a second call".to_string(),
                message: panic_message(payload),
            };
            return stop(report, problem, probe.evaluations);
        }
    }

    // First pass: one central difference per entry. Only the two values are
    // kept (the points are recomputed when needed), so that the check's
    // memory stays a few copies of the parameters.
    let mut values: Vec<[f64; 2]> = vec![[f64::NAN; 2]; n];
    let mut failures: BTreeMap<usize, String> = BTreeMap::new();
    let mut budget_spent = false;
    let mut unrefined_after_budget = false;
    let mut first: Vec<Result<Stencil, DifferenceError<EvalFailure>>> = Vec::new();
    if let Some(parallel) = parallel {
        first = parallel(&probe.theta, eps);
        probe.evaluations += first
            .iter()
            .map(|r| match r {
                Ok(_) => 2,
                Err(_) => 1,
            })
            .sum::<usize>();
    }
    let mut first = first.into_iter();
    for (i, slot) in values.iter_mut().enumerate() {
        if budget_spent {
            continue;
        }
        let x = probe.theta.get_flat(i);
        let h = step_for(eps, x.to_f64());
        let result = match parallel {
            Some(_) => first.next().expect("one stencil per entry"),
            None => Stencil::evaluate(|v| probe.value_at(i, v), x, h),
        };
        match result {
            Err(DifferenceError::Evaluation(EvalFailure::Budget)) => budget_spent = true,
            Ok(s) if s.central().value.is_finite() => *slot = [s.f_plus, s.f_minus],
            Ok(s) => {
                failures.insert(
                    i,
                    format!(
                        "the difference of the cost at {} ± h overflows ({:e} and {:e}); no \
                         numeric derivative there",
                        name_of(i),
                        s.f_plus,
                        s.f_minus
                    ),
                );
            }
            Err(e) => {
                let (reason, problem) = describe(e, &name_of(i));
                if let Some(problem) = problem {
                    return stop(report, problem, probe.evaluations);
                }
                failures.insert(i, reason);
            }
        }
    }
    drop(first);
    // Entry i's first-pass stencil, rebuilt from its two values.
    let stencil_at = |theta: &P, i: usize| -> Option<Stencil> {
        let [f_plus, f_minus] = values[i];
        if f_plus.is_nan() {
            return None;
        }
        let x = theta.get_flat(i);
        let (plus, minus) = stencil(x, step_for(eps, x.to_f64()))?;
        Some(Stencil {
            x: x.to_f64(),
            plus: plus.to_f64(),
            minus: minus.to_f64(),
            f_plus,
            f_minus,
        })
    };

    // A cost that did not change at all when any parameter moved is blind at
    // this step (|J| so large that a step changes it by less than an ulp):
    // agreement of a zero analytic gradient with it would mean nothing. (A
    // nonzero analytic gradient goes on to the flatness probes below.)
    let all_flat = values.iter().all(|v| v[0] == f0 && v[1] == f0);
    let blind = || {
        // The smallest gradient a step could show: an ulp of the cost over
        // the smallest step. Above √tol (absolute), "zero" means nothing.
        let smallest_step = (0..n)
            .filter_map(|i| stencil_at(&probe.theta, i))
            .map(|s| s.central().step)
            .fold(f64::INFINITY, f64::min);
        P::Scalar::EPSILON * f0.abs() / smallest_step > tol.sqrt()
    };
    if all_flat && analytic.iter().all(|a| *a == 0.0) && blind() {
        report.verdict = Verdict::Inconclusive;
        report.diagnosis.push(format!(
            "the cost ({f0:e}) did not change at all when any parameter moved by its step: the \
             step is below the resolution of {} at this cost (raise eps, or subtract the \
             constant part of the cost)",
            P::Scalar::NAME
        ));
        report.evaluations = probe.evaluations;
        return report;
    }

    // Second pass: extrapolate where a single difference does not settle it,
    // and measure how noisy the cost is, which bounds what any difference
    // can resolve. Refined estimates are kept aside, by entry.
    let mut refined: BTreeMap<usize, Estimate> = BTreeMap::new();
    let mut lost: BTreeSet<usize> = BTreeSet::new();
    let estimate_at =
        |theta: &P, refined: &BTreeMap<usize, Estimate>, lost: &BTreeSet<usize>, i| {
            if lost.contains(&i) {
                return None;
            }
            refined
                .get(&i)
                .copied()
                .or_else(|| stencil_at(theta, i).map(|s| s.central()))
        };
    let mut noise = 0.0;
    // (A NaN relative difference refines too.)
    let first_rel = relative_over(&analytic, |i| {
        estimate_at(&probe.theta, &refined, &lost, i).map(|e| e.value)
    });
    if first_rel.is_nan() || first_rel > tol {
        noise = probe.noise(f0, eps);
        for (i, &a) in analytic.iter().enumerate() {
            let Some(d) = estimate_at(&probe.theta, &refined, &lost, i) else {
                continue;
            };
            if !a.is_finite() || (a - d.value).abs() <= 0.5 * tol * (a.abs() + d.value.abs()) {
                continue;
            }
            let x = probe.theta.get_flat(i);
            let h = step_for(eps, x.to_f64());
            // Stop refining once the verdict on this entry is clear: far
            // outside any plausible error, or inside the tolerance.
            let decided = |e: &Estimate| {
                let gap = (a - e.value).abs();
                let allowed = tol * (a.abs() + e.value.abs());
                let round_off =
                    ROUND_OFF_ULPS * P::Scalar::EPSILON * e.scale.max(f0.abs()) / e.step;
                let uncertainty = e.error.max(round_off);
                gap > allowed + 64.0 * UNCERTAINTY_FACTOR * uncertainty
                    || gap + UNCERTAINTY_FACTOR * uncertainty <= 0.5 * allowed
            };
            match ridders_until(|v| probe.value_at(i, v), x, h, Some(d), decided) {
                Ok(r) => {
                    refined.insert(i, r);
                    report.refined += 1;
                }
                Err(DifferenceError::Evaluation(EvalFailure::Budget)) => {
                    // Keep the plain difference; judge it as unrefined.
                    budget_spent = true;
                    unrefined_after_budget = true;
                    break;
                }
                Err(e) => {
                    let (reason, problem) = describe(e, &name_of(i));
                    if let Some(problem) = problem {
                        return stop(report, problem, probe.evaluations);
                    }
                    failures.insert(i, reason);
                    lost.insert(i);
                }
            }
        }
    }

    // Classify every entry; only those that do not plainly agree are kept
    // as components (and, at the end, the agreeing ones closest to failing).
    let epsilon = P::Scalar::EPSILON;
    // The finest resolution at which "both sides are zero" is accepted: a
    // tol-th of the largest gradient entry, but never coarser than √tol in
    // absolute terms (so that a cost huge next to its gradient cannot pass
    // a wrong gradient as round-off).
    let largest = (0..n)
        .filter_map(|i| {
            estimate_at(&probe.theta, &refined, &lost, i)
                .map(|e| analytic[i].abs().max(e.value.abs()))
        })
        .filter(|x| x.is_finite())
        .fold(0.0f64, f64::max);
    let zero_floor = (tol * largest).max(tol.sqrt());
    let component_at = |theta: &P, i: usize| -> Component {
        let mut c = Component {
            index: i,
            name: String::new(),
            value: theta.get_flat(i).to_f64(),
            analytic: analytic[i],
            numeric: f64::NAN,
            error_estimate: 0.0,
            step: 0.0,
            one_sided: None,
            status: Status::Agree,
        };
        match estimate_at(theta, &refined, &lost, i) {
            Some(d) => {
                classify(&mut c, &d, f0, noise, tol, epsilon, zero_floor);
                if unrefined_after_budget && d.evaluations <= 2 {
                    // Cut short by the budget: a plain difference with no
                    // error estimate settles only gross gaps.
                    let gap = (c.analytic - d.value).abs();
                    let scale = c.analytic.abs() + d.value.abs();
                    if gap > tol * scale {
                        c.status = if gap > GROSS * scale {
                            Status::Disagree
                        } else {
                            Status::Unresolved
                        };
                    }
                }
            }
            None if c.analytic.is_finite() => c.status = Status::NoNumeric,
            None => c.status = Status::NonFiniteAnalytic,
        }
        c
    };

    let mut kept: BTreeMap<usize, Component> = BTreeMap::new();
    let mut saturated = false;
    // Third pass: an entry that disagrees or cannot be resolved, or whose
    // one-sided slopes differ markedly, may sit at a kink or a jump.
    for i in 0..n {
        let mut c = component_at(&probe.theta, i);
        let Some(s) = stencil_at(&probe.theta, i).filter(|_| c.analytic.is_finite()) else {
            if c.status != Status::Agree {
                kept.insert(i, c);
            }
            continue;
        };
        let (fwd, bwd) = (s.forward(f0), s.backward(f0));
        let scale = f0.abs().max(s.f_plus.abs()).max(s.f_minus.abs());
        let gap_noise =
            4.0 * (ROUND_OFF_ULPS * epsilon * scale).max(NOISE_MULTIPLE * noise) / s.central().step;
        let suspicious = matches!(c.status, Status::Disagree | Status::Unresolved);
        let uneven = (fwd - bwd).abs() > KINK_GAP * (fwd.abs() + bwd.abs()) + gap_noise;
        if !(suspicious || uneven) {
            if c.status != Status::Agree {
                kept.insert(i, c);
            }
            continue;
        }
        let x = probe.theta.get_flat(i);
        match smoothness(|v| probe.value_at(i, v), x, f0, &s, noise) {
            Ok((Smoothness::Smooth, _)) => {}
            Ok((Smoothness::Kink { left, right, error }, _)) => {
                c.one_sided = Some((left, right));
                let (lo, hi) = (left.min(right), left.max(right));
                let margin = tol * (lo.abs() + hi.abs()) + UNCERTAINTY_FACTOR * error;
                c.status = if c.analytic >= lo - margin && c.analytic <= hi + margin {
                    Status::Kink
                } else {
                    Status::Disagree
                };
            }
            Ok((Smoothness::Jump, _)) => c.status = Status::Discontinuous,
            Err(e) => {
                let (reason, problem) = describe(e, &name_of(i));
                if let Some(problem) = problem {
                    return stop(report, problem, probe.evaluations);
                }
                failures.insert(i, reason);
            }
        }
        if c.status == Status::Disagree && c.numeric.abs() < 0.5 * c.analytic.abs() {
            // The cost is (nearly) flat along θᵢ while the gradient says it
            // is not. Either the cost ignores θᵢ, or it is saturated in
            // floating point (σ(z) rounded to 1, log(1 − σ(z)) quantized),
            // so that its slope over a few steps is not the slope of its
            // formula. The slope over a long step tells them apart.
            let x = x.to_f64();
            let flat_here = s.f_plus == f0 && s.f_minus == f0;
            // A long slope nearer the analytic value is evidence of
            // saturation only where the cost is locally linear, as a
            // floating-point plateau plus a linear part is; a curved cost's
            // long slope can land anywhere, and a dead ReLU unit's long
            // slope is that of the part past its kink, not the analytic one.
            let linear_here = (fwd - bwd).abs() <= gap_noise + 1e-8 * (fwd.abs() + bwd.abs());
            let mut evidence = None;
            for multiple in FLAT_PROBES.iter().filter(|_| linear_here) {
                let far = multiple * x.abs().max(1.0);
                let (plus, minus) = (x + far, x - far);
                let ends = (
                    probe.value_at(i, P::Scalar::from_f64(plus)),
                    probe.value_at(i, P::Scalar::from_f64(minus)),
                );
                let (Ok(fp), Ok(fm)) = ends else { break };
                let wide = (fp - fm) / (plus - minus);
                // A change of a few ulps is rounding, not dependence.
                let floor = (ROUND_OFF_ULPS * epsilon * f0.abs().max(fp.abs()).max(fm.abs()))
                    .max(NOISE_MULTIPLE * noise);
                let moves = (fp - f0).abs() > floor || (fm - f0).abs() > floor;
                if flat_here && !moves {
                    // Still flat: look farther.
                    continue;
                }
                if (wide - c.analytic).abs() < 0.5 * (c.numeric - c.analytic).abs() {
                    evidence = Some(format!("has slope {wide:.3e} over ±{far:.1e}"));
                }
                break;
            }
            if let Some(evidence) = evidence {
                saturated = true;
                c.status = Status::Unresolved;
                failures.insert(
                    i,
                    format!(
                        "the cost's slope along {} is {:.3e} over ±{:.1e} but it {evidence}: it \
                         is nearly flat in floating point there (a saturated sigmoid or softmax, \
                         exp under- or overflow?), and no difference can judge it",
                        name_of(i),
                        c.numeric,
                        s.central().step
                    ),
                );
            }
        }
        if c.status != Status::Agree {
            kept.insert(i, c);
        }
    }

    // Kinks jointly: per-entry brackets are necessary, not sufficient (at a
    // five-way tie of max, 1 for every entry lies in each bracket, but a
    // subgradient of max sums to 1). Along a direction that moves every
    // kinked entry at once, ⟨analytic, d⟩ must lie between the one-sided
    // directional slopes.
    let kinked: Vec<usize> = kept
        .values()
        .filter(|c| c.status == Status::Kink)
        .map(|c| c.index)
        .collect();
    let mut joint_note = None;
    if kinked.len() >= 2 {
        for pattern in 0..2 {
            // Each kinked entry moved by its first-pass step, all at once.
            let mut d = Vec::with_capacity(kinked.len());
            let (mut right_sep, mut left_sep) = (0.0, 0.0);
            for (k, &i) in kinked.iter().enumerate() {
                let Some(st) = stencil_at(&probe.theta, i) else {
                    continue;
                };
                let up = pattern == 0 || (k.wrapping_mul(0x9E37_79B9) >> 5) & 1 == 0;
                let step = if up { st.plus - st.x } else { st.minus - st.x };
                d.push((i, step));
                // The rates the moves would add up to if the kinks were
                // independent (a separable cost).
                let (ahead, behind) = if up {
                    (st.f_plus, st.f_minus)
                } else {
                    (st.f_minus, st.f_plus)
                };
                right_sep += ahead - f0;
                left_sep += f0 - behind;
            }
            let back: Vec<(usize, f64)> = d.iter().map(|&(i, v)| (i, -v)).collect();
            let (Ok(fp), Ok(fm)) = (probe.value_moved(&d), probe.value_moved(&back)) else {
                break;
            };
            let (right, left) = (fp - f0, f0 - fm);
            let value_noise = (ROUND_OFF_ULPS * epsilon * f0.abs()).max(NOISE_MULTIPLE * noise);
            let coupled_slack = 1e-6 * (right.abs() + left.abs()) + 8.0 * value_noise;
            if (right - right_sep).abs() <= coupled_slack
                && (left - left_sep).abs() <= coupled_slack
            {
                // Independent kinks: the per-entry brackets say it all.
                continue;
            }
            let (lo, hi) = (left.min(right), left.max(right));
            let projected: f64 = d.iter().map(|&(i, v)| analytic[i] * v).sum();
            // Each entry's own numeric uncertainty, over its step.
            let spread: f64 = d
                .iter()
                .map(|&(i, v)| v.abs() * kept[&i].error_estimate)
                .sum();
            let margin =
                1e-3 * (lo.abs() + hi.abs()) + 8.0 * value_noise + UNCERTAINTY_FACTOR * spread;
            if projected < lo - margin || projected > hi + margin {
                for i in &kinked {
                    if let Some(c) = kept.get_mut(i) {
                        c.status = Status::Disagree;
                        c.one_sided = None;
                    }
                }
                joint_note =
                    Some(format!(
                    "jointly, the analytic values at the {} kinked entries are no subgradient: \
                     moving them together by their steps{} changes the cost by between \
                     {lo:.4e} and {hi:.4e}, but the analytic gradient predicts {projected:.4e} \
                     (at a tie of max, a subgradient's entries sum to 1)",
                    kinked.len(),
                    if pattern == 1 { " with mixed signs" } else { "" }
                ));
                break;
            }
        }
    }

    report.relative_difference = if analytic.iter().any(|x| !x.is_finite()) {
        f64::INFINITY
    } else {
        relative_over(&analytic, |i| {
            estimate_at(&probe.theta, &refined, &lost, i)
                .map(|e| e.value)
                .filter(|v| v.is_finite())
        })
    };
    report.zero_gradient = analytic.iter().all(|a| *a == 0.0);

    // The classic verdict is global: when the whole gradient is within
    // `tol`, single entries that are not (tiny ones, typically) stand.
    if report.relative_difference <= tol {
        for c in kept.values_mut() {
            if matches!(
                c.status,
                Status::Disagree | Status::Unresolved | Status::WithinRoundOff
            ) {
                c.status = Status::Agree;
            }
        }
    }

    // The components: every entry that did not agree, and the agreeing
    // entries with the largest absolute differences, named, in flat order.
    // (A bounded selection: no copy of the whole gradient.)
    let mut closest: Vec<(f64, usize)> = Vec::with_capacity(SHOWN_AGREEING + 1);
    for i in (0..n).filter(|i| !kept.contains_key(i)) {
        let Some(e) = estimate_at(&probe.theta, &refined, &lost, i) else {
            continue;
        };
        let gap = (analytic[i] - e.value).abs();
        if closest.len() < SHOWN_AGREEING || gap > closest[closest.len() - 1].0 {
            let at = closest.partition_point(|&(g, _)| g >= gap);
            closest.insert(at, (gap, i));
            closest.truncate(SHOWN_AGREEING);
        }
    }
    for &(_, i) in &closest {
        let mut c = component_at(&probe.theta, i);
        c.status = Status::Agree;
        kept.insert(i, c);
    }
    report.components = kept
        .into_values()
        .map(|mut c| {
            c.name = name_of(c.index);
            c
        })
        .collect();

    let has = |s: Status| report.components.iter().any(|c| c.status == s);
    // A saturated cost is not faithful to its formula near θ: differences
    // of it are no evidence against the analytic gradient.
    let failed = has(Status::NonFiniteAnalytic) || (has(Status::Disagree) && !saturated);
    let undecided = [
        Status::Disagree,
        Status::Unresolved,
        Status::NoNumeric,
        Status::Kink,
        Status::Discontinuous,
    ]
    .into_iter()
    .any(has);
    let unresolved = has(Status::Unresolved);
    let voided = has(Status::Disagree) && saturated;
    report.verdict = if failed {
        Verdict::Fail
    } else if undecided {
        Verdict::Inconclusive
    } else {
        Verdict::Pass
    };
    report.diagnosis = diagnose(&report.components, &report.layout, base, &names);
    let first = probe.theta.get_flat(0);
    if n > 1 && (0..n).all(|i| probe.theta.get_flat(i) == first) {
        report.diagnosis.push(format!(
            "every parameter is {:e}: a symmetric point, where ties, kinks and identical units \
             hide bugs; check at randomly initialized parameters",
            first.to_f64()
        ));
    }
    report
        .diagnosis
        .extend(describe_non_smooth(&report.components));
    report.diagnosis.extend(joint_note);
    if budget_spent {
        let checked = values.iter().filter(|v| !v[0].is_nan()).count();
        report.diagnosis.push(format!(
            "the budget ({}) was spent after differencing {checked} of {n} entries; the others \
             are unchecked",
            match (config.max_evaluations, config.max_time) {
                (Some(e), Some(t)) => format!("{e} evaluations or {t:?}"),
                (Some(e), None) => format!("{e} evaluations"),
                (None, Some(t)) => format!("{t:?}"),
                (None, None) => "none set".to_string(),
            }
        ));
    }
    let reasons = failures.len();
    report
        .diagnosis
        .extend(failures.into_values().take(SHOWN_REASONS));
    if reasons > SHOWN_REASONS {
        report.diagnosis.push(format!(
            "... and {} more entries without a numeric derivative",
            reasons - SHOWN_REASONS
        ));
    }
    if report.vacuous() {
        report.diagnosis.push(
            "the analytic gradient is exactly zero here, so this check cannot tell it from a \
             wrong gradient that is also zero here; check at random parameters"
                .to_string(),
        );
    }
    if report.verdict == Verdict::Pass && report.relative_difference > tol {
        report.diagnosis.push(format!(
            "the relative difference exceeds tol only within the round-off of {} at this cost \
             scale (|J| = {f0:.3e}); no finite difference can resolve it further",
            P::Scalar::NAME
        ));
    }
    if voided {
        report.diagnosis.push(
            "the cost is saturated in floating point near these parameters, so its differences \
             do not follow its formula; the disagreements are not judged (evaluate the cost in \
             a stable form, e.g. log-sigmoid or log-sum-exp, or check at smaller parameters)"
                .to_string(),
        );
    }
    if unresolved && unrefined_after_budget {
        report.diagnosis.push(
            "the unresolved entries are plain differences that the budget left unrefined: their \
             gaps are beyond tol but too small to call without extrapolation"
                .to_string(),
        );
    } else if unresolved {
        report.diagnosis.push(
            "the numeric derivative's error estimate is too large to judge the unresolved \
             entries: is the cost noisy, or too curved for the step?"
                .to_string(),
        );
    }
    report.evaluations = probe.evaluations;
    report
}

/// Sets a component's numeric value, error estimate and status from its
/// (possibly refined) estimate.
fn classify(
    c: &mut Component,
    d: &Estimate,
    f0: f64,
    noise: f64,
    tol: f64,
    epsilon: f64,
    zero_floor: f64,
) {
    let a = c.analytic;
    c.numeric = d.value;
    c.step = d.step;
    let value_noise =
        (ROUND_OFF_ULPS * epsilon * d.scale.max(f0.abs())).max(NOISE_MULTIPLE * noise);
    let round_off = value_noise / d.step;
    let refined = d.error.is_finite() && d.evaluations > 2;
    c.error_estimate = if refined { d.error.max(round_off) } else { 0.0 };
    let gap = (a - d.value).abs();
    let allowed = tol * (a.abs() + d.value.abs());
    c.status = if !a.is_finite() {
        Status::NonFiniteAnalytic
    } else if gap <= allowed || !refined {
        // Unrefined entries are those the whole check already settled.
        Status::Agree
    } else if gap > allowed + UNCERTAINTY_FACTOR * c.error_estimate {
        Status::Disagree
    } else if d.error <= ROUND_OFF_DOMINATED * round_off
        && (zero_level(a, d.value, c.error_estimate, zero_floor)
            || UNCERTAINTY_FACTOR * c.error_estimate <= tol.sqrt() * (a.abs() + d.value.abs()))
    {
        // The gap is round-off, and round-off at this entry is either fine
        // relative to the entry (better than √tol) or, for an entry that is
        // zero in exact arithmetic, fine in absolute terms.
        Status::WithinRoundOff
    } else {
        Status::Unresolved
    };
}

/// Whether both sides are zero as far as any difference can tell: the
/// analytic value below the resolution itself (as for a gradient that is
/// zero in exact arithmetic), the numeric one within it, and that resolution
/// fine in absolute terms.
fn zero_level(analytic: f64, numeric: f64, uncertainty: f64, zero_floor: f64) -> bool {
    analytic.abs() <= uncertainty
        && numeric.abs() <= UNCERTAINTY_FACTOR * uncertainty
        && UNCERTAINTY_FACTOR * uncertainty <= zero_floor
}

/// Sentences on the kinks and jumps found, one per kind, listing the
/// entries.
fn describe_non_smooth(components: &[Component]) -> Vec<String> {
    let list = |pick: &dyn Fn(&Component) -> Option<String>| -> (usize, String) {
        let items: Vec<String> = components.iter().filter_map(pick).collect();
        let mut text = items
            .iter()
            .take(SHOWN_REASONS)
            .cloned()
            .collect::<Vec<_>>()
            .join("; ");
        if items.len() > SHOWN_REASONS {
            text.push_str(&format!("; and {} more", items.len() - SHOWN_REASONS));
        }
        (items.len(), text)
    };
    let slopes = |c: &Component, l: f64, r: f64| {
        format!(
            "{} = {:e}: slopes {l:.4e} (left), {r:.4e} (right), analytic {:.4e}",
            c.name, c.value, c.analytic
        )
    };
    let entries = |n: usize| {
        if n == 1 {
            "1 entry sits".to_string()
        } else {
            format!("{n} entries sit")
        }
    };
    let mut lines = Vec::new();
    let (n, text) = list(&|c| match (c.status, c.one_sided) {
        (Status::Kink, Some((l, r))) => Some(slopes(c, l, r)),
        _ => None,
    });
    if n > 0 {
        lines.push(format!(
            "{} at a kink, where the analytic value lies between the one-sided slopes (a valid \
             subgradient that differences cannot confirm): {text}",
            entries(n)
        ));
    }
    let (n, text) = list(&|c| match (c.status, c.one_sided) {
        (Status::Disagree, Some((l, r))) => Some(slopes(c, l, r)),
        _ => None,
    });
    if n > 0 {
        lines.push(format!(
            "{} at a kink, where the analytic value lies outside the one-sided slopes (no \
             subgradient): {text}",
            entries(n)
        ));
    }
    let (n, text) = list(&|c| {
        (c.status == Status::Discontinuous).then(|| format!("{} = {:e}", c.name, c.value))
    });
    if n > 0 {
        lines.push(format!(
            "{} within a step of a jump, where the difference quotient grows as the step \
             shrinks (floor, rounding, a branch?) and there is no derivative: {text}",
            entries(n)
        ));
    }
    lines
}

/// The relative difference over the entries whose numeric value `numeric`
/// gives, infinite when an analytic entry is not finite; computed in two
/// passes without copying the gradient.
fn relative_over(analytic: &[f64], numeric: impl Fn(usize) -> Option<f64>) -> f64 {
    if analytic.iter().any(|x| !x.is_finite()) {
        return f64::INFINITY;
    }
    let mut scale: f64 = 0.0;
    for (i, a) in analytic.iter().enumerate() {
        if let Some(n) = numeric(i) {
            scale = scale.max(a.abs()).max(n.abs());
        }
    }
    if scale == 0.0 {
        return 0.0;
    }
    let (mut diff, mut norm_a, mut norm_n) = (0.0f64, 0.0f64, 0.0f64);
    for (i, a) in analytic.iter().enumerate() {
        if let Some(n) = numeric(i) {
            let (a, n) = (a / scale, n / scale);
            diff += (a - n) * (a - n);
            norm_a += a * a;
            norm_n += n * n;
        }
    }
    diff.sqrt() / (norm_a.sqrt() + norm_n.sqrt())
}

/// A sentence for an entry with no numeric value, and the problem that
/// stops the whole check, if it is one.
fn describe(e: DifferenceError<EvalFailure>, name: &str) -> (String, Option<Problem>) {
    match e {
        DifferenceError::StepBelowResolution { x, step } => (
            format!(
                "{name} = {x:e}: the step {step:e} vanishes when added to it; no numeric \
                 derivative (raise eps)"
            ),
            None,
        ),
        DifferenceError::StepOverflows { x, step } => (
            format!(
                "{name} = {x:e}: a step of {step:e} overflows the floating-point range; no \
                 numeric derivative there"
            ),
            None,
        ),
        DifferenceError::Evaluation(EvalFailure::NonFinite(v)) => (
            format!("the cost is {v} when {name} is perturbed; no numeric derivative there"),
            None,
        ),
        DifferenceError::Evaluation(EvalFailure::Budget) => {
            (format!("{name}: not refined, the budget is spent"), None)
        }
        DifferenceError::Evaluation(EvalFailure::Panicked(message)) => (
            String::new(),
            Some(Problem::CostPanicked {
                at: format!("when {name} was perturbed"),
                message,
            }),
        ),
    }
}
