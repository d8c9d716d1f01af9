use gradcheck::gradcheck;

#[gradcheck]
fn cost(w: &[f64]) -> (f64, Vec<f64>) {
    (
        w.iter().map(|x| x * x).sum(),
        w.iter().map(|x| 2.0 * x).collect(),
    )
}

fn main() {
    let _ = cost(&[1.0, 2.0]);
}
