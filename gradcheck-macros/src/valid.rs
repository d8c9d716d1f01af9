//! Checks the arguments against each other and against the signature, and
//! resolves them into a [`Plan`] of the test to generate.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::{Expr, ExprPath, Ident, LitStr};

use crate::attr::{Arg, Args, InitArg, Int, Number, ShapeLit, Source};
use crate::errors::Errors;
use crate::sig::{Kind, Output, Pass, Sig};
use crate::text;

/// Proptest implements `Strategy` (and `Debug` exists) for tuples up to
/// this length.
const MAX_DRAWN: usize = 12;

/// Everything the generated test needs, checked.
pub struct Plan {
    /// The path given by `crate = path`, if any (else `::gradcheck`).
    pub krate: Option<syn::Path>,
    pub function: Ident,
    pub param: Ident,
    /// The container the runtime draws (`Vec<f64>` for `&[f64]`).
    pub owned: TokenStream,
    pub shape: Shape,
    pub names: Vec<LitStr>,
    pub init: Option<InitArg>,
    pub cases: u32,
    /// Whether the test also runs a step sweep at its first draw.
    pub sweep: bool,
    /// Whether the first differences run in parallel.
    pub parallel: bool,
    pub eps: Option<f64>,
    pub tol: Option<f64>,
    pub grad: Option<ExprPath>,
    /// The data arguments, in the signature's order.
    pub data: Vec<Binding>,
    /// Where the function says what it returns.
    pub output_span: Span,
    /// The name of a layer's input in reports (layer forms only).
    pub input_name: Option<String>,
}

/// The size of the drawn parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shape {
    FromType,
    Of(Vec<usize>),
    Many(Vec<Vec<usize>>),
}

/// One data argument and its value.
pub struct Binding {
    pub name: Ident,
    pub pass: Pass,
    pub source: Source,
    pub expr: Expr,
}

/// Reports every inconsistency; `Some` only when there is none, here or
/// earlier.
pub fn check(args: &Args, sig: Option<&Sig>, errors: &mut Errors) -> Option<Plan> {
    for key in [
        args.input.as_ref().map(|a| &a.key),
        args.params.as_ref().map(|a| &a.key),
    ]
    .into_iter()
    .flatten()
    {
        errors.at(
            key,
            format!(
                "`{key}` belongs to layer checks: add `layer` (on a function that returns a \
                 `Layer`) or `backward = path` (on a forward function)"
            ),
        );
    }
    let eps = positive_number(&args.eps, "the step of the finite differences", errors);
    let tol = positive_number(
        &args.tol,
        "the tolerance on the relative difference",
        errors,
    );
    let cases = cases(args, errors);
    let dim = args.dim.as_ref().and_then(|arg| {
        let n = arg.value.as_ref()?;
        extent(
            n,
            "`dim` must be positive: it is the length of the parameters",
            errors,
        )
    });
    let shape = args
        .shape
        .as_ref()
        .and_then(|arg| extents(arg.value.as_ref()?, errors));
    let shapes = args.shapes.as_ref().and_then(|arg| {
        let list = arg.value.as_ref()?;
        if list.shapes.is_empty() {
            errors.at(
                &list.tokens,
                "`shapes` needs the shape of each tensor, as in `shapes = [(10, 11), (1, 11)]`",
            );
            return None;
        }
        let shapes: Vec<Option<Vec<usize>>> =
            list.shapes.iter().map(|s| extents(s, errors)).collect();
        shapes.into_iter().collect::<Option<Vec<_>>>()
    });
    let names = args
        .names
        .as_ref()
        .and_then(|arg| names(arg.value.as_ref()?, errors));

    let sig = sig?;
    let shape = sized(args, sig, dim, shape, shapes, errors);
    if let (Some(names), Some(shape)) = (&names, &shape) {
        name_count(args, sig, names, shape, errors);
    }
    output(args, sig, errors);
    if let (Some(parallel), Some(_)) = (&args.parallel, &args.grad) {
        errors.at(
            &parallel.key,
            "`parallel` takes a cost that returns its value and gradient together; it does not \
             go with `grad = path`",
        );
    }
    let data = bind(args, sig, errors);

    if !errors.is_empty() {
        return None;
    }
    let krate = match &args.krate {
        Some(arg) => Some(arg.value.clone()?),
        None => None,
    };
    Some(Plan {
        krate,
        function: sig.name.clone(),
        param: sig.param.ident.clone(),
        owned: sig.param.owned(),
        shape: shape?,
        names: names.unwrap_or_default(),
        init: match &args.init {
            Some(arg) => Some(arg.value.clone()?),
            None => None,
        },
        cases: cases.unwrap_or(0),
        sweep: args
            .sweep
            .as_ref()
            .is_some_and(|arg| arg.value.unwrap_or(false)),
        parallel: args
            .parallel
            .as_ref()
            .is_some_and(|arg| arg.value.unwrap_or(false)),
        eps,
        tol,
        grad: match &args.grad {
            Some(arg) => Some(arg.value.clone()?),
            None => None,
        },
        data: data?,
        output_span: sig.output_span,
        input_name: None,
    })
}

