//! Gradient bugs and checker pitfalls from public reports, as costs with
//! the verdict a correct checker must reach. Shared by the tests and by
//! `examples/corpus.rs`, which prints the whole table.
//!
//! Each case is distilled from a public bug report or forum thread (named in
//! its `source`); data and values are made up.

#![allow(dead_code)]

use gradcheck::ndarray::{self, array, Array1, Array2};
use gradcheck::{check, check_split, Config, Params, Report, Verdict};

/// What a correct checker must conclude.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// The analytic gradient is wrong.
    Fail,
    /// The analytic gradient is right (a naive checker raises a false alarm).
    Pass,
    /// A kink, a jump, or a cost that is no function of θ: the checker must
    /// say it cannot judge.
    Undecidable,
}

impl Expect {
    /// Whether `verdict` is the one this expectation demands.
    pub fn met_by(self, verdict: Verdict) -> bool {
        matches!(
            (self, verdict),
            (Expect::Fail, Verdict::Fail)
                | (Expect::Pass, Verdict::Pass)
                | (Expect::Undecidable, Verdict::Inconclusive)
        )
    }
}

/// One case: an id, the variant, the expected verdict, and how to run it.
pub struct Case {
    pub id: &'static str,
    pub variant: &'static str,
    pub expect: Expect,
    pub run: fn() -> Report,
}

pub fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

// GB01: an activation's backward pass drops the upstream weights.

pub const GB01_THETA: [f64; 6] = [-1.3, 0.4, -0.2, 2.1, -0.05, 0.9];
pub const GB01_C: [f64; 6] = [0.5, -1.2, 2.0, 0.3, -0.7, 1.5];

fn isrlu(x: f64) -> f64 {
    if x < 0.0 {
        x / (1.0 + x * x).sqrt()
    } else {
        x
    }
}

fn isrlu_slope(x: f64) -> f64 {
    let m = x.min(0.0);
    (1.0 + m * m).powf(-1.5)
}

pub fn gb01(c: [f64; 6], buggy: bool) -> impl Fn(&[f64; 6]) -> (f64, [f64; 6]) {
    move |t| {
        let f = (0..6).map(|i| c[i] * isrlu(t[i])).sum();
        let g = std::array::from_fn(|i| {
            let weight = if buggy { 1.0 } else { c[i] };
            weight * isrlu_slope(t[i])
        });
        (f, g)
    }
}

// GB02: float32 round-off in a linear layer and a dot product.

pub fn gb02_linear() -> Report {
    let w = [-0.3512f32, 0.2667];
    let cost = move |x: &[f32; 2]| (w[0] * x[0] + w[1] * x[1] + 0.4378, w);
    check(&[0.2961f32, 0.5166], cost, &Config::new())
}

pub fn gb02_dot() -> Report {
    let y = [
        0.1344f32, 0.8474, 0.7638, 0.2551, 0.4954, 0.4495, 0.6516, 0.7887,
    ];
    let x = [
        0.0939f32, 0.0283, 0.8358, 0.4328, 0.7623, 0.0021, 0.4454, 0.7215,
    ];
    let cost = move |x: &[f32; 8]| (x.iter().zip(&y).map(|(a, b)| a * b).sum::<f32>(), y);
    check(&x, cost, &Config::new())
}

pub fn gb02_dot_f64() -> Report {
    let y = [
        0.1344, 0.8474, 0.7638, 0.2551, 0.4954, 0.4495, 0.6516, 0.7887,
    ];
    let x = [
        0.0939, 0.0283, 0.8358, 0.4328, 0.7623, 0.0021, 0.4454, 0.7215,
    ];
    let cost = move |x: &[f64; 8]| (x.iter().zip(&y).map(|(a, b)| a * b).sum::<f64>(), y);
    check(&x, cost, &Config::new())
}

// GB03: backprop of a mean loss whose gradients are not divided by N.

pub struct Gb03 {
    x: Array2<f64>,
    y: [usize; 4],
    lambda: f64,
}

impl Gb03 {
    pub fn new() -> Self {
        Gb03 {
            x: array![[0.5, -1.2], [1.5, 0.3], [-0.7, 0.8], [0.2, 2.0]],
            y: [0, 1, 1, 0],
            lambda: 0.01,
        }
    }

    /// θ = (W1 row-major, b1, W2 row-major, b2); z1 = x W1 + b1, tanh,
    /// softmax output, mean cross-entropy plus L2.
    pub fn cost(&self, t: &[f64], divide: bool) -> (f64, Vec<f64>) {
        let w1 = Array2::from_shape_vec((2, 2), t[0..4].to_vec()).unwrap();
        let b1 = Array1::from(t[4..6].to_vec());
        let w2 = Array2::from_shape_vec((2, 2), t[6..10].to_vec()).unwrap();
        let b2 = Array1::from(t[10..12].to_vec());
        let n = self.x.nrows() as f64;

        let a1 = (self.x.dot(&w1) + &b1).mapv(f64::tanh);
        let z2 = a1.dot(&w2) + &b2;
        let mut p = z2.mapv(f64::exp);
        for mut row in p.rows_mut() {
            let s = row.sum();
            row /= s;
        }
        let mut loss = 0.0;
        let mut d3 = p.clone();
        for (k, &label) in self.y.iter().enumerate() {
            loss -= p[[k, label]].ln();
            d3[[k, label]] -= 1.0;
        }
        let reg = 0.5 * self.lambda * (w1.mapv(|v| v * v).sum() + w2.mapv(|v| v * v).sum());
        let j = (loss + reg) / n;

        let dw2 = a1.t().dot(&d3) + self.lambda * &w2;
        let db2 = d3.sum_axis(ndarray::Axis(0));
        let d2 = d3.dot(&w2.t()) * a1.mapv(|a| 1.0 - a * a);
        let dw1 = self.x.t().dot(&d2) + self.lambda * &w1;
        let db1 = d2.sum_axis(ndarray::Axis(0));
        let scale = if divide { 1.0 / n } else { 1.0 };
        let g = dw1
            .iter()
            .chain(&db1)
            .chain(&dw2)
            .chain(&db2)
            .map(|v| v * scale)
            .collect();
        (j, g)
    }
}

