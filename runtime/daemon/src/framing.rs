//! What a request's headers say about its body, checked before the body is read, as dockerd
//! 20.10 checks it:
//!
//! - the JSON endpoints (create, commit, exec create, exec start) require
//!   `Content-Type: application/json` (moby's `CheckForJSON`): a media type parsed as Go's
//!   `mime.ParseMediaType` parses it (case-insensitive, parameters allowed and checked, a
//!   trailing `;` tolerated); no Content-Type at all is accepted only when there is no body
//!   (`Content-Length: 0` or none, never chunked). Otherwise `Content-Type specified (X) must
//!   be 'application/json'`, 400. This is what stops a web page that can reach a TCP socket
//!   from creating containers with a "simple" cross-origin `text/plain` POST;
//! - `start` refuses a body longer than 7 bytes, or one of unknown length, since API 1.24.
//!
//! Pure: it reads header values only.

use crate::error::ApiError;
use crate::router::Route;

/// The body framing of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Framing {
    /// The first `Content-Type` header, trimmed (Go trims header values); empty when absent.
    pub content_type: String,
    /// `Content-Length`, `Some(0)` without a body, `None` for a chunked body.
    pub length: Option<u64>,
}

/// dockerd's answer to a start with a body.
const START_BODY: &str = "starting container with non-empty request body was deprecated since \
                          API v1.22 and removed in v1.24";

/// The checks `route` makes of its framing.
pub fn check(route: &Route, framing: &Framing) -> Result<(), ApiError> {
    match route {
        Route::ContainerCreate | Route::Commit | Route::ExecCreate(_) | Route::ExecStart(_) => {
            check_for_json(framing)
        }
        // "A non-nil json object is at least 7 characters", and a chunked one may be any.
        Route::ContainerStart(_) if framing.length.is_none_or(|n| n > 7) => {
            Err(ApiError::bad_request(START_BODY))
        }
        _ => Ok(()),
    }
}

/// moby's `CheckForJSON`.
fn check_for_json(framing: &Framing) -> Result<(), ApiError> {
    let ct = framing.content_type.as_str();
    if ct.is_empty() && framing.length == Some(0) {
        return Ok(());
    }
    if is_json(ct) {
        return Ok(());
    }
    Err(ApiError::bad_request(format!(
        "Content-Type specified ({ct}) must be 'application/json'"
    )))
}

/// Whether Go's `mime.ParseMediaType` reads `value` as `application/json` without error.
fn is_json(value: &str) -> bool {
    let (base, mut params) = value.split_at(value.find(';').unwrap_or(value.len()));
    if !base.trim().eq_ignore_ascii_case("application/json") {
        return false;
    }
    let mut seen: Vec<String> = Vec::new();
    loop {
        params = params.trim_start();
        if params.is_empty() {
            return true;
        }
        match parameter(params) {
            Some((key, rest)) => {
                // Go refuses a parameter named twice (case-insensitively).
                if seen.contains(&key) {
                    return false;
                }
                seen.push(key);
                params = rest;
            }
            // A trailing `;` alone is tolerated; anything else unparsable is an error.
            None => return params.trim() == ";",
        }
    }
}

/// One `; key=value` parameter: its lowercase key and the text after it.
fn parameter(text: &str) -> Option<(String, &str)> {
    let rest = text.trim_start().strip_prefix(';')?.trim_start();
    let (key, rest) = token(rest);
    if key.is_empty() {
        return None;
    }
    let rest = rest.trim_start().strip_prefix('=')?.trim_start();
    let rest = match rest.strip_prefix('"') {
        Some(quoted) => quoted_string_end(quoted)?,
        None => {
            let (value, after) = token(rest);
            if value.is_empty() {
                return None;
            }
            after
        }
    };
    Some((key.to_ascii_lowercase(), rest))
}

/// The text after a quoted string's closing quote; `None` when the quote is never closed or
/// a line break comes first. A `\` escapes the next character only when it is special (Go
/// keeps other backslashes as they are).
fn quoted_string_end(text: &str) -> Option<&str> {
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some(&text[i + 1..]),
            '\r' | '\n' => return None,
            '\\' if chars.peek().is_some_and(|&(_, next)| is_special(next)) => {
                chars.next();
            }
            _ => {}
        }
    }
    None
}

/// The longest run of RFC 1521 token characters at the start of `text`, and the rest.
fn token(text: &str) -> (&str, &str) {
    let end = text.find(|c: char| !is_token_char(c)).unwrap_or(text.len());
    text.split_at(end)
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_graphic() && !is_special(c)
}

/// RFC 1521's `tspecials`.
fn is_special(c: char) -> bool {
    "()<>@,;:\\\"/[]?=".contains(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framing(ct: &str, length: Option<u64>) -> Framing {
        Framing {
            content_type: ct.into(),
            length,
        }
    }

    /// Every value checked against dockerd 20.10 with curl (`POST /containers/create`).
    #[test]
    fn content_types_are_judged_as_dockerd_judges_them() {
        let accepted = [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON",
            "application/json;",
            "application/json ; x=y",
            "application/json; charset=\"utf-8\"",
            "application/json; x=y;",
            "application/json; x=y; ",
        ];
        for ct in accepted {
            assert!(check_for_json(&framing(ct, Some(10))).is_ok(), "{ct}");
        }
        let refused = [
            "text/plain",
            "",
            "application/json;;",
            "application/json; charset",
            "application/json; a=1; a=2",
            "application/json; a=1; A=1",
            "application/x-json",
            "application/json;x=",
            "application/json; x=\"unterminated",
            "application/json/x",
            "application /json",
            "application/json,text/plain",
            "application/json; x=a b",
        ];
        for ct in refused {
            let e = check_for_json(&framing(ct, Some(10))).unwrap_err();
            assert_eq!(
                e.message,
                format!("Content-Type specified ({ct}) must be 'application/json'")
            );
            assert_eq!(e.status().as_u16(), 400);
        }
    }

    #[test]
    fn no_content_type_is_fine_only_without_a_body() {
        assert!(check_for_json(&framing("", Some(0))).is_ok());
        assert!(check_for_json(&framing("", Some(2))).is_err());
        // A chunked body has no length, even an empty one.
        assert!(check_for_json(&framing("", None)).is_err());
        // A wrong type is wrong even without a body.
        assert!(check_for_json(&framing("text/plain", Some(0))).is_err());
    }

    #[test]
    fn start_refuses_a_body() {
        let start = Route::ContainerStart("x".into());
        assert!(check(&start, &framing("application/json", Some(7))).is_ok());
        for length in [Some(8), None] {
            let e = check(&start, &framing("", length)).unwrap_err();
            assert_eq!(e.message, START_BODY);
        }
        // Endpoints dockerd does not check are left alone.
        let wait = Route::ContainerWait("x".into());
        assert!(check(&wait, &framing("text/plain", Some(5))).is_ok());
    }
}
