// Package store is Sentinel's source of truth: services and their keys,
// authorization models, relationship tuples, and the changelog that orders
// every change.
//
// Every mutation is one SQL transaction that also appends changelog rows; a
// row's sequence number is its revision. Revisions are assigned in commit
// order (writers are serialized), so a reader that has applied every row up
// to revision R has seen exactly the state committed at R: tailing the log
// with "revision > R" never skips a row that commits late.
//
// Two implementations share one conformance suite (store/storetest):
// store/postgres (pgx) and store/sqlite (modernc.org/sqlite, the embedded
// default).
package store

import (
	"context"
	"errors"
	"time"

	"github.com/sentinel-auth/sentinel/tuple"
)

// Errors returned by every implementation; callers test with errors.Is.
var (
	// ErrNotFound: the named service, key or model does not exist.
	ErrNotFound = errors.New("not found")
	// ErrAlreadyExists: a service with that name exists already.
	ErrAlreadyExists = errors.New("already exists")
	// ErrConflict: a write of an existing tuple or a delete of a missing
	// one, when the request did not ask to ignore it. Wrapped by
	// *TupleConflictError, which names the tuple.
	ErrConflict = errors.New("conflict")
	// ErrModelChanged: the service's current model is not the one the
	// caller validated its tuples against; validate again and retry.
	ErrModelChanged = errors.New("authorization model changed")
	// ErrNoModel: the service has no authorization model yet.
	ErrNoModel = errors.New("no authorization model")
	// ErrInvalidCursor: a ReadTuples cursor this store did not issue.
	ErrInvalidCursor = errors.New("invalid cursor")
	// ErrEmailTaken: an identity not yet linked to any user presents an
	// email that already belongs to a user (through another provider or
	// subject). Sentinel never links accounts by email.
	ErrEmailTaken = errors.New("email belongs to another user")
)

// TupleConflictError names the tuple that made a write fail with ErrConflict.
type TupleConflictError struct {
	Tuple  tuple.Tuple
	Exists bool // true: a write of an existing tuple; false: a delete of a missing one
}

func (e *TupleConflictError) Error() string {
	if e.Exists {
		return "tuple " + e.Tuple.String() + " already exists"
	}
	return "tuple " + e.Tuple.String() + " does not exist"
}

// Unwrap makes errors.Is(err, ErrConflict) true.
func (e *TupleConflictError) Unwrap() error { return ErrConflict }

// SystemServiceID is the reserved service whose tuples describe workspaces,
// memberships, groups, resources and roles (system tuples), written by the
// store in the same transaction as those rows and evaluated with the
// built-in default model. Its name, SystemServiceName, cannot be taken by
// a user service (service names start with a letter).
const (
	SystemServiceID   = "00000000-0000-0000-0000-000000000000"
	SystemServiceName = "_system"
)

// Service is a tenant: an application with its own model and tuples.
type Service struct {
	ID        string
	Name      string
	CreatedAt time.Time
	// DirectoryAccess: an administrator allows the service's model to opt
	// in to the directory (directory_access.go). False for a new service.
	DirectoryAccess bool
}

// Key is a service key. Only its SHA-256 hash is stored; Prefix is kept for
// display ("sk_AbCd…").
type Key struct {
	ID         string
	ServiceID  string
	Prefix     string
	CreatedAt  time.Time
	LastUsedAt *time.Time
	ExpiresAt  *time.Time
	RevokedAt  *time.Time
}

// Active reports whether k authenticates at time now.
func (k Key) Active(now time.Time) bool {
	if k.RevokedAt != nil && !k.RevokedAt.After(now) {
		return false
	}
	if k.ExpiresAt != nil && !k.ExpiresAt.After(now) {
		return false
	}
	return true
}

// Model is one version of a service's authorization model.
type Model struct {
	ID        string
	ServiceID string
	Version   int // 1, 2, … per service
	DSL       string
	JSON      string // the model in OpenFGA's JSON form (protojson)
	CreatedAt time.Time
	Revision  uint64 // the changelog revision that introduced it
	// Directory: the model opted in to the directory, so the engine gives
	// the service the system service's tuples of DirectoryTypes as its
	// own (read-only; the service writes none of those types itself).
	Directory bool
}

// ModelOptions are the settings stored with a model version.
type ModelOptions struct {
	// Directory opts the version in to the directory (Model.Directory).
	// WriteModel refuses it with ErrDirectoryNotGranted unless the
	// service has DirectoryAccess, and with ErrConflict while the service
	// holds tuples of its own whose object type is one of DirectoryTypes:
	// they would be mixed with the directory's and then lost on opting
	// out.
	Directory bool
}

// DirectoryTypes are the object types of the system tuples that a model
// opted in to the directory sees (workspaces with their members' roles,
// groups with their workspace and members; the tuple schema is in
// policies/README.md). Resources, roles and actions stay the system
// service's own.
var DirectoryTypes = []string{"workspace", "group"}

