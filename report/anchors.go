package report

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
)

// Published anchors: figures that others measured for a phenomenon this
// suite measures too — Beazley's convoy (an echo server's round trips
// alone and beside one CPU-bound thread), CPython 2's GIL battle (two
// threads slower than one on two cores), the free-threaded build's
// single-thread cost — with their sources, in one data file
// (anchors.json). A chart that measures the same phenomenon draws them as
// reference marks (a glyph on a speed-up chart, a dashed line on a rate
// chart), and the report lists them with their citations and the charts
// that show them.

//go:embed anchors.json
var anchorsJSON []byte

// An Anchor is one published figure.
type Anchor struct {
	ID         string `json:"id"`
	Phenomenon string `json:"phenomenon"`
	// Chart is the kind of plot that can show it ("speedup",
	// "throughput"), Class the workload class and Unit the table's unit
	// ("" for a speed-up).
	Chart string `json:"chart"`
	Class string `json:"class"`
	Unit  string `json:"unit,omitempty"`
	// Workloads are the /workload keys whose work is the phenomenon's
	// (pure bytecode for the GIL battle, not hashing in native code); none
	// means any of the class.
	Workloads []string `json:"workloads,omitempty"`
	// Match says when a table measures the same phenomenon: it has a
	// column whose mode's strategy in Python's words is Strategy (see
	// pythonWords), in a group whose name contains Group ("" for any).
	Match []AnchorMatch `json:"match"`
	// The figure: Value (with Lo–Hi when the source gives a range) at
	// Workers workers.
	Workers int     `json:"workers"`
	Value   float64 `json:"value"`
	Lo      float64 `json:"lo,omitempty"`
	Hi      float64 `json:"hi,omitempty"`
	// Label is the chart's legend entry, Figure the sentence the report
	// lists, Source and URL the citation.
	Label  string `json:"label"`
	Figure string `json:"figure"`
	Source string `json:"source"`
	URL    string `json:"url"`
}

// An AnchorMatch is one way a table can measure an anchor's phenomenon.
// Profile, if set, is a name part the column's mode must carry as its
// profile ("ft=3.14": the free-threaded mode's 3.14t costs, profile.go):
// a published cost of the 3.14t build is the free-threaded mode's under
// that profile, not goroutine's, which models free threading at no cost.
type AnchorMatch struct {
	Strategy string `json:"strategy"`
	Group    string `json:"group,omitempty"`
	Profile  string `json:"profile,omitempty"`
}

// AnchorUse is an anchor and the charts of a run that draw it.
type AnchorUse struct {
	Anchor
	Plots []string `json:"plots"`
}

var anchors = func() []Anchor {
	var f struct {
		Anchors []Anchor `json:"anchors"`
	}
	if err := json.Unmarshal(anchorsJSON, &f); err != nil {
		panic(fmt.Sprintf("report: anchors.json: %v", err))
	}
	return f.Anchors
}()

// Anchors lists the published figures the report knows.
func Anchors() []Anchor { return append([]Anchor(nil), anchors...) }

// anchorsFor are the anchors a chart of kind drawing t shows: those of its
// kind, class and unit for which a column of t matches; words gives a
// mode's strategy in Python's words.
func anchorsFor(kind string, t *Table, words func(mode string) string) []Anchor {
	var out []Anchor
	for _, a := range anchors {
		if a.Chart != kind || a.Class != t.Class || (a.Unit != "" && a.Unit != t.Unit) ||
			(len(a.Workloads) > 0 && !contains(a.Workloads, t.Workload)) {
			continue
		}
		if anchorMatches(a, t, words) {
			out = append(out, a)
		}
	}
	return out
}

func anchorMatches(a Anchor, t *Table, words func(string) string) bool {
	for _, m := range a.Match {
		if m.Group != "" && !strings.Contains(t.Group, m.Group) {
			continue
		}
		for _, c := range t.Cols {
			if words(c.Label) != m.Strategy {
				continue
			}
			if _, prof := splitProfile(c.Label); m.Profile == "" || contains(prof, m.Profile) {
				return true
			}
		}
	}
	return false
}

// anchorUses lists every anchor with the plots of the run that draw it
// (none: the run does not measure its phenomenon).
func anchorUses(plots []*Plot) []AnchorUse {
	var out []AnchorUse
	for _, a := range anchors {
		u := AnchorUse{Anchor: a}
		for _, p := range plots {
			for _, id := range p.Anchors {
				if id == a.ID {
					u.Plots = append(u.Plots, p.Title)
				}
			}
		}
		out = append(out, u)
	}
	return out
}
