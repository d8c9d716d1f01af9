//! Containers of parameters and gradients: their layout, element access and
//! the names reports give their entries.
//!
//! A check sees every container as a flat sequence of scalars in logical
//! (row-major) order, split into named blocks. `[f64; 3]` is one block of
//! shape `[3]`; an `Array2` is one block of its shape; a `Vec<Array2>` is one
//! block per tensor.

use std::fmt;

use ndarray::{Array, Dimension, IxDyn};

use crate::scalar::Scalar;

/// The shape of one tensor inside a parameter container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// Extent of each axis; empty for a single scalar.
    pub shape: Vec<usize>,
}

impl Block {
    /// Number of scalars in the block.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// Whether the block holds no scalar at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How a container's scalars are split into tensors, and how entries are named.
///
/// Each block (tensor) carries a label that is appended to the parameters'
/// name: empty for a single tensor (`theta[3]`), `[k]` for the k-th tensor
/// of a list (`theta[2][4, 0]`), `.field` for a field of a struct that
/// derives `Params` (`dense.weights[3, 7]`).
///
/// ```
/// use gradcheck_runtime::Layout;
///
/// let layout = Layout::list(vec![vec![2, 3], vec![3]]);
/// assert_eq!(layout.len(), 9);
/// assert_eq!(layout.name(4, "theta", &[]), "theta[0][1, 1]");
/// assert_eq!(layout.name(7, "theta", &["W", "b"]), "b[1]");
/// assert_eq!(layout.to_string(), "[(2, 3), (3)]");
///
/// let dense = Layout::labeled(vec![(".weights".into(), vec![3, 4]), (".bias".into(), vec![4])]);
/// assert_eq!(dense.name(13, "dense", &[]), "dense.bias[1]");
/// assert_eq!(dense.to_string(), "{.weights: (3, 4), .bias: (4)}");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    blocks: Vec<Block>,
    /// The label of each block, appended to the parameters' name.
    labels: Vec<String>,
    /// How the layout prints: one tensor, a list, or named fields.
    kind: Kind,
    /// Offset of each block's first scalar, plus the total at the end.
    offsets: Vec<usize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Single,
    List,
    Fields,
}

impl Layout {
    /// A layout of tensors of the given shapes, in order; a list of several
    /// tensors when there is more than one shape.
    pub fn new(shapes: Vec<Vec<usize>>) -> Self {
        if shapes.len() == 1 {
            let labels = vec![String::new()];
            Layout::build(shapes, labels, Kind::Single)
        } else {
            Layout::list(shapes)
        }
    }

    /// A layout of a list of tensors, even of one (`Vec<Array2<f64>>`).
    pub fn list(shapes: Vec<Vec<usize>>) -> Self {
        let labels = (0..shapes.len()).map(|k| format!("[{k}]")).collect();
        Layout::build(shapes, labels, Kind::List)
    }

    /// A layout of named tensors: each label (such as `.weights`) is
    /// appended to the parameters' name.
    pub fn labeled(blocks: Vec<(String, Vec<usize>)>) -> Self {
        let (labels, shapes) = blocks.into_iter().unzip();
        Layout::build(shapes, labels, Kind::Fields)
    }

    /// The layouts of several parts one after another, each part's labels
    /// prefixed with its own (`.weights` + `[0]` gives `.weights[0]`).
    pub fn concat(parts: Vec<(String, Layout)>) -> Self {
        let mut blocks = Vec::new();
        for (prefix, part) in parts {
            for (label, block) in part.labels.iter().zip(part.blocks) {
                blocks.push((format!("{prefix}{label}"), block.shape));
            }
        }
        Layout::labeled(blocks)
    }

    /// A layout of one flat vector of `n` scalars.
    pub fn vector(n: usize) -> Self {
        Layout::new(vec![vec![n]])
    }

