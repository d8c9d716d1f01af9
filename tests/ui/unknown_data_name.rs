use gradcheck::gradcheck;

#[gradcheck(dim = 2, data(lambda = 0.5, lamda in 0.0..1.0))]
fn cost(w: &[f64], lambda: f64) -> (f64, Vec<f64>) {
    (
        lambda * w.iter().map(|x| x * x).sum::<f64>(),
        w.iter().map(|x| 2.0 * lambda * x).collect(),
    )
}

fn main() {
    let _ = cost(&[1.0, 2.0], 0.5);
}
