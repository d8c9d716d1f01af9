//! Checking a layer's hand-written backward pass (and forward-mode and
//! second-order rules) against finite differences of its forward pass.
//!
//! A layer maps an input and parameters to an output tensor. Its backward
//! pass maps an output cotangent `u` to the input and parameter gradients of
//! `⟨u, forward(x, θ)⟩`: a vector-Jacobian product. The check draws
//! cotangents with uneven entries of both signs (all-ones cotangents hide
//! backward passes that drop or symmetrize the upstream gradient, since
//! `sum(softmax(x))` and `sum(batchnorm(x))` are constant), and checks each
//! product with the full machinery of [`check`](fn@crate::check::check):
//! refinement, kinks, diagnosis. Small layers also get their Jacobian
//! checked row by row, and a forward-mode rule, when given, is checked both
//! against differences and against the backward pass (`⟨u, J v⟩ = ⟨Jᵀu, v⟩`).
//!
//! Constant inputs (integer indices, masks, strides) belong in the layer
//! value itself, never in its input: only the input and the parameters are
//! perturbed.

use std::fmt;
use std::marker::PhantomData;
use std::panic::{catch_unwind, AssertUnwindSafe};

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::check::panic_message;
use crate::check::{check, check_split, Config};
use crate::compare::relative_difference;
use crate::params::{Gradient, Layout, Params};
use crate::report::{Problem, Report, Verdict};
use crate::scalar::Scalar;

/// A layer with a hand-written backward pass.
///
/// `Input` and `Params` are parameter containers (arrays, `Vec`s of arrays,
/// structs that derive `Params`, `[f64; 0]` for a layer without
/// parameters);
/// gradients are returned in the same types. `Output` is any container too,
/// typically an ndarray of any shape.
pub trait Layer {
    /// What the layer reads (activations, not constants).
    type Input: Params + Gradient<Scalar = <Self::Input as Params>::Scalar>;
    /// The layer's trainable parameters.
    type Params: Params<Scalar = <Self::Input as Params>::Scalar>
        + Gradient<Scalar = <Self::Input as Params>::Scalar>;
    /// What the layer computes.
    type Output: Params<Scalar = <Self::Input as Params>::Scalar>
        + Gradient<Scalar = <Self::Input as Params>::Scalar>;

    /// The forward pass.
    fn forward(&self, input: &Self::Input, params: &Self::Params) -> Self::Output;

    /// The backward pass: the gradients of `⟨cotangent, forward(input,
    /// params)⟩` with respect to the input and the parameters.
    fn backward(
        &self,
        input: &Self::Input,
        params: &Self::Params,
        cotangent: &Self::Output,
    ) -> (Self::Input, Self::Params);

    /// The forward-mode rule, if the layer has one: the directional
    /// derivative of the output along `(input_tangent, params_tangent)`.
    fn jvp(
        &self,
        input: &Self::Input,
        params: &Self::Params,
        input_tangent: &Self::Input,
        params_tangent: &Self::Params,
    ) -> Option<Self::Output> {
        let _ = (input, params, input_tangent, params_tangent);
        None
    }
}

/// A layer made of a forward function and a backward function, for layers
/// written as a pair of functions rather than a type.
///
/// ```
/// use gradcheck_runtime::layer::{check_layer, fn_layer, LayerConfig};
/// use ndarray::{array, Array1};
///
/// fn forward(x: &Array1<f64>, w: &Array1<f64>) -> Array1<f64> {
///     w * &x.mapv(f64::sin)
/// }
///
/// fn backward(x: &Array1<f64>, w: &Array1<f64>, dy: &Array1<f64>) -> (Array1<f64>, Array1<f64>) {
///     (dy * w * &x.mapv(f64::cos), dy * &x.mapv(f64::sin))
/// }
///
/// let layer = fn_layer(forward, backward);
/// let report = check_layer(&layer, &array![0.3, -1.0], &array![2.0, 0.5], &LayerConfig::new());
/// assert!(report.passed(), "{report}");
/// ```
pub struct FnLayer<I, P, O, F, B> {
    forward: F,
    backward: B,
    types: PhantomData<fn(&I, &P) -> O>,
}