pub const GB03_THETA: [f64; 12] = [
    0.11, -0.08, 0.05, 0.10, 0.0, 0.0, -0.12, 0.07, 0.09, -0.03, 0.0, 0.0,
];

// GB04: regularized logistic regression; the bias must not be regularized.

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Gb04 {
    Correct,
    /// (λ/m)·[1, θ1, θ2]
    OnesInBias,
    /// (λ/m)·[θ0, θ1, θ2]
    BiasRegularized,
}

pub fn gb04(variant: Gb04, lambda: f64) -> impl Fn(&[f64; 3]) -> (f64, [f64; 3]) {
    let x = [
        [1.0, 0.5, -1.2],
        [1.0, 1.5, 0.3],
        [1.0, -0.7, 0.8],
        [1.0, 0.2, 2.0],
    ];
    let y = [1.0, 0.0, 1.0, 0.0];
    move |t| {
        let m = x.len() as f64;
        let mut j = 0.0;
        let mut g = [0.0; 3];
        for (row, &yk) in x.iter().zip(&y) {
            let h = sigmoid(row.iter().zip(t).map(|(a, b)| a * b).sum());
            j -= yk * h.ln() + (1.0 - yk) * (1.0 - h).ln();
            for (gi, xi) in g.iter_mut().zip(row) {
                *gi += (h - yk) * xi;
            }
        }
        j = j / m + lambda / (2.0 * m) * (t[1] * t[1] + t[2] * t[2]);
        let reg = match variant {
            Gb04::Correct => [0.0, t[1], t[2]],
            Gb04::OnesInBias => [1.0, t[1], t[2]],
            Gb04::BiasRegularized => [t[0], t[1], t[2]],
        };
        (j, std::array::from_fn(|i| g[i] / m + lambda / m * reg[i]))
    }
}

pub const GB04_THETA: [f64; 3] = [0.05, -0.1, 0.08];

// GB05: planted bugs in two of four parameter blocks.

/// Blocks: W1 (2×3), b1 (2×1), W2 (1×2), b2 (1×1); ReLU hidden layer,
/// sigmoid output, mean cross-entropy over two examples.
pub fn gb05(buggy: bool) -> impl Fn(&Vec<Array2<f64>>) -> (f64, Vec<Array2<f64>>) {
    gb05_with(buggy, false)
}

/// GB05's network with the cross-entropy written naively (as in the case)
/// or stably through softplus, which does not saturate at large |z|.
pub fn gb05_with(
    buggy: bool,
    stable: bool,
) -> impl Fn(&Vec<Array2<f64>>) -> (f64, Vec<Array2<f64>>) {
    let x = array![[1.0, 0.3], [-2.0, 1.2], [0.5, -1.5]]; // one example per column
    let y = array![[1.0, 0.0]];
    move |p| {
        let (w1, b1, w2, b2) = (&p[0], &p[1], &p[2], &p[3]);
        let m = x.ncols() as f64;
        let z1 = w1.dot(&x) + b1;
        let a1 = z1.mapv(|v| v.max(0.0));
        let z2 = w2.dot(&a1) + b2;
        let a2 = z2.mapv(sigmoid);
        let j = if stable {
            // y·softplus(−z) + (1 − y)·softplus(z), with no cancellation.
            let softplus = |z: f64| z.max(0.0) + (-z.abs()).exp().ln_1p();
            let terms = ndarray::Zip::from(&z2)
                .and(&y)
                .map_collect(|&z, &t| t * softplus(-z) + (1.0 - t) * softplus(z));
            terms.sum() / m
        } else {
            -(&y * &a2.mapv(f64::ln) + (1.0 - &y) * &a2.mapv(|v| (1.0 - v).ln())).sum() / m
        };

        let dz2 = &a2 - &y;
        let mut dw2 = dz2.dot(&a1.t()) / m;
        let db2 = dz2.sum_axis(ndarray::Axis(1)).insert_axis(ndarray::Axis(1)) / m;
        let dz1 = w2.t().dot(&dz2) * z1.mapv(|v| if v > 0.0 { 1.0 } else { 0.0 });
        let dw1 = dz1.dot(&x.t()) / m;
        let mut db1 = dz1.sum_axis(ndarray::Axis(1)).insert_axis(ndarray::Axis(1)) / m;
        if buggy {
            dw2 *= 2.0;
            db1 *= 4.0;
        }
        (j, vec![dw1, db1, dw2, db2])
    }
}

pub fn gb05_theta() -> Vec<Array2<f64>> {
    vec![
        array![[0.6, -0.3, 0.2], [-0.4, 0.5, -0.9]],
        array![[0.1], [0.2]],
        array![[0.7, -0.5]],
        array![[0.05]],
    ]
}

// GB06: softmax and log-softmax vector-Jacobian products.

