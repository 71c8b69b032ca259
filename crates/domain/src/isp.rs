//! The ISP face's rules: subscriber usernames, passwords, MAC and IPv4
//! addresses, the status a subscriber reads as (expired is derived, never
//! stored), renewal, and what a speed profile makes of a RADIUS reply.

use crate::status::SubscriberStatus;
use crate::Error;
use chrono::{DateTime, Duration, Utc};
use std::net::Ipv4Addr;

/// The status a subscriber reads as: what staff set it to, or `Expired`
/// when an active subscriber is past its expiration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadStatus {
    Active,
    Suspended,
    Expired,
    Disabled,
}

impl ReadStatus {
    pub const ALL: [ReadStatus; 4] =
        [ReadStatus::Active, ReadStatus::Suspended, ReadStatus::Expired, ReadStatus::Disabled];

    /// The text sent and filtered on.
    pub fn as_str(self) -> &'static str {
        match self {
            ReadStatus::Active => "active",
            ReadStatus::Suspended => "suspended",
            ReadStatus::Expired => "expired",
            ReadStatus::Disabled => "disabled",
        }
    }
}

/// Only a subscriber that is not deleted (disabled) can be changed: it is
/// kept with its history, but suspending, activating, renewing or editing
/// it again is a conflict.
pub fn check_changeable(id: i64, status: SubscriberStatus) -> Result<(), Error> {
    if status == SubscriberStatus::Disabled {
        return Err(Error::Conflict(format!(
            "subscriber {id} is deleted (disabled); it cannot be changed"
        )));
    }
    Ok(())
}

/// Checks a subscriber's username: 1–64 characters of letters, digits and
/// `. _ - @` (what NAS and RADIUS accept without quoting).
pub fn parse_username(text: &str) -> Result<String, Error> {
    let t = text.trim();
    if t.is_empty() || t.len() > 64 {
        return Err(Error::invalid("username", "must be 1 to 64 characters"));
    }
    if let Some(c) =
        t.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@')))
    {
        return Err(Error::invalid(
            "username",
            format!("{c:?} is not allowed: use letters, digits and . _ - @"),
        ));
    }
    Ok(t.to_owned())
}

/// Checks a subscriber's password: 6 to 128 characters, no control characters.
pub fn check_password(text: &str) -> Result<(), Error> {
    let n = text.chars().count();
    if !(6..=128).contains(&n) {
        return Err(Error::invalid("password", "must be 6 to 128 characters"));
    }
    if text.chars().any(char::is_control) {
        return Err(Error::invalid("password", "must not contain control characters"));
    }
    Ok(())
}

/// Parses a MAC address written with `:`, `-`, `.` or nothing between its
/// hex digits; answers it as `AA:BB:CC:DD:EE:FF`.
pub fn parse_mac(text: &str) -> Result<String, Error> {
    let hex: String = text.trim().chars().filter(|c| !matches!(c, ':' | '-' | '.')).collect();
    if hex.len() != 12 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(Error::invalid(
            "mac",
            format!(
                "{:?} is not a MAC address: expected six hex pairs, e.g. AA:BB:CC:DD:EE:FF",
                text.trim()
            ),
        ));
    }
    let up = hex.to_ascii_uppercase();
    Ok((0..6).map(|i| &up[i * 2..i * 2 + 2]).collect::<Vec<_>>().join(":"))
}

/// Parses a static IPv4 address a subscriber can be given: dotted quad,
/// unicast, not 0.0.0.0, loopback, broadcast or multicast.
pub fn parse_static_ip(text: &str) -> Result<String, Error> {
    let ip: Ipv4Addr = text.trim().parse().map_err(|_| {
        Error::invalid("static_ip", format!("{:?} is not an IPv4 address", text.trim()))
    })?;
    if ip.is_unspecified() || ip.is_loopback() || ip.is_broadcast() || ip.is_multicast() {
        return Err(Error::invalid("static_ip", format!("{ip} cannot be given to a subscriber")));
    }
    Ok(ip.to_string())
}