/// The number of draws, when `cases` is given and valid.
pub fn cases(args: &Args, errors: &mut Errors) -> Option<u32> {
    let n = args.cases.as_ref()?.value.as_ref()?;
    if n.value <= 0 {
        errors.at(
            &n.tokens,
            "`cases` must be positive: it is the number of random draws (omit it for the \
             default, 32)",
        );
        return None;
    }
    match u32::try_from(n.value) {
        Ok(n) => Some(n),
        Err(_) => {
            errors.at(&n.tokens, "`cases` must fit in `u32`");
            None
        }
    }
}

/// `eps` or `tol`, when given and valid.
pub fn positive_number(arg: &Option<Arg<Number>>, what: &str, errors: &mut Errors) -> Option<f64> {
    let arg = arg.as_ref()?;
    let n = arg.value.as_ref()?;
    let key = &arg.key;
    if !n.value.is_finite() {
        errors.at(
            &n.tokens,
            format!(
                "`{key}` must be finite, but `{}` is too large for `f64`",
                text::code(&n.tokens)
            ),
        );
        return None;
    }
    if n.value <= 0.0 {
        let example = if key == "eps" { "1e-4" } else { "1e-9" };
        errors.at(
            &n.tokens,
            format!("`{key}` must be positive: it is {what}, such as `{key} = {example}`"),
        );
        return None;
    }
    Some(n.value)
}

fn extent(n: &Int, message: &str, errors: &mut Errors) -> Option<usize> {
    if n.value <= 0 {
        errors.at(&n.tokens, message);
        return None;
    }
    match usize::try_from(n.value) {
        Ok(n) => Some(n),
        Err(_) => {
            errors.at(&n.tokens, "too large for `usize`");
            None
        }
    }
}

pub fn extents(s: &ShapeLit, errors: &mut Errors) -> Option<Vec<usize>> {
    if s.dims.is_empty() {
        errors.at(
            &s.tokens,
            "a shape needs at least one axis, as in `(3, 4)` or `(3,)`",
        );
        return None;
    }
    let dims: Vec<Option<usize>> = s
        .dims
        .iter()
        .map(|d| extent(d, "the extent of an axis must be positive", errors))
        .collect();
    dims.into_iter().collect()
}

fn names(list: &crate::attr::NamesLit, errors: &mut Errors) -> Option<Vec<LitStr>> {
    let mut ok = true;
    for (i, name) in list.names.iter().enumerate() {
        if name.value().is_empty() {
            errors.at(name, "a name cannot be empty");
            ok = false;
        } else if list.names[..i].iter().any(|n| n.value() == name.value()) {
            errors.at(name, format!("duplicate name \"{}\"", name.value()));
            ok = false;
        }
    }
    ok.then(|| list.names.clone())
}

/// An example shape for `ndim` axes.
fn shape_example(ndim: Option<usize>) -> String {
    match ndim {
        Some(1) => "(n,)".to_string(),
        Some(2) | None => "(r, c)".to_string(),
        Some(n) => {
            let axes: Vec<String> = (0..n).map(|i| format!("d{i}")).collect();
            format!("({})", axes.join(", "))
        }
    }
}

