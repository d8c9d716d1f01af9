//! `#[gradcheck]` on every supported form of parameters, with small real
//! models: each correct gradient passes, and each wrong one fails with a
//! report that says what is wrong.

// `&Vec<f64>` parameters are one of the forms under test.
#![allow(clippy::ptr_arg)]

extern crate gradcheck as gc;

use gradcheck::gradcheck;
use gradcheck::ndarray::{
    array, s, Array, Array1, Array2, Array3, ArrayD, ArrayView1, Ix2, NdFloat,
};

// ---------------------------------------------------------------------------
// Data shared by the models.

/// Four examples with a bias column and two features.
fn design() -> Array2<f64> {
    array![
        [1.0, 0.5, -1.0],
        [1.0, -0.2, 0.3],
        [1.0, 1.5, 0.8],
        [1.0, -1.0, -0.4]
    ]
}

fn targets() -> Array1<f64> {
    array![0.5, -1.0, 2.0, 0.0]
}

fn labels() -> Array1<f64> {
    array![1.0, 0.0, 1.0, 0.0]
}

fn sigmoid<T: NdFloat>(z: T) -> T {
    T::one() / (T::one() + (-z).exp())
}

// ---------------------------------------------------------------------------
// `&[f64; N]`: the size comes from the type.

const A: [[f64; 3]; 3] = [[2.0, 0.5, 0.0], [-0.3, 1.0, 0.2], [0.1, 0.0, 3.0]];

fn quadratic_form_value(w: &[f64; 3]) -> f64 {
    let mut j = 0.0;
    for (i, row) in A.iter().enumerate() {
        for (k, a) in row.iter().enumerate() {
            j += 0.5 * w[i] * a * w[k];
        }
    }
    j
}

/// J(w) = ½ wᵀAw with A not symmetric: ∇J = ½(A + Aᵀ)w.
#[gradcheck]
fn quadratic_form(w: &[f64; 3]) -> (f64, [f64; 3]) {
    let mut g = [0.0; 3];
    for (i, gi) in g.iter_mut().enumerate() {
        for (k, wk) in w.iter().enumerate() {
            *gi += 0.5 * (A[i][k] + A[k][i]) * wk;
        }
    }
    (quadratic_form_value(w), g)
}

/// Aw is the gradient only when A is symmetric.
#[gradcheck]
#[should_panic(expected = "DISAGREE")]
fn quadratic_form_without_transpose(w: &[f64; 3]) -> (f64, [f64; 3]) {
    let mut g = [0.0; 3];
    for (i, gi) in g.iter_mut().enumerate() {
        for (k, wk) in w.iter().enumerate() {
            *gi += A[i][k] * wk;
        }
    }
    (quadratic_form_value(w), g)
}

/// The attribute may also come after `#[should_panic]`.
#[should_panic(expected = "DISAGREE")]
#[gradcheck(cases = 4)]
fn quadratic_form_without_symmetry(w: &[f64; 3]) -> (f64, [f64; 3]) {
    let mut g = [0.0; 3];
    for (i, gi) in g.iter_mut().enumerate() {
        *gi = A[i][i] * w[i];
    }
    (quadratic_form_value(w), g)
}

/// A weighted sum of squares in `f32`, with its own step and tolerance.
#[gradcheck(eps = 1e-2, tol = 1e-3, init = uniform(1))]
fn weighted_squares_f32(w: &[f32; 4]) -> (f32, [f32; 4]) {
    let c = [1.0f32, 2.0, 0.5, 3.0];
    let j = w
        .iter()
        .zip(&c)
        .map(|(w, c)| c * (w - 0.1) * (w - 0.1))
        .sum();
    let mut g = [0.0; 4];
    for i in 0..4 {
        g[i] = 2.0 * c[i] * (w[i] - 0.1);
    }
    (j, g)
}