/// The status a subscriber reads as at `now`: an active subscriber past
/// its expiration is `expired`, whoever last touched it.
pub fn effective_status(
    stored: SubscriberStatus,
    expiration: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> ReadStatus {
    match (stored, expiration) {
        (SubscriberStatus::Active, Some(e)) if e <= now => ReadStatus::Expired,
        (SubscriberStatus::Active, _) => ReadStatus::Active,
        (SubscriberStatus::Suspended, _) => ReadStatus::Suspended,
        (SubscriberStatus::Disabled, _) => ReadStatus::Disabled,
    }
}

/// Checks a status filter.
pub fn parse_status(text: &str) -> Result<ReadStatus, Error> {
    let t = text.trim().to_ascii_lowercase();
    ReadStatus::ALL.into_iter().find(|s| s.as_str() == t).ok_or_else(|| {
        Error::invalid(
            "status",
            format!("{text:?} is not a status: active, suspended, expired or disabled"),
        )
    })
}

/// Renewal: the profile's period added to the later of now and the
/// current expiration (so paying early loses nothing, and late starts now).
pub fn renewed_expiration(
    current: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    period_days: i64,
) -> DateTime<Utc> {
    let from = current.filter(|e| *e > now).unwrap_or(now);
    from + Duration::days(period_days)
}

/// A speed as RADIUS writes it: `100M` for whole megabits, else `512k`.
pub fn rate(kbps: i64) -> String {
    if kbps % 1000 == 0 {
        format!("{}M", kbps / 1000)
    } else {
        format!("{kbps}k")
    }
}

/// `Mikrotik-Rate-Limit`: `rx/tx` from the router's side, so the
/// subscriber's upload first and download second.
pub fn mikrotik_rate_limit(download_kbps: i64, upload_kbps: i64) -> String {
    format!("{}/{}", rate(upload_kbps), rate(download_kbps))
}

/// `Session-Timeout` in seconds: none without an expiration, else the
/// seconds left until it (at least 1).
pub fn session_timeout(expiration: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Option<i64> {
    expiration.map(|e| (e - now).num_seconds().max(1))
}

/// Checks a speed profile's numbers.
pub fn check_profile(
    download_kbps: i64,
    upload_kbps: i64,
    price_pence: i64,
    period_days: i64,
    acct_interim_secs: i64,
    simultaneous_use: i64,
) -> Result<(), Error> {
    for (field, v, lo, hi) in [
        ("download_kbps", download_kbps, 1, 100_000_000),
        ("upload_kbps", upload_kbps, 1, 100_000_000),
        ("price_pence", price_pence, 0, 100_000_000),
        ("period_days", period_days, 1, 3660),
        ("acct_interim_secs", acct_interim_secs, 60, 86_400),
        ("simultaneous_use", simultaneous_use, 1, 100),
    ] {
        if !(lo..=hi).contains(&v) {
            return Err(Error::invalid(field, format!("must be {lo} to {hi}")));
        }
    }
    Ok(())
}

/// A profile's name: 1 to 100 characters once trimmed.
pub fn parse_profile_name(text: &str) -> Result<String, Error> {
    let name = text.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Error::invalid("name", "must be 1 to 100 characters"));
    }
    Ok(name.to_owned())
}

/// How a profile's subscribers prove their password: `pap` (the default)
/// or `chap`, in any case. Answers whether it is CHAP.
pub fn parse_auth_type(text: Option<&str>) -> Result<bool, Error> {
    match text.map(str::to_ascii_lowercase).as_deref() {
        None | Some("pap") => Ok(false),
        Some("chap") => Ok(true),
        Some(other) => Err(Error::invalid("auth_type", format!("{other:?} is not pap or chap"))),
    }
}

/// A profile's `Framed-Pool`: none when blank, else up to 64 letters,
/// digits, `-`, `_` or `.`.
pub fn parse_framed_pool(text: Option<&str>) -> Result<Option<String>, Error> {
    let Some(pool) = text.map(str::trim).filter(|p| !p.is_empty()) else {
        return Ok(None);
    };
    if pool.len() > 64
        || !pool.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(Error::invalid("framed_pool", "must be up to 64 letters, digits, - _ or ."));
    }
    Ok(Some(pool.to_owned()))
}

/// A profile's defaults when not given: a 30-day period, interim updates
/// every 300 s, one session at a time.
pub const DEFAULT_PERIOD_DAYS: i64 = 30;
pub const DEFAULT_ACCT_INTERIM_SECS: i64 = 300;
pub const DEFAULT_SIMULTANEOUS_USE: i64 = 1;

