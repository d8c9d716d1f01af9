//! The model of the `neural_network` example: a three-layer sigmoid network
//! (10 inputs, two hidden layers of 10 units, one output), its cost with a
//! hand-written backpropagation, plain training, and the diabetes data.
//!
//! Shared with `tests/test_network.rs` through `#[path]`, so everything the
//! tests need is public here.

use gradcheck::ndarray::{s, Array1, Array2, ArrayView2, Axis, Zip};
use gradcheck::Init;

/// Shapes of Theta1, Theta2, Theta3: `L_out × (L_in + 1)`, column 0
/// multiplying the bias unit.
pub const SHAPES: [[usize; 2]; 3] = [[10, 11], [10, 11], [1, 11]];

/// A backpropagation with one planted bug, or none. Used to show what a
/// failing gradient check reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bug {
    /// The correct gradient.
    None,
    /// The gradient is never divided by m: `Δ + λΘ` instead of `Δ/m + (λ/m)Θ`.
    MissingOneOverM,
    /// The regularization term of the gradient also covers the bias column,
    /// which the cost does not regularize.
    BiasRegularized,
    /// The second hidden layer's delta is sent back through `Θ2ᵀ` instead of
    /// `Θ2` (shape-compatible only because both hidden layers have 10 units).
    TransposedTheta2,
    /// The first hidden layer's delta uses the sigmoid gradient of the wrong
    /// layer (`g'(z3)` instead of `g'(z2)`).
    WrongLayerSigmoidGradient,
    /// `Θ2`'s gradient uses the input layer's activations `a1` instead of `a2`.
    WrongLayerActivation,
    /// `Θ1`'s gradient is returned transposed (11 × 10).
    TransposedGradient,
}

/// The logistic function `1 / (1 + e^(−z))`.
pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// `ln(1 + e^z)` without overflow.
fn softplus(z: f64) -> f64 {
    z.max(0.0) + (-z.abs()).exp().ln_1p()
}

/// `[1, a]`: the activations with a leading bias column of ones.
pub fn add_bias(a: ArrayView2<f64>) -> Array2<f64> {
    let mut out = Array2::ones((a.nrows(), a.ncols() + 1));
    out.slice_mut(s![.., 1..]).assign(&a);
    out
}

/// Everything the forward pass computes.
pub struct Forward {
    /// Input with bias, m × 11.
    pub a1: Array2<f64>,
    /// First hidden layer with bias, m × 11.
    pub a2: Array2<f64>,
    /// Second hidden layer with bias, m × 11.
    pub a3: Array2<f64>,
    /// Output pre-activation, m × 1.
    pub z4: Array2<f64>,
}

/// The forward pass.
pub fn forward(theta: &[Array2<f64>], x: &Array2<f64>) -> Forward {
    assert_eq!(theta.len(), 3, "three weight matrices");
    for (t, shape) in theta.iter().zip(SHAPES) {
        assert_eq!(t.shape(), shape, "weight matrix shape");
    }
    let a1 = add_bias(x.view());
    let a2 = add_bias(a1.dot(&theta[0].t()).mapv(sigmoid).view());
    let a3 = add_bias(a2.dot(&theta[1].t()).mapv(sigmoid).view());
    let z4 = a3.dot(&theta[2].t());
    Forward { a1, a2, a3, z4 }
}

/// The output probabilities `h(x)` for every row of `x`.
pub fn predict(theta: &[Array2<f64>], x: &Array2<f64>) -> Array1<f64> {
    forward(theta, x).z4.column(0).mapv(sigmoid)
}

/// The fraction of rows where `h(x) ≥ 0.5` matches the label.
pub fn accuracy(theta: &[Array2<f64>], x: &Array2<f64>, y: &Array1<f64>) -> f64 {
    let h = predict(theta, x);
    let right = h
        .iter()
        .zip(y)
        .filter(|(h, y)| (**h >= 0.5) == (**y >= 0.5))
        .count();
    right as f64 / y.len() as f64
}

