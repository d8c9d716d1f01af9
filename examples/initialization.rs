//! Random initialization and symmetry, on the network and data of the
//! `neural_network` example (a 10-10-10-1 sigmoid network on the diabetes
//! data, binarized at the median; see `neural_network/main.rs`).
//!
//! The same network is trained by the same batch gradient descent with
//! momentum from four initializations:
//!
//! - zero: every weight 0;
//! - constant: every weight 0.1;
//! - uniform(0.12): every weight uniform in [−0.12, 0.12] (the default);
//! - Glorot uniform: uniform in [−ε, ε] with ε = √6 / √(L_in + L_out) for
//!   each matrix (L_in counts the bias unit).
//!
//! It prints the cost curves side by side, the symmetry check of the hidden
//! layers (Theta1 and Theta2) before and after training, and the accuracies,
//! and writes the curves to `target/gradcheck/initialization.svg` (under
//! `CARGO_TARGET_DIR` when that is set).
//!
//! Run with `cargo run --release --example initialization`.

#[allow(dead_code)]
#[path = "neural_network/network.rs"]
mod network;

use std::path::PathBuf;
use std::time::Instant;

use gradcheck::init::epsilon_init;
use gradcheck::ndarray::Array2;
use gradcheck::{Init, Symmetry};
use network::{accuracy, diabetes, nn_cost, train, Training, SHAPES};

/// Seed of the random initializations.
const SEED: u64 = 1;
/// The iterations whose cost is printed: dense early, where the curves part.
const PRINTED: [usize; 13] = [
    0, 10, 25, 50, 75, 100, 150, 250, 500, 1000, 1500, 2000, 3000,
];
/// Two units are identical when no weight differs by more than this.
const TOL: f64 = 1e-9;
/// A loose tolerance, to show units that training made nearly alike.
const LOOSE: f64 = 1e-3;

/// One initialization: its name in the table, its scheme, its plot style.
struct Run {
    name: &'static str,
    init: Init,
    color: &'static str,
    dashed: bool,
}

const RUNS: [Run; 4] = [
    Run {
        name: "zero",
        init: Init::Zeros,
        color: "#c0392b",
        dashed: true,
    },
    Run {
        name: "constant 0.1",
        init: Init::Constant(0.1),
        color: "#e67e22",
        dashed: true,
    },
    Run {
        name: "uniform(0.12)",
        init: Init::Uniform(0.12),
        color: "#1f5fa8",
        dashed: false,
    },
    Run {
        name: "glorot_uniform",
        init: Init::GlorotUniform,
        color: "#27ae60",
        dashed: false,
    },
];

/// The network's three weight matrices drawn from `init` (each with its
/// own fans).
fn initial(init: Init, seed: u64) -> Vec<Array2<f64>> {
    let mut theta: Vec<Array2<f64>> = SHAPES.iter().map(|s| Array2::zeros((s[0], s[1]))).collect();
    init.fill(&mut theta, seed);
    theta
}

