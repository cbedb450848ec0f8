package workloads

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"gilbench/interp"
)

// httpLatency is the server's delay before each response.
const httpLatency = 2 * time.Millisecond

func init() {
	Register(&Workload{
		Name:         "http",
		Class:        IO,
		Description:  "size keep-alive GETs from a loopback net/http server with 2 ms latency; the request releases the lock",
		DefaultSize:  4,
		DefaultTasks: 16,
		QuickSize:    1,
		QuickTasks:   16,
		Natives: func(p Params, l *Local) ([]*interp.Native, error) {
			cl, err := httpClient(p, l)
			if err != nil {
				return nil, err
			}
			return []*interp.Native{{
				Name: "http_get", NArgs: 1, Releases: true,
				Fn: func(_ *interp.Thread, args []interp.Value) (interp.Value, error) {
					v, err := cl.get(context.Background(), int64(args[0]))
					return interp.Value(v), err
				},
			}}, nil
		},
		Twin: func(ctx context.Context, p Params, i, size int64) (int64, error) {
			l, err := localFrom(ctx)
			if err != nil {
				return 0, fmt.Errorf("http: %w", err)
			}
			cl, err := httpClient(p, l)
			if err != nil {
				return 0, err
			}
			var acc int64
			for k := range size {
				v, err := cl.get(ctx, i*size+k)
				if err != nil {
					return 0, err
				}
				acc += v
			}
			return acc, nil
		},
		Want: func(i, size int64) int64 {
			var acc int64
			for k := range size {
				acc += httpValue(i*size + k)
			}
			return acc
		},
		Setup: func(context.Context, int64) (*Env, error) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				return nil, fmt.Errorf("http: %w", err)
			}
			srv := &http.Server{Handler: httpHandler(httpLatency), ReadHeaderTimeout: ioTimeout}
			served := make(chan error, 1)
			go func() { served <- srv.Serve(ln) }()
			url := "http://" + ln.Addr().String() + "/v"
			env := &Env{Params: Params{"url": url, "latency": httpLatency.String()}}
			env.OnClose(func() error {
				ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
				defer cancel()
				err := srv.Shutdown(ctx)
				if serr := <-served; !errors.Is(serr, http.ErrServerClosed) && err == nil {
					err = serr
				}
				return err
			})
			return env, nil
		},
	})
}

// httpValue is what the server answers for x.
func httpValue(x int64) int64 { return int64(mix64(uint64(x)) >> 1) }

// httpHandler answers GET ?x=N with the decimal httpValue(N) after latency.
func httpHandler(latency time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		x, err := strconv.ParseInt(r.URL.Query().Get("x"), 10, 64)
		if err != nil {
			http.Error(w, "want ?x=integer", http.StatusBadRequest)
			return
		}
		delay := time.NewTimer(latency)
		defer delay.Stop()
		select {
		case <-delay.C:
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, strconv.FormatInt(httpValue(x), 10))
	})
}

// httpClients is a pool's keep-alive client of one server, shared by every thread and
// goroutine of the pool (as a requests.Session or an http.Client is). It lives in the
// pool's Local.
type httpClients struct {
	url string
	c   *http.Client
	tr  *http.Transport

	closed atomic.Bool
}

func httpClient(p Params, l *Local) (*httpClients, error) {
	url := p["url"]
	if url == "" {
		return nil, errors.New(`http: Params have no "url"`)
	}
	cl, err := localResource(l, "http "+url, func() (*httpClients, error) {
		tr := &http.Transport{
			// Enough idle connections that every worker keeps its own alive (the
			// default of 2 a host would make most requests dial).
			MaxIdleConns:        256,
			MaxIdleConnsPerHost: 256,
			IdleConnTimeout:     time.Minute,
			DisableCompression:  true,
		}
		return &httpClients{url: url, tr: tr, c: &http.Client{Transport: tr, Timeout: ioTimeout}}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("http: %w", err)
	}
	return cl, nil
}

func (h *httpClients) get(ctx context.Context, x int64) (int64, error) {
	if h.closed.Load() {
		return 0, fmt.Errorf("http: %s: %w", h.url, errClosed)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.url+"?x="+strconv.FormatInt(x, 10), nil)
	if err != nil {
		return 0, fmt.Errorf("http: %w", err)
	}
	resp, err := h.c.Do(req)
	if err != nil {
		return 0, fmt.Errorf("http: %w", err)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64))
	resp.Body.Close()
	if err != nil {
		return 0, fmt.Errorf("http: %s: %w", req.URL, err)
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("http: %s: %s: %s", req.URL, resp.Status, strings.TrimSpace(string(body)))
	}
	v, err := strconv.ParseInt(string(body), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("http: %s: body: %w", req.URL, err)
	}
	return v, nil
}

// Close closes the idle connections (and with them their goroutines) and makes later
// requests fail.
func (h *httpClients) Close() error {
	h.closed.Store(true)
	h.tr.CloseIdleConnections()
	return nil
}
