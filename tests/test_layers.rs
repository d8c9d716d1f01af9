//! Layer checks: hand-written backward passes with the bugs that public
//! reports describe, each caught through random uneven cotangents, and the
//! correct versions passing.

use gradcheck::layer::{check_hvp, check_layer, Layer, LayerConfig};
use gradcheck::ndarray::{array, Array1, Array2, Axis};
use gradcheck::{check, gradcheck, Config, Params, Verdict};

fn config(label: &str) -> LayerConfig {
    LayerConfig::new().label(label)
}

// GB01: an activation whose backward pass ignores the incoming gradient.

struct Isrlu {
    drop_cotangent: bool,
}

fn isrlu(x: f64) -> f64 {
    if x < 0.0 {
        x / (1.0 + x * x).sqrt()
    } else {
        x
    }
}

impl Layer for Isrlu {
    type Input = Array1<f64>;
    type Params = [f64; 0];
    type Output = Array1<f64>;

    fn forward(&self, x: &Array1<f64>, _: &[f64; 0]) -> Array1<f64> {
        x.mapv(isrlu)
    }

    fn backward(&self, x: &Array1<f64>, _: &[f64; 0], dy: &Array1<f64>) -> (Array1<f64>, [f64; 0]) {
        let local = x.mapv(|v| (1.0 + v.min(0.0).powi(2)).powf(-1.5));
        if self.drop_cotangent {
            (local, [])
        } else {
            (local * dy, [])
        }
    }
}

#[test]
fn gb01_a_dropped_cotangent_is_caught() {
    let x = array![-1.3, 0.4, -0.2, 2.1, -0.05, 0.9];
    let report = check_layer(
        &Isrlu {
            drop_cotangent: true,
        },
        &x,
        &[],
        &config("isrlu"),
    );
    assert_eq!(report.verdict, Verdict::Fail, "{report}");
    assert!(report.to_string().contains("x[0]"), "{report}");
    assert!(
        report.to_string().contains("ignores the upstream gradient"),
        "{report}"
    );
    let report = check_layer(
        &Isrlu {
            drop_cotangent: false,
        },
        &x,
        &[],
        &config("isrlu"),
    );
    assert!(report.passed(), "{report}");
}

// GB06: softmax whose backward keeps only the Jacobian's diagonal.

struct Softmax {
    diagonal_only: bool,
}

fn softmax(x: &Array1<f64>) -> Array1<f64> {
    let m = x.fold(f64::NEG_INFINITY, |a, &b| a.max(b));
    let e = x.mapv(|v| (v - m).exp());
    let s = e.sum();
    e / s
}

impl Layer for Softmax {
    type Input = Array1<f64>;
    type Params = [f64; 0];
    type Output = Array1<f64>;

    fn forward(&self, x: &Array1<f64>, _: &[f64; 0]) -> Array1<f64> {
        softmax(x)
    }

    fn backward(&self, x: &Array1<f64>, _: &[f64; 0], dy: &Array1<f64>) -> (Array1<f64>, [f64; 0]) {
        let p = softmax(x);
        if self.diagonal_only {
            (&p * &(1.0 - &p) * dy, [])
        } else {
            let inner = p.dot(dy);
            (&p * &(dy - inner), [])
        }
    }
}

#[test]
fn gb06_a_diagonal_only_softmax_is_caught_where_a_sum_test_is_blind() {
    let x = array![0.3, -1.2, 2.0, 0.5];
    let report = check_layer(
        &Softmax {
            diagonal_only: true,
        },
        &x,
        &[],
        &config("softmax"),
    );
    assert_eq!(report.verdict, Verdict::Fail, "{report}");
    // The small layer's Jacobian is checked row by row, naming the outputs.
    assert!(report.to_string().contains("Jacobian row y[0]"), "{report}");
    let report = check_layer(
        &Softmax {
            diagonal_only: false,
        },
        &x,
        &[],
        &config("softmax"),
    );
    assert!(report.passed(), "{report}");

    // The all-ones projection: Σ softmax ≡ 1, so its gradient is zero, and a
    // missing backward pass (zeros) passes it. Uneven cotangents do not.
    let missing = |x: &Array1<f64>| (softmax(x).sum(), Array1::<f64>::zeros(4));
    assert_eq!(check(&x, missing, &Config::new()).verdict, Verdict::Pass);
}

// GB11: batch normalization whose input gradient forgets γ.

#[derive(Clone, Debug, Params)]
struct Affine {
    gamma: Array1<f64>,
    beta: Array1<f64>,
}

struct BatchNorm {
    forget_gamma: bool,
}

