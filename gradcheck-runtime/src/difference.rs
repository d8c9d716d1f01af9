//! Finite differences of a function of one scalar: central, forward and
//! backward differences, and Ridders' extrapolation with an error estimate.
//!
//! Every function here takes the function of one variable as a closure
//! `FnMut(S) -> Result<f64, E>` and the point `x` in the user's scalar type
//! `S`. Steps are made representable: the difference is divided by the
//! distance between the two points actually evaluated, `(x + h) − (x − h)`
//! after rounding to `S`, not by the nominal `2h`.

use crate::scalar::Scalar;

/// One finite-difference estimate of a derivative.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// The estimated derivative.
    pub value: f64,
    /// An estimate of its absolute error (0 for a single difference, which
    /// carries no error estimate of its own).
    pub error: f64,
    /// The half-width of the stencil that produced `value`.
    pub step: f64,
    /// The largest |f| seen on the stencil, which sets the round-off level.
    pub scale: f64,
    /// Function evaluations spent.
    pub evaluations: usize,
}

/// The step to use around `x`: `eps · max(1, |x|)`, so that the relative
/// perturbation of large parameters stays `eps`.
///
/// ```
/// use gradcheck_runtime::difference::step_for;
///
/// assert_eq!(step_for(1e-4, 0.3), 1e-4);
/// assert_eq!(step_for(1e-4, -250.0), 2.5e-2);
/// ```
pub fn step_for(eps: f64, x: f64) -> f64 {
    eps * x.abs().max(1.0)
}

/// The two points `x + h` and `x − h` rounded to `S`, or `None` when either
/// rounds back to `x` (the step is below the type's resolution at `x`) or
/// is not finite.
pub fn stencil<S: Scalar>(x: S, h: f64) -> Option<(S, S)> {
    let x64 = x.to_f64();
    let plus = S::from_f64(x64 + h);
    let minus = S::from_f64(x64 - h);
    let representable = plus != x && minus != x;
    let finite = plus.to_f64().is_finite() && minus.to_f64().is_finite();
    (representable && finite).then_some((plus, minus))
}

/// Why a difference could not be formed.
#[derive(Clone, Debug, PartialEq)]
pub enum DifferenceError<E> {
    /// `x ± h` rounds back to `x` in the scalar type.
    StepBelowResolution {
        /// The point.
        x: f64,
        /// The step that vanished.
        step: f64,
    },
    /// `x ± h` overflows the scalar type.
    StepOverflows {
        /// The point.
        x: f64,
        /// The step.
        step: f64,
    },
    /// The function failed (non-finite value, panic, …) at a stencil point.
    Evaluation(E),
}

/// The two evaluations of a central difference, kept so that one-sided
/// differences and a curvature test come for free when `f(x)` is known.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stencil {
    /// The centre.
    pub x: f64,
    /// `x + h` as represented in the scalar type.
    pub plus: f64,
    /// `x − h` as represented in the scalar type.
    pub minus: f64,
    /// `f(x + h)`.
    pub f_plus: f64,
    /// `f(x − h)`.
    pub f_minus: f64,
}

impl Stencil {
    /// Evaluates `f` at `x ± h`.
    pub fn evaluate<S: Scalar, E>(
        mut f: impl FnMut(S) -> Result<f64, E>,
        x: S,
        h: f64,
    ) -> Result<Stencil, DifferenceError<E>> {
        let (plus, minus) = stencil(x, h).ok_or_else(|| {
            let overflows = !S::from_f64(x.to_f64() + h).to_f64().is_finite()
                || !S::from_f64(x.to_f64() - h).to_f64().is_finite();
            if overflows {
                DifferenceError::StepOverflows {
                    x: x.to_f64(),
                    step: h,
                }
            } else {
                DifferenceError::StepBelowResolution {
                    x: x.to_f64(),
                    step: h,
                }
            }
        })?;
        let f_plus = f(plus).map_err(DifferenceError::Evaluation)?;
        let f_minus = f(minus).map_err(DifferenceError::Evaluation)?;
        Ok(Stencil {
            x: x.to_f64(),
            plus: plus.to_f64(),
            minus: minus.to_f64(),
            f_plus,
            f_minus,
        })
    }

