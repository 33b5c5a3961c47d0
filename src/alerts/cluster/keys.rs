//! The keys of the lists an alert is in: partition, grouping labels, link labels, topology
//! service and text bands (MinHash signatures).

use std::sync::Arc;

use super::Correlator;
use super::ids::mix;
use crate::alerts::model::Alert;
use crate::alerts::text;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Group,
    Label(u8),
    Service,
    /// MinHash band number.
    Text(u8),
}

pub(super) struct TextSig {
    /// Hash of `words`: identifies the word set.
    pub(super) hash: u64,
    pub(super) words: Vec<String>,
    /// `text::hash_str` of each word.
    pub(super) word_hashes: Vec<u64>,
    pub(super) bands: Vec<u64>,
}

impl Correlator {
    pub(super) fn partition_key(&self, a: &Alert) -> u64 {
        let mut h = 0x7061_7274u64;
        for (l, &lh) in self
            .cfg
            .partition_by
            .iter()
            .zip(&self.label_hashes.partition)
        {
            h = mix(h ^ lh);
            h = mix(h ^ text::hash_str(a.label(l).unwrap_or("")));
        }
        h
    }

    pub(super) fn group_key(&self, a: &Alert, partition: u64) -> Option<u64> {
        let mut h = mix(partition ^ 0x6772_6f75);
        let mut any = false;
        for (l, &lh) in self.cfg.group_by.iter().zip(&self.label_hashes.group) {
            let v = a.label(l).unwrap_or("");
            any |= !v.is_empty();
            h = mix(h ^ lh);
            h = mix(h ^ text::hash_str(v));
        }
        any.then_some(h)
    }

    pub(super) fn group_desc(&self, a: &Alert) -> String {
        let set: Vec<(&str, &str)> = self
            .cfg
            .group_by
            .iter()
            .filter_map(|l| {
                a.label(l)
                    .filter(|v| !v.is_empty())
                    .map(|v| (l.as_str(), v))
            })
            .collect();
        let names: Vec<&str> = set.iter().map(|p| p.0).collect();
        let values: Vec<&str> = set.iter().map(|p| p.1).collect();
        format!("same {}: {}", names.join("+"), values.join("/"))
    }

    pub(super) fn service_key(partition: u64, topo: u32) -> u64 {
        mix(partition ^ mix(0x7376_6300 ^ u64::from(topo)))
    }

    pub(super) fn band_key(partition: u64, band: u64) -> u64 {
        mix(partition ^ band.rotate_left(17) ^ 0x7465_7874)
    }

    /// The words and MinHash bands of an alert's text.
    pub(super) fn text_sig(&mut self, a: &Alert) -> Option<Arc<TextSig>> {
        // The words come from exactly what this key covers (see `text::words_key`).
        let raw = text::words_key(a);
        if let Some(sig) = self.raw_texts.get(&raw) {
            return sig.clone();
        }
        let words = &mut self.words;
        words.split_alert(a);
        let sig = if words.is_empty() {
            None
        } else {
            let mut h = 0u64;
            for &w in words.hashes() {
                h = mix(h ^ w);
            }
            // Most word sets are known: make the words only for a new one.
            let sig = self.texts.entry(h).or_insert_with(|| {
                let words_vec = words.to_vec();
                let bands = text::band_keys(&words_vec);
                Arc::new(TextSig {
                    hash: h,
                    words: words_vec,
                    word_hashes: words.hashes().to_vec(),
                    bands,
                })
            });
            Some(sig.clone())
        };
        self.raw_texts.insert(raw, sig.clone());
        sig
    }

    /// (key, kind) of every list a driving alert is in.
    pub(super) fn keys(&self, slot: u32) -> Vec<(u64, Kind)> {
        let mut keys = Vec::with_capacity(2 + text::BANDS);
        self.keys_into(slot, &mut keys);
        keys
    }

    /// [`Correlator::keys`] into a buffer (cleared first).
    pub(super) fn keys_into(&self, slot: u32, keys: &mut Vec<(u64, Kind)>) {
        keys.clear();
        let i = &self.inner[slot as usize];
        if let Some(g) = i.group {
            keys.push((g, Kind::Group));
        }
        let alert = &self.tracked[slot as usize].alert;
        let links = self.cfg.link_by.iter().zip(&self.label_hashes.link);
        for (n, (l, &lh)) in links.enumerate().take(256) {
            if let Some(v) = alert.label(l).filter(|v| !v.is_empty()) {
                let h = mix(i.partition ^ lh ^ text::hash_str(v));
                keys.push((h, Kind::Label(n as u8)));
            }
        }
        if let Some(t) = i.topo {
            keys.push((Self::service_key(i.partition, t), Kind::Service));
        }
        if let Some(sig) = &i.text {
            keys.extend(
                sig.bands
                    .iter()
                    .enumerate()
                    .map(|(n, &b)| (Self::band_key(i.partition, b), Kind::Text(n as u8))),
            );
        }
    }
}
