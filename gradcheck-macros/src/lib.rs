//! Procedural macros of gradcheck-rs. Use them through the `gradcheck-rs`
//! crate (library `gradcheck`), whose documentation describes them.
//!
//! The entry point only converts tokens; the work is done on `proc_macro2`
//! types so that every step can be unit tested without a compiler run:
//! `attr` parses the argument list, `sig` reads the function signature,
//! `valid` checks the two against each other and `expand` writes the
//! code.

mod attr;
mod derive;
mod errors;
mod expand;
mod layer;
mod sig;
mod text;
mod valid;

use proc_macro::TokenStream;

// Documented on its re-export in the `gradcheck` crate, where users read it
// (rustdoc appends a re-exported item's own docs to the re-export's).
#[allow(missing_docs)]
#[proc_macro_attribute]
pub fn gradcheck(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(args.into(), item.into()).into()
}

// Documented on its re-export in the `gradcheck` crate.
#[allow(missing_docs)]
#[proc_macro_derive(Params, attributes(gradcheck))]
pub fn derive_params(item: TokenStream) -> TokenStream {
    derive::derive_params(item.into()).into()
}
