//! The argument list of `#[gradcheck(...)]`, parsed into values that keep
//! their tokens, so that later checks can point at the exact one.
//!
//! Parsing goes on after a bad argument: its error is recorded, the parser
//! skips to the next comma, and the argument is kept as present but without
//! a value, so that no check reports it missing as well.

use proc_macro2::{Delimiter, Group, Ident, Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::{Expr, ExprPath, Lit, LitFloat, LitStr, Path, Token};

use crate::errors::Errors;

/// Every argument the attribute takes, each with an example of its form.
pub const ARGUMENTS: &[(&str, &str)] = &[
    ("eps", "eps = 1e-4"),
    ("tol", "tol = 1e-9"),
    ("dim", "dim = 3"),
    ("shape", "shape = (3, 4)"),
    ("shapes", "shapes = [(3, 4), (1, 4)]"),
    ("names", "names = [\"W\", \"b\"]"),
    ("grad", "grad = cost_gradient"),
    ("cases", "cases = 64"),
    ("init", "init = uniform(0.12)"),
    ("sweep", "sweep"),
    ("parallel", "parallel"),
    ("layer", "layer"),
    ("backward", "backward = dense_backward"),
    ("input", "input = (4, 3)"),
    ("params", "params = (2, 3)"),
    ("data", "data(x = ..., lambda in ...)"),
    ("crate", "crate = ::gradcheck"),
];

/// The parsed argument list. An argument given with a bad value is
/// `Some` with `value: None`.
#[derive(Default)]
pub struct Args {
    pub eps: Option<Arg<Number>>,
    pub tol: Option<Arg<Number>>,
    pub dim: Option<Arg<Int>>,
    pub shape: Option<Arg<ShapeLit>>,
    pub shapes: Option<Arg<ShapesLit>>,
    pub names: Option<Arg<NamesLit>>,
    pub grad: Option<Arg<ExprPath>>,
    pub cases: Option<Arg<Int>>,
    pub init: Option<Arg<InitArg>>,
    pub sweep: Option<Arg<bool>>,
    pub parallel: Option<Arg<bool>>,
    pub layer: Option<Arg<bool>>,
    pub backward: Option<Arg<ExprPath>>,
    pub input: Option<Arg<Prototype>>,
    pub params: Option<Arg<Prototype>>,
    pub data: Option<Arg<Data>>,
    pub krate: Option<Arg<Path>>,
}

/// One argument: its name as written and its value, if that parsed.
pub struct Arg<T> {
    pub key: Ident,
    pub value: Option<T>,
}

/// A number literal, possibly negated (`eps = -1e-4` parses, and is then
/// rejected with a message that says why).
pub struct Number {
    pub value: f64,
    pub tokens: TokenStream,
}

/// An integer literal, possibly negated.
#[derive(Clone)]
pub struct Int {
    pub value: i128,
    pub tokens: TokenStream,
}

/// `(3, 4)` or `[3, 4]`.
#[derive(Clone)]
pub struct ShapeLit {
    pub dims: Vec<Int>,
    pub tokens: TokenStream,
}

/// `[(3, 4), (1, 4)]`.
pub struct ShapesLit {
    pub shapes: Vec<ShapeLit>,
    pub tokens: TokenStream,
}

/// `["W", "b"]`.
pub struct NamesLit {
    pub names: Vec<LitStr>,
    pub tokens: TokenStream,
}

/// The distribution of the drawn parameters.
#[derive(Clone)]
pub enum InitArg {
    Uniform(Expr),
    GlorotUniform,
    GlorotNormal,
    HeUniform,
    HeNormal,
    LeCunUniform,
    LeCunNormal,
    /// `orthogonal` (gain 1) or `orthogonal(gain)`.
    Orthogonal(Option<Expr>),
    Zeros,
    Constant(Expr),
    /// Any other expression, used as is; it must evaluate to `Init`.
    Custom(Expr),
}

/// A layer's input or parameters: a shape literal, or a value whose shapes
/// the drawn values take.
#[derive(Clone)]
pub enum Prototype {
    Shape(ShapeLit),
    Value(Expr),
}

/// `data(x = EXPR, lambda in STRATEGY)`. When any entry is bad, the whole
/// argument has no value, so that no argument is reported missing because
/// its entry could not be read.
pub struct Data {
    pub entries: Vec<DataEntry>,
}

/// One data argument's value.
pub struct DataEntry {
    pub name: Ident,
    pub source: Source,
    pub expr: Expr,
}

/// Where a data argument's value comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// `name = EXPR`: evaluated once per test.
    Fixed,
    /// `name in STRATEGY`: drawn with the parameters.
    Drawn,
}

