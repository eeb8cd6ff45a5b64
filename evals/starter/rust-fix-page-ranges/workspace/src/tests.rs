use super::*;

#[test]
fn single_pages() {
    assert_eq!(parse_selection("3, 1,2", 5), Ok(vec![1, 2, 3]));
}

#[test]
fn ranges_are_inclusive() {
    assert_eq!(parse_selection("1-3,7,10-12", 12), Ok(vec![1, 2, 3, 7, 10, 11, 12]));
    assert_eq!(parse_selection("4-4", 5), Ok(vec![4]));
}

#[test]
fn overlaps_are_merged() {
    assert_eq!(parse_selection("2-5,3-6,6", 9), Ok(vec![2, 3, 4, 5, 6]));
}

#[test]
fn errors() {
    assert_eq!(parse_selection(" ", 5), Err(SelectionError::Empty));
    assert_eq!(parse_selection("1,x", 5), Err(SelectionError::BadNumber("x".into())));
    assert_eq!(parse_selection("5-2", 9), Err(SelectionError::Backwards(5, 2)));
    assert_eq!(parse_selection("0", 9), Err(SelectionError::OutOfRange(0)));
    assert_eq!(parse_selection("8-10", 9), Err(SelectionError::OutOfRange(10)));
}
