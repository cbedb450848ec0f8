package report

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

var update = flag.Bool("update", false, "rewrite the golden files and the synthetic inputs in testdata")

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// goldenCase is testdata/<name>.txt in (or the listed inputs), and
// testdata/<name>.golden out.
type goldenCase struct {
	name   string
	inputs []Input // default: {Label: name, Path: testdata/<name>.txt}
	layout Layout
	units  []string // tables printed as text (see SelectTables)
}

var goldenCases = []goldenCase{
	{name: "synthetic-run"},
	{name: "synthetic-primes", units: []string{"all"}},
	{name: "synthetic-cpython"},
	{name: "synthetic-freethreaded"},
	{name: "cut"},
	{name: "corrupt"},
	{name: "compare", layout: ByInput, inputs: []Input{
		{Label: "A", Path: "testdata/compare-a.txt"},
		{Label: "B", Path: "testdata/compare-b.txt"},
	}},
	{name: "bad-notbench"},
	{name: "bad-mixedunits"},
	{name: "bad-syntax"},
}

// synthFiles are the synthetic inputs, regenerated with -update.
var synthFiles = map[string]func() synthConfig{
	"synthetic-run": func() synthConfig {
		c := defaultMatrix()
		c.run, c.workloads, c.workers, c.seed = "synthetic-run", []string{"primes", "fetch", "convoy"}, []int{1, 2, 4}, 7
		return c
	},
	"synthetic-primes": func() synthConfig {
		c := defaultMatrix()
		c.run, c.workloads, c.workers, c.seed = "synthetic-primes", []string{"primes"}, []int{1, 2, 4}, 3
		return c
	},
	"synthetic-cpython": func() synthConfig {
		c := defaultMatrix()
		c.run, c.workloads, c.workers, c.seed = "synthetic-cpython", []string{"primes", "fetch"}, []int{1, 2, 4}, 5
		c.modes = []string{"sequential", "gil", "gil-legacy", "subinterp", "process", "native",
			"cpython-seq", "cpython-threads", "cpython-subinterp", "cpython-process"}
		return c
	},
	// The free-threaded mode's two profiles (ft=3.13, ft=3.14) beside
	// sequential and goroutine, and a free-threaded CPython 3.14t.
	"synthetic-freethreaded": func() synthConfig {
		c := defaultMatrix()
		c.run, c.workloads, c.workers, c.seed = "synthetic-freethreaded", []string{"primes", "counter"}, []int{1, 2, 4}, 9
		c.modes = []string{"sequential", "gil", "goroutine", "free-threaded", "cpython-seq", "cpython-threads"}
		c.ftPythons = []string{"3.14t"}
		return c
	},
	"compare-a": func() synthConfig {
		c := defaultMatrix()
		c.run, c.workloads, c.workers, c.seed = "compare-a", []string{"primes", "convoy"}, []int{1, 4}, 11
		return c
	},
	"compare-b": func() synthConfig {
		c := defaultMatrix()
		c.run, c.commit, c.workloads, c.workers, c.seed = "compare-b", "1111111", []string{"primes", "convoy"}, []int{1, 4}, 12
		c.speed = map[string]float64{"gil": 0.85, "process": 1.04}
		return c
	},
}

// TestSyntheticInputs checks that the synthetic inputs in testdata are
// what the generator makes (and rewrites them with -update), so that
// they can be regenerated when the format grows.
func TestSyntheticInputs(t *testing.T) {
	for name, cfg := range synthFiles {
		var buf bytes.Buffer
		if err := writeSynth(&buf, cfg()); err != nil {
			t.Fatal(err)
		}
		checkGolden(t, filepath.Join("testdata", name+".txt"), buf.Bytes())
	}
	// cut.txt: synthetic-primes cut in the middle of a line after
	// two thirds of the file, as an interrupted run leaves it.
	var buf bytes.Buffer
	if err := writeSynth(&buf, synthFiles["synthetic-primes"]()); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	cut := bytes.IndexByte(data[len(data)*2/3:], '\n') + len(data)*2/3 + 40
	checkGolden(t, filepath.Join("testdata", "cut.txt"), data[:cut])
	checkGolden(t, filepath.Join("testdata", "corrupt.txt"), corrupt(data))
}