    /// The central difference as an [`Estimate`] (two evaluations).
    pub fn central(&self) -> Estimate {
        let width = self.plus - self.minus;
        Estimate {
            value: (self.f_plus - self.f_minus) / width,
            error: 0.0,
            step: width / 2.0,
            scale: self.f_plus.abs().max(self.f_minus.abs()),
            evaluations: 2,
        }
    }

    /// The forward difference `(f(x + h) − f(x)) / h`.
    pub fn forward(&self, fx: f64) -> f64 {
        (self.f_plus - fx) / (self.plus - self.x)
    }

    /// The backward difference `(f(x) − f(x − h)) / h`.
    pub fn backward(&self, fx: f64) -> f64 {
        (fx - self.f_minus) / (self.x - self.minus)
    }
}

/// Central difference `(f(x + h) − f(x − h)) / ((x + h) − (x − h))`, error
/// O(h²).
///
/// ```
/// use gradcheck_runtime::difference::central;
///
/// let d = central(|x: f64| Ok::<_, ()>(x * x), 3.0, 1e-3).unwrap();
/// assert!((d.value - 6.0).abs() < 1e-9);
/// assert_eq!(d.evaluations, 2);
/// ```
pub fn central<S: Scalar, E>(
    f: impl FnMut(S) -> Result<f64, E>,
    x: S,
    h: f64,
) -> Result<Estimate, DifferenceError<E>> {
    Stencil::evaluate(f, x, h).map(|s| s.central())
}

/// What the one-sided differences say about the cost near a point.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Smoothness {
    /// The gap between the one-sided slopes shrinks in proportion to the
    /// step, as it does for a twice-differentiable function.
    Smooth,
    /// The one-sided slopes differ by an amount that does not shrink with
    /// the step: a kink (ReLU, abs, max, hinge) at or within a step of the
    /// point. `left` and `right` are the one-sided slopes, extrapolated.
    Kink {
        /// Slope from the left.
        left: f64,
        /// Slope from the right.
        right: f64,
        /// Estimated error of each slope.
        error: f64,
    },
    /// The one-sided slopes grow as the step shrinks: the function jumps
    /// (floor, rounding, a branch) at or within a step of the point.
    Jump,
}