/// Pairs a forward and a backward function into a [`Layer`].
pub fn fn_layer<I, P, O, F, B>(forward: F, backward: B) -> FnLayer<I, P, O, F, B>
where
    F: Fn(&I, &P) -> O,
    B: Fn(&I, &P, &O) -> (I, P),
{
    FnLayer {
        forward,
        backward,
        types: PhantomData,
    }
}

impl<I, P, O, F, B> Layer for FnLayer<I, P, O, F, B>
where
    I: Params + Gradient<Scalar = <I as Params>::Scalar>,
    P: Params<Scalar = <I as Params>::Scalar> + Gradient<Scalar = <I as Params>::Scalar>,
    O: Params<Scalar = <I as Params>::Scalar> + Gradient<Scalar = <I as Params>::Scalar>,
    F: Fn(&I, &P) -> O,
    B: Fn(&I, &P, &O) -> (I, P),
{
    type Input = I;
    type Params = P;
    type Output = O;

    fn forward(&self, input: &I, params: &P) -> O {
        (self.forward)(input, params)
    }

    fn backward(&self, input: &I, params: &P, cotangent: &O) -> (I, P) {
        (self.backward)(input, params, cotangent)
    }
}

/// Settings of a layer check.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerConfig {
    /// Settings of each scalar check (`eps`, `tol`); its `label` names the
    /// layer and its `param` the parameters (default `params`).
    pub check: Config,
    /// The input's name in reports (default `x`).
    pub input_name: String,
    /// Random cotangents to check the backward pass with.
    pub cotangents: usize,
    /// Check the full Jacobian, one output entry at a time, when it has at
    /// most this many entries (outputs × inputs and parameters).
    pub jacobian_limit: usize,
    /// Seed of the random cotangents and tangents.
    pub seed: u64,
}

impl Default for LayerConfig {
    fn default() -> Self {
        LayerConfig {
            check: Config::new(),
            input_name: "x".to_string(),
            cotangents: 2,
            jacobian_limit: 400,
            seed: 0x5EED,
        }
    }
}

impl LayerConfig {
    /// Defaults: two cotangents, Jacobians up to 400 entries.
    pub fn new() -> Self {
        LayerConfig::default()
    }

    /// Sets the label of the reports.
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.check = self.check.label(label);
        self
    }

    /// Sets the parameters' name in reports (default `params`).
    pub fn param(mut self, name: impl Into<String>) -> Self {
        self.check = self.check.param(name);
        self
    }

    /// Sets the input's name in reports (default `x`).
    pub fn input(mut self, name: impl Into<String>) -> Self {
        self.input_name = name.into();
        self
    }

    /// Sets the step setting.
    pub fn eps(mut self, eps: f64) -> Self {
        self.check = self.check.eps(eps);
        self
    }

    /// Sets the tolerance.
    pub fn tol(mut self, tol: f64) -> Self {
        self.check = self.check.tol(tol);
        self
    }
}

/// The outcome of a layer check: one report per product or row checked.
#[derive(Clone, Debug)]
pub struct LayerReport {
    /// The overall verdict: the worst of the parts.
    pub verdict: Verdict,
    /// What was checked (`"backward, cotangent 1"`, `"Jacobian row y[2, 0]"`,
    /// `"jvp"`) with its report.
    pub parts: Vec<(String, Report)>,
    /// The dot-product test `⟨u, J v⟩ = ⟨Jᵀu, v⟩` between the forward-mode
    /// and backward rules, as a relative difference, when the layer has a
    /// forward-mode rule.
    pub jvp_vjp_consistency: Option<f64>,
    /// Patterns found across the parts (a backward pass that ignores its
    /// cotangent).
    pub notes: Vec<String>,
}

impl LayerReport {
    /// Whether every part passed.
    pub fn passed(&self) -> bool {
        self.verdict == Verdict::Pass
    }
}