/// Parses the tokens between the attribute's parentheses.
pub fn parse(tokens: TokenStream, errors: &mut Errors) -> Args {
    let mut args = Args::default();
    let parser = |input: ParseStream| {
        while !input.is_empty() {
            parse_one(input, &mut args, errors);
            if input.is_empty() {
                break;
            }
            if input.parse::<Token![,]>().is_err() {
                errors.push(input.error("expected `,` between arguments"));
                skip_to_comma(input);
                let _ = input.parse::<Token![,]>();
            }
        }
        Ok(())
    };
    if let Err(e) = parser.parse2(tokens) {
        errors.push(e);
    }
    args
}

fn parse_one(input: ParseStream, args: &mut Args, errors: &mut Errors) {
    let key = match input.call(Ident::parse_any) {
        Ok(key) => key,
        Err(_) => {
            errors.push(input.error("expected an argument such as `eps = 1e-4`"));
            skip_to_comma(input);
            return;
        }
    };
    let result = match key.to_string().as_str() {
        "eps" => set(&mut args.eps, key, input, errors, number),
        "tol" => set(&mut args.tol, key, input, errors, number),
        "dim" => set(&mut args.dim, key, input, errors, int),
        "cases" => set(&mut args.cases, key, input, errors, int),
        "shape" => set(&mut args.shape, key, input, errors, shape),
        "shapes" => set(&mut args.shapes, key, input, errors, shapes),
        "names" => set(&mut args.names, key, input, errors, names),
        "grad" => set(&mut args.grad, key, input, errors, grad),
        "init" => set(&mut args.init, key, input, errors, init),
        "sweep" => set(&mut args.sweep, key, input, errors, flag),
        "parallel" => set(&mut args.parallel, key, input, errors, flag),
        "layer" => set(&mut args.layer, key, input, errors, flag),
        "backward" => set(&mut args.backward, key, input, errors, backward),
        "input" => set(&mut args.input, key, input, errors, prototype),
        "params" => set(&mut args.params, key, input, errors, prototype),
        "crate" => set(&mut args.krate, key, input, errors, krate),
        "data" => set(&mut args.data, key, input, errors, data),
        _ => {
            let valid: Vec<&str> = ARGUMENTS.iter().map(|(name, _)| *name).collect();
            Err(syn::Error::new(
                key.span(),
                format!(
                    "unknown argument `{key}`; expected one of `{}`",
                    valid.join("`, `")
                ),
            ))
        }
    };
    if let Err(e) = result {
        errors.push(e);
        skip_to_comma(input);
    }
}

/// Parses one argument's value into `slot`. A second occurrence is an error
/// at its name; its value is still parsed, for its own errors.
fn set<T>(
    slot: &mut Option<Arg<T>>,
    key: Ident,
    input: ParseStream,
    errors: &mut Errors,
    value: impl FnOnce(ParseStream, &Ident) -> syn::Result<T>,
) -> syn::Result<()> {
    let duplicate = slot.is_some();
    if duplicate {
        errors.at(&key, format!("duplicate argument `{key}`"));
    }
    let parsed = value(input, &key);
    let (value, result) = match parsed {
        Ok(v) => (Some(v), Ok(())),
        Err(e) => (None, Err(e)),
    };
    if !duplicate {
        *slot = Some(Arg { key, value });
    }
    result
}

