//! The step sweep: how the central-difference error depends on the step,
//! from truncation error at large steps to round-off at small ones, and
//! which step is best for a given cost.
//!
//! For a smooth cost, the relative difference between a correct analytic
//! gradient and central differences falls like `h²` (truncation) until
//! round-off, which grows like `ε·|J|/h`, takes over: a V on log–log axes
//! whose bottom is the best step. A wrong gradient gives a flat line at the
//! size of the bug instead.

use std::fmt;

use crate::check::Config;
use crate::compare::relative_difference;
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::difference::{central, step_for, DifferenceError};
use crate::params::{Gradient, Params};
use crate::report::Problem;
use crate::scalar::Scalar;

/// The default steps of a sweep: 1e-1, 1e-2, …, 1e-12.
pub const DEFAULT_STEPS: [f64; 12] = [
    1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-11, 1e-12,
];

/// One step of a sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepRow {
    /// The step setting (`h = eps · max(1, |θᵢ|)`).
    pub eps: f64,
    /// `‖a − n‖ / (‖a‖ + ‖n‖)` at this step; NaN when some entry had no
    /// numeric value (the step vanished in the scalar type, or the cost was
    /// not finite).
    pub relative_difference: f64,
    /// Entries without a numeric value at this step.
    pub missing: usize,
}

/// The relative difference of a gradient check at each of several steps.
#[derive(Clone, Debug, PartialEq)]
pub struct Sweep {
    /// What was swept (the cost's name).
    pub label: String,
    /// The scalar type.
    pub scalar: &'static str,
    /// One row per step, in the order given.
    pub rows: Vec<SweepRow>,
    /// Cost evaluations spent.
    pub evaluations: usize,
}

impl Sweep {
    /// The row with the smallest relative difference.
    pub fn best(&self) -> Option<&SweepRow> {
        self.rows
            .iter()
            .filter(|r| r.relative_difference.is_finite())
            .min_by(|a, b| a.relative_difference.total_cmp(&b.relative_difference))
    }

    /// The sweep as an SVG plot: log₁₀ step against log₁₀ relative
    /// difference, with the best step marked.
    pub fn to_svg(&self) -> String {
        let (w, h) = (640.0, 420.0);
        let (left, right, top, bottom) = (70.0, 20.0, 40.0, 50.0);
        let points: Vec<(f64, f64)> = self
            .rows
            .iter()
            .filter(|r| r.relative_difference.is_finite())
            .map(|r| (r.eps.log10(), r.relative_difference.max(1e-17).log10()))
            .collect();
        let (x_lo, x_hi) = bounds(points.iter().map(|p| p.0), -12.0, -1.0);
        let (y_lo, y_hi) = bounds(points.iter().map(|p| p.1), -16.0, 0.0);
        let sx = |x: f64| left + (x - x_lo) / (x_hi - x_lo) * (w - left - right);
        let sy = |y: f64| top + (y_hi - y) / (y_hi - y_lo) * (h - top - bottom);

        let mut svg = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" \
             font-family=\"sans-serif\" font-size=\"12\">\n\
             <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
             <text x=\"{}\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">step sweep of {} ({})</text>\n",
            w / 2.0,
            escape(&self.label),
            self.scalar
        );
        for x in (x_lo.floor() as i32)..=(x_hi.ceil() as i32) {
            let px = sx(x as f64);
            svg += &format!(
                "<line x1=\"{px:.1}\" y1=\"{top}\" x2=\"{px:.1}\" y2=\"{}\" stroke=\"#ddd\"/>\n\
                 <text x=\"{px:.1}\" y=\"{}\" text-anchor=\"middle\">1e{x}</text>\n",
                h - bottom,
                h - bottom + 16.0
            );
        }
        for y in (y_lo.floor() as i32)..=(y_hi.ceil() as i32) {
            let py = sy(y as f64);
            svg += &format!(
                "<line x1=\"{left}\" y1=\"{py:.1}\" x2=\"{}\" y2=\"{py:.1}\" stroke=\"#ddd\"/>\n\
                 <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">1e{y}</text>\n",
                w - right,
                left - 6.0,
                py + 4.0
            );
        }
        svg += &format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">step eps</text>\n\
             <text x=\"16\" y=\"{}\" text-anchor=\"middle\" transform=\"rotate(-90 16 {})\">\
             relative difference</text>\n",
            w / 2.0,
            h - 10.0,
            h / 2.0,
            h / 2.0
        );
        let path: Vec<String> = points
            .iter()
            .map(|&(x, y)| format!("{:.1},{:.1}", sx(x), sy(y)))
            .collect();
        svg += &format!(
            "<polyline points=\"{}\" fill=\"none\" stroke=\"#1f5fa8\" stroke-width=\"2\"/>\n",
            path.join(" ")
        );
        for &(x, y) in &points {
            svg += &format!(
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"#1f5fa8\"/>\n",
                sx(x),
                sy(y)
            );
        }
        if let Some(best) = self.best() {
            let (x, y) = (
                best.eps.log10(),
                best.relative_difference.max(1e-17).log10(),
            );
            svg += &format!(
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"6\" fill=\"none\" stroke=\"#c0392b\" \
                 stroke-width=\"2\"/>\n<text x=\"{:.1}\" y=\"{:.1}\" fill=\"#c0392b\">best \
                 eps = {:.0e}</text>\n",
                sx(x),
                sy(y),
                sx(x) + 8.0,
                sy(y) - 8.0,
                best.eps
            );
        }
        svg += "</svg>\n";
        svg
    }
}