    fn build(shapes: Vec<Vec<usize>>, labels: Vec<String>, kind: Kind) -> Self {
        let blocks: Vec<Block> = shapes.into_iter().map(|shape| Block { shape }).collect();
        let mut offsets = Vec::with_capacity(blocks.len() + 1);
        let mut total = 0;
        offsets.push(0);
        for block in &blocks {
            total += block.len();
            offsets.push(total);
        }
        Layout {
            blocks,
            labels,
            kind,
            offsets,
        }
    }

    /// The blocks, in order.
    pub fn blocks(&self) -> &[Block] {
        &self.blocks
    }

    /// The label of each block (see [`Layout`]).
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// Whether two layouts have the same tensors of the same shapes, in the
    /// same order, whatever their labels.
    pub fn same_shapes(&self, other: &Layout) -> bool {
        self.blocks == other.blocks
    }

    /// Total number of scalars.
    pub fn len(&self) -> usize {
        *self.offsets.last().unwrap_or(&0)
    }

    /// Whether the layout holds no scalar.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The block holding flat index `i` and the index inside it.
    pub fn locate(&self, i: usize) -> (usize, usize) {
        let block = self.offsets.partition_point(|&o| o <= i).saturating_sub(1);
        (block, i - self.offsets[block])
    }

    /// Range of flat indices covered by block `k`.
    pub fn block_range(&self, k: usize) -> std::ops::Range<usize> {
        self.offsets[k]..self.offsets[k + 1]
    }

    /// The name of block `k`: `names[k]` if given, else the block's label,
    /// after `base` when the label is a suffix (`[2]`, `.weights`).
    pub fn block_name(&self, k: usize, base: &str, names: &[&str]) -> String {
        match names.get(k) {
            Some(name) => (*name).to_string(),
            None => {
                // A label is a suffix of the base name (`""`, `[2]`,
                // `.weights`) or a whole name of its own (`x`, `W.bias`).
                let label = &self.labels[k];
                let suffix = label.is_empty() || label.starts_with(['.', '[']);
                if !suffix {
                    label.clone()
                } else if base.is_empty() {
                    label.trim_start_matches('.').to_string()
                } else {
                    format!("{base}{label}")
                }
            }
        }
    }

    /// The name of flat index `i`, such as `theta[3]`, `W[4, 0]`,
    /// `theta[2][4, 0]` or `dense.weights[3, 7]`.
    pub fn name(&self, i: usize, base: &str, names: &[&str]) -> String {
        let (k, local) = self.locate(i);
        let mut name = self.block_name(k, base, names);
        let shape = &self.blocks[k].shape;
        if !shape.is_empty() {
            let index = unravel(local, shape);
            let parts: Vec<String> = index.iter().map(|x| x.to_string()).collect();
            name.push('[');
            name.push_str(&parts.join(", "));
            name.push(']');
        }
        name
    }
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shape = |b: &Block| {
            let parts: Vec<String> = b.shape.iter().map(|x| x.to_string()).collect();
            format!("({})", parts.join(", "))
        };
        match self.kind {
            Kind::Single => write!(f, "{}", shape(&self.blocks[0])),
            Kind::List => {
                let parts: Vec<String> = self.blocks.iter().map(shape).collect();
                write!(f, "[{}]", parts.join(", "))
            }
            Kind::Fields => {
                let parts: Vec<String> = self
                    .labels
                    .iter()
                    .zip(&self.blocks)
                    .filter(|(_, b)| !b.is_empty())
                    .map(|(l, b)| format!("{l}: {}", shape(b)))
                    .collect();
                write!(f, "{{{}}}", parts.join(", "))
            }
        }
    }
}

/// The values of a parameter container on one line per tensor, row-major,
/// each value printed exactly (it parses back to the same number), as
/// `theta (2, 3) = [0.1, -0.02, 0, 0.3, 0.05, -0.11]`.
///
/// ```
/// use gradcheck_runtime::params::describe;
/// use ndarray::array;
///
/// let w = vec![array![[0.5, -1.0]], array![[0.25]]];
/// assert_eq!(describe(&w, "theta", &["W", "b"]), "W (1, 2) = [0.5, -1]; b (1, 1) = [0.25]");
/// ```
pub fn describe<P: Params>(params: &P, base: &str, names: &[&str]) -> String {
    let layout = params.layout();
    let parts: Vec<String> = (0..layout.blocks().len())
        .map(|k| {
            let values: Vec<String> = layout
                .block_range(k)
                .map(|i| params.get_flat(i).to_string())
                .collect();
            let shape: Vec<String> = layout.blocks()[k]
                .shape
                .iter()
                .map(|x| x.to_string())
                .collect();
            format!(
                "{} ({}) = [{}]",
                layout.block_name(k, base, names),
                shape.join(", "),
                values.join(", ")
            )
        })
        .collect();
    parts.join("; ")
}

