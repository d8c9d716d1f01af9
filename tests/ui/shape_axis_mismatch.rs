use gradcheck::gradcheck;
use gradcheck::ndarray::Array2;

#[gradcheck(shape = (2, 3, 4))]
fn cost(w: &Array2<f64>) -> (f64, Array2<f64>) {
    (w.mapv(|x| x * x).sum(), w.mapv(|x| 2.0 * x))
}

fn main() {
    let _ = cost(&Array2::zeros((2, 3)));
}