/// Decides the size of the drawn parameters from `dim`, `shape` or
/// `shapes`, whichever the parameter type takes.
fn sized(
    args: &Args,
    sig: &Sig,
    dim: Option<usize>,
    shape: Option<Vec<usize>>,
    shapes: Option<Vec<Vec<usize>>>,
    errors: &mut Errors,
) -> Option<Shape> {
    let param = &sig.param;
    let ty = param.text();
    let dim_key = args.dim.as_ref().map(|a| a.key.clone());
    let shape_key = args.shape.as_ref().map(|a| a.key.clone());
    let shapes_key = args.shapes.as_ref().map(|a| a.key.clone());
    let mut reject = |k: &Option<Ident>, message: String| {
        if let Some(k) = k {
            errors.at(k, message);
        }
    };

    match param.kind {
        Kind::FixedArray => {
            for k in [&dim_key, &shape_key, &shapes_key].into_iter().flatten() {
                errors.at(
                    k,
                    format!(
                        "the size comes from the type `{}`; remove `{k}`",
                        param.elem_text()
                    ),
                );
            }
            Some(Shape::FromType)
        }
        Kind::Vector | Kind::Array { ndim: Some(1) } => {
            let example = if param.kind == Kind::Vector {
                "dim = n"
            } else {
                "dim = n` or `shape = (n,)"
            };
            reject(
                &shapes_key,
                format!(
                    "`shapes` is for several tensors, such as `&[Array2<f64>]`; `{ty}` takes \
                     `{example}`"
                ),
            );
            if let (Some(_), Some(k)) = (&dim_key, &shape_key) {
                errors.at(k, "give either `dim` or `shape`, not both");
                return None;
            }
            if let Some(s) = &shape {
                if s.len() != 1 {
                    errors.at(
                        shape_tokens(args),
                        format!(
                            "`{ty}` has one axis, but `shape` has {}; write `dim = n`",
                            s.len()
                        ),
                    );
                    return None;
                }
            }
            if dim_key.is_none() && shape_key.is_none() {
                errors.at(
                    param.ty,
                    format!("`{ty}` needs its length: add `{example}`"),
                );
            }
            dim.map(|n| vec![n]).or(shape).map(Shape::Of)
        }
        Kind::Array { ndim } => {
            let example = shape_example(ndim);
            reject(
                &dim_key,
                format!(
                    "`dim` is for one-dimensional parameters; `{ty}` takes `shape = {example}`"
                ),
            );
            reject(
                &shapes_key,
                format!(
                    "`shapes` is for several tensors, such as `&[Array2<f64>]`; `{ty}` takes \
                     `shape = {example}`"
                ),
            );
            if shape_key.is_none() && dim_key.is_none() && shapes_key.is_none() {
                errors.at(
                    param.ty,
                    format!("`{ty}` needs its shape: add `shape = {example}`"),
                );
            }
            let shape = shape?;
            if let Some(n) = ndim {
                if shape.len() != n {
                    errors.at(
                        shape_tokens(args),
                        format!(
                            "`shape` has {} but `{}` has {}",
                            axes(shape.len()),
                            param.elem_text(),
                            axes(n)
                        ),
                    );
                    return None;
                }
            }
            Some(Shape::Of(shape))
        }
        Kind::Many { ndim } => {
            let example = format!("shapes = [{0}, {0}]", shape_example(ndim));
            for k in [&dim_key, &shape_key].into_iter().flatten() {
                errors.at(
                    k,
                    format!(
                        "`{k}` is for a single tensor; `{ty}` holds several and takes `{example}`"
                    ),
                );
            }
            if shapes_key.is_none() && dim_key.is_none() && shape_key.is_none() {
                errors.at(
                    param.ty,
                    format!("`{ty}` needs the shape of each tensor: add `{example}`"),
                );
            }
            let shapes = shapes?;
            let mut ok = true;
            if let (Some(n), Some(list)) =
                (ndim, args.shapes.as_ref().and_then(|a| a.value.as_ref()))
            {
                for (s, lit) in shapes.iter().zip(&list.shapes) {
                    if s.len() != n {
                        errors.at(
                            &lit.tokens,
                            format!(
                                "this shape has {} but `{}` has {}",
                                axes(s.len()),
                                text::code(&many_elem(param.elem)),
                                axes(n)
                            ),
                        );
                        ok = false;
                    }
                }
            }
            ok.then_some(Shape::Many(shapes))
        }
    }
}

fn shape_tokens(args: &Args) -> TokenStream {
    args.shape
        .as_ref()
        .and_then(|a| a.value.as_ref())
        .map(|s| s.tokens.clone())
        .unwrap_or_default()
}

/// `Array2<f64>` out of `[Array2<f64>]` or `Vec<Array2<f64>>`.
fn many_elem(elem: &syn::Type) -> TokenStream {
    match elem {
        syn::Type::Slice(s) => s.elem.to_token_stream(),
        syn::Type::Path(p) => match p.path.segments.last().map(|s| &s.arguments) {
            Some(syn::PathArguments::AngleBracketed(a)) => a.args.to_token_stream(),
            _ => elem.to_token_stream(),
        },
        _ => elem.to_token_stream(),
    }
}

fn axes(n: usize) -> String {
    if n == 1 {
        "1 axis".to_string()
    } else {
        format!("{n} axes")
    }
}

