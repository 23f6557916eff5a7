//! Inputs the fuzz targets once crashed on, kept so the crash never returns.

/// A workbook whose cell points past the end of the shared-string table: calamine 0.30
/// panicked (index out of bounds); it must be a clear error instead.
#[test]
fn an_xlsx_with_a_bad_shared_string_index_is_an_error_not_a_panic() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/core/fuzz-regressions/xlsx-shared-string-out-of-range.xlsx"
    );
    let bytes = std::fs::read(path).expect("the regression input is in the repository");
    let result = lantern_core::import::Table::from_xlsx_bytes("bad.xlsx", bytes);
    assert!(result.is_err(), "the damaged workbook is refused");
}

/// A profile whose column name holds an escaped line break (`"Attesd\nt"`): it parsed, but
/// `to_toml` wrote the line break raw inside a basic string, so the printed profile did not
/// parse back. Every control character is now escaped.
#[test]
fn a_profile_with_a_line_break_in_a_column_name_prints_back_as_the_same_profile() {
    use lantern_core::import::Profile;
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/core/fuzz-regressions/profile-line-break-in-a-column-name.toml"
    );
    let text = std::fs::read_to_string(path).expect("the regression input is in the repository");
    let profile = Profile::parse("crash.toml", &text).expect("the fuzzer's profile parses");
    assert!(profile.columns.keys().any(|k| k.contains('\n')));
    let again = Profile::parse("again.toml", &profile.to_toml());
    assert_eq!(again.ok(), Some(profile));
}
