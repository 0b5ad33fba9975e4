//! Delimiter runs (`*`, `_`, `~~`): how long a run is, and whether it may open or close
//! emphasis, from the characters on either side (CommonMark's flanking rules, adjusted to
//! what LLMs write).

/// Where the run of identical markers that starts at `start` ends.
pub(super) fn run_end(bytes: &[u8], start: usize) -> usize {
    let marker = bytes[start];
    start
        + bytes[start..]
            .iter()
            .take_while(|&&byte| byte == marker)
            .count()
}

fn is_punctuation(c: char) -> bool {
    !c.is_alphanumeric() && !c.is_whitespace()
}

/// Whether a delimiter run can open and can close emphasis, from its neighbours.
pub(super) fn flanking(
    marker: u8,
    run_len: usize,
    before: Option<char>,
    after: Option<char>,
) -> (bool, bool) {
    let before_space = before.is_none_or(char::is_whitespace);
    let after_space = after.is_none_or(char::is_whitespace);
    let before_punct = before.is_some_and(is_punctuation);
    let after_punct = after.is_some_and(is_punctuation);
    let left = !after_space && (!after_punct || before_space || before_punct);
    let right = !before_space && (!before_punct || after_space || after_punct);
    match (marker, run_len) {
        (b'_', _) => (
            left && (!right || before_punct),
            right && (!left || after_punct),
        ),
        (b'*', 1) => (
            left && !before.is_some_and(char::is_alphanumeric),
            right && !after.is_some_and(char::is_alphanumeric),
        ),
        // `**`, `***` and `~~` pair whenever they touch text: LLMs glue bold to CJK text and
        // to punctuation ("**注意：**这里") where CommonMark's flanking rules refuse it.
        _ => (!after_space, !before_space),
    }
}

/// Which "openers bottom" slot a run uses: by marker, length mod 3 and whether it opens.
pub(super) fn bottom_key(marker: u8, run_len: usize, can_open: bool) -> usize {
    let marker_index = match marker {
        b'*' => 0,
        b'_' => 1,
        _ => 2,
    };
    marker_index * 6 + (run_len % 3) * 2 + usize::from(can_open)
}
