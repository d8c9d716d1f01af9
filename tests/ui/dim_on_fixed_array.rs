use gradcheck::gradcheck;

#[gradcheck(dim = 3)]
fn cost(w: &[f64; 3]) -> (f64, [f64; 3]) {
    (w.iter().map(|x| x * x).sum(), w.map(|x| 2.0 * x))
}

fn main() {
    let _ = cost(&[1.0, 2.0, 3.0]);
}
