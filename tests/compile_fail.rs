//! Misuse of `#[gradcheck]` is a compile error at the offending token, with
//! every error of an item shown at once. Each file under `tests/ui/` holds
//! one concern; its `.stderr` is the expected output.
//!
//! Regenerate the expectations with `TRYBUILD=overwrite cargo test --test
//! compile_fail`, then read every changed `.stderr`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
