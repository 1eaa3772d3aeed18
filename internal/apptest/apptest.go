// Package apptest configures in-process test servers (package app). It is
// apart from testenv because packages that app imports use testenv in their
// tests.
package apptest

import (
	"path/filepath"
	"testing"

	"github.com/sentinel-auth/sentinel/app"
)

// TestIssuer is the issuer URL of in-process test servers.
const TestIssuer = "http://sentinel.test"

// Identity is the identity configuration of an in-process test server: a
// fresh master key file under t.TempDir and no identity providers.
func Identity(t testing.TB) app.IdentityConfig {
	return app.IdentityConfig{
		IssuerURL:       TestIssuer,
		MasterKeyFile:   filepath.Join(t.TempDir(), "master.key"),
		CreateMasterKey: true,
	}
}