// Op is the kind of a changelog row.
type Op string

const (
	OpWrite  Op = "write"  // a tuple was written
	OpDelete Op = "delete" // a tuple was deleted
	OpModel  Op = "model"  // a new model version became current (ModelID)
	OpKey    Op = "key"    // a key of the service was created, rotated or revoked
	OpUser   Op = "user"   // a user was created, changed, activated or deactivated (UserID; ServiceID "")
)

// Change is one changelog row.
type Change struct {
	Revision  uint64
	ServiceID string
	Op        Op
	Tuple     tuple.Tuple // for OpWrite and OpDelete
	ModelID   string      // for OpModel
	UserID    string      // for OpUser
	At        time.Time
}

// User is a person known to Sentinel, provisioned on the first sight of one
// of their IdP identities.
type User struct {
	ID        string // a UUID
	Email     string // stored lower-cased; unique among users
	Name      string
	AvatarURL string
	Active    bool
	Admin     bool
	CreatedAt time.Time
	UpdatedAt time.Time
	// TokensValidAfter, when set, refuses the user's tokens issued (iat)
	// before it: the last per-user revocation (users_revoke.go). A whole
	// second. Compare users field by field: == compares this pointer.
	TokensValidAfter *time.Time
}

// Identity is one IdP account linked to a user: (Provider, Subject) is
// unique and names the user for good.
type Identity struct {
	Provider   string // the configured provider name ("google", "corp-oidc")
	Subject    string // the IdP's subject ("github|123" for GitHub)
	Issuer     string
	UserID     string
	Email      string
	Claims     []byte // the IdP's claims as a JSON object, as last seen
	CreatedAt  time.Time
	LastSeenAt time.Time
}

// IdentitySighting is a verified IdP identity presented to Sentinel.
type IdentitySighting struct {
	Provider, Subject, Issuer string
	Email                     string // verified; required
	Name, AvatarURL           string
	Claims                    []byte // JSON object
}

// SigningKey is one of Sentinel's JWT signing keys. The private key is
// stored only encrypted (package identity/keys seals it with the master
// key); the store never sees it in clear.
type SigningKey struct {
	KID string // RFC 7638 thumbprint of the public key
	Alg string // ES256, RS256 or EdDSA
	// PrivateSealed is the sealed private key; PublicJWK the public key
	// as a JWK (JSON).
	PrivateSealed []byte
	PublicJWK     []byte
	CreatedAt     time.Time
	// SignFrom is when the key starts signing (rotation publishes a key
	// in JWKS at once and signs with it only from SignFrom on).
	SignFrom time.Time
}

// Policy says what to do with a no-op element of a tuple write.
type Policy int

const (
	Fail   Policy = iota // fail the whole request with ErrConflict
	Ignore               // skip the element; the rest is applied
)

// TupleWrite is one all-or-nothing tuple request. Writes and Deletes must not
// repeat a tuple (callers validate that).
type TupleWrite struct {
	// ModelID is the model the writes were validated against; the write
	// fails with ErrModelChanged if it is no longer current. Empty skips
	// the check (deletes only).
	ModelID     string
	Writes      []tuple.Tuple
	Deletes     []tuple.Tuple
	OnDuplicate Policy
	OnMissing   Policy
}

// TupleFilter selects tuples; empty fields match anything. User may be a
// full user, or just a type (User.ID empty).
type TupleFilter struct {
	ObjectType string
	ObjectID   string // only with ObjectType
	Relation   string
	User       tuple.User
}

// Snapshot is the state of every service at one revision: what datasync
// loads at start.
type Snapshot struct {
	Revision uint64
	// Models maps service id to its current model (services without a
	// model are absent).
	Models map[string]Model
}

