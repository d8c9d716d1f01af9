//! Comparing an analytic gradient with a numeric one: the relative
//! difference and the patterns that point at a bug's kind.

use crate::params::Layout;
use crate::report::{Component, Status};

/// The relative difference `‖a − n‖ / (‖a‖ + ‖n‖)` in the Euclidean norm,
/// with `0/0` taken as 0.
///
/// It lies in [0, 1]: 0 for identical vectors, 1 when one side is zero and
/// the other is not, or when `a = −n`.
///
/// ```
/// use gradcheck_runtime::compare::relative_difference;
///
/// assert_eq!(relative_difference(&[0.0, 0.0], &[0.0, 0.0]), 0.0);
/// assert_eq!(relative_difference(&[1.0, 0.0], &[0.0, 0.0]), 1.0);
/// assert_eq!(relative_difference(&[4.0], &[1.0]), 0.6); // off by a factor of 4
/// ```
pub fn relative_difference(analytic: &[f64], numeric: &[f64]) -> f64 {
    assert_eq!(analytic.len(), numeric.len(), "vectors of equal length");
    // Scale before squaring so that entries near f64::MAX or below
    // f64::MIN_POSITIVE^(1/2) neither overflow nor underflow.
    let scale = analytic
        .iter()
        .chain(numeric)
        .fold(0.0f64, |m, x| m.max(x.abs()));
    if scale == 0.0 {
        return 0.0;
    }
    let norm =
        |it: &mut dyn Iterator<Item = f64>| it.map(|x| (x / scale).powi(2)).sum::<f64>().sqrt();
    let diff = norm(&mut analytic.iter().zip(numeric).map(|(a, n)| a - n));
    let a = norm(&mut analytic.iter().copied());
    let n = norm(&mut numeric.iter().copied());
    diff / (a + n)
}

/// Patterns in the disagreeing components, as sentences for the report:
/// a constant ratio (a missing or extra scale factor), sign flips, and
/// which blocks of parameters are wrong while others are right.
pub fn diagnose(
    components: &[Component],
    layout: &Layout,
    base: &str,
    names: &[&str],
) -> Vec<String> {
    let bad: Vec<&Component> = components
        .iter()
        .filter(|c| c.status == Status::Disagree)
        .collect();
    if bad.is_empty() {
        return Vec::new();
    }
    let mut lines = Vec::new();

    // One factor for all: the least-squares ratio, then every entry within
    // 0.1 % of it.
    let all_nonzero = bad.iter().all(|c| c.numeric != 0.0 && c.analytic != 0.0);
    if !bad.is_empty() && all_nonzero {
        let an: f64 = bad.iter().map(|c| c.analytic * c.numeric).sum();
        let nn: f64 = bad.iter().map(|c| c.numeric * c.numeric).sum();
        let ratio = an / nn;
        let constant = bad
            .iter()
            .all(|c| (c.analytic - ratio * c.numeric).abs() <= 1e-3 * c.analytic.abs());
        // One entry always has "a constant ratio"; only a round one (2, 4,
        // 1/2, −1, …) says anything about the bug's kind.
        let round = |r: f64| {
            let k = r.round();
            (k.abs() >= 2.0 || k == -1.0) && (r - k).abs() <= 1e-3 * r.abs()
        };
        let constant = constant && (bad.len() >= 2 || round(ratio) || round(1.0 / ratio));
        let every = if bad.len() == 1 {
            "the disagreeing entry"
        } else {
            "every disagreeing entry"
        };
        if constant && (ratio + 1.0).abs() <= 1e-3 {
            lines.push(format!(
                "{every} has the opposite sign of the numeric value (analytic = -1 x numeric): \
                 a sign error, e.g. gradient ascent instead of descent or y - h instead of h - y"
            ));
        } else if constant {
            lines.push(format!(
                "{every} is {ratio:.4}x the numeric value: a scale error, e.g. a missing or \
                 extra 1/m or a factor of 2"
            ));
        }
    }
    let flips = bad
        .iter()
        .filter(|c| {
            c.analytic * c.numeric < 0.0 && (c.analytic + c.numeric).abs() <= 1e-3 * c.numeric.abs()
        })
        .count();
    if flips > 0 && flips < bad.len() {
        lines.push(format!(
            "{flips} of the disagreeing entries are the numeric value with its sign flipped"
        ));
    }
    if components
        .iter()
        .any(|c| c.status == Status::Disagree && c.numeric == 0.0 && c.analytic != 0.0)
    {
        let n = bad.iter().filter(|c| c.numeric == 0.0).count();
        lines.push(format!(
            "{} a numeric derivative of exactly 0: the cost does not change with them (is the \
             parameter used? a ReLU unit dead but not masked in the backward pass?), or the \
             cost is saturated in floating point there (log(1 - sigmoid(z)) at large z: use \
             softplus)",
            if n == 1 {
                "1 disagreeing entry has".to_string()
            } else {
                format!("{n} disagreeing entries have")
            }
        ));
    }

    if let Some(line) = same_column(&bad, layout) {
        lines.push(line);
    }

    let blocks = layout.blocks().len();
    if blocks > 1 {
        let mut wrong = Vec::new();
        let mut right = Vec::new();
        for k in 0..blocks {
            let range = layout.block_range(k);
            let n_bad = bad.iter().filter(|c| range.contains(&c.index)).count();
            let name = layout.block_name(k, base, names);
            if n_bad > 0 {
                wrong.push(format!("{name} ({n_bad} of {})", range.len()));
            } else if !range.is_empty() {
                right.push(name);
            }
        }
        if !right.is_empty() {
            lines.push(format!(
                "the disagreements are confined to {}; {} agree",
                wrong.join(", "),
                right.join(", ")
            ));
        }
    }
    lines
}