/// Row-major multi-index of flat position `i` in `shape`.
fn unravel(mut i: usize, shape: &[usize]) -> Vec<usize> {
    let mut index = vec![0; shape.len()];
    for (axis, &extent) in shape.iter().enumerate().rev() {
        if extent > 0 {
            index[axis] = i % extent;
            i /= extent;
        }
    }
    index
}

/// A parameter container the checker can read and perturb in place.
///
/// Implemented for `[S; N]`, `Vec<S>`, owned ndarray arrays of any
/// dimension, and `Vec` of those (several tensors), for `S` = `f32` or `f64`.
///
/// ```
/// use gradcheck_runtime::Params;
/// use ndarray::array;
///
/// let mut w = array![[1.0, 2.0], [3.0, 4.0]];
/// assert_eq!(w.get_flat(2), 3.0);
/// w.set_flat(2, 7.0);
/// assert_eq!(w[[1, 0]], 7.0);
/// assert_eq!(w.layout().name(2, "W", &[]), "W[1, 0]");
/// ```
pub trait Params: Clone {
    /// The scalar type of the entries.
    type Scalar: Scalar;

    /// The container's blocks and shapes.
    fn layout(&self) -> Layout;
    /// Number of scalars (the default asks the layout).
    fn flat_len(&self) -> usize {
        self.layout().len()
    }
    /// Entry `i` in logical order.
    fn get_flat(&self, i: usize) -> Self::Scalar;
    /// Overwrites entry `i` in logical order.
    fn set_flat(&mut self, i: usize, value: Self::Scalar);

    /// A copy whose storage is in standard (row-major, contiguous) order, so
    /// that entry access is cheap. The default is a plain clone.
    fn to_standard(&self) -> Self {
        self.clone()
    }
}

/// A gradient container the checker can read: the same kinds of containers
/// as [`Params`].
pub trait Gradient {
    /// The scalar type of the entries.
    type Scalar: Scalar;

    /// The container's blocks and shapes.
    fn grad_layout(&self) -> Layout;
    /// All entries in logical order, widened to `f64`.
    fn to_f64_vec(&self) -> Vec<f64>;
}

/// A parameter container that can be built from a shape and flat values,
/// which is how drawn parameters are made.
pub trait Draw: Params + Sized {
    /// The layout that `shape` gives this container type, or a message
    /// saying why the shape does not fit it.
    fn layout_for(shape: &Shape) -> Result<Layout, String>;
    /// Builds the container from values in logical order; `values.len()`
    /// equals `layout_for(shape)?.len()`.
    fn from_flat(shape: &Shape, values: Vec<Self::Scalar>) -> Self;
}

/// The size of drawn parameters, as given to the attribute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shape {
    /// The size comes from the type (`[f64; N]`).
    FromType,
    /// One tensor of this shape (`dim = n` is `Of(&[n])`).
    Of(&'static [usize]),
    /// Several tensors of these shapes.
    Many(&'static [&'static [usize]]),
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Shape::FromType => f.write_str("the size of the type"),
            Shape::Of(s) => write!(f, "shape {s:?}"),
            Shape::Many(s) => write!(f, "shapes {s:?}"),
        }
    }
}

impl<S: Scalar, const N: usize> Params for [S; N] {
    type Scalar = S;

    fn flat_len(&self) -> usize {
        N
    }

    fn layout(&self) -> Layout {
        Layout::vector(N)
    }

    fn get_flat(&self, i: usize) -> S {
        self[i]
    }

