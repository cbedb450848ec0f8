package report

import (
	_ "embed"
	"encoding/json"
	"fmt"
)

// The report's fixed knowledge, in one data file (strategies.json): the
// strategies a Python programmer chooses between, with the PEP or the
// documentation of each, the rule of thumb per workload class that the
// answer checks against the run, and the notes that explain the figures.
// What each mode of a run is comes from the run (its mode and note lines);
// nothing here names a mode.

//go:embed strategies.json
var strategiesJSON []byte

// A Strategy is one entry of the glossary.
type Strategy struct {
	Name   string `json:"name"`
	Python string `json:"python"`
	What   string `json:"what"`
	Doc    string `json:"doc"`
	Cite   string `json:"cite"`
}

// A classRule is a rule of thumb for a workload class and how the run
// tests it against the status quo's speed-up: "flat" (≤ flatMax),
// "scales" (≥ scalesMin) or "worse" (< 1).
type classRule struct {
	Class string `json:"class"`
	Test  string `json:"test"`
	Rule  string `json:"rule"`
}

type knowledge struct {
	Strategies []Strategy  `json:"strategies"`
	Rules      []classRule `json:"rules"`
	Notes      []string    `json:"notes"`
}

var known = func() knowledge {
	var k knowledge
	if err := json.Unmarshal(strategiesJSON, &k); err != nil {
		panic(fmt.Sprintf("report: strategies.json: %v", err))
	}
	return k
}()

// Glossary lists the strategies the report explains, whether or not the
// run has a mode for each.
func Glossary() []Strategy { return append([]Strategy(nil), known.Strategies...) }

func ruleFor(class string) (classRule, bool) {
	for _, r := range known.Rules {
		if r.Class == class {
			return r, true
		}
	}
	return classRule{}, false
}
