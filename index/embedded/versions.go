package embedded

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/document"
	bleveindex "github.com/blevesearch/bleve_index_api"
	"go.uber.org/zap"

	"github.com/newswire/newswire/article"
	"github.com/newswire/newswire/index"
)

// Where versions live.
//
// Each document carries its version (index.DocVersion) as the stored-only
// numeric field fieldVersion, added to the mapped document by
// mappedDoc. The version is therefore written, replaced and deleted
// together with its document in one Bleve batch: there is no crash in
// which a document is on disk without its version or the other way
// round, and retention's delete removes both. The crash cases:
//   - before Bleve has persisted the batch: neither documents nor versions
//     are on disk; IndexBatch had not returned, so the caller never
//     committed its offsets and the batch is delivered again.
//   - after the batch is persisted, before the caller's offset commit: the
//     batch is delivered again; each copy has the stored version, which
//     passes the "same or newer" check and rewrites the same document.
//   - during the migration below: every migration batch is atomic and the
//     marker is written last, so the next Open moves what is left.
//
// Earlier builds kept versions as Bleve internal values (prefixVersion +
// id). Bleve's persister copies every internal value into each snapshot
// it saves, so every save grew with the number of articles. Open moves
// such values into their documents once (migrateVersions) and records
// internalVersions so later opens skip the scan.

// internalVersions marks an index whose versions are document fields; its
// value is versionsInDocs.
const (
	internalVersions = "newswire:versions"
	versionsInDocs   = "document-field"
)

// migrateBatch is how many documents one migration batch rewrites.
const migrateBatch = 500

// mappedDoc maps doc with the index mapping and adds its version as a
// stored field and its subject countries (doc[fieldSubjects], which the
// static mapping ignores) as keywords with doc values. Both fields are
// outside the mapping on purpose: indexes created before they existed
// keep their mapping. The version is never searched, only read back by
// id.
func mappedDoc(idx bleve.Index, id string, doc map[string]any, version int64) (*document.Document, error) {
	d := document.NewDocument(id)
	if err := idx.Mapping().MapDocument(d, doc); err != nil {
		return nil, err
	}
	d.AddField(document.NewNumericFieldWithIndexingOptions(fieldVersion, nil, float64(version), bleveindex.StoreField))
	subjects, _ := doc[fieldSubjects].([]string)
	for i, code := range subjects {
		// No analyzer: the whole value is one term, as in a keyword field.
		d.AddField(document.NewTextFieldWithIndexingOptions(fieldSubjects, []uint64{uint64(i)}, []byte(code), bleveindex.IndexField|bleveindex.DocValues))
	}
	return d, nil
}

// storedVersion returns the version stored with document id, and whether
// the document exists and has one. r is a reader of one index snapshot.
func storedVersion(r bleveindex.IndexReader, id string) (int64, bool, error) {
	d, err := r.Document(id)
	if err != nil || d == nil {
		return 0, false, err
	}
	var (
		v     float64
		found bool
		ferr  error
	)
	d.VisitFields(func(f bleveindex.Field) {
		if found || f.Name() != fieldVersion {
			return
		}
		n, ok := f.(interface{ Number() (float64, error) })
		if !ok {
			ferr = fmt.Errorf("version field of %s is not numeric", id)
			return
		}
		v, ferr = n.Number()
		found = ferr == nil
	})
	if ferr != nil {
		return 0, false, ferr
	}
	return int64(v), found, nil
}

// reader opens a reader of the current snapshot of idx; the caller
// closes it.
func reader(idx bleve.Index) (bleveindex.IndexReader, error) {
	adv, err := idx.Advanced()
	if err != nil {
		return nil, err
	}
	return adv.Reader()
}

// migrateVersions moves versions kept as internal values into their
// documents: each batch rewrites documents from their stored article with
// the version field and deletes the internal values in the same Bleve
// batch, so a crash part way leaves every document with exactly one
// version (old or new place) and a rerun picks up where it stopped. The
// marker is written last. It returns how many documents it rewrote.
func migrateVersions(idx bleve.Index, log *zap.Logger) (int, error) {
	return migrate(idx, migrateChunk, internalVersions, versionsInDocs, "version layout", "versions moved into documents", log)
}

