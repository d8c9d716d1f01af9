use gradcheck::gradcheck;

#[gradcheck(dim = 3)]
fn cost(w: &[f64]) -> f64 {
    w.iter().map(|x| x * x).sum()
}

fn main() {
    let _ = cost(&[1.0, 2.0, 3.0]);
}
