//! Code generation: the function as written, plus a `#[cfg(test)]` test
//! that hands it to the runtime.

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{Attribute, Index, ItemFn};

use crate::attr::{self, InitArg, Source};
use crate::errors::Errors;
use crate::sig::{self, Pass};
use crate::text;
use crate::valid::{self, Plan, Shape};

/// The whole expansion of `#[gradcheck(args)] item`. On any error, the item
/// comes back unchanged beside every error found.
pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::new();
    let func: ItemFn = match syn::parse2(item.clone()) {
        Ok(func) => func,
        Err(_) => {
            errors.push(syn::Error::new(
                Span::call_site(),
                "`#[gradcheck]` goes on a function whose first argument is the parameters to \
                 check",
            ));
            let errors = errors.to_compile_errors();
            return quote!(#item #errors);
        }
    };

    let args = attr::parse(args, &mut errors);
    if args.layer.is_some() || args.backward.is_some() {
        return crate::layer::expand(&args, func, item, errors);
    }
    let sig = sig::analyse(&func.sig, &mut errors);
    let plan = valid::check(&args, sig.as_ref(), &mut errors);
    emit(plan, errors, func, item, test)
}

/// The function with its generated test when `plan` came through without
/// errors; otherwise the item unchanged beside every error.
pub fn emit<T>(
    plan: Option<T>,
    errors: Errors,
    mut func: ItemFn,
    item: TokenStream,
    test: impl FnOnce(&T, &[Attribute]) -> TokenStream,
) -> TokenStream {
    let Some(plan) = plan.filter(|_| errors.is_empty()) else {
        let errors = errors.to_compile_errors();
        return quote!(#item #errors);
    };
    let moved = take_test_attributes(&mut func.attrs);
    let test = test(&plan, &moved);
    quote! {
        #func
        #test
    }
}

/// Removes `#[ignore]` and `#[should_panic]`, which belong on the test.
fn take_test_attributes(attrs: &mut Vec<Attribute>) -> Vec<Attribute> {
    let (moved, kept) = attrs
        .drain(..)
        .partition(|a| a.path().is_ident("ignore") || a.path().is_ident("should_panic"));
    *attrs = kept;
    moved
}

fn test(plan: &Plan, moved: &[Attribute]) -> TokenStream {
    let private = private_path(plan, Span::call_site());
    let function = &plan.function;
    let name = format_ident!(
        "{}_gradcheck",
        text::unraw(function),
        span = function.span()
    );
    let spec = spec(plan, &private);

    let local = |s: &str| Ident::new(s, Span::mixed_site());
    let theta = local("__gradcheck_theta");
    let data = local("__gradcheck_data");
    let drawn_fn = local("__gradcheck_drawn");

    // Values are passed with the span of their expression in `data(...)`,
    // so that a value of the wrong type is reported there.
    let mut fixed = Vec::new();
    let mut strategies = Vec::new();
    let mut values = Vec::new();
    for binding in &plan.data {
        let expr = &binding.expr;
        let at = expr.span();
        let located = |ident: &Ident| Ident::new(&ident.to_string(), ident.span().located_at(at));
        let value = match binding.source {
            Source::Fixed => {
                let var = local(&format!("__gradcheck_fixed_{}", text::unraw(&binding.name)));
                fixed.push(quote!(let #var = #expr;));
                located(&var).into_token_stream()
            }
            Source::Drawn => {
                let mut index = Index::from(strategies.len());
                index.span = at;
                strategies.push(quote_spanned!(at=> #drawn_fn(#expr)));
                let data = located(&data);
                quote_spanned!(at=> #data.#index)
            }
        };
        values.push(match binding.pass {
            Pass::Ref => quote_spanned!(at=> &#value),
            Pass::RefMut => quote_spanned!(at=> &mut ::core::clone::Clone::clone(&#value)),
            Pass::Value => quote_spanned!(at=> ::core::clone::Clone::clone(&#value)),
        });
    }

    // A strategy's values must be `Debug` (reports print them); checking it
    // here puts a missing impl at the user's expression.
    let drawn_check = (!strategies.is_empty()).then(|| {
        quote! {
            fn #drawn_fn<S>(strategy: S) -> S
            where
                S: #private::proptest::strategy::Strategy,
                S::Value: ::core::fmt::Debug,
            {
                strategy
            }
        }
    });
    let strategies = if strategies.is_empty() {
        quote!(#private::Just(()))
    } else {
        quote!((#(#strategies,)*))
    };

    // Each closure carries the span of what decides its return type (the
    // function's return type, the gradient function's path), where a
    // gradient of the wrong type is then reported.
    let owned = &plan.owned;
    let call = |f: TokenStream, at: Span| {
        let args = quote_spanned!(at=> #f(#theta, #(#values),*));
        quote_spanned!(at=> |#theta: &#owned, #data: &_| #args)
    };
    let cost = call(quote!(#function), plan.output_span);
    let run = match &plan.grad {
        None => {
            let at = plan.output_span;
            let private = private_path(plan, at);
            if plan.parallel {
                quote_spanned!(at=> #private::run_parallel(#spec, #strategies, #cost))
            } else {
                quote_spanned!(at=> #private::run(#spec, #strategies, #cost))
            }
        }
        Some(grad) => {
            let at = grad.span();
            let gradient = call(quote!(#grad), at);
            let private = private_path(plan, at);
            quote_spanned!(at=> #private::run_split(#spec, #strategies, #cost, #gradient))
        }
    };

    quote! {
        #[cfg(test)]
        #[::core::prelude::v1::test]
        #(#moved)*
        fn #name() {
            #drawn_check
            #(#fixed)*
            #run;
        }
    }
}

/// The path of the hidden module of the facade; the default path takes the
/// span `at`, so that errors in a call through it can point at user code.
pub fn private_path(plan: &Plan, at: Span) -> TokenStream {
    match &plan.krate {
        Some(krate) => {
            let krate: TokenStream = krate
                .to_token_stream()
                .into_iter()
                .map(|mut tt| {
                    tt.set_span(tt.span().located_at(at));
                    tt
                })
                .collect();
            quote_spanned!(at=> #krate::__private)
        }
        None => quote_spanned!(at=> ::gradcheck::__private),
    }
}

pub fn spec(plan: &Plan, private: &TokenStream) -> TokenStream {
    let dims = |d: &[usize]| {
        let d = d.iter().map(|n| Literal::usize_unsuffixed(*n));
        quote!(&[#(#d),*])
    };
    let shape = match &plan.shape {
        Shape::FromType => quote!(#private::Shape::FromType),
        Shape::Of(d) => {
            let d = dims(d);
            quote!(#private::Shape::Of(#d))
        }
        Shape::Many(shapes) => {
            let each = shapes.iter().map(|d| dims(d));
            quote!(#private::Shape::Many(&[#(#each),*]))
        }
    };
    let names = &plan.names;
    let init = match &plan.init {
        None => quote!(<#private::Init as ::core::default::Default>::default()),
        Some(InitArg::Uniform(e)) => quote!(#private::Init::Uniform(#e)),
        Some(InitArg::GlorotUniform) => quote!(#private::Init::GlorotUniform),
        Some(InitArg::GlorotNormal) => quote!(#private::Init::GlorotNormal),
        Some(InitArg::HeUniform) => quote!(#private::Init::HeUniform),
        Some(InitArg::HeNormal) => quote!(#private::Init::HeNormal),
        Some(InitArg::LeCunUniform) => quote!(#private::Init::LeCunUniform),
        Some(InitArg::LeCunNormal) => quote!(#private::Init::LeCunNormal),
        Some(InitArg::Orthogonal(None)) => quote!(#private::Init::Orthogonal { gain: 1.0 }),
        Some(InitArg::Orthogonal(Some(gain))) => {
            quote!(#private::Init::Orthogonal { gain: #gain })
        }
        Some(InitArg::Zeros) => quote!(#private::Init::Zeros),
        Some(InitArg::Constant(e)) => quote!(#private::Init::Constant(#e)),
        Some(InitArg::Custom(e)) => quote!(#e),
    };
    let cases = Literal::u32_unsuffixed(plan.cases);
    let option = |x: Option<f64>| match x {
        Some(x) => {
            let x = Literal::f64_unsuffixed(x);
            quote!(::core::option::Option::Some(#x))
        }
        None => quote!(::core::option::Option::None),
    };
    let (eps, tol) = (option(plan.eps), option(plan.tol));
    let function = text::unraw(&plan.function);
    let param = text::unraw(&plan.param);
    let sweep = plan.sweep;
    let input = plan.input_name.as_ref().map(|name| quote!(input: #name,));
    let drawn: Vec<String> = plan
        .data
        .iter()
        .filter(|b| b.source == Source::Drawn)
        .map(|b| text::unraw(&b.name))
        .collect();
    quote! {
        #private::Spec {
            shape: #shape,
            names: &[#(#names),*],
            drawn: &[#(#drawn),*],
            init: #init,
            cases: #cases,
            sweep: #sweep,
            #input
            eps: #eps,
            tol: #tol,
            ..#private::Spec::new(#function, #param)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expanded(args: &str, item: &str) -> String {
        expand(args.parse().unwrap(), item.parse().unwrap()).to_string()
    }

    /// The messages of the `compile_error!`s in an expansion.
    fn errors(args: &str, item: &str) -> Vec<String> {
        let out = expanded(args, item);
        out.split("compile_error ! {")
            .skip(1)
            .map(|s| {
                let start = s.find('"').unwrap() + 1;
                let end = s[start..].find("\" }").unwrap() + start;
                s[start..end].replace("\\\"", "\"")
            })
            .collect()
    }

    const SQUARES: &str = "fn cost(w: &[f64; 3]) -> (f64, [f64; 3]) { loop {} }";

    #[test]
    fn a_fixed_array_needs_no_size() {
        let out = expanded("", SQUARES);
        assert!(out.starts_with("fn cost (w : & [f64 ; 3]) -> (f64 , [f64 ; 3]) { loop { } }"));
        assert!(out
            .contains("# [cfg (test)] # [:: core :: prelude :: v1 :: test] fn cost_gradcheck ()"));
        assert!(out.contains("shape : :: gradcheck :: __private :: Shape :: FromType"));
        assert!(out.contains("names : & []"));
        assert!(out.contains(
            "init : < :: gradcheck :: __private :: Init as :: core :: default :: Default > :: \
             default ()"
        ));
        assert!(
            out.contains("cases : 0 , sweep : false , eps : :: core :: option :: Option :: None")
        );
        assert!(out.contains(":: gradcheck :: __private :: Spec :: new (\"cost\" , \"w\")"));
        assert!(out.contains(":: gradcheck :: __private :: Just (())"));
        assert!(out.contains(
            "| __gradcheck_theta : & [f64 ; 3] , __gradcheck_data : & _ | cost \
                              (__gradcheck_theta ,)"
        ));
        assert!(!out.contains("compile_error"));
    }

    #[test]
    fn every_argument_reaches_the_spec() {
        let out = expanded(
            r#"shapes = [(2, 3), [1, 3]], names = ["W", "b"], eps = 1e-5, tol = 1e-8,
               cases = 8, init = uniform(1), sweep, crate = gc"#,
            "fn cost(t: &[Array2<f32>]) -> (f32, Vec<Array2<f32>>) { loop {} }",
        );
        assert!(
            out.contains("shape : gc :: __private :: Shape :: Many (& [& [2 , 3] , & [1 , 3]])")
        );
        assert!(out.contains("names : & [\"W\" , \"b\"]"));
        assert!(out.contains("init : gc :: __private :: Init :: Uniform (1.0)"));
        assert!(out.contains(
            "cases : 8 , sweep : true , eps : :: core :: option :: Option :: Some (0.00001) , \
                              tol : :: core :: option :: Option :: Some (0.00000001)"
        ));
        assert!(out.contains("| __gradcheck_theta : & :: std :: vec :: Vec < Array2 < f32 > > ,"));
        assert!(!out.contains("::gradcheck"));
    }

    #[test]
    fn named_schemes_map_to_init_variants() {
        for (arg, tokens) in [
            ("glorot_uniform", "Init :: GlorotUniform"),
            ("he_uniform", "Init :: HeUniform"),
            ("zeros", "Init :: Zeros"),
            ("constant(0.3)", "Init :: Constant (0.3)"),
            ("my_init()", "init : my_init ()"),
            ("Init::Uniform(0.2)", "init : Init :: Uniform (0.2)"),
        ] {
            let out = expanded(&format!("init = {arg}"), SQUARES);
            assert!(out.contains(tokens), "{arg}: {out}");
        }
        assert_eq!(
            errors("init = uniform", SQUARES),
            ["`uniform` needs the half-width of its interval, as in `init = uniform(0.12)`"]
        );
        assert_eq!(
            errors("init = zeros()", SQUARES),
            ["`zeros` takes no arguments: write `init = zeros`"]
        );
    }

    #[test]
    fn data_arguments_are_bound_by_name() {
        let out = expanded(
            "dim = 2, data(lambda in 0.1..1.0, x = make_x(), y = vec![1.0], m in vec(0.0..1.0, 2))",
            "fn cost(w: &[f64], x: &Array2<f64>, y: Vec<f64>, lambda: f64, m: &mut Vec<f64>) \
             -> (f64, Vec<f64>) { loop {} }",
        );
        assert!(out.contains("let __gradcheck_fixed_x = make_x () ;"));
        assert!(out.contains("let __gradcheck_fixed_y = vec ! [1.0] ;"));
        assert!(out.contains(
            "(__gradcheck_drawn (0.1 .. 1.0) , __gradcheck_drawn (vec (0.0 .. 1.0 , 2)) ,)"
        ));
        assert!(out.contains(
            "cost (__gradcheck_theta , & __gradcheck_fixed_x , \
             :: core :: clone :: Clone :: clone (& __gradcheck_fixed_y) , \
             :: core :: clone :: Clone :: clone (& __gradcheck_data . 0) , \
             & mut :: core :: clone :: Clone :: clone (& __gradcheck_data . 1))"
        ));
        assert!(out.contains("S : :: gradcheck :: __private :: proptest :: strategy :: Strategy"));
    }

    #[test]
    fn a_separate_gradient_uses_run_split() {
        let out = expanded(
            "dim = 3, grad = grads::of_cost, data(k = 2.0)",
            "fn cost(w: &Vec<f64>, k: f64) -> f64 { loop {} }",
        );
        assert!(out.contains(":: gradcheck :: __private :: run_split ("));
        assert!(out.contains(
            "| __gradcheck_theta : & Vec < f64 > , __gradcheck_data : & _ | \
             grads :: of_cost (__gradcheck_theta , \
             :: core :: clone :: Clone :: clone (& __gradcheck_fixed_k))"
        ));
    }

    #[test]
    fn test_attributes_move_to_the_test() {
        let out = expanded(
            "",
            "#[doc = \"x\"] #[should_panic(expected = \"DISAGREE\")] #[ignore] \
             fn cost(w: &[f64; 3]) -> (f64, [f64; 3]) { loop {} }",
        );
        assert!(out.starts_with("# [doc = \"x\"] fn cost"));
        assert!(out.contains(
            "# [:: core :: prelude :: v1 :: test] # [should_panic (expected = \"DISAGREE\")] \
             # [ignore] fn cost_gradcheck"
        ));
    }

    #[test]
    fn errors_come_with_the_function_unchanged() {
        let item = "#[ignore] fn cost(w: &[f64]) -> f64 { 0.0 }";
        let out = expanded("eps = 0, foo = 1, tol = 1e999", item);
        let original: TokenStream = item.parse().unwrap();
        assert!(out.starts_with(&original.to_string()));
        assert!(!out.contains("cost_gradcheck"));
        assert_eq!(
            errors("eps = 0, foo = 1, tol = 1e999", item),
            [
                "unknown argument `foo`; expected one of `eps`, `tol`, `dim`, `shape`, `shapes`, \
                 `names`, `grad`, `cases`, `init`, `sweep`, `parallel`, `layer`, `backward`, `input`, `params`, `data`, `crate`",
                "`eps` must be positive: it is the step of the finite differences, such as \
                 `eps = 1e-4`",
                "`tol` must be finite, but `1e999` is too large for `f64`",
                "`&[f64]` needs its length: add `dim = n`",
                "`cost` returns `f64` only: add `grad = path` or return `(f64, gradient)`",
            ]
        );
    }

    #[test]
    fn arguments_are_checked() {
        let e = |args: &str| errors(args, SQUARES);
        assert_eq!(e("eps = 1e-4, eps = 1e-5"), ["duplicate argument `eps`"]);
        assert_eq!(
            e("eps = -1e-4"),
            [
                "`eps` must be positive: it is the step of the finite differences, such as `eps = \
              1e-4`"
            ]
        );
        assert_eq!(
            e("tol = 0.0"),
            [
                "`tol` must be positive: it is the tolerance on the relative difference, such as \
              `tol = 1e-9`"
            ]
        );
        assert_eq!(
            e("eps = EPS"),
            ["`eps` expects a positive number literal, as in `eps = 1e-4`"]
        );
        assert_eq!(
            e("eps 1e-4"),
            ["expected `=` after `eps`, as in `eps = 1e-4`"]
        );
        assert_eq!(
            e("cases = 0"),
            [
                "`cases` must be positive: it is the number of random draws (omit it for the \
              default, 32)"
            ]
        );
        assert_eq!(
            e("cases = 2.5"),
            ["`cases` expects a positive integer literal, as in `cases = 64`"]
        );
        assert_eq!(e("eps = 1e-4 tol = 1"), ["expected `,` between arguments"]);
        assert_eq!(
            e("dim = 3"),
            ["the size comes from the type `[f64; 3]`; remove `dim`"]
        );
        assert_eq!(
            e("names = [\"a\", \"b\"]"),
            [
                "`names` has 2 names but `&[f64; 3]` is a single tensor; give one name, as in \
              `names = [\"w\"]`"
            ]
        );
        assert_eq!(e("names = [\"a\", \"\"]"), ["a name cannot be empty"]);
        assert_eq!(e("data = (x = 1)").len(), 1);
        assert_eq!(
            e("grad = g"),
            ["`grad` is for a cost that returns only `f64`, but `cost` returns the gradient too; \
              remove `grad`"]
        );
    }

    #[test]
    fn shapes_must_fit_the_type() {
        let f = |ty: &str| format!("fn cost(t: &{ty}) -> (f64, G) {{ loop {{}} }}");
        assert_eq!(
            errors("shape = (2, 3, 4)", &f("Array2<f64>")),
            ["`shape` has 3 axes but `Array2<f64>` has 2 axes"]
        );
        assert_eq!(
            errors("", &f("Array3<f64>")),
            ["`&Array3<f64>` needs its shape: add `shape = (d0, d1, d2)`"]
        );
        assert_eq!(
            errors("dim = 4", &f("Array2<f64>")),
            ["`dim` is for one-dimensional parameters; `&Array2<f64>` takes `shape = (r, c)`"]
        );
        assert!(errors("shape = (2, 3, 4)", &f("ArrayD<f64>")).is_empty());
        assert!(errors("shape = (4,)", &f("Array1<f64>")).is_empty());
        assert!(errors("dim = 4", &f("Array1<f64>")).is_empty());
        assert_eq!(
            errors("dim = 4, shape = (4,)", &f("Array1<f64>")),
            ["give either `dim` or `shape`, not both"]
        );
        assert_eq!(
            errors("shape = (0, 3)", &f("Array2<f64>")),
            ["the extent of an axis must be positive"]
        );
        assert_eq!(
            errors("shape = ()", &f("Array2<f64>")),
            ["a shape needs at least one axis, as in `(3, 4)` or `(3,)`"]
        );
        assert_eq!(
            errors(
                "shapes = [(2, 3), (3,)], names = [\"a\"]",
                &f("[Array2<f64>]")
            ),
            ["this shape has 1 axis but `Array2<f64>` has 2 axes"]
        );
        assert_eq!(
            errors(
                "shapes = [(2, 3), (1, 3)], names = [\"a\"]",
                &f("Vec<Array2<f64>>")
            ),
            ["`names` has 1 name but `shapes` has 2 tensors; give one name per tensor"]
        );
        assert_eq!(
            errors("shape = (2, 3)", &f("[Array2<f64>]")),
            ["`shape` is for a single tensor; `&[Array2<f64>]` holds several and takes `shapes = \
              [(r, c), (r, c)]`"]
        );
        assert_eq!(
            errors("", &f("[Array2<f64>]")),
            ["`&[Array2<f64>]` needs the shape of each tensor: add `shapes = [(r, c), (r, c)]`"]
        );
        assert_eq!(
            errors("shape = 3", &f("[f64]")),
            [
                "`shape` expects the extents of the axes, as in `shape = (3, 4)` or `shape = [3, \
              4]` (`shape = (3,)` for one axis)"
            ]
        );
    }

    #[test]
    fn data_must_match_the_arguments() {
        let item = "fn cost(w: &[f64; 2], x: &Array2<f64>, y: f64) -> (f64, [f64; 2]) { loop {} }";
        assert_eq!(
            errors("data(x = a())", item),
            [
                "missing data argument `y`: give its value with `data(y = value)` or draw it with \
              `data(y in strategy)`"
            ]
        );
        assert_eq!(
            errors("data(x = a(), y = 1.0, z = 2.0, w = 0.0)", item),
            [
                "`cost` has no argument `z`; its data arguments are `x` and `y`",
                "`w` is the parameters being checked: they are drawn by the attribute (see \
                 `init`), not given in `data`"
            ]
        );
        assert_eq!(
            errors("data(x = a(), y = 1.0, x = b())", item),
            ["duplicate data argument `x`"]
        );
        assert_eq!(
            errors("data(x: a(), y = 1.0)", item),
            ["expected `x = value` (a fixed value) or `x in strategy` (drawn with the parameters)"]
        );
        assert_eq!(
            errors("data(k = 1)", SQUARES),
            ["`cost` has no argument `k`; it takes no data arguments, only the parameters"]
        );
    }

    #[test]
    fn returns_are_checked() {
        let f = |ret: &str| {
            errors(
                "dim = 2",
                &format!("fn cost(w: &[f32]) {ret} {{ loop {{}} }}"),
            )
        };
        assert_eq!(
            f(""),
            [
                "`cost` returns nothing; return `(f32, gradient)`, or the cost `f32` with \
              `grad = path` naming the gradient function"
            ]
        );
        assert_eq!(
            f("-> (f64, Vec<f64>)"),
            ["the cost is `f64` but the parameters are `f32`; use one scalar type"]
        );
        assert_eq!(
            f("-> (f32, Vec<f32>, f32)"),
            ["`cost` returns a tuple of 3 elements; expected `(f32, gradient)`"]
        );
        assert_eq!(
            f("-> Option<f32>"),
            [
                "`cost` returns `Option<f32>`; expected `(f32, gradient)`, or `f32` with \
              `grad = path`"
            ]
        );
        assert!(errors("dim = 2, grad = g", "fn cost(w: &[f32]) -> Cost { 0.0 }").is_empty());
    }

    #[test]
    fn raw_names_lose_their_prefix() {
        let out = expanded(
            "crate = \"my::gc\"",
            "fn r#loop(r#in: &[f64; 1]) -> (f64, [f64; 1]) { loop {} }",
        );
        assert!(out.contains("fn loop_gradcheck ()"));
        assert!(out.contains("my :: gc :: __private :: Spec :: new (\"loop\" , \"in\")"));
        assert!(out.contains("r#loop (__gradcheck_theta ,)"));
    }

    #[test]
    fn a_non_function_is_returned_with_an_error() {
        let out = expanded("", "struct S;");
        assert!(out.starts_with("struct S ;"));
        assert!(out.contains("`#[gradcheck]` goes on a function"));
    }
}