// migrate runs chunk over every document id, migrateBatch at a time, then
// records marker = value, so that a crash part way leaves the marker
// unset and the next Open runs the migration again (chunks must be safe to
// rerun). It returns how many documents the chunks rewrote; layout names
// the migration in errors, done in the log.
func migrate(idx bleve.Index, chunk func(bleve.Index, []string) (int, error), marker, value, layout, done string, log *zap.Logger) (int, error) {
	ids, err := allIDs(idx)
	if err != nil {
		return 0, fmt.Errorf("list documents: %w", err)
	}
	n := 0
	for start := 0; start < len(ids); start += migrateBatch {
		k, err := chunk(idx, ids[start:min(start+migrateBatch, len(ids))])
		n += k
		if err != nil {
			return n, err
		}
	}
	if err := idx.SetInternal([]byte(marker), []byte(value)); err != nil {
		return n, fmt.Errorf("record %s: %w", layout, err)
	}
	if n > 0 {
		log.Info(done, zap.Int("documents", n))
	}
	return n, nil
}

func migrateChunk(idx bleve.Index, ids []string) (int, error) {
	r, err := reader(idx)
	if err != nil {
		return 0, err
	}
	batch := idx.NewBatch()
	moved := 0
	for _, id := range ids {
		key := []byte(prefixVersion + id)
		b, err := r.GetInternal(key)
		if err != nil {
			return 0, errors.Join(fmt.Errorf("read version of %s: %w", id, err), r.Close())
		}
		if len(b) != 8 {
			continue // already moved, or never had one
		}
		doc, err := storedDoc(r, id)
		if err != nil {
			return 0, errors.Join(err, r.Close())
		}
		d, err := mappedDoc(idx, id, doc, int64(binary.BigEndian.Uint64(b)))
		if err != nil {
			return 0, errors.Join(fmt.Errorf("rebuild %s: %w", id, err), r.Close())
		}
		if err := batch.IndexAdvanced(d); err != nil {
			return 0, errors.Join(fmt.Errorf("rebuild %s: %w", id, err), r.Close())
		}
		batch.DeleteInternal(key)
		moved++
	}
	if err := r.Close(); err != nil {
		return 0, err
	}
	if moved == 0 {
		return 0, nil
	}
	if err := idx.Batch(batch); err != nil {
		return 0, fmt.Errorf("write moved versions: %w", err)
	}
	return moved, nil
}

// storedDoc rebuilds the indexed form of document id from its stored
// article, exactly as IndexBatch built it.
func storedDoc(r bleveindex.IndexReader, id string) (map[string]any, error) {
	d, err := r.Document(id)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", id, err)
	}
	if d == nil {
		return nil, fmt.Errorf("read %s: %w", id, index.ErrNotFound)
	}
	var raw []byte
	d.VisitFields(func(f bleveindex.Field) {
		if f.Name() == fieldArticle {
			raw = f.Value()
		}
	})
	var e article.Enriched
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, fmt.Errorf("decode stored article %s: %w", id, err)
	}
	doc, err := buildDoc(&e)
	if err != nil {
		return nil, fmt.Errorf("rebuild %s: %w", id, err)
	}
	return doc, nil
}

// allIDs lists the ids of every document in idx.
func allIDs(idx bleve.Index) ([]string, error) {
	r, err := reader(idx)
	if err != nil {
		return nil, err
	}
	ids, err := readIDs(r)
	return ids, errors.Join(err, r.Close())
}

func readIDs(r bleveindex.IndexReader) ([]string, error) {
	dr, err := r.DocIDReaderAll()
	if err != nil {
		return nil, err
	}
	var ids []string
	for {
		iid, err := dr.Next()
		if err != nil {
			return nil, errors.Join(err, dr.Close())
		}
		if iid == nil {
			break
		}
		id, err := r.ExternalID(iid)
		if err != nil {
			return nil, errors.Join(err, dr.Close())
		}
		ids = append(ids, id)
	}
	return ids, dr.Close()
}
