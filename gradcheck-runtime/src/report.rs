//! The outcome of a check: a verdict, the numbers behind it, and a `Display`
//! that a person can act on.

use std::fmt;

use crate::params::Layout;

/// What a check concluded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The analytic gradient agrees with the numeric one within tolerance,
    /// or within the round-off that limits any finite difference.
    Pass,
    /// The analytic gradient differs from the numeric one by more than the
    /// tolerance and more than the numeric error estimate, or the gradient
    /// is malformed (wrong shape, not finite), or the cost panicked.
    Fail,
    /// The numeric derivative could not be computed accurately enough to
    /// judge (a kink or jump, a noisy cost, a non-finite cost, a cost that is
    /// not deterministic); the report says why.
    Inconclusive,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
            Verdict::Inconclusive => "INCONCLUSIVE",
        })
    }
}

/// How one parameter's analytic and numeric derivatives compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Within the tolerance.
    Agree,
    /// Outside the tolerance, but within the numeric error estimate, and that
    /// estimate is at the round-off floor of the scalar type: no finite
    /// difference can resolve the gap.
    WithinRoundOff,
    /// Within the numeric error estimate, but that estimate is well above
    /// round-off: the cost is not smooth or not accurate enough here.
    Unresolved,
    /// Differs by more than tolerance and error estimate together.
    Disagree,
    /// The analytic value is NaN or infinite.
    NonFiniteAnalytic,
    /// No numeric value could be formed (the cost was not finite at a
    /// perturbed point, or the step vanished in the scalar type).
    NoNumeric,
    /// The cost has a kink here (one-sided slopes differ) and the analytic
    /// value lies between the slopes: a valid subgradient that differences
    /// cannot confirm.
    Kink,
    /// The cost jumps within a step of here: there is no derivative to
    /// compare with.
    Discontinuous,
}

/// One parameter's comparison.
#[derive(Clone, Debug, PartialEq)]
pub struct Component {
    /// Flat index in logical (row-major) order.
    pub index: usize,
    /// Name with multi-index, such as `Theta2[4, 0]`.
    pub name: String,
    /// The value of the parameter where the check ran.
    pub value: f64,
    /// The analytic derivative (the user's gradient).
    pub analytic: f64,
    /// The numeric derivative (NaN when none could be formed).
    pub numeric: f64,
    /// Estimated absolute error of `numeric` (0 when it was not refined).
    pub error_estimate: f64,
    /// Half-width of the stencil behind `numeric`.
    pub step: f64,
    /// Left and right slopes, where a kink was found.
    pub one_sided: Option<(f64, f64)>,
    /// The comparison's outcome.
    pub status: Status,
}

impl Component {
    /// `|analytic − numeric|`.
    pub fn abs_error(&self) -> f64 {
        (self.analytic - self.numeric).abs()
    }

    /// `|a − n| / (|a| + |n|)`, 0 when both are 0.
    pub fn rel_error(&self) -> f64 {
        crate::compare::relative_difference(&[self.analytic], &[self.numeric])
    }
}

/// An input the check refused, and why.
#[derive(Clone, Debug, PartialEq)]
pub enum Problem {
    /// The configuration is unusable (for example `eps` ≤ 0).
    InvalidConfig(String),
    /// There are no parameters to check.
    NoParameters,
    /// A parameter is NaN or infinite.
    NonFiniteParameter {
        /// Its name.
        name: String,
        /// Its value.
        value: f64,
    },
    /// The cost (or gradient) function panicked.
    CostPanicked {
        /// Where: `"at the parameters"` or `"at theta[3] + 1e-4"`.
        at: String,
        /// The panic message.
        message: String,
    },
    /// The cost is NaN or infinite at the parameters.
    NonFiniteCost {
        /// The value returned.
        value: f64,
    },
    /// The gradient's shape differs from the parameters'.
    GradientShape {
        /// The parameters' layout.
        expected: Box<Layout>,
        /// The gradient's layout.
        got: Box<Layout>,
    },
    /// Two evaluations of the cost at the same parameters differed.
    NotDeterministic {
        /// First value.
        first: f64,
        /// Second value.
        second: f64,
    },
}

