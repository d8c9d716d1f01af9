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

use crate::check::{check, check_split, Config};
use crate::init::{params_strategy, Init};
use crate::params::{describe, Draw, Gradient, Shape};
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
    /// Names of the parameter tensors (for `shapes`), possibly empty.
    pub names: &'static [&'static str],
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
            names: &[],
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
    drive(
        &spec,
        data,
        |p: &P, d: &D, config: &Config| check(p, |t: &P| cost(t, d), config),
        |p: &P, d: &D, config: &Config| sweep(p, |t: &P| cost(t, d), &DEFAULT_STEPS, config),
    );
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
    drive(
        &spec,
        data,
        |p: &P, d: &D, config: &Config| {
            check_split(p, |t: &P| cost(t, d), |t: &P| grad(t, d), config)
        },
        |p: &P, d: &D, config: &Config| {
            sweep(p, |t: &P| (cost(t, d), grad(t, d)), &DEFAULT_STEPS, config)
        },
    );
}

/// What the draws have shown so far.
#[derive(Default)]
struct Tally {
    passed: u32,
    inconclusive: u32,
    worst: f64,
    evaluations: usize,
    last_inconclusive: Option<Report>,
}

fn drive<P, D, DS>(
    spec: &Spec,
    data: DS,
    check_one: impl Fn(&P, &D, &Config) -> Report,
    sweep_one: impl Fn(&P, &D, &Config) -> Result<Sweep, Problem>,
) where
    P: Draw + Debug,
    DS: Strategy<Value = D>,
    D: Debug,
{
    let config = spec.config();
    let strategy = match params_strategy::<P>(&spec.shape, spec.init) {
        Ok(s) => s,
        Err(message) => panic!(
            "gradcheck {}: the parameters `{}` cannot be drawn: {message}",
            spec.function, spec.param
        ),
    };
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

    if spec.sweep {
        sweep_first_draw(
            spec,
            &mut runner,
            &(strategy.clone(), &data),
            &config,
            &sweep_one,
        );
    }

    let tally = RefCell::new(Tally::default());
    let result = runner.run(&(strategy, data), |(p, d)| {
        let report = check_one(&p, &d, &config);
        let mut t = tally.borrow_mut();
        t.evaluations += report.evaluations;
        match report.verdict {
            Verdict::Pass => {
                t.passed += 1;
                if report.relative_difference.is_finite() {
                    t.worst = t.worst.max(report.relative_difference);
                }
                Ok(())
            }
            Verdict::Inconclusive => {
                t.inconclusive += 1;
                let summary = report.summary();
                t.last_inconclusive = Some(report);
                Err(TestCaseError::reject(summary))
            }
            Verdict::Fail => Err(TestCaseError::fail(report.summary())),
        }
    });

    let reproduce = format!(
        "reproduce: {SEED_VAR}={seed} cargo test {} (with PROPTEST_CASES={cases})",
        spec.function
    );
    let t = tally.into_inner();
    match result {
        Ok(()) => println!(
            "gradcheck PASS {}: {} passed, worst relative difference {:.3e} (tol {:e}); {} \
             redrawn as inconclusive; {} cost evaluations",
            spec.function,
            plural(t.passed, "draw"),
            t.worst,
            spec.tol.unwrap_or(<P::Scalar as Scalar>::DEFAULT_TOL),
            plural(t.inconclusive, "draw"),
            t.evaluations
        ),
        Err(TestError::Fail(_, (p, d))) => {
            let mut report = check_one(&p, &d, &config);
            report.context.push(format!(
                "minimal failing input after shrinking: {}",
                clip(&describe(&p, spec.param, spec.names))
            ));
            let data = format!("{d:?}");
            if data != "()" {
                report.context.push(format!("data drawn: {}", clip(&data)));
            }
            report.context.push(format!(
                "{} passed before this failure; {reproduce}",
                plural(t.passed, "draw")
            ));
            panic!("\n{report}");
        }
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
fn sweep_first_draw<P, D, S>(
    spec: &Spec,
    runner: &mut TestRunner,
    strategy: &S,
    config: &Config,
    sweep_one: impl Fn(&P, &D, &Config) -> Result<Sweep, Problem>,
) where
    S: Strategy<Value = (P, D)>,
{
    let (p, d) = match strategy.new_tree(runner) {
        Ok(tree) => tree.current(),
        Err(reason) => {
            println!(
                "gradcheck {}: no draw for the step sweep: {reason}",
                spec.function
            );
            return;
        }
    };
    match sweep_one(&p, &d, config) {
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
