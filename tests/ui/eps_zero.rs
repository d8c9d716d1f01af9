use gradcheck::gradcheck;

#[gradcheck(eps = 0)]
fn cost(w: &[f64; 2]) -> (f64, [f64; 2]) {
    (w[0] * w[1], [w[1], w[0]])
}

#[gradcheck(eps = 0.0)]
fn cost_float(w: &[f64; 2]) -> (f64, [f64; 2]) {
    (w[0] * w[1], [w[1], w[0]])
}

fn main() {
    let _ = cost(&[1.0, 2.0]);
    let _ = cost_float(&[1.0, 2.0]);
}
