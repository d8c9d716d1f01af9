use gradcheck::gradcheck;

#[gradcheck(data(x = (1.0, 2.0)))]
fn cost(w: &[f64; 2], (a, b): (f64, f64)) -> (f64, [f64; 2]) {
    (a * w[0] + b * w[1], [a, b])
}

fn main() {
    let _ = cost(&[1.0, 2.0], (1.0, 2.0));
}
