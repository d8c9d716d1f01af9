//! The property-test driver behind `#[gradcheck]`: draw parameters (and
//! data), check the gradient at each draw, shrink a failure to a small
//! input, and fail the test with the full report.
//!
//! Usable directly from a test as well:
//!
//! ```
//! use gradcheck_runtime::runner::{run, Spec};
//! use gradcheck_runtime::Shape;
//!
//! fn cost(w: &[f64], scale: f64) -> (f64, Vec<f64>) {
//!     let j = scale * w.iter().map(|x| x * x).sum::<f64>();
//!     (j, w.iter().map(|x| 2.0 * scale * x).collect())
//! }
//!
//! let spec = Spec { shape: Shape::Of(&[5]), cases: 8, ..Spec::new("cost", "w") };
//! run(spec, (0.5..2.0f64,), |w: &Vec<f64>, data: &(f64,)| cost(w, data.0));
//! ```

use std::cell::RefCell;
use std::fmt::Debug;

use proptest::strategy::{Just, Strategy, ValueTree};
use proptest::test_runner::{
    Config as ProptestConfig, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner,
};

use crate::check::{check, check_parallel, check_split, Config};
use crate::init::{params_strategy, Init};
use crate::layer::{check_layer, Layer, LayerConfig, LayerReport};
use crate::params::{describe, Draw, Gradient, Params, Shape};
use crate::report::{Problem, Report, Verdict};
use crate::scalar::Scalar;
use crate::sweep::{sweep, Sweep, DEFAULT_STEPS};

/// Environment variable that fixes the seed of the draws.
pub const SEED_VAR: &str = "GRADCHECK_SEED";
/// Draws per test when neither the attribute nor `PROPTEST_CASES` sets it.
pub const DEFAULT_CASES: u32 = 32;
/// Upper bound on the time spent shrinking a failure, in milliseconds.
pub const SHRINK_TIME_MS: u32 = 5_000;

/// The data strategy of a cost that takes no data: always `()`.
///
/// ```
/// use gradcheck_runtime::runner::{no_data, run, Spec};
///
/// let spec = Spec { cases: 4, ..Spec::new("sum_of_squares", "theta") };
/// run(spec, no_data(), |t: &[f64; 2], _: &()| (t[0] * t[0] + t[1] * t[1], [2.0 * t[0], 2.0 * t[1]]));
/// ```
pub fn no_data() -> Just<()> {
    Just(())
}

/// Everything the attribute knows about one check.
#[derive(Clone, Debug, PartialEq)]
pub struct Spec {
    /// The cost function's name.
    pub function: &'static str,
    /// The parameter argument's name.
    pub param: &'static str,
    /// The input's name, for layer checks.
    pub input: &'static str,
    /// Names of the parameter tensors (for `shapes`), possibly empty.
    pub names: &'static [&'static str],
    /// Names of the drawn data arguments, in the order of the data tuple.
    pub drawn: &'static [&'static str],
    /// Size of the drawn parameters.
    pub shape: Shape,
    /// Distribution of the drawn parameters.
    pub init: Init,
    /// Draws; 0 means `PROPTEST_CASES` or [`DEFAULT_CASES`]. An explicit
    /// count is overridden by `PROPTEST_CASES` when that is set.
    pub cases: u32,
    /// Whether to run a step sweep at the first draw: its table is printed
    /// and its plot written to `target/gradcheck/<function>_sweep.svg`
    /// (under `CARGO_TARGET_DIR` when that is set).
    pub sweep: bool,
    /// Step setting; `None` for the scalar type's default.
    pub eps: Option<f64>,
    /// Tolerance; `None` for the scalar type's default.
    pub tol: Option<f64>,
}

impl Spec {
    /// A spec with defaults for everything but the names.
    pub fn new(function: &'static str, param: &'static str) -> Self {
        Spec {
            function,
            param,
            input: "x",
            names: &[],
            drawn: &[],
            shape: Shape::FromType,
            init: Init::default(),
            cases: 0,
            sweep: false,
            eps: None,
            tol: None,
        }
    }

    fn config(&self) -> Config {
        Config {
            eps: self.eps,
            tol: self.tol,
            label: self.function.to_string(),
            param: self.param.to_string(),
            names: self.names.iter().map(|s| s.to_string()).collect(),
            ..Config::default()
        }
    }
}

