package sqlstore

// Placeholders until users, identities and signing keys are implemented.

import (
	"context"
	"errors"

	"github.com/sentinel-auth/sentinel/store"
)

var errTODO = errors.New("not implemented yet")

func (s *Store) ProvisionUser(ctx context.Context, si store.IdentitySighting) (store.User, bool, error) {
	return store.User{}, false, errTODO
}
func (s *Store) UserByID(ctx context.Context, id string) (store.User, error) {
	return store.User{}, errTODO
}
func (s *Store) UserByEmail(ctx context.Context, email string) (store.User, error) {
	return store.User{}, errTODO
}
func (s *Store) SetUserActive(ctx context.Context, id string, active bool) error { return errTODO }
func (s *Store) SetUserAdmin(ctx context.Context, id string, admin bool) error   { return errTODO }
func (s *Store) IdentitiesOf(ctx context.Context, userID string) ([]store.Identity, error) {
	return nil, errTODO
}
func (s *Store) AddSigningKey(ctx context.Context, k store.SigningKey) error { return errTODO }
func (s *Store) SigningKeys(ctx context.Context) ([]store.SigningKey, error) { return nil, errTODO }
func (s *Store) DeleteSigningKey(ctx context.Context, kid string) error      { return errTODO }
