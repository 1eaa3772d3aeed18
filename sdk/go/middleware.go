package sentinel

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
)

// AuthOptions configure how a request's tokens are read and verified.
type AuthOptions struct {
	// Service is this app's service name: the svc every accepted authz
	// token must carry. Required.
	Service string
	// RequirePair accepts only AuthZ mode's token pair: the authz token in
	// X-Authz-Token and the user's IdP ID token in Authorization: Bearer,
	// bound by VerifyPair. Without it, a request carrying X-Authz-Token is
	// still verified as a pair, and one with only Authorization: Bearer
	// <authz token> as a single authz token.
	RequirePair bool
}

// HeaderAuthzToken carries the authz token in pair mode.
const HeaderAuthzToken = "X-Authz-Token"

// Denial is why a request is refused and how to answer it: Status, and
// Code and Message for the {"error":{"code","message"}} body. Err is the
// cause (errors.Is(d, ErrKeysUnavailable) works through it).
type Denial struct {
	Status  int
	Code    string
	Message string
	Err     error
}

func (d *Denial) Error() string { return d.Message }
func (d *Denial) Unwrap() error { return d.Err }

// Write answers the request with the denial.
func (d *Denial) Write(w http.ResponseWriter) {
	if d.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	}
	WriteError(w, d.Status, d.Code, d.Message)
}

func deny(status int, code string, err error) *Denial {
	return &Denial{Status: status, Code: code, Message: err.Error(), Err: err}
}

// unauthenticated is the denial of a token that does not verify: 401, or
// 503 when the keys to verify it could not be fetched.
func unauthenticated(err error) *Denial {
	if errors.Is(err, ErrKeysUnavailable) {
		return deny(http.StatusServiceUnavailable, "unavailable", err)
	}
	return deny(http.StatusUnauthorized, "unauthenticated", err)
}

// AuthenticateRequest reads and verifies the request's tokens as opts
// says and returns the authz token's claims, or the denial to answer
// (401; 503 when the keys are unavailable).
func (v *Verifier) AuthenticateRequest(r *http.Request, opts AuthOptions) (*AuthzClaims, *Denial) {
	bearer := bearerToken(r)
	authz := strings.TrimSpace(r.Header.Get(HeaderAuthzToken))
	var (
		c   *AuthzClaims
		err error
	)
	switch {
	case authz != "" && bearer == "":
		err = errors.New(HeaderAuthzToken + " needs the IdP token in Authorization: Bearer")
	case authz != "":
		c, err = v.VerifyPair(r.Context(), bearer, authz, opts.Service)
	case opts.RequirePair:
		err = errors.New("send the authz token in " + HeaderAuthzToken + " and the IdP token in Authorization: Bearer")
	case bearer == "":
		err = errors.New("missing Authorization: Bearer <authz token>")
	default:
		c, err = v.VerifyAuthz(r.Context(), bearer, opts.Service)
	}
	if err != nil {
		return nil, unauthenticated(err)
	}
	return c, nil
}

func bearerToken(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

type claimsKey struct{}

// NewContext returns ctx carrying the verified claims.
func NewContext(ctx context.Context, c *AuthzClaims) context.Context {
	return context.WithValue(ctx, claimsKey{}, c)
}

// FromContext returns the claims Middleware verified for this request.
func FromContext(ctx context.Context) (*AuthzClaims, bool) {
	c, ok := ctx.Value(claimsKey{}).(*AuthzClaims)
	return c, ok && c != nil
}

// Middleware verifies every request's tokens (see AuthOptions), puts the
// claims in the request's context (FromContext) and answers 401 JSON
// {"error":{"code","message"}} when they do not verify.
func Middleware(v *Verifier, opts AuthOptions) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, d := v.AuthenticateRequest(r, opts)
			if d != nil {
				d.Write(w)
				return
			}
			next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), c)))
		})
	}
}

// WriteError writes Sentinel's error body {"error":{"code","message"}}.
func WriteError(w http.ResponseWriter, status int, code, message string) {
	var body errorBody
	body.Error.Code, body.Error.Message = code, message
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// Checker asks permission questions; *Client is one.
type Checker interface {
	Check(ctx context.Context, req CheckRequest, opts ...ReadOption) (*CheckResult, error)
}

// Authorize asks whether the verified user (user:<sub>) has relation on
// objectType:objectID. It returns nil when allowed, else the denial: 401
// without claims, 400 for an empty id, 403 when denied or when Sentinel
// refuses the question (400, 404, 422…), 503 when it cannot answer (5xx,
// transport errors, or 401/403 for this app's own service key). It fails
// closed.
func Authorize(ctx context.Context, ch Checker, c *AuthzClaims, objectType, objectID, relation string) *Denial {
	if c == nil {
		return deny(http.StatusUnauthorized, "unauthenticated", errors.New("no verified token (put Middleware first)"))
	}
	if objectID == "" {
		return deny(http.StatusBadRequest, "invalid_argument", errors.New("the request names no "+objectType))
	}
	object := objectType + ":" + objectID
	res, err := ch.Check(ctx, CheckRequest{Object: object, Relation: relation, User: "user:" + c.Subject})
	var ae *APIError
	switch {
	case errors.As(err, &ae) && !ae.Temporary() && ae.Status != http.StatusUnauthorized && ae.Status != http.StatusForbidden:
		return deny(http.StatusForbidden, "forbidden", err)
	case err != nil: // Sentinel is down, or refuses this app's service key
		return &Denial{Status: http.StatusServiceUnavailable, Code: "unavailable",
			Message: "the permission check is unavailable; try again", Err: err}
	case !res.Allowed:
		return deny(http.StatusForbidden, "forbidden", errors.New("not allowed to "+relation+" "+object))
	}
	return nil
}

// RequirePermission returns middleware that lets a request through only
// when Sentinel allows user:<sub> the relation on objectType:<id>, where
// objectID reads the id from the request (e.g. r.PathValue("id")). It
// must run after Middleware.
func RequirePermission(ch Checker, objectType, relation string, objectID func(*http.Request) string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, _ := FromContext(r.Context())
			if d := Authorize(r.Context(), ch, c, objectType, objectID(r), relation); d != nil {
				d.Write(w)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// CheckAction returns nil when the claims allow the RBAC action (e.g.
// "notes:export"), else the denial (401 without claims, 403).
func CheckAction(c *AuthzClaims, action string) *Denial {
	if c == nil {
		return deny(http.StatusUnauthorized, "unauthenticated", errors.New("no verified token (put Middleware first)"))
	}
	if !c.HasAction(action) {
		return deny(http.StatusForbidden, "forbidden", errors.New("the token does not allow "+action))
	}
	return nil
}

// RequireAction returns middleware that lets a request through only when
// the verified token's actions include action. It must run after
// Middleware.
func RequireAction(action string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, _ := FromContext(r.Context())
			if d := CheckAction(c, action); d != nil {
				d.Write(w)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
