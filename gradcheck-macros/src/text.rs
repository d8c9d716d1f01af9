//! Rust code as it appears in messages: `&[f64; 3]`, not `& [f64 ; 3]`.

use proc_macro2::{Delimiter, Ident, Spacing, TokenStream, TokenTree};
use quote::ToTokens;

/// The tokens of `node` written as a person writes them.
pub fn code<T: ToTokens>(node: &T) -> String {
    let mut out = String::new();
    write(&mut out, node.to_token_stream());
    out.trim_end().to_string()
}

/// An identifier without its `r#` prefix.
pub fn unraw(ident: &Ident) -> String {
    let s = ident.to_string();
    s.strip_prefix("r#").map(str::to_string).unwrap_or(s)
}

/// "`a`, `b` and `c`".
pub fn list<S: AsRef<str>>(items: &[S]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("`{}`", s.as_ref())).collect();
    match quoted.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn write(out: &mut String, tokens: TokenStream) {
    for tt in tokens {
        match tt {
            TokenTree::Ident(i) => word(out, &i.to_string()),
            TokenTree::Literal(l) => word(out, &l.to_string()),
            TokenTree::Punct(p) => punct(out, p.as_char(), p.spacing()),
            TokenTree::Group(g) => {
                let (open, close) = match g.delimiter() {
                    Delimiter::Parenthesis => ("(", ")"),
                    Delimiter::Bracket => ("[", "]"),
                    Delimiter::Brace => ("{ ", " }"),
                    Delimiter::None => ("", ""),
                };
                if g.delimiter() == Delimiter::Bracket && ends_in_word(out) {
                    out.push(' ');
                }
                out.push_str(open);
                write(out, g.stream());
                trim_end(out);
                out.push_str(close);
            }
        }
    }
}

fn word(out: &mut String, w: &str) {
    if ends_in_word(out) {
        out.push(' ');
    }
    out.push_str(w);
}

fn punct(out: &mut String, c: char, spacing: Spacing) {
    match c {
        ',' | ';' => {
            trim_end(out);
            out.push(c);
            out.push(' ');
        }
        ':' if spacing == Spacing::Joint || out.ends_with(':') => {
            trim_end(out);
            out.push(':');
        }
        ':' => {
            trim_end(out);
            out.push_str(": ");
        }
        '<' => {
            trim_end(out);
            out.push('<');
        }
        '>' if out.ends_with('-') => out.push_str("> "),
        '>' => {
            trim_end(out);
            out.push('>');
        }
        '-' => out.push_str(" -"),
        '=' | '+' => {
            trim_end(out);
            out.push(' ');
            out.push(c);
            out.push(' ');
        }
        _ => {
            if c == '\'' && ends_in_word(out) {
                out.push(' ');
            }
            out.push(c);
        }
    }
}

fn ends_in_word(out: &str) -> bool {
    out.ends_with(|c: char| c.is_alphanumeric() || c == '_')
}

fn trim_end(out: &mut String) {
    while out.ends_with(' ') {
        out.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(s: &str) -> String {
        code(&syn::parse_str::<syn::Type>(s).unwrap())
    }

    #[test]
    fn types_read_as_written() {
        assert_eq!(ty("& [f64 ; 3]"), "&[f64; 3]");
        assert_eq!(ty("&'a [f64]"), "&'a [f64]");
        assert_eq!(
            ty("& ::ndarray :: Array < f32 , Ix2 >"),
            "&::ndarray::Array<f32, Ix2>"
        );
        assert_eq!(ty("&Vec<Array2<f64>>"), "&Vec<Array2<f64>>");
        assert_eq!(ty("&mut String"), "&mut String");
        assert_eq!(ty("&dyn Fn(f64) -> f64"), "&dyn Fn(f64) -> f64");
        assert_eq!(ty("(f64, [f64; 2])"), "(f64, [f64; 2])");
    }

    #[test]
    fn lists_read_as_prose() {
        assert_eq!(list::<&str>(&[]), "");
        assert_eq!(list(&["x"]), "`x`");
        assert_eq!(list(&["x", "y", "z"]), "`x`, `y` and `z`");
    }
}
