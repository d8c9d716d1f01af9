//! 1-D convolution (cross-correlation, as in deep-learning libraries) with
//! stride and zero padding.
//!
//! Input `x`: batch × in_ch × len. Weights `w`: out_ch × in_ch × kernel, and
//! a bias per output channel. With stride `s` and `p` zeros on each side:
//!
//! ```text
//! y[b, o, t] = bias[o] + Σ_c Σ_j w[o, c, j] · x[b, c, t·s + j − p]
//! out_len = (len + 2p − kernel) / s + 1
//! ```
//!
//! where entries of `x` outside `0..len` are the zero padding. Both passes
//! loop over the kernel taps `j` (and the batch) and do a matrix product per
//! tap: tap `j` reads the input positions `t·s + j − p` for every output
//! position `t` whose position falls inside the input, a strided slice.
//!
//! The stride and padding are `#[gradcheck(skip)]` fields of the parameter
//! struct, next to the weights, as a convolution module holds them: the
//! check never perturbs them, and the gradient carries them along unchanged.

use gradcheck::ndarray::{s, Array, Array1, Array3, Axis, Dimension, IxDyn};
use gradcheck::{Init, Layer, Params};

/// The weights, the bias, and the geometry of the convolution.
#[derive(Clone, Debug, Params)]
pub struct Conv1dParams {
    /// out_ch × in_ch × kernel.
    pub weight: Array3<f64>,
    /// One per output channel.
    pub bias: Array1<f64>,
    /// Step between output positions, in input positions.
    #[gradcheck(skip)]
    pub stride: usize,
    /// Zeros added at each end of the input.
    #[gradcheck(skip)]
    pub padding: usize,
}

/// The bug planted in the input gradient, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bug {
    /// The correct gradient.
    None,
    /// The input gradient maps output `t`, tap `j` to input `t·s + j`,
    /// forgetting the `− p` of the padding (an index into the padded buffer
    /// used as an index into the input).
    IgnorePadding,
    /// The input gradient maps output `t`, tap `j` to input `t + j − p`, as
    /// if the stride were 1.
    IgnoreStride,
}

/// A 1-D convolution layer; its geometry is in its parameters.
#[derive(Clone, Debug)]
pub struct Conv1d {
    /// The planted bug.
    pub bug: Bug,
}

/// The output positions `t0 .. t0 + n` at which kernel tap `j` reads inside
/// the input (`0 <= t·stride + j − padding < len`), and the first input
/// position read, `i0 = t0·stride + j − padding`; `None` when there is none.
fn tap(
    j: usize,
    len: usize,
    out_len: usize,
    stride: usize,
    padding: usize,
) -> Option<(usize, usize, usize)> {
    let t0 = padding.saturating_sub(j).div_ceil(stride);
    // The last t with t·stride + j − padding <= len − 1.
    let reach = (len + padding).checked_sub(j + 1)?;
    let t1 = (reach / stride + 1).min(out_len);
    (t0 < t1).then(|| (t0, t1 - t0, t0 * stride + j - padding))
}

/// The output length of a convolution of these sizes.
pub fn out_len(len: usize, kernel: usize, stride: usize, padding: usize) -> usize {
    assert!(stride > 0, "the stride is positive");
    assert!(
        len + 2 * padding >= kernel,
        "the kernel fits the padded input"
    );
    (len + 2 * padding - kernel) / stride + 1
}

impl Layer for Conv1d {
    type Input = Array3<f64>;
    type Params = Conv1dParams;
    type Output = Array3<f64>;

