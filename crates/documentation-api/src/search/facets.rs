//! Facet counts. Each page's domain, type, status and tags are numbered once, when the
//! index is built, so counting the pages a query matched is adding up small integers
//! instead of hashing their strings.

use std::collections::HashMap;

/// The distinct values of one facet across the corpus, numbered in order of appearance.
#[derive(Default)]
struct Values {
    names: Vec<String>,
    ids: HashMap<String, u32>,
}

impl Values {
    fn id(&mut self, value: &str) -> u32 {
        if let Some(id) = self.ids.get(value) {
            return *id;
        }
        let id = self.names.len() as u32;
        self.names.push(value.to_string());
        self.ids.insert(value.to_string(), id);
        id
    }

    /// `(value, count)` of the values counted at least once, most frequent first, then
    /// by value; the first `keep`.
    fn ranked(&self, counts: &[usize], keep: usize) -> Vec<(&str, usize)> {
        let mut ranked: Vec<(&str, usize)> = counts
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(id, n)| (self.names[id].as_str(), *n))
            .collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        ranked.truncate(keep);
        ranked
    }
}

/// Every facet value of the corpus.
#[derive(Default)]
pub struct FacetTable {
    domains: Values,
    types: Values,
    statuses: Values,
    tags: Values,
}

/// One page's facet values, as numbers of the [`FacetTable`].
#[derive(Debug, Default)]
pub struct FacetIds {
    domain: u32,
    doc_type: u32,
    status: u32,
    tags: Box<[u32]>,
}

/// How many of the counted pages carry each value.
pub struct FacetCounts<'t> {
    pub total: usize,
    pub domains: Vec<(&'t str, usize)>,
    pub types: Vec<(&'t str, usize)>,
    pub tags: Vec<(&'t str, usize)>,
    pub statuses: Vec<(&'t str, usize)>,
}

impl FacetTable {
    pub fn ids(&mut self, domain: &str, doc_type: &str, status: &str, tags: &[String]) -> FacetIds {
        FacetIds {
            domain: self.domains.id(domain),
            doc_type: self.types.id(doc_type),
            status: self.statuses.id(status),
            tags: tags.iter().map(|t| self.tags.id(t)).collect(),
        }
    }

    /// Counts over `pages`; of tags, the `top_tags` most frequent are kept.
    pub fn count<'p>(
        &self,
        pages: impl Iterator<Item = &'p FacetIds>,
        top_tags: usize,
    ) -> FacetCounts<'_> {
        let mut domains = vec![0; self.domains.names.len()];
        let mut types = vec![0; self.types.names.len()];
        let mut statuses = vec![0; self.statuses.names.len()];
        let mut tags = vec![0; self.tags.names.len()];
        let mut total = 0;
        for page in pages {
            total += 1;
            domains[page.domain as usize] += 1;
            types[page.doc_type as usize] += 1;
            statuses[page.status as usize] += 1;
            for tag in &page.tags {
                tags[*tag as usize] += 1;
            }
        }
        FacetCounts {
            total,
            domains: self.domains.ranked(&domains, usize::MAX),
            types: self.types.ranked(&types, usize::MAX),
            tags: self.tags.ranked(&tags, top_tags),
            statuses: self.statuses.ranked(&statuses, usize::MAX),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_rank_by_frequency_then_value() {
        let mut table = FacetTable::default();
        let tags = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let pages = [
            table.ids("ops", "guide", "active", &tags(&["b", "a"])),
            table.ids("svc", "guide", "active", &tags(&["a"])),
            table.ids("ops", "runbook", "draft", &tags(&["c"])),
        ];
        let counts = table.count(pages.iter(), 2);
        assert_eq!(counts.total, 3);
        assert_eq!(counts.domains, [("ops", 2), ("svc", 1)]);
        assert_eq!(counts.types, [("guide", 2), ("runbook", 1)]);
        assert_eq!(counts.tags, [("a", 2), ("b", 1)], "ties by value, top two");
        let counts = table.count(pages[2..].iter(), 50);
        assert_eq!(
            counts.statuses,
            [("draft", 1)],
            "values not counted are left out"
        );
    }
}