fn softmax(t: &[f64]) -> Vec<f64> {
    let m = t.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = t.iter().map(|x| (x - m).exp()).collect();
    let s: f64 = e.iter().sum();
    e.iter().map(|x| x / s).collect()
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Gb06 {
    Correct,
    /// log-softmax backward as upstream + softmax
    PlusSoftmax,
    /// softmax backward with the diagonal of the Jacobian only
    DiagonalOnly,
    /// no backward at all: zeros
    Missing,
}

/// `Σ gᵢ · logsoftmax(θ)ᵢ` (or softmax when `log` is false).
pub fn gb06(g: Vec<f64>, log: bool, variant: Gb06) -> impl Fn(&Vec<f64>) -> (f64, Vec<f64>) {
    move |t| {
        let p = softmax(t);
        let n = t.len();
        let gsum: f64 = g.iter().sum();
        let f = if log {
            let lse = t.iter().cloned().fold(f64::NEG_INFINITY, f64::max)
                + t.iter()
                    .map(|x| (x - t.iter().cloned().fold(f64::NEG_INFINITY, f64::max)).exp())
                    .sum::<f64>()
                    .ln();
            (0..n).map(|i| g[i] * (t[i] - lse)).sum()
        } else {
            (0..n).map(|i| g[i] * p[i]).sum()
        };
        let gp: f64 = (0..n).map(|k| g[k] * p[k]).sum();
        let grad = (0..n)
            .map(|i| match (variant, log) {
                (Gb06::Correct, true) => g[i] - p[i] * gsum,
                (Gb06::Correct, false) => p[i] * (g[i] - gp),
                (Gb06::PlusSoftmax, _) => g[i] + p[i],
                (Gb06::DiagonalOnly, _) => g[i] * p[i] * (1.0 - p[i]),
                (Gb06::Missing, _) => 0.0,
            })
            .collect();
        (f, grad)
    }
}

// GB09: sigmoid derivative taken of the wrong variable.

pub const GB09_C: [f64; 5] = [1.0, -0.5, 0.8, 2.0, -1.5];
pub const GB09_THETA: [f64; 5] = [0.3, -1.1, 2.2, 0.05, -0.4];

#[derive(Clone, Copy, Debug)]
pub enum Gb09 {
    Correct,
    /// z(1 − z) with z the input.
    OfInput,
    /// σ′ evaluated at the activation.
    AtActivation,
}

pub fn gb09_cost(t: &[f64; 5]) -> f64 {
    (0..5).map(|i| GB09_C[i] * sigmoid(t[i])).sum()
}

pub fn gb09_grad(variant: Gb09) -> impl Fn(&[f64; 5]) -> [f64; 5] {
    move |t| {
        std::array::from_fn(|i| {
            let s = sigmoid(t[i]);
            GB09_C[i]
                * match variant {
                    Gb09::Correct => s * (1.0 - s),
                    Gb09::OfInput => t[i] * (1.0 - t[i]),
                    Gb09::AtActivation => sigmoid(s) * (1.0 - sigmoid(s)),
                }
        })
    }
}

// GB11 and GB12: batch normalization.

pub fn gb11_x() -> Array2<f64> {
    array![[0.5, -1.2], [1.5, 0.3], [-0.7, 0.8], [0.2, 2.0]]
}

pub fn gb11_c() -> Array2<f64> {
    array![[0.3, -1.0], [1.2, 0.4], [-0.5, 0.9], [0.8, -0.2]]
}

/// `Σ C ⊙ BN(x)` per channel, with the backward pass forgetting γ when
/// `buggy`.
pub fn batch_norm(
    gamma: [f64; 2],
    beta: [f64; 2],
    c: Array2<f64>,
    buggy: bool,
) -> impl Fn(&Array2<f64>) -> (f64, Array2<f64>) {
    move |x| {
        let n = x.nrows() as f64;
        let mut f = 0.0;
        let mut dx = Array2::zeros(x.raw_dim());
        for j in 0..x.ncols() {
            let col = x.column(j);
            let mu = col.sum() / n;
            let var = col.mapv(|v| (v - mu).powi(2)).sum() / n;
            let inv = 1.0 / (var + 1e-5).sqrt();
            let xhat = col.mapv(|v| (v - mu) * inv);
            let scale = if buggy { 1.0 } else { gamma[j] };
            let dxhat = c.column(j).mapv(|v| v * scale);
            let s1 = dxhat.sum();
            let s2 = (&dxhat * &xhat).sum();
            for k in 0..x.nrows() {
                f += c[[k, j]] * (gamma[j] * xhat[k] + beta[j]);
                dx[[k, j]] = inv / n * (n * dxhat[k] - s1 - xhat[k] * s2);
            }
        }
        (f, dx)
    }
}

// GB13: overlapping max-pool whose backward overwrites instead of adding.

/// `Σₖ max(θₖ, θₖ₊₁, …)` over windows of `window` entries at `stride`.
pub fn max_pool(
    window: usize,
    stride: usize,
    overwrite: bool,
) -> impl Fn(&Vec<f64>) -> (f64, Vec<f64>) {
    move |t| {
        let mut f = 0.0;
        let mut g = vec![0.0; t.len()];
        let mut start = 0;
        while start + window <= t.len() {
            let (k, m) = (start..start + window).map(|i| (i, t[i])).fold(
                (start, f64::NEG_INFINITY),
                |a, b| if b.1 > a.1 { b } else { a },
            );
            f += m;
            if overwrite {
                g[k] = 1.0;
            } else {
                g[k] += 1.0;
            }
            start += stride;
        }
        (f, g)
    }
}

// GB16 and GB14: ReLU, LeakyReLU and max at and near their kinks.

pub type Grad4 = [f64; 4];

pub fn relu_sum(
    c: [f64; 4],
    alpha: f64,
) -> (impl Fn(&[f64; 4]) -> f64, impl Fn(&[f64; 4]) -> Grad4) {
    let act = move |x: f64| if x > 0.0 { x } else { alpha * x };
    let cost = move |t: &[f64; 4]| (0..4).map(|i| c[i] * act(t[i])).sum();
    let grad =
        move |t: &[f64; 4]| std::array::from_fn(|i| c[i] * if t[i] > 0.0 { 1.0 } else { alpha });
    (cost, grad)
}

pub fn max_of(t: &[f64; 5]) -> f64 {
    t.iter().cloned().fold(f64::NEG_INFINITY, f64::max)
}

// GB18: an L1 penalty whose gradient is x/|x|.

pub fn gb18(buggy: bool) -> impl Fn(&[f64; 5]) -> (f64, [f64; 5]) {
    let targets = [0.5, -0.3, 0.2, 0.0, 0.7];
    move |t| {
        let f = (0..5)
            .map(|i| 0.1 * t[i].abs() + 0.5 * (t[i] - targets[i]).powi(2))
            .sum();
        let g = std::array::from_fn(|i| {
            let sign = if buggy {
                t[i] / t[i].abs()
            } else if t[i] == 0.0 {
                0.0
            } else {
                t[i].signum()
            };
            0.1 * sign + (t[i] - targets[i])
        });
        (f, g)
    }
}

pub const GB18_THETA: [f64; 5] = [0.0, 0.0, -0.12, 0.08, 0.05];

// GB21: dropout, with a frozen or a fresh mask.

pub const GB21_THETA: [f64; 6] = [0.2, -0.5, 1.1, 0.05, -0.8, 0.3];
pub const GB21_C: [f64; 6] = [0.4, -1.0, 0.7, 1.5, -0.3, 0.9];

pub fn gb21_frozen(t: &[f64; 6]) -> (f64, [f64; 6]) {
    let mask = [1.0, 1.0, 0.0, 0.0, 1.0, 0.0];
    let f = (0..6).map(|i| GB21_C[i] * mask[i] * t[i] * 2.0).sum();
    (f, std::array::from_fn(|i| GB21_C[i] * mask[i] * 2.0))
}

// GB23: ∇(½wᵀAw − bᵀw) = Aw − b holds only for symmetric A.

pub fn gb23_a() -> Array2<f64> {
    array![[2.0, 0.5, -1.0], [1.5, 3.0, 0.2], [0.0, -0.8, 1.0]]
}

pub fn gb23(a: Array2<f64>) -> impl Fn(&Array1<f64>) -> (f64, Array1<f64>) {
    let b = array![0.3, -0.1, 0.4];
    move |w| (0.5 * w.dot(&a.dot(w)) - b.dot(w), a.dot(w) - &b)
}

pub fn gb23_f32(symmetric: bool) -> Report {
    let mut a = gb23_a().mapv(|v| v as f32);
    if symmetric {
        a = (&a + &a.t()) / 2.0;
    }
    let b = array![0.3f32, -0.1, 0.4];
    let cost = move |w: &Array1<f32>| (0.5 * w.dot(&a.dot(w)) - b.dot(w), a.dot(w) - &b);
    check(&array![0.4f32, -0.7, 1.2], cost, &Config::new())
}

// GB28: cross-entropy at huge logits.

pub fn gb28_stable(t: &[f64; 3]) -> (f64, [f64; 3]) {
    let p = softmax(t);
    let m = max_of3(t);
    let lse = m + t.iter().map(|x| (x - m).exp()).sum::<f64>().ln();
    (lse - t[0], [p[0] - 1.0, p[1], p[2]])
}

fn max_of3(t: &[f64; 3]) -> f64 {
    t.iter().cloned().fold(f64::NEG_INFINITY, f64::max)
}

pub fn gb28_naive(t: &[f64; 3]) -> (f64, [f64; 3]) {
    let s: f64 = t.iter().map(|x| x.exp()).sum();
    (s.ln() - t[0], t.map(|x| x.exp() / s))
}

/// The old formula: ∇softmax(Δ ./ softmax(θ)), dividing by an underflowed 0.
pub fn gb28_divided(t: &[f64; 3]) -> (f64, [f64; 3]) {
    let (f, _) = gb28_stable(t);
    let p = softmax(t);
    let upstream: Vec<f64> = (0..3)
        .map(|i| if i == 0 { -1.0 } else { 0.0 } / p[i])
        .collect();
    let dot: f64 = (0..3).map(|k| upstream[k] * p[k]).sum();
    (f, std::array::from_fn(|i| p[i] * (upstream[i] - dot)))
}

pub const GB28_A: [f64; 3] = [-431.0, 279.0, 427.0];
pub const GB28_B: [f64; 3] = [-1047.0, -981.0, 1891.0];

/// Every case and variant with its verdict.
pub fn all() -> Vec<Case> {
    vec![
        Case {
            id: "GB01",
            variant: "backward drops upstream weights",
            expect: Expect::Fail,
            run: || check(&GB01_THETA, gb01(GB01_C, true), &Config::new()),
        },
        Case {
            id: "GB01",
            variant: "correct backward",
            expect: Expect::Pass,
            run: || check(&GB01_THETA, gb01(GB01_C, false), &Config::new()),
        },
        Case {
            id: "GB01",
            variant: "unit weights (bug invisible, gradient right)",
            expect: Expect::Pass,
            run: || check(&GB01_THETA, gb01([1.0; 6], true), &Config::new()),
        },
        Case {
            id: "GB02",
            variant: "f32 linear layer",
            expect: Expect::Pass,
            run: gb02_linear,
        },
        Case {
            id: "GB02",
            variant: "f32 dot product",
            expect: Expect::Pass,
            run: gb02_dot,
        },
        Case {
            id: "GB02",
            variant: "f64 dot product",
            expect: Expect::Pass,
            run: gb02_dot_f64,
        },
        Case {
            id: "GB03",
            variant: "missing 1/N",
            expect: Expect::Fail,
            run: || {
                let m = Gb03::new();
                check(
                    &GB03_THETA.to_vec(),
                    |t: &Vec<f64>| m.cost(t, false),
                    &Config::new(),
                )
            },
        },
        Case {
            id: "GB03",
            variant: "divided by N",
            expect: Expect::Pass,
            run: || {
                let m = Gb03::new();
                check(
                    &GB03_THETA.to_vec(),
                    |t: &Vec<f64>| m.cost(t, true),
                    &Config::new(),
                )
            },
        },
        Case {
            id: "GB04",
            variant: "ones in bias, lambda 1",
            expect: Expect::Fail,
            run: || check(&GB04_THETA, gb04(Gb04::OnesInBias, 1.0), &Config::new()),
        },
        Case {
            id: "GB04",
            variant: "bias regularized, lambda 1",
            expect: Expect::Fail,
            run: || {
                check(
                    &GB04_THETA,
                    gb04(Gb04::BiasRegularized, 1.0),
                    &Config::new(),
                )
            },
        },
        Case {
            id: "GB04",
            variant: "ones in bias, lambda 3",
            expect: Expect::Fail,
            run: || check(&GB04_THETA, gb04(Gb04::OnesInBias, 3.0), &Config::new()),
        },
        Case {
            id: "GB04",
            variant: "bias regularized, lambda 3",
            expect: Expect::Fail,
            run: || {
                check(
                    &GB04_THETA,
                    gb04(Gb04::BiasRegularized, 3.0),
                    &Config::new(),
                )
            },
        },
        Case {
            id: "GB04",
            variant: "ones in bias, lambda 0",
            expect: Expect::Pass,
            run: || check(&GB04_THETA, gb04(Gb04::OnesInBias, 0.0), &Config::new()),
        },
        Case {
            id: "GB04",
            variant: "bias regularized, lambda 0",
            expect: Expect::Pass,
            run: || {
                check(
                    &GB04_THETA,
                    gb04(Gb04::BiasRegularized, 0.0),
                    &Config::new(),
                )
            },
        },
        Case {
            id: "GB04",
            variant: "correct, lambda 1",
            expect: Expect::Pass,
            run: || check(&GB04_THETA, gb04(Gb04::Correct, 1.0), &Config::new()),
        },
        Case {
            id: "GB05",
            variant: "dW2 x2 and db1 x4",
            expect: Expect::Fail,
            run: || check(&gb05_theta(), gb05(true), &Config::new()),
        },
        Case {
            id: "GB05",
            variant: "correct backprop",
            expect: Expect::Pass,
            run: || check(&gb05_theta(), gb05(false), &Config::new()),
        },
        Case {
            id: "GB06",
            variant: "(a) log-softmax as upstream + softmax",
            expect: Expect::Fail,
            run: || {
                check(
                    &vec![0.1, 0.9],
                    gb06(vec![1.0, 1.0], true, Gb06::PlusSoftmax),
                    &Config::new(),
                )
            },
        },
        Case {
            id: "GB06",
            variant: "(a) correct",
            expect: Expect::Pass,
            run: || {
                check(
                    &vec![0.1, 0.9],
                    gb06(vec![1.0, 1.0], true, Gb06::Correct),
                    &Config::new(),
                )
            },
        },
        Case {
            id: "GB06",
            variant: "(b) log-softmax as upstream + softmax",
            expect: Expect::Fail,
            run: || {
                check(
                    &vec![0.3, -1.2, 2.0, 0.5],
                    gb06(vec![0.7, -0.4, 1.3, 0.2], true, Gb06::PlusSoftmax),
                    &Config::new(),
                )
            },
        },
        Case {
            id: "GB06",
            variant: "(b) correct",
            expect: Expect::Pass,
            run: || {
                check(
                    &vec![0.3, -1.2, 2.0, 0.5],
                    gb06(vec![0.7, -0.4, 1.3, 0.2], true, Gb06::Correct),
                    &Config::new(),
                )
            },
        },
        Case {
            id: "GB06",
            variant: "(c) softmax, diagonal only",
            expect: Expect::Fail,
            run: || {
                check(
                    &vec![0.3, -1.2, 2.0, 0.5],
                    gb06(vec![0.7, -0.4, 1.3, 0.2], false, Gb06::DiagonalOnly),
                    &Config::new(),
                )
            },
        },
        Case {
            id: "GB06",
            variant: "(c) correct",
            expect: Expect::Pass,
            run: || {
                check(
                    &vec![0.3, -1.2, 2.0, 0.5],
                    gb06(vec![0.7, -0.4, 1.3, 0.2], false, Gb06::Correct),
                    &Config::new(),
                )
            },
        },
        Case {
            id: "GB06",
            variant: "(c) unit weights, diagonal only",
            expect: Expect::Fail,
            run: || {
                check(
                    &vec![0.3, -1.2, 2.0, 0.5],
                    gb06(vec![1.0; 4], false, Gb06::DiagonalOnly),
                    &Config::new(),
                )
            },
        },
        Case {
            id: "GB06",
            variant: "(c) unit weights, no backward (true gradient 0)",
            expect: Expect::Pass,
            run: || {
                check(
                    &vec![0.3, -1.2, 2.0, 0.5],
                    gb06(vec![1.0; 4], false, Gb06::Missing),
                    &Config::new(),
                )
            },
        },
        Case {
            id: "GB09",
            variant: "A: derivative of the input",
            expect: Expect::Fail,
            run: || {
                check_split(
                    &GB09_THETA,
                    gb09_cost,
                    gb09_grad(Gb09::OfInput),
                    &Config::new(),
                )
            },
        },
        Case {
            id: "GB09",
            variant: "B: derivative at the activation",
            expect: Expect::Fail,
            run: || {
                check_split(
                    &GB09_THETA,
                    gb09_cost,
                    gb09_grad(Gb09::AtActivation),
                    &Config::new(),
                )
            },
        },
        Case {
            id: "GB09",
            variant: "A where it nearly matches",
            expect: Expect::Fail,
            run: || {
                check_split(
                    &[0.45, 0.5, 0.55, 0.6, 0.62],
                    gb09_cost,
                    gb09_grad(Gb09::OfInput),
                    &Config::new(),
                )
            },
        },
        Case {
            id: "GB09",
            variant: "correct",
            expect: Expect::Pass,
            run: || {
                check_split(
                    &GB09_THETA,
                    gb09_cost,
                    gb09_grad(Gb09::Correct),
                    &Config::new(),
                )
            },
        },
        Case {
            id: "GB11",
            variant: "missing gamma, gamma (1.5, -0.7)",
            expect: Expect::Fail,
            run: || {
                check(
                    &gb11_x(),
                    batch_norm([1.5, -0.7], [0.1, 0.2], gb11_c(), true),
                    &Config::new(),
                )
            },
        },
        Case {
            id: "GB11",
            variant: "missing gamma, gamma (1, 1) (bug invisible)",
            expect: Expect::Pass,
            run: || {
                check(
                    &gb11_x(),
                    batch_norm([1.0, 1.0], [0.1, 0.2], gb11_c(), true),
                    &Config::new(),
                )
            },
        },
        Case {
            id: "GB11",
            variant: "correct",
            expect: Expect::Pass,
            run: || {
                check(
                    &gb11_x(),
                    batch_norm([1.5, -0.7], [0.1, 0.2], gb11_c(), false),
                    &Config::new(),
                )
            },
        },
        Case {
            id: "GB12",
            variant: "sum of BN output: both sides ~0",
            expect: Expect::Pass,
            run: || {
                check(
                    &gb11_x(),
                    batch_norm([1.5, -0.7], [0.1, 0.2], Array2::ones((4, 2)), false),
                    &Config::new(),
                )
            },
        },
        Case {
            id: "GB13",
            variant: "(a) overlapping windows, overwritten",
            expect: Expect::Fail,
            run: || {
                check(
                    &vec![1.0, 4.0, 2.0, 0.5, 3.0],
                    max_pool(2, 1, true),
                    &Config::new(),
                )
            },
        },
        Case {
            id: "GB13",
            variant: "(b) the observed (1, 2, 0, 0, 1)",
            expect: Expect::Fail,
            run: || {
                check_split(
                    &vec![5.0, 3.0, 1.0, 2.0, 5.0],
                    |t: &Vec<f64>| max_pool(2, 1, false)(t).0,
                    |_: &Vec<f64>| vec![1.0, 2.0, 0.0, 0.0, 1.0],
                    &Config::new(),
                )
            },
        },
        Case {
            id: "GB13",
            variant: "(b) accumulated",
            expect: Expect::Pass,
            run: || {
                check(
                    &vec![5.0, 3.0, 1.0, 2.0, 5.0],
                    max_pool(2, 1, false),
                    &Config::new(),
                )
            },
        },
        Case {
            id: "GB13",
            variant: "(a) accumulated",
            expect: Expect::Pass,
            run: || {
                check(
                    &vec![1.0, 4.0, 2.0, 0.5, 3.0],
                    max_pool(2, 1, false),
                    &Config::new(),
                )
            },
        },
        Case {
            id: "GB13",
            variant: "stride = window, overwritten (no overlap)",
            expect: Expect::Pass,
            run: || {
                check(
                    &vec![1.0, 4.0, 2.0, 0.5, 3.0, 0.7],
                    max_pool(2, 2, true),
                    &Config::new(),
                )
            },
        },
        Case {
            id: "GB14",
            variant: "max over ties, split 0.2",
            expect: Expect::Undecidable,
            run: || check_split(&[0.0; 5], max_of, |_: &[f64; 5]| [0.2; 5], &Config::new()),
        },
        Case {
            id: "GB14",
            variant: "max over ties, first argmax",
            expect: Expect::Undecidable,
            run: || {
                check_split(
                    &[0.0; 5],
                    max_of,
                    |_: &[f64; 5]| [1.0, 0.0, 0.0, 0.0, 0.0],
                    &Config::new(),
                )
            },
        },
        Case {
            id: "GB14",
            variant: "max over ties, outside the bracket",
            expect: Expect::Fail,
            run: || {
                check_split(
                    &[0.0; 5],
                    max_of,
                    |_: &[f64; 5]| [2.0, 0.0, 0.0, 0.0, 0.0],
                    &Config::new(),
                )
            },
        },
        Case {
            id: "GB16",
            variant: "ReLU at and within h of 0",
            expect: Expect::Undecidable,
            run: || {
                let (f, g) = relu_sum([1.0, 2.0, -1.0, 0.5], 0.0);
                check_split(&[0.0, 1e-7, -3e-7, 0.8], f, g, &Config::new())
            },
        },
        Case {
            id: "GB16",
            variant: "LeakyReLU(0.2) at 0",
            expect: Expect::Undecidable,
            run: || {
                let (f, g) = relu_sum([1.0, 2.0, -1.0, 0.5], 0.2);
                check_split(&[0.0, 0.3, -0.4, 0.8], f, g, &Config::new())
            },
        },
        Case {
            id: "GB16",
            variant: "ReLU away from 0",
            expect: Expect::Pass,
            run: || {
                let (f, g) = relu_sum([1.0, 2.0, -1.0, 0.5], 0.0);
                check_split(&[0.3, 0.1, -0.2, 0.8], f, g, &Config::new())
            },
        },
        Case {
            id: "GB18",
            variant: "x/|x| is NaN at exact zeros",
            expect: Expect::Fail,
            run: || check(&GB18_THETA, gb18(true), &Config::new()),
        },
        Case {
            id: "GB18",
            variant: "sign(0) = 0 at exact zeros (a kink)",
            expect: Expect::Undecidable,
            run: || check(&GB18_THETA, gb18(false), &Config::new()),
        },
        Case {
            id: "GB18",
            variant: "sign(0) = 0 away from zeros",
            expect: Expect::Pass,
            run: || check(&[0.3, -0.2, -0.12, 0.08, 0.05], gb18(false), &Config::new()),
        },
        Case {
            id: "GB20",
            variant: "f32 floor at integers",
            expect: Expect::Undecidable,
            run: || {
                check_split(
                    &[4.0f32, 1.8, -2.0, 0.5],
                    |t: &[f32; 4]| t.iter().map(|v| v.floor()).sum::<f32>(),
                    |_: &[f32; 4]| [0.0f32; 4],
                    &Config::new(),
                )
            },
        },
        Case {
            id: "GB20",
            variant: "f32 floor between integers",
            expect: Expect::Pass,
            run: || {
                check_split(
                    &[4.3f32, 1.8, -2.5, 0.5],
                    |t: &[f32; 4]| t.iter().map(|v| v.floor()).sum::<f32>(),
                    |_: &[f32; 4]| [0.0f32; 4],
                    &Config::new(),
                )
            },
        },
        Case {
            id: "GB20",
            variant: "index input held constant",
            expect: Expect::Pass,
            run: || {
                let idx = [2usize, 0, 2, 3];
                check(
                    &[0.5, -0.1, 0.7, 0.2],
                    move |t: &[f64; 4]| {
                        let mut g = [0.0; 4];
                        for &k in &idx {
                            g[k] += 1.0;
                        }
                        (idx.iter().map(|&k| t[k]).sum(), g)
                    },
                    &Config::new(),
                )
            },
        },
        Case {
            id: "GB21",
            variant: "dropout, frozen mask",
            expect: Expect::Pass,
            run: || check(&GB21_THETA, gb21_frozen, &Config::new()),
        },
        Case {
            id: "GB21",
            variant: "dropout, fresh mask every call",
            expect: Expect::Undecidable,
            run: gb21_fresh,
        },
        Case {
            id: "GB22",
            variant: "scaling by 3 (the checker copies, never aliases)",
            expect: Expect::Pass,
            run: || {
                let cc = [0.5, -1.0, 2.0, 0.25];
                check(
                    &[0.1, -0.2, 0.3, 0.05],
                    move |t: &[f64; 4]| {
                        let s = t.map(|v| 3.0 * v);
                        ((0..4).map(|i| cc[i] * s[i]).sum(), cc.map(|v| 3.0 * v))
                    },
                    &Config::new(),
                )
            },
        },
        Case {
            id: "GB23",
            variant: "non-symmetric A",
            expect: Expect::Fail,
            run: || check(&array![0.4, -0.7, 1.2], gb23(gb23_a()), &Config::new()),
        },
        Case {
            id: "GB23",
            variant: "symmetrized A",
            expect: Expect::Pass,
            run: || {
                let a = gb23_a();
                check(
                    &array![0.4, -0.7, 1.2],
                    gb23((&a + &a.t()) / 2.0),
                    &Config::new(),
                )
            },
        },
        Case {
            id: "GB23",
            variant: "f32, non-symmetric A",
            expect: Expect::Fail,
            run: || gb23_f32(false),
        },
        Case {
            id: "GB23",
            variant: "f32, symmetrized A",
            expect: Expect::Pass,
            run: || gb23_f32(true),
        },
        Case {
            id: "GB28",
            variant: "stable cost, logits A",
            expect: Expect::Pass,
            run: || check(&GB28_A, gb28_stable, &Config::new()),
        },
        Case {
            id: "GB28",
            variant: "stable cost, logits B",
            expect: Expect::Pass,
            run: || check(&GB28_B, gb28_stable, &Config::new()),
        },
        Case {
            id: "GB28",
            variant: "naive cost overflows at B",
            expect: Expect::Undecidable,
            run: || check(&GB28_B, gb28_naive, &Config::new()),
        },
        Case {
            id: "GB28",
            variant: "gradient through 1/softmax",
            expect: Expect::Fail,
            run: || check(&GB28_B, gb28_divided, &Config::new()),
        },
    ]
}

/// GB21 B: a fresh Bernoulli mask on every call (a counter-driven hash
/// stands in for the random generator).
fn gb21_fresh() -> Report {
    let calls = std::cell::Cell::new(0u64);
    let cost = |t: &[f64; 6]| -> (f64, [f64; 6]) {
        calls.set(calls.get() + 1);
        let mask =
            |i: usize| ((calls.get().wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (i + 7)) & 1) as f64;
        let f = (0..6).map(|i| GB21_C[i] * mask(i) * t[i] * 2.0).sum();
        (f, std::array::from_fn(|i| GB21_C[i] * mask(i) * 2.0))
    };
    check(&GB21_THETA, cost, &Config::new())
}

/// A small deterministic generator for the random draws (SplitMix64).
pub struct Draws(u64);

impl Draws {
    pub fn new(seed: u64) -> Self {
        Draws(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [lo, hi).
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// `n` parameters: uniform at a random scale, with some entries set to
    /// exactly 0 and some tied to others, as ReLU outputs, zero-initialized
    /// biases and saturated units make them.
    pub fn params(&mut self, n: usize) -> Vec<f64> {
        let scale = [0.12, 1.0, 5.0][self.below(3)];
        let mut t: Vec<f64> = (0..n).map(|_| self.uniform(-scale, scale)).collect();
        if self.below(3) == 0 {
            for _ in 0..1 + self.below(2) {
                let i = self.below(n);
                t[i] = 0.0;
            }
        }
        if self.below(3) == 0 {
            let (i, j) = (self.below(n), self.below(n));
            t[i] = t[j];
        }
        t
    }
}

/// The costs with correct gradients that the random draws check.
pub const RANDOM_COSTS: [&str; 10] = [
    "logistic regression",
    "tanh network",
    "ReLU network (softplus)",
    "sigmoid sum",
    "softmax cross-entropy",
    "quadratic form",
    "ReLU sum",
    "L1 + squares",
    "max",
    "max-pool",
];

/// Multiplies the largest entry of a gradient by `factor` (1 leaves it
/// right): a planted bug of known size.
pub fn plant<G: Params<Scalar = f64>>(mut g: G, factor: f64) -> G {
    let n = g.layout().len();
    if factor != 1.0 && n > 0 {
        let k = (0..n)
            .max_by(|&i, &j| g.get_flat(i).abs().total_cmp(&g.get_flat(j).abs()))
            .unwrap_or(0);
        let v = g.get_flat(k);
        g.set_flat(k, if v == 0.0 { factor - 1.0 } else { v * factor });
    }
    g
}

/// `cost` with its gradient passed through [`plant`].
fn planted<P, G: Params<Scalar = f64>>(
    cost: impl Fn(&P) -> (f64, G),
    factor: f64,
) -> impl Fn(&P) -> (f64, G) {
    move |p| {
        let (f, g) = cost(p);
        (f, plant(g, factor))
    }
}

/// A cost and a gradient function as one function returning both.
fn joined<P, G>(cost: impl Fn(&P) -> f64, grad: impl Fn(&P) -> G) -> impl Fn(&P) -> (f64, G) {
    move |p| (cost(p), grad(p))
}

/// Checks cost `k` of [`RANDOM_COSTS`] at parameters drawn from `draws`,
/// with its largest gradient entry multiplied by `factor` (1 for the correct
/// gradient).
pub fn random_check(k: usize, draws: &mut Draws, factor: f64) -> Report {
    let config = Config::new();
    match k {
        0 => {
            let t = draws.params(3);
            let lambda = draws.uniform(0.0, 3.0);
            let cost = planted(gb04(Gb04::Correct, lambda), factor);
            check(&[t[0], t[1], t[2]], cost, &config)
        }
        1 => {
            let m = Gb03::new();
            let cost = planted(|t: &Vec<f64>| m.cost(t, true), factor);
            check(&draws.params(12), cost, &config)
        }
        2 => {
            let t = draws.params(11);
            let p = vec![
                Array2::from_shape_vec((2, 3), t[0..6].to_vec()).unwrap(),
                Array2::from_shape_vec((2, 1), t[6..8].to_vec()).unwrap(),
                Array2::from_shape_vec((1, 2), t[8..10].to_vec()).unwrap(),
                Array2::from_shape_vec((1, 1), t[10..11].to_vec()).unwrap(),
            ];
            check(&p, planted(gb05_with(false, true), factor), &config)
        }
        3 => {
            let t = draws.params(5);
            let grad = gb09_grad(Gb09::Correct);
            let cost = planted(joined(gb09_cost, grad), factor);
            check(&[t[0], t[1], t[2], t[3], t[4]], cost, &config)
        }
        4 => {
            let g: Vec<f64> = (0..4).map(|_| draws.uniform(-1.0, 1.0)).collect();
            let cost = planted(gb06(g, true, Gb06::Correct), factor);
            check(&draws.params(4), cost, &config)
        }
        5 => {
            let a = gb23_a();
            let t = draws.params(3);
            let cost = planted(gb23((&a + &a.t()) / 2.0), factor);
            check(&Array1::from(t), cost, &config)
        }
        6 => {
            let t = draws.params(4);
            let c = [1.0, 2.0, -1.0, 0.5];
            let (f, g) = relu_sum(c, [0.0, 0.01, 0.2][draws.below(3)]);
            let cost = planted(joined(f, g), factor);
            check(&[t[0], t[1], t[2], t[3]], cost, &config)
        }
        7 => {
            let t = draws.params(5);
            check(
                &[t[0], t[1], t[2], t[3], t[4]],
                planted(gb18(false), factor),
                &config,
            )
        }
        8 => {
            let t = draws.params(5);
            let first_argmax = |t: &[f64; 5]| -> [f64; 5] {
                let m = max_of(t);
                let k = t.iter().position(|&v| v == m).unwrap_or(0);
                std::array::from_fn(|i| if i == k { 1.0 } else { 0.0 })
            };
            let cost = planted(joined(max_of, first_argmax), factor);
            check(&[t[0], t[1], t[2], t[3], t[4]], cost, &config)
        }
        _ => check(
            &draws.params(7),
            planted(max_pool(3, 1, false), factor),
            &config,
        ),
    }
}

/// Checks the correct gradient of cost `k` of [`RANDOM_COSTS`].
pub fn random_correct(k: usize, draws: &mut Draws) -> Report {
    random_check(k, draws, 1.0)
}
