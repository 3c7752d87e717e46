//! Shell words: splitting a scenario line into words and quoting words back, POSIX-style
//! (single quotes, double quotes with backslash escapes, backslash outside quotes).

/// Quotes `word` so a POSIX shell reads it back as exactly one word.
pub fn quote_word(word: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c);
    if !word.is_empty() && word.chars().all(safe) {
        return word.to_string();
    }
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// Splits a line into words as a shell would (no expansion). `#` starts a comment at a word start.
pub fn split_words(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut current: Option<String> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '#' if current.is_none() => break,
            c if c.is_whitespace() => words.extend(current.take()),
            '\'' => {
                let word = current.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err("unterminated single quote".to_string()),
                    }
                }
            }
            '"' => {
                let word = current.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => word.push(c),
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return Err("unterminated double quote".to_string()),
                        },
                        Some(c) => word.push(c),
                        None => return Err("unterminated double quote".to_string()),
                    }
                }
            }
            '\\' => match chars.next() {
                Some(c) => current.get_or_insert_with(String::new).push(c),
                None => return Err("trailing backslash".to_string()),
            },
            c => current.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(current);
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_round_trips() {
        for word in [
            "plain",
            "",
            "two words",
            "it's",
            "a\"b",
            "$HOME",
            "a\\b",
            "CMD [\"/x\"]",
        ] {
            let line = quote_word(word);
            assert_eq!(
                split_words(&line).unwrap(),
                vec![word.to_string()],
                "{line}"
            );
        }
    }

    #[test]
    fn splits_like_a_shell() {
        assert_eq!(
            split_words(r#"run -c "CMD [\"a\"]" x\ y # note"#).unwrap(),
            vec!["run", "-c", "CMD [\"a\"]", "x y"]
        );
        assert!(split_words("'open").is_err());
    }
}
