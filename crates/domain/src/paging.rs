//! Paging of lists: which page the caller asked for, checked.

use crate::Error;

/// Default and largest page sizes for list calls.
pub const DEFAULT_PAGE_SIZE: u32 = 50;
pub const MAX_PAGE_SIZE: u32 = 200;

/// A checked page request: 1-based page number and a page size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub page: u32,
    pub page_size: u32,
}

impl PageRequest {
    /// Checks `page` (≥ 1, default 1) and `pageSize` (1–200, default 50).
    pub fn new(page: Option<i64>, page_size: Option<i64>) -> Result<PageRequest, Error> {
        let page = page.unwrap_or(1);
        if !(1..=1_000_000).contains(&page) {
            return Err(Error::invalid("page", "must be a whole number from 1"));
        }
        let size = page_size.unwrap_or(i64::from(DEFAULT_PAGE_SIZE));
        if !(1..=i64::from(MAX_PAGE_SIZE)).contains(&size) {
            return Err(Error::invalid("pageSize", format!("must be from 1 to {MAX_PAGE_SIZE}")));
        }
        Ok(PageRequest { page: page as u32, page_size: size as u32 })
    }

    pub fn offset(self) -> i64 {
        i64::from(self.page - 1) * i64::from(self.page_size)
    }

    pub fn limit(self) -> i64 {
        i64::from(self.page_size)
    }

    /// The next page number, if `total` items leave any after this page.
    pub fn next(self, total: i64) -> Option<u32> {
        (self.offset() + self.limit() < total).then_some(self.page + 1)
    }
}

/// Escapes a user's search text for a SQL `LIKE … ESCAPE '\'` pattern
/// that matches it anywhere, so `%` and `_` are taken literally.
pub fn like_contains(search: &str) -> String {
    let mut out = String::with_capacity(search.len() + 2);
    out.push('%');
    for c in search.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// The longest search text a list takes.
pub const SEARCH_MAX_CHARS: usize = 100;

/// How many ids a bulk call takes at most.
pub const BULK_MAX_IDS: usize = 100;

/// The ids of a bulk call (the body's `field`): 1 to [`BULK_MAX_IDS`],
/// each positive.
/// A record's id (the parameter `field`): a positive whole number.
pub fn check_id(field: &str, id: i64) -> Result<i64, Error> {
    if id > 0 {
        Ok(id)
    } else {
        Err(Error::invalid(field, format!("{id} is not a positive id")))
    }
}

/// An id as text (a query or path parameter): a positive whole number.
pub fn parse_id(field: &str, text: &str) -> Result<i64, Error> {
    let t = text.trim();
    t.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| Error::invalid(field, format!("{t:?} is not a positive whole number")))
}

pub fn check_bulk_ids(field: &str, ids: &[i64]) -> Result<(), Error> {
    if ids.is_empty() || ids.len() > BULK_MAX_IDS {
        return Err(Error::invalid(
            field,
            format!("give 1 to {BULK_MAX_IDS} ids, not {}", ids.len()),
        ));
    }
    for id in ids {
        check_id(field, *id)?;
    }
    Ok(())
}

/// A list's search text (the parameter `field`): optional (empty when absent), at most
/// [`SEARCH_MAX_CHARS`] characters.
pub fn check_search(field: &str, search: Option<&str>) -> Result<String, Error> {
    let s = search.unwrap_or_default();
    if s.chars().count() > SEARCH_MAX_CHARS {
        return Err(Error::invalid(
            field,
            format!("must be at most {SEARCH_MAX_CHARS} characters"),
        ));
    }
    Ok(s.to_owned())
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_positive_whole_numbers() {
        assert_eq!(super::check_id("orderId", 7), Ok(7));
        assert!(super::check_id("orderId", 0).is_err());
        assert_eq!(super::parse_id("customerId", " 42 "), Ok(42));
        for bad in ["", "abc", "-1", "0", "1; DROP TABLE customers", "4.5"] {
            let e = super::parse_id("customerId", bad).unwrap_err();
            assert_eq!(e.field(), Some("customerId"), "{bad:?}");
        }
    }

    #[test]
    fn bulk_ids_are_one_to_a_hundred_positive_ids() {
        assert!(super::check_bulk_ids("orderIds", &[1, 2]).is_ok());
        assert!(super::check_bulk_ids("orderIds", &[7; 100]).is_ok());
        for bad in [vec![], vec![1; 101], vec![1, 0], vec![-3]] {
            let e = super::check_bulk_ids("orderIds", &bad).unwrap_err();
            assert_eq!(e.field(), Some("orderIds"), "{bad:?}");
        }
    }

    #[test]
    fn searches() {
        assert_eq!(super::check_search("search", None).unwrap(), "");
        assert_eq!(super::check_search("search", Some("acme")).unwrap(), "acme");
        assert!(super::check_search("search", Some(&"é".repeat(100))).is_ok());
        assert!(super::check_search("search", Some(&"x".repeat(101))).is_err());
    }

    use super::*;

    #[test]
    fn pages() {
        let p = PageRequest::new(None, None).unwrap();
        assert_eq!((p.page, p.page_size, p.offset()), (1, 50, 0));
        let p = PageRequest::new(Some(3), Some(10)).unwrap();
        assert_eq!(p.offset(), 20);
        assert_eq!(p.next(31), Some(4));
        assert_eq!(p.next(30), None);
        assert!(PageRequest::new(Some(0), None).is_err());
        assert!(PageRequest::new(None, Some(201)).is_err());
        assert!(PageRequest::new(None, Some(0)).is_err());
    }

    #[test]
    fn like_patterns_are_literal() {
        assert_eq!(like_contains("50%_off\\"), "%50\\%\\_off\\\\%");
        assert_eq!(like_contains("O'Brien"), "%O'Brien%");
    }
}
