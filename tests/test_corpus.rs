//! Every case and variant of the corpus of public gradient bugs reaches the
//! verdict a correct checker must reach: every bug caught, no false alarm,
//! every kink and ill-posed cost reported as undecidable.

mod corpus;

use corpus::{all, Expect};

#[test]
fn every_case_reaches_its_verdict() {
    let mut wrong = Vec::new();
    let cases = all();
    for case in &cases {
        let report = (case.run)();
        if !case.expect.met_by(report.verdict) {
            wrong.push(format!(
                "{} {}: expected {:?}, got {}\n{report}",
                case.id, case.variant, case.expect, report.verdict
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} cases reached the wrong verdict:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
}

#[test]
fn the_corpus_covers_every_kind_of_verdict() {
    let cases = all();
    for expect in [Expect::Fail, Expect::Pass, Expect::Undecidable] {
        assert!(
            cases.iter().filter(|c| c.expect == expect).count() >= 8,
            "{expect:?}"
        );
    }
}
