//! Working days in England and Wales: weekends and bank holidays are not
//! working days. Bank holidays follow the rules in force since 1978
//! (substitute days when one falls on a weekend), plus the one-off changes
//! since 2020.

use chrono::{Datelike, Days, NaiveDate, Weekday};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("a real date")
}

/// Easter Sunday (Gregorian, anonymous algorithm).
pub fn easter_sunday(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let dd = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - dd - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    d(year, month as u32, day as u32)
}

fn first_monday(year: i32, month: u32) -> NaiveDate {
    let mut x = d(year, month, 1);
    while x.weekday() != Weekday::Mon {
        x = x + Days::new(1);
    }
    x
}

fn last_monday(year: i32, month: u32) -> NaiveDate {
    let next = if month == 12 { d(year + 1, 1, 1) } else { d(year, month + 1, 1) };
    let mut x = next - Days::new(1);
    while x.weekday() != Weekday::Mon {
        x = x - Days::new(1);
    }
    x
}

/// The bank holidays of England and Wales in `year`, in date order.
pub fn bank_holidays(year: i32) -> Vec<NaiveDate> {
    let easter = easter_sunday(year);
    let mut days = Vec::with_capacity(10);
    // New Year's Day, or the Monday after.
    let ny = d(year, 1, 1);
    days.push(match ny.weekday() {
        Weekday::Sat => d(year, 1, 3),
        Weekday::Sun => d(year, 1, 2),
        _ => ny,
    });
    days.push(easter - Days::new(2));
    days.push(easter + Days::new(1));
    // Early May: moved to Friday 8 May for VE Day's 75th anniversary in 2020.
    days.push(if year == 2020 { d(2020, 5, 8) } else { first_monday(year, 5) });
    // Spring: moved to Thursday 2 June for the Platinum Jubilee in 2022.
    days.push(if year == 2022 { d(2022, 6, 2) } else { last_monday(year, 5) });
    days.push(last_monday(year, 8));
    // Christmas and Boxing Day, with substitutes.
    let xmas = d(year, 12, 25);
    match xmas.weekday() {
        Weekday::Fri => days.extend([xmas, d(year, 12, 28)]),
        Weekday::Sat => days.extend([d(year, 12, 27), d(year, 12, 28)]),
        Weekday::Sun => days.extend([d(year, 12, 26), d(year, 12, 27)]),
        _ => days.extend([xmas, d(year, 12, 26)]),
    }
    // One-off bank holidays.
    match year {
        2022 => days.extend([d(2022, 6, 3), d(2022, 9, 19)]),
        2023 => days.push(d(2023, 5, 8)),
        _ => {}
    }
    days.sort_unstable();
    days
}

pub fn is_bank_holiday(date: NaiveDate) -> bool {
    bank_holidays(date.year()).contains(&date)
}

/// Monday to Friday and not a bank holiday.
pub fn is_working_day(date: NaiveDate) -> bool {
    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) && !is_bank_holiday(date)
}

/// The first working day after `date`.
pub fn next_working_day(date: NaiveDate) -> NaiveDate {
    let mut x = date + Days::new(1);
    while !is_working_day(x) {
        x = x + Days::new(1);
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn easter() {
        assert_eq!(easter_sunday(2024), d(2024, 3, 31));
        assert_eq!(easter_sunday(2025), d(2025, 4, 20));
        assert_eq!(easter_sunday(2026), d(2026, 4, 5));
        assert_eq!(easter_sunday(2027), d(2027, 3, 28));
    }

    #[test]
    fn published_bank_holidays() {
        // As published for England and Wales.
        let dates = |y, days: [(u32, u32); 8]| days.map(|(m, day)| d(y, m, day)).to_vec();
        let y2026 = [(1, 1), (4, 3), (4, 6), (5, 4), (5, 25), (8, 31), (12, 25), (12, 28)];
        assert_eq!(bank_holidays(2026), dates(2026, y2026));
        let y2027 = [(1, 1), (3, 26), (3, 29), (5, 3), (5, 31), (8, 30), (12, 27), (12, 28)];
        assert_eq!(bank_holidays(2027), dates(2027, y2027));
        assert!(bank_holidays(2022).contains(&d(2022, 9, 19)));
        assert!(bank_holidays(2023).contains(&d(2023, 5, 8)));
        assert!(bank_holidays(2022).contains(&d(2022, 1, 3)), "New Year substitute");
    }

    #[test]
    fn working_days() {
        assert!(is_working_day(d(2026, 11, 23)), "a Monday");
        assert!(!is_working_day(d(2026, 11, 22)), "a Sunday");
        assert!(!is_working_day(d(2026, 12, 28)), "Boxing Day substitute");
        assert_eq!(next_working_day(d(2026, 11, 20)), d(2026, 11, 23), "Friday to Monday");
        assert_eq!(next_working_day(d(2026, 12, 24)), d(2026, 12, 29), "over Christmas");
        assert_eq!(next_working_day(d(2026, 4, 2)), d(2026, 4, 7), "over Easter");
    }
}