// Store is the storage contract. Implementations are safe for concurrent use.
type Store interface {
	WorkspaceStore // workspaces, memberships, invitations, groups (workspaces.go)
	ResourceStore  // registered resources and their shares (resources.go)
	RBACStore      // service actions, workspace roles, assignments (rbac.go)
	ActivityStore  // the activity log (activity.go)
	// UserProfileStore: a user's own name and avatar (users_profile.go).
	UserProfileStore
	// The administrator's client apps, service apps (and deleting a
	// service whole) and service actions across services (clientapps.go,
	// serviceapps.go, rbac_admin.go).
	ClientAppStore
	ServiceAppStore
	ServiceActionAdmin
	// DirectoryStore: the administrator's user and workspace lists and
	// counts (directory.go).
	DirectoryStore
	UserRevocationStore // revoking every token of a user (users_revoke.go)
	LoginStore          // proxy-mode login states, one-time codes, refresh families (login.go)
	// DirectoryAccessStore: which services may opt in to the directory
	// (directory_access.go).
	DirectoryAccessStore

	// Dialect returns "postgres" or "sqlite".
	Dialect() string
	Ping(ctx context.Context) error
	Close() error

	CreateService(ctx context.Context, name string) (Service, error)
	ServiceByName(ctx context.Context, name string) (Service, error)
	ServiceByID(ctx context.Context, id string) (Service, error)
	ListServices(ctx context.Context) ([]Service, error)

	// CreateKey stores a new key (hash = hex SHA-256 of the secret) and
	// appends an OpKey change. If graceOthers is non-nil, every other
	// active key of the service gets ExpiresAt = min(its expiry, now+grace)
	// in the same transaction (rotation).
	CreateKey(ctx context.Context, serviceID, hash, prefix string, graceOthers *time.Duration) (Key, error)
	// KeyByHash returns the key with that hash, active or not.
	KeyByHash(ctx context.Context, hash string) (Key, error)
	ListKeys(ctx context.Context, serviceID string) ([]Key, error)
	// RevokeKey revokes one key of the service now and appends an OpKey change.
	RevokeKey(ctx context.Context, serviceID, keyID string) error
	// TouchKey records a use of the key (best effort, not in the changelog).
	TouchKey(ctx context.Context, keyID string, at time.Time) error

	// AdminKeyHashes returns the hashes of the stored admin credentials.
	AdminKeyHashes(ctx context.Context) ([]string, error)
	AddAdminKey(ctx context.Context, hash string) error

	// WriteModel stores a new current model version and appends an OpModel
	// change. opts holds at most one ModelOptions (none: the zero value).
	WriteModel(ctx context.Context, serviceID, dsl, jsonModel string, opts ...ModelOptions) (Model, error)
	// CurrentModel returns ErrNoModel if the service has none.
	CurrentModel(ctx context.Context, serviceID string) (Model, error)
	ModelByID(ctx context.Context, serviceID, modelID string) (Model, error)

	// WriteTuples applies w atomically and returns the revision of its last
	// changelog row (or the current head if nothing changed).
	WriteTuples(ctx context.Context, serviceID string, w TupleWrite) (uint64, error)
	// ReadTuples returns up to limit tuples after the opaque cursor, in a
	// stable order, and the cursor of the next page ("" when done).
	ReadTuples(ctx context.Context, serviceID string, f TupleFilter, cursor string, limit int) ([]tuple.Tuple, string, error)

	// Changes returns up to limit changelog rows with revision > after.
	// serviceID "" means every service (datasync); otherwise only that
	// service's OpWrite, OpDelete and OpModel rows.
	Changes(ctx context.Context, serviceID string, after uint64, limit int) ([]Change, error)
	// HeadRevision is the newest committed revision (0 for an empty log).
	HeadRevision(ctx context.Context) (uint64, error)
	// LoadSnapshot reads, in one consistent read transaction, every tuple
	// (streamed to fn with its service id) and every current model.
	LoadSnapshot(ctx context.Context, fn func(serviceID string, t tuple.Tuple) error) (Snapshot, error)

	// ProvisionUser returns the user linked to (s.Provider, s.Subject),
	// refreshing the link's email, issuer, claims and last-seen time. On
	// first sight it creates the user (active, not admin) and the link in
	// one transaction, with an OpUser change; created reports that. If the
	// identity is unknown but its email belongs to a user, it fails with
	// ErrEmailTaken and changes nothing. Concurrent first sightings of one
	// identity create one user.
	ProvisionUser(ctx context.Context, s IdentitySighting) (u User, created bool, err error)
	// UserByID returns ErrNotFound for an unknown id.
	UserByID(ctx context.Context, id string) (User, error)
	// UserByEmail matches case-insensitively; ErrNotFound if none.
	UserByEmail(ctx context.Context, email string) (User, error)
	// SetUserActive activates or deactivates a user and appends an OpUser
	// change (so every replica drops what it cached about the user).
	SetUserActive(ctx context.Context, id string, active bool) error
	// SetUserAdmin grants or revokes the admin flag, with an OpUser change.
	SetUserAdmin(ctx context.Context, id string, admin bool) error
	// IdentitiesOf lists the user's linked identities, oldest first.
	IdentitiesOf(ctx context.Context, userID string) ([]Identity, error)

	// AddSigningKey stores a new signing key; a KID already stored is
	// ErrAlreadyExists.
	AddSigningKey(ctx context.Context, k SigningKey) error
	// SigningKeys returns every stored signing key, oldest SignFrom first.
	SigningKeys(ctx context.Context) ([]SigningKey, error)
	// DeleteSigningKey removes a key (pruning keys no token can need).
	DeleteSigningKey(ctx context.Context, kid string) error

	// Notifications returns a channel that receives a value after changes
	// are committed by any process, or nil if the engine cannot notify
	// (then the reader polls). It is closed when ctx ends.
	Notifications(ctx context.Context) <-chan struct{}
}
