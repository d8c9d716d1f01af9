//! What the checked function's signature says: the kind of its parameters
//! (the first argument), its data arguments (the others), and what it
//! returns.
//!
//! Detection is syntactic, on the last segment of each path: a type alias
//! of `[f64; 3]` is not recognized.

use proc_macro2::{Span, TokenStream};
use quote::{quote, ToTokens};
use syn::spanned::Spanned;
use syn::{
    FnArg, GenericArgument, GenericParam, Ident, Pat, PathArguments, ReturnType, Signature, Type,
};

use crate::errors::Errors;
use crate::text;

/// The signature of a function that can be checked.
pub struct Sig<'a> {
    pub name: &'a Ident,
    pub param: Param<'a>,
    pub data: Vec<DataParam<'a>>,
    pub output: Output<'a>,
    /// The return type, or the name when there is none.
    pub output_span: Span,
}

/// The first argument: the parameters being checked.
pub struct Param<'a> {
    pub ident: &'a Ident,
    /// The whole type as written, `&[f64]` say.
    pub ty: &'a Type,
    /// The type behind the reference, `[f64]`.
    pub elem: &'a Type,
    pub kind: Kind,
    pub scalar: Scalar,
}

/// The container kinds the runtime can draw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `&[f64; N]`: the size comes from the type.
    FixedArray,
    /// `&[f64]` or `&Vec<f64>`.
    Vector,
    /// `&ArrayN<f64>`, with the axis count when the type gives it.
    Array { ndim: Option<usize> },
    /// `&[ArrayN<f64>]` or `&Vec<ArrayN<f64>>`: several tensors.
    Many { ndim: Option<usize> },
}

/// The floating-point type of the parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scalar {
    F32,
    F64,
}

impl Scalar {
    pub fn name(self) -> &'static str {
        match self {
            Scalar::F32 => "f32",
            Scalar::F64 => "f64",
        }
    }
}

/// An argument after the first, given its value by `data(...)`.
pub struct DataParam<'a> {
    pub ident: &'a Ident,
    pub pass: Pass,
}

/// How a data argument receives its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pass {
    /// `x: T`: a clone of the value.
    Value,
    /// `x: &T`: a borrow of the value.
    Ref,
    /// `x: &mut T`: a borrow of a fresh clone, so each call sees the same
    /// value.
    RefMut,
}