/// Runs the check of a cost returning `(value, gradient)` over drawn
/// parameters and data; panics with the report when the gradient is wrong.
pub fn run<P, G, D, DS, F>(spec: Spec, data: DS, cost: F)
where
    P: Draw + Debug,
    G: Gradient<Scalar = P::Scalar>,
    DS: Strategy<Value = D>,
    D: Debug,
    F: Fn(&P, &D) -> (P::Scalar, G),
{
    let config = spec.config();
    let strategy = (drawn_params::<P>(&spec), data);
    drive::<P::Scalar, _, _>(
        &spec,
        &strategy,
        |runner| {
            if spec.sweep {
                sweep_first_draw(&spec, runner, &strategy, |(p, d)| {
                    sweep(p, |t: &P| cost(t, d), &DEFAULT_STEPS, &config)
                });
            }
        },
        |(p, d)| check(p, |t: &P| cost(t, d), &config),
        |(p, d)| input_lines(&spec, p, d),
    );
}

/// [`run`] with the first central difference of every entry evaluated in
/// parallel (see [`check_parallel`]): the attribute's `parallel` argument.
/// Without the `rayon` feature it runs sequentially.
pub fn run_parallel<P, G, D, DS, F>(spec: Spec, data: DS, cost: F)
where
    P: Draw + Debug + Send + Sync,
    G: Gradient<Scalar = P::Scalar>,
    DS: Strategy<Value = D>,
    D: Debug + Sync,
    F: Fn(&P, &D) -> (P::Scalar, G) + Sync,
{
    let config = spec.config();
    let strategy = (drawn_params::<P>(&spec), data);
    drive::<P::Scalar, _, _>(
        &spec,
        &strategy,
        |runner| {
            if spec.sweep {
                sweep_first_draw(&spec, runner, &strategy, |(p, d)| {
                    sweep(p, |t: &P| cost(t, d), &DEFAULT_STEPS, &config)
                });
            }
        },
        |(p, d)| check_parallel(p, |t: &P| cost(t, d), &config),
        |(p, d)| input_lines(&spec, p, d),
    )
}

/// Runs the check of a cost and a separate gradient function over drawn
/// parameters and data; panics with the report when the gradient is wrong.
pub fn run_split<P, G, D, DS, C, GF>(spec: Spec, data: DS, cost: C, grad: GF)
where
    P: Draw + Debug,
    G: Gradient<Scalar = P::Scalar>,
    DS: Strategy<Value = D>,
    D: Debug,
    C: Fn(&P, &D) -> P::Scalar,
    GF: Fn(&P, &D) -> G,
{
    let config = spec.config();
    let strategy = (drawn_params::<P>(&spec), data);
    drive::<P::Scalar, _, _>(
        &spec,
        &strategy,
        |runner| {
            if spec.sweep {
                sweep_first_draw(&spec, runner, &strategy, |(p, d)| {
                    sweep(p, |t: &P| (cost(t, d), grad(t, d)), &DEFAULT_STEPS, &config)
                });
            }
        },
        |(p, d)| check_split(p, |t: &P| cost(t, d), |t: &P| grad(t, d), &config),
        |(p, d)| input_lines(&spec, p, d),
    );
}

