//! Gradient checking a hand-written backpropagation, then training with the
//! check turned off.
//!
//! The network is the classic three-layer sigmoid network: 10 inputs, two
//! hidden layers of 10 sigmoid units and one sigmoid output, with weight
//! matrices Theta1 (10 × 11), Theta2 (10 × 11) and Theta3 (1 × 11) whose
//! first column multiplies the bias unit. The cost is the mean cross-entropy
//! plus the L2 penalty (λ / 2m) Σ θ² over every weight except the bias
//! columns; its gradient is computed by backpropagation in `network.rs`.
//!
//! Data: the diabetes data set of Efron, Hastie, Johnstone and Tibshirani,
//! "Least Angle Regression", Annals of Statistics 32(2), 2004: ten baseline
//! variables (age, sex, body mass index, average blood pressure and six
//! blood serum measurements) of 442 diabetes patients, and a quantitative
//! measure of disease progression one year after baseline. It is read from
//! the copy shipped in the `linfa-datasets` crate (feature `diabetes`,
//! `linfa_datasets::diabetes()`), which is the version distributed with
//! scikit-learn (features already centred and scaled). linfa-datasets 0.8.1
//! parses its header-less CSV files with `has_headers = true`, so the first
//! patient is taken for a header and dropped: 441 rows reach this example.
//! The first 80% of the rows are for training, the last 20% are held out.
//! Each feature is standardized to zero mean and unit variance (with the
//! training rows' means and deviations), and the target is binarized at its
//! median: label 1 when the progression is above the median.
//!
//! The example
//!
//! a. checks the gradient with `gradcheck::check` at several random
//!    initializations, and shows the report of a deliberately broken
//!    backpropagation;
//! b. trains by batch gradient descent with momentum from a random
//!    initialization, with no gradient checking in the loop;
//! c. trains from zero (and from a constant) initialization to show that
//!    the hidden units stay identical: the symmetry that random
//!    initialization breaks.
//!
//! Run with `cargo run --release --example neural_network`.

mod network;

use std::time::Instant;

use gradcheck::ndarray::Array2;
use gradcheck::{check, Config, Init, Report};
use network::{accuracy, diabetes, init_params, nn_cost, nn_cost_with, row_spread, train, Bug};

/// Regularization strength used throughout.
const LAMBDA: f64 = 1.0;
/// Random initializations checked in part a.
const CHECKS: u64 = 5;

/// Why symmetric initializations fail, printed after part c.
const SYMMETRY: [&str; 6] = [
    "When all units of a hidden layer start with the same weights they compute the same",
    "activation and receive the same delta, so every step changes them identically: each",
    "hidden layer acts as a single unit. From exactly zero it is worse still: a hidden layer's",
    "delta is multiplied by the zero weights above it, so at first only Theta3 moves, driven",
    "by the tiny label imbalance, and the cost stays at ln 2 = 0.693147.",
    "Random initialization breaks the symmetry.",
];

fn config() -> Config {
    Config::new()
        .label("nn_cost")
        .param("theta")
        .names(["Theta1", "Theta2", "Theta3"])
}

/// Runs one check and measures its wall-clock time.
fn timed_check(
    theta: &Vec<Array2<f64>>,
    cost: impl FnMut(&Vec<Array2<f64>>) -> (f64, Vec<Array2<f64>>),
    config: &Config,
) -> (Report, f64) {
    let start = Instant::now();
    let report = check(theta, cost, config);
    (report, start.elapsed().as_secs_f64() * 1e3)
}

fn heading(title: &str) {
    println!();
    println!("{title}");
    println!("{}", "=".repeat(title.chars().count()));
}

