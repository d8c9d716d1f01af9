//! The README's example, run as the test its attribute generates.

use gradcheck::gradcheck;

/// Mean squared error of a linear model y ≈ X w.
#[gradcheck(dim = 3, data(x = sample_x(), y = vec![1.0, -0.5, 2.0, 0.25]))]
fn mse(w: &[f64], x: &[[f64; 3]], y: &[f64]) -> (f64, Vec<f64>) {
    let m = y.len() as f64;
    let mut j = 0.0;
    let mut grad = vec![0.0; 3];
    for (row, target) in x.iter().zip(y) {
        let r = row.iter().zip(w).map(|(a, b)| a * b).sum::<f64>() - target;
        j += r * r / m;
        for (g, xi) in grad.iter_mut().zip(row) {
            *g += 2.0 * r * xi / m;
        }
    }
    (j, grad)
}

fn sample_x() -> Vec<[f64; 3]> {
    vec![
        [1.0, 0.5, -1.2],
        [1.0, 1.5, 0.3],
        [1.0, -0.7, 0.8],
        [1.0, 0.2, 2.0],
    ]
}
