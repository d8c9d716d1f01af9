use gradcheck::gradcheck;

#[gradcheck]
fn cost(t: &[f64; 0]) -> (f64, [f64; 0]) {
    (t.len() as f64, [])
}

fn main() {}