/// Compares the one-sided slopes of `f` at `x` at the stencil's step and at
/// a quarter of it (two more evaluations) to tell a smooth point from a kink
/// or a jump (see [`Smoothness`]). `noise` is the measured noise of the
/// function's values (0 if unknown); gaps within it are not evidence.
///
/// For a smooth `f`, `forward − backward = h·f″ + O(h²)`, so quartering the
/// step quarters the gap. At a kink the gap stays at the jump in slope; at a
/// discontinuity it grows like `1/h`.
///
/// ```
/// use gradcheck_runtime::difference::{smoothness, Smoothness, Stencil};
///
/// let abs = |x: f64| Ok::<_, ()>(x.abs());
/// let s = Stencil::evaluate(abs, 0.0, 1e-4).unwrap();
/// let (kind, _) = smoothness::<f64, ()>(abs, 0.0, 0.0, &s, 0.0).unwrap();
/// assert!(matches!(kind, Smoothness::Kink { left: -1.0, right: 1.0, .. }));
///
/// let square = |x: f64| Ok::<_, ()>(x * x);
/// let s = Stencil::evaluate(square, 1e-5, 1e-4).unwrap();
/// let (kind, _) = smoothness::<f64, ()>(square, 1e-5, 1e-10, &s, 0.0).unwrap();
/// assert_eq!(kind, Smoothness::Smooth);
/// ```
pub fn smoothness<S: Scalar, E>(
    f: impl FnMut(S) -> Result<f64, E>,
    x: S,
    fx: f64,
    first: &Stencil,
    noise: f64,
) -> Result<(Smoothness, usize), DifferenceError<E>> {
    let h = first.central().step;
    let second = Stencil::evaluate(f, x, h / 4.0)?;
    let (fwd1, bwd1) = (first.forward(fx), first.backward(fx));
    let (fwd2, bwd2) = (second.forward(fx), second.backward(fx));
    let gap1 = fwd1 - bwd1;
    let gap2 = fwd2 - bwd2;

    // Round-off in a gap (f(x+h) − 2f(x) + f(x−h)) / h.
    let scale = fx
        .abs()
        .max(first.f_plus.abs())
        .max(first.f_minus.abs())
        .max(second.f_plus.abs())
        .max(second.f_minus.abs());
    let value_noise = (CURVATURE_ULPS * S::EPSILON * scale).max(2.0 * noise);
    let noise = |step: f64| 4.0 * value_noise / step;
    let (noise1, noise2) = (noise(h), noise(h / 4.0));

    // A smooth function's gap quarters: the expected second gap is gap1/4.
    let expected = gap1 / 4.0;
    let slack = 0.15 * gap1.abs() + noise2 + noise1 / 4.0;
    if (gap2 - expected).abs() <= slack || (gap1.abs() <= noise1 && gap2.abs() <= noise2) {
        return Ok((Smoothness::Smooth, 2));
    }
    if gap2.abs() > 2.5 * gap1.abs() && gap2.abs() > noise2 {
        return Ok((Smoothness::Jump, 2));
    }
    // Extrapolate each one-sided slope to step zero (first-order error).
    let left = bwd2 + (bwd2 - bwd1) / 3.0;
    let right = fwd2 + (fwd2 - fwd1) / 3.0;
    let error = ((bwd2 - bwd1).abs() + (fwd2 - fwd1).abs()) / 3.0 + noise2;
    Ok((Smoothness::Kink { left, right, error }, 2))
}

/// Round-off units in a cost value assumed by the curvature test.
const CURVATURE_ULPS: f64 = 8.0;

/// One-sided difference `(f(x + h) − f(x)) / h` (or, for negative `h`, the
/// backward difference), given `f(x)` already computed; error O(h).
///
/// ```
/// use gradcheck_runtime::difference::one_sided;
///
/// let relu = |x: f64| Ok::<_, ()>(x.max(0.0));
/// assert_eq!(one_sided(relu, 0.0, 0.0, 1e-3).unwrap().value, 1.0);
/// assert_eq!(one_sided(relu, 0.0, 0.0, -1e-3).unwrap().value, 0.0);
/// ```
pub fn one_sided<S: Scalar, E>(
    mut f: impl FnMut(S) -> Result<f64, E>,
    x: S,
    fx: f64,
    h: f64,
) -> Result<Estimate, DifferenceError<E>> {
    let moved = S::from_f64(x.to_f64() + h);
    if moved == x || !moved.to_f64().is_finite() {
        return Err(DifferenceError::StepBelowResolution {
            x: x.to_f64(),
            step: h,
        });
    }
    let fh = f(moved).map_err(DifferenceError::Evaluation)?;
    let width = moved.to_f64() - x.to_f64();
    Ok(Estimate {
        value: (fh - fx) / width,
        error: 0.0,
        step: width.abs(),
        scale: fh.abs().max(fx.abs()),
        evaluations: 1,
    })
}

/// Most rows of Ridders' tableau (steps `h, h/2, …, h/2^(ROWS−1)`).
const ROWS: usize = 6;
/// Step reduction between rows.
const SHRINK: f64 = 2.0;

/// Ridders' method: central differences at steps `h, h/2, h/4, …`,
/// Richardson-extrapolated to step zero, keeping the estimate whose error
/// estimate is smallest and stopping once round-off makes the estimates
/// diverge (C. J. F. Ridders, "Accurate computation of F′(x) and
/// F′(x)F″(x)", Advances in Engineering Software, 1982).
///
/// `first`, when given, is a central difference at step `h` already
/// computed, which saves two evaluations.
///
/// ```
/// use gradcheck_runtime::difference::ridders;
///
/// // A cubic: plain central differences at h = 1e-2 are off by h² = 1e-4.
/// let d = ridders(|x: f64| Ok::<_, ()>(x.powi(3)), 1.0, 1e-2, None).unwrap();
/// assert!((d.value - 3.0).abs() < 1e-10, "{}", d.value);
/// assert!(d.error < 1e-8);
/// ```
pub fn ridders<S: Scalar, E>(
    f: impl FnMut(S) -> Result<f64, E>,
    x: S,
    h: f64,
    first: Option<Estimate>,
) -> Result<Estimate, DifferenceError<E>> {
    ridders_until(f, x, h, first, |_| false)
}

