use gradcheck::gradcheck;

struct Model {
    scale: f64,
}

impl Model {
    #[gradcheck(dim = 2)]
    fn cost(&self, w: &[f64]) -> (f64, Vec<f64>) {
        let j = self.scale * w.iter().map(|x| x * x).sum::<f64>();
        (j, w.iter().map(|x| 2.0 * self.scale * x).collect())
    }
}

fn main() {
    let _ = Model { scale: 1.0 }.cost(&[1.0, 2.0]);
}
