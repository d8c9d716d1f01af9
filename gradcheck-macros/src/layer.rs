//! The layer forms of the attribute:
//!
//! - `#[gradcheck(layer, input = …, params = …)]` on a function without
//!   arguments that returns a value implementing `Layer`;
//! - `#[gradcheck(backward = path, input = …, params = …)]` on a forward
//!   function `fn(x: &I, p: &P) -> O`, with `path` its backward function
//!   `fn(x: &I, p: &P, dy: &O) -> (I, P)`.
//!
//! `input` and `params` are shapes such as `(4, 3)` (for array types) or
//! values whose shapes the drawn values take.

use proc_macro2::{Literal, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{FnArg, Ident, ItemFn, Pat, ReturnType, Type};

use crate::attr::{Args, Prototype};
use crate::errors::Errors;
use crate::expand::{emit, private_path, spec};
use crate::sig::{container, Kind};
use crate::text;
use crate::valid::{self, Plan, Shape};

/// The expansion of a layer form, or the item unchanged beside its errors.
pub fn expand(args: &Args, func: ItemFn, item: TokenStream, mut errors: Errors) -> TokenStream {
    let plan = check(args, &func, &mut errors);
    emit(plan, errors, func, item, test)
}

/// What a layer test needs.
struct LayerPlan {
    common: Plan,
    backward: Option<syn::ExprPath>,
    input: Prototype,
    params: Prototype,
}

fn check(args: &Args, func: &ItemFn, errors: &mut Errors) -> Option<LayerPlan> {
    let eps = valid::positive_number(&args.eps, "the step of the finite differences", errors);
    let tol = valid::positive_number(
        &args.tol,
        "the tolerance on the relative difference",
        errors,
    );
    let cases = valid::cases(args, errors);

    let mode_key = match (&args.layer, &args.backward) {
        (Some(layer), Some(backward)) => {
            errors.at(
                &backward.key,
                "`backward` does not go with `layer`: a `Layer` brings its own backward pass; \
                 use `layer` on a function returning the layer, or `backward = path` on a \
                 forward function",
            );
            layer.key.clone()
        }
        (Some(layer), None) => layer.key.clone(),
        (None, Some(backward)) => backward.key.clone(),
        (None, None) => unreachable!("only layer forms come here"),
    };
    if let Some(layer) = &args.layer {
        if layer.value == Some(false) {
            errors.at(
                &layer.key,
                "`layer = false` is not a layer check: remove `layer`",
            );
        }
    }
    let not_here: [(&str, Option<&Ident>); 7] = [
        ("parallel", args.parallel.as_ref().map(|a| &a.key)),
        ("dim", args.dim.as_ref().map(|a| &a.key)),
        ("shape", args.shape.as_ref().map(|a| &a.key)),
        ("shapes", args.shapes.as_ref().map(|a| &a.key)),
        ("grad", args.grad.as_ref().map(|a| &a.key)),
        ("data", args.data.as_ref().map(|a| &a.key)),
        ("sweep", args.sweep.as_ref().map(|a| &a.key)),
    ];
    for (name, key) in not_here {
        if let Some(key) = key {
            errors.at(
                key,
                format!(
                    "`{name}` does not apply to a layer check, which draws the input and the \
                     parameters in the shapes of `input = …` and `params = …`"
                ),
            );
        }
    }
    if let Some(names) = &args.names {
        errors.at(
            &names.key,
            "`names` does not apply to a layer check: name the parameter tensors with a struct \
             that derives `Params`",
        );
    }
    let input = required(&args.input, "input", &mode_key, errors);
    let params = required(&args.params, "params", &mode_key, errors);
    for proto in [&input, &params].into_iter().flatten() {
        if let Prototype::Shape(shape) = proto {
            valid::extents(shape, errors);
        }
    }

    let sig = &func.sig;
    if let Some(a) = &sig.asyncness {
        errors.at(a, "a layer check cannot be `async`");
    }
    if !sig
        .generics
        .params
        .iter()
        .all(|p| matches!(p, syn::GenericParam::Lifetime(_)))
    {
        errors.at(
            &sig.generics,
            "a layer check cannot be generic: the test calls it with fixed types",
        );
    }
    if matches!(sig.output, ReturnType::Default) {
        errors.at(
            &sig.ident,
            if args.layer.is_some() {
                "`layer` goes on a function that returns the layer to check, such as \
                 `fn dense() -> Dense`"
            } else {
                "`backward = path` goes on the forward function, which returns the layer's output"
            },
        );
    }
    let mut names = Vec::new();
    let mut types = Vec::new();
    for arg in &sig.inputs {
        match arg {
            FnArg::Receiver(r) => {
                errors.at(r, "a layer check takes no `self`: write a free function")
            }
            FnArg::Typed(t) => match (&*t.pat, &*t.ty) {
                (Pat::Ident(p), Type::Reference(r)) => {
                    names.push(p.ident.clone());
                    types.push((*r.elem).clone());
                }
                (Pat::Ident(_), ty) => errors.at(
                    ty,
                    "the forward function takes its input and parameters by reference, as in \
                     `fn forward(x: &Array2<f64>, w: &Array2<f64>) -> Array2<f64>`",
                ),
                (pat, _) => errors.at(pat, "name the argument with a plain identifier"),
            },
        }
    }
    let (input_name, param_name) = if args.layer.is_some() {
        if !sig.inputs.is_empty() {
            errors.at(
                &sig.inputs,
                "`layer` goes on a function without arguments that returns the layer; the \
                 input and parameters are drawn from `input = …` and `params = …`",
            );
        }
        ("x".to_string(), "params".to_string())
    } else {
        if sig.inputs.len() != 2 {
            errors.at(
                &sig.ident,
                "a forward function takes two arguments, the input and the parameters, as in \
                 `fn forward(x: &Array2<f64>, w: &Array2<f64>) -> Array2<f64>`",
            );
        }
        let name = |k: usize, default: &str| names.get(k).map_or(default.to_string(), text::unraw);
        (name(0, "x"), name(1, "params"))
    };

    // With a forward function the types are known: a shape must fit them.
    if args.backward.is_some() {
        let protos = [
            (&input, types.first(), "input"),
            (&params, types.get(1), "params"),
        ];
        for (proto, ty, what) in protos {
            if let (Some(Prototype::Shape(shape)), Some(ty)) = (proto, ty) {
                shape_fits(shape, ty, what, errors);
            }
        }
    }

    if !errors.is_empty() {
        return None;
    }
    let krate = match &args.krate {
        Some(arg) => Some(arg.value.clone()?),
        None => None,
    };
    Some(LayerPlan {
        common: Plan {
            krate,
            function: sig.ident.clone(),
            param: Ident::new(&param_name, Span::call_site()),
            owned: TokenStream::new(),
            shape: Shape::FromType,
            names: Vec::new(),
            init: match &args.init {
                Some(arg) => Some(arg.value.clone()?),
                None => None,
            },
            cases: cases.unwrap_or(0),
            sweep: false,
            parallel: false,
            eps,
            tol,
            grad: None,
            data: Vec::new(),
            output_span: sig.output.span(),
            input_name: Some(input_name),
        },
        backward: match &args.backward {
            Some(arg) => Some(arg.value.clone()?),
            None => None,
        },
        input: input?,
        params: params?,
    })
}

/// Reports a shape that cannot fit the argument's type: an axis count
/// that differs from `ArrayN`'s, or a type that is no array at all.
fn shape_fits(shape: &crate::attr::ShapeLit, ty: &Type, what: &str, errors: &mut Errors) {
    let axes = shape.dims.len();
    let written = text::code(ty);
    match container(ty) {
        Some((Kind::Array { ndim: Some(n) }, _)) if n != axes => errors.at(
            &shape.tokens,
            format!("`{what}` has {axes} axes here but `{written}` has {n}"),
        ),
        Some((Kind::Vector, _)) if axes != 1 => errors.at(
            &shape.tokens,
            format!("`{written}` has one axis; write `{what} = (n,)`"),
        ),
        Some((Kind::Many { .. }, _)) => errors.at(
            &shape.tokens,
            format!(
                "`{written}` holds several tensors: give a value whose shapes the draws copy, as \
                 in `{what} = vec![Array2::zeros((2, 3)), Array2::zeros((1, 3))]`"
            ),
        ),
        None => errors.at(
            &shape.tokens,
            format!(
                "a shape fits array types, not `{written}`: give a value whose shapes the draws \
                 copy, as in `{what} = {written}::zeros(…)`"
            ),
        ),
        _ => {}
    }
}

/// The value of a required argument, or an error at the mode's key.
fn required(
    arg: &Option<crate::attr::Arg<Prototype>>,
    name: &str,
    mode: &Ident,
    errors: &mut Errors,
) -> Option<Prototype> {
    match arg {
        Some(arg) => arg.value.clone(),
        None => {
            errors.at(
                mode,
                format!(
                    "a layer check needs `{name} = …`: a shape such as `(4, 3)`, or a value \
                     whose shapes the draws copy"
                ),
            );
            None
        }
    }
}

fn test(plan: &LayerPlan, moved: &[syn::Attribute]) -> TokenStream {
    let common = &plan.common;
    let private = private_path(common, Span::call_site());
    let function = &common.function;
    let name = format_ident!(
        "{}_gradcheck",
        text::unraw(function),
        span = function.span()
    );
    let spec = spec(common, &private);
    let prototype = |p: &Prototype| match p {
        Prototype::Value(expr) => quote_spanned!(expr.span()=> #expr),
        Prototype::Shape(shape) => {
            let dims = shape
                .dims
                .iter()
                .map(|d| Literal::usize_unsuffixed(d.value.max(0) as usize));
            let at = shape.tokens.span();
            quote_spanned!(at=> #private::shaped(#private::Shape::Of(&[#(#dims),*])))
        }
    };
    let input = prototype(&plan.input);
    let params = prototype(&plan.params);
    let layer = match &plan.backward {
        None => {
            let at = common.output_span;
            quote_spanned!(at=> #function())
        }
        Some(backward) => {
            let at = backward.span();
            let private = private_path(common, at);
            quote_spanned!(at=> #private::fn_layer(#function, #backward))
        }
    };
    let run = quote!(#private::run_layer(#spec, #layer, #input, #params));
    quote! {
        #[cfg(test)]
        #[::core::prelude::v1::test]
        #(#moved)*
        fn #name() {
            #run;
        }
    }
}

#[cfg(test)]
mod tests {
    fn expanded(args: &str, item: &str) -> String {
        crate::expand::expand(args.parse().unwrap(), item.parse().unwrap()).to_string()
    }

    #[test]
    fn a_layer_function_becomes_a_layer_test() {
        let out = expanded(
            "layer, input = (4, 3), params = Dense::zeros()",
            "fn dense() -> Dense { Dense }",
        );
        assert!(out.contains("fn dense_gradcheck ()"), "{out}");
        assert!(out.contains("run_layer"), "{out}");
        assert!(out.contains("Shape :: Of (& [4 , 3])"), "{out}");
        assert!(out.contains("Dense :: zeros ()"), "{out}");
    }

    #[test]
    fn a_forward_function_is_paired_with_its_backward() {
        let out = expanded(
            "backward = back, input = [2, 3], params = (3,)",
            "fn fwd(x: &Array2<f64>, w: &Array1<f64>) -> Array2<f64> { loop {} }",
        );
        assert!(out.contains("fn_layer (fwd , back)"), "{out}");
        assert!(out.contains("input : \"x\""), "{out}");
        assert!(out.contains("\"w\""), "{out}");
    }

    #[test]
    fn misuse_is_reported_at_the_arguments() {
        let out = expanded("layer, dim = 3, backward = b", "fn dense(x: &f64) {}");
        assert!(
            out.contains("`dim` does not apply to a layer check"),
            "{out}"
        );
        assert!(out.contains("`backward` does not go with `layer`"), "{out}");
        assert!(out.contains("a layer check needs `input = …`"), "{out}");
        assert!(out.contains("a function without arguments"), "{out}");
        assert!(out.contains("fn dense (x : & f64) { }"), "{out}");
    }
}
