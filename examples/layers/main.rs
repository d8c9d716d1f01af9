//! Four layers with hand-written backward passes, each checked with
//! `gradcheck::check_layer` as written and with a realistic bug planted:
//!
//! | layer | planted bugs |
//! |---|---|
//! | softmax cross-entropy (mean over the batch) | gradient not divided by the batch size; one-hot not subtracted |
//! | layer normalization (gain and bias) | the mean term dropped; the variance term dropped |
//! | 1-D convolution (stride 2, padding 1) | input gradient ignores the padding offset; ignores the stride |
//! | 1-D max-pooling (window 3, stride 2) | gradient overwritten instead of accumulated |
//!
//! The layers live in one module each, shared with
//! `tests/test_layer_examples.rs` through `#[path]`. Inputs and parameters
//! are drawn with `gradcheck::Init` from a fixed seed. A correct layer's
//! report is the table of what was checked; a buggy layer's report adds the
//! first failing check in full, naming the wrong entries.
//!
//! Run with `cargo run --release --example layers`. It exits with an error
//! if a correct layer does not pass or a planted bug is not caught.

mod conv1d;
mod layer_norm;
mod max_pool;
mod softmax_xent;

use std::process::ExitCode;
use std::time::Instant;

use gradcheck::{check_layer, Layer, LayerConfig, Verdict};

/// The seed of every random input and parameter.
const SEED: u64 = 1;

/// One layer check: what was checked, what it should give, what it gave.
struct Outcome {
    name: String,
    expected: Verdict,
    got: Verdict,
}

/// A layer configuration whose reports call the layer `label` and its
/// parameters `param`.
fn config(label: &str, param: &str) -> LayerConfig {
    let mut config = LayerConfig::new().label(label);
    config.check = config.check.param(param);
    config
}

/// Checks one layer, prints its report, and records the outcome.
fn run<L: Layer>(
    outcomes: &mut Vec<Outcome>,
    name: &str,
    layer: &L,
    (input, params): (&L::Input, &L::Params),
    config: &LayerConfig,
    expected: Verdict,
) {
    let what = if expected == Verdict::Pass {
        "correct".to_string()
    } else {
        format!("planted bug `{name}`")
    };
    println!("--- {what}");
    let report = check_layer(layer, input, params, config);
    println!("{}\n", report.to_string().trim_end());
    outcomes.push(Outcome {
        name: name.to_string(),
        expected,
        got: report.verdict,
    });
}

fn main() -> ExitCode {
    let start = Instant::now();
    let mut outcomes = Vec::new();
    let fail = Verdict::Fail;

    let (m, k) = softmax_xent::SHAPE;
    println!("=== softmax cross-entropy: {m} examples x {k} classes, mean loss (0-d output)\n");
    let cfg = config("softmax-xent", "params");
    for (name, bug, expected) in [
        ("softmax-xent", softmax_xent::Bug::None, Verdict::Pass),
        ("softmax-xent: no 1/m", softmax_xent::Bug::NoBatchMean, fail),
        (
            "softmax-xent: no one-hot",
            softmax_xent::Bug::NoOneHot,
            fail,
        ),
    ] {
        let (layer, z) = softmax_xent::random_case(SEED, bug);
        if bug == softmax_xent::Bug::None {
            println!("labels {:?}", layer.labels);
        }
        run(&mut outcomes, name, &layer, (&z, &[]), &cfg, expected);
    }

    let (n, d) = layer_norm::SHAPE;
    println!("=== layer normalization: {n} x {d} input, over the last axis, eps = 1e-5\n");
    let cfg = config("layer norm", "ln");
    let (x, affine) = layer_norm::random_case::<f64>(SEED);
    for (name, bug, expected) in [
        ("layer norm", layer_norm::Bug::None, Verdict::Pass),
        (
            "layer norm: no mean term",
            layer_norm::Bug::NoMeanTerm,
            fail,
        ),
        (
            "layer norm: no variance term",
            layer_norm::Bug::NoVarianceTerm,
            fail,
        ),
    ] {
        let layer = layer_norm::LayerNorm { eps: 1e-5, bug };
        run(&mut outcomes, name, &layer, (&x, &affine), &cfg, expected);
    }

    let [batch, in_ch, len, out_ch, kernel, stride, padding] = conv1d::SIZES;
    println!(
        "=== 1-D convolution: x {batch} x {in_ch} x {len}, weights {out_ch} x {in_ch} x {kernel}, \
         stride {stride}, padding {padding}\n"
    );
    let cfg = config("conv1d", "conv");
    let (x, conv) = conv1d::random_case(SEED);
    for (name, bug, expected) in [
        ("conv1d", conv1d::Bug::None, Verdict::Pass),
        ("conv1d: padding ignored", conv1d::Bug::IgnorePadding, fail),
        ("conv1d: stride ignored", conv1d::Bug::IgnoreStride, fail),
    ] {
        let layer = conv1d::Conv1d { bug };
        run(&mut outcomes, name, &layer, (&x, &conv), &cfg, expected);
    }

    let (batch, channels, len) = max_pool::SHAPE;
    println!("=== 1-D max-pooling: x {batch} x {channels} x {len}, window 3, stride 2\n");
    let cfg = config("max-pool", "params");
    let x = max_pool::random_input(SEED);
    for (name, bug, expected) in [
        ("max-pool", max_pool::Bug::None, Verdict::Pass),
        ("max-pool: overwrite", max_pool::Bug::Overwrite, fail),
    ] {
        let layer = max_pool::MaxPool1d {
            window: 3,
            stride: 2,
            bug,
        };
        run(&mut outcomes, name, &layer, (&x, &[]), &cfg, expected);
    }

    let verdicts: Vec<String> = outcomes
        .iter()
        .map(|o| format!("{} {}", o.name, o.got))
        .collect();
    let unexpected: Vec<&Outcome> = outcomes.iter().filter(|o| o.got != o.expected).collect();
    println!("summary: {}", verdicts.join("; "));
    println!(
        "{} checks in {:.2} s: {}",
        outcomes.len(),
        start.elapsed().as_secs_f64(),
        if unexpected.is_empty() {
            "every correct layer passed and every planted bug failed".to_string()
        } else {
            let names: Vec<String> = unexpected
                .iter()
                .map(|o| format!("{} (expected {})", o.name, o.expected))
                .collect();
            format!("UNEXPECTED: {}", names.join(", "))
        }
    );
    if unexpected.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