/// Runs the check of a layer's backward pass (see
/// [`check_layer`]) over inputs and parameters
/// drawn in the shapes of `input` and `params` (their values are not used),
/// each entry from `spec.init`; panics with the report when a product is
/// wrong. `spec.param` names the parameters, and the input is `x`.
///
/// ```
/// use gradcheck_runtime::layer::Layer;
/// use gradcheck_runtime::runner::{run_layer, Spec};
/// use ndarray::{Array1, Array2};
///
/// /// y = tanh(W x)
/// struct Dense;
///
/// impl Layer for Dense {
///     type Input = Array1<f64>;
///     type Params = Array2<f64>;
///     type Output = Array1<f64>;
///
///     fn forward(&self, x: &Array1<f64>, w: &Array2<f64>) -> Array1<f64> {
///         w.dot(x).mapv(f64::tanh)
///     }
///
///     fn backward(&self, x: &Array1<f64>, w: &Array2<f64>, dy: &Array1<f64>) -> (Array1<f64>, Array2<f64>) {
///         let dz = dy * &w.dot(x).mapv(|z| 1.0 - z.tanh().powi(2));
///         let dw = dz.view().insert_axis(ndarray::Axis(1)).dot(&x.view().insert_axis(ndarray::Axis(0)));
///         (w.t().dot(&dz), dw)
///     }
/// }
///
/// let spec = Spec { cases: 8, ..Spec::new("dense", "W") };
/// run_layer(spec, Dense, Array1::zeros(3), Array2::zeros((2, 3)));
/// ```
pub fn run_layer<L>(spec: Spec, layer: L, input: L::Input, params: L::Params)
where
    L: Layer,
    L::Input: Debug,
    L::Params: Debug,
{
    if let Err(message) = spec.init.validate() {
        panic!("gradcheck {}: {message}", spec.function);
    }
    let config = LayerConfig {
        check: spec.config(),
        input_name: spec.input.to_string(),
        ..LayerConfig::new()
    };
    let strategy = (like(input, spec.init), like(params, spec.init));
    drive::<<L::Input as Params>::Scalar, _, _>(
        &spec,
        &strategy,
        |_| {},
        |(x, p)| check_layer(&layer, x, p, &config),
        |(x, p)| {
            vec![
                format!(
                    "minimal failing input after shrinking: {}",
                    clip(&describe(x, spec.input, &[]))
                ),
                format!(
                    "and parameters: {}",
                    clip(&describe(p, spec.param, spec.names))
                ),
            ]
        },
    );
}

/// A container of the given shape, all zeros: the prototype of a layer's
/// input or parameters when the attribute gives a shape such as `(4, 3)`.
///
/// Panics with a message when the shape does not fit the container type.
pub fn shaped<P: Draw>(shape: Shape) -> P {
    match P::layout_for(&shape) {
        Ok(layout) => P::from_flat(&shape, vec![P::Scalar::from_f64(0.0); layout.len()]),
        Err(message) => panic!("gradcheck: {message}"),
    }
}

/// A strategy drawing containers shaped like `prototype`, each tensor from
/// `init` with that tensor's shape (see
/// [`Init::block_strategy`](crate::Init::block_strategy)).
pub fn like<P: Params + Debug>(prototype: P, init: Init) -> impl Strategy<Value = P> + Clone {
    let layout = prototype.layout();
    let blocks: Vec<_> = layout
        .blocks()
        .iter()
        .map(|b| init.block_strategy::<P::Scalar>(b))
        .collect();
    blocks.prop_map(move |parts| {
        let mut p = prototype.clone();
        for (i, v) in parts.into_iter().flatten().enumerate() {
            p.set_flat(i, v);
        }
        p
    })
}

/// The parameters' strategy for the attribute's shape, or a panic that
/// says why the shape does not fit.
fn drawn_params<P: Draw + Debug>(spec: &Spec) -> impl Strategy<Value = P> + Clone {
    if let Err(message) = spec.init.validate() {
        panic!("gradcheck {}: {message}", spec.function);
    }
    match params_strategy::<P>(&spec.shape, spec.init) {
        Ok(s) => s,
        Err(message) => panic!(
            "gradcheck {}: the parameters `{}` cannot be drawn: {message}",
            spec.function, spec.param
        ),
    }
}

/// The lines that show a shrunk failing input.
fn input_lines<P: Params, D: Debug>(spec: &Spec, p: &P, d: &D) -> Vec<String> {
    let mut lines = vec![format!(
        "minimal failing input after shrinking: {}",
        clip(&describe(p, spec.param, spec.names))
    )];
    let data = format!("{d:?}");
    if data != "()" {
        let names = if spec.drawn.is_empty() {
            String::new()
        } else {
            format!(" ({})", spec.drawn.join(", "))
        };
        lines.push(format!("data drawn{names}: {}", clip(&data)));
    }
    lines
}

/// What the driver needs of a check's outcome.
trait Outcome: std::fmt::Display {
    fn verdict(&self) -> Verdict;
    fn vacuous(&self) -> bool;
    fn summary(&self) -> String;
    fn relative_difference(&self) -> f64;
    fn evaluations(&self) -> usize;
}

impl Outcome for Report {
    fn verdict(&self) -> Verdict {
        self.verdict
    }

    fn vacuous(&self) -> bool {
        Report::vacuous(self)
    }

