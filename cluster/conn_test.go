package cluster

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// sameStream must compare every field our configurations set: a field it
// missed would leave a stream made by an older version unchanged.
func TestSameStreamCoversOurFields(t *testing.T) {
	for _, cfg := range []jetstream.StreamConfig{jobsConfig, resultsConfig} {
		if !sameStream(cfg, cfg) {
			t.Fatalf("%s: a configuration differs from itself", cfg.Name)
		}
		v := reflect.ValueOf(cfg)
		for i := range v.NumField() {
			if v.Field(i).IsZero() {
				continue
			}
			changed := cfg
			reflect.ValueOf(&changed).Elem().Field(i).Set(reflect.Zero(v.Field(i).Type()))
			if sameStream(changed, cfg) {
				t.Errorf("%s: sameStream ignores %s, which our configuration sets", cfg.Name, v.Type().Field(i).Name)
			}
		}
	}
}

// Declaring what exists unchanged updates nothing (an update racing a
// consumer's creation is a data race in the server); declaring over a
// stream whose configuration differs puts ours back.
func TestDeclareUpdatesOnlyWhatDiffers(t *testing.T) {
	s := startServer(t)
	nc, err := Connect(s.URL(), "test declare", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	updates := make(chan *nats.Msg, 16)
	sub, err := nc.ChanSubscribe("$JS.EVENT.ADVISORY.STREAM.UPDATED.>", updates)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for range 3 {
		if _, err := declare(ctx, js); err != nil {
			t.Fatal(err)
		}
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-updates:
		t.Fatalf("declaring existing streams updated one: %s", m.Subject)
	case <-time.After(200 * time.Millisecond):
	}

	old := resultsConfig
	old.MaxAge = time.Hour
	if _, err := js.UpdateStream(ctx, old); err != nil {
		t.Fatal(err)
	}
	select {
	case <-updates: // our own update's advisory
	case <-time.After(10 * time.Second): // not a speed check: it would wait for ever
		t.Fatal("no advisory for our own update")
	}
	if _, err := declare(ctx, js); err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(ctx, ResultsStream)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.CachedInfo().Config.MaxAge; got != resultsConfig.MaxAge {
		t.Fatalf("after declare, MaxAge = %v, want ours (%v)", got, resultsConfig.MaxAge)
	}
}
