//! Parses page selections such as "1-3,7,10-12" for the print service.

use std::fmt;

/// Why a selection could not be parsed.
#[derive(Debug, PartialEq, Eq)]
pub enum SelectionError {
    Empty,
    BadNumber(String),
    Backwards(u32, u32),
    OutOfRange(u32),
}

impl fmt::Display for SelectionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SelectionError::Empty => write!(f, "empty selection"),
            SelectionError::BadNumber(s) => write!(f, "not a page number: {s:?}"),
            SelectionError::Backwards(a, b) => write!(f, "range {a}-{b} runs backwards"),
            SelectionError::OutOfRange(p) => write!(f, "page {p} is outside the document"),
        }
    }
}

fn page(text: &str, pages: u32) -> Result<u32, SelectionError> {
    let n: u32 = text.trim().parse().map_err(|_| SelectionError::BadNumber(text.trim().to_string()))?;
    if n == 0 || n > pages {
        return Err(SelectionError::OutOfRange(n));
    }
    Ok(n)
}

/// Returns the selected pages of a `pages`-page document, sorted and without duplicates.
/// Parts are separated by commas; a part is a page or an inclusive range "a-b".
pub fn parse_selection(text: &str, pages: u32) -> Result<Vec<u32>, SelectionError> {
    if text.trim().is_empty() {
        return Err(SelectionError::Empty);
    }
    let mut selected = Vec::new();
    for part in text.split(',') {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (page(a, pages)?, page(b, pages)?);
                if a > b {
                    return Err(SelectionError::Backwards(a, b));
                }
                selected.extend(a..b);
            }
            None => selected.push(page(part, pages)?),
        }
    }
    selected.sort_unstable();
    selected.dedup();
    Ok(selected)
}

#[cfg(test)]
mod tests;
