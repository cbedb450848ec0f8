package runner

import (
	"fmt"
	"path/filepath"
	"strings"

	"gilbench/internal/atomicfile"
)

// writeTrace writes one cell's trace atomically as DIR/trace-<workload>-<mode>-<workers>.json
// (the last repetition's trace wins).
func writeTrace(dir string, c Cell, data []byte) error {
	name := fmt.Sprintf("trace-%s-%s-%d", c.Workload.Name, c.Mode.Name(), c.Workers)
	if v := c.Variant.Name(); v != "" { // cs=100/batch=1 -> cs=100-batch=1
		name += "-" + strings.ReplaceAll(v, "/", "-")
	}
	return atomicfile.Write(filepath.Join(dir, name+".json"), data)
}