/// What the function returns.
pub enum Output<'a> {
    /// Nothing, or `()`.
    Nothing,
    /// `(cost, gradient)`.
    Pair { cost: &'a Type },
    /// Any other tuple.
    Tuple { ty: &'a Type, len: usize },
    /// One value: the cost alone, whose gradient `grad = path` computes.
    Single { ty: &'a Type },
}

impl Output<'_> {
    /// The type of the cost value, when the function returns one.
    pub fn cost(&self) -> Option<&Type> {
        match self {
            Output::Pair { cost, .. } => Some(cost),
            Output::Single { ty } => Some(ty),
            _ => None,
        }
    }
}

impl Param<'_> {
    /// The owned container the runtime draws: the type behind the reference
    /// with a slice `[T]` made `Vec<T>`.
    pub fn owned(&self) -> TokenStream {
        match unwrap(self.elem) {
            Type::Slice(s) => {
                let inner = &s.elem;
                quote!(::std::vec::Vec<#inner>)
            }
            other => other.to_token_stream(),
        }
    }

    /// The type as written, for messages: `&[f64]`.
    pub fn text(&self) -> String {
        text::code(self.ty)
    }

    /// The type behind the reference, for messages: `[f64; 3]`.
    pub fn elem_text(&self) -> String {
        text::code(self.elem)
    }
}

/// Reads the signature, reporting everything that cannot be checked.
/// `None` when the parameters cannot be identified.
pub fn analyse<'a>(sig: &'a Signature, errors: &mut Errors) -> Option<Sig<'a>> {
    let name = &sig.ident;
    if let Some(token) = &sig.asyncness {
        errors.at(
            token,
            "`#[gradcheck]` cannot check an `async fn`: the generated test calls the cost \
             synchronously; make it a plain `fn`",
        );
    }
    if let Some(token) = &sig.unsafety {
        errors.at(
            token,
            "`#[gradcheck]` cannot check an `unsafe fn`; check a safe function that wraps it",
        );
    }
    if let Some(variadic) = &sig.variadic {
        errors.at(variadic, "`#[gradcheck]` cannot check a variadic function");
    }
    let mut generic = false;
    for param in &sig.generics.params {
        let (what, ident) = match param {
            GenericParam::Type(t) => ("type", &t.ident),
            GenericParam::Const(c) => ("const", &c.ident),
            GenericParam::Lifetime(_) => continue,
        };
        generic = true;
        errors.at(
            ident,
            format!(
                "`#[gradcheck]` cannot check a generic function: the generated test calls \
                 `{name}` with concrete types, so the {what} parameter `{ident}` has no value; \
                 check a non-generic wrapper instead"
            ),
        );
    }

    let mut inputs = sig.inputs.iter();
    let Some(first) = inputs.next() else {
        errors.push(syn::Error::new(
            sig.paren_token.span.join(),
            format!(
                "`{name}` has no arguments; its first argument must be the parameters to \
                 check, such as `theta: &[f64; 3]`"
            ),
        ));
        return None;
    };
    let param = match first {
        FnArg::Receiver(receiver) => {
            errors.at(
                receiver,
                "`#[gradcheck]` cannot check a method: the generated test has no `self` to call \
                 it with; make it a free function whose first argument is the parameters",
            );
            None
        }
        FnArg::Typed(typed) => {
            let ident = plain_name(&typed.pat, true, errors);
            // A type naming a generic parameter is unsupported because the
            // function is generic, which is already reported.
            let param = if generic {
                parameters(&typed.ty, &mut Errors::new())
            } else {
                parameters(&typed.ty, errors)
            };
            match (ident, param) {
                (Some(ident), Some((elem, kind, scalar))) => Some(Param {
                    ident,
                    ty: &typed.ty,
                    elem,
                    kind,
                    scalar,
                }),
                _ => None,
            }
        }
    };

    let mut data = Vec::new();
    let mut data_ok = true;
    for arg in inputs {
        let FnArg::Typed(typed) = arg else {
            continue; // rustc itself rejects `self` after the first argument
        };
        if let Some(t) = impl_trait(&typed.ty) {
            errors.at(
                t,
                "`impl Trait` arguments make the function generic, and the generated test needs \
                 concrete types; use a concrete type",
            );
            data_ok = false;
        }
        let pass = match &*typed.ty {
            Type::Reference(r) if r.mutability.is_some() => Pass::RefMut,
            Type::Reference(_) => Pass::Ref,
            _ => Pass::Value,
        };
        match plain_name(&typed.pat, false, errors) {
            Some(ident) => data.push(DataParam { ident, pass }),
            None => data_ok = false,
        }
    }

    let output = match &sig.output {
        ReturnType::Default => Output::Nothing,
        ReturnType::Type(_, ty) => match unwrap(ty) {
            Type::Tuple(t) if t.elems.is_empty() => Output::Nothing,
            Type::Tuple(t) if t.elems.len() == 2 => Output::Pair { cost: &t.elems[0] },
            Type::Tuple(t) => Output::Tuple {
                ty,
                len: t.elems.len(),
            },
            _ => Output::Single { ty },
        },
    };

    match (param, data_ok) {
        (Some(param), true) => Some(Sig {
            name,
            param,
            data,
            output,
            output_span: match &sig.output {
                ReturnType::Type(_, ty) => ty.span(),
                ReturnType::Default => name.span(),
            },
        }),
        _ => None,
    }
}

/// The identifier an argument binds, or an error saying to name it.
fn plain_name<'a>(pat: &'a Pat, first: bool, errors: &mut Errors) -> Option<&'a Ident> {
    match pat {
        Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => Some(&p.ident),
        _ if first => {
            errors.at(
                pat,
                "the parameters need a plain name such as `theta`: reports name their entries \
                 after it; destructure them in the body instead",
            );
            None
        }
        _ => {
            errors.at(
                pat,
                "`data(...)` gives arguments their values by name; bind a plain name such as \
                 `x` and destructure it in the body instead",
            );
            None
        }
    }
}

