//! Gradient checking as a cargo test: is my hand-written gradient right?
//!
//! Put `#[gradcheck]` on a cost function that returns its value and its
//! gradient. Under `cargo test` it becomes a property test that draws
//! randomly initialized parameters, perturbs each one both ways, compares the
//! central difference `(J(θ + h) − J(θ − h)) / 2h` with the analytic
//! gradient, shrinks a failure to a small input, and fails with a report that
//! names the wrong parameters and the numbers.
//!
//! ```
//! use gradcheck::gradcheck;
//!
//! /// J(θ) = Σ θᵢ³ + θ₀θ₁
//! #[gradcheck(eps = 1e-4, tol = 1e-9)]
//! fn cost(theta: &[f64; 3]) -> (f64, [f64; 3]) {
//!     let j = theta.iter().map(|t| t.powi(3)).sum::<f64>() + theta[0] * theta[1];
//!     let grad = [
//!         3.0 * theta[0].powi(2) + theta[1],
//!         3.0 * theta[1].powi(2) + theta[0],
//!         3.0 * theta[2].powi(2),
//!     ];
//!     (j, grad)
//! }
//! # fn main() {}
//! ```
//!
//! `cargo test cost` runs the generated test `cost_gradcheck`. Nothing of it
//! exists outside `cfg(test)`: release builds of your code carry no trace of
//! the check. Add the crate with `cargo add --dev gradcheck-rs`; the library
//! is named `gradcheck`, and generated code reaches proptest through it, so
//! nothing else needs adding. The attribute's arguments (sizes, data,
//! initialization, tolerance) are documented on [`gradcheck`].
//!
//! # Without the attribute
//!
//! [`check`](fn@check) and [`check_split`] run one check at given parameters and return
//! a [`Report`], for any test or program:
//!
//! ```
//! use gradcheck::{check, Config, Verdict};
//! use gradcheck::ndarray::{array, Array1};
//!
//! // Logistic regression, mean cross-entropy; the gradient forgets the 1/m.
//! let x = array![[1.0, 0.5], [1.0, -1.2], [1.0, 2.0], [1.0, 0.1]];
//! let y = array![1.0, 0.0, 1.0, 0.0];
//! let cost = |w: &Array1<f64>| {
//!     let h = x.dot(w).mapv(|z| 1.0 / (1.0 + (-z).exp()));
//!     let m = y.len() as f64;
//!     let j = -(&y * &h.mapv(f64::ln) + (1.0 - &y) * &h.mapv(|v| (1.0 - v).ln())).sum() / m;
//!     (j, x.t().dot(&(&h - &y))) // should be divided by m
//! };
//! let report = check(&array![0.1, -0.05], cost, &Config::new().param("w"));
//! assert_eq!(report.verdict, Verdict::Fail);
//! println!("{report}");
//! assert!(report.to_string().contains("every disagreeing entry is 4.0000x the numeric value"));
//! ```
//!
//! prints
//!
//! ```text
//! gradcheck FAIL: gradient check (2 parameters of shape (2), f64)
//!   relative difference |a - n| / (|a| + |n|) = 6.000e-1  >  tol 1e-9
//!   of 2 entries, 2 DISAGREE; worst first:
//!     parameter       analytic        numeric   abs error  rel error    +/- num  status
//!     w[1]         -1.836154e0   -4.590385e-1     1.377e0    6.00e-1    1.0e-10  DISAGREE
//!     w[0]         8.238825e-2    2.059706e-2    6.179e-2    6.00e-1    1.0e-10  DISAGREE
//!   diagnosis: every disagreeing entry is 4.0000x the numeric value: a scale error, e.g. a missing or extra 1/m or a factor of 2
//!   method: central differences, h = 1e-4 * max(1, |x|) at each entry x, 2 refined by Richardson extrapolation (Ridders); cost evaluations: 32
//! ```
//!
//! # Beyond one cost at one point
//!
//! - [`check_layer`] checks a layer's backward pass (a [`Layer`], or a pair
//!   of functions through [`layer::fn_layer`]) with random uneven
//!   cotangents, row by row for small layers, and its forward-mode rule;
//!   [`check_hvp`] checks a Hessian-vector product. `#[derive(Params)]`
//!   names a struct's tensors in reports.
//! - [`check_projected`] checks a gradient of millions of entries along
//!   random directions and bisects to the wrong ones; [`check_parallel`]
//!   spreads the differences over every core (feature `rayon`);
//!   [`Config::max_evaluations`] and [`Config::max_time`] bound a check.
//! - [`self_test`] is a negative control: planted errors must be caught.
//! - [`sweep()`](fn@sweep) shows the error against the step, as a table and
//!   an SVG plot.
//! - [`init`] draws parameters (uniform, Glorot, He, LeCun, orthogonal,
//!   seeded, per tensor), and [`Symmetry`] finds hidden units that training
//!   cannot tell apart.
//!
//! # How a verdict is reached
//!
//! 1. The cost is evaluated at θ (twice: a cost that gives two values at the
//!    same point is refused as not deterministic), the gradient's shape is
//!    compared with the parameters', and every entry must be finite.
//! 2. Each parameter θᵢ is perturbed by `h = eps · max(1, |θᵢ|)` both ways,
//!    rounded to points the scalar type can represent, and the central
//!    difference is formed. The parameters are a private copy: the caller's
//!    values are never touched, even when the cost panics.
//! 3. If the relative difference `‖a − n‖ / (‖a‖ + ‖n‖)` (0/0 = 0) is within
//!    `tol`, the check passes. Otherwise every entry that is not yet within
//!    `tol` is refined by Richardson extrapolation over halved steps
//!    (Ridders' method), which also estimates the numeric derivative's error.
//!    A correct gradient of Σθ³, of 10⁴·sin θ or of 10⁻⁶·sin θ passes at the
//!    defaults this way, where plain central differences cannot reach 1e-9.
//! 4. Each entry is then classified: it *agrees* (within `tol`); it
//!    *disagrees* (the gap exceeds `tol` plus four error estimates: evidence
//!    of a bug); it agrees *within round-off* (the gap is below the error
//!    estimate, that estimate is at the floating-point floor, and it is below
//!    `tol · max(1, |J|)`: no finite difference can do better, as when the
//!    true gradient is 0); or it is *unresolved*.
//! 5. An entry that disagrees or is unresolved, or whose one-sided slopes
//!    differ markedly, is tested for a kink: the gap between the forward and
//!    backward slopes must shrink fourfold when the step does, as it does for
//!    a smooth function. At a kink (ReLU, abs, max, hinge) the analytic value
//!    is accepted as a subgradient if it lies between the one-sided slopes
//!    and fails if it does not; at a jump (floor, rounding) there is no
//!    derivative to compare.
//! 6. Before a disagreement counts, the cost's own noise is measured (from
//!    high-order differences of a few nearby values, after Moré and Wild),
//!    and an entry along which the cost is flat in floating point while its
//!    gradient is not (a saturated sigmoid, `log(1 − σ(z))` at large `z`) is
//!    told apart from a parameter the cost ignores by a long step. A
//!    saturated cost makes the verdict inconclusive, with the reason.
//! 7. Verdict: [`Verdict::Fail`] if any entry disagrees or is not finite;
//!    [`Verdict::Inconclusive`], with the reason, if any entry sits at a kink
//!    or a jump or is unresolved, or the cost is not finite; else
//!    [`Verdict::Pass`]. Under the attribute an inconclusive draw is redrawn;
//!    a test whose draws are mostly inconclusive fails with the reason, and
//!    so does one whose every draw had an exactly zero analytic gradient
//!    (a vacuous pass, as at zero initialization).
//!
//! # Defaults
//!
//! | | f64 | f32 |
//! |---|---|---|
//! | `eps` | 1e-4 | 1e-2 |
//! | `tol` | 1e-9 | 1e-4 |
//! | draws | 32 | 32 |
//! | initialization | uniform in [−0.12, 0.12] | same |
//!
//! The f32 pair comes from `examples/calibrate_f32.rs` (see [`Scalar`]).
//!
//! # Limitations
//!
//! - One scalar cost per check. Layers with array outputs are checked through
//!   random uneven projections of their output ([`check_layer`]), which catch
//!   a wrong backward pass almost surely, not by proof.
//! - The relative difference is taken over the whole gradient, as in the
//!   classic method: an error in an entry that is tiny next to the others may
//!   stay within `tol`. The report lists the entries that disagree, each with
//!   its own errors.
//! - Only the first argument is perturbed. Data arguments (integer indices,
//!   masks, labels) are never differentiated.
//! - A cost that mutates its parameters needs interior mutability, which the
//!   `&`-taking signatures rule out; costs with hidden randomness are caught
//!   by evaluating twice, but only if the two calls differ.
//! - Kink detection looks one step (`h`) around each parameter; a kink
//!   between `h` and a few `h` away can still degrade the extrapolated
//!   derivative, and then shows as an unresolved entry, not as a kink.
#![deny(missing_docs)]

