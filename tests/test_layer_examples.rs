//! The layers of `examples/layers`, each checked with `check_layer`: the
//! correct backward passes pass at several seeds, and every planted bug fails
//! with a report that names the wrong tensor.

#[path = "../examples/layers/conv1d.rs"]
mod conv1d;
#[path = "../examples/layers/layer_norm.rs"]
mod layer_norm;
#[path = "../examples/layers/max_pool.rs"]
mod max_pool;
#[path = "../examples/layers/softmax_xent.rs"]
mod softmax_xent;

use std::collections::BTreeSet;

use gradcheck::{check_layer, LayerConfig, LayerReport, Status, Verdict};

const SEEDS: [u64; 4] = [1, 2, 3, 4];

fn config(label: &str, param: &str) -> LayerConfig {
    let mut config = LayerConfig::new().label(label);
    config.check = config.check.param(param);
    config
}

/// The names of the entries that disagree in the first backward check that
/// fails.
fn disagreeing(report: &LayerReport) -> BTreeSet<String> {
    let (what, failed) = report
        .parts
        .iter()
        .find(|(_, r)| r.verdict == Verdict::Fail)
        .expect("a failing part");
    assert!(what.starts_with("backward, cotangent"), "{what}");
    failed
        .components
        .iter()
        .filter(|c| c.status == Status::Disagree)
        .map(|c| c.name.clone())
        .collect()
}

/// Asserts a failure whose disagreeing entries all belong to the input `x`.
fn assert_fails_in_x(report: &LayerReport) -> BTreeSet<String> {
    assert_eq!(report.verdict, Verdict::Fail, "{report}");
    let bad = disagreeing(report);
    assert!(!bad.is_empty(), "{report}");
    assert!(bad.iter().all(|name| name.starts_with("x[")), "{report}");
    bad
}

#[test]
fn softmax_xent_passes_at_several_seeds() {
    for seed in SEEDS {
        let (layer, z) = softmax_xent::random_case(seed, softmax_xent::Bug::None);
        let report = check_layer(&layer, &z, &[], &config("softmax-xent", "params"));
        assert!(report.passed(), "seed {seed}: {report}");
    }
}

#[test]
fn softmax_xent_without_the_batch_mean_is_a_scale_error_on_every_logit() {
    let (m, k) = softmax_xent::SHAPE;
    for seed in SEEDS {
        let (layer, z) = softmax_xent::random_case(seed, softmax_xent::Bug::NoBatchMean);
        let report = check_layer(&layer, &z, &[], &config("softmax-xent", "params"));
        let bad = assert_fails_in_x(&report);
        assert_eq!(bad.len(), m * k, "{report}");
        let factor = format!("every disagreeing entry is {m}.0000x the numeric value");
        assert!(report.to_string().contains(&factor), "{report}");
    }
}

#[test]
fn softmax_xent_without_the_one_hot_is_wrong_exactly_at_the_labels() {
    for seed in SEEDS {
        let (layer, z) = softmax_xent::random_case(seed, softmax_xent::Bug::NoOneHot);
        let report = check_layer(&layer, &z, &[], &config("softmax-xent", "params"));
        let bad = assert_fails_in_x(&report);
        let labels: BTreeSet<String> = layer
            .labels
            .iter()
            .enumerate()
            .map(|(b, y)| format!("x[{b}, {y}]"))
            .collect();
        assert_eq!(bad, labels, "{report}");
    }
}

#[test]
fn layer_norm_passes_at_several_seeds() {
    for seed in SEEDS {
        let (x, affine) = layer_norm::random_case::<f64>(seed);
        let layer = layer_norm::LayerNorm {
            eps: 1e-5,
            bug: layer_norm::Bug::None,
        };
        let report = check_layer(&layer, &x, &affine, &config("layer norm", "ln"));
        assert!(report.passed(), "seed {seed}: {report}");
    }
}

#[test]
fn layer_norm_passes_in_f32() {
    for seed in SEEDS {
        let (x, affine) = layer_norm::random_case::<f32>(seed);
        let layer = layer_norm::LayerNorm {
            eps: 1e-5f32,
            bug: layer_norm::Bug::None,
        };
        let report = check_layer(&layer, &x, &affine, &config("layer norm", "ln"));
        assert!(report.passed(), "seed {seed}: {report}");
        assert_eq!(report.parts[0].1.scalar, "f32");
    }
    // And a planted bug is still caught at f32 precision.
    let (x, affine) = layer_norm::random_case::<f32>(1);
    let layer = layer_norm::LayerNorm {
        eps: 1e-5f32,
        bug: layer_norm::Bug::NoVarianceTerm,
    };
    let report = check_layer(&layer, &x, &affine, &config("layer norm", "ln"));
    assert_fails_in_x(&report);
}