fn example(key: &Ident) -> &'static str {
    let key = key.to_string();
    ARGUMENTS
        .iter()
        .find(|(name, _)| *name == key)
        .map_or("", |(_, example)| example)
}

/// Parses the `=` after a key, or says what the argument looks like.
fn eq(input: ParseStream, key: &Ident) -> syn::Result<()> {
    if input.parse::<Token![=]>().is_ok() {
        return Ok(());
    }
    let span = next_span(input).unwrap_or_else(|| key.span());
    Err(syn::Error::new(
        span,
        format!("expected `=` after `{key}`, as in `{}`", example(key)),
    ))
}

/// The span of the next token, if there is one.
fn next_span(input: ParseStream) -> Option<Span> {
    input.cursor().token_tree().map(|(tt, _)| tt.span())
}

/// An error at the next token, or at the key when the input ends there.
fn expected(input: ParseStream, key: &Ident, what: &str) -> syn::Error {
    let span = next_span(input).unwrap_or_else(|| key.span());
    syn::Error::new(
        span,
        format!("`{key}` expects {what}, as in `{}`", example(key)),
    )
}

/// Advances to the next `,` at this level (or the end).
fn skip_to_comma(input: ParseStream) {
    let _ = input.step(|cursor| {
        let mut rest = *cursor;
        while let Some((tt, next)) = rest.token_tree() {
            if matches!(&tt, TokenTree::Punct(p) if p.as_char() == ',') {
                return Ok(((), rest));
            }
            rest = next;
        }
        Ok(((), rest))
    });
}

fn number(input: ParseStream, key: &Ident) -> syn::Result<Number> {
    eq(input, key)?;
    let minus: Option<Token![-]> = input.parse()?;
    let lit = match input.parse::<Lit>() {
        Ok(lit) => lit,
        Err(_) => return Err(expected(input, key, "a positive number literal")),
    };
    let value = match &lit {
        Lit::Float(f) if matches!(f.suffix(), "" | "f32" | "f64") => f.base10_parse::<f64>()?,
        Lit::Int(i) if matches!(i.suffix(), "" | "f32" | "f64") => i.base10_parse::<f64>()?,
        _ => {
            return Err(syn::Error::new_spanned(
                &lit,
                format!(
                    "`{key}` expects a positive number literal, as in `{}`",
                    example(key)
                ),
            ))
        }
    };
    let mut tokens = minus.to_token_stream();
    lit.to_tokens(&mut tokens);
    let value = if minus.is_some() { -value } else { value };
    Ok(Number { value, tokens })
}

fn int(input: ParseStream, key: &Ident) -> syn::Result<Int> {
    eq(input, key)?;
    int_literal(input).map_err(|_| expected(input, key, "a positive integer literal"))
}

/// A switch: `sweep` alone, or `sweep = true` / `sweep = false`.
fn flag(input: ParseStream, key: &Ident) -> syn::Result<bool> {
    if input.is_empty() || input.peek(Token![,]) {
        return Ok(true);
    }
    eq(input, key)?;
    input
        .parse::<syn::LitBool>()
        .map(|b| b.value)
        .map_err(|_| expected(input, key, "`true` or `false`, or nothing"))
}

/// An integer literal with an optional `-`.
fn int_literal(input: ParseStream) -> syn::Result<Int> {
    let minus: Option<Token![-]> = input.parse()?;
    let lit: syn::LitInt = input.parse()?;
    let value = lit.base10_parse::<i128>()?;
    let mut tokens = minus.to_token_stream();
    lit.to_tokens(&mut tokens);
    let value = if minus.is_some() { -value } else { value };
    Ok(Int { value, tokens })
}