/// How long after its last update an open session is taken as gone (the
/// NAS rebooted without a Stop): two missed interim updates and a minute.
pub fn stale_after_secs(acct_interim_secs: i64) -> i64 {
    acct_interim_secs * 2 + 60
}

/// Why a login is rejected, as a bounded code (for metrics and logs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RejectReason {
    UnknownUser,
    Disabled,
    Suspended,
    Expired,
    WrongDevice,
    SessionLimit,
    NoPassword,
    ChapNotEnabled,
    WrongPassword,
}

impl RejectReason {
    pub fn as_str(self) -> &'static str {
        match self {
            RejectReason::UnknownUser => "unknown_user",
            RejectReason::Disabled => "disabled",
            RejectReason::Suspended => "suspended",
            RejectReason::Expired => "expired",
            RejectReason::WrongDevice => "wrong_device",
            RejectReason::SessionLimit => "session_limit",
            RejectReason::NoPassword => "no_password",
            RejectReason::ChapNotEnabled => "chap_not_enabled",
            RejectReason::WrongPassword => "wrong_password",
        }
    }
}

/// A login refused: the code and the words the NAS shows (Reply-Message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub reason: RejectReason,
    pub message: String,
}

impl Refusal {
    pub fn new(reason: RejectReason, message: impl Into<String>) -> Refusal {
        Refusal { reason, message: message.into() }
    }
}

/// Why a subscriber may not log in at `now`, or `None` when it may: a
/// disabled, suspended or expired account, or a device other than the one
/// registered (`bound_mac`) calling (`calling_station`, as the NAS sent it).
pub fn admission_refusal(
    status: SubscriberStatus,
    expiration: Option<DateTime<Utc>>,
    bound_mac: Option<&str>,
    calling_station: Option<&str>,
    now: DateTime<Utc>,
) -> Option<Refusal> {
    use RejectReason as R;
    match effective_status(status, expiration, now) {
        ReadStatus::Disabled => return Some(Refusal::new(R::Disabled, "Account disabled")),
        ReadStatus::Suspended => return Some(Refusal::new(R::Suspended, "Account suspended")),
        ReadStatus::Expired => {
            return Some(Refusal::new(
                R::Expired,
                format!(
                    "Account expired on {}",
                    expiration
                        .map(|e| e.format("%Y-%m-%d %H:%M UTC").to_string())
                        .unwrap_or_default()
                ),
            ))
        }
        ReadStatus::Active => {}
    }
    match (bound_mac, calling_station) {
        (Some(bound), Some(seen)) if parse_mac(seen).ok().as_deref() != Some(bound) => {
            Some(Refusal::new(
                R::WrongDevice,
                format!("Device {seen} is not the one registered for this account"),
            ))
        }
        _ => None,
    }
}

/// Why one more session is refused, or `None`: `open` sessions already,
/// `simultaneous_use` allowed by the profile.
pub fn session_limit_refusal(open: i64, simultaneous_use: i64) -> Option<Refusal> {
    (open >= simultaneous_use).then(|| {
        Refusal::new(
            RejectReason::SessionLimit,
            format!("Session limit reached: {open} of {simultaneous_use} sessions already open"),
        )
    })
}

/// When an accounting record's event happened: its `Event-Timestamp` when
/// the NAS sent one that is believable (not ahead of the record's arrival
/// by more than 5 minutes, nor more than 7 days before it: a NAS without
/// a clock set says 1970); otherwise the arrival less `Acct-Delay-Time`,
/// the seconds the NAS held the record (a NAS buffering through an
/// outage), at most 7 days.
pub fn acct_event_time(
    arrival: DateTime<Utc>,
    delay_secs: i64,
    event_timestamp: Option<DateTime<Utc>>,
) -> DateTime<Utc> {
    let week = chrono::Duration::days(7);
    match event_timestamp {
        Some(t) if t <= arrival + chrono::Duration::minutes(5) && t >= arrival - week => t,
        _ => arrival - chrono::Duration::seconds(delay_secs.clamp(0, week.num_seconds())),
    }
}

/// The latest session stored under an accounting record's session id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredSession {
    pub started_at: DateTime<Utc>,
    pub stopped_at: Option<DateTime<Utc>>,
}

