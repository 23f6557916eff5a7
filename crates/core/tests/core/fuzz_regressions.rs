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