/// The `impl Trait` in an argument type, directly or behind a reference.
fn impl_trait(ty: &Type) -> Option<&Type> {
    match unwrap(ty) {
        t @ Type::ImplTrait(_) => Some(t),
        Type::Reference(r) => impl_trait(&r.elem),
        _ => None,
    }
}

/// The referenced type, container kind and scalar of the parameters, or an
/// error saying which forms are supported.
fn parameters<'a>(ty: &'a Type, errors: &mut Errors) -> Option<(&'a Type, Kind, Scalar)> {
    const FORMS: &str = "expected `&[f64; N]`, `&[f64]`, `&Vec<f64>`, an ndarray `&ArrayN<f64>`, \
                         or `&[ArrayN<f64>]` (f32 also)";
    let reference = match unwrap(ty) {
        Type::Reference(r) => r,
        other => {
            let message = match container(other) {
                Some(_) => format!(
                    "the parameters must be borrowed: write `&{}`",
                    text::code(other)
                ),
                None => format!("unsupported parameter type `{}`; {FORMS}", text::code(ty)),
            };
            errors.at(ty, message);
            return None;
        }
    };
    let Some((kind, scalar)) = container(&reference.elem) else {
        errors.at(
            ty,
            format!("unsupported parameter type `{}`; {FORMS}", text::code(ty)),
        );
        return None;
    };
    if let Type::Array(array) = unwrap(&reference.elem) {
        if let syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(n),
            ..
        }) = &array.len
        {
            if n.base10_parse::<u64>().ok() == Some(0) {
                errors.at(
                    &array.len,
                    "an array of 0 parameters has nothing to check; give it at least one entry",
                );
                return None;
            }
        }
    }
    if reference.mutability.is_some() {
        errors.at(
            ty,
            format!(
                "the parameters must be borrowed immutably: write `&{}`; the check perturbs a \
                 copy and needs the cost not to change them",
                text::code(&reference.elem)
            ),
        );
        return None;
    }
    Some((&reference.elem, kind, scalar))
}

/// The kind and scalar of a parameter container type.
pub fn container(ty: &Type) -> Option<(Kind, Scalar)> {
    let list = |elem: &Type| {
        if let Some(s) = scalar(elem) {
            Some((Kind::Vector, s))
        } else {
            array(elem).map(|(ndim, s)| (Kind::Many { ndim }, s))
        }
    };
    match unwrap(ty) {
        Type::Array(a) => scalar(&a.elem).map(|s| (Kind::FixedArray, s)),
        Type::Slice(s) => list(&s.elem),
        Type::Path(p) if p.qself.is_none() => {
            let last = p.path.segments.last()?;
            if last.ident == "Vec" {
                match type_args(&last.arguments).as_slice() {
                    [elem] => list(elem),
                    _ => None,
                }
            } else {
                array(ty).map(|(ndim, s)| (Kind::Array { ndim }, s))
            }
        }
        _ => None,
    }
}

/// `f32` or `f64`.
pub fn scalar(ty: &Type) -> Option<Scalar> {
    match unwrap(ty) {
        Type::Path(p) if p.qself.is_none() => {
            let last = p.path.segments.last()?;
            if !last.arguments.is_none() {
                return None;
            }
            match last.ident.to_string().as_str() {
                "f32" => Some(Scalar::F32),
                "f64" => Some(Scalar::F64),
                _ => None,
            }
        }
        _ => None,
    }
}