impl Problem {
    /// The verdict this problem forces.
    pub fn verdict(&self) -> Verdict {
        match self {
            Problem::NonFiniteCost { .. } | Problem::NotDeterministic { .. } => {
                Verdict::Inconclusive
            }
            _ => Verdict::Fail,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::InvalidConfig(what) => write!(f, "invalid configuration: {what}"),
            Problem::NoParameters => f.write_str("there are no parameters to check"),
            Problem::NonFiniteParameter { name, value } => {
                write!(f, "parameter {name} is {value}; parameters must be finite")
            }
            Problem::CostPanicked { at, message } => {
                write!(f, "the cost panicked {at}: {message}")
            }
            Problem::NonFiniteCost { value } => write!(
                f,
                "the cost is {value} at the parameters; a gradient cannot be checked where the \
                 cost is not finite (overflow? log of 0? use a stable formulation)"
            ),
            Problem::GradientShape { expected, got } => write!(
                f,
                "the gradient has shape {got} ({} entries) but the parameters have shape \
                 {expected} ({} entries)",
                got.len(),
                expected.len()
            ),
            Problem::NotDeterministic { first, second } => write!(
                f,
                "the cost is not deterministic: two evaluations at the same parameters gave \
                 {first:e} and {second:e} (fresh random masks, e.g. dropout? freeze them for the \
                 check)"
            ),
        }
    }
}

/// The full outcome of a check.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// The conclusion.
    pub verdict: Verdict,
    /// What was checked (the cost function's name, or a caller's label).
    pub label: String,
    /// The scalar type the cost ran in.
    pub scalar: &'static str,
    /// The parameters' layout.
    pub layout: Layout,
    /// ‖a − n‖ / (‖a‖ + ‖n‖) over every component with a numeric value.
    pub relative_difference: f64,
    /// The tolerance on `relative_difference`.
    pub tol: f64,
    /// The step setting (`h = eps · max(1, |θᵢ|)`).
    pub eps: f64,
    /// The comparisons worth reading, in flat order: every entry that did
    /// not agree, and the (at most 8) agreeing entries with the largest
    /// absolute differences. Agreeing entries beyond those are not kept, so
    /// that a check's memory stays a few copies of the parameters. Empty
    /// when `problem` stopped the check early.
    pub components: Vec<Component>,
    /// An input refused, if any.
    pub problem: Option<Problem>,
    /// Patterns found in the disagreements (scale errors, sign flips, which
    /// blocks are wrong).
    pub diagnosis: Vec<String>,
    /// Components whose numeric derivative was refined by extrapolation.
    pub refined: usize,
    /// Cost evaluations spent (gradient evaluations included).
    pub evaluations: usize,
    /// Extra lines a caller attaches (how to reproduce, drawn data).
    pub context: Vec<String>,
    /// Whether every entry of the analytic gradient is exactly zero.
    pub zero_gradient: bool,
}

/// How many components the report lists at most.
const SHOWN: usize = 8;

impl Report {
    /// Whether the verdict is [`Verdict::Pass`].
    pub fn passed(&self) -> bool {
        self.verdict == Verdict::Pass
    }

    /// Whether the check passed only because the analytic gradient is
    /// exactly zero where the numeric one is zero to round-off: at such a
    /// point (a symmetric one, zero initialization) a wrong gradient that is
    /// also zero there passes too.
    pub fn vacuous(&self) -> bool {
        self.verdict == Verdict::Pass && self.zero_gradient
    }