fn shape(input: ParseStream, key: &Ident) -> syn::Result<ShapeLit> {
    eq(input, key)?;
    match input.parse::<TokenTree>() {
        Ok(TokenTree::Group(g)) if is_list(&g) => shape_group(&g),
        _ => Err(syn::Error::new(
            next_span(input).unwrap_or_else(|| key.span()),
            "`shape` expects the extents of the axes, as in `shape = (3, 4)` or `shape = [3, 4]` \
             (`shape = (3,)` for one axis)",
        )),
    }
}

fn is_list(g: &Group) -> bool {
    matches!(g.delimiter(), Delimiter::Parenthesis | Delimiter::Bracket)
}

fn shape_group(g: &Group) -> syn::Result<ShapeLit> {
    let dims = (|inner: ParseStream| {
        let mut dims = Vec::new();
        while !inner.is_empty() {
            let dim = int_literal(inner)
                .map_err(|_| inner.error("expected an integer literal: the extent of an axis"))?;
            dims.push(dim);
            if !inner.is_empty() {
                inner.parse::<Token![,]>()?;
            }
        }
        Ok(dims)
    })
    .parse2(g.stream())?;
    Ok(ShapeLit {
        dims,
        tokens: g.to_token_stream(),
    })
}

fn shapes(input: ParseStream, key: &Ident) -> syn::Result<ShapesLit> {
    eq(input, key)?;
    let group = match input.parse::<TokenTree>() {
        Ok(TokenTree::Group(g)) if is_list(&g) => g,
        _ => {
            return Err(syn::Error::new(
                next_span(input).unwrap_or_else(|| key.span()),
                "`shapes` expects a list of shapes, as in `shapes = [(10, 11), (1, 11)]`",
            ))
        }
    };
    let shapes = (|inner: ParseStream| {
        let mut shapes = Vec::new();
        while !inner.is_empty() {
            match inner.parse::<TokenTree>()? {
                TokenTree::Group(g) if is_list(&g) => shapes.push(shape_group(&g)?),
                other => {
                    return Err(syn::Error::new(
                        other.span(),
                        "expected the shape of one tensor, as in `(10, 11)`",
                    ))
                }
            }
            if !inner.is_empty() {
                inner.parse::<Token![,]>()?;
            }
        }
        Ok(shapes)
    })
    .parse2(group.stream())?;
    Ok(ShapesLit {
        shapes,
        tokens: group.to_token_stream(),
    })
}

fn names(input: ParseStream, key: &Ident) -> syn::Result<NamesLit> {
    eq(input, key)?;
    let group = match input.parse::<TokenTree>() {
        Ok(TokenTree::Group(g)) if g.delimiter() == Delimiter::Bracket => g,
        _ => {
            return Err(syn::Error::new(
                next_span(input).unwrap_or_else(|| key.span()),
                "`names` expects a list of string literals, one per tensor, as in \
                 `names = [\"W\", \"b\"]`",
            ))
        }
    };
    let names = (|inner: ParseStream| {
        let list = inner.parse_terminated(
            |i: ParseStream| {
                i.parse::<LitStr>()
                    .map_err(|_| i.error("expected a string literal such as \"W\""))
            },
            Token![,],
        )?;
        Ok(list.into_iter().collect())
    })
    .parse2(group.stream())?;
    Ok(NamesLit {
        names,
        tokens: group.to_token_stream(),
    })
}

fn backward(input: ParseStream, key: &Ident) -> syn::Result<ExprPath> {
    eq(input, key)?;
    input
        .parse()
        .map_err(|_| expected(input, key, "the path of the backward function"))
}

