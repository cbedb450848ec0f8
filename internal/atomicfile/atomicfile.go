// Package atomicfile writes a file so that a reader sees either the old file or the
// whole new one: the data goes to a temporary file beside the target, which is synced
// and renamed into place. Every file gilbench writes whole (reports, plots, traces,
// summaries) goes through it, readable by all (0644).
package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Perm is the mode of the files written.
const Perm = 0o644

// Write writes data to path atomically.
func Write(path string, data []byte) error {
	dir, base := filepath.Dir(path), filepath.Base(path)
	f, err := os.CreateTemp(dir, "."+strings.TrimPrefix(base, ".")+".tmp*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Chmod(Perm); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
