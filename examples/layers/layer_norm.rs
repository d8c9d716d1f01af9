//! Layer normalization over the last axis of a 2-D input, with a learnable
//! gain and bias per feature.
//!
//! For each row `x` of length `d` (one example), with `ε` inside the square
//! root:
//!
//! ```text
//! μ = mean(x),  σ² = mean((x − μ)²),  s = 1 / √(σ² + ε),  x̂ = (x − μ) s
//! y = gain ⊙ x̂ + bias
//! ```
//!
//! Backward, with `g = dy ⊙ gain` (means over the row):
//!
//! ```text
//! dx = s (g − mean(g) − x̂ mean(g ⊙ x̂))
//! dgain = Σ_rows dy ⊙ x̂,  dbias = Σ_rows dy
//! ```
//!
//! The two subtracted terms are the gradient flowing through `μ` and through
//! `σ²`; each is easy to drop, and each is planted as a bug. The layer is
//! generic over the scalar type (`f32` or `f64`): `ε` is stored in it.

use gradcheck::ndarray::{Array, Array1, Array2, Axis, Dimension, IxDyn, NdFloat};
use gradcheck::{Init, Layer, Params, Scalar};

/// The learnable parameters: one gain and one bias per feature. Reports
/// name their entries `<param>.gain[j]` and `<param>.bias[j]`. (The bound
/// on `F` is needed: the derived impl requires `Affine<F>: Clone`, which the
/// derived `Clone` gives only for `F: Clone`.)
#[derive(Clone, Debug, Params)]
pub struct Affine<F: Scalar> {
    /// Multiplies the normalized input, per feature.
    pub gain: Array1<F>,
    /// Added after the gain, per feature.
    pub bias: Array1<F>,
}

/// The bug planted in the backward pass, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bug {
    /// The correct gradient.
    None,
    /// The `− mean(g)` term (the gradient through the mean) is dropped.
    NoMeanTerm,
    /// The `− x̂ mean(g ⊙ x̂)` term (the gradient through the variance) is
    /// dropped.
    NoVarianceTerm,
}

/// Layer normalization over the last axis.
#[derive(Clone, Debug)]
pub struct LayerNorm<F> {
    /// Added to the variance inside the square root.
    pub eps: F,
    /// The planted bug.
    pub bug: Bug,
}

/// Row means of an `n × d` matrix, as an `n × 1` column for broadcasting.
fn row_mean<F: Scalar + NdFloat>(a: &Array2<F>) -> Array2<F> {
    let d = F::from_f64(a.ncols() as f64);
    (a.sum_axis(Axis(1)) / d).insert_axis(Axis(1))
}

impl<F: Scalar + NdFloat> LayerNorm<F> {
    /// `x̂` (`n × d`) and `s = 1 / √(σ² + ε)` (`n × 1`).
    fn normalize(&self, x: &Array2<F>) -> (Array2<F>, Array2<F>) {
        let centered = x - &row_mean(x);
        let var = row_mean(&centered.mapv(|v| v * v));
        let inv_std = var.mapv(|v| F::one() / (v + self.eps).sqrt());
        (centered * &inv_std, inv_std)
    }
}

impl<F: Scalar + NdFloat> Layer for LayerNorm<F> {
    type Input = Array2<F>;
    type Params = Affine<F>;
    type Output = Array2<F>;

    fn forward(&self, x: &Array2<F>, p: &Affine<F>) -> Array2<F> {
        let (xhat, _) = self.normalize(x);
        xhat * &p.gain + &p.bias
    }

    fn backward(&self, x: &Array2<F>, p: &Affine<F>, dy: &Array2<F>) -> (Array2<F>, Affine<F>) {
        let (xhat, inv_std) = self.normalize(x);
        let g = dy * &p.gain;
        let through_mean = row_mean(&g);
        let through_var = &xhat * &row_mean(&(&g * &xhat));
        let dx = match self.bug {
            Bug::None => g - through_mean - through_var,
            Bug::NoMeanTerm => g - through_var,
            Bug::NoVarianceTerm => g - through_mean,
        } * &inv_std;
        let grads = Affine {
            gain: (dy * &xhat).sum_axis(Axis(0)),
            bias: dy.sum_axis(Axis(0)),
        };
        (dx, grads)
    }
}

/// Rows and features of the example input.
pub const SHAPE: (usize, usize) = (3, 5);

/// A random input and parameters, seeded: `x` uniform in ±1.5, the gains
/// in 1 ± 0.5 (normalization layers start at gain 1), the biases in ±0.5.
pub fn random_case<F: Scalar + NdFloat>(seed: u64) -> (Array2<F>, Affine<F>) {
    let (n, d) = SHAPE;
    let x = sample(Init::Uniform(1.5), &[n, d], seed);
    let gain = sample(Init::Uniform(0.5), &[d], seed + 1).mapv(|v: F| v + F::one());
    let bias = sample(Init::Uniform(0.5), &[d], seed + 2);
    (x, Affine { gain, bias })
}

/// An array of the given shape filled by `init`, seeded.
fn sample<F: Scalar, D: Dimension>(init: Init, shape: &[usize], seed: u64) -> Array<F, D> {
    let values = init
        .sample_vec(shape, seed)
        .into_iter()
        .map(F::from_f64)
        .collect();
    Array::from_shape_vec(IxDyn(shape), values)
        .and_then(|a| a.into_dimensionality())
        .expect("the values fill the shape")
}
