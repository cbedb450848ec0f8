package cpython

import (
	"errors"
	"strings"
	"testing"
)

func TestReader(t *testing.T) {
	in := `{"ev":"hello","protocol":1,"pid":7}

{"ev":"batch","elapsed_ns":5,"checksum":-3,"lat_ns":[1,2],"metrics":{"roundtrips/s":9.5}}
`
	r := NewReader(strings.NewReader(in))
	var got []Event
	for r.Scan() {
		got = append(got, r.Event())
	}
	if r.Err() != nil {
		t.Fatal(r.Err())
	}
	if len(got) != 2 || got[0].Pid != 7 || got[1].Checksum != -3 || len(got[1].Lat) != 2 || got[1].Metrics["roundtrips/s"] != 9.5 {
		t.Errorf("got %+v", got)
	}
}

func TestReaderMalformed(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"{\"ev\":\"hello\"}\n{oops\n", "driver event 2"},
		{"{\"ev\":\"what\"}\n", `unknown event "what"`},
	} {
		r := NewReader(strings.NewReader(tc.in))
		for r.Scan() {
		}
		var fe *FrameError
		if !errors.As(r.Err(), &fe) || !strings.Contains(fe.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.in, r.Err(), tc.want)
		}
	}
}