/// A sentence when the disagreeing entries of two or more matrices all lie
/// in one column (a bias column regularized, or a column of the wrong input)
/// while the matrices have more columns.
fn same_column(bad: &[&Component], layout: &Layout) -> Option<String> {
    let mut column = None;
    let mut widest = 0;
    for c in bad {
        let (k, local) = layout.locate(c.index);
        let shape = &layout.blocks()[k].shape;
        let [_, cols] = shape.as_slice() else {
            return None;
        };
        widest = widest.max(*cols);
        let col = local % cols;
        match column {
            None => column = Some(col),
            Some(seen) if seen != col => return None,
            _ => {}
        }
    }
    let col = column?;
    let mut blocks: Vec<usize> = bad.iter().map(|c| layout.locate(c.index).0).collect();
    blocks.dedup();
    (blocks.len() >= 2 && widest > 1).then(|| {
        format!(
            "every disagreeing entry is in column {col} of its matrix{}",
            if col == 0 {
                " (the bias column? is it regularized in the gradient but not in the cost?)"
            } else {
                ""
            }
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(index: usize, analytic: f64, numeric: f64) -> Component {
        Component {
            index,
            name: format!("w[{index}]"),
            value: 0.0,
            analytic,
            numeric,
            error_estimate: 0.0,
            step: 1e-4,
            one_sided: None,
            status: Status::Disagree,
        }
    }

    #[test]
    fn a_single_round_ratio_is_diagnosed_even_a_hair_below_it() {
        let layout = Layout::vector(3);
        let twice = diagnose(&[entry(1, 0.6, 0.300_000_000_000_1)], &layout, "w", &[]);
        assert!(
            twice[0].contains("the disagreeing entry is 2.0000x"),
            "{twice:?}"
        );
        let flipped = diagnose(&[entry(0, -0.3, 0.3)], &layout, "w", &[]);
        assert!(flipped[0].contains("opposite sign"), "{flipped:?}");
        let odd = diagnose(&[entry(0, 1.0028, 1.0)], &layout, "w", &[]);
        assert!(odd.iter().all(|l| !l.contains("scale error")), "{odd:?}");
    }

    #[test]
    fn relative_difference_handles_extreme_magnitudes() {
        let big = [1e300, -1e300];
        assert_eq!(relative_difference(&big, &big), 0.0);
        let tiny = [1e-300, 2e-300];
        approx::assert_relative_eq!(
            relative_difference(&tiny, &[2e-300, 4e-300]),
            1.0 / 3.0,
            max_relative = 1e-12
        );
        assert_eq!(relative_difference(&[1.0], &[-1.0]), 1.0);
    }
}