/// `(4, 3)` or `[4, 3]` as a shape; any other expression as a value.
fn prototype(input: ParseStream, key: &Ident) -> syn::Result<Prototype> {
    eq(input, key)?;
    let fork = input.fork();
    if let Ok(TokenTree::Group(g)) = fork.parse::<TokenTree>() {
        if is_list(&g) && (fork.is_empty() || fork.peek(Token![,])) {
            if let Ok(shape) = shape_group(&g) {
                input.parse::<TokenTree>()?;
                return Ok(Prototype::Shape(shape));
            }
        }
    }
    input
        .parse::<Expr>()
        .map(Prototype::Value)
        .map_err(|_| expected(input, key, "a shape or a value of the right shape"))
}

fn grad(input: ParseStream, key: &Ident) -> syn::Result<ExprPath> {
    eq(input, key)?;
    let path: ExprPath = input
        .parse()
        .map_err(|_| expected(input, key, "the path of the gradient function"))?;
    Ok(path)
}

fn krate(input: ParseStream, key: &Ident) -> syn::Result<Path> {
    eq(input, key)?;
    if input.peek(LitStr) {
        let lit: LitStr = input.parse()?;
        return lit.parse_with(Path::parse_mod_style);
    }
    input
        .call(Path::parse_mod_style)
        .map_err(|_| expected(input, key, "the path of the `gradcheck` crate"))
}

fn init(input: ParseStream, key: &Ident) -> syn::Result<InitArg> {
    eq(input, key)?;
    let expr: Expr = input
        .parse()
        .map_err(|_| expected(input, key, "an initialization"))?;
    init_kind(expr)
}

/// The named schemes; anything else is a user's `Init` expression.
fn init_kind(expr: Expr) -> syn::Result<InitArg> {
    let scheme = |path: &ExprPath| -> Option<String> {
        match (&path.qself, path.path.get_ident()) {
            (None, Some(ident)) => Some(ident.to_string()),
            _ => None,
        }
    };
    // The schemes written without arguments.
    let bare = |name: &str| match name {
        "glorot_uniform" => Some(InitArg::GlorotUniform),
        "glorot_normal" => Some(InitArg::GlorotNormal),
        "he_uniform" => Some(InitArg::HeUniform),
        "he_normal" => Some(InitArg::HeNormal),
        "lecun_uniform" => Some(InitArg::LeCunUniform),
        "lecun_normal" => Some(InitArg::LeCunNormal),
        "orthogonal" => Some(InitArg::Orthogonal(None)),
        "zeros" => Some(InitArg::Zeros),
        _ => None,
    };
    match &expr {
        Expr::Path(p) => {
            let Some(name) = scheme(p) else {
                return Ok(InitArg::Custom(expr));
            };
            if let Some(arg) = bare(&name) {
                return Ok(arg);
            }
            match name.as_str() {
                "uniform" => Err(syn::Error::new_spanned(
                    &expr,
                    "`uniform` needs the half-width of its interval, as in `init = uniform(0.12)`",
                )),
                "constant" => Err(syn::Error::new_spanned(
                    &expr,
                    "`constant` needs its value, as in `init = constant(0.3)`",
                )),
                // A lone lowercase name is a scheme that does not exist (a
                // user's `Init` constant would be written in capitals).
                name if name.starts_with(|c: char| c.is_ascii_lowercase()) => {
                    let hint = if name.contains("xavier") {
                        " (Xavier initialization is `glorot_uniform` or `glorot_normal` here)"
                    } else if name.contains("kaiming") {
                        " (Kaiming initialization is `he_uniform` or `he_normal` here)"
                    } else {
                        ""
                    };
                    Err(syn::Error::new_spanned(
                        &expr,
                        format!(
                            "unknown initialization `{name}`{hint}; expected `uniform(e)`, \
                             `glorot_uniform`, `glorot_normal`, `he_uniform`, `he_normal`, \
                             `lecun_uniform`, `lecun_normal`, `orthogonal`, `orthogonal(gain)`, \
                             `zeros`, `constant(c)`, or an expression of type `Init`"
                        ),
                    ))
                }
                _ => Ok(InitArg::Custom(expr)),
            }
        }
        Expr::Call(call) => {
            let name = match &*call.func {
                Expr::Path(p) => scheme(p),
                _ => None,
            };
            match name.as_deref() {
                Some(name @ ("uniform" | "constant" | "orthogonal")) => {
                    if call.args.len() != 1 {
                        let message = if name == "orthogonal" {
                            "`orthogonal` takes one number, its gain, as in `orthogonal(2.0)`; \
                             write `init = orthogonal` for gain 1"
                                .to_string()
                        } else {
                            format!("`{name}` takes one number, as in `{name}(0.12)`")
                        };
                        return Err(syn::Error::new_spanned(&call.args, message));
                    }
                    let arg = float_literal(call.args[0].clone());
                    Ok(match name {
                        "uniform" => InitArg::Uniform(arg),
                        "constant" => InitArg::Constant(arg),
                        _ => InitArg::Orthogonal(Some(arg)),
                    })
                }
                Some(name) if bare(name).is_some() => Err(syn::Error::new_spanned(
                    &expr,
                    format!("`{name}` takes no arguments: write `init = {name}`"),
                )),
                _ => Ok(InitArg::Custom(expr)),
            }
        }
        _ => Ok(InitArg::Custom(expr)),
    }
}

