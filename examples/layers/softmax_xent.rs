//! Softmax cross-entropy of a batch of logits against integer labels.
//!
//! The input is an `m × k` matrix of logits, one row per example. The labels
//! are constants: they live in the layer value, never in its input, so the
//! check does not perturb them. The output is the *mean* loss over the
//! batch, as a 0-d array:
//!
//! ```text
//! J(z) = (1/m) Σ_b [ log Σ_j exp(z[b, j]) − z[b, y_b] ]
//! ∂J/∂z[b, j] = (softmax(z[b])_j − [j = y_b]) / m
//! ```
//!
//! The mean rather than the per-example losses because that is the number a
//! training loop differentiates, and because the batch division is where the
//! most common bug of this layer lives: per-example losses have no `1/m` to
//! forget. The price is a scalar output: the random cotangent is a single
//! number, so a backward pass that mixed up the examples' upstream gradients
//! could not be told apart (there is only one).

use gradcheck::ndarray::{Array0, Array1, Array2, Axis};
use gradcheck::{Init, Layer};

/// The bug planted in the backward pass, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bug {
    /// The correct gradient.
    None,
    /// The gradient is not divided by the batch size `m`.
    NoBatchMean,
    /// The one-hot target is not subtracted: the gradient is `softmax / m`.
    NoOneHot,
}

/// Mean softmax cross-entropy against fixed integer labels.
#[derive(Clone, Debug)]
pub struct SoftmaxXent {
    /// The class of each example (row of the logits).
    pub labels: Vec<usize>,
    /// The planted bug.
    pub bug: Bug,
}

impl SoftmaxXent {
    /// Row-wise `log Σ_j exp(z[b, j])`, shifted by the row maximum so that
    /// it cannot overflow.
    fn log_sum_exp(&self, z: &Array2<f64>) -> Array1<f64> {
        assert_eq!(self.labels.len(), z.nrows(), "one label per row of logits");
        assert!(
            self.labels.iter().all(|&y| y < z.ncols()),
            "every label is a class index below {}",
            z.ncols()
        );
        let max = z.map_axis(Axis(1), |row| row.fold(f64::NEG_INFINITY, |a, &b| a.max(b)));
        let shifted = z - &max.view().insert_axis(Axis(1));
        max + shifted.mapv(f64::exp).sum_axis(Axis(1)).mapv(f64::ln)
    }

    /// The labels as an `m × k` one-hot matrix.
    fn one_hot(&self, shape: (usize, usize)) -> Array2<f64> {
        Array2::from_shape_fn(shape, |(b, j)| f64::from(u8::from(self.labels[b] == j)))
    }
}

impl Layer for SoftmaxXent {
    type Input = Array2<f64>;
    type Params = [f64; 0];
    type Output = Array0<f64>;

    fn forward(&self, z: &Array2<f64>, _: &[f64; 0]) -> Array0<f64> {
        let picked = (self.one_hot(z.dim()) * z).sum_axis(Axis(1));
        let losses = self.log_sum_exp(z) - picked;
        Array0::from_elem((), losses.sum() / z.nrows() as f64)
    }

    fn backward(&self, z: &Array2<f64>, _: &[f64; 0], dy: &Array0<f64>) -> (Array2<f64>, [f64; 0]) {
        let lse = self.log_sum_exp(z);
        let probs = (z - &lse.view().insert_axis(Axis(1))).mapv(f64::exp);
        let residual = match self.bug {
            Bug::NoOneHot => probs,
            Bug::None | Bug::NoBatchMean => probs - self.one_hot(z.dim()),
        };
        let scale = match self.bug {
            Bug::NoBatchMean => dy[()],
            Bug::None | Bug::NoOneHot => dy[()] / z.nrows() as f64,
        };
        (residual * scale, [])
    }
}

/// Examples and classes of the example batch.
pub const SHAPE: (usize, usize) = (4, 5);

/// A random layer and input, seeded: logits uniform in ±2 and labels
/// uniform over the classes.
pub fn random_case(seed: u64, bug: Bug) -> (SoftmaxXent, Array2<f64>) {
    let (m, k) = SHAPE;
    let logits = Init::Uniform(2.0).sample_vec(&[m, k], seed);
    let labels = Init::Uniform(1.0)
        .sample_vec(&[m], seed + 1)
        .into_iter()
        .map(|u| (((u + 1.0) / 2.0 * k as f64) as usize).min(k - 1))
        .collect();
    let z = Array2::from_shape_vec((m, k), logits).expect("the values fill the shape");
    (SoftmaxXent { labels, bug }, z)
}
