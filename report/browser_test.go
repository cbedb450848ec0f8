package report

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath is the browser the test drives; GILBENCH_CHROMIUM overrides.
func chromiumPath() string {
	if p := os.Getenv("GILBENCH_CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// browser starts headless Chromium with the flags this machine needs
// (no network: without them it hangs on connections) and a fresh
// profile. Everything is stopped and removed at the end of the test.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath()
	if _, err := exec.LookPath(path); err != nil {
		t.Skipf("no Chromium at %s (apt-get install chromium, or set GILBENCH_CHROMIUM): %v", path, err)
	}
	profile, err := os.MkdirTemp("", "gilbench-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Chromium's helpers may still write there for a moment
		// after the browser stops.
		for i := 0; ; i++ {
			if err := os.RemoveAll(profile); err == nil || i == 50 {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	ctx, cancelTimeout := context.WithTimeout(context.Background(), 2*time.Minute)
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900), // the width the report must fit without scrolling sideways
	)
	bctx, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
		cancelTimeout()
	})
	return bctx
}

// pageCheck is what a person would notice when opening a page.
type pageCheck struct {
	Images  []imageState
	Console []chromedp.ConsoleMessage
	Visible map[string]bool
	Verdict string
	Answer  string
	// Overflow is how many pixels the page is wider than the window.
	Overflow   int
	Screenshot []byte
}

type imageState struct {
	Src      string `json:"src"`
	Alt      string `json:"alt"`
	Complete bool   `json:"complete"`
	Width    int    `json:"width"`
}

const sentinel = "gilbench-console-sentinel"

// checkPage opens url in a new tab of the browser, runs the script setup
// (if any: what a reader clicks), and collects the images' state, the
// console messages, the visibility of the selectors and a full-page
// screenshot.
func checkPage(bctx context.Context, url, setup string, selectors []string) (*pageCheck, error) {
	ctx, cancel := chromedp.NewContext(bctx)
	defer cancel()
	// Subscribe to the console before loading, and read it on a
	// goroutine until the sentinel message arrives.
	messages := chromedp.Console(ctx)
	var (
		mu   sync.Mutex
		msgs []chromedp.ConsoleMessage
	)
	gotSentinel := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Text == sentinel {
				close(gotSentinel)
				return
			}
			mu.Lock()
			msgs = append(msgs, m)
			mu.Unlock()
		}
	}()
	defer func() { cancel(); <-done }()

	pc := &pageCheck{Visible: map[string]bool{}}
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		return nil, fmt.Errorf("navigate: %w", err)
	}
	var err error
	if setup != "" {
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](setup)); err != nil {
			return nil, fmt.Errorf("setup: %w", err)
		}
	}
	pc.Images, err = chromedp.Run(ctx, chromedp.Evaluate[[]imageState](`Array.from(document.images).map(i => ({src: i.src.slice(0, 40), alt: i.alt, complete: i.complete, width: i.naturalWidth}))`))
	if err != nil {
		return nil, fmt.Errorf("images: %w", err)
	}
	for _, sel := range selectors {
		js := fmt.Sprintf(`(() => {
			const all = Array.from(document.querySelectorAll(%q));
			return all.length > 0 && all.every(e => {
				const r = e.getBoundingClientRect(), s = getComputedStyle(e);
				return r.width > 0 && r.height > 0 && s.visibility !== "hidden" && s.display !== "none";
			});
		})()`, sel)
		v, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		if err != nil {
			return nil, fmt.Errorf("visible %s: %w", sel, err)
		}
		pc.Visible[sel] = v
	}
	pc.Verdict, err = chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector("#verdict") || {innerText: ""}).innerText`))
	if err != nil {
		return nil, err
	}
	pc.Answer, err = chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector("#answer") || {innerText: ""}).innerText`))
	if err != nil {
		return nil, err
	}
	pc.Overflow, err = chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - document.documentElement.clientWidth`))
	if err != nil {
		return nil, fmt.Errorf("overflow: %w", err)
	}
	pc.Screenshot, err = chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return nil, fmt.Errorf("screenshot: %w", err)
	}
	// Messages arrive in order: once the sentinel is in, so is every
	// message the page wrote before it.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](`console.log(`+fmt.Sprintf("%q", sentinel)+`)`)); err != nil {
		return nil, err
	}
	select {
	case <-gotSentinel:
	case <-time.After(10 * time.Second):
		return nil, fmt.Errorf("console messages did not arrive")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	mu.Lock()
	pc.Console = msgs
	mu.Unlock()
	return pc, nil
}

// problems lists what is wrong with a checked page.
func (pc *pageCheck) problems() []string {
	var out []string
	for _, im := range pc.Images {
		if !im.Complete || im.Width == 0 {
			out = append(out, fmt.Sprintf("image %q (%s…) did not load", im.Alt, im.Src))
		}
	}
	for _, m := range pc.Console {
		if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException {
			out = append(out, "console "+m.String())
		}
	}
	for sel, v := range pc.Visible {
		if !v {
			out = append(out, sel+" is not visible")
		}
	}
	return out
}

func fileURL(path string) string {
	abs, _ := filepath.Abs(path)
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
}

// TestBrowser opens report.html in headless Chromium: every image loads,
// the console stays clean, the verdict and the tables are visible. A
// screenshot is saved in the test's temporary directory.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	bctx := browser(t)
	out := t.TempDir()
	r, err := Build(context.Background(), Options{
		Inputs:    []Input{{Label: "synthetic-run", Path: "testdata/synthetic-run.txt"}},
		OutDir:    out,
		Workloads: workloadFiles,
	})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("emulated beside real", func(t *testing.T) {
		rc, err := Build(context.Background(), Options{Inputs: []Input{{Path: "testdata/synthetic-cpython.txt"}}, OutDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		pc, err := checkPage(bctx, fileURL(rc.HTML), "", []string{"#answer li.answer", "#glossary table#modes", "table#pairs", "#sidebyside .plots img", ".plots img"})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pc.problems() {
			t.Error(p)
		}
		if pc.Overflow > 0 {
			t.Errorf("the page is %d px wider than a 1280 px window", pc.Overflow)
		}
	})

	t.Run("free-threaded profiles", func(t *testing.T) {
		// Two more columns per table (ft=3.13, ft=3.14) and a 3.14t pair:
		// the page stays clean and fits the window.
		rf, err := Build(context.Background(), Options{Inputs: []Input{{Path: "testdata/synthetic-freethreaded.txt"}}, OutDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		pc, err := checkPage(bctx, fileURL(rf.HTML), "", []string{"#answer li.answer", "#glossary table#modes", "#anchors li.anchor",
			"table#pairs", "section.workload table.cmp", ".plots img"})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pc.problems() {
			t.Error(p)
		}
		if pc.Overflow > 0 {
			t.Errorf("the page is %d px wider than a 1280 px window", pc.Overflow)
		}
		if !strings.Contains(pc.Answer, "free-threaded CPython 3.14t") {
			t.Errorf("the answer does not name free-threaded CPython 3.14t: %q", pc.Answer)
		}
	})

	t.Run("checker catches errors", func(t *testing.T) {
		// The checks must fail on a page that is broken on purpose.
		bad := filepath.Join(t.TempDir(), "bad.html")
		page := `<!DOCTYPE html><html><body><section id="verdict">x</section>