    fn forward(&self, x: &Array3<f64>, p: &Conv1dParams) -> Array3<f64> {
        let (batch, in_ch, len) = x.dim();
        let (out_ch, w_in, kernel) = p.weight.dim();
        assert_eq!(in_ch, w_in, "input channels of x and of the weights");
        let out = out_len(len, kernel, p.stride, p.padding);
        let mut y = Array3::zeros((batch, out_ch, out));
        y += &p.bias.view().insert_axis(Axis(1));
        for j in 0..kernel {
            let Some((t0, n, i0)) = tap(j, len, out, p.stride, p.padding) else {
                continue;
            };
            let w_j = p.weight.slice(s![.., .., j]);
            let inputs = s![.., i0..i0 + (n - 1) * p.stride + 1; p.stride as isize];
            for b in 0..batch {
                let x_b = x.index_axis(Axis(0), b);
                let mut y_b = y.slice_mut(s![b, .., t0..t0 + n]);
                y_b += &w_j.dot(&x_b.slice(inputs));
            }
        }
        y
    }

    fn backward(
        &self,
        x: &Array3<f64>,
        p: &Conv1dParams,
        dy: &Array3<f64>,
    ) -> (Array3<f64>, Conv1dParams) {
        let (batch, _, len) = x.dim();
        let kernel = p.weight.dim().2;
        let out = dy.dim().2;
        let mut dx = Array3::zeros(x.raw_dim());
        let mut dw = Array3::zeros(p.weight.raw_dim());
        // The geometry the input gradient uses: the bugs live here.
        let (dx_stride, dx_padding) = match self.bug {
            Bug::None => (p.stride, p.padding),
            Bug::IgnorePadding => (p.stride, 0),
            Bug::IgnoreStride => (1, p.padding),
        };
        for j in 0..kernel {
            if let Some((t0, n, i0)) = tap(j, len, out, p.stride, p.padding) {
                let inputs = s![.., i0..i0 + (n - 1) * p.stride + 1; p.stride as isize];
                let mut dw_j = dw.slice_mut(s![.., .., j]);
                for b in 0..batch {
                    let dy_b = dy.slice(s![b, .., t0..t0 + n]);
                    let x_b = x.index_axis(Axis(0), b);
                    dw_j += &dy_b.dot(&x_b.slice(inputs).t());
                }
            }
            if let Some((t0, n, i0)) = tap(j, len, out, dx_stride, dx_padding) {
                let w_j = p.weight.slice(s![.., .., j]);
                for b in 0..batch {
                    let dy_b = dy.slice(s![b, .., t0..t0 + n]);
                    let mut dx_b = dx
                        .slice_mut(s![b, .., i0..i0 + (n - 1) * dx_stride + 1; dx_stride as isize]);
                    dx_b += &w_j.t().dot(&dy_b);
                }
            }
        }
        let grads = Conv1dParams {
            weight: dw,
            bias: dy.sum_axis(Axis(2)).sum_axis(Axis(0)),
            stride: p.stride,
            padding: p.padding,
        };
        (dx, grads)
    }
}

/// Sizes of the example: batch, in_ch, len, out_ch, kernel, stride, padding.
pub const SIZES: [usize; 7] = [2, 2, 7, 3, 3, 2, 1];

/// A random input and parameters, seeded: `x` uniform in ±1, the weights
/// Glorot-uniform, the biases in ±0.1.
pub fn random_case(seed: u64) -> (Array3<f64>, Conv1dParams) {
    let [batch, in_ch, len, out_ch, kernel, stride, padding] = SIZES;
    let x = sample(Init::Uniform(1.0), &[batch, in_ch, len], seed);
    let params = Conv1dParams {
        weight: sample(Init::GlorotUniform, &[out_ch, in_ch, kernel], seed + 1),
        bias: sample(Init::Uniform(0.1), &[out_ch], seed + 2),
        stride,
        padding,
    };
    (x, params)
}

/// An array of the given shape filled by `init`, seeded.
fn sample<D: Dimension>(init: Init, shape: &[usize], seed: u64) -> Array<f64, D> {
    Array::from_shape_vec(IxDyn(shape), init.sample_vec(shape, seed))
        .and_then(|a| a.into_dimensionality())
        .expect("the values fill the shape")
}
