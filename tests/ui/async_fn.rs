use gradcheck::gradcheck;

#[gradcheck]
async fn cost(w: &[f64; 2]) -> (f64, [f64; 2]) {
    (w[0] * w[1], [w[1], w[0]])
}

fn main() {
    drop(cost(&[1.0, 2.0]));
}
