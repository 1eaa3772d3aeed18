// Package revision encodes changelog positions as opaque consistency tokens.
//
// A token is what a write returns and what a read may demand ("at least this
// revision"). Clients must treat it as an opaque string: the encoding carries
// a version byte so that a later, sharded form can be told apart from this one.
package revision

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
)

const formatV1 = 1

// ErrInvalid is returned for a token this server did not issue.
var ErrInvalid = errors.New("invalid revision token")

// Encode returns the token of changelog revision rev.
func Encode(rev uint64) string {
	buf := make([]byte, 1, 1+binary.MaxVarintLen64)
	buf[0] = formatV1
	buf = binary.AppendUvarint(buf, rev)
	return base64.RawURLEncoding.EncodeToString(buf)
}

// Decode returns the changelog revision of a token. The empty token is
// revision 0 (the beginning of the log).
func Decode(token string) (uint64, error) {
	if token == "" {
		return 0, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) < 2 || raw[0] != formatV1 {
		return 0, fmt.Errorf("%w: %q", ErrInvalid, token)
	}
	rev, n := binary.Uvarint(raw[1:])
	if n <= 0 || n != len(raw)-1 {
		return 0, fmt.Errorf("%w: %q", ErrInvalid, token)
	}
	return rev, nil
}
