use gradcheck::gradcheck;
use gradcheck::ndarray::{Array1, Array2};

#[derive(Clone, Debug, gradcheck::Params)]
struct Dense {
    w: Array2<f64>,
}

// The input is one-dimensional, and a struct of tensors takes a value, not
// a shape.
#[gradcheck(backward = dense_backward, input = (3, 4), params = (2, 3))]
fn dense(x: &Array1<f64>, p: &Dense) -> Array1<f64> {
    p.w.dot(x)
}

fn dense_backward(x: &Array1<f64>, p: &Dense, dy: &Array1<f64>) -> (Array1<f64>, Dense) {
    let w = dy
        .view()
        .insert_axis(gradcheck::ndarray::Axis(1))
        .dot(&x.view().insert_axis(gradcheck::ndarray::Axis(0)));
    (p.w.t().dot(dy), Dense { w })
}

fn main() {}