fn normalize(x: &Array2<f64>) -> (Array2<f64>, Array1<f64>) {
    let mu = x.mean_axis(Axis(0)).unwrap();
    let var = (x - &mu).mapv(|v| v * v).mean_axis(Axis(0)).unwrap();
    let inv = var.mapv(|v| 1.0 / (v + 1e-5).sqrt());
    ((x - &mu) * &inv, inv)
}

impl Layer for BatchNorm {
    type Input = Array2<f64>;
    type Params = Affine;
    type Output = Array2<f64>;

    fn forward(&self, x: &Array2<f64>, p: &Affine) -> Array2<f64> {
        normalize(x).0 * &p.gamma + &p.beta
    }

    fn backward(&self, x: &Array2<f64>, p: &Affine, dy: &Array2<f64>) -> (Array2<f64>, Affine) {
        let (xhat, inv) = normalize(x);
        let n = x.nrows() as f64;
        let dxhat = if self.forget_gamma {
            dy.clone()
        } else {
            dy * &p.gamma
        };
        let s1 = dxhat.sum_axis(Axis(0));
        let s2 = (&dxhat * &xhat).sum_axis(Axis(0));
        let dx = (&dxhat * n - &s1 - &xhat * &s2) * &inv / n;
        let grads = Affine {
            gamma: (dy * &xhat).sum_axis(Axis(0)),
            beta: dy.sum_axis(Axis(0)),
        };
        (dx, grads)
    }
}

#[test]
fn gb11_batch_norm_forgetting_gamma_is_caught_and_named() {
    let x = array![[0.5, -1.2], [1.5, 0.3], [-0.7, 0.8], [0.2, 2.0]];
    let affine = Affine {
        gamma: array![1.5, -0.7],
        beta: array![0.1, 0.2],
    };
    let mut cfg = config("batch norm");
    cfg.check = cfg.check.param("bn");
    let report = check_layer(&BatchNorm { forget_gamma: true }, &x, &affine, &cfg);
    assert_eq!(report.verdict, Verdict::Fail, "{report}");
    let text = report.to_string();
    assert!(text.contains("confined to x"), "{text}");
    assert!(text.contains("bn.gamma, bn.beta agree"), "{text}");
    let report = check_layer(
        &BatchNorm {
            forget_gamma: false,
        },
        &x,
        &affine,
        &cfg,
    );
    assert!(report.passed(), "{report}");
}

// GB13: overlapping max-pool whose backward overwrites instead of adding.

struct MaxPool {
    window: usize,
    stride: usize,
    overwrite: bool,
}

impl MaxPool {
    fn windows(&self, n: usize) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
        (0..)
            .map(move |k| k * self.stride)
            .take_while(move |s| s + self.window <= n)
            .map(move |s| s..s + self.window)
    }

    fn argmax(x: &Array1<f64>, r: std::ops::Range<usize>) -> usize {
        r.clone()
            .fold(r.start, |best, i| if x[i] > x[best] { i } else { best })
    }
}

impl Layer for MaxPool {
    type Input = Array1<f64>;
    type Params = [f64; 0];
    type Output = Array1<f64>;

    fn forward(&self, x: &Array1<f64>, _: &[f64; 0]) -> Array1<f64> {
        self.windows(x.len())
            .map(|r| x[MaxPool::argmax(x, r)])
            .collect()
    }

    fn backward(&self, x: &Array1<f64>, _: &[f64; 0], dy: &Array1<f64>) -> (Array1<f64>, [f64; 0]) {
        let mut dx = Array1::zeros(x.len());
        for (k, r) in self.windows(x.len()).enumerate() {
            let i = MaxPool::argmax(x, r);
            if self.overwrite {
                dx[i] = dy[k];
            } else {
                dx[i] += dy[k];
            }
        }
        (dx, [])
    }
}

#[test]
fn gb13_overlapping_max_pool_must_accumulate() {
    let x = array![1.0, 4.0, 2.0, 0.5, 3.0];
    let overlapping = |overwrite| MaxPool {
        window: 2,
        stride: 1,
        overwrite,
    };
    let report = check_layer(&overlapping(true), &x, &[], &config("max-pool"));
    assert_eq!(report.verdict, Verdict::Fail, "{report}");
    assert!(report.to_string().contains("x[1]"), "{report}");
    assert!(check_layer(&overlapping(false), &x, &[], &config("max-pool")).passed());
    // Without overlap the overwriting code is right, and passes.
    let disjoint = MaxPool {
        window: 2,
        stride: 2,
        overwrite: true,
    };
    assert!(check_layer(&disjoint, &x, &[], &config("max-pool")).passed());
}

// GB23: a gradient formula right only for symmetric matrices.