    /// The components that did not agree, worst first.
    pub fn worst(&self) -> Vec<&Component> {
        let mut bad: Vec<&Component> = self
            .components
            .iter()
            .filter(|c| c.status != Status::Agree)
            .collect();
        bad.sort_by(by_severity);
        bad
    }

    /// One line: verdict, label, relative difference against tolerance.
    pub fn summary(&self) -> String {
        let mut line = format!("gradcheck {} {}", self.verdict, self.label);
        if let Some(p) = &self.problem {
            line.push_str(&format!(": {p}"));
        } else {
            let rel = self.relative_difference;
            let cmp = if rel <= self.tol { "<=" } else { ">" };
            line.push_str(&format!(
                ": relative difference {rel:.3e} {cmp} tol {:e}",
                self.tol
            ));
            let bad = self.worst();
            if let Some(w) = bad.first() {
                line.push_str(&format!(
                    "; worst {} analytic {:.6e} numeric {:.6e}",
                    w.name, w.analytic, w.numeric
                ));
            }
        }
        line
    }
}

/// Order of components in the report: malformed first, then disagreements,
/// then the undecided; within a kind, by relative and then absolute error.
fn severity(c: &Component) -> (u8, f64, f64) {
    let rank = match c.status {
        Status::NonFiniteAnalytic => 7,
        Status::NoNumeric => 6,
        Status::Disagree => 5,
        Status::Discontinuous => 4,
        Status::Kink => 3,
        Status::Unresolved => 2,
        Status::WithinRoundOff => 1,
        Status::Agree => 0,
    };
    let rel = c.rel_error();
    (
        rank,
        if rel.is_nan() { f64::INFINITY } else { rel },
        c.abs_error(),
    )
}

fn by_severity(a: &&Component, b: &&Component) -> std::cmp::Ordering {
    let (ra, xa, ya) = severity(a);
    let (rb, xb, yb) = severity(b);
    rb.cmp(&ra).then(xb.total_cmp(&xa)).then(yb.total_cmp(&ya))
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "gradcheck {}: {} ({} of shape {}, {})",
            self.verdict,
            self.label,
            count(self.layout.len(), "parameter"),
            self.layout,
            self.scalar
        )?;
        if let Some(problem) = &self.problem {
            writeln!(f, "  {problem}")?;
        }
        if !self.components.is_empty() {
            let rel = self.relative_difference;
            let cmp = if rel <= self.tol { "<=" } else { ">" };
            let note = if rel > self.tol && self.verdict == Verdict::Pass {
                ", but only within round-off (see the diagnosis)"
            } else {
                ""
            };
            writeln!(
                f,
                "  relative difference |a - n| / (|a| + |n|) = {rel:.3e}  {cmp}  tol {:e}{note}",
                self.tol
            )?;
            write_components(f, self)?;
        }
        for line in &self.diagnosis {
            writeln!(f, "  diagnosis: {line}")?;
        }
        if !self.components.is_empty() {
            let refined = if self.refined > 0 {
                format!(
                    ", {} refined by Richardson extrapolation (Ridders)",
                    self.refined
                )
            } else {
                String::new()
            };
            writeln!(
                f,
                "  method: central differences, h = {:e} * max(1, |x|) at each entry x{refined}; cost evaluations: {}",
                self.eps, self.evaluations
            )?;
        }
        if self.components.is_empty() && self.evaluations > 0 {
            writeln!(f, "  cost evaluations: {}", self.evaluations)?;
        }
        for line in &self.context {
            writeln!(f, "  {line}")?;
        }
        Ok(())
    }
}