#[gradcheck(eps = 1e-2, tol = 1e-3)]
#[should_panic(expected = "0.5000x the numeric value")]
fn weighted_squares_f32_without_factor_2(w: &[f32; 4]) -> (f32, [f32; 4]) {
    let c = [1.0f32, 2.0, 0.5, 3.0];
    let j = w
        .iter()
        .zip(&c)
        .map(|(w, c)| c * (w - 0.1) * (w - 0.1))
        .sum();
    let mut g = [0.0; 4];
    for i in 0..4 {
        g[i] = c[i] * (w[i] - 0.1);
    }
    (j, g)
}

/// The Rosenbrock function, with its gradient in a separate function.
#[gradcheck(grad = rosenbrock_gradient, init = uniform(1.5))]
fn rosenbrock(p: &[f64; 2]) -> f64 {
    let [x, y] = *p;
    (1.0 - x).powi(2) + 100.0 * (y - x * x).powi(2)
}

fn rosenbrock_gradient(p: &[f64; 2]) -> [f64; 2] {
    let [x, y] = *p;
    [
        -2.0 * (1.0 - x) - 400.0 * x * (y - x * x),
        200.0 * (y - x * x),
    ]
}

/// The chain rule's inner factor 2x, forgotten.
#[gradcheck(grad = rosenbrock_gradient_without_chain_rule, init = uniform(1.5))]
#[should_panic(expected = "p[0]")]
fn rosenbrock_checked_wrongly(p: &[f64; 2]) -> f64 {
    rosenbrock(p)
}

fn rosenbrock_gradient_without_chain_rule(p: &[f64; 2]) -> [f64; 2] {
    let [x, y] = *p;
    [-2.0 * (1.0 - x) - 200.0 * (y - x * x), 200.0 * (y - x * x)]
}

/// A cost that needs scratch space: a `&mut` data argument gets a fresh
/// clone of its value at every call.
#[gradcheck(init = zeros, data(scratch = Vec::with_capacity(2)))]
fn with_scratch(w: &[f64; 2], scratch: &mut Vec<f64>) -> (f64, [f64; 2]) {
    scratch.clear();
    scratch.extend(w.iter().map(|x| x - 1.0));
    let j = scratch.iter().map(|r| r * r).sum::<f64>();
    (j, [2.0 * scratch[0], 2.0 * scratch[1]])
}

// ---------------------------------------------------------------------------
// `&[f64]` and `&Vec<f64>`: the length comes from `dim`.

fn least_squares_parts(w: &[f64], x: &Array2<f64>, y: &Array1<f64>) -> (f64, Array1<f64>, f64) {
    let m = y.len() as f64;
    let r = x.dot(&ArrayView1::from(w)) - y;
    (r.dot(&r) / (2.0 * m), x.t().dot(&r), m)
}

/// Least squares J(w) = (1/2m)‖Xw − y‖², ∇J = (1/m)Xᵀ(Xw − y).
#[gradcheck(dim = 3, data(x = design(), y = targets()))]
fn least_squares(w: &[f64], x: &Array2<f64>, y: &Array1<f64>) -> (f64, Vec<f64>) {
    let (j, g, m) = least_squares_parts(w, x, y);
    (j, (g / m).to_vec())
}

#[gradcheck(dim = 3, data(x = design(), y = targets()))]
#[should_panic(expected = "4.0000x the numeric value")]
fn least_squares_without_mean(w: &[f64], x: &Array2<f64>, y: &Array1<f64>) -> (f64, Vec<f64>) {
    let (j, g, _) = least_squares_parts(w, x, y);
    (j, g.to_vec())
}

/// `sweep` adds a step sweep at the first draw and writes its plot. The
/// generated test is ignored here and run by the test below, which reads the
/// plot.
#[gradcheck(dim = 3, sweep, cases = 2, data(x = design(), y = targets()))]
#[ignore = "run by the_sweep_plot_is_written"]
fn least_squares_swept(w: &[f64], x: &Array2<f64>, y: &Array1<f64>) -> (f64, Vec<f64>) {
    least_squares(w, x, y)
}