/// The symmetry check of the two hidden layers, one line each.
fn hidden_symmetry(theta: &[Array2<f64>]) -> [Symmetry; 2] {
    [
        Symmetry::of("Theta1", theta[0].view(), TOL),
        Symmetry::of("Theta2", theta[1].view(), TOL),
    ]
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
    let settings = Training {
        learning_rate: 0.5,
        momentum: 0.9,
        iterations: 3000,
        lambda: 1.0,
    };

    heading("Initialization and symmetry: the neural_network example's network and data");
    println!(
        "diabetes: {} training rows, {} held out; network 10-10-10-1 (sigmoid), Theta1 {:?}, \
         Theta2 {:?}, Theta3 {:?}",
        x.nrows(),
        data.x_test.nrows(),
        SHAPES[0],
        SHAPES[1],
        SHAPES[2]
    );
    println!(
        "training: batch gradient descent with momentum, alpha {}, mu {}, lambda {}, {} iterations",
        settings.learning_rate, settings.momentum, settings.lambda, settings.iterations
    );
    println!("initializations (random ones with seed {SEED}):");
    for run in &RUNS {
        let ranges: Vec<String> = SHAPES
            .iter()
            .map(|s| {
                let (lo, hi) = run.init.range(s);
                if lo == hi {
                    format!("{lo}")
                } else {
                    format!("[{lo:.3}, {hi:.3}]")
                }
            })
            .collect();
        println!(
            "  {:<15} {:<15} Theta1 {}, Theta2 {}, Theta3 {}",
            run.name,
            run.init.to_string(),
            ranges[0],
            ranges[1],
            ranges[2]
        );
    }
    println!(
        "  (Glorot's epsilon_init = sqrt(6) / sqrt(L_in + L_out): {:.4} for 11 inputs (with the \
         bias) and 10 outputs, {:.4} for 11 and 1)",
        epsilon_init(11, 10),
        epsilon_init(11, 1)
    );

    // Train from each initialization, recording the whole cost curve.
    let mut curves: Vec<Vec<f64>> = Vec::new();
    let mut before: Vec<[Symmetry; 2]> = Vec::new();
    let mut trained: Vec<Vec<Array2<f64>>> = Vec::new();
    let mut times: Vec<f64> = Vec::new();
    for run in &RUNS {
        let theta = initial(run.init, SEED);
        before.push(hidden_symmetry(&theta));
        let mut curve = Vec::with_capacity(settings.iterations + 1);
        let start = Instant::now();
        let theta = train(theta, x, y, settings, |_, cost| curve.push(cost));
        times.push(start.elapsed().as_secs_f64() * 1e3);
        curves.push(curve);
        trained.push(theta);
    }

    heading("Cost J(theta) on the training rows");
    print!("  {:>9}", "iteration");
    for run in &RUNS {
        print!("  {:>14}", run.name);
    }
    println!();
    for i in PRINTED.into_iter().filter(|&i| i <= settings.iterations) {
        print!("  {i:>9}");
        for curve in &curves {
            print!("  {:>14.6}", curve[i]);
        }
        println!();
    }
    print!("  {:>9}", "< 0.6 at");
    for curve in &curves {
        match curve.iter().position(|&c| c < 0.6) {
            Some(i) => print!("  {i:>14}"),
            None => print!("  {:>14}", "never"),
        }
    }
    println!();
    print!("  {:>9}", "time (ms)");
    for ms in &times {
        print!("  {ms:>14.0}");
    }
    println!();

    heading(&format!(
        "Symmetry check of the hidden layers (units identical within {TOL:e})"
    ));
    for ((run, before), theta) in RUNS.iter().zip(&before).zip(&trained) {
        println!("{} ({}):", run.name, run.init);
        for (when, checks) in [
            ("before", before.clone()),
            ("after", hidden_symmetry(theta)),
        ] {
            for (k, check) in checks.iter().enumerate() {
                let label = if k == 0 { when } else { "" };
                println!("  {label:<7} {check}");
            }
        }
    }
    println!();
    println!("The same check at a loose tolerance, {LOOSE:e}, after training:");
    for (run, theta) in RUNS.iter().zip(&trained) {
        println!(
            "  {:<15} {}",
            run.name,
            Symmetry::of("Theta2", theta[1].view(), LOOSE)
        );
    }

    heading("Accuracy after training");
    println!(
        "  {:<15} {:>11} {:>10} {:>9}  distinct hidden units (Theta1, Theta2)",
        "init", "final cost", "training", "held out"
    );
    for ((run, theta), curve) in RUNS.iter().zip(&trained).zip(&curves) {
        let [s1, s2] = hidden_symmetry(theta);
        println!(
            "  {:<15} {:>11.6} {:>9.1}% {:>8.1}%  {} of 10, {} of 10",
            run.name,
            curve[settings.iterations],
            100.0 * accuracy(theta, x, y),
            100.0 * accuracy(theta, &data.x_test, &data.y_test),
            s1.distinct(),
            s2.distinct()
        );
    }

    // The random initializations over more seeds: not one lucky draw.
    println!();
    println!("final cost of the random initializations over seeds 1-5:");
    for run in RUNS.iter().filter(|r| !r.dashed) {
        let finals: Vec<String> = (1..=5)
            .map(|seed| {
                let theta = train(initial(run.init, seed), x, y, settings, |_, _| {});
                format!("{:.4}", nn_cost(&theta, x, y, settings.lambda).0)
            })
            .collect();
        println!("  {:<15} {}", run.name, finals.join("  "));
    }

    println!();
    for line in [
        "Zero and constant initializations give every unit of a hidden layer the same weights,",
        "so the units compute the same activation, receive the same delta and take the same",
        "step: after training they are still identical, and each hidden layer acts as one unit.",
        "Random initialization (uniform(0.12), Glorot) breaks the symmetry from the first step.",
        "Small random weights pass back small deltas: uniform(0.12) lingers near ln 2 before it",
        "drops, where Glorot's larger weights leave sooner (the `< 0.6 at` row and the plot).",
        "Trained from random weights, units can still end up alike: here (lambda = 1) the units",
        "of Theta2 fall into near-copies of two kinds, each the negative of the other, which",
        "Theta3 weighs with opposite signs (sigmoid(-z) = 1 - sigmoid(z): the same signal).",
        "They are close, not identical: redundancy learned from the data, not symmetry kept",
        "from the start.",
    ] {
        println!("{line}");
    }

    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| "target".into())
        .join("gradcheck");
    let path = dir.join("initialization.svg");
    let svg = plot(&curves);
    match std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, svg)) {
        Ok(()) => println!("\nplot of the cost curves: {}", path.display()),
        Err(e) => println!("\nplot not written to {}: {e}", path.display()),
    }
    println!("total run time {:.2} s", total.elapsed().as_secs_f64());
}

