//! Go's `encoding/json` as Docker's programs meet bad JSON: the syntax check that runs before
//! every `json.Unmarshal` and inside `json.Compact`, with Go's exact error texts (`invalid
//! character 'x' looking for beginning of value`, `unexpected end of JSON input`), and
//! `Compact` itself. dockerd answers a bad seccomp profile with these texts and the docker CLI
//! refuses a bad profile file with them, so berth's daemon and CLI word the same failures the
//! same way. Pure functions on bytes; this module never decodes values.

use std::fmt;

/// A syntax error, worded as Go's `*json.SyntaxError` prints itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    message: String,
    /// The byte offset after the byte that was read when the error happened (Go's `Offset`).
    pub offset: usize,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SyntaxError {}

/// Go's scanner refuses documents nested deeper than this.
const MAX_DEPTH: usize = 10_000;

/// Where the scanner is: what the next byte may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    BeginValue,
    BeginValueOrEmpty,
    BeginStringOrEmpty,
    BeginString,
    EndValue,
    EndTop,
    InString,
    InStringEsc,
    /// Inside `\u`: how many hex digits have been read.
    InStringEscU(u8),
    Neg,
    Int,
    Zero,
    Dot,
    Frac,
    Exp,
    ExpSign,
    ExpDigits,
    /// Inside `true`, `false` or `null`: the rest of the literal still expected.
    Literal(&'static [u8], &'static str),
}

/// What a container on the stack is waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Parse {
    ObjectKey,
    ObjectValue,
    ArrayValue,
}

struct Scanner {
    state: State,
    stack: Vec<Parse>,
    read: usize,
}

/// Checks `data` as `json.Valid`/`json.Unmarshal` do, answering Go's error for the first
/// offending byte.
pub fn check(data: &[u8]) -> Result<(), SyntaxError> {
    let mut scan = Scanner {
        state: State::BeginValue,
        stack: Vec::new(),
        read: 0,
    };
    for &c in data {
        scan.read += 1;
        scan.step(c)?;
    }
    scan.eof()
}

/// Go's `json.Compact`: `data` without insignificant whitespace, or the syntax error.
pub fn compact(data: &[u8]) -> Result<Vec<u8>, SyntaxError> {
    check(data)?;
    let mut out = Vec::with_capacity(data.len());
    let mut in_string = false;
    let mut escaped = false;
    for &c in data {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
        } else if !is_space(c) {
            in_string = c == b'"';
            out.push(c);
        }
    }
    Ok(out)
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

impl Scanner {
    fn error(&self, c: u8, context: &str) -> SyntaxError {
        SyntaxError {
            message: format!("invalid character {} {context}", quote_char(c)),
            offset: self.read,
        }
    }

    /// Go's `eof`: one more space is stepped through, so a literal or number cut short fails
    /// on that space (`invalid character ' ' in literal true (expecting 'e')`) and anything
    /// else unfinished is `unexpected end of JSON input`.
    fn eof(&mut self) -> Result<(), SyntaxError> {
        if self.state == State::EndTop {
            return Ok(());
        }
        self.step(b' ')?;
        if self.state == State::EndTop {
            return Ok(());
        }
        Err(SyntaxError {
            message: "unexpected end of JSON input".into(),
            offset: self.read,
        })
    }

