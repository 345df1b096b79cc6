package embedded

import (
	"errors"
	"fmt"

	"github.com/blevesearch/bleve/v2"
	"go.uber.org/zap"
)

// Subject countries in indexes of earlier builds.
//
// The field fieldSubjects came after the first indexes were written.
// Their documents lack it, so Open rewrites each of them once from its
// stored article (storedDoc, which builds the field the way IndexBatch
// does), keeping its stored version, and then records internalSubjects.
// Articles stored before the tagger gave countries a role count every
// country as a subject (index.IsSubject), so subject filters and facets
// on old data answer as plain country ones did.
//
// A crash part way is harmless: every batch is atomic, a rewritten
// document is the same document with one more field, and the marker is
// written last, so the next Open rewrites everything again.

// internalSubjects marks an index whose documents all have their subject
// countries indexed; its value is subjectsIndexed.
const (
	internalSubjects = "newswire:subjects"
	subjectsIndexed  = "indexed"
)

// migrateSubjects rewrites every document of idx with its subject
// countries and records internalSubjects. It returns how many documents
// it rewrote.
func migrateSubjects(idx bleve.Index, log *zap.Logger) (int, error) {
	return migrate(idx, rewriteChunk, internalSubjects, subjectsIndexed, "subject layout", "subject countries indexed for stored documents", log)
}

// rewriteChunk rebuilds the documents ids from their stored articles,
// with their stored versions, in one Bleve batch.
func rewriteChunk(idx bleve.Index, ids []string) (int, error) {
	r, err := reader(idx)
	if err != nil {
		return 0, err
	}
	batch := idx.NewBatch()
	for _, id := range ids {
		v, ok, err := storedVersion(r, id)
		if err != nil {
			return 0, errors.Join(fmt.Errorf("read version of %s: %w", id, err), r.Close())
		}
		if !ok {
			return 0, errors.Join(fmt.Errorf("document %s has no version", id), r.Close())
		}
		doc, err := storedDoc(r, id)
		if err != nil {
			return 0, errors.Join(err, r.Close())
		}
		d, err := mappedDoc(idx, id, doc, v)
		if err == nil {
			err = batch.IndexAdvanced(d)
		}
		if err != nil {
			return 0, errors.Join(fmt.Errorf("rebuild %s: %w", id, err), r.Close())
		}
	}
	if err := r.Close(); err != nil {
		return 0, err
	}
	if batch.Size() == 0 {
		return 0, nil
	}
	if err := idx.Batch(batch); err != nil {
		return 0, fmt.Errorf("write rebuilt documents: %w", err)
	}
	return len(ids), nil
}