/// An owned ndarray type: its axis count (when the type gives it) and its
/// scalar.
fn array(ty: &Type) -> Option<(Option<usize>, Scalar)> {
    let Type::Path(p) = unwrap(ty) else {
        return None;
    };
    if p.qself.is_some() {
        return None;
    }
    let last = p.path.segments.last()?;
    let args = type_args(&last.arguments);
    let name = last.ident.to_string();
    match (name.as_str(), args.as_slice()) {
        ("ArrayD", [elem]) => Some((None, scalar(elem)?)),
        ("Array", [elem, dim]) => Some((dimension(dim), scalar(elem)?)),
        (n, [elem]) => {
            let ndim = n.strip_prefix("Array")?.parse::<usize>().ok()?;
            (1..=6).contains(&ndim).then_some(())?;
            Some((Some(ndim), scalar(elem)?))
        }
        _ => None,
    }
}

/// The axis count of an ndarray dimension type: `Ix2` or `Dim<[usize; 2]>`.
fn dimension(ty: &Type) -> Option<usize> {
    let Type::Path(p) = unwrap(ty) else {
        return None;
    };
    let last = p.path.segments.last()?;
    let name = last.ident.to_string();
    if let Some(n) = name.strip_prefix("Ix") {
        return n.parse().ok();
    }
    if name == "Dim" {
        if let [Type::Array(a)] = type_args(&last.arguments).as_slice() {
            if let syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Int(n),
                ..
            }) = &a.len
            {
                return n.base10_parse().ok();
            }
        }
    }
    None
}

