use gradcheck::gradcheck;

#[gradcheck(tol = 1e999)]
fn cost(w: &[f64; 2]) -> (f64, [f64; 2]) {
    (w[0] * w[1], [w[1], w[0]])
}

fn main() {
    let _ = cost(&[1.0, 2.0]);
}