/// `1` becomes `1.0`, so that `uniform(1)` type-checks as `f64`.
fn float_literal(expr: Expr) -> Expr {
    match &expr {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Int(i), ..
        }) if i.suffix().is_empty() => {
            let lit = LitFloat::new(&format!("{}.0", i.base10_digits()), i.span());
            Expr::Lit(syn::ExprLit {
                attrs: Vec::new(),
                lit: Lit::Float(lit),
            })
        }
        _ => expr,
    }
}

fn data(input: ParseStream, key: &Ident) -> syn::Result<Data> {
    let group = match input.parse::<TokenTree>() {
        Ok(TokenTree::Group(g)) if g.delimiter() == Delimiter::Parenthesis => g,
        _ => {
            return Err(syn::Error::new(
                next_span(input).unwrap_or_else(|| key.span()),
                "`data` expects a list of the other arguments' values, as in \
                 `data(x = make_x(), lambda in 0.1..1.0)`",
            ))
        }
    };
    let mut errors = Errors::new();
    let mut entries: Vec<DataEntry> = Vec::new();
    let parser = |inner: ParseStream| {
        while !inner.is_empty() {
            match data_entry(inner) {
                Ok(entry) if entries.iter().any(|e| e.name == entry.name) => errors.at(
                    &entry.name,
                    format!("duplicate data argument `{}`", entry.name),
                ),
                Ok(entry) => entries.push(entry),
                Err(e) => {
                    errors.push(e);
                    skip_to_comma(inner);
                }
            }
            if inner.is_empty() {
                break;
            }
            if inner.parse::<Token![,]>().is_err() {
                errors.push(inner.error("expected `,` between data arguments"));
                skip_to_comma(inner);
                let _ = inner.parse::<Token![,]>();
            }
        }
        Ok(())
    };
    parser.parse2(group.stream())?;
    match errors.into_error() {
        Some(e) => Err(e),
        None => Ok(Data { entries }),
    }
}

fn data_entry(input: ParseStream) -> syn::Result<DataEntry> {
    let name = input
        .call(Ident::parse_any)
        .map_err(|_| input.error("expected `name = value` or `name in strategy`"))?;
    let source = if input.parse::<Token![=]>().is_ok() {
        Source::Fixed
    } else if input.parse::<Token![in]>().is_ok() {
        Source::Drawn
    } else {
        return Err(syn::Error::new(
            next_span(input).unwrap_or_else(|| name.span()),
            format!(
                "expected `{name} = value` (a fixed value) or `{name} in strategy` (drawn with \
                 the parameters)"
            ),
        ));
    };
    let expr: Expr = input.parse()?;
    Ok(DataEntry { name, source, expr })
}
