//! The examples of the attribute's documentation, run as the tests they
//! generate (doctests compile them without `cfg(test)`, so there the tests
//! are absent). Keep the two in step.

use gradcheck::gradcheck;
use gradcheck::ndarray::{array, s, Array1, Array2};

/// J(θ) = ½ θᵀAθ with A not symmetric, so ∇J = ½(A + Aᵀ)θ.
#[gradcheck]
fn quadratic(theta: &[f64; 2]) -> (f64, [f64; 2]) {
    let a = [[2.0, 1.0], [-0.5, 3.0]];
    let j = 0.5
        * (0..2)
            .flat_map(|i| (0..2).map(move |k| (i, k)))
            .map(|(i, k)| theta[i] * a[i][k] * theta[k])
            .sum::<f64>();
    let g = [
        a[0][0] * theta[0] + 0.5 * (a[0][1] + a[1][0]) * theta[1],
        0.5 * (a[0][1] + a[1][0]) * theta[0] + a[1][1] * theta[1],
    ];
    (j, g)
}

fn features() -> Array2<f64> {
    array![
        [1.0, 0.5, -1.0],
        [1.0, -0.2, 0.3],
        [1.0, 1.5, 0.8],
        [1.0, -1.0, -0.4]
    ]
}

/// Ridge regression: J = (1/2m)‖Xw − y‖² + (λ/2m)‖w₁..‖², bias unregularized.
#[gradcheck(
    dim = 3,
    names = ["w"],
    data(x = features(), y = array![0.5, -1.0, 2.0, 0.0], lambda in 0.0..2.0),
)]
fn ridge(w: &Array1<f64>, x: &Array2<f64>, y: &Array1<f64>, lambda: f64) -> (f64, Array1<f64>) {
    let m = y.len() as f64;
    let r = x.dot(w) - y;
    let penalty = w.slice(s![1..]).mapv(|v| v * v).sum();
    let mut grad = x.t().dot(&r) / m;
    grad.slice_mut(s![1..])
        .scaled_add(lambda / m, &w.slice(s![1..]));
    (r.dot(&r) / (2.0 * m) + lambda / (2.0 * m) * penalty, grad)
}

/// Σ ‖Wₖ‖² / 2 over the layers of a network.
#[gradcheck(
    shapes = [(3, 3), (2, 4)],
    names = ["Theta1", "Theta2"],
    grad = weight_decay_gradient,
    init = glorot_uniform,
    cases = 16,
)]
fn weight_decay(theta: &[Array2<f32>]) -> f32 {
    theta.iter().map(|t| t.mapv(|v| v * v).sum()).sum::<f32>() / 2.0
}

fn weight_decay_gradient(theta: &[Array2<f32>]) -> Vec<Array2<f32>> {
    theta.to_vec()
}

/// The same with one wrong entry, as the documentation says it is reported.
#[gradcheck(
    shapes = [(3, 3), (2, 4)],
    names = ["Theta1", "Theta2"],
    grad = weight_decay_gradient_with_a_typo,
    init = glorot_uniform,
    cases = 16,
)]
#[should_panic(expected = "Theta2[1, 3]")]
fn weight_decay_checked_wrongly(theta: &[Array2<f32>]) -> f32 {
    weight_decay(theta)
}

fn weight_decay_gradient_with_a_typo(theta: &[Array2<f32>]) -> Vec<Array2<f32>> {
    let mut g = theta.to_vec();
    g[1][[1, 3]] += 1.0;
    g
}

#[gradcheck(dim = 4)]
#[should_panic(expected = "0.5000x the numeric value")]
fn squares_missing_factor_2(w: &[f64]) -> (f64, Vec<f64>) {
    let j = w.iter().map(|v| (v - 1.0).powi(2)).sum();
    (j, w.iter().map(|v| v - 1.0).collect())
}
