package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// TestWorkerUnreachableServer: `gilbench worker` pointed at nothing says so within
// seconds, with exit status 1.
func TestWorkerUnreachableServer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var stderr bytes.Buffer
	t0 := time.Now()
	err = run(ctx, []string{"worker", "-nats", "nats://" + addr}, io.Discard, &stderr)
	if err == nil || !strings.Contains(err.Error(), "cannot reach the server") {
		t.Fatalf("err = %v; want cannot reach the server", err)
	}
	if code := exitCode(err, io.Discard); code != 1 {
		t.Errorf("exit code %d; want 1", code)
	}
	if d := time.Since(t0); d > 10*time.Second {
		t.Errorf("failed after %v; want within seconds", d)
	}
}

func TestWorkerNeedsURL(t *testing.T) {
	err := run(context.Background(), []string{"worker"}, io.Discard, io.Discard)
	if code := exitCode(err, io.Discard); code != 2 {
		t.Fatalf("err = %v, exit code %d; want a usage error (2)", err, code)
	}
}