    fn set_flat(&mut self, i: usize, value: S) {
        self[i] = value;
    }
}

impl<S: Scalar, const N: usize> Gradient for [S; N] {
    type Scalar = S;

    fn grad_layout(&self) -> Layout {
        Layout::vector(N)
    }

    fn to_f64_vec(&self) -> Vec<f64> {
        self.iter().map(|x| x.to_f64()).collect()
    }
}

/// Refuses shapes whose entry count overflows `usize` or is absurd to draw.
fn countable(shape: &[usize]) -> Result<(), String> {
    const MOST: usize = 1 << 40;
    match shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d)) {
        Some(n) if n <= MOST => Ok(()),
        _ => Err(format!(
            "the shape {shape:?} has more entries than can be drawn (at most 2^40)"
        )),
    }
}

impl<S: Scalar, const N: usize> Draw for [S; N] {
    fn layout_for(shape: &Shape) -> Result<Layout, String> {
        match shape {
            Shape::FromType => Ok(Layout::vector(N)),
            Shape::Of([n]) if *n == N => Ok(Layout::vector(N)),
            other => Err(format!(
                "[{}; {N}] takes its size from the type, not {other}",
                S::NAME
            )),
        }
    }

    fn from_flat(_: &Shape, values: Vec<S>) -> Self {
        let mut out = [S::from_f64(0.0); N];
        out.copy_from_slice(&values);
        out
    }
}

impl<S: Scalar> Params for Vec<S> {
    type Scalar = S;

    fn flat_len(&self) -> usize {
        self.len()
    }

    fn layout(&self) -> Layout {
        Layout::vector(self.len())
    }

    fn get_flat(&self, i: usize) -> S {
        self[i]
    }

    fn set_flat(&mut self, i: usize, value: S) {
        self[i] = value;
    }
}

impl<S: Scalar> Gradient for Vec<S> {
    type Scalar = S;

    fn grad_layout(&self) -> Layout {
        Layout::vector(self.len())
    }

    fn to_f64_vec(&self) -> Vec<f64> {
        self.iter().map(|x| x.to_f64()).collect()
    }
}

impl<S: Scalar> Gradient for [S] {
    type Scalar = S;

    fn grad_layout(&self) -> Layout {
        Layout::vector(self.len())
    }

    fn to_f64_vec(&self) -> Vec<f64> {
        self.iter().map(|x| x.to_f64()).collect()
    }
}

impl<S: Scalar> Draw for Vec<S> {
    fn layout_for(shape: &Shape) -> Result<Layout, String> {
        match shape {
            Shape::Of([n]) => countable(&[*n]).map(|()| Layout::vector(*n)),
            Shape::Of(s) => Err(format!(
                "Vec<{}> is one-dimensional, but {} axes were given: {s:?}",
                S::NAME,
                s.len()
            )),
            other => Err(format!("Vec<{}> needs `dim = n`, not {other}", S::NAME)),
        }
    }

    fn from_flat(_: &Shape, values: Vec<S>) -> Self {
        values
    }
}

/// Whether an array's axis count `ndim` fits the static dimension `D`.
fn fits<D: Dimension>(ndim: usize) -> bool {
    D::NDIM.is_none_or(|n| n == ndim)
}

fn array_from<S: Scalar, D: Dimension>(shape: &[usize], values: Vec<S>) -> Array<S, D> {
    Array::from_shape_vec(IxDyn(shape), values)
        .expect("the values fill the shape")
        .into_dimensionality::<D>()
        .expect("the axis count was checked against the type")
}

impl<S: Scalar, D: Dimension> Params for Array<S, D> {
    type Scalar = S;

    fn flat_len(&self) -> usize {
        self.len()
    }

    fn layout(&self) -> Layout {
        Layout::new(vec![self.shape().to_vec()])
    }

    fn get_flat(&self, i: usize) -> S {
        match self.as_slice() {
            Some(s) => s[i],
            None => *self.iter().nth(i).expect("index within the array"),
        }
    }