struct QuadraticForm {
    assume_symmetric: bool,
}

impl Layer for QuadraticForm {
    type Input = Array1<f64>;
    type Params = Array2<f64>;
    type Output = Array1<f64>;

    fn forward(&self, x: &Array1<f64>, a: &Array2<f64>) -> Array1<f64> {
        array![0.5 * x.dot(&a.dot(x))]
    }

    fn backward(
        &self,
        x: &Array1<f64>,
        a: &Array2<f64>,
        dy: &Array1<f64>,
    ) -> (Array1<f64>, Array2<f64>) {
        let dx = if self.assume_symmetric {
            a.dot(x)
        } else {
            (a.dot(x) + a.t().dot(x)) / 2.0
        };
        let outer = x
            .view()
            .insert_axis(Axis(1))
            .dot(&x.view().insert_axis(Axis(0)));
        (dx * dy[0], outer * (0.5 * dy[0]))
    }
}

#[test]
fn gb23_symmetric_only_formula_is_caught_for_non_symmetric_matrices() {
    let x = array![0.4, -0.7, 1.2];
    let a = array![[2.0, 0.5, -1.0], [1.5, 3.0, 0.2], [0.0, -0.8, 1.0]];
    let report = check_layer(
        &QuadraticForm {
            assume_symmetric: true,
        },
        &x,
        &a,
        &config("xᵀAx/2"),
    );
    assert_eq!(report.verdict, Verdict::Fail, "{report}");
    let symmetric = (&a + &a.t()) / 2.0;
    let report = check_layer(
        &QuadraticForm {
            assume_symmetric: true,
        },
        &x,
        &symmetric,
        &config("q"),
    );
    assert!(report.passed(), "{report}");
    let report = check_layer(
        &QuadraticForm {
            assume_symmetric: false,
        },
        &x,
        &a,
        &config("q"),
    );
    assert!(report.passed(), "{report}");
}

// A parameter used twice (tied weights): its gradient must add both uses.

struct Tied {
    overwrite: bool,
}

impl Layer for Tied {
    type Input = Array1<f64>;
    type Params = Array2<f64>;
    type Output = Array1<f64>;

    /// y = W tanh(W x)
    fn forward(&self, x: &Array1<f64>, w: &Array2<f64>) -> Array1<f64> {
        w.dot(&w.dot(x).mapv(f64::tanh))
    }

    fn backward(
        &self,
        x: &Array1<f64>,
        w: &Array2<f64>,
        dy: &Array1<f64>,
    ) -> (Array1<f64>, Array2<f64>) {
        let h = w.dot(x).mapv(f64::tanh);
        let outer = |a: &Array1<f64>, b: &Array1<f64>| {
            a.view()
                .insert_axis(Axis(1))
                .dot(&b.view().insert_axis(Axis(0)))
        };
        let second_use = outer(dy, &h);
        let dz = w.t().dot(dy) * h.mapv(|v| 1.0 - v * v);
        let first_use = outer(&dz, x);
        let dw = if self.overwrite {
            first_use
        } else {
            first_use + second_use
        };
        (w.t().dot(&dz), dw)
    }
}

#[test]
fn a_parameter_used_twice_needs_both_gradients_added() {
    let x = array![0.5, -1.0, 0.25];
    let w = array![[0.3, -0.2, 0.1], [0.05, 0.4, -0.3], [-0.1, 0.2, 0.25]];
    let mut cfg = config("tied weights");
    cfg.check = cfg.check.param("W");
    let report = check_layer(&Tied { overwrite: true }, &x, &w, &cfg);
    assert_eq!(report.verdict, Verdict::Fail, "{report}");
    let text = report.to_string();
    assert!(text.contains("confined to W"), "{text}");
    assert!(check_layer(&Tied { overwrite: false }, &x, &w, &cfg).passed());
}

// A forward-mode rule, right and wrong.

struct Scale {
    jvp_bug: bool,
}

impl Layer for Scale {
    type Input = Array1<f32>;
    type Params = Array1<f32>;
    type Output = Array1<f32>;

    /// y = w ⊙ x²
    fn forward(&self, x: &Array1<f32>, w: &Array1<f32>) -> Array1<f32> {
        w * &x.mapv(|v| v * v)
    }

    fn backward(
        &self,
        x: &Array1<f32>,
        w: &Array1<f32>,
        dy: &Array1<f32>,
    ) -> (Array1<f32>, Array1<f32>) {
        (dy * w * x * 2.0, dy * &x.mapv(|v| v * v))
    }

