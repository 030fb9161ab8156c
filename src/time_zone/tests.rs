use super::*;

/// Unix seconds of a UTC calendar time.
fn utc(y: i64, mo: u32, d: u32, h: i64, mi: i64) -> i64 {
    days_from_civil(y, mo, d) * SECONDS_PER_DAY + h * 3600 + mi * 60
}

fn rule_at(rule: &str, t: i64) -> (i32, String) {
    let zone = Rule::parse(rule).unwrap_or_else(|| panic!("{rule} parses"));
    let z = zone.at(t);
    (z.offset, z.abbrev.clone())
}

#[test]
fn european_rule_switches_at_one_utc_on_the_last_sundays() {
    let berlin = "CET-1CEST,M3.5.0,M10.5.0/3";
    // 2026: the last Sunday of March is the 29th, of October the 25th; both at 01:00 UTC.
    let cases = [
        (utc(2026, 1, 15, 12, 0), 3600, "CET"),
        (utc(2026, 3, 29, 0, 59), 3600, "CET"),
        (utc(2026, 3, 29, 1, 0), 7200, "CEST"),
        (utc(2026, 10, 25, 0, 59), 7200, "CEST"),
        (utc(2026, 10, 25, 1, 0), 3600, "CET"),
        (utc(2040, 7, 1, 0, 0), 7200, "CEST"),
    ];
    for (t, offset, abbrev) in cases {
        assert_eq!(rule_at(berlin, t), (offset, abbrev.to_string()), "{t}");
    }
}

#[test]
fn us_southern_and_fixed_rules() {
    let new_york = "EST5EDT,M3.2.0,M11.1.0";
    // 2026-03-08 02:00 EST = 07:00 UTC; 2026-11-01 02:00 EDT = 06:00 UTC.
    assert_eq!(rule_at(new_york, utc(2026, 3, 8, 6, 59)).0, -5 * 3600);
    assert_eq!(rule_at(new_york, utc(2026, 3, 8, 7, 0)).0, -4 * 3600);
    assert_eq!(rule_at(new_york, utc(2026, 11, 1, 5, 59)).0, -4 * 3600);
    assert_eq!(rule_at(new_york, utc(2026, 11, 1, 6, 0)).0, -5 * 3600);
    // The default rule is the US one.
    assert_eq!(rule_at("EST5EDT", utc(2026, 7, 1, 0, 0)).0, -4 * 3600);

    let sydney = "AEST-10AEDT,M10.1.0,M4.1.0/3";
    assert_eq!(
        rule_at(sydney, utc(2026, 1, 15, 0, 0)),
        (39600, "AEDT".into())
    );
    assert_eq!(
        rule_at(sydney, utc(2026, 7, 15, 0, 0)),
        (36000, "AEST".into())
    );

    assert_eq!(
        rule_at("<+03>-3", utc(2026, 7, 1, 0, 0)),
        (10800, "+03".into())
    );
    assert_eq!(rule_at("<-0330>3:30", 0), (-12600, "-0330".into()));
    // Julian days and times past midnight (Israel: Friday before the last Sunday, 02:00 = 26h).
    let israel = "IST-2IDT,M3.4.4/26,M10.5.0";
    assert_eq!(rule_at(israel, utc(2026, 3, 26, 23, 59)).0, 7200);
    assert_eq!(rule_at(israel, utc(2026, 3, 27, 0, 0)).0, 10800);
    assert_eq!(
        rule_at("XST3XDT,J60/0,J300", utc(2027, 3, 1, 3, 0)).0,
        -7200
    );
}

#[test]
fn malformed_rules_are_refused() {
    for rule in [
        "",
        "C-1",
        "CET",
        "CET-1CEST,M13.1.0,M10.5.0",
        "CET-1CEST,M3.5",
        "CET-1x",
        "<AB",
    ] {
        assert_eq!(Rule::parse(rule), None, "{rule:?}");
    }
}

/// A version-2 TZif file: one transition from LMT (+00:53:28) to CET at 1893-04-01, the
/// 64-bit data only meaningful, and `footer` as the rule.
fn tzif(footer: &str) -> Vec<u8> {
    let header = |version: u8, timecnt: u32, typecnt: u32, charcnt: u32| {
        let mut h = b"TZif".to_vec();
        h.push(version);
        h.extend_from_slice(&[0; 15]);
        for n in [0, 0, 0, timecnt, typecnt, charcnt] {
            h.extend_from_slice(&u32::to_be_bytes(n));
        }
        h
    };
    let mut f = header(b'2', 0, 1, 4);
    // v1 block: one type (UTC), "UTC\0".
    f.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    f.extend_from_slice(b"UTC\0");
    f.extend_from_slice(&header(b'2', 1, 2, 8));
    f.extend_from_slice(&(-2_422_054_408i64).to_be_bytes());
    f.push(1);
    f.extend_from_slice(&3208i32.to_be_bytes());
    f.extend_from_slice(&[0, 0]);
    f.extend_from_slice(&3600i32.to_be_bytes());
    f.extend_from_slice(&[0, 4]);
    f.extend_from_slice(b"LMT\0CET\0");
    f.push(b'\n');
    f.extend_from_slice(footer.as_bytes());
    f.push(b'\n');
    f
}

#[test]
fn tzif_transitions_then_footer_rule() {
    let zone = Zone::from_tzif(&tzif("CET-1CEST,M3.5.0,M10.5.0/3")).expect("valid file");
    let at = |t| {
        let z = zone.at(t);
        (z.offset, z.abbrev.as_str())
    };
    assert_eq!(at(-3_000_000_000), (3208, "LMT"));
    assert_eq!(at(utc(1990, 1, 1, 0, 0)), (3600, "CET"));
    assert_eq!(at(utc(2026, 7, 1, 0, 0)), (7200, "CEST"));
    // Without a footer the last transition's type stays.
    let zone = Zone::from_tzif(&tzif("")).expect("valid file");
    assert_eq!(zone.at(utc(2026, 7, 1, 0, 0)).abbrev, "CET");
}

#[test]
fn damaged_tzif_files_are_refused() {
    let good = tzif("CET-1");
    for cut in 0..good.len() - "\nCET-1\n".len() {
        // Cut inside the header or data: no zone (a cut in the footer only loses the rule).
        assert_eq!(Zone::from_tzif(&good[..cut]), None, "{cut}");
    }
    let mut bad_index = good.clone();
    let index_at = 44 + 10 + 44 + 8;
    bad_index[index_at] = 7;
    assert_eq!(Zone::from_tzif(&bad_index), None);
    assert_eq!(Zone::from_tzif(b"not a zone file at all, really not"), None);
}

#[test]
fn system_zoneinfo_when_present() {
    // Debian's tzdata; skipped on a machine without it (e.g. a scratch image).
    let Ok(data) = std::fs::read("/usr/share/zoneinfo/Europe/Berlin") else {
        return;
    };
    let zone = Zone::from_tzif(&data).expect("Debian's Berlin file reads");
    assert_eq!(zone.at(utc(2026, 1, 1, 0, 0)).abbrev, "CET");
    assert_eq!(zone.at(utc(2026, 7, 1, 0, 0)).offset, 7200);
    assert_eq!(zone.at(utc(2100, 7, 1, 0, 0)).abbrev, "CEST");
}
