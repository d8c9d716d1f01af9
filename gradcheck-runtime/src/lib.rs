//! The runtime of [gradcheck-rs](https://docs.rs/gradcheck-rs): everything
//! that runs when a gradient is checked.
//!
//! Most users reach it through the `gradcheck` facade crate and its
//! `#[gradcheck]` attribute; layer authors call [`check`](fn@check) or [`check_split`]
//! directly from any test.
//!
//! ```
//! use gradcheck_runtime::{check, Config, Verdict};
//! use ndarray::{array, Array1};
//!
//! // Least squares J(w) = ½‖Xw − y‖², ∇J = Xᵀ(Xw − y).
//! let x = array![[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]];
//! let y = array![1.0, 0.0, 2.0];
//! let cost = |w: &Array1<f64>| {
//!     let r = x.dot(w) - &y;
//!     (0.5 * r.dot(&r), x.t().dot(&r))
//! };
//! let report = check(&array![0.1, -0.07], cost, &Config::new().param("w"));
//! assert_eq!(report.verdict, Verdict::Pass, "{report}");
//! ```
#![deny(missing_docs)]

pub mod check;
pub mod compare;
pub mod difference;
pub mod init;
pub mod layer;
pub mod params;
pub mod projection;
pub mod report;
pub mod runner;
pub mod scalar;
pub mod selftest;
pub mod sweep;
pub mod symmetry;

pub use check::{check, check_parallel, check_split, Config};
pub use init::Init;
pub use layer::{check_hvp, check_layer, Layer, LayerConfig, LayerReport};
pub use params::{Draw, Gradient, Layout, Params, Shape};
pub use report::{Component, Problem, Report, Status, Verdict};
pub use scalar::Scalar;
pub use selftest::self_test;
pub use sweep::sweep;
pub use symmetry::{identical_units, Symmetry};
