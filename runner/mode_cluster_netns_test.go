//go:build linux

package runner

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gilbench/cluster"
)

// The network-namespace test: the server (and the runner) in one namespace, two
// workers in another, joined by a veth pair with addresses of the test's own
// (10.99.0.1 and 10.99.0.2). The cell's traffic crosses a network interface, not
// loopback: the test checks the bytes the workers' interface received.
const (
	netnsRoleEnv = "GILBENCH_NETNS_ROLE" // coordinator or worker
	netnsURLEnv  = "GILBENCH_NETNS_URL"
	netnsSrvAddr = "10.99.0.1"
	netnsWrkAddr = "10.99.0.2"
	netnsPort    = 4222
)

func TestClusterAcrossNetworkNamespaces(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to make network namespaces")
	}
	ipCmd, err := exec.LookPath("ip")
	if err != nil {
		t.Skip("no ip command (iproute2) to make network namespaces")
	}
	self, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	id := strconv.Itoa(os.Getpid() % 100000)
	srvNS, wrkNS := "gb-srv-"+id, "gb-wrk-"+id
	srvIf, wrkIf := "gbs"+id, "gbw"+id
	ip := func(args ...string) error {
		out, err := exec.CommandContext(ctx, ipCmd, args...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	if err := ip("netns", "add", srvNS); err != nil {
		t.Skipf("cannot make a network namespace here: %v", err)
	}
	t.Cleanup(func() { _ = exec.Command(ipCmd, "netns", "del", srvNS).Run() })
	if err := ip("netns", "add", wrkNS); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = exec.Command(ipCmd, "netns", "del", wrkNS).Run() })
	for _, args := range [][]string{
		{"link", "add", srvIf, "type", "veth", "peer", "name", wrkIf},
		{"link", "set", srvIf, "netns", srvNS},
		{"link", "set", wrkIf, "netns", wrkNS},
		{"-n", srvNS, "addr", "add", netnsSrvAddr + "/24", "dev", srvIf},
		{"-n", wrkNS, "addr", "add", netnsWrkAddr + "/24", "dev", wrkIf},
		{"-n", srvNS, "link", "set", "lo", "up"},
		{"-n", wrkNS, "link", "set", "lo", "up"},
		{"-n", srvNS, "link", "set", srvIf, "up"},
		{"-n", wrkNS, "link", "set", wrkIf, "up"},
	} {
		if err := ip(args...); err != nil {
			t.Fatal(err)
		}
	}
	url := fmt.Sprintf("nats://%s:%d", netnsSrvAddr, netnsPort)
	helper := func(ns, role string) (*exec.Cmd, io.ReadCloser) {
		cmd := exec.CommandContext(ctx, ipCmd, "netns", "exec", ns, self, "-test.run=^TestClusterNetnsHelper$", "-test.v")
		cmd.Env = append(os.Environ(), netnsRoleEnv+"="+role, netnsURLEnv+"="+url)
		cmd.Stderr = os.Stderr
		cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
		cmd.WaitDelay = 10 * time.Second
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Every helper is waited for, whatever the test's end (a second Wait only
		// returns an error).
		t.Cleanup(func() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			_ = cmd.Wait()
		})
		return cmd, out
	}
	coord, coordOut := helper(srvNS, "coordinator")
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(coordOut)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	wait := func(prefix string) string {
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("the coordinator ended before %q", prefix)
				}
				if strings.HasPrefix(l, prefix) {
					return l
				}
			case <-ctx.Done():
				t.Fatalf("waiting for %q: %v", prefix, ctx.Err())
			}
		}
	}
	wait("NETNS-READY")
	var workers []*exec.Cmd
	for range 2 {
		w, out := helper(wrkNS, "worker")
		go io.Copy(io.Discard, out)
		workers = append(workers, w)
	}
	result := wait("NETNS-RESULT")
	t.Log(result)
	// The workers go first: once the coordinator has stopped its server, a worker
	// could see its watch of the cells end before its SIGTERM.
	for _, w := range workers {
		_ = w.Process.Signal(syscall.SIGTERM)
		if err := w.Wait(); err != nil {
			t.Errorf("worker: %v", err)
		}
	}
	if err := coord.Wait(); err != nil {
		var rest []string
		for l := range lines {
			rest = append(rest, l)
		}
		t.Errorf("coordinator: %v; its last words:\n%s", err, strings.Join(rest, "\n"))
	}
	if !strings.Contains(result, "checksum=ok") {
		t.Fatalf("coordinator says %q; want checksum=ok", result)
	}
	out, err := exec.CommandContext(ctx, ipCmd, "netns", "exec", wrkNS, "cat", "/sys/class/net/"+wrkIf+"/statistics/rx_bytes").Output()
	if err != nil {
		t.Fatal(err)
	}
	rx, _ := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
	if rx < 10_000 {
		t.Errorf("the workers' interface received %d bytes; want the cell's traffic (more than 10 kB)", rx)
	}
	t.Logf("the workers' interface %s received %d bytes", wrkIf, rx)
}

// TestClusterNetnsHelper is the test binary acting as the coordinator (server and
// runner) or as a worker of TestClusterAcrossNetworkNamespaces; skipped otherwise.
func TestClusterNetnsHelper(t *testing.T) {
	role := os.Getenv(netnsRoleEnv)
	if role == "" {
		t.Skip("helper of TestClusterAcrossNetworkNamespaces")
	}
	url := os.Getenv(netnsURLEnv)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	switch role {
	case "worker":
		if err := ServeCluster(ctx, url, 1, nil); err != nil {
			t.Fatal(err)
		}
	case "coordinator":
		srv, err := cluster.StartServer(cluster.ServerOptions{Host: netnsSrvAddr, Port: netnsPort, StoreDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Shutdown()
		fmt.Println("NETNS-READY")
		s := DefaultSettings()
		s.NATS, s.RemoteWorkers = url, true
		sess, err := Open(ctx, clusterCell(t, "primes", 2), nil, s)
		if err != nil {
			t.Fatal(err)
		}
		defer sess.Close()
		sample, err := sess.Measure(ctx, 2, 16)
		if err != nil {
			fmt.Println("NETNS-RESULT", err)
			t.Fatal(err)
		}
		fmt.Printf("NETNS-RESULT checksum=ok tasks=%d elapsed=%v\n", sample.Tasks, sample.Batch.Elapsed)
	}
}
