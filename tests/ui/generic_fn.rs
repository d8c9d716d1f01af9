use gradcheck::gradcheck;

#[gradcheck]
fn cost<T: Copy + std::ops::Mul<Output = T>>(w: &[T; 2]) -> (T, [T; 2]) {
    (w[0] * w[1], [w[1], w[0]])
}

fn main() {
    let _ = cost(&[1.0, 2.0]);
}
