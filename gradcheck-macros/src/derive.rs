//! `#[derive(Params)]`: a struct of tensors becomes a parameter container
//! (and a gradient container) whose entries are named by field, so that
//! reports say `dense.weights[3, 7]`.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, ToTokens};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Index, Member};

use crate::errors::Errors;

/// The derive's expansion, or its compile errors.
pub fn derive_params(input: TokenStream) -> TokenStream {
    let item: DeriveInput = match syn::parse2(input) {
        Ok(item) => item,
        Err(e) => return e.to_compile_error(),
    };
    let mut errors = Errors::new();
    let krate = crate_path(&item.attrs, &mut errors);
    let fields = match &item.data {
        Data::Struct(s) => fields(&s.fields, &mut errors),
        _ => {
            errors.at(
                &item.ident,
                "`#[derive(Params)]` needs a struct whose fields are parameter tensors, such as \
                 `struct Dense { weights: Array2<f64>, bias: Array1<f64> }`",
            );
            Vec::new()
        }
    };
    let counted: Vec<&Field> = fields.iter().filter(|f| !f.skip).collect();
    if counted.is_empty() && errors.is_empty() {
        errors.at(
            &item.ident,
            "`#[derive(Params)]` needs at least one field that is not `#[gradcheck(skip)]`",
        );
    }
    if !errors.is_empty() {
        return errors.to_compile_errors();
    }

    let name = &item.ident;
    let (impl_generics, ty_generics, where_clause) = item.generics.split_for_impl();
    let first = &counted[0].ty;
    // Bounds only for generic structs, and once per distinct type (a bound
    // tying a type's scalar to itself sends the trait solver in circles).
    let mut seen = vec![first.to_token_stream().to_string()];
    let rest: Vec<&syn::Type> = if item.generics.params.is_empty() {
        Vec::new()
    } else {
        counted[1..]
            .iter()
            .map(|f| &f.ty)
            .filter(|ty| {
                let key = ty.to_token_stream().to_string();
                let new = !seen.contains(&key);
                seen.push(key);
                new
            })
            .collect()
    };
    let members: Vec<&Member> = counted.iter().map(|f| &f.member).collect();
    let labels: Vec<String> = counted.iter().map(|f| f.label()).collect();
    let predicates = where_clause.map(|w| &w.predicates);

    quote! {
        impl #impl_generics #krate::Params for #name #ty_generics
        where
            Self: ::core::clone::Clone,
            #first: #krate::Params,
            #(#rest: #krate::Params<Scalar = <#first as #krate::Params>::Scalar>,)*
            #predicates
        {
            type Scalar = <#first as #krate::Params>::Scalar;

            fn layout(&self) -> #krate::Layout {
                #krate::Layout::concat(::std::vec![
                    #((::std::string::String::from(#labels), #krate::Params::layout(&self.#members)),)*
                ])
            }

            fn flat_len(&self) -> usize {
                0 #(+ #krate::Params::flat_len(&self.#members))*
            }

            fn get_flat(&self, i: usize) -> Self::Scalar {
                let mut i = i;
                #(
                    let n = #krate::Params::flat_len(&self.#members);
                    if i < n {
                        return #krate::Params::get_flat(&self.#members, i);
                    }
                    i -= n;
                )*
                ::core::panic!("flat index {} beyond the parameters", i)
            }

            fn set_flat(&mut self, i: usize, value: Self::Scalar) {
                let mut i = i;
                #(
                    let n = #krate::Params::flat_len(&self.#members);
                    if i < n {
                        return #krate::Params::set_flat(&mut self.#members, i, value);
                    }
                    i -= n;
                )*
                ::core::panic!("flat index {} beyond the parameters", i)
            }

            fn to_standard(&self) -> Self {
                let mut copy = ::core::clone::Clone::clone(self);
                #(copy.#members = #krate::Params::to_standard(&self.#members);)*
                copy
            }
        }

        impl #impl_generics #krate::Gradient for #name #ty_generics
        where
            #first: #krate::Gradient,
            #(#rest: #krate::Gradient<Scalar = <#first as #krate::Gradient>::Scalar>,)*
            #predicates
        {
            type Scalar = <#first as #krate::Gradient>::Scalar;

            fn grad_layout(&self) -> #krate::Layout {
                #krate::Layout::concat(::std::vec![
                    #((::std::string::String::from(#labels), #krate::Gradient::grad_layout(&self.#members)),)*
                ])
            }

            fn to_f64_vec(&self) -> ::std::vec::Vec<f64> {
                let mut all = ::std::vec::Vec::new();
                #(all.extend(#krate::Gradient::to_f64_vec(&self.#members));)*
                all
            }
        }
    }
}