/// [`ridders`], stopping early once `decided` accepts the best estimate so
/// far (after at least two rows), which saves evaluations when a comparison
/// is already clear.
pub fn ridders_until<S: Scalar, E>(
    mut f: impl FnMut(S) -> Result<f64, E>,
    x: S,
    h: f64,
    first: Option<Estimate>,
    decided: impl Fn(&Estimate) -> bool,
) -> Result<Estimate, DifferenceError<E>> {
    let mut table = [[0.0f64; ROWS]; ROWS];
    let mut evaluations = 0;
    let mut scale: f64 = 0.0;
    let mut step = h;

    let d0 = match first {
        Some(d) => d,
        None => central(&mut f, x, step)?,
    };
    evaluations += d0.evaluations;
    scale = scale.max(d0.scale);
    table[0][0] = d0.value;
    let mut best = Estimate {
        value: d0.value,
        error: f64::INFINITY,
        step: d0.step,
        scale,
        evaluations: 0,
    };

    for i in 1..ROWS {
        step /= SHRINK;
        let d = match central(&mut f, x, step) {
            Ok(d) => d,
            // A step too small for the type ends the refinement; what was
            // gathered so far stands.
            Err(DifferenceError::StepBelowResolution { .. }) if i > 1 => break,
            Err(e) => return Err(e),
        };
        evaluations += d.evaluations;
        scale = scale.max(d.scale);
        table[0][i] = d.value;

        let mut factor = SHRINK * SHRINK;
        for j in 1..=i {
            table[j][i] = (table[j - 1][i] * factor - table[j - 1][i - 1]) / (factor - 1.0);
            factor *= SHRINK * SHRINK;
            let error = (table[j][i] - table[j - 1][i])
                .abs()
                .max((table[j][i] - table[j - 1][i - 1]).abs());
            if error <= best.error {
                best = Estimate {
                    value: table[j][i],
                    error,
                    step: d.step,
                    scale,
                    evaluations: 0,
                };
            }
        }
        if (table[i][i] - table[i - 1][i - 1]).abs() >= 2.0 * best.error {
            break;
        }
        let so_far = Estimate {
            scale,
            evaluations,
            ..best
        };
        if decided(&so_far) {
            break;
        }
    }

    best.scale = scale;
    best.evaluations = evaluations;
    Ok(best)
}

/// Estimates the noise in a function's computed values from samples at
/// equally spaced points `f(x + k·δ)`, `k = 0, 1, …`, with `δ` so small that
/// the function's smooth part is a low-degree polynomial over them.
///
/// Differences of order `j` cancel any polynomial of degree below `j`;
/// what remains of independent noise of standard deviation `σ` has
/// mean square `σ² · (2j)! / (j!)²`. The estimate is the median over orders
/// 3 to 6 of `σ_j` (after J. J. Moré and S. M. Wild, "Estimating
/// computational noise", SIAM J. Sci. Comput., 2011). Values on a
/// polynomial give the rounding of the values themselves.
///
/// ```
/// use gradcheck_runtime::difference::noise_level;
///
/// let smooth: Vec<f64> = (0..8).map(|k| 1.0 + 0.5 * k as f64 + 0.25 * (k * k) as f64).collect();
/// assert!(noise_level(&smooth) < 1e-12 * 20.0); // rounding only
///
/// // Alternating ±1e-12 noise on a line is seen at about its size.
/// let noisy: Vec<f64> = (0..8).map(|k| 2.0 * k as f64 + if k % 2 == 0 { 1e-12 } else { -1e-12 }).collect();
/// let sigma = noise_level(&noisy);
/// assert!(sigma > 3e-13 && sigma < 3e-12, "{sigma}");
/// ```
pub fn noise_level(values: &[f64]) -> f64 {
    // Differences of values near f64::MAX overflow; work relative to the
    // values' spread around their first one.
    let scale = values
        .iter()
        .map(|v| (v - values[0]).abs())
        .fold(0.0f64, f64::max);
    if scale == 0.0 || !scale.is_finite() {
        return 0.0;
    }
    let mut diffs: Vec<f64> = values.iter().map(|v| (v - values[0]) / scale).collect();
    let mut estimates = Vec::new();
    for order in 1..values.len() {
        diffs = diffs.windows(2).map(|w| w[1] - w[0]).collect();
        if order < 3 {
            continue;
        }
        let mean_square = diffs.iter().map(|d| d * d).sum::<f64>() / diffs.len() as f64;
        let gain = central_binomial(order);
        estimates.push((mean_square / gain).sqrt());
        if order == 6 {
            break;
        }
    }
    if estimates.is_empty() {
        return 0.0;
    }
    estimates.sort_by(f64::total_cmp);
    estimates[estimates.len() / 2] * scale
}