/// Turns a cost function into a test that checks its gradient against
/// central differences at randomly drawn parameters.
///
/// ```
/// use gradcheck::gradcheck;
///
/// /// J(θ) = ½ θᵀAθ with A not symmetric, so ∇J = ½(A + Aᵀ)θ.
/// #[gradcheck]
/// fn quadratic(theta: &[f64; 2]) -> (f64, [f64; 2]) {
///     let a = [[2.0, 1.0], [-0.5, 3.0]];
///     let j = 0.5 * (0..2).flat_map(|i| (0..2).map(move |k| (i, k)))
///         .map(|(i, k)| theta[i] * a[i][k] * theta[k])
///         .sum::<f64>();
///     let g = [
///         a[0][0] * theta[0] + 0.5 * (a[0][1] + a[1][0]) * theta[1],
///         0.5 * (a[0][1] + a[1][0]) * theta[0] + a[1][1] * theta[1],
///     ];
///     (j, g)
/// }
/// # fn main() { assert_eq!(quadratic(&[1.0, 0.0]), (1.0, [2.0, 0.25])); }
/// ```
///
/// The function stays exactly as written and callable as before. Beside it
/// the attribute adds, under `#[cfg(test)]`, a test named
/// `<function>_gradcheck`, so `cargo test quadratic` (or `cargo nextest run
/// quadratic`) runs this check. The test draws the parameters (32 times by
/// default), checks the gradient at each draw, shrinks a failure to a small
/// input and panics with the report. Outside `cfg(test)` (release builds,
/// doctests such as the examples here) nothing is generated.
///
/// # The checked function
///
/// Its first argument is the parameters being checked; their type decides
/// what the function returns and where the size of the drawn parameters
/// comes from:
///
/// | first argument | returns | size from |
/// |---|---|---|
/// | `&[f64; N]` | `(f64, [f64; N])` | the type |
/// | `&[f64]` or `&Vec<f64>` | `(f64, Vec<f64>)` | `dim = n` |
/// | `&Array1<f64>` | `(f64, Array1<f64>)` | `dim = n` or `shape = (n,)` |
/// | `&Array2<f64>`, `&Array3<f64>`, …, `&ArrayD<f64>`, `&Array<f64, Ix2>` | the same array type | `shape = (r, c, …)` |
/// | `&[Array2<f64>]` or `&Vec<Array2<f64>>` (any `ArrayN`) | `(f64, Vec<Array2<f64>>)` | `shapes = [(r, c), …]` |
/// | any of the above | `f64` alone, with `grad = path` | as above |
///
/// Everything works with `f32` in place of `f64`. Array types are those of
/// the `ndarray` this crate re-exports as [`gradcheck::ndarray`](crate::ndarray).
/// The function must be a free function (no `self`), not `async`, not
/// `unsafe`, and not generic over types or constants; lifetimes are fine.
/// Every argument after the first is a *data argument* (inputs, targets, a
/// regularization strength) that `data(...)` gives a value.
///
/// # Arguments
///
/// `#[gradcheck(arg, arg, …)]`, in any order, each at most once:
///
/// | argument | meaning | default |
/// |---|---|---|
/// | `eps = 1e-4` | step setting: θᵢ is perturbed by `eps · max(1, \|θᵢ\|)`; a positive, finite number literal | `1e-4` for `f64`, `1e-2` for `f32` |
/// | `tol = 1e-9` | tolerance on the relative difference `‖a − n‖ / (‖a‖ + ‖n‖)`; a positive, finite number literal | `1e-9` for `f64`, `1e-4` for `f32` |
/// | `dim = 3` | length of one-dimensional parameters | required for `&[f64]`, `&Vec<f64>`, `&Array1<f64>` |
/// | `shape = (3, 4)` or `[3, 4]` | shape of an ndarray parameter; the axis count must match `ArrayN` | required for arrays |
/// | `shapes = [(10, 11), (1, 11)]` | shape of each tensor of several | required for `&[ArrayN<f64>]` |
/// | `names = ["W", "b"]` | names of the tensors in reports, one per tensor (one for a single tensor) | the argument's name: `theta[3]`, `theta[1][2, 0]` |
/// | `grad = path` | function with the same arguments returning the gradient, for a cost returning only `f64` | |
/// | `cases = 64` | number of random draws; the `PROPTEST_CASES` environment variable overrides it | 32 |
/// | `init = glorot_uniform` | distribution of the parameters, each tensor with its own fans (fan-in `c · …`, fan-out `r` for shape `(r, c, …)`): `uniform(0.5)`, `glorot_uniform`, `glorot_normal`, `he_uniform`, `he_normal`, `lecun_uniform`, `lecun_normal`, `orthogonal` or `orthogonal(gain)`, `zeros`, `constant(0.3)`, or any expression of type [`Init`] | `uniform(0.12)`, i.e. [`Init::default()`](Init::default) |
/// | `sweep` (or `sweep = true`) | also run a step sweep at the first draw: print the relative difference at steps 1e-1 … 1e-12 and write the curve to `target/gradcheck/<function>_sweep.svg` (see [`sweep()`](fn@sweep)) | off |
/// | `parallel` | evaluate the first differences on every core (feature `rayon`; sequential without it); not with `grad = path` | off |
/// | `data(x = …, lambda in …)` | the value of every data argument, by name | required when there are data arguments |
/// | `layer` | the function takes no arguments and returns a value implementing [`Layer`], whose backward pass is checked (see [`check_layer`]) | |
/// | `backward = path` | the function is a layer's forward pass `fn(x: &I, p: &P) -> O`, and `path` its backward pass `fn(x: &I, p: &P, dy: &O) -> (I, P)` | |
/// | `input = (4, 3)`, `params = (2, 3)` | with `layer` or `backward`: the shapes of the drawn input and parameters, or values whose shapes the draws copy (`params = Dense::zeros(3, 2)` for a struct that derives `Params`) | required for layer forms |
/// | `crate = path` | path to this crate when it is renamed (`crate = gc` after `use gradcheck as gc;`) | `::gradcheck` |
///
/// The sizes are positive integer literals. `eps`, `tol`, `dim`, `shape`,
/// `shapes` and `cases` take literals, not constants, so that the attribute
/// can check them when it compiles.
///
/// # Data arguments
///
/// `data(...)` names every argument after the first exactly once:
///
/// - `x = EXPR` gives a fixed value. `EXPR` is evaluated once per test, in
///   the scope of the function (so it can call helpers and use imports).
/// - `lambda in STRATEGY` draws the value from a proptest strategy together
///   with the parameters, and a failure is shrunk in both. A range such as
///   `0.0..1.0` is a strategy; others come from the `proptest` crate. The
///   drawn values must implement `Debug`, because reports print them. At most
///   twelve arguments can be drawn.
///
/// The declared type of the argument says how the value is passed: an
/// argument `x: &T` borrows it, `x: T` receives a clone, and `x: &mut T`
/// borrows a fresh clone at every call, so no call sees another's changes.
///
/// ```
/// use gradcheck::gradcheck;
/// use gradcheck::ndarray::{array, s, Array1, Array2};
///
/// fn features() -> Array2<f64> {
///     array![[1.0, 0.5, -1.0], [1.0, -0.2, 0.3], [1.0, 1.5, 0.8], [1.0, -1.0, -0.4]]
/// }
///
/// /// Ridge regression: J = (1/2m)‖Xw − y‖² + (λ/2m)‖w₁..‖², bias unregularized.
/// #[gradcheck(
///     dim = 3,
///     names = ["w"],
///     data(x = features(), y = array![0.5, -1.0, 2.0, 0.0], lambda in 0.0..2.0),
/// )]
/// fn ridge(w: &Array1<f64>, x: &Array2<f64>, y: &Array1<f64>, lambda: f64) -> (f64, Array1<f64>) {
///     let m = y.len() as f64;
///     let r = x.dot(w) - y;
///     let penalty = w.slice(s![1..]).mapv(|v| v * v).sum();
///     let mut grad = x.t().dot(&r) / m;
///     grad.slice_mut(s![1..]).scaled_add(lambda / m, &w.slice(s![1..]));
///     (r.dot(&r) / (2.0 * m) + lambda / (2.0 * m) * penalty, grad)
/// }
/// # fn main() {}
/// ```
///
/// # Several tensors, names, a separate gradient
///
/// ```
/// use gradcheck::gradcheck;
/// use gradcheck::ndarray::Array2;
///
/// /// Σ ‖Wₖ‖² / 2 over the layers of a network.
/// #[gradcheck(
///     shapes = [(3, 3), (2, 4)],
///     names = ["Theta1", "Theta2"],
///     grad = weight_decay_gradient,
///     init = glorot_uniform,
///     cases = 16,
/// )]
/// fn weight_decay(theta: &[Array2<f32>]) -> f32 {
///     theta.iter().map(|t| t.mapv(|v| v * v).sum()).sum::<f32>() / 2.0
/// }
///
/// fn weight_decay_gradient(theta: &[Array2<f32>]) -> Vec<Array2<f32>> {
///     theta.to_vec()
/// }
/// # fn main() {}
/// ```
///
/// Reports name a wrong entry by tensor and index, such as `Theta2[1, 3]`.
///
/// # Test attributes
///
/// `#[ignore]` and `#[should_panic]` on the function (before or after
/// `#[gradcheck]`) are moved onto the generated test, which is how a test
/// suite can show that a wrong gradient is caught:
///
/// ```
/// use gradcheck::gradcheck;
///
/// #[gradcheck(dim = 4)]
/// #[should_panic(expected = "0.5000x the numeric value")]
/// fn squares_missing_factor_2(w: &[f64]) -> (f64, Vec<f64>) {
///     let j = w.iter().map(|v| (v - 1.0).powi(2)).sum();
///     (j, w.iter().map(|v| v - 1.0).collect())
/// }
/// # fn main() {}
/// ```
///
/// # Mistakes are compile errors
///
/// Each mistake in the attribute or the signature is an error at the
/// offending token, and all of them are shown at once, beside the function
/// itself, which still compiles:
///
/// ```compile_fail
/// use gradcheck::gradcheck;
///
/// // error: `eps` must be positive ...
/// // error: `&[f64]` needs its length: add `dim = n`
/// #[gradcheck(eps = 0)]
/// fn cost(w: &[f64]) -> (f64, Vec<f64>) {
///     (w.iter().sum(), vec![1.0; w.len()])
/// }
/// # fn main() {}
/// ```
///
/// # Limitations
///
/// - Types are recognized by how they are written (the last path segment):
///   an alias such as `type Weights = [f64; 3]` is not; write the type out.
/// - Methods and associated functions cannot be checked, since a test cannot
///   sit inside an `impl`; check a free function that they call.
/// - A drawn `f32` needs typed literals: `lambda in 0.0f32..1.0`, not
///   `0.0..1.0` (which Rust reads as `f64` before it sees the argument).
/// - Parameters written as `&Vec<f64>` trip Clippy's `ptr_arg`; prefer
///   `&[f64]`.
/// - If only the generated test calls the function, non-test builds warn
///   that it is unused; keep such functions in a `#[cfg(test)]` module or
///   under `tests/`.
pub use gradcheck_macros::gradcheck;

