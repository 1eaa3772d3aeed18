package conformance

import (
	"strings"
	"testing"
)

// The harness's own verdicts: a harness that passes everything is no
// harness.
func TestJudge(t *testing.T) {
	eq := func(want, got []string) func() string { return func() string { return compareSets(want, got) } }
	for _, c := range []struct {
		name      string
		errorCode int
		got       answer
		compare   func() string
		fails     string // "" when the assertion must pass, else a fragment of the message
	}{
		{"same set, other order", 0, answer{list: []string{"b", "a"}}, eq([]string{"a", "b"}, []string{"b", "a"}), ""},
		{"both empty", 0, answer{list: []string{}}, eq(nil, []string{}), ""},
		{"duplicate in answer", 0, answer{}, eq([]string{"a"}, []string{"a", "a"}), "repeats [a]"},
		{"missing", 0, answer{}, eq([]string{"a", "b"}, []string{"a"}), "missing [b]"},
		{"unexpected", 0, answer{}, eq([]string{"a"}, []string{"a", "c"}), "unexpected [c]"},
		{"refused, answer wanted", 0, refused(refusedInvalid, "no"), nil, "want an answer"},
		{"error, answer wanted", 0, refused(broken, "500"), nil, "got an error"},
		{"2002 too complex", 2002, refused(refusedTooComplex, "deep"), nil, ""},
		{"2002 as invalid", 2002, refused(refusedInvalid, "bad"), nil, "refused as too complex"},
		{"2027 invalid", 2027, refused(refusedInvalid, "bad"), nil, ""},
		{"2000 as too complex", 2000, refused(refusedTooComplex, "deep"), nil, "refused as invalid"},
		{"2021 answered", 2021, answer{allowed: false}, nil, "got an answer"},
		{"2022 as a 500", 2022, refused(broken, "500"), nil, "got an error"},
	} {
		msg := judge(c.errorCode, c.got, c.compare)
		if (msg == "") != (c.fails == "") || !strings.Contains(msg, c.fails) {
			t.Errorf("%s: %q, want %q", c.name, msg, c.fails)
		}
	}
}
