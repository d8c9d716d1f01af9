//! Random initialization of parameters: the distributions, seeded sampling,
//! and proptest strategies that draw parameters for a check.
//!
//! Gradient checks run at randomly initialized parameters because zero (or
//! any constant) initialization keeps every hidden unit identical: the
//! gradient at such a point has symmetric structure that hides transposed
//! weights and swapped indices. The same symmetry stops a network from
//! learning, which [`crate::symmetry`] detects in trained weights.
//!
//! Every scheme is available three ways, all seeded and reproducible:
//!
//! - [`Init::sample_vec`] and [`Init::sample_array`]: one tensor of a given
//!   shape, as a flat vector or an ndarray of any dimension;
//! - [`Init::fill`]: every tensor of a parameter container (an array, a
//!   list of arrays, a struct that derives `Params`), each from its own
//!   shape's fans;
//! - [`Init::block_strategy`] and [`params_strategy`]: proptest strategies,
//!   which is how the attribute's `init = …` draws parameters.

use std::f64::consts::TAU;
use std::fmt;

use ndarray::{Array, Dimension, IntoDimension};
use proptest::arbitrary::any;
use proptest::strategy::{BoxedStrategy, Just, Strategy};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::params::{Block, Draw, Params, Shape};
use crate::scalar::Scalar;

/// A distribution for the entries of a tensor.
///
/// Fan-in and fan-out of a tensor of shape `(r, c, …)` are taken as
/// `c · …` (everything but the first axis) and `r`: a weight matrix maps
/// `c` inputs to `r` outputs, as in `Theta (L_out × (L_in + 1))`, and a
/// convolution kernel `(out_channels, in_channels, k)` has fan-in
/// `in_channels · k`. A one-dimensional tensor of length `n` has fan-in and
/// fan-out `n`; a scalar has both 1. See [`fans`].
///
/// | variant | entries | variance |
/// |---|---|---|
/// | `Uniform(e)` | uniform in `[−e, e]` | `e² / 3` |
/// | `GlorotUniform` | uniform in `[−e, e]`, `e = √6 / √(fan_in + fan_out)` | `2 / (fan_in + fan_out)` |
/// | `GlorotNormal` | normal, `σ = √2 / √(fan_in + fan_out)` | `2 / (fan_in + fan_out)` |
/// | `HeUniform` | uniform in `[−e, e]`, `e = √(6 / fan_in)` | `2 / fan_in` |
/// | `HeNormal` | normal, `σ = √(2 / fan_in)` | `2 / fan_in` |
/// | `LeCunUniform` | uniform in `[−e, e]`, `e = √(3 / fan_in)` | `1 / fan_in` |
/// | `LeCunNormal` | normal, `σ = √(1 / fan_in)` | `1 / fan_in` |
/// | `Orthogonal { gain }` | `gain ·` a random orthogonal matrix | `gain² / max(r, c · …)` |
/// | `Zeros` | 0 | 0 |
/// | `Constant(c)` | `c` | 0 |
///
/// All have mean zero except `Constant`. The normal schemes are not
/// truncated (some libraries cut Glorot and He normals at 2σ and rescale).
/// Normal variates come from the Box–Muller transform.
///
/// `Orthogonal` views a tensor of shape `(r, c, …)` as an `r × n` matrix
/// with `n = c · …` (trailing axes flattened), draws it with independent
/// standard normal entries and orthonormalizes its rows if `r ≤ n` (then
/// `Q Qᵀ = I`) or its columns if `r > n` (then `Qᵀ Q = I`) by Gram–Schmidt,
/// which gives a uniformly (Haar) distributed orthogonal matrix; the result
/// is multiplied by `gain`. A one-dimensional tensor is one row (a random
/// unit vector times `gain`), a scalar is `±gain`.
///
/// ```
/// use gradcheck_runtime::Init;
///
/// let w = Init::Uniform(0.12).sample_vec(&[10, 11], 7);
/// assert_eq!(w.len(), 110);
/// assert!(w.iter().all(|x| x.abs() <= 0.12));
/// assert_eq!(w, Init::Uniform(0.12).sample_vec(&[10, 11], 7)); // seeded
/// assert_ne!(w, Init::Uniform(0.12).sample_vec(&[10, 11], 8));
///
/// // Fans of a 25 × 401 matrix: fan_in 401, fan_out 25.
/// assert_eq!(Init::HeNormal.std_dev(&[25, 401]), (2.0f64 / 401.0).sqrt());
/// assert_eq!(Init::GlorotNormal.to_string(), "glorot_normal");
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Init {
    /// Uniform in `[−e, e]`; the default is `e = 0.12`.
    Uniform(f64),
    /// Uniform in `[−e, e]` with `e = √6 / √(fan_in + fan_out)`, the rule of
    /// thumb for sigmoid networks ([`epsilon_init`]), equal to Glorot/Xavier
    /// uniform.
    GlorotUniform,
    /// Normal with mean 0 and `σ = √2 / √(fan_in + fan_out)`
    /// (Glorot/Xavier normal): the variance of [`Init::GlorotUniform`].
    GlorotNormal,
    /// Uniform in `[−e, e]` with `e = √(6 / fan_in)` (He/Kaiming, for ReLU).
    HeUniform,
    /// Normal with mean 0 and `σ = √(2 / fan_in)` (He/Kaiming, for ReLU).
    HeNormal,
    /// Uniform in `[−e, e]` with `e = √(3 / fan_in)` (LeCun): variance
    /// `1 / fan_in`, for tanh and SELU networks.
    LeCunUniform,
    /// Normal with mean 0 and `σ = √(1 / fan_in)` (LeCun).
    LeCunNormal,
    /// `gain` times a random orthogonal matrix (see above); `gain = 1`
    /// keeps the norms of the vectors a linear layer maps.
    Orthogonal {
        /// Factor applied to the orthogonal matrix.
        gain: f64,
    },
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

/// The attribute's spelling: `uniform(0.12)`, `glorot_normal`,
/// `orthogonal(2)`, `constant(0.3)`, …
impl fmt::Display for Init {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Init::Uniform(e) => write!(f, "uniform({e})"),
            Init::GlorotUniform => f.write_str("glorot_uniform"),
            Init::GlorotNormal => f.write_str("glorot_normal"),
            Init::HeUniform => f.write_str("he_uniform"),
            Init::HeNormal => f.write_str("he_normal"),
            Init::LeCunUniform => f.write_str("lecun_uniform"),
            Init::LeCunNormal => f.write_str("lecun_normal"),
            Init::Orthogonal { gain } if *gain == 1.0 => f.write_str("orthogonal"),
            Init::Orthogonal { gain } => write!(f, "orthogonal({gain})"),
            Init::Zeros => f.write_str("zeros"),
            Init::Constant(c) => write!(f, "constant({c})"),
        }
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
///
/// ```
/// use gradcheck_runtime::init::fans;
///
/// assert_eq!(fans(&[25, 401]), (401, 25)); // Theta: 401 inputs, 25 outputs
/// assert_eq!(fans(&[8, 3, 5]), (15, 8)); // kernel: 3 channels × width 5 in
/// assert_eq!(fans(&[7]), (7, 7));
/// assert_eq!(fans(&[]), (1, 1));
/// ```
pub fn fans(shape: &[usize]) -> (usize, usize) {
    match shape {
        [] => (1, 1),
        [n] => (*n, *n),
        [out, rest @ ..] => (rest.iter().product(), *out),
    }
}

/// How the entries of one tensor are drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Law {
    /// Every entry this value.
    Fixed(f64),
    /// Independent, uniform in `[lo, hi]`.
    Uniform(f64, f64),
    /// Independent, normal with mean 0 and this standard deviation.
    Normal(f64),
    /// The tensor is this gain times an orthogonal matrix.
    Orthogonal(f64),
}