/// The range of `values`, or the default when there are none, widened to
/// whole decades.
fn bounds(values: impl Iterator<Item = f64>, lo: f64, hi: f64) -> (f64, f64) {
    let (mut a, mut b) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values {
        a = a.min(v);
        b = b.max(v);
    }
    if !a.is_finite() {
        return (lo, hi);
    }
    let (a, b) = (a.floor(), b.ceil());
    if a == b {
        (a - 1.0, b + 1.0)
    } else {
        (a, b)
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

impl fmt::Display for Sweep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "step sweep of {} ({}): central differences at each step",
            self.label, self.scalar
        )?;
        writeln!(f, "    {:>8}  {:>19}  curve", "eps", "relative difference")?;
        let best = self.best().map(|r| r.eps);
        for row in &self.rows {
            let value = if row.relative_difference.is_finite() {
                format!("{:.3e}", row.relative_difference)
            } else {
                format!("- ({} entries without a value)", row.missing)
            };
            let bar = if row.relative_difference.is_finite() {
                let decades = (row.relative_difference.max(1e-17).log10() + 17.0).max(0.0);
                "#".repeat(decades.round() as usize)
            } else {
                String::new()
            };
            let mark = if Some(row.eps) == best {
                "  <- best"
            } else {
                ""
            };
            writeln!(f, "    {:>8.0e}  {:>19}  {bar}{mark}", row.eps, value)?;
        }
        writeln!(f, "    cost evaluations: {}", self.evaluations)
    }
}

