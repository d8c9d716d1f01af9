//! Symmetry of a layer's units: which units have the same weights.
//!
//! Units of a layer that start with identical weights (zero or constant
//! initialization) compute the same activation, receive the same delta and
//! take the same step: gradient descent never tells them apart, and the
//! layer acts as one unit. [`identical_units`] and [`Symmetry`] find such
//! units in a weight tensor, before training or after any number of steps.
//!
//! A unit is an index of the first axis: a row of a weight matrix
//! `Theta (L_out × (L_in + 1))` (bias column included), a filter of a
//! convolution kernel `(out_channels, in_channels, k)`. Two units are
//! identical when their weights differ by at most `tol` in every entry.
//!
//! ```
//! use gradcheck_runtime::{Init, Symmetry};
//! use ndarray::Array2;
//!
//! let zero = Array2::<f64>::zeros((10, 11));
//! let s = Symmetry::of("Theta1", zero.view(), 1e-12);
//! assert_eq!(s.to_string(), "units 0–9 of Theta1 are identical (max difference 0.0e0): the layer acts as 1 unit");
//!
//! let random: Array2<f64> = Init::default().sample_array((10, 11), 1);
//! assert!(!Symmetry::of("Theta1", random.view(), 1e-12).is_symmetric());
//! ```

use std::fmt;

use ndarray::{ArrayView, Axis, Dimension};

use crate::scalar::Scalar;

/// Groups of identical units: the indices (along the first axis) of units
/// whose weights are equal within `tol` (largest absolute difference of
/// corresponding entries), each group of two or more, sorted.
///
/// Units are grouped when a chain of units, each within `tol` of the next,
/// links them; [`Symmetry`] reports each group's largest difference, so a
/// chain that strays shows. An entry that is NaN equals nothing.
///
/// ```
/// use gradcheck_runtime::identical_units;
/// use ndarray::array;
///
/// let w = array![[0.1, 0.2], [0.3, 0.4], [0.1, 0.2], [0.3, 0.4 + 1e-15], [0.5, 0.0]];
/// assert_eq!(identical_units(w.view(), 1e-12), vec![vec![0, 2], vec![1, 3]]);
/// assert!(identical_units(w.view(), 0.0).len() == 1); // 1 and 3 differ by 1e-15
/// ```
pub fn identical_units<S: Scalar, D: Dimension>(
    weights: ArrayView<'_, S, D>,
    tol: f64,
) -> Vec<Vec<usize>> {
    Symmetry::of("", weights, tol)
        .groups
        .into_iter()
        .map(|g| g.units)
        .collect()
}

/// A group of identical units of a layer.
#[derive(Clone, Debug, PartialEq)]
pub struct UnitGroup {
    /// The units, in increasing order.
    pub units: Vec<usize>,
    /// The largest absolute difference between corresponding weights of any
    /// two units of the group.
    pub max_difference: f64,
}

/// The symmetry check of one layer: its groups of identical units and its
/// closest pair of units.
///
/// Displays as one line, such as `units 0–9 of Theta1 are identical (max
/// difference 0.0e0): the layer acts as 1 unit` or `Theta1: all 10 units
/// differ; the closest, units 3 and 7, by 3.1e-2`.
///
/// ```
/// use gradcheck_runtime::Symmetry;
/// use ndarray::array;
///
/// let w = array![[0.5, 1.0], [0.5, 1.0], [0.2, -0.3], [0.5, 1.0]];
/// let s = Symmetry::of("W", w.view(), 1e-9);
/// assert!(s.is_symmetric());
/// assert_eq!(s.distinct(), 2);
/// assert_eq!(s.to_string(), "units 0, 1 and 3 of W are identical (max difference 0.0e0): the layer acts as 2 units");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Symmetry {
    /// The layer's name, for the report.
    pub layer: String,
    /// Number of units (the first axis's length).
    pub units: usize,
    /// The tolerance used.
    pub tol: f64,
    /// The groups of identical units, ordered by their first unit.
    pub groups: Vec<UnitGroup>,
    /// The two units whose weights are closest, and their largest
    /// difference; `None` for fewer than two units.
    pub closest: Option<(usize, usize, f64)>,
}

impl Symmetry {
    /// Checks the units of `weights` (indices of the first axis; trailing
    /// axes are flattened) for ones equal within `tol` (see
    /// [`identical_units`]). `layer` names the layer in the report.
    pub fn of<S: Scalar, D: Dimension>(
        layer: impl Into<String>,
        weights: ArrayView<'_, S, D>,
        tol: f64,
    ) -> Self {
        // Entries in logical (row-major) order, cut into units.
        let values: Vec<f64> = weights.iter().map(|x| x.to_f64()).collect();
        let n = if weights.ndim() == 0 {
            1
        } else {
            weights.len_of(Axis(0))
        };
        let width = values.len().checked_div(n).unwrap_or(0);
        let rows: Vec<&[f64]> = (0..n)
            .map(|i| &values[i * width..(i + 1) * width])
            .collect();
        let difference = |a: &[f64], b: &[f64]| {
            a.iter()
                .zip(b)
                .map(|(x, y)| (x - y).abs())
                .fold(0.0, |m: f64, d| {
                    if d.is_nan() || m.is_nan() {
                        f64::NAN
                    } else {
                        m.max(d)
                    }
                })
        };
        // All pairwise differences, and the components of "within tol".
        let mut diffs = vec![0.0; n * n];
        let mut parent: Vec<usize> = (0..n).collect();
        let mut closest: Option<(usize, usize, f64)> = None;
        for i in 0..n {
            for j in i + 1..n {
                let d = difference(rows[i], rows[j]);
                diffs[i * n + j] = d;
                diffs[j * n + i] = d;
                if closest.is_none_or(|(_, _, c)| d < c || c.is_nan()) {
                    closest = Some((i, j, d));
                }
                if d <= tol {
                    let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                    parent[a.max(b)] = a.min(b);
                }
            }
        }
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); n];
        for i in 0..n {
            let r = root(&mut parent, i);
            members[r].push(i);
        }
        let groups = members
            .into_iter()
            .filter(|units| units.len() >= 2)
            .map(|units| {
                let mut max_difference: f64 = 0.0;
                for (k, &i) in units.iter().enumerate() {
                    for &j in &units[k + 1..] {
                        max_difference = max_difference.max(diffs[i * n + j]);
                    }
                }
                UnitGroup {
                    units,
                    max_difference,
                }
            })
            .collect();
        Symmetry {
            layer: layer.into(),
            units: n,
            tol,
            groups,
            closest,
        }
    }

    /// Whether some units are identical.
    pub fn is_symmetric(&self) -> bool {
        !self.groups.is_empty()
    }

    /// How many different units the layer has: each group counts once.
    pub fn distinct(&self) -> usize {
        self.units - self.groups.iter().map(|g| g.units.len() - 1).sum::<usize>()
    }
}