/// Mean cross-entropy plus `(λ / 2m) Σ θ²` over all but the bias columns,
/// and its gradient by backpropagation.
pub fn nn_cost(
    theta: &[Array2<f64>],
    x: &Array2<f64>,
    y: &Array1<f64>,
    lambda: f64,
) -> (f64, Vec<Array2<f64>>) {
    nn_cost_with(theta, x, y, lambda, Bug::None)
}

/// [`nn_cost`] with a planted bug in the backpropagation (the cost itself is
/// always right).
pub fn nn_cost_with(
    theta: &[Array2<f64>],
    x: &Array2<f64>,
    y: &Array1<f64>,
    lambda: f64,
    bug: Bug,
) -> (f64, Vec<Array2<f64>>) {
    let m = x.nrows() as f64;
    assert_eq!(y.len(), x.nrows(), "one label per row");
    let Forward { a1, a2, a3, z4 } = forward(theta, x);
    let z4 = z4.column(0);

    // Cross-entropy from z, stably: −y ln σ(z) − (1 − y) ln(1 − σ(z)) = softplus(z) − y z.
    let data_cost: f64 = z4
        .iter()
        .zip(y)
        .map(|(&z, &y)| softplus(z) - y * z)
        .sum::<f64>()
        / m;
    let penalty: f64 = theta
        .iter()
        .map(|t| t.slice(s![.., 1..]).iter().map(|w| w * w).sum::<f64>())
        .sum();
    let cost = data_cost + lambda / (2.0 * m) * penalty;

    // Backpropagation. g'(z) = a (1 − a) for a = g(z).
    let sigmoid_gradient = |a: &Array2<f64>| a.slice(s![.., 1..]).mapv(|a| a * (1.0 - a));
    let g2 = sigmoid_gradient(&a2);
    let g3 = sigmoid_gradient(&a3);
    let mut d4 = Array2::zeros((x.nrows(), 1));
    Zip::from(d4.column_mut(0))
        .and(&z4)
        .and(y)
        .for_each(|d, &z, &y| *d = sigmoid(z) - y);
    let d3 = d4.dot(&theta[2].slice(s![.., 1..])) * &g3;
    let back2 = theta[1].slice(s![.., 1..]);
    let back2 = if bug == Bug::TransposedTheta2 {
        back2.reversed_axes()
    } else {
        back2
    };
    let g_first = if bug == Bug::WrongLayerSigmoidGradient {
        &g3
    } else {
        &g2
    };
    let d2 = d3.dot(&back2) * g_first;

    let a_for_theta2 = if bug == Bug::WrongLayerActivation {
        &a1
    } else {
        &a2
    };
    let deltas = [d2.t().dot(&a1), d3.t().dot(a_for_theta2), d4.t().dot(&a3)];

    let scale = if bug == Bug::MissingOneOverM {
        1.0
    } else {
        1.0 / m
    };
    let mut grads: Vec<Array2<f64>> = deltas
        .into_iter()
        .zip(theta)
        .map(|(delta, t)| {
            let mut g = delta * scale;
            let first = if bug == Bug::BiasRegularized { 0 } else { 1 };
            g.slice_mut(s![.., first..])
                .scaled_add(lambda * scale, &t.slice(s![.., first..]));
            g
        })
        .collect();
    if bug == Bug::TransposedGradient {
        grads[0] = grads[0].t().to_owned();
    }
    (cost, grads)
}

/// Parameters drawn from `init`, one seed per matrix.
pub fn init_params(init: Init, seed: u64) -> Vec<Array2<f64>> {
    SHAPES
        .iter()
        .enumerate()
        .map(|(k, &shape)| {
            let values = init.sample_vec(&shape, seed.wrapping_mul(31).wrapping_add(k as u64));
            Array2::from_shape_vec((shape[0], shape[1]), values).expect("values fill the shape")
        })
        .collect()
}