    fn jvp(
        &self,
        x: &Array1<f32>,
        w: &Array1<f32>,
        dx: &Array1<f32>,
        dw: &Array1<f32>,
    ) -> Option<Array1<f32>> {
        let from_x = w * x * dx * 2.0;
        let from_w = dw * &x.mapv(|v| v * v);
        Some(if self.jvp_bug {
            from_x
        } else {
            from_x + from_w
        })
    }
}

#[test]
fn forward_mode_rules_are_checked_in_f32() {
    let x = array![0.5f32, -1.0, 0.75];
    let w = array![0.3f32, -0.2, 1.1];
    let report = check_layer(&Scale { jvp_bug: false }, &x, &w, &config("scale"));
    assert!(report.passed(), "{report}");
    assert!(report.jvp_vjp_consistency.unwrap() < 1e-5, "{report}");
    let report = check_layer(&Scale { jvp_bug: true }, &x, &w, &config("scale"));
    assert_eq!(report.verdict, Verdict::Fail, "{report}");
    assert!(report.jvp_vjp_consistency.unwrap() > 1e-2, "{report}");
}

#[test]
fn hessian_vector_products_of_logistic_regression() {
    let x = array![
        [1.0, 0.5, -1.2],
        [1.0, 1.5, 0.3],
        [1.0, -0.7, 0.8],
        [1.0, 0.2, 2.0]
    ];
    let sigmoid = |z: f64| 1.0 / (1.0 + (-z).exp());
    let grad = |w: &Array1<f64>| {
        let h = x.dot(w).mapv(sigmoid);
        x.t().dot(&(h - array![1.0, 0.0, 1.0, 0.0])) / 4.0
    };
    // H = Xᵀ diag(h(1 − h)) X / m
    let hvp = |w: &Array1<f64>, u: &Array1<f64>| {
        let h = x.dot(w).mapv(sigmoid);
        x.t().dot(&(h.mapv(|v| v * (1.0 - v)) * x.dot(u))) / 4.0
    };
    let w = array![0.1, -0.2, 0.05];
    assert!(check_hvp(&w, grad, hvp, &Config::new(), 1).passed());
    let forgets_m = |w: &Array1<f64>, u: &Array1<f64>| hvp(w, u) * 4.0;
    let report = check_hvp(&w, grad, forgets_m, &Config::new(), 1);
    assert_eq!(report.verdict, Verdict::Fail, "{report}");
    assert!(report.to_string().contains("4.0000x"), "{report}");
}

// The attribute's layer forms.

/// On a function that returns a layer: inputs and parameters are drawn in
/// the shapes given (`input` as a shape, `params` as a value to copy).
#[gradcheck(
    layer,
    input = (4, 2),
    params = Affine { gamma: Array1::ones(2), beta: Array1::zeros(2) },
    init = uniform(1.0),
    cases = 8
)]
fn batch_norm() -> BatchNorm {
    BatchNorm {
        forget_gamma: false,
    }
}

#[gradcheck(
    layer,
    input = (4, 2),
    params = Affine { gamma: Array1::ones(2), beta: Array1::zeros(2) },
    init = uniform(1.0),
    cases = 8
)]
#[should_panic(expected = "confined to x")]
fn batch_norm_forgetting_gamma() -> BatchNorm {
    BatchNorm { forget_gamma: true }
}

/// On a forward function, with its backward function named.
#[gradcheck(backward = dense_backward, input = (3,), params = (2, 3), cases = 16)]
fn dense(x: &Array1<f64>, w: &Array2<f64>) -> Array1<f64> {
    w.dot(x).mapv(f64::tanh)
}

fn dense_backward(
    x: &Array1<f64>,
    w: &Array2<f64>,
    dy: &Array1<f64>,
) -> (Array1<f64>, Array2<f64>) {
    let dz = dy * &w.dot(x).mapv(|z| 1.0 - z.tanh().powi(2));
    let dw = dz
        .view()
        .insert_axis(Axis(1))
        .dot(&x.view().insert_axis(Axis(0)));
    (w.t().dot(&dz), dw)
}

#[gradcheck(backward = dense_backward_transposed, input = (3,), params = (3, 3), cases = 16)]
#[should_panic(expected = "confined to w")]
fn dense_square(x: &Array1<f64>, w: &Array2<f64>) -> Array1<f64> {
    dense(x, w)
}

/// The weight gradient transposed: x dzᵀ instead of dz xᵀ.
fn dense_backward_transposed(
    x: &Array1<f64>,
    w: &Array2<f64>,
    dy: &Array1<f64>,
) -> (Array1<f64>, Array2<f64>) {
    let (dx, dw) = dense_backward(x, w, dy);
    (dx, dw.t().to_owned())
}
