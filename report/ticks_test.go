package report

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"regexp"
	"strings"
	"testing"
)

// tickLabel matches a number as an axis label shows it, with an optional
// SI or binary prefix: "0.5", "62.5m", "8.192k", "6.104e-05", "2Mi".
var tickLabel = regexp.MustCompile(`^-?([0-9]+\.?[0-9]*)(e[-+]?[0-9]+)?(Ki|Mi|Gi|[kMGTnµm])?$`)

// sigDigits counts the significant digits of a number's mantissa.
func sigDigits(mant string) int {
	d := strings.TrimLeft(strings.ReplaceAll(mant, ".", ""), "0")
	if !strings.Contains(mant, ".") {
		d = strings.TrimRight(d, "0")
	}
	if d == "" {
		return 1
	}
	return len(d)
}

// TestSVGTickLabels: no number in any generated SVG has more than 4
// significant digits, and none is in exponent form.
func TestSVGTickLabels(t *testing.T) {
	if got := sigDigits("0.0625"); got != 3 {
		t.Fatalf("sigDigits(0.0625) = %d", got)
	}
	for _, name := range []string{"synthetic-run", "synthetic-primes", "synthetic-cpython", "compare"} {
		o := Options{Inputs: []Input{{Label: name, Path: "testdata/" + name + ".txt"}}, OutDir: t.TempDir()}
		if name == "compare" {
			o.Inputs, o.Layout = []Input{{Label: "A", Path: "testdata/compare-a.txt"}, {Label: "B", Path: "testdata/compare-b.txt"}}, ByInput
		}
		r, err := Build(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range r.Plots {
			d := xml.NewDecoder(bytes.NewReader(p.SVG))
			d.Strict = false
			inText := false
			for {
				tok, err := d.Token()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("%s.svg: %v", p.Name, err)
				}
				switch tok := tok.(type) {
				case xml.StartElement:
					inText = tok.Name.Local == "text"
				case xml.EndElement:
					inText = false
				case xml.CharData:
					s := strings.TrimSpace(string(tok))
					m := tickLabel.FindStringSubmatch(s)
					if !inText || m == nil {
						continue
					}
					if m[2] != "" || sigDigits(m[1]) > 4 {
						t.Errorf("%s.svg: label %q has more than 4 significant digits or an exponent", p.Name, s)
					}
				}
			}
		}
	}
}