impl fmt::Display for LayerReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = self
            .parts
            .first()
            .map(|(_, r)| r.label.as_str())
            .unwrap_or("layer");
        writeln!(f, "gradcheck {} layer {label}:", self.verdict)?;
        for (what, report) in &self.parts {
            writeln!(
                f,
                "  {what:<32} {:<12} relative difference {:.3e}",
                report.verdict.to_string(),
                report.relative_difference
            )?;
        }
        if let Some(rel) = self.jvp_vjp_consistency {
            writeln!(
                f,
                "  {:<32} relative difference {rel:.3e}",
                "<u, J v> = <J^T u, v>"
            )?;
        }
        for note in &self.notes {
            writeln!(f, "  diagnosis: {note}")?;
        }
        // The first part that did not pass, in full; the others are in
        // `parts`.
        let shown = self
            .parts
            .iter()
            .find(|(_, r)| r.verdict == Verdict::Fail)
            .or_else(|| self.parts.iter().find(|(_, r)| r.verdict != Verdict::Pass));
        if let Some((what, report)) = shown {
            writeln!(f, "\n{what}:\n{report}")?;
        }
        Ok(())
    }
}

/// The input and the parameters as one container, named `x…` and
/// `params…` in reports.
#[derive(Clone, Debug)]
struct Point<I, P> {
    input: I,
    params: P,
    names: (String, String),
}

impl<I: Params, P: Params<Scalar = I::Scalar>> Params for Point<I, P> {
    type Scalar = I::Scalar;

    fn layout(&self) -> Layout {
        Layout::concat(vec![
            (self.names.0.clone(), self.input.layout()),
            (self.names.1.clone(), self.params.layout()),
        ])
    }

    fn flat_len(&self) -> usize {
        self.input.flat_len() + self.params.flat_len()
    }

    fn get_flat(&self, i: usize) -> I::Scalar {
        let n = self.input.flat_len();
        if i < n {
            self.input.get_flat(i)
        } else {
            self.params.get_flat(i - n)
        }
    }

    fn set_flat(&mut self, i: usize, value: I::Scalar) {
        let n = self.input.flat_len();
        if i < n {
            self.input.set_flat(i, value)
        } else {
            self.params.set_flat(i - n, value)
        }
    }

    fn to_standard(&self) -> Self {
        Point {
            input: self.input.to_standard(),
            params: self.params.to_standard(),
            names: self.names.clone(),
        }
    }
}

/// A gradient with respect to a [`Point`].
struct PointGradient<'a, I, P>(I, P, &'a (String, String));

impl<I: Gradient, P: Gradient<Scalar = I::Scalar>> Gradient for PointGradient<'_, I, P> {
    type Scalar = I::Scalar;

    fn grad_layout(&self) -> Layout {
        Layout::concat(vec![
            (self.2 .0.clone(), self.0.grad_layout()),
            (self.2 .1.clone(), self.1.grad_layout()),
        ])
    }

    fn to_f64_vec(&self) -> Vec<f64> {
        let mut v = self.0.to_f64_vec();
        v.extend(self.1.to_f64_vec());
        v
    }
}

/// A copy of `like` with every entry drawn uniformly from ±[0.5, 1.5]: of
/// both signs and uneven, never all equal.
fn uneven<T: Params>(like: &T, rng: &mut StdRng) -> T {
    let mut out = like.clone();
    for i in 0..out.flat_len() {
        let size = rng.random_range(0.5..1.5);
        let sign = if rng.random_range(0..2) == 0 {
            -1.0
        } else {
            1.0
        };
        out.set_flat(i, T::Scalar::from_f64(sign * size));
    }
    out
}

/// A copy of `like` with every entry zero except entry `j`, which is one.
fn unit<T: Params>(like: &T, j: usize) -> T {
    let mut out = like.clone();
    for i in 0..out.flat_len() {
        out.set_flat(i, T::Scalar::from_f64(if i == j { 1.0 } else { 0.0 }));
    }
    out
}

