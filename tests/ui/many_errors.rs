use gradcheck::gradcheck;

#[gradcheck(eps = 0, foo = 1, tol = -1e-9, cases = 0, data(z = 1.0))]
fn cost(w: &[f64], lambda: f64) -> f64 {
    lambda * w.iter().map(|x| x * x).sum::<f64>()
}

fn main() {
    let _ = cost(&[1.0], 0.5);
}