/// One field of the struct.
struct Field {
    member: Member,
    ty: syn::Type,
    skip: bool,
}

impl Field {
    /// `.weights` for a named field, `.0` for a tuple field.
    fn label(&self) -> String {
        match &self.member {
            Member::Named(ident) => format!(".{}", crate::text::unraw(ident)),
            Member::Unnamed(index) => format!(".{}", index.index),
        }
    }
}

fn fields(fields: &Fields, errors: &mut Errors) -> Vec<Field> {
    fields
        .iter()
        .enumerate()
        .map(|(k, f)| Field {
            member: match &f.ident {
                Some(ident) => Member::Named(ident.clone()),
                None => Member::Unnamed(Index {
                    index: k as u32,
                    span: f.span(),
                }),
            },
            ty: f.ty.clone(),
            skip: skipped(&f.attrs, errors),
        })
        .collect()
}

/// Whether a field carries `#[gradcheck(skip)]`.
fn skipped(attrs: &[syn::Attribute], errors: &mut Errors) -> bool {
    let mut skip = false;
    for attr in attrs.iter().filter(|a| a.path().is_ident("gradcheck")) {
        let result = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("skip") {
                skip = true;
                Ok(())
            } else {
                Err(meta.error(
                    "unknown field option; `#[gradcheck(skip)]` leaves a field out of the \
                     parameters",
                ))
            }
        });
        if let Err(e) = result {
            errors.push(e);
        }
    }
    skip
}

/// The path in `#[gradcheck(crate = path)]` on the struct, or `::gradcheck`.
fn crate_path(attrs: &[syn::Attribute], errors: &mut Errors) -> TokenStream {
    let mut path = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("gradcheck")) {
        let result = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("crate") {
                let value: syn::Path = meta.value()?.parse()?;
                path = Some(value.into_token_stream());
                Ok(())
            } else {
                Err(meta.error(
                    "unknown option; on the struct, `#[gradcheck(crate = path)]` names a renamed \
                     gradcheck crate",
                ))
            }
        });
        if let Err(e) = result {
            errors.push(e);
        }
    }
    path.unwrap_or_else(|| {
        let ident = format_ident!("gradcheck", span = Span::call_site());
        quote!(::#ident)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand(item: &str) -> String {
        derive_params(item.parse().unwrap()).to_string()
    }

    #[test]
    fn named_fields_are_labelled() {
        let out = expand("struct Dense { weights: Array2<f64>, bias: Array1<f64> }");
        assert!(out.contains("impl :: gradcheck :: Params for Dense"));
        assert!(out.contains("\".weights\""));
        assert!(out.contains("\".bias\""));
        assert!(out.contains("impl :: gradcheck :: Gradient for Dense"));
    }

    #[test]
    fn skipped_fields_and_renamed_crates() {
        let out = expand(
            "#[gradcheck(crate = gc)] struct Conv { #[gradcheck(skip)] stride: usize, kernel: Array1<f32> }",
        );
        assert!(out.contains("impl gc :: Params for Conv"));
        assert!(!out.contains("\".stride\""));
        assert!(out.contains("\".kernel\""));
    }

    #[test]
    fn enums_and_empty_structs_are_refused() {
        assert!(
            expand("enum E { A }").contains("needs a struct whose fields are parameter tensors")
        );
        assert!(expand("struct S { #[gradcheck(skip)] n: usize }").contains("at least one field"));
        assert!(expand("struct S { #[gradcheck(frozen)] w: Vec<f64> }")
            .contains("unknown field option"));
    }
}