fn write_components(f: &mut fmt::Formatter<'_>, report: &Report) -> fmt::Result {
    let bad = report.worst();
    let all_agree = bad.is_empty();
    let (title, rows): (String, Vec<&Component>) = if bad.is_empty() {
        let mut all: Vec<&Component> = report.components.iter().collect();
        all.sort_by(|a, b| b.abs_error().total_cmp(&a.abs_error()));
        (
            format!(
                "largest absolute differences (all {} agree):",
                report.layout.len()
            ),
            all,
        )
    } else {
        (
            format!(
                "of {}, {}; worst first:",
                count(report.layout.len(), "entry"),
                count_statuses(&bad)
            ),
            bad,
        )
    };
    writeln!(f, "  {title}")?;
    let width = rows
        .iter()
        .take(SHOWN)
        .map(|c| c.name.len())
        .max()
        .unwrap_or(0)
        .max("parameter".len());
    writeln!(
        f,
        "    {:<width$}  {:>13}  {:>13}  {:>10}  {:>9}  {:>9}  status",
        "parameter", "analytic", "numeric", "abs error", "rel error", "+/- num"
    )?;
    for c in rows.iter().take(SHOWN) {
        let uncertainty = if c.error_estimate > 0.0 {
            format!("{:.1e}", c.error_estimate)
        } else {
            "-".to_string()
        };
        writeln!(
            f,
            "    {:<width$}  {:>13.6e}  {:>13.6e}  {:>10.3e}  {:>9.2e}  {:>9}  {}",
            c.name,
            c.analytic,
            c.numeric,
            c.abs_error(),
            c.rel_error(),
            uncertainty,
            status_word(c.status)
        )?;
    }
    let more = if all_agree {
        report.layout.len().saturating_sub(SHOWN)
    } else {
        rows.len().saturating_sub(SHOWN)
    };
    if more > 0 {
        writeln!(f, "    ... and {more} more")?;
    }
    Ok(())
}

/// `1 entry`, `3 entries`, `1 parameter`, `2 parameters`.
fn count(n: usize, thing: &str) -> String {
    match (n, thing.strip_suffix('y')) {
        (1, _) => format!("1 {thing}"),
        (_, Some(stem)) => format!("{n} {stem}ies"),
        (_, None) => format!("{n} {thing}s"),
    }
}

fn count_statuses(bad: &[&Component]) -> String {
    let kinds = [
        Status::Disagree,
        Status::NonFiniteAnalytic,
        Status::NoNumeric,
        Status::Discontinuous,
        Status::Kink,
        Status::Unresolved,
        Status::WithinRoundOff,
    ];
    let parts: Vec<String> = kinds
        .iter()
        .filter_map(|k| {
            let n = bad.iter().filter(|c| c.status == *k).count();
            (n > 0).then(|| format!("{n} {}", status_phrase(*k, n)))
        })
        .collect();
    parts.join(", ")
}

/// What `n` entries of status `s` do, as a phrase after their count.
fn status_phrase(s: Status, n: usize) -> &'static str {
    let one = n == 1;
    match s {
        Status::Agree if one => "agrees",
        Status::Agree => "agree",
        Status::WithinRoundOff => "agree only within round-off",
        Status::Unresolved if one => "is unresolved",
        Status::Unresolved => "are unresolved",
        Status::Disagree if one => "DISAGREES",
        Status::Disagree => "DISAGREE",
        Status::NonFiniteAnalytic if one => "has a NON-FINITE analytic value",
        Status::NonFiniteAnalytic => "have NON-FINITE analytic values",
        Status::NoNumeric if one => "has no numeric value",
        Status::NoNumeric => "have no numeric value",
        Status::Kink if one => "sits at a kink",
        Status::Kink => "sit at kinks",
        Status::Discontinuous if one => "sits at a jump",
        Status::Discontinuous => "sit at jumps",
    }
}

fn status_word(s: Status) -> &'static str {
    match s {
        Status::Agree => "agree",
        Status::WithinRoundOff => "within round-off",
        Status::Unresolved => "unresolved",
        Status::Disagree => "DISAGREE",
        Status::NonFiniteAnalytic => "NON-FINITE analytic",
        Status::NoNumeric => "no numeric value",
        Status::Kink => "kink",
        Status::Discontinuous => "jump",
    }
}
