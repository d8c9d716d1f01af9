//! The step sweep: how the error of central differences depends on the step,
//! for a correct gradient in f64 and in f32 and for a wrong one. Prints each
//! table and writes each curve as an SVG plot under `target/gradcheck/`.
//!
//! Run with `cargo run --release --example step_sweep`.

use gradcheck::ndarray::{array, Array1, Array2};
use gradcheck::sweep::{sweep, DEFAULT_STEPS};
use gradcheck::Config;

/// Mean cross-entropy of logistic regression, with its gradient divided by
/// `m` or (the bug) not.
fn logistic(x: &Array2<f64>, y: &Array1<f64>, w: &Array1<f64>, divide: bool) -> (f64, Array1<f64>) {
    let m = y.len() as f64;
    let h = x.dot(w).mapv(|z| 1.0 / (1.0 + (-z).exp()));
    let j = -(y * &h.mapv(f64::ln) + (1.0 - y) * &h.mapv(|v| (1.0 - v).ln())).sum() / m;
    let g = x.t().dot(&(&h - y));
    (j, if divide { g / m } else { g })
}

fn main() -> std::io::Result<()> {
    let x = array![
        [1.0, 0.5, -1.2],
        [1.0, 1.5, 0.3],
        [1.0, -0.7, 0.8],
        [1.0, 0.2, 2.0]
    ];
    let y = array![1.0, 0.0, 1.0, 0.0];
    let w = array![0.05, -0.1, 0.08];
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/gradcheck");
    std::fs::create_dir_all(&dir)?;

    let correct = sweep(
        &w,
        |w: &Array1<f64>| logistic(&x, &y, w, true),
        &DEFAULT_STEPS,
        &Config::new().label("logistic regression"),
    )
    .expect("finite cost");
    let wrong = sweep(
        &w,
        |w: &Array1<f64>| logistic(&x, &y, w, false),
        &DEFAULT_STEPS,
        &Config::new().label("logistic regression without 1/m"),
    )
    .expect("finite cost");
    let (x32, y32, w32) = (
        x.mapv(|v| v as f32),
        y.mapv(|v| v as f32),
        w.mapv(|v| v as f32),
    );
    let single = sweep(
        &w32,
        |w: &Array1<f32>| {
            let m = y32.len() as f32;
            let h = x32.dot(w).mapv(|z| 1.0 / (1.0 + (-z).exp()));
            let j =
                -(&y32 * &h.mapv(f32::ln) + (1.0 - &y32) * &h.mapv(|v| (1.0 - v).ln())).sum() / m;
            (j, x32.t().dot(&(&h - &y32)) / m)
        },
        &DEFAULT_STEPS,
        &Config::new().label("logistic regression in f32"),
    )
    .expect("finite cost");

    for (name, s) in [
        ("correct_f64", &correct),
        ("without_1_over_m", &wrong),
        ("correct_f32", &single),
    ] {
        println!("{s}");
        if let Some(best) = s.best() {
            println!(
                "    best step: eps = {:.0e}, relative difference {:.3e}\n",
                best.eps, best.relative_difference
            );
        }
        let path = dir.join(format!("step_sweep_{name}.svg"));
        std::fs::write(&path, s.to_svg())?;
        println!("    plot: {}\n", path.display());
    }
    println!(
        "A correct gradient gives a V: truncation error falls like eps^2 until round-off,\n\
         growing like 1/eps, takes over. A wrong one gives a flat line at the size of the bug."
    );
    Ok(())
}
