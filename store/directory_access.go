package store

import (
	"context"
	"errors"
)

// ErrDirectoryNotGranted: a model version that opts in to the directory
// (ModelOptions.Directory) for a service an administrator has not granted
// directory access (Service.DirectoryAccess). Nothing is written.
var ErrDirectoryNotGranted = errors.New("directory access not granted by an administrator")

// Directory access is an administrator's decision. An opted-in service's
// key can ask about every workspace and group of every tenant (list-users
// on a group lists its members), so a service key cannot opt in by itself:
// WriteModel refuses the opt-in with ErrDirectoryNotGranted unless the
// service has DirectoryAccess, checked in the writing transaction.
//
// The store keeps one invariant: a service's current model opts in only if
// the service has directory access. WriteModel keeps it on every new
// version, and SetDirectoryAccess keeps it on revocation by opting the
// current model out in the same transaction.
type DirectoryAccessStore interface {
	// SetDirectoryAccess grants (allowed) or revokes the service's
	// directory access. Revoking it from a service whose current model
	// opts in also writes, in the same transaction, a new current version
	// identical but for Directory false, with its OpModel change, so that
	// every replica drops the service's copy of the directory when it
	// applies that change. The system service (the directory itself) is
	// ErrConflict, an unknown service ErrNotFound; neither writes
	// anything. A call that changes nothing (the access is already so and
	// no model needs opting out) writes nothing and produces nothing for
	// the attached activity.
	SetDirectoryAccess(ctx context.Context, serviceID string, allowed bool) (DirectoryAccessChange, error)
}

// DirectoryAccessChange is what SetDirectoryAccess did.
type DirectoryAccessChange struct {
	// Service is the service as stored after the call.
	Service Service
	// Changed reports that the call wrote anything.
	Changed bool
	// OptedOut is the model version a revocation wrote to opt the
	// service out of the directory; nil when none was needed.
	OptedOut *Model
}