    fn push(&mut self, p: Parse) -> Result<(), SyntaxError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(SyntaxError {
                message: "exceeded max depth".into(),
                offset: self.read,
            });
        }
        self.stack.push(p);
        Ok(())
    }

    fn step(&mut self, c: u8) -> Result<(), SyntaxError> {
        use State as S;
        self.state = match self.state {
            S::BeginValueOrEmpty if is_space(c) => S::BeginValueOrEmpty,
            S::BeginValueOrEmpty if c == b']' => return self.end_value(c),
            S::BeginValueOrEmpty => return self.begin_value(c),
            S::BeginValue => return self.begin_value(c),
            S::BeginStringOrEmpty if is_space(c) => S::BeginStringOrEmpty,
            S::BeginStringOrEmpty if c == b'}' => {
                // `{}`: the key that never came counts as read, as in Go.
                if let Some(top) = self.stack.last_mut() {
                    *top = Parse::ObjectValue;
                }
                return self.end_value(c);
            }
            S::BeginStringOrEmpty | S::BeginString => match c {
                c if is_space(c) => S::BeginString,
                b'"' => S::InString,
                c => return Err(self.error(c, "looking for beginning of object key string")),
            },
            S::EndValue => return self.end_value(c),
            S::EndTop if is_space(c) => S::EndTop,
            S::EndTop => return Err(self.error(c, "after top-level value")),
            S::InString => match c {
                b'"' => S::EndValue,
                b'\\' => S::InStringEsc,
                c if c < 0x20 => return Err(self.error(c, "in string literal")),
                _ => S::InString,
            },
            S::InStringEsc => match c {
                b'b' | b'f' | b'n' | b'r' | b't' | b'\\' | b'/' | b'"' => S::InString,
                b'u' => S::InStringEscU(0),
                c => return Err(self.error(c, "in string escape code")),
            },
            S::InStringEscU(n) if c.is_ascii_hexdigit() => match n {
                3 => S::InString,
                n => S::InStringEscU(n + 1),
            },
            S::InStringEscU(_) => return Err(self.error(c, "in \\u hexadecimal character escape")),
            S::Neg => match c {
                b'0' => S::Zero,
                b'1'..=b'9' => S::Int,
                c => return Err(self.error(c, "in numeric literal")),
            },
            S::Int if c.is_ascii_digit() => S::Int,
            S::Int | S::Zero => match c {
                b'.' => S::Dot,
                b'e' | b'E' => S::Exp,
                c => return self.end_value(c),
            },
            S::Dot if c.is_ascii_digit() => S::Frac,
            S::Dot => return Err(self.error(c, "after decimal point in numeric literal")),
            S::Frac if c.is_ascii_digit() => S::Frac,
            S::Frac if c == b'e' || c == b'E' => S::Exp,
            S::Frac => return self.end_value(c),
            S::Exp if c == b'+' || c == b'-' => S::ExpSign,
            S::Exp | S::ExpSign if c.is_ascii_digit() => S::ExpDigits,
            S::Exp | S::ExpSign => return Err(self.error(c, "in exponent of numeric literal")),
            S::ExpDigits if c.is_ascii_digit() => S::ExpDigits,
            S::ExpDigits => return self.end_value(c),
            S::Literal(rest, name) => {
                if c != rest[0] {
                    let context = format!("in literal {name} (expecting {})", quote_char(rest[0]));
                    return Err(self.error(c, &context));
                }
                match &rest[1..] {
                    [] => S::EndValue,
                    more => S::Literal(more, name),
                }
            }
        };
        Ok(())
    }

    fn begin_value(&mut self, c: u8) -> Result<(), SyntaxError> {
        use State as S;
        self.state = match c {
            c if is_space(c) => S::BeginValue,
            b'{' => {
                self.push(Parse::ObjectKey)?;
                S::BeginStringOrEmpty
            }
            b'[' => {
                self.push(Parse::ArrayValue)?;
                S::BeginValueOrEmpty
            }
            b'"' => S::InString,
            b'-' => S::Neg,
            b'0' => S::Zero,
            b'1'..=b'9' => S::Int,
            b't' => S::Literal(b"rue", "true"),
            b'f' => S::Literal(b"alse", "false"),
            b'n' => S::Literal(b"ull", "null"),
            c => return Err(self.error(c, "looking for beginning of value")),
        };
        Ok(())
    }

    /// After a complete value: what the enclosing container (or the top level) allows next.
    fn end_value(&mut self, c: u8) -> Result<(), SyntaxError> {
        use State as S;
        let Some(&top) = self.stack.last() else {
            self.state = S::EndTop;
            return self.step(c);
        };
        if is_space(c) {
            self.state = S::EndValue;
            return Ok(());
        }
        self.state = match (top, c) {
            (Parse::ObjectKey, b':') => {
                self.set_top(Parse::ObjectValue);
                S::BeginValue
            }
            (Parse::ObjectKey, c) => return Err(self.error(c, "after object key")),
            (Parse::ObjectValue, b',') => {
                self.set_top(Parse::ObjectKey);
                S::BeginString
            }
            (Parse::ObjectValue, b'}') | (Parse::ArrayValue, b']') => {
                self.stack.pop();
                return match self.stack.is_empty() {
                    true => {
                        self.state = S::EndTop;
                        Ok(())
                    }
                    false => {
                        self.state = S::EndValue;
                        Ok(())
                    }
                };
            }
            (Parse::ObjectValue, c) => return Err(self.error(c, "after object key:value pair")),
            (Parse::ArrayValue, b',') => S::BeginValue,
            (Parse::ArrayValue, c) => return Err(self.error(c, "after array element")),
        };
        Ok(())
    }

    fn set_top(&mut self, p: Parse) {
        if let Some(top) = self.stack.last_mut() {
            *top = p;
        }
    }
}

/// Go's `strconv.Quote` (`%q`), which Go programs' error texts put around user input.
pub use berth_format::text::go_quote;