/// `⟨a, b⟩` over two containers of the same layout, in `f64`.
fn dot<A: Params, B: Params>(a: &A, b: &B) -> f64 {
    (0..a.flat_len())
        .map(|i| a.get_flat(i).to_f64() * b.get_flat(i).to_f64())
        .sum()
}

/// Checks a layer's backward pass (and its forward-mode rule, if it has
/// one) at the given input and parameters. See the [module](self) docs.
///
/// ```
/// use gradcheck_runtime::layer::{check_layer, Layer, LayerConfig};
/// use ndarray::{array, Array1, Array2};
///
/// /// y = W x, for a batch of inputs x (rows).
/// struct Linear;
///
/// impl Layer for Linear {
///     type Input = Array2<f64>;
///     type Params = Array2<f64>;
///     type Output = Array2<f64>;
///
///     fn forward(&self, x: &Array2<f64>, w: &Array2<f64>) -> Array2<f64> {
///         x.dot(&w.t())
///     }
///
///     fn backward(&self, x: &Array2<f64>, w: &Array2<f64>, dy: &Array2<f64>) -> (Array2<f64>, Array2<f64>) {
///         (dy.dot(w), dy.t().dot(x))
///     }
/// }
///
/// let x = array![[0.5, -1.0, 2.0], [0.1, 0.3, -0.2]];
/// let w = array![[0.2, -0.1, 0.05], [0.3, 0.0, -0.4]];
/// let report = check_layer(&Linear, &x, &w, &LayerConfig::new().label("linear"));
/// assert!(report.passed(), "{report}");
/// ```
pub fn check_layer<L: Layer>(
    layer: &L,
    input: &L::Input,
    params: &L::Params,
    config: &LayerConfig,
) -> LayerReport {
    let param_name = if config.check.param.is_empty() {
        "params".to_string()
    } else {
        config.check.param.clone()
    };
    let point = Point {
        input: input.to_standard(),
        params: params.to_standard(),
        names: (config.input_name.clone(), param_name),
    };
    let scalar_config = Config {
        param: String::new(),
        names: Vec::new(),
        ..config.check.clone()
    };
    let mut rng = StdRng::seed_from_u64(config.seed);
    let output = match catch_unwind(AssertUnwindSafe(|| {
        layer.forward(&point.input, &point.params)
    })) {
        Ok(output) => output,
        Err(payload) => {
            let problem = Problem::CostPanicked {
                at: "in the layer's forward pass at the given input and parameters".to_string(),
                message: panic_message(payload),
            };
            return refused(&point, &config.check, problem);
        }
    };
    let mut parts = Vec::new();

    // The backward pass against random cotangents.
    let mut notes = Vec::new();
    let mut returned: Vec<Vec<f64>> = Vec::new();
    for k in 0..config.cotangents.max(1) {
        let u = uneven(&output, &mut rng);
        let report = vjp_check(layer, &point, &u, &scalar_config);
        if report.verdict == Verdict::Fail {
            let grads = catch_unwind(AssertUnwindSafe(|| {
                let (gx, gp) = layer.backward(&point.input, &point.params, &u);
                let mut all = gx.to_f64_vec();
                all.extend(gp.to_f64_vec());
                all
            }));
            if let Ok(grads) = grads {
                returned.push(grads);
            }
        }
        parts.push((format!("backward, cotangent {}", k + 1), report));
    }
    if returned.len() >= 2 && returned.windows(2).all(|w| w[0] == w[1]) {
        notes.push(
            "the backward pass returned the same gradients for different cotangents: it ignores \
             the upstream gradient (multiply the local derivative by dy)"
                .to_string(),
        );
    }

    // Row by row for small layers: which output entry is wrong.
    let entries = output.flat_len() * point.flat_len();
    if entries <= config.jacobian_limit && parts.iter().any(|(_, r)| r.verdict != Verdict::Pass) {
        let out_layout = output.layout();
        for j in 0..output.flat_len() {
            let e = unit(&output, j);
            let report = vjp_check(layer, &point, &e, &scalar_config);
            if report.verdict != Verdict::Pass {
                let name = out_layout.name(j, "y", &[]);
                parts.push((format!("Jacobian row {name}"), report));
            }
        }
    }

    // The forward-mode rule, if any.
    let mut consistency = None;
    let v_input = uneven(&point.input, &mut rng);
    let v_params = uneven(&point.params, &mut rng);
    let jvp = catch_unwind(AssertUnwindSafe(|| {
        layer.jvp(&point.input, &point.params, &v_input, &v_params)
    }));
    let jvp = match jvp {
        Ok(jvp) => jvp,
        Err(payload) => {
            let problem = Problem::CostPanicked {
                at: "in the layer's forward-mode rule (jvp)".to_string(),
                message: panic_message(payload),
            };
            return refused(&point, &config.check, problem);
        }
    };
    if let Some(jv) = jvp {
        let u = uneven(&output, &mut rng);
        let backward = catch_unwind(AssertUnwindSafe(|| {
            layer.backward(&point.input, &point.params, &u)
        }));
        let (gx, gp) = match backward {
            Ok(grads) => grads,
            Err(payload) => {
                let problem = Problem::CostPanicked {
                    at: "in the layer's backward pass".to_string(),
                    message: panic_message(payload),
                };
                return refused(&point, &config.check, problem);
            }
        };
        let forward_side = dot(&u, &jv);
        let backward_side = dot(&gx, &v_input) + dot(&gp, &v_params);
        consistency = Some(relative_difference(&[forward_side], &[backward_side]));
        parts.push((
            "jvp".to_string(),
            jvp_check(layer, &point, (&v_input, &v_params), &jv, &scalar_config),
        ));
    }

    let worst = |v: Verdict| parts.iter().any(|(_, r)| r.verdict == v);
    let mut verdict = if worst(Verdict::Fail) {
        Verdict::Fail
    } else if worst(Verdict::Inconclusive) {
        Verdict::Inconclusive
    } else {
        Verdict::Pass
    };
    let tol = config
        .check
        .tol
        .unwrap_or(<<L::Input as Params>::Scalar as Scalar>::DEFAULT_TOL);
    if consistency
        .is_some_and(|c| c > tol.max(1e3 * <<L::Input as Params>::Scalar as Scalar>::EPSILON))
    {
        verdict = Verdict::Fail;
    }
    LayerReport {
        verdict,
        parts,
        jvp_vjp_consistency: consistency,
        notes,
    }
}

