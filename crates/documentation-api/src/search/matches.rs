//! From tantivy's documents to the pages they index: [`PageTable`] reads every
//! document's page ordinal once, when the index is built, and [`PageOrdinals`] collects
//! every page a query matches through it, with nothing hashed on the way (tantivy's
//! `DocSetCollector` gathers a hash set of addresses).

use std::sync::Arc;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader, TantivyError};

/// Each segment's documents' page ordinals, by document id (shared with the segment
/// collectors, which tantivy requires to own what they hold).
pub struct PageTable(Vec<Arc<[u32]>>);

impl PageTable {
    pub fn of(searcher: &tantivy::Searcher) -> tantivy::Result<Self> {
        let mut segments = Vec::with_capacity(searcher.segment_readers().len());
        for reader in searcher.segment_readers() {
            let column = reader.fast_fields().u64("ord")?;
            let pages = (0..reader.max_doc())
                .map(|doc| {
                    column
                        .first(doc)
                        .and_then(|ord| u32::try_from(ord).ok())
                        .ok_or_else(|| {
                            TantivyError::InternalError("a document without its page".into())
                        })
                })
                .collect::<tantivy::Result<Arc<[u32]>>>()?;
            segments.push(pages);
        }
        Ok(Self(segments))
    }

    pub fn page(&self, address: DocAddress) -> Option<u32> {
        self.0
            .get(address.segment_ord as usize)?
            .get(address.doc_id as usize)
            .copied()
    }
}

pub struct PageOrdinals<'a>(pub &'a PageTable);

pub struct SegmentPageOrdinals {
    pages: Arc<[u32]>,
    ordinals: Vec<u32>,
}

impl Collector for PageOrdinals<'_> {
    type Fruit = Vec<u32>;
    type Child = SegmentPageOrdinals;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        _reader: &SegmentReader,
    ) -> tantivy::Result<SegmentPageOrdinals> {
        let pages = self.0.0.get(segment as usize).cloned().ok_or_else(|| {
            TantivyError::InternalError("a segment the page table does not know".into())
        })?;
        Ok(SegmentPageOrdinals {
            pages,
            ordinals: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, segments: Vec<Vec<u32>>) -> tantivy::Result<Vec<u32>> {
        Ok(segments.concat())
    }
}

impl SegmentCollector for SegmentPageOrdinals {
    type Fruit = Vec<u32>;

    fn collect(&mut self, doc: DocId, _score: Score) {
        self.ordinals.extend(self.pages.get(doc as usize));
    }

    fn harvest(self) -> Vec<u32> {
        self.ordinals
    }
}
