//! Gradient checking as a cargo test.
//!
//! PLACEHOLDER crate docs; written once the attribute lands.
#![deny(missing_docs)]

pub use gradcheck_macros::gradcheck;
pub use gradcheck_runtime::{
    check, check_split, compare, difference, init, params, report, runner, Component, Config,
    Gradient, Init, Layout, Params, Problem, Report, Scalar, Shape, Status, Verdict,
};
pub use ndarray;

/// Items the generated code uses. Not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use gradcheck_runtime::init::Init;
    pub use gradcheck_runtime::params::Shape;
    pub use gradcheck_runtime::runner::{run, run_split, Spec};
    pub use proptest;
    pub use proptest::strategy::Just;
}
