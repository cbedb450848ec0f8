package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestDis(t *testing.T) {
	for _, c := range []struct {
		arg  string
		want []string
	}{
		{"../../workloads/py/fib.py", []string{"def fib", "◀ function entry", "call fib  ◀", "return fib(n - 1) + fib(n - 2)"}},
		{"../../workloads/py/countdown.py", []string{"while n > 0:", "jump_if_true .L1  ◀"}},
		{"countdown", []string{"workloads/py/countdown.py", "while n > 0:"}},
		{"lost-update", []string{"counter += 1", "store_global counter", "native value_set  ◀"}},
		{"convoy", []string{"native convoy_recv  ◀"}},
	} {
		var out, errb bytes.Buffer
		if err := run(context.Background(), []string{"dis", "-python", "none", c.arg}, &out, &errb); err != nil {
			t.Fatalf("dis %s: %v", c.arg, err)
		}
		for _, w := range c.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("dis %s: no %q in\n%s", c.arg, w, out.String())
			}
		}
	}
	var out bytes.Buffer
	err := run(context.Background(), []string{"dis"}, &out, &out)
	if !isUsage(err) {
		t.Errorf("dis without an argument: err = %v; want a usage error", err)
	}
}
