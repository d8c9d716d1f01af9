use gradcheck::gradcheck;
use gradcheck::ndarray::{Array1, Array2};

#[gradcheck(dim = 2, data(x = Array2::eye(2)))]
fn cost(w: &Array1<f64>, x: &Array2<f64>, lambda: f64) -> (f64, Array1<f64>) {
    let r = x.dot(w);
    (
        r.dot(&r) + lambda * w.dot(w),
        2.0 * x.t().dot(&r) + 2.0 * lambda * w,
    )
}

fn main() {
    let _ = cost(&Array1::zeros(2), &Array2::eye(2), 0.5);
}