#[test]
fn the_sweep_plot_is_written() {
    least_squares_swept_gradcheck();
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| "target".into());
    let svg = std::fs::read_to_string(dir.join("gradcheck/least_squares_swept_sweep.svg"))
        .expect("the sweep writes its plot");
    assert!(svg.starts_with("<svg") && svg.contains("best eps"));
}

/// The targets by value, the parameters as `&Vec<f64>`, and a separate
/// gradient function.
#[gradcheck(dim = 3, grad = least_squares_gradient, data(x = design(), y = targets()))]
fn least_squares_split(w: &Vec<f64>, x: &Array2<f64>, y: Array1<f64>) -> f64 {
    least_squares_parts(w, x, &y).0
}

fn least_squares_gradient(w: &Vec<f64>, x: &Array2<f64>, y: Array1<f64>) -> Vec<f64> {
    let (_, g, m) = least_squares_parts(w, x, &y);
    (g / m).to_vec()
}

#[gradcheck(dim = 3, grad = least_squares_gradient_negated, data(x = design(), y = targets()))]
#[should_panic(expected = "opposite sign of the numeric value")]
fn least_squares_split_checked_wrongly(w: &Vec<f64>, x: &Array2<f64>, y: Array1<f64>) -> f64 {
    least_squares_parts(w, x, &y).0
}

fn least_squares_gradient_negated(w: &Vec<f64>, x: &Array2<f64>, y: Array1<f64>) -> Vec<f64> {
    let (_, g, m) = least_squares_parts(w, x, &y);
    (-g / m).to_vec()
}

/// Ridge regression in `f32`, the bias left unregularized, the penalty
/// drawn with the parameters.
#[gradcheck(
    dim = 3,
    data(
        x = design().mapv(|v| v as f32),
        y = targets().mapv(|v| v as f32),
        lambda in 0.1f32..2.0,
    )
)]
fn ridge_f32(w: &Vec<f32>, x: &Array2<f32>, y: &Array1<f32>, lambda: f32) -> (f32, Vec<f32>) {
    let (j, mut g) = ridge_f32_data_term(w, x, y);
    let m = y.len() as f32;
    let penalty: f32 = w[1..].iter().map(|v| v * v).sum();
    for k in 1..w.len() {
        g[k] += lambda / m * w[k];
    }
    (j + lambda / (2.0 * m) * penalty, g)
}

fn ridge_f32_data_term(w: &[f32], x: &Array2<f32>, y: &Array1<f32>) -> (f32, Vec<f32>) {
    let m = y.len() as f32;
    let r = x.dot(&ArrayView1::from(w)) - y;
    (r.dot(&r) / (2.0 * m), (x.t().dot(&r) / m).to_vec())
}

/// Regularizing the bias in the gradient but not in the cost.
#[gradcheck(
    dim = 3,
    names = ["w"],
    data(
        x = design().mapv(|v| v as f32),
        y = targets().mapv(|v| v as f32),
        lambda in 0.5f32..2.0,
    )
)]
#[should_panic(expected = "w[0]")]
fn ridge_f32_regularizing_the_bias(
    w: &Vec<f32>,
    x: &Array2<f32>,
    y: &Array1<f32>,
    lambda: f32,
) -> (f32, Vec<f32>) {
    let (j, mut g) = ridge_f32_data_term(w, x, y);
    let m = y.len() as f32;
    let penalty: f32 = w[1..].iter().map(|v| v * v).sum();
    for k in 0..w.len() {
        g[k] += lambda / m * w[k];
    }
    (j + lambda / (2.0 * m) * penalty, g)
}

/// Drawn data passed by reference: weights drawn as a `Vec<f64>` for a
/// `&[f64]` argument.
#[gradcheck(dim = 4, data(c in proptest::collection::vec(0.5..2.0, 4)))]
fn weighted_norm(w: &[f64], c: &[f64]) -> (f64, Vec<f64>) {
    let j = w.iter().zip(c).map(|(w, c)| c * w * w).sum::<f64>().sqrt();
    let g = w.iter().zip(c).map(|(w, c)| c * w / j).collect();
    (j, g)
}