/// How far apart two datings of one event may be: whole-second
/// `Acct-Delay-Time` against a fractional arrival, and a record's time in
/// FreeRADIUS's buffer counted in whole seconds.
pub const SAME_EVENT_SLACK_SECS: i64 = 2;

/// Which session an accounting record belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcctTarget {
    /// A session not stored yet: the record opens it.
    New,
    /// The latest session stored under the id.
    Latest,
    /// The one before it, closed: the record changes nothing.
    Previous,
}

/// Which session an accounting record dated `at` belongs to, given the
/// sessions stored under its id, newest first (the two latest are enough).
/// A NAS reuses an Acct-Session-Id (a counter restarting after a reboot),
/// so a closed session's id may come back, and records may arrive late or
/// twice (retransmitted, or replayed from a buffer):
/// - a record belongs to a closed session when it is that session's Start
///   again (dated at its start) or an Interim-Update or Stop dated no
///   later than its stop; it changes nothing there;
/// - otherwise, after a closed session it begins a new one (an Interim or
///   Stop doing so is a session whose Start was lost);
/// - and otherwise it belongs to the open latest session.
///
/// Dates match within [`SAME_EVENT_SLACK_SECS`].
pub fn acct_target(kind: AcctKind, at: DateTime<Utc>, stored: &[StoredSession]) -> AcctTarget {
    let slack = Duration::seconds(SAME_EVENT_SLACK_SECS);
    let closed_by = |s: &StoredSession| match (kind, s.stopped_at) {
        (_, None) => false,
        (AcctKind::Start, Some(_)) => (at - s.started_at).abs() <= slack,
        (_, Some(stop)) => at <= stop + slack,
    };
    match stored {
        [] => AcctTarget::New,
        [latest, ..] if latest.stopped_at.is_some() => {
            if closed_by(latest) {
                AcctTarget::Latest
            } else {
                AcctTarget::New
            }
        }
        [_, previous, ..] if closed_by(previous) => AcctTarget::Previous,
        _ => AcctTarget::Latest,
    }
}

/// The passwords a PAP `User-Password` may stand for. FreeRADIUS 3.2's
/// rlm_rest sends each byte of a UTF-8 password as a character of its own
/// (`£`, bytes C2 A3, arrives as `Â£`): when every character fits a byte
/// and those bytes are UTF-8 of something else, that comes first. The
/// password is never trimmed: spaces are part of it.
pub fn pap_candidates(sent: &str) -> Vec<String> {
    let bytes: Option<Vec<u8>> = sent.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect();
    match bytes.and_then(|b| String::from_utf8(b).ok()) {
        Some(decoded) if decoded != sent => vec![decoded, sent.to_owned()],
        _ => vec![sent.to_owned()],
    }
}

/// How long a refusal noted on a subscriber explains the reject that
/// FreeRADIUS's post-auth then reports (a later reject keeps that reason).
pub const REJECT_NOTE_SECS: i64 = 30;

/// An accounting record's kind (`Acct-Status-Type`, by name or number).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcctKind {
    Start,
    Stop,
    Interim,
    AccountingOn,
    AccountingOff,
}

impl AcctKind {
    /// The name RADIUS gives it.
    pub fn as_str(self) -> &'static str {
        match self {
            AcctKind::Start => "Start",
            AcctKind::Stop => "Stop",
            AcctKind::Interim => "Interim-Update",
            AcctKind::AccountingOn => "Accounting-On",
            AcctKind::AccountingOff => "Accounting-Off",
        }
    }

    pub fn parse(text: &str) -> Result<AcctKind, Error> {
        match text.trim() {
            "Start" | "1" => Ok(AcctKind::Start),
            "Stop" | "2" => Ok(AcctKind::Stop),
            "Interim-Update" | "Alive" | "3" => Ok(AcctKind::Interim),
            "Accounting-On" | "7" => Ok(AcctKind::AccountingOn),
            "Accounting-Off" | "8" => Ok(AcctKind::AccountingOff),
            other => Err(Error::invalid(
                "Acct-Status-Type",
                format!(
                    "{other:?} is not Start, Interim-Update, Stop, Accounting-On or Accounting-Off"
                ),
            )),
        }
    }
}