// corrupt is data with one result line in the middle made unreadable, a
// letter O for a zero in its time, as a damaged file has it.
func corrupt(data []byte) []byte {
	lines := bytes.SplitAfter(data, []byte("\n"))
	i := len(lines) / 2
	for !bytes.HasPrefix(lines[i], []byte("Benchmark")) {
		i++
	}
	out := bytes.Clone(data[:0])
	for j, l := range lines {
		if j == i {
			if k := bytes.Index(l, []byte(" ns/op")); k > 0 {
				l = append(append(bytes.Clone(l[:k-1]), 'O'), l[k:]...)
			}
		}
		out = append(out, l...)
	}
	return out
}

func TestGolden(t *testing.T) {
	for _, gc := range goldenCases {
		t.Run(gc.name, func(t *testing.T) {
			inputs := gc.inputs
			if inputs == nil {
				inputs = []Input{{Label: gc.name, Path: filepath.Join("testdata", gc.name+".txt")}}
			}
			out := t.TempDir()
			r, err := Build(context.Background(), Options{Inputs: inputs, Layout: gc.layout, OutDir: out})
			var got bytes.Buffer
			if err != nil {
				fmt.Fprintf(&got, "-- error --\n%v\n", err)
				if strings.HasPrefix(gc.name, "bad-") && !isInputErr(err) {
					t.Errorf("error %v does not wrap ErrInput", err)
				}
			} else {
				if strings.HasPrefix(gc.name, "bad-") {
					t.Errorf("Build succeeded on bad input")
				}
				got.WriteString("-- text --\n")
				if err := r.WriteText(&got, gc.units); err != nil {
					t.Fatal(err)
				}
				got.WriteString("-- warnings --\n")
				for _, w := range r.Warnings {
					fmt.Fprintf(&got, "%s\t%s\n", w.Kind, w)
				}
				got.WriteString("-- files --\n")
				for _, f := range r.Files {
					rel, _ := filepath.Rel(out, f)
					fmt.Fprintln(&got, rel)
				}
				got.WriteString("-- csv --\n")
				if err := r.WriteCSV(&got); err != nil {
					t.Fatal(err)
				}
				got.WriteString("-- html --\n")
				html, err := os.ReadFile(r.HTML)
				if err != nil {
					t.Fatal(err)
				}
				outline, err := htmlOutline(bytes.NewReader(html))
				if err != nil {
					t.Fatalf("report.html does not parse: %v", err)
				}
				got.WriteString(outline)
			}
			// report.html links its inputs relative to the output directory; where the
			// checkout lives must not change the golden file.
			abs, _ := filepath.Abs("testdata")
			rel, _ := filepath.Rel(out, abs)
			checkGolden(t, filepath.Join("testdata", gc.name+".golden"), bytes.ReplaceAll(got.Bytes(), []byte(rel), []byte("$TESTDATA")))
		})
	}
}

func isInputErr(err error) bool {
	var ie *InputError
	return errors.Is(err, ErrInput) && errors.As(err, &ie)
}

// checkGolden compares got with the file; on mismatch it writes
// <file>.got (or, with -update, rewrites the file).
func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	gotPath := strings.TrimSuffix(path, filepath.Ext(path)) + ".got"
	if filepath.Ext(path) == ".txt" {
		gotPath = path + ".got"
	}
	if err := os.WriteFile(gotPath, got, 0o644); err != nil {
		t.Fatal(err)
	}
	gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(gl) || i < len(wl); i++ {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			t.Errorf("%s differs from %s at line %d:\ngot  %q\nwant %q\n(got written to %s; go test -update rewrites the golden file)", gotPath, path, i+1, g, w, gotPath)
			return
		}
	}
}

