package revision

import (
	"errors"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	for _, rev := range []uint64{0, 1, 127, 128, 1 << 32, 1<<64 - 1} {
		tok := Encode(rev)
		got, err := Decode(tok)
		if err != nil || got != rev {
			t.Fatalf("Decode(Encode(%d)) = %d, %v", rev, got, err)
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	t.Parallel()
	for _, tok := range []string{"!!", "AQ", "Ag" + "E", "12", Encode(5) + "A", "AAE"} {
		if _, err := Decode(tok); !errors.Is(err, ErrInvalid) {
			t.Errorf("Decode(%q) error = %v, want ErrInvalid", tok, err)
		}
	}
	if rev, err := Decode(""); err != nil || rev != 0 {
		t.Fatalf(`Decode("") = %d, %v; want 0, nil`, rev, err)
	}
}