#[gradcheck(dim = 4, data(c in proptest::collection::vec(0.5..2.0, 4)))]
#[should_panic(expected = "data drawn")]
fn weighted_norm_without_square_root(w: &[f64], c: &[f64]) -> (f64, Vec<f64>) {
    let j = w.iter().zip(c).map(|(w, c)| c * w * w).sum::<f64>().sqrt();
    let g = w.iter().zip(c).map(|(w, c)| 2.0 * c * w).collect();
    (j, g)
}

// ---------------------------------------------------------------------------
// `&Array1<f64>`: `dim = n` or `shape = (n,)`.

fn logistic_parts(theta: &Array1<f64>, x: &Array2<f64>, y: &Array1<f64>) -> (f64, Array1<f64>) {
    let m = y.len() as f64;
    let h = x.dot(theta).mapv(sigmoid);
    let j = -(y * &h.mapv(f64::ln) + (1.0 - y) * &h.mapv(|h| (1.0 - h).ln())).sum() / m;
    (j, x.t().dot(&(h - y)) / m)
}

/// Regularized logistic regression, the penalty drawn.
#[gradcheck(
    shape = (3,),
    init = glorot_uniform,
    data(x = design(), y = labels(), lambda in 0.0..2.0),
)]
fn logistic_regression(
    theta: &Array1<f64>,
    x: &Array2<f64>,
    y: &Array1<f64>,
    lambda: f64,
) -> (f64, Array1<f64>) {
    let (j, mut g) = logistic_parts(theta, x, y);
    let m = y.len() as f64;
    let penalty = theta.slice(s![1..]).mapv(|t| t * t).sum();
    g.slice_mut(s![1..])
        .scaled_add(lambda / m, &theta.slice(s![1..]));
    (j + lambda / (2.0 * m) * penalty, g)
}

/// y − h instead of h − y.
#[gradcheck(dim = 3, data(x = design(), y = labels(), lambda = 0.0))]
#[should_panic(expected = "opposite sign of the numeric value")]
fn logistic_regression_ascending(
    theta: &Array1<f64>,
    x: &Array2<f64>,
    y: &Array1<f64>,
    lambda: f64,
) -> (f64, Array1<f64>) {
    let (j, g) = logistic_parts(theta, x, y);
    (j + lambda, -g)
}

/// `f32`, and a separate gradient.
#[gradcheck(dim = 3, grad = logistic_f32_gradient, data(x = design().mapv(|v| v as f32)))]
fn logistic_f32(theta: &Array1<f32>, x: &Array2<f32>) -> f32 {
    let y = labels().mapv(|v| v as f32);
    let h = x.dot(theta).mapv(sigmoid);
    -(&y * &h.mapv(f32::ln) + (1.0 - &y) * &h.mapv(|h| (1.0 - h).ln())).sum() / 4.0
}

fn logistic_f32_gradient(theta: &Array1<f32>, x: &Array2<f32>) -> Array1<f32> {
    let y = labels().mapv(|v| v as f32);
    x.t().dot(&(x.dot(theta).mapv(sigmoid) - y)) / 4.0
}

// ---------------------------------------------------------------------------
// `&Array2<f64>` and other ndarrays: `shape = (...)`.

fn softmax_regression_parts(
    w: &Array2<f64>,
    x: &Array2<f64>,
    labels: &[usize],
) -> (f64, Array2<f64>, Array2<f64>) {
    let m = labels.len() as f64;
    let z = x.dot(&w.t());
    let mut p = z.clone();
    for mut row in p.rows_mut() {
        let max = row.fold(f64::NEG_INFINITY, |a, &b| a.max(b));
        row.mapv_inplace(|v| (v - max).exp());
        let sum = row.sum();
        row /= sum;
    }
    let j = -labels
        .iter()
        .enumerate()
        .map(|(i, &c)| p[[i, c]].ln())
        .sum::<f64>()
        / m;
    let mut one_hot = Array2::zeros(p.raw_dim());
    for (i, &c) in labels.iter().enumerate() {
        one_hot[[i, c]] = 1.0;
    }
    (j, p, one_hot)
}