/// Bytes from a 32-bit octet counter and its gigaword (overflow) counter.
pub fn bytes(octets: i64, gigawords: i64) -> i64 {
    gigawords.saturating_mul(1 << 32).saturating_add(octets)
}

#[cfg(test)]
mod tests {

    #[test]
    fn only_a_subscriber_not_deleted_can_be_changed() {
        for s in [SubscriberStatus::Active, SubscriberStatus::Suspended] {
            assert!(check_changeable(7, s).is_ok());
        }
        let e = check_changeable(7, SubscriberStatus::Disabled).unwrap_err();
        assert!(
            matches!(&e, Error::Conflict(m) if m == "subscriber 7 is deleted (disabled); it cannot be changed"),
            "{e:?}"
        );
    }

    #[test]
    fn an_accounting_event_happened_when_the_nas_says() {
        let arrival = "2030-01-16T10:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let secs = chrono::Duration::seconds;
        assert_eq!(acct_event_time(arrival, 0, None), arrival);
        assert_eq!(acct_event_time(arrival, 90, None), arrival - secs(90), "held 90 s");
        let stamped = arrival - secs(600);
        assert_eq!(acct_event_time(arrival, 90, Some(stamped)), stamped, "the timestamp wins");
        let epoch = "1970-01-01T00:00:00Z".parse().unwrap();
        assert_eq!(
            acct_event_time(arrival, 90, Some(epoch)),
            arrival - secs(90),
            "a NAS with no clock"
        );
        assert_eq!(
            acct_event_time(arrival, 0, Some(arrival + secs(3600))),
            arrival,
            "not from the future"
        );
        assert_eq!(acct_event_time(arrival, -5, None), arrival);
        assert_eq!(acct_event_time(arrival, 99_999_999, None), arrival - chrono::Duration::days(7));
    }

    #[test]
    fn a_reused_session_id_starts_a_new_session() {
        use AcctKind::*;
        use AcctTarget::*;
        let t = |s: &str| format!("2030-01-16T{s}Z").parse::<DateTime<Utc>>().unwrap();
        let closed = StoredSession { started_at: t("09:00:00"), stopped_at: Some(t("10:00:00")) };
        let open = StoredSession { started_at: t("11:00:00"), stopped_at: None };
        for kind in [Start, Interim, Stop] {
            assert_eq!(acct_target(kind, t("11:00:00"), &[]), New, "{kind:?}: none stored");
            assert_eq!(acct_target(kind, t("11:30:00"), &[open]), Latest, "{kind:?}: open");
        }
        // After a closed session.
        let after = |kind, at| acct_target(kind, t(at), &[closed]);
        assert_eq!(after(Start, "10:00:00"), New, "reused at once");
        assert_eq!(after(Start, "12:00:00"), New, "reused later");
        assert_eq!(after(Start, "09:00:01"), Latest, "its own Start again");
        assert_eq!(after(Start, "08:59:58"), Latest, "within the slack");
        assert_eq!(after(Start, "08:59:57"), New);
        assert_eq!(after(Stop, "10:00:02"), Latest, "its Stop again");
        assert_eq!(after(Interim, "09:30:00"), Latest, "a late Interim");
        assert_eq!(after(Interim, "10:05:00"), New, "the new one's Start lost");
        assert_eq!(after(Stop, "10:00:03"), New, "its Start and Interims lost");
        // The id reused and open again: the closed one's records arriving
        // late stay with it.
        let reused = |kind, at| acct_target(kind, t(at), &[open, closed]);
        assert_eq!(reused(Stop, "10:00:00"), Previous, "the old Stop again");
        assert_eq!(reused(Interim, "09:45:00"), Previous, "an old Interim");
        assert_eq!(reused(Start, "09:00:00"), Previous, "the old Start again");
        assert_eq!(reused(Start, "11:00:00"), Latest, "its own Start again");
        assert_eq!(reused(Interim, "11:05:00"), Latest);
        assert_eq!(reused(Stop, "12:00:00"), Latest);
    }

    #[test]
    fn pap_passwords_as_rlm_rest_sends_them() {
        assert_eq!(
            pap_candidates("Fibre\u{00C2}\u{00A3}2026"),
            ["Fibre£2026", "Fibre\u{00C2}\u{00A3}2026"]
        );
        assert_eq!(
            pap_candidates("Fibre£2026"),
            ["Fibre£2026"],
            "already text: £ alone is not UTF-8"
        );
        assert_eq!(pap_candidates(" spaced pw "), [" spaced pw "], "never trimmed");
        assert_eq!(pap_candidates("plain"), ["plain"]);
    }

