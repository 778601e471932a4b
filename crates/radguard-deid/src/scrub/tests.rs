use super::*;

fn names(n: &[&str]) -> Scrubber {
    Scrubber::builder().names(n.iter().copied()).build()
}

#[test]
fn issue_examples_in_cjk() {
    let s = names(&["Yamada^Tarou=山田^太郎"]);
    let out = s.clean("山田太郎様 頭部CT");
    assert!(!out.contains("山田") && !out.contains("太郎"), "{out}");
    assert_eq!(out, "[removed]様 頭部CT");
    assert_eq!(s.clean("太郎山田"), "[removed]");
    assert_eq!(
        s.clean("YamadaTarou, TarouYamada, Yamada Tarou"),
        "[removed], [removed], [removed] [removed]"
    );

    let s = names(&["Wang^Wei=王^伟"]);
    let out = s.clean("王伟 胸部CT");
    assert_eq!(out, "[removed] 胸部CT");
    // One-character components count in ideographic groups, anywhere.
    assert_eq!(s.clean("患者王先生"), "患者[removed]先生");

    let s = names(&["Hong^Gildong=洪^吉洞=홍^길동"]);
    assert_eq!(s.clean("홍길동님 CT"), "[removed]님 CT");
    assert_eq!(s.clean("환자 홍 씨"), "환자 [removed] 씨");
    let s = names(&["สมชาย^ใจดี"]);
    assert_eq!(s.clean("คุณสมชายใจดีมา"), "คุณ[removed]มา");
}

#[test]
fn latin_names_match_whole_words_only() {
    let s = names(&["Li^Ann", "DOE^JANE"]);
    assert_eq!(s.clean("Liver and Annual"), "Liver and Annual");
    assert_eq!(s.clean("Joann, Dali, Marianne"), "Joann, Dali, Marianne");
    assert_eq!(s.clean("Lithium"), "Lithium");
    assert_eq!(
        s.clean("by Li, Li and Li"),
        "by [removed], [removed] and [removed]"
    );
    assert_eq!(s.clean("CT chest Jane Doe"), "CT chest [removed] [removed]");
    assert_eq!(s.clean("DOE^JANE"), "[removed]^[removed]");
    assert_eq!(s.clean("JaneDoe and doejane"), "[removed] and [removed]");
    // Folded: case, width, accents, format characters.
    assert_eq!(s.clean("ＪＡＮＥ ann"), "[removed] [removed]");
    assert_eq!(s.clean("Ja\u{AD}ne"), "[removed]");
    let s = names(&["Müller^José"]);
    assert_eq!(
        s.clean("MULLER JOSE muller"),
        "[removed] [removed] [removed]"
    );
    assert_eq!(
        s.clean("Mu\u{308}ller, Jose\u{301}"),
        "[removed], [removed]"
    );
    // Cyrillic and Greek are spaced scripts.
    let s = names(&["Иванов^Пётр", "Παπαδόπουλος^Νίκος"]);
    assert_eq!(
        s.clean("ИВАНОВ петр Ивановка"),
        "[removed] [removed] Ивановка"
    );
    assert_eq!(s.clean("ΠΑΠΑΔΟΠΟΥΛΟΣ ok"), "[removed] ok");
    // Kana spellings fold together; half-width katakana as in ISO 2022 IR 13.
    let s = names(&["ﾔﾏﾀﾞ^ﾀﾛｳ"]);
    assert_eq!(s.clean("やまだ たろう"), "[removed] [removed]");
    assert_eq!(s.clean("ヤマダ"), "[removed]");
}

#[test]
fn initials_join_their_family_name() {
    let s = names(&["Doe^J"]);
    assert_eq!(s.clean("J Doe"), "[removed]");
    assert_eq!(s.clean("J went"), "J went");
}

#[test]
fn ids_with_and_without_separators() {
    let s = Scrubber::builder()
        .ids(["MRN-998-877", "A12", "PID12345"])
        .build();
    for t in [
        "MRN-998-877",
        "mrn998877",
        "MRN 998 877",
        "id:mrn998877.",
        "xPID12345y",
    ] {
        let out = s.clean(t);
        let digits = out.chars().filter(char::is_ascii_digit).count();
        assert_eq!(digits, 0, "{t} -> {out}");
    }
    assert_eq!(s.clean("bed A12 ok, A123"), "bed [removed] ok, A123");
    assert_eq!(s.clean("998 877"), "[removed]");
}

