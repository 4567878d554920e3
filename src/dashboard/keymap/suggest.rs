//! "Did you mean ...?" for misspelt key names, actions, sections and fields.

/// The candidate closest to `input` (ignoring case), if it is close enough to
/// be a typo rather than a different word: at most one edit per three
/// characters typed, and at least one.
///
/// Distance is the optimal string alignment distance: Levenshtein plus swaps
/// of neighbours, the most common typo (`tabel` is one edit from `table`).
/// The first of equally close candidates wins, so callers list the spelling
/// they prefer first.
pub(super) fn suggest<'a>(
    input: &str,
    candidates: impl Iterator<Item = &'a str>,
) -> Option<&'a str> {
    let input = input.to_lowercase();
    let limit = (input.chars().count() / 3).max(1);
    candidates
        .map(|c| (strsim::osa_distance(&input, &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_swaps_as_one() {
        // The distance suggestions rely on: a swap of neighbours is one edit.
        let edit_distance = strsim::osa_distance;
        assert_eq!(edit_distance("tabel", "table"), 1);
        assert_eq!(edit_distance("terminat", "terminate"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(suggest("xyz", ["quit", "help"].into_iter()), None);
        assert_eq!(suggest("QUTI", ["quit", "help"].into_iter()), Some("quit"));
    }

    #[test]
    fn first_of_equally_close_candidates_wins() {
        // "pgdwn" is one edit from both "PgDn" and "PgDown": the first listed wins.
        assert_eq!(
            suggest("pgdwn", ["PgDn", "PgDown"].into_iter()),
            Some("PgDn")
        );
        assert_eq!(
            suggest("tabel", ["table", "label"].into_iter()),
            Some("table")
        );
    }
}
