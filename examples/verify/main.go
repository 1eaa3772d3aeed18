// Command verify checks a Sentinel authz token offline, the way an app's
// backend does with the Go SDK: it fetches the issuer's JWKS once and
// verifies the signature, issuer, audience, type, expiry and service
// locally, then prints the token's claims as JSON. With an IdP ID token it
// also verifies the pair (AuthZ mode's dual-token binding: the ID token's
// sub must be the authz token's idp_sub).
//
//	go run ./examples/verify --issuer http://localhost:9003 --service notes AUTHZ_TOKEN
//	go run ./examples/verify --service notes \
//	    --idp-issuer http://127.0.0.1:9009 --idp-client-id sentinel-dev --idp-token ID_TOKEN AUTHZ_TOKEN
//
// It exits 1 with the reason when the token is refused, 2 on bad usage.
// Offline verification cannot see revocations (POST /v1/tokens/introspect
// can).
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	sentinel "github.com/sentinel-auth/sentinel/sdk/go"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := run(ctx, os.Args[1:], os.Stdout)
	var usage usageError
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
	case errors.As(err, &usage):
		fmt.Fprintln(os.Stderr, "verify:", err)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "verify:", err)
		os.Exit(1)
	}
}

// usageError is a mistake in the command line, not a refused token.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg + " (see --help)" }

type config struct {
	issuer, jwksURL, service, token  string
	idpIssuer, idpClientID, idpToken string
}

func parseFlags(args []string, out io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprintln(out, "usage: verify [flags] AUTHZ_TOKEN")
		fs.PrintDefaults()
	}
	fs.StringVar(&c.issuer, "issuer", "http://localhost:9003", "the Sentinel server's issuer URL (the iss of its tokens)")
	fs.StringVar(&c.jwksURL, "jwks-url", "", "where to fetch the JWKS (default <issuer>/.well-known/jwks.json)")
	fs.StringVar(&c.service, "service", "", "the service the token must have been issued to (required)")
	fs.StringVar(&c.idpIssuer, "idp-issuer", "", "with --idp-token: the OpenID provider's issuer URL")
	fs.StringVar(&c.idpClientID, "idp-client-id", "", "with --idp-token: the app's client id at the provider (the ID token's aud)")
	fs.StringVar(&c.idpToken, "idp-token", "", "the user's IdP ID token: verify the pair, bound by idp_sub")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, err
		}
		return c, usageError{err.Error()}
	}
	switch {
	case fs.NArg() != 1:
		return c, usageError{"want exactly one argument, the authz token"}
	case c.service == "":
		return c, usageError{"--service is required"}
	case (c.idpToken != "") != (c.idpIssuer != "") || (c.idpToken != "") != (c.idpClientID != ""):
		return c, usageError{"--idp-token, --idp-issuer and --idp-client-id go together"}
	}
	c.token = strings.TrimSpace(fs.Arg(0))
	return c, nil
}

// result is what verify prints: the verified claims under their JWT names,
// the times in RFC 3339, and the kid of the key that verified the token
// (so a key rotation shows).
type result struct {
	Verified  string   `json:"verified"`
	KID       string   `json:"kid"`
	Sub       string   `json:"sub"`
	IdpSub    string   `json:"idp_sub"`
	Svc       string   `json:"svc"`
	Wid       string   `json:"wid,omitempty"`
	Wslug     string   `json:"wslug,omitempty"`
	Wrole     string   `json:"wrole,omitempty"`
	Groups    []string `json:"groups,omitempty"`
	Actions   []string `json:"actions,omitempty"`
	JTI       string   `json:"jti"`
	IssuedAt  string   `json:"issued_at"`
	ExpiresAt string   `json:"expires_at"`
}

// run verifies the token the arguments name and prints its claims; an
// error is the reason the token was refused.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	c, err := parseFlags(args, stdout)
	if err != nil {
		return err
	}
	v, err := sentinel.NewVerifier(ctx, c.issuer, sentinel.VerifierOptions{
		JWKSURL: c.jwksURL, IdPIssuer: c.idpIssuer, IdPClientID: c.idpClientID,
	})
	if err != nil {
		return err
	}
	var claims *sentinel.AuthzClaims
	verified := "authz token"
	if c.idpToken != "" {
		claims, err = v.VerifyPair(ctx, strings.TrimSpace(c.idpToken), c.token, c.service)
		verified = "authz token and IdP ID token, bound by idp_sub"
	} else {
		claims, err = v.VerifyAuthz(ctx, c.token, c.service)
	}
	if err != nil {
		return err
	}
	out := result{
		Verified: verified, KID: kid(c.token),
		Sub: claims.Subject, IdpSub: claims.IdpSub, Svc: claims.Svc,
		Wid: claims.Wid, Wslug: claims.Wslug, Wrole: claims.Wrole, Groups: claims.Groups, Actions: claims.Actions,
		JTI: claims.JTI, IssuedAt: rfc3339(claims.IssuedAt), ExpiresAt: rfc3339(claims.ExpiresAt),
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// kid reads the key id from the header of a token that already verified
// (the SDK looked the key up by this very kid).
func kid(token string) string {
	h64, _, _ := strings.Cut(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(h64)
	if err != nil {
		return ""
	}
	var h struct {
		KID string `json:"kid"`
	}
	if json.Unmarshal(raw, &h) != nil {
		return ""
	}
	return h.KID
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
