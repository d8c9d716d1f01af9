use gradcheck::gradcheck;

#[gradcheck]
fn counts(w: &[i32; 3]) -> (i32, [i32; 3]) {
    (w.iter().sum(), [1; 3])
}

#[gradcheck(dim = 3)]
fn text(w: &String) -> (f64, Vec<f64>) {
    (w.len() as f64, Vec::new())
}

fn main() {
    let _ = counts(&[1, 2, 3]);
    let _ = text(&String::new());
}
