package runner

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// writeTrace writes one cell's trace atomically as DIR/trace-<workload>-<mode>-<workers>.json
// (the last repetition's trace wins).
func writeTrace(dir string, c Cell, data []byte) error {
	name := fmt.Sprintf("trace-%s-%s-%d", c.Workload.Name, c.Mode.Name(), c.Workers)
	if v := c.Variant.Name(); v != "" { // cs=100/batch=1 -> cs=100-batch=1
		name += "-" + strings.ReplaceAll(v, "/", "-")
	}
	name += ".json"
	return WriteFileAtomic(filepath.Join(dir, name), data)
}

// WriteFileAtomic writes data to a temporary file beside path and renames it into place,
// so a reader sees either the old file or the whole new one.
func WriteFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+strings.TrimPrefix(filepath.Base(path), ".")+".tmp*")
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		return err
	}
	return nil
}
