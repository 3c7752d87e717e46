//! Go's `path.Match`, the shell patterns of the images `reference` filter: `*` (any run of
//! characters but `/`), `?` (one character but `/`), `[...]` classes with ranges and `^`
//! negation, and `\` escapes; a malformed pattern is `syntax error in pattern`, reported even
//! when the name fails to match early, as Go (1.16 and later) reports it.
//!
//! The algorithm is Go's, not a backtracking one: the pattern is cut into chunks, each a star
//! and a run of single-character operators; each chunk is tried at the current position, then
//! (after a star) at each later position up to the next `/`, and the first place it fits is
//! kept. Every chunk is therefore matched at most `name.len() + 1` times, so a match costs
//! O(pattern × name) at worst, whatever the stars: `"***...x"` is one chunk. Pure.

/// What Go's `path.ErrBadPattern` says.
pub const BAD_PATTERN: &str = "syntax error in pattern";

/// A malformed pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadPattern;

/// Whether all of `name` matches `pattern`.
pub fn matches(pattern: &str, name: &str) -> Result<bool, BadPattern> {
    let (mut pattern, mut name) = (pattern.as_bytes(), name.as_bytes());
    'chunks: while !pattern.is_empty() {
        let (star, chunk, rest) = scan_chunk(pattern);
        pattern = rest;
        if star && chunk.is_empty() {
            // A trailing star takes the rest of the name unless it has a `/`.
            return Ok(!name.contains(&b'/'));
        }
        let last = pattern.is_empty();
        // The chunk where the name is now; the last one must also end the name.
        if let Some(after) = match_chunk(chunk, name)? {
            if after.is_empty() || !last {
                name = after;
                continue;
            }
        }
        if star {
            // Further along, skipping what the star may take (never a `/`).
            let skippable = name.iter().position(|&c| c == b'/').unwrap_or(name.len());
            for skip in 1..=skippable {
                if let Some(after) = match_chunk(chunk, &name[skip..])? {
                    if last && !after.is_empty() {
                        continue;
                    }
                    name = after;
                    continue 'chunks;
                }
            }
        }
        return validate(pattern).map(|()| false);
    }
    Ok(name.is_empty())
}

/// Checks that the rest of a pattern is well formed, as Go does before it answers "no match".
fn validate(mut pattern: &[u8]) -> Result<(), BadPattern> {
    while !pattern.is_empty() {
        let (_, chunk, rest) = scan_chunk(pattern);
        match_chunk(chunk, b"")?;
        pattern = rest;
    }
    Ok(())
}

/// Splits off the next chunk: leading stars, then everything up to the next star outside a
/// class. Answers (had a star, chunk, rest).
fn scan_chunk(pattern: &[u8]) -> (bool, &[u8], &[u8]) {
    let stars = pattern.iter().take_while(|&&c| c == b'*').count();
    let pattern = &pattern[stars..];
    let mut in_class = false;
    let mut i = 0;
    while i < pattern.len() {
        match pattern[i] {
            // A trailing backslash is left for `match_chunk` to refuse.
            b'\\' if i + 1 < pattern.len() => i += 1,
            b'[' => in_class = true,
            b']' => in_class = false,
            b'*' if !in_class => break,
            _ => {}
        }
        i += 1;
    }
    (stars > 0, &pattern[..i], &pattern[i..])
}

/// Matches a chunk against the start of `s`: the rest of `s` when it fits. After a mismatch
/// the chunk is still read to its end, so that a malformed one is always reported.
fn match_chunk<'a>(mut chunk: &[u8], mut s: &'a [u8]) -> Result<Option<&'a [u8]>, BadPattern> {
    let mut failed = false;
    while let Some(&op) = chunk.first() {
        failed |= s.is_empty();
        match op {
            b'[' => {
                let c = match failed {
                    true => None,
                    false => {
                        let (c, len) = decode(s);
                        s = &s[len..];
                        Some(c)
                    }
                };
                let (hit, rest) = class(&chunk[1..], c)?;
                chunk = rest;
                failed |= !hit;
            }
            b'?' => {
                if !failed {
                    failed = s[0] == b'/';
                    s = &s[decode(s).1..];
                }
                chunk = &chunk[1..];
            }
            _ => {
                let literal = match op {
                    b'\\' => *chunk.get(1).ok_or(BadPattern)?,
                    other => other,
                };
                chunk = &chunk[1 + usize::from(op == b'\\')..];
                if !failed {
                    failed = s[0] != literal;
                    s = &s[1..];
                }
            }
        }
    }
    Ok((!failed).then_some(s))
}

/// A character class after its `[`: whether `c` is in it (false when there is no `c`), and
/// the chunk after its `]`.
fn class(mut chunk: &[u8], c: Option<u32>) -> Result<(bool, &[u8]), BadPattern> {
    let negated = chunk.first() == Some(&b'^');
    if negated {
        chunk = &chunk[1..];
    }
    let mut hit = false;
    let mut ranges = 0;
    loop {
        if chunk.first() == Some(&b']') && ranges > 0 {
            chunk = &chunk[1..];
            break;
        }
        let (lo, rest) = class_char(chunk)?;
        let (hi, rest) = match rest.first() {
            Some(b'-') => class_char(&rest[1..])?,
            _ => (lo, rest),
        };
        chunk = rest;
        hit |= c.is_some_and(|c| lo <= c && c <= hi);
        ranges += 1;
    }
    Ok((c.is_some() && hit != negated, chunk))
}

