// Package fsutil holds the file-system helpers shared by newswire's
// packages. Local files are caches of state that lives in Kafka or the
// search store, but a cache that is half written after a crash is worse
// than none, so every write is atomic and durable.
package fsutil

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// FileMode is the mode of every file WriteFileAtomic writes: owner only,
// because these files may hold webhook secrets and feed credentials.
const FileMode os.FileMode = 0o600

// WriteFileAtomic replaces path with data so that a reader, or the file
// system after a crash, sees either the old content or the new, never a
// mix. It creates path's directory (0755) when missing, writes a
// temporary file beside path, fsyncs it, renames it over path and fsyncs
// the directory so that the rename itself is durable. The file's mode is
// FileMode. Every failure is returned, including that of the directory
// sync; on failure the temporary file is removed and path is unchanged
// (unless only the directory sync failed, when path may already hold the
// new content).
func WriteFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create directory of %s: %w", path, err)
	}
	// CreateTemp opens the file with mode 0600, which is FileMode.
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("create temporary file for %s: %w", path, err)
	}
	tmp := f.Name()
	if err := writeSyncClose(f, data); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("replace %s: %w", path, err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("sync directory of %s: %w", path, err)
	}
	return nil
}

func writeSyncClose(f *os.File, data []byte) error {
	_, err := f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	return errors.Join(err, f.Close())
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}