/// Derives [`Params`](trait@Params) and [`Gradient`] for a struct of
/// tensors, so that a layer's parameters (and its gradients) are one value
/// whose entries reports name by field: `dense.weights[1, 0]`.
///
/// Every field must be a parameter container of the same scalar type
/// (`[f64; N]`, `Vec<f64>`, any ndarray `Array`, a `Vec` of arrays, or
/// another struct that derives `Params`). A field marked
/// `#[gradcheck(skip)]` (a stride, a flag) is left out and kept as is. The
/// struct must be `Clone`. `#[gradcheck(crate = path)]` on the struct names
/// a renamed crate.
///
/// ```
/// use gradcheck::ndarray::{array, Array1, Array2, Axis};
/// use gradcheck::{check, Config, Params, Verdict};
///
/// #[derive(Clone, Debug, Params)]
/// struct Dense {
///     weights: Array2<f64>,
///     bias: Array1<f64>,
///     #[gradcheck(skip)]
///     relu: bool,
/// }
///
/// // J = ½‖W x + b‖² for a fixed input x; ∇W = (Wx + b) xᵀ, ∇b = Wx + b.
/// let x = array![1.0, -2.0, 0.5];
/// let cost = |p: &Dense| {
///     let y = p.weights.dot(&x) + &p.bias;
///     let outer = y.view().insert_axis(Axis(1)).dot(&x.view().insert_axis(Axis(0)));
///     let wrong_bias = &y * 2.0; // a planted bug
///     (0.5 * y.dot(&y), Dense { weights: outer, bias: wrong_bias, relu: false })
/// };
/// let p = Dense { weights: array![[0.1, -0.2, 0.3], [0.05, 0.1, -0.1]], bias: array![0.01, -0.02], relu: false };
/// let report = check(&p, cost, &Config::new().param("dense"));
/// assert_eq!(report.verdict, Verdict::Fail);
/// let text = report.to_string();
/// assert!(text.contains("dense.bias[0]") && text.contains("dense.bias[1]"), "{text}");
/// assert!(text.contains("confined to dense.bias"), "{text}");
/// ```
pub use gradcheck_macros::Params;
pub use gradcheck_runtime::projection::check_projected;
pub use gradcheck_runtime::{
    check, check_hvp, check_layer, check_parallel, check_split, compare, difference,
    identical_units, init, layer, params, projection, report, runner, self_test, selftest, sweep,
    symmetry, Component, Config, Gradient, Init, Layer, LayerConfig, LayerReport, Layout, Params,
    Problem, Report, Scalar, Shape, Status, Symmetry, Verdict,
};
pub use ndarray;
/// The property-testing crate behind the draws, for writing data strategies
/// beyond ranges (`data(x in proptest::collection::vec(-1.0..1.0, 8))`).
pub use proptest;

/// Items the generated code uses. Not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use gradcheck_runtime::init::Init;
    pub use gradcheck_runtime::layer::fn_layer;
    pub use gradcheck_runtime::params::Shape;
    pub use gradcheck_runtime::runner::{run, run_layer, run_parallel, run_split, shaped, Spec};
    pub use proptest;
    pub use proptest::strategy::Just;
}

/// The README's examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