    fn summary(&self) -> String {
        Report::summary(self)
    }

    fn relative_difference(&self) -> f64 {
        self.relative_difference
    }

    fn evaluations(&self) -> usize {
        self.evaluations
    }
}

impl Outcome for LayerReport {
    fn verdict(&self) -> Verdict {
        self.verdict
    }

    fn vacuous(&self) -> bool {
        self.parts.iter().all(|(_, r)| r.vacuous())
    }

    fn summary(&self) -> String {
        let worst = self.parts.iter().find(|(_, r)| r.verdict == self.verdict);
        match worst {
            Some((what, r)) => format!("{what}: {}", r.summary()),
            None => format!("gradcheck {}", self.verdict),
        }
    }

    fn relative_difference(&self) -> f64 {
        self.parts
            .iter()
            .map(|(_, r)| r.relative_difference)
            .fold(0.0, f64::max)
    }

    fn evaluations(&self) -> usize {
        self.parts.iter().map(|(_, r)| r.evaluations).sum()
    }
}

/// What the draws have shown so far (shrinking not included).
struct Tally<O> {
    passed: u32,
    vacuous: u32,
    inconclusive: u32,
    worst: f64,
    evaluations: usize,
    last_inconclusive: Option<O>,
    /// The first failing draw, with the lines that show its input.
    first_failure: Option<(O, Vec<String>)>,
}

/// Draws from `strategy`, checks each draw, shrinks a failure and panics
/// with its report; `prelude` runs first with the seeded runner.
fn drive<S, ST, O>(
    spec: &Spec,
    strategy: &ST,
    prelude: impl FnOnce(&mut TestRunner),
    check_one: impl Fn(&ST::Value) -> O,
    input_lines: impl Fn(&ST::Value) -> Vec<String>,
) where
    S: Scalar,
    ST: Strategy,
    O: Outcome,
{
    let seed = seed();
    let cases = cases(spec.cases);
    let proptest_config = ProptestConfig {
        cases,
        max_global_rejects: cases,
        max_local_rejects: cases,
        max_shrink_time: SHRINK_TIME_MS,
        max_shrink_iters: 4_096,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let mut runner = TestRunner::new_with_rng(
        proptest_config,
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes(seed)),
    );
    prelude(&mut runner);

    let tally = RefCell::new(Tally {
        passed: 0,
        vacuous: 0,
        inconclusive: 0,
        worst: 0.0,
        evaluations: 0,
        last_inconclusive: None,
        first_failure: None,
    });
    let result = runner.run(strategy, |value| {
        let outcome = check_one(&value);
        let mut t = tally.borrow_mut();
        // Once a draw has failed, what follows is shrinking: not counted.
        let counting = t.first_failure.is_none();
        if counting {
            t.evaluations += outcome.evaluations();
        }
        match outcome.verdict() {
            Verdict::Pass => {
                if counting {
                    t.passed += 1;
                    t.vacuous += u32::from(outcome.vacuous());
                    if outcome.relative_difference().is_finite() {
                        t.worst = t.worst.max(outcome.relative_difference());
                    }
                }
                Ok(())
            }
            Verdict::Inconclusive => {
                let summary = outcome.summary();
                if counting {
                    t.inconclusive += 1;
                    t.last_inconclusive = Some(outcome);
                }
                Err(TestCaseError::reject(summary))
            }
            Verdict::Fail => {
                let summary = outcome.summary();
                if counting {
                    t.first_failure = Some((outcome, input_lines(&value)));
                }
                Err(TestCaseError::fail(summary))
            }
        }
    });

    let reproduce = format!(
        "reproduce: {SEED_VAR}={seed} cargo test {} (with PROPTEST_CASES={cases})",
        spec.function
    );
    let t = tally.into_inner();
    match result {
        Ok(()) if t.passed > 0 && t.vacuous == t.passed => panic!(
            "\ngradcheck VACUOUS {}: at every one of {} the analytic gradient was exactly zero, \
             so a wrong gradient that is also zero there would pass as well. The draws sit at a \
             symmetric point: initialize randomly (the default `init`, `uniform(0.12)`), not \
             with `zeros` or a constant. {reproduce}",
            spec.function,
            plural(t.passed, "draw"),
        ),
        Ok(()) => println!(
            "gradcheck PASS {}: {} passed, worst relative difference {:.3e} (tol {:e}); {} \
             redrawn as inconclusive; {} cost evaluations",
            spec.function,
            plural(t.passed, "draw"),
            t.worst,
            spec.tol.unwrap_or(S::DEFAULT_TOL),
            plural(t.inconclusive, "draw"),
            t.evaluations
        ),
        Err(TestError::Fail(_, value)) => {
            // The first failing draw is a random point: its report shows the
            // bug's pattern. The shrunk input reproduces it more simply, but
            // near zero, where patterns fade.
            let shrunk = check_one(&value);
            let (outcome, mut lines) = match t.first_failure {
                Some((first, lines)) => (first, lines),
                None => (check_one(&value), input_lines(&value)),
            };
            if let Some(first) = lines.first_mut() {
                *first = first.replacen("minimal failing input after shrinking", "failing draw", 1);
            }
            lines.extend(input_lines(&value));
            lines.push(format!("at the shrunk input: {}", shrunk.summary()));
            lines.push(format!(
                "{} passed before this failure; {reproduce}",
                plural(t.passed, "draw")
            ));
            panic!("\n{outcome}  {}", lines.join("\n  "));
        }
        Err(TestError::Abort(reason)) if t.inconclusive == 0 => panic!(
            "\ngradcheck {}: no draw could be made ({reason}): does a data strategy filter \
             out too much? {reproduce}",
            spec.function
        ),
        Err(TestError::Abort(_)) => {
            let last = t
                .last_inconclusive
                .map(|r| format!("\nthe last inconclusive draw:\n{r}"))
                .unwrap_or_default();
            panic!(
                "\ngradcheck INCONCLUSIVE: {}: {} of {} could not be judged, more than the {} \
                 the test asks for; {} passed. {reproduce}{last}",
                spec.function,
                t.inconclusive,
                plural(t.inconclusive + t.passed, "draw"),
                cases,
                t.passed
            );
        }
    }
}