// htmlOutline reduces report.html to its structure: elements with their
// id and class, the text of headings, list items and captions, table
// headers and row labels, image sources (scheme only) and link targets.
// Plot pixels and cell numbers are left out (the text golden has them).
func htmlOutline(r io.Reader) (string, error) {
	type node struct {
		name     string
		attrs    map[string]string
		children []*node
		text     strings.Builder
	}
	root := &node{name: "#root"}
	stack := []*node{root}
	d := xml.NewDecoder(r)
	d.Strict = false
	d.AutoClose = xml.HTMLAutoClose
	d.Entity = xml.HTMLEntity
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", err
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			n := &node{name: strings.ToLower(tok.Name.Local), attrs: map[string]string{}}
			for _, a := range tok.Attr {
				n.attrs[a.Name.Local] = a.Value
			}
			top := stack[len(stack)-1]
			top.children = append(top.children, n)
			stack = append(stack, n)
		case xml.EndElement:
			if len(stack) > 1 {
				stack = stack[:len(stack)-1]
			}
		case xml.CharData:
			for _, n := range stack {
				n.text.Write(tok)
			}
		}
	}
	if len(stack) != 1 {
		return "", fmt.Errorf("%d unclosed elements (innermost <%s>)", len(stack)-1, stack[len(stack)-1].name)
	}
	norm := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	var b strings.Builder
	var walk func(n *node, depth int)
	label := func(n *node) string {
		s := n.name
		if id := n.attrs["id"]; id != "" {
			s += "#" + id
		}
		if c := n.attrs["class"]; c != "" {
			s += "." + strings.ReplaceAll(c, " ", ".")
		}
		return s
	}
	walk = func(n *node, depth int) {
		ind := strings.Repeat("  ", depth)
		switch n.name {
		case "style", "script", "meta":
			return
		case "title", "h1", "h2", "h3", "h4", "li", "p", "summary", "figcaption", "caption", "footer", "span":
			fmt.Fprintf(&b, "%s%s: %s\n", ind, label(n), norm(n.text.String()))
			for _, c := range n.children {
				if c.name == "a" || c.name == "img" {
					walk(c, depth+1)
				}
			}
			return
		case "a":
			fmt.Fprintf(&b, "%s%s href=%s: %s\n", ind, label(n), n.attrs["href"], norm(n.text.String()))
			return
		case "img":
			src := n.attrs["src"]
			if i := strings.IndexByte(src, ','); i >= 0 && strings.HasPrefix(src, "data:") {
				src = src[:i] + ",…"
			}
			fmt.Fprintf(&b, "%simg src=%s alt=%q %sx%s\n", ind, src, n.attrs["alt"], n.attrs["width"], n.attrs["height"])
			return
		case "table":
			fmt.Fprintf(&b, "%s%s\n", ind, label(n))
			for _, part := range n.children {
				switch part.name {
				case "caption":
					walk(part, depth+1)
				case "thead":
					for _, tr := range part.children {
						var hs []string
						for _, th := range tr.children {
							hs = append(hs, norm(th.text.String()))
						}
						fmt.Fprintf(&b, "%s  head: %s\n", ind, strings.Join(hs, " | "))
					}
				case "tbody", "tfoot":
					var rows []string
					for _, tr := range part.children {
						if len(tr.children) > 0 {
							rows = append(rows, norm(tr.children[0].text.String()))
						}
					}
					fmt.Fprintf(&b, "%s  %s rows: %s\n", ind, part.name, strings.Join(rows, ", "))
				}
			}
			return
		}
		if n.name != "#root" {
			fmt.Fprintf(&b, "%s%s\n", ind, label(n))
			depth++
		}
		for _, c := range n.children {
			walk(c, depth)
		}
	}
	walk(root, 0)
	return b.String(), nil
}
