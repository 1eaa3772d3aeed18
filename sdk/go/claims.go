package sentinel

import (
	"encoding/json"
	"errors"
	"math"
	"slices"
	"time"
)

// claims is the payload of any Sentinel token. A claim of the wrong JSON
// type makes the token invalid (json.Unmarshal fails).
type claims struct {
	Iss  string       `json:"iss"`
	Sub  string       `json:"sub"`
	Aud  audience     `json:"aud"`
	Exp  *numericDate `json:"exp"`
	Nbf  *numericDate `json:"nbf"`
	Iat  *numericDate `json:"iat"`
	JTI  string       `json:"jti"`
	Type string       `json:"type"`

	IdpSub  string   `json:"idp_sub"`
	Svc     string   `json:"svc"`
	Wid     string   `json:"wid"`
	Wslug   string   `json:"wslug"`
	Wrole   string   `json:"wrole"`
	Groups  []string `json:"groups"`
	Actions []string `json:"actions"`
	Email   string   `json:"email"`
	Name    string   `json:"name"`
}

// audience is "aud": one string or an array of strings.
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*a = audience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New(`"aud" is neither a string nor an array of strings`)
	}
	*a = many
	return nil
}

func (a audience) has(want string) bool { return slices.Contains(a, want) }

// numericDate is a JWT NumericDate: seconds since the epoch, possibly
// fractional.
type numericDate struct{ t time.Time }

func (d *numericDate) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return errors.New("a date claim is not a number")
	}
	if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 1<<40 {
		return errors.New("a date claim is out of range")
	}
	sec, frac := math.Modf(f)
	d.t = time.Unix(int64(sec), int64(frac*1e9))
	return nil
}

func (d *numericDate) time() time.Time {
	if d == nil {
		return time.Time{}
	}
	return d.t
}
