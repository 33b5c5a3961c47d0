//! The titles and ids of all documents laid out for the `/` search's fuzzy pass: one string
//! and, per document, bit masks of its letters, word starts and letter pairs (the bounds that
//! let the search skip titles without calling the matcher).

use super::{DocRef, Postmortem, Runbook};

/// The titles and ids of all documents, laid out for scanning on every key stroke: one string
/// holding them all (a scan over 10,000 titles reads 300 KB in order instead of chasing 10,000
/// pointers into the documents, which is most of the cost), and for each document a mask of
/// the ASCII letters and digits in its title and id, so a title lacking a letter of the query
/// is passed over without calling the matcher.
#[derive(Clone, Debug, Default)]
pub(super) struct Titles {
    /// Every document: runbooks by title, then postmortems by title (case-insensitive, then
    /// as written, then by position); the `/` overlay's list for an empty query.
    pub(super) by_title: Vec<DocRef>,
    pub(super) text: String,
    /// By document number (runbooks, then postmortems).
    pub(super) entries: Vec<TitleEntry>,
}

#[derive(Clone, Copy, Debug)]
pub(super) struct TitleEntry {
    pub(super) title: (u32, u32),
    /// Empty when the id is the title.
    pub(super) id: (u32, u32),
    pub(super) title_mask: u64,
    pub(super) id_mask: u64,
    /// [`start_mask`] and [`pair_mask`] of the title and of the id.
    pub(super) title_starts: u64,
    pub(super) id_starts: u64,
    pub(super) title_pairs: u64,
    pub(super) id_pairs: u64,
}

/// Bit `0..26` for an ASCII letter (either case), `26..36` for a digit; every bit for text
/// with non-ASCII letters (normalisation may turn `é` into `e`).
pub(super) fn char_mask(text: &str) -> u64 {
    let mut m = 0u64;
    for b in text.bytes() {
        m |= match b {
            b'a'..=b'z' => 1 << (b - b'a'),
            b'A'..=b'Z' => 1 << (b - b'A'),
            b'0'..=b'9' => 1 << (26 + b - b'0'),
            128.. => return u64::MAX,
            _ => 0,
        };
    }
    m
}

/// Like [`char_mask`], for the letters and digits where `nucleo` gives a bonus: word starts
/// (after a space, punctuation or the start), camelCase humps and the first digit of a number.
/// Every bit for text with non-ASCII letters.
pub(super) fn start_mask(text: &str) -> u64 {
    #[derive(Clone, Copy, PartialEq)]
    enum Class {
        Space,
        Other,
        Lower,
        Upper,
        Digit,
    }
    let mut m = 0u64;
    let mut prev = Class::Space;
    for b in text.bytes() {
        let class = match b {
            b'a'..=b'z' => Class::Lower,
            b'A'..=b'Z' => Class::Upper,
            b'0'..=b'9' => Class::Digit,
            128.. => return u64::MAX,
            _ if b.is_ascii_whitespace() => Class::Space,
            _ => Class::Other,
        };
        let word = matches!(class, Class::Lower | Class::Upper | Class::Digit);
        let bonus = word
            && (matches!(prev, Class::Space | Class::Other)
                || (prev == Class::Lower && class == Class::Upper)
                || (prev != Class::Digit && class == Class::Digit));
        if bonus {
            m |= char_mask(std::str::from_utf8(&[b]).unwrap_or_default());
        }
        prev = class;
    }
    m
}

/// The bit of a pair of adjacent chars (ASCII, case folded) in a 64-bit set.
pub(super) fn pair_bit(a: u8, b: u8) -> u64 {
    let h = (a.to_ascii_lowercase() as u32)
        .wrapping_mul(0x9e37_79b1)
        .wrapping_add(b.to_ascii_lowercase() as u32)
        .wrapping_mul(0x85eb_ca77);
    1 << (h >> 26)
}

/// A 64-bit Bloom set of the pairs of adjacent chars of `text` (case folded); every bit for
/// text with non-ASCII chars.
pub(super) fn pair_mask(text: &str) -> u64 {
    if !text.is_ascii() {
        return u64::MAX;
    }
    text.as_bytes()
        .windows(2)
        .fold(0, |m, w| m | pair_bit(w[0], w[1]))
}

impl Titles {
    pub(super) fn build(runbooks: &[Runbook], postmortems: &[Postmortem]) -> Titles {
        let docs = runbooks
            .iter()
            .map(|r| (r.title.as_str(), r.id.as_str()))
            .chain(
                postmortems
                    .iter()
                    .map(|p| (p.title.as_str(), p.id.as_str())),
            );
        let mut t = Titles::default();
        let push = |text: &mut String, s: &str| {
            let from = text.len() as u32;
            text.push_str(s);
            (from, text.len() as u32)
        };
        for (title, id) in docs {
            let title_range = push(&mut t.text, title);
            let id_range = if id == title {
                (0, 0)
            } else {
                push(&mut t.text, id)
            };
            t.entries.push(TitleEntry {
                title: title_range,
                id: id_range,
                title_mask: char_mask(title),
                id_mask: if id == title { 0 } else { char_mask(id) },
                title_starts: start_mask(title),
                id_starts: if id == title { 0 } else { start_mask(id) },
                title_pairs: pair_mask(title),
                id_pairs: if id == title { 0 } else { pair_mask(id) },
            });
        }
        let mut keyed: Vec<(u8, String, &str, DocRef)> = runbooks
            .iter()
            .enumerate()
            .map(|(i, r)| {
                (
                    0,
                    r.title.to_lowercase(),
                    r.title.as_str(),
                    DocRef::Runbook(i),
                )
            })
            .chain(postmortems.iter().enumerate().map(|(i, p)| {
                (
                    1,
                    p.title.to_lowercase(),
                    p.title.as_str(),
                    DocRef::Postmortem(i),
                )
            }))
            .collect();
        keyed.sort_unstable();
        t.by_title = keyed.into_iter().map(|k| k.3).collect();
        t
    }

    pub(super) fn get(&self, (from, to): (u32, u32)) -> &str {
        &self.text[from as usize..to as usize]
    }
}
