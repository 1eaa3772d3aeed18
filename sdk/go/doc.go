// Package sentinel is the Go SDK of Sentinel, for app teams.
//
// It has three parts:
//
//   - Client calls Sentinel's native /v1 API with a service key: the
//     authorization model, relationship tuples, check, batch check, list,
//     list-users, expand, the IdP-token → authz-token exchange, token
//     introspection and revocation. Requests have a per-attempt timeout and
//     are retried with jittered exponential backoff on 5xx and 429 only;
//     refusals come back as *APIError.
//   - Verifier checks Sentinel's JWTs offline against the server's JWKS,
//     cached and refetched on an unknown key id so that key rotation needs
//     no restart. VerifyPair adds the dual-token binding of AuthZ mode: the
//     authz token is only good together with the user's own IdP token.
//   - Middleware, RequirePermission and RequireAction protect net/http
//     handlers; package ginmw does the same for gin.
//
// The package imports only the standard library, jwx (JOSE) and go-oidc
// (for the IdP side of VerifyPair).
package sentinel