    fn set_flat(&mut self, i: usize, value: S) {
        match self.as_slice_mut() {
            Some(s) => s[i] = value,
            None => *self.iter_mut().nth(i).expect("index within the array") = value,
        }
    }

    fn to_standard(&self) -> Self {
        self.as_standard_layout().into_owned()
    }
}

impl<S: Scalar, D: Dimension> Gradient for Array<S, D> {
    type Scalar = S;

    fn grad_layout(&self) -> Layout {
        Layout::new(vec![self.shape().to_vec()])
    }

    fn to_f64_vec(&self) -> Vec<f64> {
        self.iter().map(|x| x.to_f64()).collect()
    }
}

impl<S: Scalar, D: Dimension> Draw for Array<S, D> {
    fn layout_for(shape: &Shape) -> Result<Layout, String> {
        match shape {
            Shape::Of(s) if fits::<D>(s.len()) => {
                countable(s).map(|()| Layout::new(vec![s.to_vec()]))
            }
            Shape::Of(s) => Err(format!(
                "the array type has {} axes, but the shape {s:?} has {}",
                D::NDIM.unwrap_or(0),
                s.len()
            )),
            other => Err(format!(
                "an ndarray parameter needs `shape = (..)`, not {other}"
            )),
        }
    }

    fn from_flat(shape: &Shape, values: Vec<S>) -> Self {
        match shape {
            Shape::Of(s) => array_from(s, values),
            _ => unreachable!("layout_for accepts only Shape::Of for arrays"),
        }
    }
}

impl<S: Scalar, D: Dimension> Params for Vec<Array<S, D>> {
    type Scalar = S;

    fn layout(&self) -> Layout {
        Layout::list(self.iter().map(|a| a.shape().to_vec()).collect())
    }

    fn get_flat(&self, i: usize) -> S {
        let (k, j) = locate_in(self, i);
        self[k].get_flat(j)
    }

    fn set_flat(&mut self, i: usize, value: S) {
        let (k, j) = locate_in(self, i);
        self[k].set_flat(j, value);
    }

    fn to_standard(&self) -> Self {
        self.iter().map(Params::to_standard).collect()
    }
}

/// A pair of containers, such as a layer's input and its parameters; its
/// blocks are labelled `.0…` and `.1…`.
impl<A, B> Params for (A, B)
where
    A: Params,
    B: Params<Scalar = A::Scalar>,
{
    type Scalar = A::Scalar;

    fn layout(&self) -> Layout {
        Layout::concat(vec![
            (".0".into(), self.0.layout()),
            (".1".into(), self.1.layout()),
        ])
    }

    fn flat_len(&self) -> usize {
        self.0.flat_len() + self.1.flat_len()
    }

    fn get_flat(&self, i: usize) -> A::Scalar {
        let n = self.0.flat_len();
        if i < n {
            self.0.get_flat(i)
        } else {
            self.1.get_flat(i - n)
        }
    }

    fn set_flat(&mut self, i: usize, value: A::Scalar) {
        let n = self.0.flat_len();
        if i < n {
            self.0.set_flat(i, value)
        } else {
            self.1.set_flat(i - n, value)
        }
    }

    fn to_standard(&self) -> Self {
        (self.0.to_standard(), self.1.to_standard())
    }
}

impl<A, B> Gradient for (A, B)
where
    A: Gradient,
    B: Gradient<Scalar = A::Scalar>,
{
    type Scalar = A::Scalar;

    fn grad_layout(&self) -> Layout {
        Layout::concat(vec![
            (".0".into(), self.0.grad_layout()),
            (".1".into(), self.1.grad_layout()),
        ])
    }

    fn to_f64_vec(&self) -> Vec<f64> {
        let mut v = self.0.to_f64_vec();
        v.extend(self.1.to_f64_vec());
        v
    }
}

/// Block and local index of flat index `i` in a list of arrays.
fn locate_in<S, D: Dimension>(arrays: &[Array<S, D>], mut i: usize) -> (usize, usize) {
    for (k, a) in arrays.iter().enumerate() {
        if i < a.len() {
            return (k, i);
        }
        i -= a.len();
    }
    panic!("flat index beyond the parameters")
}

