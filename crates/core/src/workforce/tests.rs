use super::*;

#[test]
fn every_course_maps_to_known_frameworks() {
    let frameworks = crate::codes::list(FRAMEWORKS);
    for c in &crate::codes::list(COURSES).codes {
        let f = frameworks_of(&c.code);
        assert!(!f.is_empty(), "{} has no framework", c.code);
        assert!(
            f.iter().all(|x| frameworks.contains(x)),
            "{}: {f:?}",
            c.code
        );
        assert!(!competence_areas_of(&c.code).is_empty(), "{}", c.code);
    }
    assert!(is_elearning("zsa_elearning"));
    assert!(!is_elearning("orange_button"));
}