/// The representative of `i`'s component, halving paths on the way.
fn root(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

/// `0–9`, `0, 3 and 7`, `0–4, 7 and 9`: sorted indices with runs of three
/// or more contracted.
fn list_units(units: &[usize]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut k = 0;
    while k < units.len() {
        let mut end = k;
        while end + 1 < units.len() && units[end + 1] == units[end] + 1 {
            end += 1;
        }
        if end >= k + 2 {
            parts.push(format!("{}–{}", units[k], units[end]));
        } else {
            parts.extend(units[k..=end].iter().map(|u| u.to_string()));
        }
        k = end + 1;
    }
    match parts.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => parts.concat(),
    }
}

impl fmt::Display for Symmetry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let of = if self.layer.is_empty() {
            String::new()
        } else {
            format!(" of {}", self.layer)
        };
        let name = if self.layer.is_empty() {
            "the layer"
        } else {
            &self.layer
        };
        if self.groups.is_empty() {
            return match self.closest {
                None => write!(f, "{name}: {} unit, nothing to compare", self.units),
                Some((i, j, d)) => write!(
                    f,
                    "{name}: all {} units differ; the closest, units {i} and {j}, by {d:.1e}",
                    self.units
                ),
            };
        }
        let parts: Vec<String> = self
            .groups
            .iter()
            .enumerate()
            .map(|(k, g)| {
                let units = list_units(&g.units);
                let difference = g.max_difference;
                if k == 0 {
                    format!("units {units}{of} are identical (max difference {difference:.1e})")
                } else {
                    format!("so are units {units} (max difference {difference:.1e})")
                }
            })
            .collect();
        let distinct = self.distinct();
        write!(
            f,
            "{}: the layer acts as {distinct} unit{}",
            parts.join("; "),
            if distinct == 1 { "" } else { "s" }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array3};

    #[test]
    fn unit_lists_contract_runs() {
        assert_eq!(list_units(&[0, 1, 2, 3]), "0–3");
        assert_eq!(list_units(&[0, 3, 7]), "0, 3 and 7");
        assert_eq!(list_units(&[0, 1, 2, 3, 4, 7, 9]), "0–4, 7 and 9");
        assert_eq!(list_units(&[4, 5]), "4 and 5");
        assert_eq!(list_units(&[2]), "2");
    }

    #[test]
    fn distinct_units_are_reported_with_the_closest_pair() {
        let w = array![[0.0, 1.0], [0.5, 1.0], [0.0, 0.9]];
        let s = Symmetry::of("W", w.view(), 1e-9);
        assert!(!s.is_symmetric());
        assert_eq!(s.distinct(), 3);
        assert_eq!(s.closest.map(|(i, j, _)| (i, j)), Some((0, 2)));
        assert_eq!(
            s.to_string(),
            "W: all 3 units differ; the closest, units 0 and 2, by 1.0e-1"
        );
    }

    #[test]
    fn several_groups_and_kernels() {
        // Filters 0 and 2 equal, 1 and 3 equal, as whole (channels × width) blocks.
        let mut k = Array3::<f32>::zeros((4, 2, 3));
        k[[1, 0, 0]] = 1.0;
        k[[3, 0, 0]] = 1.0;
        k[[2, 1, 2]] = 1e-7;
        let s = Symmetry::of("conv", k.view(), 1e-6);
        assert_eq!(
            identical_units(k.view(), 1e-6),
            vec![vec![0, 2], vec![1, 3]]
        );
        assert!((s.groups[0].max_difference - 1e-7).abs() < 1e-12);
        assert_eq!(s.distinct(), 2);
        assert_eq!(
            s.to_string(),
            "units 0 and 2 of conv are identical (max difference 1.0e-7); so are units 1 and 3 \
             (max difference 0.0e0): the layer acts as 2 units"
        );
    }

    #[test]
    fn nan_equals_nothing_and_small_layers_have_nothing_to_compare() {
        let w = array![[f64::NAN, 1.0], [f64::NAN, 1.0], [0.0, 1.0]];
        assert!(identical_units(w.view(), 1.0).is_empty());
        let one = array![[1.0, 2.0]];
        assert_eq!(
            Symmetry::of("b", one.view(), 0.0).to_string(),
            "b: 1 unit, nothing to compare"
        );
        assert!(identical_units(ndarray::arr0(1.0).view(), 0.0).is_empty());
    }
}
