package cluster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// DefaultConnectTimeout bounds the first connection to the server: a worker or a runner
// that cannot reach it fails with an error this soon, never hangs.
const DefaultConnectTimeout = 3 * time.Second

// reconnectFor is how long a connection that had the server keeps trying to get it
// back (a restarted server, a network blip) before it gives up.
const (
	reconnectWait = 100 * time.Millisecond
	reconnectFor  = time.Minute
)

// Connect connects to the server at url as name. The first connection must succeed
// within timeout (0: DefaultConnectTimeout); later losses are retried for a minute.
func Connect(url, name string, timeout time.Duration) (*nats.Conn, error) {
	if timeout <= 0 {
		timeout = DefaultConnectTimeout
	}
	nc, err := nats.Connect(url,
		nats.Name(name),
		nats.Timeout(timeout),
		nats.ReconnectWait(reconnectWait),
		nats.MaxReconnects(int(reconnectFor/reconnectWait)),
		nats.ReconnectJitter(10*time.Millisecond, 10*time.Millisecond),
		// Publishes made while reconnecting wait in the client, up to 8 MiB.
		nats.ReconnectBufSize(8<<20),
	)
	if err != nil {
		return nil, fmt.Errorf("cluster: cannot reach the server at %s within %v: %w", url, timeout, err)
	}
	return nc, nil
}

// Streams and the bucket, as every runner and worker declares them (identically, so
// that whoever comes first creates them and the others find them unchanged).
var (
	jobsConfig = jetstream.StreamConfig{
		Name:      JobsStream,
		Subjects:  []string{jobsPrefix + "*"},
		Retention: jetstream.WorkQueuePolicy,
		Storage:   jetstream.FileStorage,
		Replicas:  1,
		// Jobs carry no message id (a header per job costs its parsing at every
		// delivery); a job published twice is answered twice, and the runner counts
		// the second result as a duplicate.
		Duplicates: 2 * time.Minute,
		MaxAge:     24 * time.Hour,
	}
	// The results stream keeps what it stores (limits, not a work queue): the
	// runner's acknowledgement of a result then costs the file store nothing, where a
	// work queue writes a tombstone per removal and drops and recreates its block
	// each time it runs empty — once per result message, as the runner keeps up. A
	// cell's results stay until the cell closes (and purges its subject) or MaxAge.
	resultsConfig = jetstream.StreamConfig{
		Name:       ResultsStream,
		Subjects:   []string{resultsPrefix + "*"},
		Retention:  jetstream.LimitsPolicy,
		Storage:    jetstream.FileStorage,
		Replicas:   1,
		Duplicates: 2 * time.Minute,
		MaxAge:     24 * time.Hour,
	}
	cellsConfig = jetstream.KeyValueConfig{
		Bucket:  CellsBucket,
		History: 1,
		Storage: jetstream.FileStorage,
		TTL:     24 * time.Hour,
	}
)

// declare makes sure the streams and the bucket exist and returns the bucket.
//
// What exists with our configuration is left alone rather than updated to the same
// configuration (CreateOrUpdate): an update rewrites the stream store's configuration,
// and one that arrives while another participant creates a consumer on the stream — a
// worker declaring while the runner opens a cell — is a data race inside the server's
// file store (seen under -race: fileStore.UpdateConfig against ConsumerStore).
func declare(ctx context.Context, js jetstream.JetStream) (jetstream.KeyValue, error) {
	for _, cfg := range []jetstream.StreamConfig{jobsConfig, resultsConfig} {
		if err := ensureStream(ctx, js, cfg); err != nil {
			return nil, fmt.Errorf("cluster: stream %s: %w", cfg.Name, err)
		}
	}
	kv, err := ensureBucket(ctx, js, cellsConfig)
	if err != nil {
		return nil, fmt.Errorf("cluster: bucket %s: %w", CellsBucket, err)
	}
	return kv, nil
}

// ensureStream creates the stream cfg names, or updates it if what exists differs
// from cfg in a field that cfg sets (sameStream).
func ensureStream(ctx context.Context, js jetstream.JetStream, cfg jetstream.StreamConfig) error {
	s, err := js.Stream(ctx, cfg.Name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		if _, err = js.CreateStream(ctx, cfg); !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			return err // made, or failed
		}
		s, err = js.Stream(ctx, cfg.Name) // another participant made it meanwhile
	}
	if err != nil {
		return err
	}
	if sameStream(s.CachedInfo().Config, cfg) {
		return nil
	}
	_, err = js.UpdateStream(ctx, cfg)
	return err
}

// sameStream reports whether have matches want in every field our configurations
// set (the server fills in defaults for the others).
func sameStream(have, want jetstream.StreamConfig) bool {
	return have.Name == want.Name &&
		slices.Equal(have.Subjects, want.Subjects) &&
		have.Retention == want.Retention &&
		have.Storage == want.Storage &&
		have.Replicas == want.Replicas &&
		have.Duplicates == want.Duplicates &&
		have.MaxAge == want.MaxAge
}

// ensureBucket opens the bucket cfg names, creating it if it does not exist and
// updating it if its history or TTL differ from cfg's.
func ensureBucket(ctx context.Context, js jetstream.JetStream, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	kv, err := js.KeyValue(ctx, cfg.Bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		if kv, err = js.CreateKeyValue(ctx, cfg); !errors.Is(err, jetstream.ErrBucketExists) {
			return kv, err
		}
		kv, err = js.KeyValue(ctx, cfg.Bucket)
	}
	if err != nil {
		return nil, err
	}
	st, err := kv.Status(ctx)
	if err != nil {
		return nil, err
	}
	if st.History() == int64(cfg.History) && st.TTL() == cfg.TTL {
		return kv, nil
	}
	return js.UpdateKeyValue(ctx, cfg)
}

// retry calls f until it succeeds, ctx ends or the deadline passes, backing off a
// little between tries: the calls it wraps fail while the server restarts.
func retry(ctx context.Context, within time.Duration, f func(ctx context.Context) error) error {
	deadline := time.Now().Add(within)
	wait := 20 * time.Millisecond
	for {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := f(cctx)
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return errors.Join(err, ctx.Err())
		}
		if time.Now().After(deadline) {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return errors.Join(err, ctx.Err())
		case <-t.C:
		}
		wait = min(2*wait, 500*time.Millisecond)
	}
}

// asyncTimeout bounds an asynchronous publish's wait for the stream's acknowledgement;
// a publish lost to a restarting server fails then and is published again.
const asyncTimeout = 5 * time.Second

func newJetStream(nc *nats.Conn) (jetstream.JetStream, error) {
	return jetstream.New(nc, jetstream.WithPublishAsyncTimeout(asyncTimeout), jetstream.WithPublishAsyncMaxPending(16384))
}