    #[test]
    fn admission_refuses_disabled_suspended_expired_and_strange_devices() {
        let now = t("2030-01-16T12:00:00Z");
        let later = Some(now + Duration::days(1));
        let mac = Some("AA:BB:CC:DD:EE:FF"); // as stored
        assert_eq!(admission_refusal(SubscriberStatus::Active, later, None, None, now), None);
        assert_eq!(
            admission_refusal(SubscriberStatus::Disabled, later, None, None, now)
                .map(|r| r.message)
                .as_deref(),
            Some("Account disabled")
        );
        assert_eq!(
            admission_refusal(SubscriberStatus::Suspended, later, None, None, now)
                .map(|r| r.message)
                .as_deref(),
            Some("Account suspended")
        );
        assert_eq!(
            admission_refusal(SubscriberStatus::Active, Some(now), None, None, now)
                .map(|r| r.message)
                .as_deref(),
            Some("Account expired on 2030-01-16 12:00 UTC")
        );
        // The registered device, however the NAS writes it, is admitted.
        assert_eq!(
            admission_refusal(SubscriberStatus::Active, later, mac, Some("aa-bb-cc-dd-ee-ff"), now),
            None
        );
        // No Calling-Station-Id: nothing to compare.
        assert_eq!(admission_refusal(SubscriberStatus::Active, later, mac, None, now), None);
        assert_eq!(
            admission_refusal(SubscriberStatus::Active, later, mac, Some("11:22:33:44:55:66"), now)
                .map(|r| r.message)
                .as_deref(),
            Some("Device 11:22:33:44:55:66 is not the one registered for this account")
        );
        // Status is decided before the device.
        assert_eq!(
            admission_refusal(
                SubscriberStatus::Suspended,
                later,
                mac,
                Some("11:22:33:44:55:66"),
                now
            )
            .map(|r| r.message)
            .as_deref(),
            Some("Account suspended")
        );
    }

    #[test]
    fn profile_fields() {
        assert_eq!(parse_profile_name("  Fibre 100 ").unwrap(), "Fibre 100");
        for bad in ["", "   ", &"x".repeat(101)] {
            assert_eq!(parse_profile_name(bad).unwrap_err().field(), Some("name"));
        }
        assert!(!parse_auth_type(None).unwrap());
        assert!(!parse_auth_type(Some("PAP")).unwrap());
        assert!(parse_auth_type(Some("Chap")).unwrap());
        assert_eq!(parse_auth_type(Some("eap")).unwrap_err().field(), Some("auth_type"));
        assert_eq!(parse_framed_pool(None).unwrap(), None);
        assert_eq!(parse_framed_pool(Some("  ")).unwrap(), None);
        assert_eq!(parse_framed_pool(Some(" pool-a.1 ")).unwrap().as_deref(), Some("pool-a.1"));
        for bad in ["a b", "x;y", &"p".repeat(65)] {
            assert_eq!(parse_framed_pool(Some(bad)).unwrap_err().field(), Some("framed_pool"));
        }
    }

