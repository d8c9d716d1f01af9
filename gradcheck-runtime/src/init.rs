//! Random initialization of parameters: the distributions, seeded sampling,
//! and proptest strategies that draw parameters for a check.
//!
//! Gradient checks run at randomly initialized parameters because zero (or
//! any constant) initialization keeps every hidden unit identical: the
//! gradient at such a point has symmetric structure that hides transposed
//! weights and swapped indices.

use proptest::strategy::{BoxedStrategy, Just, Strategy};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::params::{Block, Draw, Shape};
use crate::scalar::Scalar;

/// A distribution for every entry of a tensor.
///
/// Fan-in and fan-out of a tensor of shape `(r, c, …)` are taken as
/// `c · …` (everything but the first axis) and `r`: a weight matrix maps
/// `c` inputs to `r` outputs, as in `Theta (L_out × (L_in + 1))`. A
/// one-dimensional tensor of length `n` has fan-in and fan-out `n`.
///
/// ```
/// use gradcheck_runtime::Init;
///
/// let w = Init::Uniform(0.12).sample_vec(&[10, 11], 7);
/// assert_eq!(w.len(), 110);
/// assert!(w.iter().all(|x| x.abs() <= 0.12));
/// assert_eq!(w, Init::Uniform(0.12).sample_vec(&[10, 11], 7)); // seeded
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Init {
    /// Uniform in `[−e, e]`; the default is `e = 0.12`.
    Uniform(f64),
    /// Uniform in `[−e, e]` with `e = √6 / √(fan_in + fan_out)`, the rule of
    /// thumb for sigmoid networks, equal to Glorot/Xavier uniform.
    GlorotUniform,
    /// Uniform in `[−e, e]` with `e = √(6 / fan_in)` (He/Kaiming, for ReLU).
    HeUniform,
    /// Every entry zero: shows why symmetric initialization fails.
    Zeros,
    /// Every entry the same value.
    Constant(f64),
}

impl Default for Init {
    fn default() -> Self {
        Init::Uniform(DEFAULT_EPSILON_INIT)
    }
}

/// The default half-width of uniform initialization, 0.12.
pub const DEFAULT_EPSILON_INIT: f64 = 0.12;

/// The rule of thumb `ε_init = √6 / √(L_in + L_out)` for a layer with
/// `l_in` inputs and `l_out` outputs.
///
/// ```
/// let e = gradcheck_runtime::init::epsilon_init(400, 25);
/// assert!((e - 0.1188).abs() < 1e-4);
/// ```
pub fn epsilon_init(l_in: usize, l_out: usize) -> f64 {
    6f64.sqrt() / ((l_in + l_out) as f64).sqrt()
}

/// Fan-in and fan-out of a tensor shape (see [`Init`]).
pub fn fans(shape: &[usize]) -> (usize, usize) {
    match shape {
        [] => (1, 1),
        [n] => (*n, *n),
        [out, rest @ ..] => (rest.iter().product(), *out),
    }
}

impl Init {
    /// The interval `[lo, hi]` this distribution draws from for a tensor of
    /// this shape.
    pub fn range(&self, shape: &[usize]) -> (f64, f64) {
        let (fan_in, fan_out) = fans(shape);
        let half = |e: f64| (-e, e);
        match *self {
            Init::Uniform(e) => half(e.abs()),
            Init::GlorotUniform => half(epsilon_init(fan_in, fan_out)),
            Init::HeUniform => half((6.0 / fan_in.max(1) as f64).sqrt()),
            Init::Zeros => (0.0, 0.0),
            Init::Constant(c) => (c, c),
        }
    }

    /// Draws every entry of a tensor of this shape, seeded, in row-major
    /// order.
    pub fn sample_vec(&self, shape: &[usize], seed: u64) -> Vec<f64> {
        let mut rng = StdRng::seed_from_u64(seed);
        let (lo, hi) = self.range(shape);
        let n: usize = shape.iter().product();
        (0..n)
            .map(|_| {
                if lo == hi {
                    lo
                } else {
                    rng.random_range(lo..=hi)
                }
            })
            .collect()
    }

    /// A proptest strategy for one entry of a tensor of this shape.
    pub fn entry_strategy<S: Scalar>(&self, block: &Block) -> BoxedStrategy<S> {
        let (lo, hi) = self.range(&block.shape);
        if lo == hi {
            Just(S::from_f64(lo)).boxed()
        } else {
            (lo..=hi).prop_map(S::from_f64).boxed()
        }
    }
}

/// A proptest strategy drawing a whole parameter container of the given
/// shape, each tensor from `init`. Shrinking moves entries toward zero one
/// at a time.
///
/// Fails with a message when `shape` does not fit the container type.
///
/// ```
/// use gradcheck_runtime::{init::params_strategy, Init, Shape};
/// use ndarray::Array2;
/// use proptest::strategy::{Strategy, ValueTree};
/// use proptest::test_runner::TestRunner;
///
/// let strategy = params_strategy::<Array2<f64>>(&Shape::Of(&[3, 4]), Init::Uniform(0.5)).unwrap();
/// let w = strategy.new_tree(&mut TestRunner::deterministic()).unwrap().current();
/// assert_eq!(w.shape(), &[3, 4]);
/// assert!(w.iter().all(|x| x.abs() <= 0.5));
/// ```
pub fn params_strategy<P>(
    shape: &Shape,
    init: Init,
) -> Result<impl Strategy<Value = P> + Clone, String>
where
    P: Draw + std::fmt::Debug,
{
    let layout = P::layout_for(shape)?;
    let entries: Vec<BoxedStrategy<P::Scalar>> = layout
        .blocks()
        .iter()
        .flat_map(|b| std::iter::repeat_n(init.entry_strategy::<P::Scalar>(b), b.len()))
        .collect();
    let shape = shape.clone();
    Ok(entries.prop_map(move |values| P::from_flat(&shape, values)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glorot_matches_the_rule_of_thumb() {
        let (lo, hi) = Init::GlorotUniform.range(&[25, 401]);
        approx::assert_relative_eq!(hi, epsilon_init(401, 25));
        assert_eq!(lo, -hi);
    }

    #[test]
    fn zeros_and_constants_are_exact() {
        assert!(Init::Zeros.sample_vec(&[3, 3], 1).iter().all(|&x| x == 0.0));
        assert!(Init::Constant(0.5)
            .sample_vec(&[4], 1)
            .iter()
            .all(|&x| x == 0.5));
    }

    #[test]
    fn uniform_draws_cover_the_interval() {
        let v = Init::Uniform(0.12).sample_vec(&[100_000], 3);
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len() as f64;
        // U(−e, e) has mean 0 and variance e²/3.
        assert!(mean.abs() < 1e-3, "{mean}");
        approx::assert_relative_eq!(var, 0.12 * 0.12 / 3.0, max_relative = 0.02);
    }
}