/// (2j)! / (j!)², the variance gain of a j-th difference of white noise.
fn central_binomial(j: usize) -> f64 {
    (1..=j).fold(1.0, |acc, k| acc * (j + k) as f64 / k as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok<T>(t: T) -> Result<T, ()> {
        Ok(t)
    }

    #[test]
    fn central_is_exact_for_quadratics() {
        for &x in &[-3.0, -0.1, 0.0, 0.7, 12.5] {
            let d = central(|t: f64| ok(2.0 * t * t - 3.0 * t + 1.0), x, 1e-3).unwrap();
            approx::assert_relative_eq!(d.value, 4.0 * x - 3.0, epsilon = 1e-9);
        }
    }

    #[test]
    fn central_error_is_second_order_on_cubics() {
        // f = x³: the central difference is 3x² + h², exactly.
        for &h in &[1e-1, 1e-2, 1e-3] {
            let d = central(|t: f64| ok(t * t * t), 1.0, h).unwrap();
            let error = d.value - 3.0;
            approx::assert_relative_eq!(error, h * h, max_relative = 1e-6);
        }
    }

    #[test]
    fn forward_error_is_first_order() {
        // f = x²: the forward difference is 2x + h.
        for &h in &[1e-1, 1e-2, 1e-3] {
            let d = one_sided(|t: f64| ok(t * t), 1.0, 1.0, h).unwrap();
            approx::assert_relative_eq!(d.value - 2.0, h, max_relative = 1e-6);
        }
    }

    #[test]
    fn ridders_reaches_round_off_on_smooth_functions() {
        let d = ridders(|t: f64| ok(1e4 * t.sin()), 0.3, 1e-4, None).unwrap();
        approx::assert_relative_eq!(d.value, 1e4 * 0.3f64.cos(), max_relative = 1e-10);
        let d = ridders(|t: f64| ok(t.exp()), 2.0, 1e-1, None).unwrap();
        approx::assert_relative_eq!(d.value, 2.0f64.exp(), max_relative = 1e-12);
        assert!(d.error < 1e-9, "{d:?}");
    }

    #[test]
    fn steps_below_resolution_are_refused() {
        assert!(stencil(1.0f32, 1e-9).is_none());
        assert!(stencil(1.0f64, 1e-9).is_some());
        let e = central(|t: f32| ok(f64::from(t)), 1e6f32, 1e-3).unwrap_err();
        assert!(matches!(e, DifferenceError::StepBelowResolution { .. }));
    }

    #[test]
    fn the_divisor_is_the_distance_actually_stepped() {
        // In f32, 0.1 ± 0.003 is not exactly 0.006 apart; the slope of a
        // linear function must still come out exact.
        let d = central(|t: f32| ok(f64::from(t) * 5.0), 0.1f32, 3e-3).unwrap();
        assert_eq!(d.value, 5.0);
    }
}