/// Settings of batch gradient descent with momentum.
#[derive(Clone, Copy, Debug)]
pub struct Training {
    /// Step size α.
    pub learning_rate: f64,
    /// Momentum μ (0 for plain gradient descent).
    pub momentum: f64,
    /// Iterations over the whole batch.
    pub iterations: usize,
    /// Regularization strength λ.
    pub lambda: f64,
}

/// Batch gradient descent with (heavy-ball) momentum: `v ← μv − α∇J`,
/// `θ ← θ + v`. Calls `log(iteration, cost)` before every step and once
/// after the last; returns the trained parameters.
pub fn train(
    mut theta: Vec<Array2<f64>>,
    x: &Array2<f64>,
    y: &Array1<f64>,
    settings: Training,
    mut log: impl FnMut(usize, f64),
) -> Vec<Array2<f64>> {
    let mut velocity: Vec<Array2<f64>> = theta.iter().map(|t| Array2::zeros(t.raw_dim())).collect();
    for iteration in 0..settings.iterations {
        let (cost, grads) = nn_cost(&theta, x, y, settings.lambda);
        log(iteration, cost);
        for ((t, v), g) in theta.iter_mut().zip(&mut velocity).zip(&grads) {
            *v *= settings.momentum;
            v.scaled_add(-settings.learning_rate, g);
            *t += &*v;
        }
    }
    log(
        settings.iterations,
        nn_cost(&theta, x, y, settings.lambda).0,
    );
    theta
}

/// The largest absolute difference between any row of `t` and its first
/// row: 0 when every unit of the layer has the same weights.
pub fn row_spread(t: &Array2<f64>) -> f64 {
    (t - &t.row(0)).iter().fold(0.0, |m, d| m.max(d.abs()))
}

/// The diabetes data, prepared for binary classification.
pub struct Diabetes {
    /// Training features (the first rows), standardized.
    pub x_train: Array2<f64>,
    /// Training labels: 1 when the disease progression is above the median.
    pub y_train: Array1<f64>,
    /// Held-out features (the last rows), standardized with the training
    /// rows' means and deviations.
    pub x_test: Array2<f64>,
    /// Held-out labels.
    pub y_test: Array1<f64>,
    /// The median of the target, where the labels are split.
    pub median: f64,
    /// Names of the ten features.
    pub feature_names: Vec<String>,
}

/// Loads the diabetes data from `linfa-datasets`, binarizes the target at
/// its median (1 if above) and standardizes each feature to zero mean and
/// unit variance over the training rows. The first `train_fraction` of the
/// rows are for training, the rest held out.
pub fn diabetes(train_fraction: f64) -> Diabetes {
    let dataset = linfa_datasets::diabetes();
    let feature_names = dataset.feature_names().to_vec();
    let records: Array2<f64> = dataset.records().to_owned();
    let targets: Array1<f64> = dataset.targets().to_owned();

    let mut sorted = targets.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let median = if n % 2 == 1 {
        sorted[n / 2]
    } else {
        0.5 * (sorted[n / 2 - 1] + sorted[n / 2])
    };
    let labels = targets.mapv(|t| if t > median { 1.0 } else { 0.0 });

    let n_train = ((n as f64) * train_fraction).round() as usize;
    let train = records.slice(s![..n_train, ..]);
    let mean = train.mean_axis(Axis(0)).expect("training rows");
    let std = train
        .std_axis(Axis(0), 0.0)
        .mapv(|s| if s > 0.0 { s } else { 1.0 });
    let standardized = (&records - &mean) / &std;

    Diabetes {
        x_train: standardized.slice(s![..n_train, ..]).to_owned(),
        y_train: labels.slice(s![..n_train]).to_owned(),
        x_test: standardized.slice(s![n_train.., ..]).to_owned(),
        y_test: labels.slice(s![n_train..]).to_owned(),
        median,
        feature_names,
    }
}