#[test]
fn layer_norm_bugs_fail_in_x_while_gain_and_bias_agree() {
    for bug in [layer_norm::Bug::NoMeanTerm, layer_norm::Bug::NoVarianceTerm] {
        for seed in SEEDS {
            let (x, affine) = layer_norm::random_case::<f64>(seed);
            let layer = layer_norm::LayerNorm { eps: 1e-5, bug };
            let report = check_layer(&layer, &x, &affine, &config("layer norm", "ln"));
            assert_fails_in_x(&report);
            let text = report.to_string();
            assert!(
                text.contains("confined to x"),
                "{bug:?}, seed {seed}: {text}"
            );
            assert!(text.contains("ln.gain, ln.bias agree"), "{text}");
            // Small enough for the Jacobian to be checked row by row.
            assert!(text.contains("Jacobian row y["), "{text}");
        }
    }
}

#[test]
fn conv1d_passes_at_several_seeds() {
    for seed in SEEDS {
        let (x, conv) = conv1d::random_case(seed);
        let layer = conv1d::Conv1d {
            bug: conv1d::Bug::None,
        };
        let report = check_layer(&layer, &x, &conv, &config("conv1d", "conv"));
        assert!(report.passed(), "seed {seed}: {report}");
    }
}

#[test]
fn conv1d_bugs_fail_in_x_while_weight_and_bias_agree() {
    for bug in [conv1d::Bug::IgnorePadding, conv1d::Bug::IgnoreStride] {
        for seed in SEEDS {
            let (x, conv) = conv1d::random_case(seed);
            let report = check_layer(
                &conv1d::Conv1d { bug },
                &x,
                &conv,
                &config("conv1d", "conv"),
            );
            assert_fails_in_x(&report);
            let text = report.to_string();
            assert!(
                text.contains("confined to x"),
                "{bug:?}, seed {seed}: {text}"
            );
            assert!(text.contains("conv.weight, conv.bias agree"), "{text}");
        }
    }
}

#[test]
fn conv1d_bugs_are_invisible_where_the_geometry_hides_them() {
    // Without padding the padding offset is 0, and at stride 1 the stride
    // is 1: the buggy input gradients are then right, and pass.
    let (x, conv) = conv1d::random_case(1);
    let unpadded = conv1d::Conv1dParams {
        padding: 0,
        ..conv.clone()
    };
    let layer = conv1d::Conv1d {
        bug: conv1d::Bug::IgnorePadding,
    };
    let report = check_layer(&layer, &x, &unpadded, &config("conv1d", "conv"));
    assert!(report.passed(), "{report}");
    let unit_stride = conv1d::Conv1dParams { stride: 1, ..conv };
    let layer = conv1d::Conv1d {
        bug: conv1d::Bug::IgnoreStride,
    };
    let report = check_layer(&layer, &x, &unit_stride, &config("conv1d", "conv"));
    assert!(report.passed(), "{report}");
}

fn pool(window: usize, stride: usize, bug: max_pool::Bug) -> max_pool::MaxPool1d {
    max_pool::MaxPool1d {
        window,
        stride,
        bug,
    }
}

#[test]
fn max_pool_passes_at_several_seeds() {
    for seed in SEEDS {
        let x = max_pool::random_input(seed);
        let report = check_layer(
            &pool(3, 2, max_pool::Bug::None),
            &x,
            &[],
            &config("max-pool", "params"),
        );
        assert!(report.passed(), "seed {seed}: {report}");
    }
}

#[test]
fn max_pool_overwriting_fails_where_windows_overlap() {
    let layer = pool(3, 2, max_pool::Bug::Overwrite);
    let len = max_pool::SHAPE.2;
    // Positions covered by two windows: the starts of windows 1, 2, ...
    let shared: BTreeSet<usize> = (1..layer.out_len(len)).map(|t| t * 2).collect();
    for seed in SEEDS {
        let x = max_pool::random_input(seed);
        let report = check_layer(&layer, &x, &[], &config("max-pool", "params"));
        for name in assert_fails_in_x(&report) {
            let position: usize = name
                .trim_end_matches(']')
                .rsplit(", ")
                .next()
                .and_then(|p| p.parse().ok())
                .expect("a 3-D index");
            assert!(shared.contains(&position), "{name}: {report}");
        }
    }
    // With disjoint windows, overwriting is right.
    let x = max_pool::random_input(1);
    let report = check_layer(
        &pool(3, 3, max_pool::Bug::Overwrite),
        &x,
        &[],
        &config("max-pool", "params"),
    );
    assert!(report.passed(), "{report}");
}