/// The seeded random source of all sampling: uniform draws from `StdRng`,
/// normal draws by the Box–Muller transform, two at a time.
struct Source {
    rng: StdRng,
    spare: Option<f64>,
}

impl Source {
    fn new(seed: u64) -> Self {
        Source {
            rng: StdRng::seed_from_u64(seed),
            spare: None,
        }
    }

    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        self.rng.random_range(lo..=hi)
    }

    /// A standard normal variate.
    fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        // u in (0, 1], so that its logarithm is finite.
        let u = 1.0 - self.rng.random::<f64>();
        let v = self.rng.random::<f64>();
        let r = (-2.0 * u.ln()).sqrt();
        let (sin, cos) = (TAU * v).sin_cos();
        self.spare = Some(r * sin);
        r * cos
    }
}

/// One standard normal variate from two numbers in `[0, 1)` (Box–Muller):
/// 0 when `s = 0`, growing in magnitude with `s`, so that shrinking `s`
/// toward 0 shrinks the variate toward 0.
fn box_muller(s: f64, t: f64) -> f64 {
    (-2.0 * (1.0 - s).ln()).sqrt() * (TAU * t).cos()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The `r × n` matrix a tensor of this shape is viewed as by orthogonal
/// initialization: trailing axes flattened; a vector is one row.
fn matrix_view(shape: &[usize]) -> (usize, usize) {
    match shape {
        [] => (1, 1),
        [n] => (1, *n),
        [r, rest @ ..] => (*r, rest.iter().product()),
    }
}

/// `gain ·` a random orthogonal `r × n` matrix in row-major order: the rows
/// (if `r ≤ n`) or the columns (if `r > n`) of a standard normal matrix,
/// orthonormalized by Gram–Schmidt.
fn orthogonal(shape: &[usize], gain: f64, source: &mut Source) -> Vec<f64> {
    let (rows, cols) = matrix_view(shape);
    if rows == 0 || cols == 0 {
        return Vec::new();
    }
    let by_rows = rows <= cols;
    let (count, len) = if by_rows { (rows, cols) } else { (cols, rows) };
    let mut basis: Vec<Vec<f64>> = Vec::with_capacity(count);
    while basis.len() < count {
        let mut v: Vec<f64> = (0..len).map(|_| source.normal()).collect();
        let before = dot(&v, &v).sqrt();
        // Modified Gram–Schmidt, twice: the second pass removes what
        // rounding left of the first, so that QᵀQ = I to about 1e-15.
        for _ in 0..2 {
            for q in &basis {
                let d = dot(q, &v);
                v.iter_mut().zip(q).for_each(|(x, y)| *x -= d * y);
            }
        }
        let norm = dot(&v, &v).sqrt();
        // A vector (almost) in the span of the others has probability zero;
        // draw another rather than normalize noise.
        if norm > 1e-6 * before {
            v.iter_mut().for_each(|x| *x /= norm);
            basis.push(v);
        }
    }
    let mut out = vec![0.0; rows * cols];
    for (i, row) in out.chunks_mut(cols).enumerate() {
        for (j, x) in row.iter_mut().enumerate() {
            *x = gain * if by_rows { basis[i][j] } else { basis[j][i] };
        }
    }
    out
}

impl Init {
    /// How entries of a tensor of this shape are drawn.
    fn law(&self, shape: &[usize]) -> Law {
        let (fan_in, fan_out) = fans(shape);
        let (fan_in, fan_sum) = (fan_in.max(1) as f64, (fan_in + fan_out).max(1) as f64);
        let uniform = |e: f64| {
            let e = e.abs();
            if e == 0.0 {
                Law::Fixed(0.0)
            } else {
                Law::Uniform(-e, e)
            }
        };
        match *self {
            Init::Uniform(e) => uniform(e),
            Init::GlorotUniform => uniform((6.0 / fan_sum).sqrt()),
            Init::GlorotNormal => Law::Normal((2.0 / fan_sum).sqrt()),
            Init::HeUniform => uniform((6.0 / fan_in).sqrt()),
            Init::HeNormal => Law::Normal((2.0 / fan_in).sqrt()),
            Init::LeCunUniform => uniform((3.0 / fan_in).sqrt()),
            Init::LeCunNormal => Law::Normal((1.0 / fan_in).sqrt()),
            Init::Orthogonal { gain } => Law::Orthogonal(gain),
            Init::Zeros => Law::Fixed(0.0),
            Init::Constant(c) => Law::Fixed(c),
        }
    }

    /// The interval `[lo, hi]` this distribution draws from for a tensor of
    /// this shape: infinite for the normal schemes, `[−gain, gain]` for
    /// orthogonal (no entry of an orthonormal row or column exceeds 1).
    pub fn range(&self, shape: &[usize]) -> (f64, f64) {
        match self.law(shape) {
            Law::Fixed(c) => (c, c),
            Law::Uniform(lo, hi) => (lo, hi),
            Law::Normal(_) => (f64::NEG_INFINITY, f64::INFINITY),
            Law::Orthogonal(gain) => (-gain.abs(), gain.abs()),
        }
    }

    /// Checks the scheme's numbers: a half-width, constant or gain must be
    /// finite.
    ///
    /// ```
    /// use gradcheck_runtime::Init;
    ///
    /// assert!(Init::Uniform(0.12).validate().is_ok());
    /// assert!(Init::Uniform(f64::INFINITY).validate().unwrap_err().contains("uniform(inf)"));
    /// ```
    pub fn validate(&self) -> Result<(), String> {
        // A half-width must leave its interval's width finite, too.
        let number = match *self {
            Init::Uniform(x) => 2.0 * x,
            Init::Constant(x) | Init::Orthogonal { gain: x } => x,
            _ => 0.0,
        };
        if number.is_finite() {
            Ok(())
        } else {
            Err(format!("the initialization {self} needs a finite number"))
        }
    }

    /// The mean of every entry: `c` for `Constant(c)`, else 0.
    pub fn mean(&self) -> f64 {
        match *self {
            Init::Constant(c) => c,
            _ => 0.0,
        }
    }

    /// The standard deviation of an entry of a tensor of this shape (see
    /// the table at [`Init`]); for orthogonal, the root mean square of the
    /// entries, `|gain| / √max(r, n)`, which every draw has exactly.
    pub fn std_dev(&self, shape: &[usize]) -> f64 {
        match self.law(shape) {
            Law::Fixed(_) => 0.0,
            Law::Uniform(lo, hi) => (hi - lo) / 12f64.sqrt(),
            Law::Normal(sd) => sd,
            Law::Orthogonal(gain) => {
                let (r, n) = matrix_view(shape);
                gain.abs() / (r.max(n).max(1) as f64).sqrt()
            }
        }
    }

    /// Draws a tensor of this shape from `source`, row-major.
    ///
    /// Panics with the reason when [`Init::validate`] refuses the scheme.
    fn draw(&self, shape: &[usize], source: &mut Source) -> Vec<f64> {
        if let Err(message) = self.validate() {
            panic!("gradcheck: {message}");
        }
        let n: usize = shape.iter().product();
        match self.law(shape) {
            Law::Fixed(c) => vec![c; n],
            Law::Uniform(lo, hi) => (0..n).map(|_| source.uniform(lo, hi)).collect(),
            Law::Normal(sd) => (0..n).map(|_| sd * source.normal()).collect(),
            Law::Orthogonal(gain) => orthogonal(shape, gain, source),
        }
    }

    /// Draws every entry of a tensor of this shape, seeded, in row-major
    /// order.
    pub fn sample_vec(&self, shape: &[usize], seed: u64) -> Vec<f64> {
        self.draw(shape, &mut Source::new(seed))
    }

    /// Draws an ndarray of this shape (any dimension), seeded: the values
    /// of [`sample_vec`](Init::sample_vec) in row-major order, rounded to
    /// the scalar type.
    ///
    /// ```
    /// use gradcheck_runtime::Init;
    /// use ndarray::{Array2, Array3};
    ///
    /// let q: Array2<f64> = Init::Orthogonal { gain: 1.0 }.sample_array((3, 5), 1);
    /// let qqt = q.dot(&q.t());
    /// assert!((qqt - Array2::<f64>::eye(3)).iter().all(|d| d.abs() < 1e-12));
    ///
    /// let k: Array3<f32> = Init::HeUniform.sample_array((8, 3, 5), 2);
    /// let e = (6.0f32 / 15.0).sqrt(); // fan_in = 3 · 5
    /// assert!(k.iter().all(|x| x.abs() <= e));
    /// ```
    pub fn sample_array<S, D, Sh>(&self, shape: Sh, seed: u64) -> Array<S, D>
    where
        S: Scalar,
        D: Dimension,
        Sh: IntoDimension<Dim = D>,
    {
        let dim = shape.into_dimension();
        let values = self.sample_vec(dim.slice(), seed);
        let values = values.into_iter().map(S::from_f64).collect();
        Array::from_shape_vec(dim, values).expect("the values fill the shape")
    }

    /// Overwrites every tensor of a parameter container with draws from
    /// this distribution, seeded; each tensor takes its fans from its own
    /// shape. Tensors are drawn in order from one random stream, so a
    /// container of one tensor gets the values of
    /// [`sample_vec`](Init::sample_vec) with the same seed. Fields of a
    /// `#[derive(Params)]` struct marked `#[gradcheck(skip)]` are left as
    /// they are.
    ///
    /// ```
    /// use gradcheck_runtime::{Init, Params};
    /// use ndarray::Array2;
    ///
    /// // Theta1 (25 × 401) and Theta2 (10 × 26) of a classic network.
    /// let mut theta = vec![Array2::<f64>::zeros((25, 401)), Array2::zeros((10, 26))];
    /// Init::GlorotUniform.fill(&mut theta, 42);
    /// let largest = |t: &Array2<f64>| t.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    /// assert!(largest(&theta[0]) <= (6.0f64 / 426.0).sqrt());
    /// assert!(largest(&theta[1]) <= (6.0f64 / 36.0).sqrt());
    /// assert!(largest(&theta[1]) > (6.0f64 / 426.0).sqrt()); // its own fans
    /// ```
    pub fn fill<P: Params>(&self, params: &mut P, seed: u64) {
        let layout = params.layout();
        let mut source = Source::new(seed);
        for (k, block) in layout.blocks().iter().enumerate() {
            let values = self.draw(&block.shape, &mut source);
            for (i, v) in layout.block_range(k).zip(values) {
                params.set_flat(i, P::Scalar::from_f64(v));
            }
        }
    }

    /// A proptest strategy for one tensor of a container, its entries in
    /// row-major order.
    ///
    /// The entries of every scheme but `Orthogonal` are independent, and
    /// each is its own strategy: shrinking moves them toward zero one at a
    /// time (a normal entry is drawn by Box–Muller from two uniform numbers,
    /// and shrinks with its radius). An orthogonal tensor is drawn whole
    /// from a random seed; it shrinks only to other orthogonal tensors.
    ///
    /// ```
    /// use gradcheck_runtime::params::Block;
    /// use gradcheck_runtime::Init;
    /// use proptest::strategy::{Strategy, ValueTree};
    /// use proptest::test_runner::TestRunner;
    ///
    /// let block = Block { shape: vec![4, 4] };
    /// let strategy = Init::Orthogonal { gain: 1.0 }.block_strategy::<f64>(&block);
    /// let q = strategy.new_tree(&mut TestRunner::deterministic()).unwrap().current();
    /// let row0: f64 = q[..4].iter().map(|x| x * x).sum();
    /// assert!((row0 - 1.0).abs() < 1e-12);
    /// ```
    pub fn block_strategy<S: Scalar>(&self, block: &Block) -> BoxedStrategy<Vec<S>> {
        let n = block.len();
        match self.law(&block.shape) {
            Law::Fixed(c) => Just(vec![S::from_f64(c); n]).boxed(),
            Law::Uniform(lo, hi) => {
                let entry = (lo..=hi).prop_map(S::from_f64);
                vec![entry; n].boxed()
            }
            Law::Normal(sd) => {
                let entry = (0.0..1.0f64, 0.0..1.0f64)
                    .prop_map(move |(s, t)| S::from_f64(sd * box_muller(s, t)));
                vec![entry; n].boxed()
            }
            Law::Orthogonal(gain) => {
                let shape = block.shape.clone();
                any::<u64>()
                    .prop_map(move |seed| {
                        orthogonal(&shape, gain, &mut Source::new(seed))
                            .into_iter()
                            .map(S::from_f64)
                            .collect()
                    })
                    .boxed()
            }
        }
    }
}

/// A proptest strategy drawing a whole parameter container of the given
/// shape, each tensor from `init` (see [`Init::block_strategy`]). Shrinking
/// moves entries toward zero one at a time (orthogonal tensors shrink
/// whole, to other orthogonal tensors).
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
    let blocks: Vec<BoxedStrategy<Vec<P::Scalar>>> = layout
        .blocks()
        .iter()
        .map(|b| init.block_strategy::<P::Scalar>(b))
        .collect();
    let shape = shape.clone();
    Ok(blocks.prop_map(move |parts| P::from_flat(&shape, parts.concat())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

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

    #[test]
    fn uniform_sampling_is_unchanged() {
        // The values drawn before the normal schemes existed: StdRng seeded
        // with the seed, one `random_range(lo..=hi)` per entry.
        let mut rng = StdRng::seed_from_u64(5);
        let expected: Vec<f64> = (0..12).map(|_| rng.random_range(-0.12..=0.12)).collect();
        assert_eq!(Init::default().sample_vec(&[3, 4], 5), expected);
    }

    #[test]
    fn box_muller_shrinks_to_zero() {
        assert_eq!(box_muller(0.0, 0.3), 0.0);
        assert!(box_muller(0.5, 0.0) < box_muller(0.9, 0.0));
        assert!(box_muller(0.999_999, 0.5).is_finite());
    }

    #[test]
    fn orthogonal_handles_degenerate_shapes() {
        let mut source = Source::new(1);
        assert!(orthogonal(&[0, 3], 1.0, &mut source).is_empty());
        let s = orthogonal(&[], 2.0, &mut source);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].abs(), 2.0);
        let v = orthogonal(&[5], 1.0, &mut source);
        approx::assert_relative_eq!(dot(&v, &v), 1.0, epsilon = 1e-14);
    }

    #[test]
    fn normal_entries_shrink_toward_zero() {
        let block = Block { shape: vec![6] };
        let strategy = Init::HeNormal.block_strategy::<f64>(&block);
        let mut tree = strategy.new_tree(&mut TestRunner::deterministic()).unwrap();
        let before: f64 = tree.current().iter().map(|x| x.abs()).sum();
        while tree.simplify() {}
        let after: f64 = tree.current().iter().map(|x| x.abs()).sum();
        assert!(before > 0.0 && after < 1e-9 * before, "{before} -> {after}");
    }
}