/// Go's `quoteChar`: the byte in single quotes, escaped as `strconv.Quote` escapes the rune of
/// that value.
fn quote_char(c: u8) -> String {
    match c {
        b'\'' => r"'\''".into(),
        b'"' => "'\"'".into(),
        b'\\' => r"'\\'".into(),
        0x07 => r"'\a'".into(),
        0x08 => r"'\b'".into(),
        0x0c => r"'\f'".into(),
        b'\n' => r"'\n'".into(),
        b'\r' => r"'\r'".into(),
        b'\t' => r"'\t'".into(),
        0x0b => r"'\v'".into(),
        0x20..=0x7e => format!("'{}'", c as char),
        0x00..=0x1f | 0x7f => format!("'\\x{c:02x}'"),
        // Bytes from 0x80 are Latin-1 runes to Go; the unprintable ones get `\u`.
        0x80..=0xa0 | 0xad => format!("'\\u{c:04x}'"),
        _ => format!("'{}'", c as char),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(s: &str) -> String {
        check(s.as_bytes()).unwrap_err().to_string()
    }

    /// Each text below is what dockerd 20.10 (Go's decoder) or the docker CLI 28 answered for
    /// the same bytes.
    #[test]
    fn errors_read_as_gos() {
        assert_eq!(
            err("{bad"),
            "invalid character 'b' looking for beginning of object key string"
        );
        assert_eq!(
            err("x"),
            "invalid character 'x' looking for beginning of value"
        );
        assert_eq!(err(""), "unexpected end of JSON input");
        assert_eq!(err("{\"a\""), "unexpected end of JSON input");
        assert_eq!(err("{\"a\" 1}"), "invalid character '1' after object key");
        assert_eq!(
            err("{\"a\":1 \"b\"}"),
            "invalid character '\"' after object key:value pair"
        );
        assert_eq!(err("[1 2]"), "invalid character '2' after array element");
        assert_eq!(err("{} x"), "invalid character 'x' after top-level value");
        assert_eq!(
            err("tru"),
            "invalid character ' ' in literal true (expecting 'e')"
        );
        assert_eq!(err("-"), "invalid character ' ' in numeric literal");
        // A UTF-8 `é` as bytes: Go quotes the first byte as the Latin-1 rune it is.
        assert_eq!(
            check("é".as_bytes()).unwrap_err().to_string(),
            "invalid character 'Ã' looking for beginning of value"
        );
        assert_eq!(
            err("nul1"),
            "invalid character '1' in literal null (expecting 'l')"
        );
        assert_eq!(err("-a"), "invalid character 'a' in numeric literal");
        assert_eq!(
            err("1.x"),
            "invalid character 'x' after decimal point in numeric literal"
        );
        assert_eq!(
            err("1e+"),
            "invalid character ' ' in exponent of numeric literal"
        );
        assert_eq!(
            err("\"a\u{1}\""),
            r"invalid character '\x01' in string literal"
        );
        assert_eq!(err("\"a\nb\""), "invalid character '\\n' in string literal");
        assert_eq!(
            err("\"\\q\""),
            "invalid character 'q' in string escape code"
        );
        assert_eq!(
            err("\"\\u12g4\""),
            "invalid character 'g' in \\u hexadecimal character escape"
        );
        assert_eq!(
            err("{'a':1}"),
            r"invalid character '\'' looking for beginning of object key string"
        );
        assert_eq!(
            err("[,]"),
            "invalid character ',' looking for beginning of value"
        );
        assert_eq!(
            err("[1,]"),
            "invalid character ']' looking for beginning of value"
        );
        assert_eq!(
            err("{\"a\":1,}"),
            "invalid character '}' looking for beginning of object key string"
        );
    }

    #[test]
    fn valid_documents_pass() {
        for ok in [
            "{}",
            "[]",
            " {\"a\": [1, -0.5e+3, true, false, null, \"\\u00e9\\n\"]} ",
            "0",
            "12",
            "\"s\"",
            "{\"a\":{}, \"b\":[[]]}",
        ] {
            check(ok.as_bytes()).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
    }

    #[test]
    fn compact_drops_only_insignificant_space() {
        let out = compact(b" { \"a b\" : [ 1 , \"x\\\" y\" ] }\n").unwrap();
        assert_eq!(out, b"{\"a b\":[1,\"x\\\" y\"]}");
    }

    #[test]
    fn depth_is_bounded() {
        let deep = "[".repeat(MAX_DEPTH + 1);
        assert_eq!(err(&deep), "exceeded max depth");
    }
}