/// Softmax regression with three classes over the design's three columns:
/// ∇J = (1/m) (P − Y)ᵀ X.
#[gradcheck(shape = (3, 3), names = ["W"], data(x = design(), labels = vec![0, 2, 1, 1]))]
fn softmax_regression(w: &Array2<f64>, x: &Array2<f64>, labels: &[usize]) -> (f64, Array2<f64>) {
    let (j, p, y) = softmax_regression_parts(w, x, labels);
    (j, (p - y).t().dot(x) / labels.len() as f64)
}

/// Forgetting the one-hot of class 1 breaks row 1 of the gradient.
#[gradcheck(shape = [3, 3], names = ["W"], data(x = design(), labels = vec![0, 2, 1, 1]))]
#[should_panic(expected = "W[1, 2]")]
fn softmax_regression_missing_a_class(
    w: &Array2<f64>,
    x: &Array2<f64>,
    labels: &[usize],
) -> (f64, Array2<f64>) {
    let (j, p, mut y) = softmax_regression_parts(w, x, labels);
    y.column_mut(1).fill(0.0);
    (j, (p - y).t().dot(x) / labels.len() as f64)
}

/// ‖W − T‖² / 2 in `f32` over a 3-D tensor, with He initialization.
#[gradcheck(shape = (2, 2, 3), init = he_uniform, cases = 8)]
fn tensor_distance_f32(w: &Array3<f32>) -> (f32, Array3<f32>) {
    let t = Array3::from_shape_fn((2, 2, 3), |(i, j, k)| (i + j) as f32 * 0.1 - k as f32 * 0.2);
    let d = w - &t;
    (0.5 * d.mapv(|v| v * v).sum(), d)
}

#[gradcheck(shape = (2, 2, 3), init = he_uniform, cases = 8)]
#[should_panic(expected = "DISAGREE")]
fn tensor_distance_f32_transposed(w: &Array3<f32>) -> (f32, Array3<f32>) {
    let t = Array3::from_shape_fn((2, 2, 3), |(i, j, k)| (i + j) as f32 * 0.1 - k as f32 * 0.2);
    let d = w - &t;
    let g = d
        .clone()
        .permuted_axes([1, 0, 2])
        .as_standard_layout()
        .into_owned();
    (0.5 * d.mapv(|v| v * v).sum(), g)
}

/// A smooth penalty Σ log(1 + w²) over a dynamic-dimensional array.
#[gradcheck(shape = (2, 3), init = uniform(0.5))]
fn log_penalty(w: &ArrayD<f64>) -> (f64, ArrayD<f64>) {
    (
        w.mapv(|v| (1.0 + v * v).ln()).sum(),
        w.mapv(|v| 2.0 * v / (1.0 + v * v)),
    )
}

#[gradcheck(shape = (2, 3), init = uniform(0.5))]
#[should_panic(expected = "w[1, 2]")]
fn log_penalty_with_a_typo(w: &ArrayD<f64>) -> (f64, ArrayD<f64>) {
    let mut g = w.mapv(|v| 2.0 * v / (1.0 + v * v));
    g[[1, 2]] = 2.0 * w[[1, 2]];
    (w.mapv(|v| (1.0 + v * v).ln()).sum(), g)
}

/// `Array<f64, Ix2>` at a constant point, with an `Init` expression.
#[gradcheck(shape = (2, 2), init = gradcheck::Init::Constant(0.3))]
fn frobenius(w: &Array<f64, Ix2>) -> (f64, Array<f64, Ix2>) {
    (
        w.mapv(|v| v * v).sum().sqrt(),
        w / w.mapv(|v| v * v).sum().sqrt(),
    )
}

