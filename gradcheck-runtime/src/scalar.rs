//! The floating-point types a check can run in.

use std::fmt::{Debug, Display};

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// A floating-point type that parameters, costs and gradients are written in:
/// `f32` or `f64`.
///
/// The constants give the defaults a check uses when the caller sets none.
/// All internal arithmetic (differences, extrapolation, comparison) is done
/// in `f64`; only the cost itself runs in the user's type.
///
/// The f64 defaults are the classic `eps = 1e-4`, `tol = 1e-9`; entries that
/// plain central differences cannot settle at that tolerance are refined by
/// extrapolation. The f32 defaults, `eps = 1e-2` and `tol = 1e-4`, come from
/// `examples/calibrate_f32.rs`: over 1,000 checks of correct f32 gradients of
/// five smooth costs at random inits, every one passed at `eps = 1e-2`,
/// `tol = 1e-4` (at `eps = 1e-3` only 840 did, and at `tol = 1e-5` only 821),
/// while a 1 % error planted in one gradient entry failed 735 times, was
/// judged inconclusive 231 times and passed 34 times (each of those within
/// `tol` of the numeric gradient by the relative-difference metric).
///
/// ```
/// use gradcheck_runtime::Scalar;
///
/// assert_eq!(<f64 as Scalar>::DEFAULT_EPS, 1e-4);
/// assert!(<f32 as Scalar>::DEFAULT_TOL > <f64 as Scalar>::DEFAULT_TOL);
/// assert_eq!(<f32 as Scalar>::from_f64(0.5).to_f64(), 0.5);
/// ```
pub trait Scalar:
    sealed::Sealed + Copy + PartialEq + PartialOrd + Debug + Display + Send + Sync + 'static
{
    /// The type's name as written in Rust (`"f32"` or `"f64"`).
    const NAME: &'static str;
    /// Machine epsilon of the type, as `f64`.
    const EPSILON: f64;
    /// Default step of the central difference.
    const DEFAULT_EPS: f64;
    /// Default tolerance on the relative difference.
    const DEFAULT_TOL: f64;

    /// Widens (or keeps) the value as `f64`.
    fn to_f64(self) -> f64;
    /// Rounds an `f64` to this type.
    fn from_f64(value: f64) -> Self;
}

impl Scalar for f64 {
    const NAME: &'static str = "f64";
    const EPSILON: f64 = f64::EPSILON;
    const DEFAULT_EPS: f64 = 1e-4;
    const DEFAULT_TOL: f64 = 1e-9;

    fn to_f64(self) -> f64 {
        self
    }

    fn from_f64(value: f64) -> Self {
        value
    }
}

impl Scalar for f32 {
    const NAME: &'static str = "f32";
    const EPSILON: f64 = f32::EPSILON as f64;
    const DEFAULT_EPS: f64 = 1e-2;
    const DEFAULT_TOL: f64 = 1e-4;

    fn to_f64(self) -> f64 {
        f64::from(self)
    }

    fn from_f64(value: f64) -> Self {
        value as f32
    }
}