<img alt="broken" src="data:image/png;base64,AAAA">
<table class="cmp" style="display:none"><tr><td>1</td></tr></table>
<script>console.error("boom")</script></body></html>`
		if err := os.WriteFile(bad, []byte(page), 0o644); err != nil {
			t.Fatal(err)
		}
		pc, err := checkPage(bctx, fileURL(bad), "", []string{"#verdict", "table.cmp"})
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Join(pc.problems(), "\n")
		for _, want := range []string{`image "broken"`, "console error: boom", "table.cmp is not visible"} {
			if !strings.Contains(got, want) {
				t.Errorf("the checks missed %q; they found:\n%s", want, got)
			}
		}
	})

	t.Run("report", func(t *testing.T) {
		selectors := []string{"#answer li.answer", "#rules li.rule", "#glossary table#strategies", "#glossary table#modes",
			"#glossary table#workloads", "#anchors li.anchor", "#answer a.src", "pre.src", "#verdict li", "#meta table",
			"section.workload table.cmp", ".plots img"}
		// A reader opens every workload's source: it shows, and the page
		// still fits the window.
		open := `document.querySelectorAll("details.src").forEach(d => d.open = true)`
		pc, err := checkPage(bctx, fileURL(r.HTML), open, selectors)
		if err != nil {
			t.Fatal(err)
		}
		shot := filepath.Join(t.TempDir(), "report.png")
		if err := os.WriteFile(shot, pc.Screenshot, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s (%d bytes)", shot, len(pc.Screenshot))
		if dir := os.Getenv("GILBENCH_SCREENSHOT_DIR"); dir != "" {
			os.WriteFile(filepath.Join(dir, "report-screenshot.png"), pc.Screenshot, 0o644)
		}
		if len(pc.Images) != len(r.Plots) {
			t.Errorf("page has %d images; the report drew %d plots", len(pc.Images), len(r.Plots))
		}
		for _, p := range pc.problems() {
			t.Error(p)
		}
		if !strings.Contains(pc.Verdict, "faster than gil") {
			t.Errorf("verdict does not say who is faster: %q", pc.Verdict)
		}
		if !strings.Contains(pc.Answer, "use ") || !strings.Contains(pc.Answer, "Why:") {
			t.Errorf("the answer names no strategy with its evidence: %q", pc.Answer)
		}
		if pc.Overflow > 0 {
			t.Errorf("the page is %d px wider than a 1280 px window", pc.Overflow)
		}
		if len(pc.Screenshot) < 10000 {
			t.Errorf("screenshot is only %d bytes", len(pc.Screenshot))
		}
	})
}

// workloadFiles describes the workloads that have a Python file in
// ../workloads/py, as gilbench's catalogue does (the report does not
// import it).
func workloadFiles(name string) (WorkloadDoc, bool) {
	file := strings.ReplaceAll(name, "-", "_") + ".py"
	src, err := os.ReadFile(filepath.Join("..", "workloads", "py", file))
	if err != nil {
		return WorkloadDoc{}, false
	}
	return WorkloadDoc{Description: "the " + name + " workload", File: file, Python: string(src)}, true
}