/// Runs the step sweep at one draw, prints it and writes its plot.
fn sweep_first_draw<ST: Strategy>(
    spec: &Spec,
    runner: &mut TestRunner,
    strategy: &ST,
    sweep_one: impl Fn(&ST::Value) -> Result<Sweep, Problem>,
) {
    let value = match strategy.new_tree(runner) {
        Ok(tree) => tree.current(),
        Err(reason) => {
            println!(
                "gradcheck {}: no draw for the step sweep: {reason}",
                spec.function
            );
            return;
        }
    };
    match sweep_one(&value) {
        Ok(s) => {
            println!("{s}");
            let dir = std::env::var_os("CARGO_TARGET_DIR")
                .map(std::path::PathBuf::from)
                .unwrap_or_else(|| "target".into())
                .join("gradcheck");
            let path = dir.join(format!("{}_sweep.svg", spec.function));
            match std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, s.to_svg())) {
                Ok(()) => println!("    plot: {}", path.display()),
                Err(e) => println!("    plot not written to {}: {e}", path.display()),
            }
        }
        Err(problem) => println!("gradcheck {}: no step sweep: {problem}", spec.function),
    }
}

/// `n thing` or `n things`.
fn plural(n: u32, thing: &str) -> String {
    if n == 1 {
        format!("1 {thing}")
    } else {
        format!("{n} {thing}s")
    }
}

/// Shortens very long output for the report.
fn clip(s: &str) -> String {
    const MAX: usize = 2_000;
    if s.len() <= MAX {
        return s.to_string();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}... ({} more characters)", &s[..end], s.len() - end)
}

fn cases(requested: u32) -> u32 {
    let from_env = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.trim().parse::<u32>().ok());
    match (from_env, requested) {
        (Some(n), _) => n.max(1),
        (None, 0) => DEFAULT_CASES,
        (None, n) => n,
    }
}

/// The seed: `GRADCHECK_SEED` if set, else fresh.
fn seed() -> u64 {
    if let Some(s) = std::env::var(SEED_VAR)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
    {
        return s;
    }
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    h.write_u128(now);
    h.finish()
}

/// 32 seed bytes from a `u64` (SplitMix64).
fn seed_bytes(seed: u64) -> [u8; 32] {
    let mut state = seed;
    let mut out = [0u8; 32];
    for chunk in out.chunks_mut(8) {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        chunk.copy_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    out
}