fn main() {
    let total = Instant::now();
    let data = diabetes(0.8);
    let (x, y) = (&data.x_train, &data.y_train);

    heading("Data: diabetes (Efron et al. 2004, via linfa-datasets)");
    println!(
        "{} training rows + {} held-out rows, {} standardized features: {}",
        x.nrows(),
        data.x_test.nrows(),
        x.ncols(),
        data.feature_names.join(", ")
    );
    println!("(the source has 442 patients; linfa-datasets 0.8.1 drops the first as a CSV header)");
    println!(
        "label 1 = disease progression above the median ({}): {:.1}% of training rows, {:.1}% of held-out rows",
        data.median,
        100.0 * y.mean().unwrap_or(0.0),
        100.0 * data.y_test.mean().unwrap_or(0.0)
    );

    // a. Gradient check.
    heading("a. Gradient check of the backpropagation (eps 1e-4, tol 1e-9)");
    let config = config();
    for seed in 1..=CHECKS {
        let theta = init_params(Init::default(), seed);
        let (report, ms) = timed_check(&theta, |t| nn_cost(t, x, y, LAMBDA), &config);
        if seed == 1 {
            println!("Full report at the first random initialization (seed {seed}):");
            print!("{report}");
            println!();
            println!("One line per random initialization (Init::Uniform(0.12)):");
        }
        println!(
            "  seed {seed}: {:<4}  relative difference {:.2e}  {:>4} evaluations  {:>6.1} ms",
            report.verdict, report.relative_difference, report.evaluations, ms
        );
    }

    println!();
    println!("A deliberately broken backpropagation: the regularization term of the");
    println!("gradient also covers the bias column, which the cost does not penalize.");
    let theta = init_params(Init::default(), 1);
    let (report, ms) = timed_check(
        &theta,
        |t| nn_cost_with(t, x, y, LAMBDA, Bug::BiasRegularized),
        &config,
    );
    print!("{report}");
    println!("  ({ms:.1} ms)");
    println!();
    println!("Other planted bugs (summary and diagnosis of each report):");
    for (bug, what) in [
        (Bug::MissingOneOverM, "gradient not divided by m"),
        (Bug::TransposedTheta2, "delta sent back through Theta2^T"),
        (Bug::WrongLayerActivation, "Theta2 gradient uses a1, not a2"),
    ] {
        let (report, ms) = timed_check(&theta, |t| nn_cost_with(t, x, y, LAMBDA, bug), &config);
        println!("  {what:<34} {:<4} {:>6.1} ms", report.verdict, ms);
        println!("      {}", report.summary());
        for line in &report.diagnosis {
            println!("      diagnosis: {line}");
        }
    }

    // b. Training.
    let settings = network::Training {
        learning_rate: 0.5,
        momentum: 0.9,
        iterations: 3000,
        lambda: LAMBDA,
    };
    heading("b. Training from a random initialization (gradient checking off)");
    println!(
        "batch gradient descent with momentum: alpha {}, mu {}, lambda {}, {} iterations",
        settings.learning_rate, settings.momentum, settings.lambda, settings.iterations
    );
    let start = Instant::now();
    let every = settings.iterations / 10;
    let random = train(
        init_params(Init::default(), 1),
        x,
        y,
        settings,
        |i, cost| {
            if i % every == 0 {
                println!("  iteration {i:>5}: cost {cost:.6}");
            }
        },
    );
    let train_ms = start.elapsed().as_secs_f64() * 1e3;
    println!("trained in {train_ms:.0} ms");
    let random_acc = (
        accuracy(&random, x, y),
        accuracy(&random, &data.x_test, &data.y_test),
    );
    println!(
        "accuracy: training {:.1}%, held out (last {} rows) {:.1}%",
        100.0 * random_acc.0,
        data.x_test.nrows(),
        100.0 * random_acc.1
    );

    // c. Symmetry.
    heading("c. Symmetry: the same training from a symmetric initialization");
    let mut rows = vec![("random U(-0.12, 0.12)", random, random_acc)];
    for (name, init) in [("zero", Init::Zeros), ("constant 0.1", Init::Constant(0.1))] {
        let mut curve = (f64::NAN, f64::NAN);
        let theta = train(init_params(init, 1), x, y, settings, |i, cost| {
            if i == 0 {
                curve.0 = cost;
            }
            curve.1 = cost;
        });
        let largest: Vec<String> = theta
            .iter()
            .map(|t| format!("{:.1e}", t.iter().fold(0.0f64, |m, w| m.max(w.abs()))))
            .collect();
        println!(
            "  {name:<13} init: cost {:.6} -> {:.6}; largest |weight| in Theta1, Theta2, Theta3: {}",
            curve.0,
            curve.1,
            largest.join(", ")
        );
        let acc = (
            accuracy(&theta, x, y),
            accuracy(&theta, &data.x_test, &data.y_test),
        );
        rows.push((name, theta, acc));
    }
    println!(
        "largest difference between the weights of two units of a hidden layer after training:"
    );
    println!(
        "  {:<22} {:>12} {:>12} {:>10} {:>9}",
        "init", "Theta1 rows", "Theta2 rows", "train acc", "held out"
    );
    for (name, theta, acc) in &rows {
        println!(
            "  {name:<22} {:>12.3e} {:>12.3e} {:>9.1}% {:>8.1}%",
            row_spread(&theta[0]),
            row_spread(&theta[1]),
            100.0 * acc.0,
            100.0 * acc.1
        );
    }
    for line in SYMMETRY {
        println!("{line}");
    }

    println!();
    println!("total run time {:.2} s", total.elapsed().as_secs_f64());
}