/// A tick step of 1, 2 or 5 times a power of ten giving at most 8 ticks.
fn tick_step(span: f64) -> f64 {
    let base = 10f64.powf((span / 8.0).log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * base)
        .find(|step| span / step <= 8.0)
        .unwrap_or(10.0 * base)
}

/// The cost curves as an SVG line plot: iteration (log scale, from 1)
/// against cost, one line per initialization (dashed for the symmetric
/// ones), with a legend.
fn plot(curves: &[Vec<f64>]) -> String {
    let (w, h) = (720.0, 440.0);
    let (left, right, top, bottom) = (70.0, 20.0, 40.0, 50.0);
    let n = curves.iter().map(Vec::len).max().unwrap_or(1).max(2) - 1;
    let (lo, hi) = curves
        .iter()
        .flatten()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &c| {
            (a.min(c), b.max(c))
        });
    let y_step = tick_step(hi - lo);
    let (y_lo, y_hi) = (
        (lo / y_step).floor() * y_step,
        (hi / y_step).ceil() * y_step,
    );
    // Iterations on a log scale, from 1: the first hundred steps decide.
    let x_hi = (n as f64).log10();
    let sx = |i: f64| left + i.log10() / x_hi * (w - left - right);
    let sy = |y: f64| top + (y_hi - y) / (y_hi - y_lo) * (h - top - bottom);

    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" \
         font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{}\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">training cost by \
         initialization (10-10-10-1 sigmoid network, diabetes)</text>\n",
        w / 2.0
    );
    let mut decade = 1;
    while decade <= n {
        for m in 1..10 {
            let i = m * decade;
            if i > n {
                break;
            }
            let px = sx(i as f64);
            let (stroke, label) = if m == 1 || i == n {
                ("#ccc", format!("{i}"))
            } else {
                ("#eee", String::new())
            };
            svg += &format!(
                "<line x1=\"{px:.1}\" y1=\"{top}\" x2=\"{px:.1}\" y2=\"{}\" stroke=\"{stroke}\"/>\n\
                 <text x=\"{px:.1}\" y=\"{}\" text-anchor=\"middle\">{label}</text>\n",
                h - bottom,
                h - bottom + 16.0
            );
        }
        decade *= 10;
    }
    let ticks = ((y_hi - y_lo) / y_step).round() as usize;
    for k in 0..=ticks {
        let y = y_lo + k as f64 * y_step;
        let py = sy(y);
        svg += &format!(
            "<line x1=\"{left}\" y1=\"{py:.1}\" x2=\"{}\" y2=\"{py:.1}\" stroke=\"#ddd\"/>\n\
             <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{y:.2}</text>\n",
            w - right,
            left - 6.0,
            py + 4.0
        );
    }
    svg += &format!(
        "<line x1=\"{left}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#444\"/>\n\
         <line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{}\" stroke=\"#444\"/>\n\
         <text x=\"{}\" y=\"{}\" text-anchor=\"middle\">iteration (log scale)</text>\n\
         <text x=\"16\" y=\"{}\" text-anchor=\"middle\" transform=\"rotate(-90 16 {})\">\
         cost J(theta)</text>\n",
        h - bottom,
        w - right,
        h - bottom,
        h - bottom,
        (left + w - right) / 2.0,
        h - 10.0,
        h / 2.0,
        h / 2.0
    );
    for (run, curve) in RUNS.iter().zip(curves) {
        // From iteration 1: every one of the first 100, then every 5th,
        // and the last.
        let points: Vec<String> = curve
            .iter()
            .enumerate()
            .skip(1)
            .filter(|(i, _)| *i < 100 || i % 5 == 0 || *i + 1 == curve.len())
            .map(|(i, &c)| format!("{:.1},{:.1}", sx(i as f64), sy(c)))
            .collect();
        let dash = if run.dashed {
            " stroke-dasharray=\"8 4\""
        } else {
            ""
        };
        svg += &format!(
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"{dash}/>\n",
            points.join(" "),
            run.color
        );
    }
    // Legend, top right.
    let (lx, ly) = (w - right - 190.0, top + 10.0);
    svg += &format!(
        "<rect x=\"{lx}\" y=\"{ly}\" width=\"180\" height=\"{}\" fill=\"white\" \
         stroke=\"#aaa\"/>\n",
        12.0 + 20.0 * RUNS.len() as f64
    );
    for (k, run) in RUNS.iter().enumerate() {
        let y = ly + 18.0 + 20.0 * k as f64;
        let dash = if run.dashed {
            " stroke-dasharray=\"8 4\""
        } else {
            ""
        };
        svg += &format!(
            "<line x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"{}\" stroke-width=\"2\"{dash}/>\n\
             <text x=\"{}\" y=\"{}\">{}</text>\n",
            lx + 10.0,
            lx + 40.0,
            run.color,
            lx + 48.0,
            y + 4.0,
            run.name
        );
    }
    svg += "</svg>\n";
    svg
}