    #[test]
    fn the_session_limit_counts_open_sessions() {
        assert_eq!(session_limit_refusal(0, 1), None);
        assert_eq!(
            session_limit_refusal(1, 1).map(|r| r.message).as_deref(),
            Some("Session limit reached: 1 of 1 sessions already open")
        );
        assert_eq!(session_limit_refusal(1, 2), None);
    }
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn usernames() {
        assert_eq!(parse_username(" alice.b@fibre ").unwrap(), "alice.b@fibre");
        for bad in ["", "a b", "x'; DROP", &"a".repeat(65), "ünï"] {
            assert!(parse_username(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords() {
        assert!(check_password("s3cret!").is_ok());
        assert!(check_password("short").is_err());
        assert!(check_password("with\nnewline").is_err());
        assert!(check_password(&"x".repeat(129)).is_err());
    }

    #[test]
    fn macs() {
        for ok in ["aa:bb:cc:dd:ee:ff", "AA-BB-CC-DD-EE-FF", "aabb.ccdd.eeff", "aabbccddeeff"] {
            assert_eq!(parse_mac(ok).unwrap(), "AA:BB:CC:DD:EE:FF");
        }
        for bad in ["aa:bb:cc:dd:ee", "gg:bb:cc:dd:ee:ff", "", "aa:bb:cc:dd:ee:ff:00"] {
            let e = parse_mac(bad).unwrap_err();
            assert!(matches!(e, Error::Invalid { ref field, .. } if field == "mac"));
        }
    }

    #[test]
    fn static_ips() {
        assert_eq!(parse_static_ip(" 10.20.0.10 ").unwrap(), "10.20.0.10");
        for bad in [
            "10.20.0",
            "256.1.1.1",
            "0.0.0.0",
            "127.0.0.1",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "x",
        ] {
            assert!(parse_static_ip(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn expired_is_derived() {
        let now = t("2026-11-22T12:00:00Z");
        assert_eq!(effective_status(SubscriberStatus::Active, None, now), ReadStatus::Active);
        assert_eq!(
            effective_status(SubscriberStatus::Active, Some(t("2026-11-23T00:00:00Z")), now),
            ReadStatus::Active
        );
        assert_eq!(effective_status(SubscriberStatus::Active, Some(now), now), ReadStatus::Expired);
        assert_eq!(
            effective_status(SubscriberStatus::Suspended, Some(t("2020-01-01T00:00:00Z")), now),
            ReadStatus::Suspended
        );
        assert_eq!(
            effective_status(SubscriberStatus::Disabled, Some(t("2020-01-01T00:00:00Z")), now),
            ReadStatus::Disabled
        );
        assert_eq!(parse_status("Expired").unwrap(), ReadStatus::Expired);
        assert!(parse_status("gone").is_err());
    }

    #[test]
    fn renewal_extends_from_the_later_of_now_and_expiration() {
        let now = t("2026-11-22T12:00:00Z");
        assert_eq!(renewed_expiration(None, now, 30), t("2026-12-22T12:00:00Z"));
        assert_eq!(
            renewed_expiration(Some(t("2026-11-01T00:00:00Z")), now, 30),
            t("2026-12-22T12:00:00Z"),
            "lapsed: from now"
        );
        assert_eq!(
            renewed_expiration(Some(t("2026-12-01T00:00:00Z")), now, 30),
            t("2026-12-31T00:00:00Z"),
            "early: nothing lost"
        );
    }

    #[test]
    fn radius_reply_values() {
        assert_eq!(mikrotik_rate_limit(100_000, 20_000), "20M/100M", "rx (upload) / tx (download)");
        assert_eq!(mikrotik_rate_limit(1_500, 512), "512k/1500k");
        let now = t("2026-11-22T12:00:00Z");
        assert_eq!(session_timeout(None, now), None);
        assert_eq!(session_timeout(Some(t("2026-11-22T13:00:00Z")), now), Some(3600));
        assert_eq!(session_timeout(Some(t("2026-11-22T11:00:00Z")), now), Some(1));
        assert_eq!(stale_after_secs(300), 660);
    }

    #[test]
    fn profiles() {
        assert!(check_profile(100_000, 20_000, 3000, 30, 300, 1).is_ok());
        assert!(check_profile(0, 20_000, 3000, 30, 300, 1).is_err());
        assert!(check_profile(100_000, 20_000, -1, 30, 300, 1).is_err());
        assert!(check_profile(100_000, 20_000, 3000, 0, 300, 1).is_err());
        assert!(check_profile(100_000, 20_000, 3000, 30, 10, 1).is_err());
        assert!(check_profile(100_000, 20_000, 3000, 30, 300, 0).is_err());
    }

    #[test]
    fn accounting() {
        assert_eq!(AcctKind::parse("Start").unwrap(), AcctKind::Start);
        assert_eq!(AcctKind::parse("2").unwrap(), AcctKind::Stop);
        assert_eq!(AcctKind::parse("Interim-Update").unwrap(), AcctKind::Interim);
        assert_eq!(AcctKind::parse("Accounting-On").unwrap(), AcctKind::AccountingOn);
        assert!(AcctKind::parse("Bogus").is_err());
        assert_eq!(bytes(5, 0), 5);
        assert_eq!(bytes(5, 2), 2 * 4_294_967_296 + 5);
    }
}