/// One possibly escaped character of a class; a class cannot end there.
fn class_char(chunk: &[u8]) -> Result<(u32, &[u8]), BadPattern> {
    let chunk = match chunk.first() {
        None | Some(b'-' | b']') => return Err(BadPattern),
        Some(b'\\') => &chunk[1..],
        Some(_) => chunk,
    };
    if chunk.is_empty() {
        return Err(BadPattern);
    }
    let (c, len) = decode(chunk);
    if c == INVALID && len == 1 {
        return Err(BadPattern);
    }
    let rest = &chunk[len..];
    if rest.is_empty() {
        return Err(BadPattern);
    }
    Ok((c, rest))
}

/// What Go decodes a byte that starts no valid UTF-8 sequence to (`utf8.RuneError`, width 1).
const INVALID: u32 = 0xFFFD;

/// Go's `utf8.DecodeRune` on a non-empty slice: the character and its width.
fn decode(s: &[u8]) -> (u32, usize) {
    let width = match s[0] {
        0x00..=0x7F => 1,
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => return (INVALID, 1),
    };
    match s.get(..width).and_then(|b| std::str::from_utf8(b).ok()) {
        Some(text) => (text.chars().next().map_or(INVALID, u32::from), width),
        None => (INVALID, 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, name: &str) -> Result<bool, BadPattern> {
        matches(pattern, name)
    }

    /// Go's own table for `path.Match`.
    #[test]
    fn gos_match_table() {
        let bad = Err(BadPattern);
        let cases: &[(&str, &str, Result<bool, BadPattern>)] = &[
            ("abc", "abc", Ok(true)),
            ("*", "abc", Ok(true)),
            ("*c", "abc", Ok(true)),
            ("a*", "a", Ok(true)),
            ("a*", "abc", Ok(true)),
            ("a*", "ab/c", Ok(false)),
            ("a*/b", "abc/b", Ok(true)),
            ("a*/b", "a/c/b", Ok(false)),
            ("a*b*c*d*e*/f", "axbxcxdxe/f", Ok(true)),
            ("a*b*c*d*e*/f", "axbxcxdxexxx/f", Ok(true)),
            ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", Ok(false)),
            ("a*b*c*d*e*/f", "axbxcxdxexxx/fff", Ok(false)),
            ("a*b?c*x", "abxbbxdbxebxczzx", Ok(true)),
            ("a*b?c*x", "abxbbxdbxebxczzy", Ok(false)),
            ("ab[c]", "abc", Ok(true)),
            ("ab[b-d]", "abc", Ok(true)),
            ("ab[e-g]", "abc", Ok(false)),
            ("ab[^c]", "abc", Ok(false)),
            ("ab[^b-d]", "abc", Ok(false)),
            ("ab[^e-g]", "abc", Ok(true)),
            ("a\\*b", "a*b", Ok(true)),
            ("a\\*b", "ab", Ok(false)),
            ("a?b", "a☺b", Ok(true)),
            ("a[^a]b", "a☺b", Ok(true)),
            ("a???b", "a☺b", Ok(false)),
            ("a[^a][^a][^a]b", "a☺b", Ok(false)),
            ("[a-ζ]*", "α", Ok(true)),
            ("*[a-ζ]", "A", Ok(false)),
            ("a?b", "a/b", Ok(false)),
            ("a*b", "a/b", Ok(false)),
            ("[\\]a]", "]", Ok(true)),
            ("[\\-]", "-", Ok(true)),
            ("[x\\-]", "x", Ok(true)),
            ("[x\\-]", "-", Ok(true)),
            ("[x\\-]", "z", Ok(false)),
            ("[\\-x]", "x", Ok(true)),
            ("[\\-x]", "-", Ok(true)),
            ("[\\-x]", "a", Ok(false)),
            ("[]a]", "]", bad),
            ("[-]", "-", bad),
            ("[x-]", "x", bad),
            ("[x-]", "-", bad),
            ("[x-]", "z", bad),
            ("[-x]", "x", bad),
            ("[-x]", "-", bad),
            ("[-x]", "a", bad),
            ("\\", "a", bad),
            ("[a-b-c]", "a", bad),
            ("[", "a", bad),
            ("[^", "a", bad),
            ("[^bc", "a", bad),
            ("a[", "a", bad),
            ("a[", "ab", bad),
            ("a[", "x", bad),
            ("a/b[", "x", bad),
            ("*x", "xxx", Ok(true)),
        ];
        for (pattern, name, want) in cases {
            assert_eq!(m(pattern, name), *want, "{pattern:?} {name:?}");
        }
    }

    /// Regression: the old recursive matcher tried every way to split the name among the
    /// stars, which for thousands of stars never ended (dockerd answers in milliseconds).
    #[test]
    fn thousands_of_stars_are_one_chunk() {
        let pattern = format!("{}x", "*".repeat(3000));
        assert_eq!(m(&pattern, &"a".repeat(200)), Ok(false));
        assert_eq!(m(&pattern, "ax"), Ok(true));
        let alternating = "*a".repeat(3000);
        assert_eq!(m(&alternating, &"a".repeat(100)), Ok(false));
        assert_eq!(m(&alternating, &"a".repeat(3000)), Ok(true));
    }

    #[test]
    fn reference_patterns_as_docker_images_uses_them() {
        assert_eq!(m("hello*", "hello-world:latest"), Ok(true));
        assert_eq!(m("*/busybox", "127.0.0.1:5000/busybox"), Ok(true));
        assert_eq!(m("*", "a/b"), Ok(false));
        assert_eq!(m("dmn-[!a]oolbox", "dmn-toolbox"), Ok(false));
        assert_eq!(m("dmn-\\toolbox", "dmn-toolbox"), Ok(true));
    }
}
