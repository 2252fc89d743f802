//! A collector of every page a query matches, as the pages' ordinals: read from the
//! `ord` column while the matches are collected, with nothing hashed on the way (tantivy's
//! `DocSetCollector` gathers a hash set of addresses).

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

pub struct PageOrdinals;

pub struct SegmentPageOrdinals {
    column: Column<u64>,
    ordinals: Vec<u64>,
}

impl Collector for PageOrdinals {
    type Fruit = Vec<u64>;
    type Child = SegmentPageOrdinals;

    fn for_segment(
        &self,
        _segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentPageOrdinals> {
        Ok(SegmentPageOrdinals {
            column: reader.fast_fields().u64("ord")?,
            ordinals: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, segments: Vec<Vec<u64>>) -> tantivy::Result<Vec<u64>> {
        Ok(segments.concat())
    }
}

impl SegmentCollector for SegmentPageOrdinals {
    type Fruit = Vec<u64>;

    fn collect(&mut self, doc: DocId, _score: Score) {
        self.ordinals.extend(self.column.first(doc));
    }

    fn harvest(self) -> Vec<u64> {
        self.ordinals
    }
}
