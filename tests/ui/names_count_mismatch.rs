use gradcheck::gradcheck;
use gradcheck::ndarray::Array2;

#[gradcheck(shapes = [(10, 11), (10, 11), (1, 11)], names = ["Theta1", "Theta2"])]
fn cost(theta: &[Array2<f64>]) -> (f64, Vec<Array2<f64>>) {
    let j = theta.iter().map(|t| t.mapv(|x| x * x).sum()).sum();
    (j, theta.iter().map(|t| t.mapv(|x| 2.0 * x)).collect())
}

fn main() {
    let _ = cost(&[]);
}
