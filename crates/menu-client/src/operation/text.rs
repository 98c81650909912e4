//! What a text value may be ([`Text`]): the spec's lengths and pattern on a string (`minLength`,
//! `maxLength`, `pattern`, or their `x-min-length`, `x-max-length`, `x-pattern` forms, which only
//! the command line and the mock read), the one rule that checks them, and whether the pattern
//! keeps commas out of every value (so a command line may split a list of them on commas).

/// The constraints the spec puts on a text value. [`Text::ANY`] is text without any.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Text {
    /// The fewest characters (Unicode code points, as JSON Schema counts them).
    pub min_length: u64,
    /// The most characters, if limited.
    pub max_length: Option<u64>,
    /// A regular expression (ECMAScript syntax, as JSON Schema's `pattern`) that the value must
    /// match somewhere: anchor it with `^` and `$` to match all of it.
    pub pattern: Option<&'static str>,
}

impl Text {
    /// Text without constraints.
    pub const ANY: Text = Text {
        min_length: 0,
        max_length: None,
        pattern: None,
    };

    /// These constraints, or why they cannot be (a maximum below the minimum, a pattern that is
    /// not a regular expression).
    pub fn new(
        min_length: u64,
        max_length: Option<u64>,
        pattern: Option<&'static str>,
    ) -> Result<Text, String> {
        if let Some(max) = max_length.filter(|max| *max < min_length) {
            return Err(format!(
                "the maximum length {max} is below the minimum length {min_length}"
            ));
        }
        if let Some(pattern) = pattern {
            compile(pattern)?;
        }
        Ok(Text {
            min_length,
            max_length,
            pattern,
        })
    }

    /// Whether `text` meets the constraints.
    pub fn accepts(&self, text: &str) -> bool {
        let length = u64::try_from(text.chars().count()).unwrap_or(u64::MAX);
        length >= self.min_length
            && self.max_length.is_none_or(|max| length <= max)
            && self.pattern.is_none_or(|pattern| {
                // A pattern that does not compile accepts nothing (`Text::new` refuses it).
                compile(pattern).is_ok_and(|regex| regex.find(text).is_some())
            })
    }

    /// What it accepts, in words (`text`, `non-empty text`, `text of 2 to 8 characters matching
    /// `^[0-9]+$``).
    pub fn describe(&self) -> String {
        let length = match (self.min_length, self.max_length) {
            (0, None) => String::new(),
            (1, None) => "non-empty ".to_owned(),
            (min, None) => format!("at least {min} characters of "),
            (0, Some(max)) => format!("at most {max} characters of "),
            (min, Some(max)) if min == max => format!("exactly {min} characters of "),
            (min, Some(max)) => format!("{min} to {max} characters of "),
        };
        match self.pattern {
            Some(pattern) => format!("{length}text matching `{pattern}`"),
            None => format!("{length}text"),
        }
    }

    /// Whether no value it accepts contains a comma: its pattern is anchored at both ends and
    /// can only match characters other than a comma. Decided from the pattern's text, erring on
    /// the side of `false` (a pattern this reading does not follow may contain commas).
    pub fn excludes_commas(&self) -> bool {
        self.pattern.is_some_and(excludes_commas)
    }
}

fn compile(pattern: &str) -> Result<regress::Regex, String> {
    regress::Regex::new(pattern).map_err(|e| format!("the pattern `{pattern}`: {e}"))
}

/// One element of a character class.
#[derive(Clone, Copy)]
enum Atom {
    /// A character; `literal` when escaped (an escaped `-` is not a range).
    Char(char, bool),
    /// A class escape without commas (`\d`, `\w`, `\s`).
    Set,
}

