use gradcheck::gradcheck;

#[gradcheck(eps = 1e-4, tol = 1e-8, eps = 1e-5)]
fn cost(w: &[f64; 2]) -> (f64, [f64; 2]) {
    (w[0] * w[1], [w[1], w[0]])
}

fn main() {
    let _ = cost(&[1.0, 2.0]);
}