impl<S: Scalar, D: Dimension> Gradient for Vec<Array<S, D>> {
    type Scalar = S;

    fn grad_layout(&self) -> Layout {
        self.as_slice().grad_layout()
    }

    fn to_f64_vec(&self) -> Vec<f64> {
        self.as_slice().to_f64_vec()
    }
}

impl<S: Scalar, D: Dimension> Gradient for [Array<S, D>] {
    type Scalar = S;

    fn grad_layout(&self) -> Layout {
        Layout::list(self.iter().map(|a| a.shape().to_vec()).collect())
    }

    fn to_f64_vec(&self) -> Vec<f64> {
        self.iter()
            .flat_map(|a| a.iter().map(|x| x.to_f64()))
            .collect()
    }
}

impl<S: Scalar, D: Dimension> Draw for Vec<Array<S, D>> {
    fn layout_for(shape: &Shape) -> Result<Layout, String> {
        match shape {
            Shape::Many(shapes) => {
                if let Some((k, s)) = shapes.iter().enumerate().find(|(_, s)| !fits::<D>(s.len())) {
                    return Err(format!(
                        "tensor {k} has shape {s:?} with {} axes, but the array type has {}",
                        s.len(),
                        D::NDIM.unwrap_or(0)
                    ));
                }
                for s in shapes.iter() {
                    countable(s)?;
                }
                Ok(Layout::list(shapes.iter().map(|s| s.to_vec()).collect()))
            }
            other => Err(format!("several tensors need `shapes = [..]`, not {other}")),
        }
    }

    fn from_flat(shape: &Shape, values: Vec<S>) -> Self {
        let Shape::Many(shapes) = shape else {
            unreachable!("layout_for accepts only Shape::Many for lists of arrays")
        };
        let mut rest = values.into_iter();
        shapes
            .iter()
            .map(|s| {
                let n = s.iter().product();
                array_from(s, rest.by_ref().take(n).collect())
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array1, Array2, Array3};

    #[test]
    fn names_follow_row_major_order() {
        let layout = Layout::new(vec![vec![10, 11], vec![1, 11]]);
        assert_eq!(layout.name(0, "t", &[]), "t[0][0, 0]");
        assert_eq!(layout.name(45, "t", &[]), "t[0][4, 1]");
        assert_eq!(layout.name(110, "t", &["Theta1", "Theta3"]), "Theta3[0, 0]");
        assert_eq!(Layout::new(vec![vec![]]).name(0, "bias", &[]), "bias");
    }

    #[test]
    fn locate_skips_empty_blocks() {
        let layout = Layout::new(vec![vec![2], vec![0], vec![3]]);
        assert_eq!(layout.locate(1), (0, 1));
        assert_eq!(layout.locate(2), (2, 0));
        assert_eq!(layout.locate(4), (2, 2));
    }

    #[test]
    fn transposed_arrays_are_read_in_logical_order() {
        let a = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
        let t = a.t().to_owned();
        let s = a.t().as_standard_layout().into_owned();
        let view_order: Vec<f64> = (0..6).map(|i| t.get_flat(i)).collect();
        assert_eq!(view_order, vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
        assert_eq!(s.to_f64_vec(), view_order);
    }

    #[test]
    fn drawn_containers_take_their_shapes() {
        let v: Vec<Array2<f32>> = Draw::from_flat(
            &Shape::Many(&[&[2, 2], &[1, 2]]),
            (0..6).map(|x| x as f32).collect(),
        );
        assert_eq!(v[1], array![[4.0, 5.0]]);
        assert!(<Array1<f64> as Draw>::layout_for(&Shape::Of(&[2, 3])).is_err());
        assert!(<Array3<f64> as Draw>::layout_for(&Shape::Of(&[2, 3, 4])).is_ok());
        assert!(<[f64; 3] as Draw>::layout_for(&Shape::Of(&[4])).is_err());
        assert!(<Vec<Array2<f64>> as Draw>::layout_for(&Shape::Many(&[&[2]])).is_err());
    }
}