fn type_args(args: &PathArguments) -> Vec<&Type> {
    match args {
        PathArguments::AngleBracketed(a) => a
            .args
            .iter()
            .filter_map(|arg| match arg {
                GenericArgument::Type(t) => Some(t),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The type inside parentheses or an invisible group (from `macro_rules`).
fn unwrap(ty: &Type) -> &Type {
    match ty {
        Type::Paren(p) => unwrap(&p.elem),
        Type::Group(g) => unwrap(&g.elem),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Found = Option<(Kind, Scalar, String)>;

    fn sig(s: &str) -> (Found, Vec<String>) {
        let f: syn::ItemFn = syn::parse_str(s).unwrap();
        let mut errors = Errors::new();
        let result = analyse(&f.sig, &mut errors)
            .map(|s| (s.param.kind, s.param.scalar, s.param.owned().to_string()));
        (result, errors.messages())
    }

    fn kind(ty: &str) -> Found {
        let (r, e) = sig(&format!("fn f(t: {ty}) -> (f64, G) {{}}"));
        assert!(r.is_some() || !e.is_empty());
        r
    }

    #[test]
    fn every_supported_form_is_recognized() {
        use Kind::*;
        use Scalar::*;
        let cases: &[(&str, Kind, Scalar, &str)] = &[
            ("&[f64; 3]", FixedArray, F64, "[f64 ; 3]"),
            ("&[f32; N]", FixedArray, F32, "[f32 ; N]"),
            ("&[f64]", Vector, F64, ":: std :: vec :: Vec < f64 >"),
            ("&'a Vec<f32>", Vector, F32, "Vec < f32 >"),
            (
                "&Array1<f64>",
                Array { ndim: Some(1) },
                F64,
                "Array1 < f64 >",
            ),
            (
                "&ndarray::Array3<f32>",
                Array { ndim: Some(3) },
                F32,
                "ndarray :: Array3 < f32 >",
            ),
            ("&ArrayD<f64>", Array { ndim: None }, F64, "ArrayD < f64 >"),
            (
                "&Array<f64, Ix2>",
                Array { ndim: Some(2) },
                F64,
                "Array < f64 , Ix2 >",
            ),
            (
                "&Array<f64, IxDyn>",
                Array { ndim: None },
                F64,
                "Array < f64 , IxDyn >",
            ),
            (
                "&Array<f64, Dim<[usize; 4]>>",
                Array { ndim: Some(4) },
                F64,
                "Array < f64 , Dim < [usize ; 4] > >",
            ),
            (
                "&[Array2<f64>]",
                Many { ndim: Some(2) },
                F64,
                ":: std :: vec :: Vec < Array2 < f64 > >",
            ),
            (
                "&Vec<ArrayD<f32>>",
                Many { ndim: None },
                F32,
                "Vec < ArrayD < f32 > >",
            ),
        ];
        for (ty, k, s, owned) in cases {
            assert_eq!(kind(ty), Some((*k, *s, owned.to_string())), "{ty}");
        }
    }

    #[test]
    fn unsupported_types_say_what_is_supported() {
        for ty in [
            "&[i32; 3]",
            "&String",
            "&Array2<i64>",
            "&ArrayView2<f64>",
            "&Array7<f64>",
        ] {
            let (r, e) = sig(&format!("fn f(t: {ty}) -> (f64, G) {{}}"));
            assert!(r.is_none());
            assert_eq!(e.len(), 1, "{e:?}");
            assert!(e[0].starts_with("unsupported parameter type `"), "{e:?}");
            assert!(e[0].contains("`&[f64; N]`, `&[f64]`"), "{e:?}");
        }
        let (_, e) = sig("fn f(t: [f64; 3]) -> (f64, G) {}");
        assert_eq!(e, ["the parameters must be borrowed: write `&[f64; 3]`"]);
        let (_, e) = sig("fn f(t: &mut Vec<f64>) -> (f64, G) {}");
        assert!(e[0].starts_with("the parameters must be borrowed immutably: write `&Vec<f64>`"));
    }

    #[test]
    fn unusable_signatures_are_reported_together() {
        let (r, e) = sig("async unsafe fn f<'a, T, const N: usize>(t: &[f64]) -> (f64, G) {}");
        assert!(r.is_some());
        assert_eq!(e.len(), 4, "{e:?}");
        assert!(e[0].contains("`async fn`"));
        assert!(e[1].contains("`unsafe fn`"));
        assert!(e[2].contains("the type parameter `T` has no value"));
        assert!(e[3].contains("the const parameter `N` has no value"));

        let (r, e) = sig("fn f() -> f64 {}");
        assert!(r.is_none());
        assert!(e[0].starts_with("`f` has no arguments"));

        let (r, e) = sig("fn f(&self, t: &[f64]) -> f64 {}");
        assert!(r.is_none());
        assert!(e[0].contains("cannot check a method"));

        let (r, e) = sig("fn f((a, b): &(f64, f64), _: f64, ref c: f64, x: impl Fn()) -> f64 {}");
        assert!(r.is_none());
        assert_eq!(e.len(), 5, "{e:?}");
        assert!(e[0].starts_with("the parameters need a plain name such as `theta`"));
        assert!(e[1].starts_with("unsupported parameter type `&(f64, f64)`"));
        assert!(e[2].starts_with("`data(...)` gives arguments their values by name"));
        assert!(e[3].starts_with("`data(...)` gives arguments their values by name"));
        assert!(e[4].starts_with("`impl Trait` arguments"));
    }

    #[test]
    fn data_arguments_keep_how_they_are_passed() {
        let f: syn::ItemFn =
            syn::parse_str("fn f(t: &[f64], x: &Array2<f64>, l: f64, m: &mut Vec<f64>) -> f64 {}")
                .unwrap();
        let s = analyse(&f.sig, &mut Errors::new()).unwrap();
        let passes: Vec<Pass> = s.data.iter().map(|d| d.pass).collect();
        assert_eq!(passes, [Pass::Ref, Pass::Value, Pass::RefMut]);
        assert!(matches!(s.output, Output::Single { .. }));
    }

    #[test]
    fn outputs_are_classified() {
        let out = |r: &str| {
            let f: syn::ItemFn = syn::parse_str(&format!("fn f(t: &[f64]) {r} {{}}")).unwrap();
            match analyse(&f.sig, &mut Errors::new()).unwrap().output {
                Output::Nothing => "nothing".to_string(),
                Output::Pair { cost } => format!("pair {}", text::code(cost)),
                Output::Tuple { len, .. } => format!("tuple {len}"),
                Output::Single { ty } => format!("single {}", text::code(ty)),
            }
        };
        assert_eq!(out(""), "nothing");
        assert_eq!(out("-> ()"), "nothing");
        assert_eq!(out("-> (f32, Vec<f32>)"), "pair f32");
        assert_eq!(out("-> (f64, Vec<f64>, f64)"), "tuple 3");
        assert_eq!(out("-> f64"), "single f64");
    }
}
