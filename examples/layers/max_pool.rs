//! 1-D max-pooling over the last axis of a batch × channels × length input,
//! with overlapping windows (window > stride).
//!
//! ```text
//! y[b, c, t] = max_{0 <= a < window} x[b, c, t·stride + a]
//! out_len = (len − window) / stride + 1
//! ```
//!
//! The gradient of each output goes to the position of its window's maximum
//! (the first one, on a tie). When windows overlap, one input position can
//! be the maximum of two windows, and then it must receive the *sum* of both
//! upstream gradients: a backward pass that assigns instead of adding keeps
//! only the last window's share. With disjoint windows the two are the same,
//! which is why the bug survives tests that only use window = stride.
//!
//! The maximum has a kink wherever two entries of a window tie. The check
//! perturbs one entry by about 1e-4, so inputs with two entries that close
//! would be judged at a kink (an inconclusive verdict); [`random_input`]
//! draws inputs whose entries are spread apart.

use gradcheck::ndarray::{Array3, ArrayView1, Axis, Zip};
use gradcheck::{Init, Layer};

/// The bug planted in the backward pass, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bug {
    /// The correct gradient.
    None,
    /// `dx[argmax] = dy[t]` instead of `dx[argmax] += dy[t]`.
    Overwrite,
}

/// 1-D max-pooling with a fixed window and stride.
#[derive(Clone, Debug)]
pub struct MaxPool1d {
    /// Entries per window.
    pub window: usize,
    /// Step between windows; overlapping windows when less than `window`.
    pub stride: usize,
    /// The planted bug.
    pub bug: Bug,
}

impl MaxPool1d {
    /// The output length for an input of length `len`.
    pub fn out_len(&self, len: usize) -> usize {
        assert!(
            self.window > 0 && self.stride > 0,
            "window and stride are positive"
        );
        assert!(len >= self.window, "the window fits the input");
        (len - self.window) / self.stride + 1
    }

    /// Start of each window of a row and the offset of its maximum.
    fn argmaxes<'a>(
        &'a self,
        row: ArrayView1<'a, f64>,
    ) -> impl Iterator<Item = (usize, usize)> + 'a {
        (0..self.out_len(row.len())).map(move |t| {
            let start = t * self.stride;
            let best = (1..self.window).fold(0, |best, a| {
                if row[start + a] > row[start + best] {
                    a
                } else {
                    best
                }
            });
            (start, best)
        })
    }
}

impl Layer for MaxPool1d {
    type Input = Array3<f64>;
    type Params = [f64; 0];
    type Output = Array3<f64>;

    fn forward(&self, x: &Array3<f64>, _: &[f64; 0]) -> Array3<f64> {
        let (batch, channels, len) = x.dim();
        let mut y = Array3::zeros((batch, channels, self.out_len(len)));
        Zip::from(y.lanes_mut(Axis(2)))
            .and(x.lanes(Axis(2)))
            .for_each(|mut y, x| {
                for (t, (start, a)) in self.argmaxes(x).enumerate() {
                    y[t] = x[start + a];
                }
            });
        y
    }

    fn backward(&self, x: &Array3<f64>, _: &[f64; 0], dy: &Array3<f64>) -> (Array3<f64>, [f64; 0]) {
        let mut dx = Array3::zeros(x.raw_dim());
        Zip::from(dx.lanes_mut(Axis(2)))
            .and(x.lanes(Axis(2)))
            .and(dy.lanes(Axis(2)))
            .for_each(|mut dx, x, dy| {
                for (t, (start, a)) in self.argmaxes(x).enumerate() {
                    match self.bug {
                        Bug::None => dx[start + a] += dy[t],
                        Bug::Overwrite => dx[start + a] = dy[t],
                    }
                }
            });
        (dx, [])
    }
}

/// Batch, channels and length of the example input.
pub const SHAPE: (usize, usize, usize) = (2, 4, 17);

/// A seeded random input whose entries are all distinct and at least
/// `2 / n` apart (`n` entries in all): the values `−1 + (2k + 1) / n` for
/// `k = 0 .. n`, in the order of keys drawn by `Init::Uniform(1.0)`. No
/// window then has a tie within the step of the check.
pub fn random_input(seed: u64) -> Array3<f64> {
    let (batch, channels, len) = SHAPE;
    let keys = Init::Uniform(1.0).sample_vec(&[batch, channels, len], seed);
    let n = keys.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| keys[a].total_cmp(&keys[b]));
    let mut values = vec![0.0; n];
    for (rank, &i) in order.iter().enumerate() {
        values[i] = -1.0 + (2 * rank + 1) as f64 / n as f64;
    }
    Array3::from_shape_vec(SHAPE, values).expect("the values fill the shape")
}
