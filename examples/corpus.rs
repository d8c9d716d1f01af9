//! Runs the corpus of public gradient bugs and checker pitfalls (the same
//! cases as `tests/test_corpus.rs`) and prints, per case, the verdict
//! expected and reached, the relative difference and the evaluations spent,
//! with totals; then checks correct gradients of smooth and kinked costs at
//! 10,000 random points (exact zeros and ties included) and counts false
//! alarms.
//!
//! Run with `cargo run --release --example corpus`.

#[path = "../tests/corpus/mod.rs"]
mod corpus;

use std::time::Instant;

use corpus::{all, random_check, random_correct, Draws, Expect, RANDOM_COSTS};
use gradcheck::Verdict;

fn main() {
    let cases = all();
    println!(
        "{:<5} {:<50} {:>12} {:>13} {:>10} {:>6}  ok",
        "case", "variant", "expected", "got", "rel diff", "evals"
    );
    let mut totals = [(0, 0); 3]; // (met, of) for Fail, Pass, Undecidable
    for case in &cases {
        let report = (case.run)();
        let met = case.expect.met_by(report.verdict);
        let slot = match case.expect {
            Expect::Fail => 0,
            Expect::Pass => 1,
            Expect::Undecidable => 2,
        };
        totals[slot].1 += 1;
        if met {
            totals[slot].0 += 1;
        }
        let expected = match case.expect {
            Expect::Fail => "MUST_FAIL",
            Expect::Pass => "MUST_PASS",
            Expect::Undecidable => "KINK/REFUSE",
        };
        println!(
            "{:<5} {:<50} {:>12} {:>13} {:>10.3e} {:>6}  {}",
            case.id,
            case.variant,
            expected,
            report.verdict.to_string(),
            report.relative_difference,
            report.evaluations,
            if met { "yes" } else { "NO" }
        );
    }
    println!();
    println!(
        "bugs caught:           {} / {} MUST_FAIL",
        totals[0].0, totals[0].1
    );
    println!(
        "false alarms:          {} / {} MUST_PASS",
        totals[1].1 - totals[1].0,
        totals[1].1
    );
    println!(
        "kinks and refusals reported: {} / {} KINK",
        totals[2].0, totals[2].1
    );

    let draws_total = 10_000;
    println!("\ncorrect gradients at {draws_total} random points (uniform at scales 0.12, 1, 5; a third with exact zeros, a third with ties):");
    println!(
        "{:<24} {:>7} {:>7} {:>13} {:>12} {:>12}",
        "cost", "draws", "pass", "inconclusive", "FALSE ALARM", "evals/draw"
    );
    let mut draws = Draws::new(7);
    let mut rows = vec![(0usize, 0usize, 0usize, 0usize, 0usize); RANDOM_COSTS.len()];
    let start = Instant::now();
    for i in 0..draws_total {
        let k = i % RANDOM_COSTS.len();
        let report = random_correct(k, &mut draws);
        let row = &mut rows[k];
        row.0 += 1;
        row.4 += report.evaluations;
        match report.verdict {
            Verdict::Pass => row.1 += 1,
            Verdict::Inconclusive => row.2 += 1,
            Verdict::Fail => {
                row.3 += 1;
                println!("false alarm on {}:\n{report}", RANDOM_COSTS[k]);
            }
        }
    }
    let elapsed = start.elapsed();
    let mut sum = (0, 0, 0, 0);
    for (name, r) in RANDOM_COSTS.iter().zip(&rows) {
        println!(
            "{:<24} {:>7} {:>7} {:>13} {:>12} {:>12.1}",
            name,
            r.0,
            r.1,
            r.2,
            r.3,
            r.4 as f64 / r.0 as f64
        );
        sum = (sum.0 + r.0, sum.1 + r.1, sum.2 + r.2, sum.3 + r.3);
    }
    println!(
        "{:<24} {:>7} {:>7} {:>13} {:>12}",
        "total", sum.0, sum.1, sum.2, sum.3
    );
    println!(
        "false alarms: {} of {} draws ({:.1} s)",
        sum.3,
        sum.0,
        elapsed.as_secs_f64()
    );

    // The same network with the naive cross-entropy of the case, which
    // saturates in floating point once |z| exceeds about 36 (at the larger
    // draw scales): its computed cost is flat where its formula is not.
    let mut draws = Draws::new(13);
    let (mut pass, mut inconclusive, mut fail) = (0, 0, 0);
    for _ in 0..1000 {
        let t = draws.params(11);
        let p = vec![
            gradcheck::ndarray::Array2::from_shape_vec((2, 3), t[0..6].to_vec()).unwrap(),
            gradcheck::ndarray::Array2::from_shape_vec((2, 1), t[6..8].to_vec()).unwrap(),
            gradcheck::ndarray::Array2::from_shape_vec((1, 2), t[8..10].to_vec()).unwrap(),
            gradcheck::ndarray::Array2::from_shape_vec((1, 1), t[10..11].to_vec()).unwrap(),
        ];
        match gradcheck::check(&p, corpus::gb05(false), &gradcheck::Config::new()).verdict {
            Verdict::Pass => pass += 1,
            Verdict::Inconclusive => inconclusive += 1,
            Verdict::Fail => fail += 1,
        }
    }
    println!(
        "ReLU network with the naive log(1 - sigmoid(z)) of the case, 1000 draws: {pass} pass, \
         {inconclusive} inconclusive, {fail} fail where the cost saturates (the report names \
         saturation as a cause)"
    );

    for factor in [1.01, 1.0 + 1e-6] {
        println!(
            "\nthe same costs with the largest gradient entry multiplied by {factor} (a planted bug), {draws_total} random points:"
        );
        println!(
            "{:<24} {:>7} {:>7} {:>13} {:>12}",
            "cost", "draws", "caught", "inconclusive", "MISSED"
        );
        let mut draws = Draws::new(11);
        let mut rows = vec![(0usize, 0usize, 0usize, 0usize); RANDOM_COSTS.len()];
        for i in 0..draws_total {
            let k = i % RANDOM_COSTS.len();
            let report = random_check(k, &mut draws, factor);
            let row = &mut rows[k];
            row.0 += 1;
            match report.verdict {
                Verdict::Fail => row.1 += 1,
                Verdict::Inconclusive => row.2 += 1,
                Verdict::Pass => row.3 += 1,
            }
        }
        let mut sum = (0, 0, 0, 0);
        for (name, r) in RANDOM_COSTS.iter().zip(&rows) {
            println!("{:<24} {:>7} {:>7} {:>13} {:>12}", name, r.0, r.1, r.2, r.3);
            sum = (sum.0 + r.0, sum.1 + r.1, sum.2 + r.2, sum.3 + r.3);
        }
        println!(
            "{:<24} {:>7} {:>7} {:>13} {:>12}",
            "total", sum.0, sum.1, sum.2, sum.3
        );
    }
}