#[test]
fn the_patients_dates_in_every_written_form() {
    let s = Scrubber::builder().dates(["19600102"]).build();
    for d in [
        "1960-01-02",
        "19600102",
        "02/01/1960",
        "01/02/1960",
        "1960/01/02",
        "2.1.1960",
        "02-JAN-1960",
        "2-Jan-1960",
        "Jan 2, 1960",
        "January 2nd 1960",
        "2 January 1960",
        "1960年1月2日",
        "１９６０年１月２日",
        "1960년 1월 2일",
        "昭和35年1月2日",
        "Jan 1960",
        "January 2nd",
        "1月2日",
        "1960 01 02",
    ] {
        let out = s.clean(&format!("born {d}."));
        assert_eq!(out, "born [removed].", "{d}");
    }
    // Other dates in month-name forms go too (generic shapes); year-month
    // and month-day forms only for the patient's own dates.
    assert_eq!(s.clean("seen 3 March 2021"), "seen [removed]");
    assert_eq!(s.clean("since Mar 2021"), "since Mar 2021");
}

#[test]
fn shapes_and_the_old_behaviour() {
    let s = Scrubber::new([
        "DOE^JANE".to_owned(),
        "St Mary Hospital".to_owned(),
        "PID12345".to_owned(),
    ]);
    let out = s.clean(
        "CT head for Jane Doe at st mary hospital 2024-03-01, MRN 998877, jd@example.org, 1.2.3.4.5",
    );
    for bad in [
        "Jane",
        "Doe",
        "mary hospital",
        "2024-03-01",
        "998877",
        "jd@example.org",
        "1.2.3.4.5",
    ] {
        assert!(
            !out.to_lowercase().contains(&bad.to_lowercase()),
            "{bad} in {out}"
        );
    }
    assert!(out.starts_with("CT head for"));
    assert_eq!(s.clean("T1 MPRAGE SAG"), "T1 MPRAGE SAG");
    let s = Scrubber::new(["n.a.".to_owned(), "Li^Bo".to_owned()]);
    assert_eq!(s.clean("n.a."), "[removed]");
    for t in [
        "call +1 (555) 123-4567",
        "call 555-123-4567",
        "call 0049 30 1234567",
        "ssn 123-45-6789",
        "record AB1234567",
    ] {
        let out = s.clean(t);
        assert!(
            out.ends_with(REMOVED) && !out.chars().any(|c| c.is_ascii_digit()),
            "{t} -> {out}"
        );
    }
}

#[test]
fn new_sorts_values_by_shape() {
    let s = Scrubber::new([
        "Yamada^Tarou=山田^太郎".to_owned(),
        "19600102\\20240301120000".to_owned(),
        "1.2.840.10008.5.1.4.1.1.2".to_owned(),
        "SN-99123\\Hospital One\\CT01".to_owned(),
    ]);
    assert_eq!(
        s.clean("山田 Jan 2 sn99123 at hospital one, CT01"),
        "[removed] [removed] [removed] at [removed], [removed]"
    );
    // A short code is a whole word, not an ID matched across words.
    assert_eq!(s.clean("Fact 01"), "Fact 01");
    // A UID is not a term (it is removed by shape).
    let uid_only = Scrubber::new(["1.2.840.10008.5.1.4.1.1.2".to_owned()]);
    assert!(uid_only.matcher.expose().is_none());
    assert!(is_uid("1.2.840.10008.5.1.4.1.1.2") && !is_uid("1.2.3") && !is_uid("1..2.3.4"));
    assert!(is_temporal("19600102") && is_temporal("20240301120000.5+0100"));
    assert!(!is_temporal("12345678") && !is_temporal("1960"));
}

#[test]
fn confidence() {
    let s = names(&["Doe^Jane"]);
    let c = s.clean_checked("CT Jane Doe");
    assert!(c.confident);
    assert_eq!(c.text, "CT [removed] [removed]");
    // A spelling the matcher does not take: punctuation inside the name.
    let c = s.clean_checked("CT J.A.N.E");
    assert!(!c.confident);
    assert!(s.clean_checked("Janet").confident);
    // An incomplete scrubber is never confident.
    let ids: Vec<String> = (0..120_000).map(|i| format!("ID{i:08}")).collect();
    let s = Scrubber::builder().ids(ids).build();
    assert!(!s.is_complete());
    assert!(!s.clean_checked("anything").confident);
    // An empty scrubber is complete.
    assert!(Scrubber::default().is_complete());
    assert!(Scrubber::default().clean_checked("x").confident);
}

#[test]
fn never_prints_its_terms() {
    let s = Scrubber::builder()
        .names(["SECRETNAME^X"])
        .ids(["SECRETID"])
        .build();
    let b = Scrubber::builder().names(["SECRETNAME^X"]);
    for d in [
        format!("{s:?}"),
        format!("{b:?}"),
        format!("{:?}", s.clean_checked("SECRETNAME")),
    ] {
        assert!(!d.to_lowercase().contains("secret"), "{d}");
    }
}

#[test]
fn is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Scrubber>();
    check::<ScrubberBuilder>();
    check::<Cleaned>();
}

#[test]
fn spans_merge() {
    let mut s = Spans::default();
    for (a, b) in [(0, 2), (2, 4), (6, 8), (7, 9), (1, 3), (20, 20), (12, 14)] {
        s.push(a, b);
    }
    assert_eq!(s.merged(), vec![(0, 4), (6, 9), (12, 14)]);
}