/// `f32` with a separate gradient.
#[gradcheck(shape = (2, 3), grad = trace_quadratic_f32_gradient)]
fn trace_quadratic_f32(w: &Array2<f32>) -> f32 {
    // tr(W Wᵀ M) with M = diag(1, 2).
    let m = array![[1.0f32, 0.0], [0.0, 2.0]];
    (w.dot(&w.t()) * &m).sum()
}

fn trace_quadratic_f32_gradient(w: &Array2<f32>) -> Array2<f32> {
    let m = array![[1.0f32, 0.0], [0.0, 2.0]];
    2.0 * m.dot(w)
}

// ---------------------------------------------------------------------------
// `&[Array2<f64>]` and `&Vec<Array2<f64>>`: several tensors, `shapes`.

/// A 2-3-2 network with sigmoid units, cross-entropy cost and weight decay
/// (biases unregularized): the cost and backpropagation's gradient.
fn network<T: NdFloat>(
    theta: &[Array2<T>],
    x: &Array2<T>,
    y: &Array2<T>,
    lambda: T,
) -> (T, Vec<Array2<T>>) {
    let (t1, t2) = (&theta[0], &theta[1]);
    let m = T::from(x.nrows()).unwrap();
    let one = T::one();

    let a1 = with_bias(x);
    let z2 = a1.dot(&t1.t());
    let a2 = with_bias(&z2.mapv(sigmoid));
    let h = a2.dot(&t2.t()).mapv(sigmoid);

    let log_loss = y * &h.mapv(|v| v.ln()) + y.mapv(|v| one - v) * h.mapv(|v| (one - v).ln());
    let decay = |t: &Array2<T>| t.slice(s![.., 1..]).mapv(|v| v * v).sum();
    let two = one + one;
    let j = -log_loss.sum() / m + lambda / (two * m) * (decay(t1) + decay(t2));

    let d3 = &h - y;
    let d2 =
        d3.dot(t2).slice(s![.., 1..]).to_owned() * z2.mapv(|z| sigmoid(z) * (one - sigmoid(z)));
    let grad = |delta: &Array2<T>, a: &Array2<T>, t: &Array2<T>| {
        let mut g = delta.t().dot(a) / m;
        g.slice_mut(s![.., 1..])
            .scaled_add(lambda / m, &t.slice(s![.., 1..]));
        g
    };
    (j, vec![grad(&d2, &a1, t1), grad(&d3, &a2, t2)])
}

fn with_bias<T: NdFloat>(a: &Array2<T>) -> Array2<T> {
    let mut out = Array2::ones((a.nrows(), a.ncols() + 1));
    out.slice_mut(s![.., 1..]).assign(a);
    out
}

fn network_inputs() -> Array2<f64> {
    array![[0.5, -1.0], [-0.2, 0.3], [1.5, 0.8], [-1.0, -0.4]]
}

fn network_outputs() -> Array2<f64> {
    array![[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]]
}

#[gradcheck(
    shapes = [(3, 3), (2, 4)],
    names = ["Theta1", "Theta2"],
    data(x = network_inputs(), y = network_outputs(), lambda in 0.0..1.0),
)]
fn two_layer_network(
    theta: &[Array2<f64>],
    x: &Array2<f64>,
    y: &Array2<f64>,
    lambda: f64,
) -> (f64, Vec<Array2<f64>>) {
    network(theta, x, y, lambda)
}

/// Forgetting 1/m in the output layer's gradient only.
#[gradcheck(
    shapes = [(3, 3), (2, 4)],
    names = ["Theta1", "Theta2"],
    data(x = network_inputs(), y = network_outputs(), lambda = 0.0),
)]
#[should_panic(expected = "confined to Theta2")]
fn two_layer_network_unscaled_output_layer(
    theta: &[Array2<f64>],
    x: &Array2<f64>,
    y: &Array2<f64>,
    lambda: f64,
) -> (f64, Vec<Array2<f64>>) {
    let (j, mut g) = network(theta, x, y, lambda);
    g[1] *= 4.0;
    (j, g)
}