/// Whether the anchored `pattern` can match nothing with a comma (see [`Text::excludes_commas`]).
fn excludes_commas(pattern: &str) -> bool {
    let Some(body) = pattern.strip_prefix('^').and_then(|p| p.strip_suffix('$')) else {
        return false;
    };
    // `\$` at the end is a dollar sign, not the end.
    if body.chars().rev().take_while(|c| *c == '\\').count() % 2 == 1 {
        return false;
    }
    let mut chars = body.chars();
    let mut depth = 0_usize;
    while let Some(c) = chars.next() {
        match c {
            ',' | '.' => return false,
            '|' if depth == 0 => return false,
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            '{' => {
                // A quantifier: digits and at most one comma, then `}`.
                let inside: String = chars.by_ref().take_while(|c| *c != '}').collect();
                if inside.is_empty() || !inside.chars().all(|c| c.is_ascii_digit() || c == ',') {
                    return false;
                }
            }
            '[' if !class_excludes_commas(&mut chars) => return false,
            '\\' => match chars.next() {
                Some('d' | 'w' | 's' | 'b' | 'B' | '1'..='9') => {}
                Some(escaped) if escaped.is_ascii_punctuation() && escaped != ',' => {}
                Some('n' | 't' | 'r' | 'f' | 'v') => {}
                _ => return false,
            },
            _ => {}
        }
    }
    true
}

/// Whether the character class that `chars` continues (after its `[`) holds no comma; `chars`
/// is left after its `]`.
fn class_excludes_commas(chars: &mut std::str::Chars<'_>) -> bool {
    let mut atoms = Vec::new();
    let mut first = true;
    loop {
        let Some(c) = chars.next() else {
            return false;
        };
        match c {
            '^' if first => return false,
            ']' => break,
            '\\' => match chars.next() {
                Some('d' | 'w' | 's') => atoms.push(Atom::Set),
                Some('n') => atoms.push(Atom::Char('\n', true)),
                Some('t') => atoms.push(Atom::Char('\t', true)),
                Some('r') => atoms.push(Atom::Char('\r', true)),
                Some(escaped) if escaped.is_ascii_punctuation() => {
                    atoms.push(Atom::Char(escaped, true));
                }
                _ => return false,
            },
            other => atoms.push(Atom::Char(other, false)),
        }
        first = false;
    }
    for (at, atom) in atoms.iter().enumerate() {
        match *atom {
            Atom::Char(',', _) => return false,
            // A range `a-z` between two characters: the comma must not lie inside it.
            Atom::Char('-', false) if at > 0 && at + 1 < atoms.len() => {
                match (atoms[at - 1], atoms[at + 1]) {
                    (Atom::Char(low, _), Atom::Char(high, _)) => {
                        if (low..=high).contains(&',') {
                            return false;
                        }
                    }
                    _ => return false,
                }
            }
            _ => {}
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_and_patterns_are_checked_and_said() {
        let digits = Text::new(0, None, Some("^[0-9]+$")).unwrap();
        assert!(digits.accepts("0164138") && !digits.accepts("") && !digits.accepts("12a"));
        assert_eq!(digits.describe(), "text matching `^[0-9]+$`");
        let short = Text::new(1, Some(2), None).unwrap();
        assert!(short.accepts("é") && short.accepts("ab") && !short.accepts("abc"));
        assert!(!short.accepts(""));
        assert_eq!(short.describe(), "1 to 2 characters of text");
        assert_eq!(
            Text::new(1, None, None).unwrap().describe(),
            "non-empty text"
        );
        assert!(Text::ANY.accepts("") && Text::ANY.describe() == "text");
        // An unanchored pattern matches anywhere, as JSON Schema says.
        assert!(Text::new(0, None, Some("[0-9]")).unwrap().accepts("a1"));
        assert!(Text::new(3, Some(2), None).is_err());
        assert!(Text::new(0, None, Some("(")).is_err());
    }

    #[test]
    fn only_anchored_patterns_without_commas_exclude_them() {
        for pattern in [
            "^[A-Z]{2}$",
            "^[0-9]+$",
            "^\\d{4,6}$",
            "^[a-z0-9_-]+$",
            "^(?:ab|cd)$",
            "^[\\-.]+$",
            "^[a-z]{1,}$",
        ] {
            assert!(excludes_commas(pattern), "{pattern}");
        }
        for pattern in [
            "[A-Z]{2}",
            "^[A-Z]{2}",
            "^.+$",
            "^[^x]+$",
            "^a$|^b$",
            "^[+-.]+$",
            "^[ -~]+$",
            "^\\D+$",
            "^[\\W]$",
            "^a,b$",
            "^a\\$",
            "^\\x2c$",
            "^[\\u002c]$",
            "^\\p{L}$",
        ] {
            assert!(!excludes_commas(pattern), "{pattern}");
        }
        assert!(!Text::ANY.excludes_commas());
    }
}