fn name_count(args: &Args, sig: &Sig, names: &[LitStr], shape: &Shape, errors: &mut Errors) {
    let Some(tokens) = args
        .names
        .as_ref()
        .and_then(|a| a.value.as_ref())
        .map(|n| &n.tokens)
    else {
        return;
    };
    let given = match names.len() {
        1 => "1 name".to_string(),
        n => format!("{n} names"),
    };
    match shape {
        Shape::Many(shapes) if shapes.len() != names.len() => errors.at(
            tokens,
            format!(
                "`names` has {given} but `shapes` has {} tensors; give one name per tensor",
                shapes.len()
            ),
        ),
        Shape::FromType | Shape::Of(_) if names.len() != 1 => errors.at(
            tokens,
            format!(
                "`names` has {given} but `{}` is a single tensor; give one name, as in \
                 `names = [\"w\"]`",
                sig.param.text()
            ),
        ),
        _ => {}
    }
}

fn output(args: &Args, sig: &Sig, errors: &mut Errors) {
    let name = sig.name;
    let scalar = sig.param.scalar.name();
    match (&sig.output, &args.grad) {
        (Output::Nothing, _) => errors.at(
            name,
            format!(
                "`{name}` returns nothing; return `({scalar}, gradient)`, or the cost `{scalar}` \
                 with `grad = path` naming the gradient function"
            ),
        ),
        (Output::Tuple { ty, len }, _) => errors.at(
            ty,
            format!("`{name}` returns a tuple of {len} elements; expected `({scalar}, gradient)`"),
        ),
        (Output::Pair { .. }, Some(grad)) => errors.at(
            &grad.key,
            format!(
                "`grad` is for a cost that returns only `{scalar}`, but `{name}` returns the \
                 gradient too; remove `grad`"
            ),
        ),
        (Output::Single { ty }, None) => {
            let message = match crate::sig::scalar(ty) {
                Some(s) => format!(
                    "`{name}` returns `{}` only: add `grad = path` or return `({}, gradient)`",
                    s.name(),
                    s.name()
                ),
                None => format!(
                    "`{name}` returns `{}`; expected `({scalar}, gradient)`, or `{scalar}` with \
                     `grad = path`",
                    text::code(*ty)
                ),
            };
            errors.at(ty, message);
        }
        _ => {}
    }
    if let Some(cost) = sig.output.cost() {
        if let Some(s) = crate::sig::scalar(cost) {
            if s != sig.param.scalar {
                errors.at(
                    cost,
                    format!(
                        "the cost is `{}` but the parameters are `{scalar}`; use one scalar type",
                        s.name()
                    ),
                );
            }
        }
    }
}

/// Pairs each data argument with its value in `data(...)`.
fn bind(args: &Args, sig: &Sig, errors: &mut Errors) -> Option<Vec<Binding>> {
    let entries = match &args.data {
        Some(arg) => arg.value.as_ref()?.entries.as_slice(),
        None => &[],
    };
    let param_names: Vec<String> = sig.data.iter().map(|d| text::unraw(d.ident)).collect();
    let mut ok = true;
    for entry in entries {
        let name = text::unraw(&entry.name);
        if param_names.contains(&name) {
            continue;
        }
        ok = false;
        let message = if name == text::unraw(sig.param.ident) {
            format!(
                "`{name}` is the parameters being checked: they are drawn by the attribute \
                 (see `init`), not given in `data`"
            )
        } else if param_names.is_empty() {
            format!(
                "`{}` has no argument `{name}`; it takes no data arguments, only the parameters",
                sig.name
            )
        } else {
            format!(
                "`{}` has no argument `{name}`; its data arguments are {}",
                sig.name,
                text::list(&param_names)
            )
        };
        errors.at(&entry.name, message);
    }

    let mut bindings = Vec::new();
    for param in &sig.data {
        let name = text::unraw(param.ident);
        match entries.iter().find(|e| text::unraw(&e.name) == name) {
            Some(entry) => bindings.push(Binding {
                name: param.ident.clone(),
                pass: param.pass,
                source: entry.source,
                expr: entry.expr.clone(),
            }),
            None => {
                ok = false;
                errors.at(
                    param.ident,
                    format!(
                        "missing data argument `{name}`: give its value with \
                         `data({name} = value)` or draw it with `data({name} in strategy)`"
                    ),
                );
            }
        }
    }

    let drawn: Vec<&Binding> = bindings
        .iter()
        .filter(|b| b.source == Source::Drawn)
        .collect();
    if let Some(extra) = drawn.get(MAX_DRAWN) {
        errors.at(
            &extra.name,
            format!(
                "at most {MAX_DRAWN} data arguments can be drawn; draw several values with one \
                 strategy (a tuple, say) and pass them as one argument"
            ),
        );
        ok = false;
    }
    ok.then_some(bindings)
}