/// `&Vec<Array2<f32>>`, unnamed tensors, a separate gradient.
#[gradcheck(
    shapes = [(3, 3), (2, 4)],
    grad = network_f32_gradient,
    init = glorot_uniform,
    data(lambda in 0.0f32..1.0),
)]
fn network_f32(theta: &Vec<Array2<f32>>, lambda: f32) -> f32 {
    network_f32_parts(theta, lambda).0
}

fn network_f32_gradient(theta: &Vec<Array2<f32>>, lambda: f32) -> Vec<Array2<f32>> {
    network_f32_parts(theta, lambda).1
}

fn network_f32_parts(theta: &[Array2<f32>], lambda: f32) -> (f32, Vec<Array2<f32>>) {
    let x = network_inputs().mapv(|v| v as f32);
    let y = network_outputs().mapv(|v| v as f32);
    network(theta, &x, &y, lambda)
}

/// Unnamed tensors are reported as `theta[k][i, j]`.
#[gradcheck(shapes = [(3, 3), (2, 4)], grad = network_f32_gradient_swapped)]
#[should_panic(expected = "theta[1][")]
fn network_f32_checked_wrongly(theta: &Vec<Array2<f32>>) -> f32 {
    network_f32_parts(theta, 0.0).0
}

fn network_f32_gradient_swapped(theta: &Vec<Array2<f32>>) -> Vec<Array2<f32>> {
    let mut g = network_f32_parts(theta, 0.0).1;
    g[1].invert_axis(gradcheck::ndarray::Axis(1));
    g
}

// ---------------------------------------------------------------------------
// Test attributes, renamed crates and raw names.

/// `#[ignore]` reaches the generated test: it would fail if run.
#[gradcheck(cases = 1)]
#[ignore = "the gradient is wrong on purpose; run with --ignored to see it fail"]
#[should_panic(expected = "DISAGREE")]
fn ignored_quadratic_form(w: &[f64; 3]) -> (f64, [f64; 3]) {
    (quadratic_form_value(w), [0.0; 3])
}

/// The facade under another name, through `crate = path`.
#[gc::gradcheck(crate = gc, dim = 2)]
fn renamed_crate(w: &[f64]) -> (f64, Vec<f64>) {
    (
        w.iter().map(|v| v.powi(4)).sum(),
        w.iter().map(|v| 4.0 * v.powi(3)).collect(),
    )
}

mod nested {
    use gradcheck::gradcheck;

    #[gradcheck(crate = ::gc, dim = 2)]
    #[should_panic(expected = "DISAGREE")]
    fn nested_renamed_crate(w: &[f64]) -> (f64, Vec<f64>) {
        (
            w.iter().map(|v| v.powi(4)).sum(),
            w.iter().map(|v| v.powi(3)).collect(),
        )
    }

    #[gradcheck(crate = "gc", dim = 2)]
    fn crate_as_string(w: &[f64]) -> (f64, Vec<f64>) {
        (
            w.iter().map(|v| v.exp()).sum(),
            w.iter().map(|v| v.exp()).collect(),
        )
    }
}

#[gradcheck]
fn r#type(w: &[f64; 2]) -> (f64, [f64; 2]) {
    (w[0] * w[1], [w[1], w[0]])
}

/// The function stays callable as written.
#[test]
fn the_function_is_unchanged() {
    let (j, g) = least_squares(&[0.0, 0.0, 0.0], &design(), &targets());
    assert!((j - 5.25 / 8.0).abs() < 1e-12);
    assert_eq!(g.len(), 3);
    assert_eq!(r#type(&[2.0, 3.0]), (6.0, [3.0, 2.0]));
}