/// Runs central differences of `cost` at each step in `steps` (use
/// [`DEFAULT_STEPS`]) and records the relative difference to the analytic
/// gradient. `config` supplies the label; its `eps` and `tol` are not used.
/// A cost that panics or is not finite at the parameters gives the
/// problem instead.
///
/// ```
/// use gradcheck_runtime::sweep::{sweep, DEFAULT_STEPS};
/// use gradcheck_runtime::Config;
///
/// let cost = |t: &[f64; 2]| (t[0].exp() + t[1].sin(), [t[0].exp(), t[1].cos()]);
/// let s = sweep(&[0.3, -0.7], cost, &DEFAULT_STEPS, &Config::new().label("exp + sin")).unwrap();
/// let best = s.best().unwrap();
/// // Truncation (h²) meets round-off (ε/h) near ε^(1/3) ≈ 1e-5.
/// assert!(best.eps >= 1e-7 && best.eps <= 1e-3, "{s}");
/// assert!(s.rows[0].relative_difference > 1e-4); // eps = 0.1: truncation
/// assert!(s.to_svg().starts_with("<svg"));
/// ```
pub fn sweep<P, G, F>(
    params: &P,
    mut cost: F,
    steps: &[f64],
    config: &Config,
) -> Result<Sweep, Problem>
where
    P: Params,
    G: Gradient<Scalar = P::Scalar>,
    F: FnMut(&P) -> (P::Scalar, G),
{
    let mut theta = params.to_standard();
    let layout = theta.layout();
    let panicked = |at: &str, payload: Box<dyn std::any::Any + Send>| Problem::CostPanicked {
        at: at.to_string(),
        message: crate::check::panic_message(payload),
    };
    let (f0, gradient) = catch_unwind(AssertUnwindSafe(|| cost(&theta)))
        .map_err(|p| panicked("at the parameters", p))?;
    if !f0.to_f64().is_finite() {
        return Err(Problem::NonFiniteCost { value: f0.to_f64() });
    }
    if !gradient.grad_layout().same_shapes(&layout) {
        return Err(Problem::GradientShape {
            expected: Box::new(layout),
            got: Box::new(gradient.grad_layout()),
        });
    }
    let analytic = gradient.to_f64_vec();
    let mut evaluations = 1;
    let mut rows = Vec::with_capacity(steps.len());
    for &eps in steps {
        let mut numeric = Vec::with_capacity(layout.len());
        let mut missing = 0;
        for i in 0..layout.len() {
            let x = theta.get_flat(i);
            let h = step_for(eps, x.to_f64());
            let result = central(
                |v: P::Scalar| {
                    theta.set_flat(i, v);
                    let value = catch_unwind(AssertUnwindSafe(|| cost(&theta).0.to_f64()));
                    theta.set_flat(i, x);
                    evaluations += 1;
                    match value {
                        Ok(v) if v.is_finite() => Ok(v),
                        Ok(_) => Err(None),
                        Err(payload) => Err(Some(payload)),
                    }
                },
                x,
                h,
            );
            match result {
                Ok(d) if d.value.is_finite() => numeric.push(d.value),
                Err(DifferenceError::Evaluation(Some(payload))) => {
                    let at = format!("when {} was perturbed", layout.name(i, "theta", &[]));
                    return Err(panicked(&at, payload));
                }
                _ => missing += 1,
            }
        }
        let relative_difference = if missing == 0 {
            relative_difference(&analytic, &numeric)
        } else {
            f64::NAN
        };
        rows.push(SweepRow {
            eps,
            relative_difference,
            missing,
        });
    }
    Ok(Sweep {
        label: if config.label.is_empty() {
            "gradient check".to_string()
        } else {
            config.label.clone()
        },
        scalar: P::Scalar::NAME,
        rows,
        evaluations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrong_gradient_gives_a_flat_curve() {
        let cost = |t: &[f64; 2]| (t[0] * t[0] + t[1], [3.0 * t[0], 1.0]);
        let s = sweep(&[0.5, 0.1], cost, &DEFAULT_STEPS[..6], &Config::new()).unwrap();
        for row in &s.rows {
            assert!((row.relative_difference - s.rows[0].relative_difference).abs() < 1e-6);
        }
    }

    #[test]
    fn f32_steps_below_resolution_leave_entries_without_a_value() {
        let cost = |t: &[f32; 1]| (t[0] * t[0], [2.0 * t[0]]);
        let s = sweep(&[0.5f32], cost, &DEFAULT_STEPS, &Config::new()).unwrap();
        assert!(s.rows[11].relative_difference.is_nan());
        assert_eq!(s.rows[11].missing, 1);
        assert!(s.to_string().contains("entries without a value"));
    }
}
