use gradcheck::gradcheck;

#[gradcheck(dim = 3)]
struct Weights([f64; 3]);

fn main() {
    let _ = Weights([0.0; 3]);
}