/// A layer report that stops at a problem (a panicking pass).
fn refused<I: Params, P: Params<Scalar = I::Scalar>>(
    point: &Point<I, P>,
    config: &Config,
    problem: Problem,
) -> LayerReport {
    let report = Report {
        verdict: problem.verdict(),
        label: config.label.clone(),
        scalar: I::Scalar::NAME,
        layout: point.layout(),
        relative_difference: f64::NAN,
        tol: config.tol.unwrap_or(I::Scalar::DEFAULT_TOL),
        eps: config.eps.unwrap_or(I::Scalar::DEFAULT_EPS),
        components: Vec::new(),
        problem: Some(problem),
        diagnosis: Vec::new(),
        refined: 0,
        evaluations: 1,
        context: Vec::new(),
        zero_gradient: false,
    };
    LayerReport {
        verdict: report.verdict,
        parts: vec![("the layer".to_string(), report)],
        jvp_vjp_consistency: None,
        notes: Vec::new(),
    }
}

/// Checks the backward pass for one cotangent: the gradient of
/// `⟨u, forward(x, θ)⟩` against `backward(x, θ, u)`.
fn vjp_check<L: Layer>(
    layer: &L,
    point: &Point<L::Input, L::Params>,
    u: &L::Output,
    config: &Config,
) -> Report {
    let cost = |p: &Point<L::Input, L::Params>| {
        let y = layer.forward(&p.input, &p.params);
        <L::Input as Params>::Scalar::from_f64(dot(u, &y))
    };
    let grad = |p: &Point<L::Input, L::Params>| {
        let (gx, gp) = layer.backward(&p.input, &p.params, u);
        PointGradient(gx, gp, &point.names)
    };
    check_split(point, cost, grad, config)
}

