package sqlstore

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/sentinel-auth/sentinel/store"
)

func TestDollarPlaceholders(t *testing.T) {
	cases := []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"a = ?", "a = $1"},
		{"(?,?),(?,?) LIMIT ?", "($1,$2),($3,$4) LIMIT $5"},
		{"é = ? AND ü = ?", "é = $1 AND ü = $2"},
	}
	for _, c := range cases {
		if got := DollarPlaceholders(c.in); got != c.want {
			t.Errorf("DollarPlaceholders(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestPlaceholders(t *testing.T) {
	cases := []struct {
		n, width int
		want     string
	}{
		{1, 1, "(?)"},
		{1, 3, "(?,?,?)"},
		{3, 2, "(?,?),(?,?),(?,?)"},
	}
	for _, c := range cases {
		if got := placeholders(c.n, c.width); got != c.want {
			t.Errorf("placeholders(%d, %d) = %q, want %q", c.n, c.width, got, c.want)
		}
	}
}

func TestCursor(t *testing.T) {
	for _, id := range []int64{1, 127, 128, 1 << 40, 1<<63 - 1} {
		got, err := decodeCursor(encodeCursor(id))
		if err != nil || got != id {
			t.Errorf("round trip of %d: %d, %v", id, got, err)
		}
	}
	if got, err := decodeCursor(""); got != 0 || err != nil {
		t.Errorf(`decodeCursor("") = %d, %v`, got, err)
	}
	bad := []string{
		"!!",  // not base64url
		"AA",  // id 0
		"gA",  // truncated varint
		"AQE", // trailing byte
		base64.RawURLEncoding.EncodeToString(binary.AppendUvarint(nil, 1<<63)), // more than 63 bits
		encodeCursor(5) + "=", // padding
		"gICAgICAgICAgAE",     // varint overflow
	}
	for _, c := range bad {
		if _, err := decodeCursor(c); !errors.Is(err, store.ErrInvalidCursor) {
			t.Errorf("decodeCursor(%q): error %v, want ErrInvalidCursor", c, err)
		}
	}
}
