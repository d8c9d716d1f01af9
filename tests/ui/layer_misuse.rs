use gradcheck::gradcheck;

// `layer` goes on a function without arguments that returns the layer, and
// needs `input` and `params`; `dim` and `backward` do not go with it.
#[gradcheck(layer, dim = 3, backward = back)]
fn dense(x: &f64) {}

// `input` without a layer form.
#[gradcheck(input = (3,))]
fn cost(t: &[f64; 2]) -> (f64, [f64; 2]) {
    (t[0] * t[1], [t[1], t[0]])
}

fn main() {}