/// Checks the forward-mode rule: `t ↦ ⟨w, forward(p + t·v)⟩` differentiated
/// at `t = 0` against `⟨w, jvp(v)⟩`, for a fixed uneven projection `w`.
fn jvp_check<L: Layer>(
    layer: &L,
    point: &Point<L::Input, L::Params>,
    tangent: (&L::Input, &L::Params),
    jv: &L::Output,
    config: &Config,
) -> Report {
    type S<L> = <<L as Layer>::Input as Params>::Scalar;
    let mut rng = StdRng::seed_from_u64(0xC0FFEE);
    let w = uneven(jv, &mut rng);
    let along = |t: f64| {
        let mut p = point.clone();
        for i in 0..p.input.flat_len() {
            let x = p.input.get_flat(i).to_f64() + t * tangent.0.get_flat(i).to_f64();
            p.input.set_flat(i, S::<L>::from_f64(x));
        }
        for i in 0..p.params.flat_len() {
            let x = p.params.get_flat(i).to_f64() + t * tangent.1.get_flat(i).to_f64();
            p.params.set_flat(i, S::<L>::from_f64(x));
        }
        layer.forward(&p.input, &p.params)
    };
    let analytic = S::<L>::from_f64(dot(&w, jv));
    let cost = |t: &[S<L>; 1]| (S::<L>::from_f64(dot(&w, &along(t[0].to_f64()))), [analytic]);
    let config = Config {
        param: "t (along the tangent)".to_string(),
        ..config.clone()
    };
    check(&[S::<L>::from_f64(0.0)], cost, &config)
}

/// Checks a Hessian-vector product (a gradient of a gradient): for a random
/// uneven `u`, the gradient of `⟨u, ∇J(θ)⟩` is `H u` (the Hessian is
/// symmetric for a twice continuously differentiable `J`), so `hvp(θ, u)`
/// is checked against differences of the user's own gradient `grad`.
///
/// ```
/// use gradcheck_runtime::layer::check_hvp;
/// use gradcheck_runtime::{Config, Verdict};
///
/// // J = Σ θᵢ⁴ / 4 + θ₀θ₁: ∇J = θ³ + (θ₁, θ₀), H u = 3θ²⊙u + (u₁, u₀).
/// let grad = |t: &[f64; 2]| [t[0].powi(3) + t[1], t[1].powi(3) + t[0]];
/// let hvp = |t: &[f64; 2], u: &[f64; 2]| [3.0 * t[0] * t[0] * u[0] + u[1], 3.0 * t[1] * t[1] * u[1] + u[0]];
/// assert_eq!(check_hvp(&[0.3, -0.2], grad, hvp, &Config::new(), 7).verdict, Verdict::Pass);
///
/// // Forgetting the cross term fails.
/// let partial = |t: &[f64; 2], u: &[f64; 2]| [3.0 * t[0] * t[0] * u[0], 3.0 * t[1] * t[1] * u[1]];
/// assert_eq!(check_hvp(&[0.3, -0.2], grad, partial, &Config::new(), 7).verdict, Verdict::Fail);
/// ```
pub fn check_hvp<P, G, GF, HF>(params: &P, grad: GF, hvp: HF, config: &Config, seed: u64) -> Report
where
    P: Params + Gradient<Scalar = <P as Params>::Scalar>,
    G: Params<Scalar = <P as Params>::Scalar>,
    GF: Fn(&P) -> G,
    HF: Fn(&P, &P) -> G,
    G: Gradient<Scalar = <P as Params>::Scalar>,
{
    let mut rng = StdRng::seed_from_u64(seed);
    let u = uneven(params, &mut rng);
    let cost = |p: &P| <P as Params>::Scalar::from_f64(dot(&u, &grad(p)));
    let product = |p: &P| hvp(p, &u);
    check_split(params, cost, product, config)
}
