package main

import (
	"context"
	_ "embed"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sentinel-auth/sentinel/identity/servicekey"
	"github.com/sentinel-auth/sentinel/store/postgres/pgtest"
)

// The original Sentinel's database for the import tests: its schema
// (testdata/original_schema.sql) and a small realistic data set.

//go:embed testdata/original_schema.sql
var originalSchema string

// Ids of the data set: one prefix per table, the row number last.
func origID(prefix, n int) string { return fmt.Sprintf("%08x-0000-4000-8000-%012d", prefix, n) }

var (
	anne, bob, carl, dave = origID(1, 1), origID(1, 2), origID(1, 3), origID(1, 4)
	erin, fred, gina      = origID(1, 5), origID(1, 6), origID(1, 7) // fred: inactive; gina: in no workspace
	acme, beta            = origID(2, 1), origID(2, 2)
	designers, eng, ops   = origID(3, 1), origID(3, 2), origID(3, 3)
	// Registrations (resource_permissions ids) and the resources' own ids.
	reg1, reg2, reg3, reg4        = origID(4, 1), origID(4, 2), origID(4, 3), origID(4, 4)
	doc1, doc2, doc3, doc4        = origID(5, 1), origID(5, 2), origID(5, 3), origID(5, 4)
	shareToGina, shareToOps       = origID(6, 2), origID(6, 4)
	exportAct, shareAct, printAct = origID(7, 1), origID(7, 2), origID(7, 3)
	exporter, printer             = origID(8, 1), origID(8, 2)
	notesApp, legacyApp           = origID(9, 1), origID(9, 2)
	webApp                        = origID(10, 1)
	logWithActor                  = origID(11, 1)
)

// The service apps' keys, as their owners hold them.
var (
	notesKey  = "sk_" + strings.Repeat("N", 40) + "n_1"
	legacyKey = "sk_" + strings.Repeat("L", 40) + "l-2"
)

// origAt is the n-th minute of the data set's history.
func origAt(n int) time.Time {
	return time.Date(2024, 1, 2, 3, 0, 0, 123456000, time.UTC).Add(time.Duration(n) * time.Minute)
}

// newOriginal creates the original's schema in a fresh PostgreSQL schema,
// fills it, and returns its URL:
//
//	acme: anne owner, bob admin, carl editor, dave viewer, fred viewer
//	      groups designers ∋ dave, eng ∋ carl; role exporter (notes:export,
//	      notes:share) held by dave (and by gina, who is no member)
//	beta: erin owner, dave editor; group ops ∋ dave; role printer
//	      (docs:print) held by dave
//	notes/doc: doc1 acme anne workspace; doc2 acme carl private shared
//	      with dave (view) and gina (view, no member); doc3 acme anne
//	      private shared with designers (edit) and ops (view, other
//	      workspace); doc4 beta erin workspace
//	service apps notes (key notesKey) and legacy (inactive, legacyKey),
//	client app web, three activity entries.
func newOriginal(t *testing.T) string {
	t.Helper()
	url := pgtest.URL(t)
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, originalSchema); err != nil {
		t.Fatalf("create the original's schema: %v", err)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := conn.Exec(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for i, u := range []struct {
		id, email, name string
		active, admin   bool
	}{
		{anne, "Anne@Example.com", "Anne", true, true}, {bob, "bob@example.com", "Bob", true, false},
		{carl, "carl@example.com", "Carl", true, false}, {dave, "dave@example.com", "Dave", true, false},
		{erin, "erin@example.com", "Erin", true, false}, {fred, "fred@example.com", "Fred", false, false},
		{gina, "gina@example.com", "Gina", true, false},
	} {
		exec(`INSERT INTO users (id, email, name, avatar_url, is_active, is_admin, created_at, updated_at)
			VALUES ($1, $2, $3, NULL, $4, $5, $6, $7)`, u.id, u.email, u.name, u.active, u.admin, origAt(i), origAt(i+100))
	}
	exec(`INSERT INTO social_accounts (id, user_id, provider, provider_user_id, provider_data) VALUES
		($1, $2, 'google', '108000000000000000001', '{"sub": "108000000000000000001", "email": "anne@example.com"}'),
		($3, $4, 'github', '583231', '{"login": "bob", "id": 583231}'),
		($5, $6, 'entra_id', '9f3c1c4e-5b7a-4d2e-8f10-2a6b7c8d9e0f', '{"oid": "9f3c1c4e-5b7a-4d2e-8f10-2a6b7c8d9e0f", "sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ"}'),
		($7, $8, 'google', '108000000000000000005', NULL)`,
		origID(12, 1), anne, origID(12, 2), bob, origID(12, 3), dave, origID(12, 4), erin)
	exec(`INSERT INTO workspaces (id, slug, name, description, created_by, created_at) VALUES
		($1, 'acme', 'Acme', 'Rockets', $2, $3), ($4, 'beta', 'Beta', NULL, $5, $6)`,
		acme, anne, origAt(10), beta, erin, origAt(11))
	for i, m := range []struct{ ws, user, role string }{
		{acme, anne, "owner"}, {acme, bob, "admin"}, {acme, carl, "editor"}, {acme, dave, "viewer"},
		{acme, fred, "viewer"}, {beta, erin, "owner"}, {beta, dave, "editor"},
	} {
		exec(`INSERT INTO workspace_memberships (id, workspace_id, user_id, role, joined_at) VALUES ($1, $2, $3, $4, $5)`,
			origID(13, i), m.ws, m.user, m.role, origAt(20+i))
	}
	exec(`INSERT INTO groups (id, workspace_id, name, description, created_by, created_at) VALUES
		($1, $2, 'designers', 'Design team', $3, $4), ($5, $2, 'eng', NULL, NULL, $4), ($6, $7, 'ops', NULL, $8, $4)`,
		designers, acme, anne, origAt(30), eng, ops, beta, erin)
	exec(`INSERT INTO group_memberships (id, group_id, user_id, added_at) VALUES
		($1, $2, $3, $4), ($5, $6, $7, $4), ($8, $9, $3, $4)`,
		origID(14, 1), designers, dave, origAt(31), origID(14, 2), eng, carl, origID(14, 3), ops)
	exec(`INSERT INTO resource_permissions (id, service_name, resource_type, resource_id, workspace_id, owner_id, visibility, created_at) VALUES
		($1, 'notes', 'doc', $2, $3, $4, 'workspace', $5), ($6, 'notes', 'doc', $7, $3, $8, 'private', $5),
		($9, 'notes', 'doc', $10, $3, $4, 'private', $5), ($11, 'notes', 'doc', $12, $13, $14, 'workspace', $5)`,
		reg1, doc1, acme, anne, origAt(40), reg2, doc2, carl, reg3, doc3, reg4, doc4, beta, erin)
	exec(`INSERT INTO resource_shares (id, resource_permission_id, grantee_type, grantee_id, permission, granted_by, granted_at) VALUES
		($1, $2, 'user', $3, 'view', $4, $5), ($6, $2, 'user', $7, 'view', $4, $5),
		($8, $9, 'group', $10, 'edit', $11, $5), ($12, $9, 'group', $13, 'view', NULL, $5)`,
		origID(6, 1), reg2, dave, carl, origAt(41), shareToGina, gina, origID(6, 3), reg3, designers, anne, shareToOps, ops)
	exec(`INSERT INTO service_actions (id, service_name, action, description, created_at) VALUES
		($1, 'notes', 'notes:export', 'Export notes', $4), ($2, 'notes', 'notes:share', NULL, $4), ($3, 'docs', 'docs:print', NULL, $4)`,
		exportAct, shareAct, printAct, origAt(50))
	exec(`INSERT INTO roles (id, workspace_id, name, description, created_by, created_at) VALUES
		($1, $2, 'exporter', 'May export', $3, $4), ($5, $6, 'printer', NULL, NULL, $4)`,
		exporter, acme, anne, origAt(51), printer, beta)
	exec(`INSERT INTO role_actions (id, role_id, service_action_id) VALUES ($1, $2, $3), ($4, $2, $5), ($6, $7, $8)`,
		origID(15, 1), exporter, exportAct, origID(15, 2), shareAct, origID(15, 3), printer, printAct)
	exec(`INSERT INTO user_roles (id, user_id, role_id, assigned_by, assigned_at) VALUES
		($1, $2, $3, $4, $5), ($6, $7, $3, $4, $5), ($8, $2, $9, NULL, $5)`,
		origID(16, 1), dave, exporter, anne, origAt(52), origID(16, 2), gina, origID(16, 3), printer)
	exec(`INSERT INTO service_apps (id, name, service_name, key_hash, key_prefix, is_active, allowed_origins, last_used_at, created_by, created_at, updated_at) VALUES
		($1, 'Notes app', 'notes', $2, $3, TRUE, '{https://notes.example}', $4, $5, $6, $6),
		($7, 'Legacy', 'legacy', $8, $9, FALSE, '{}', NULL, NULL, $6, $10)`,
		notesApp, servicekey.Hash(notesKey), notesKey[:7]+"****", origAt(90), anne, origAt(60),
		legacyApp, servicekey.Hash(legacyKey), legacyKey[:7]+"****", origAt(61))
	exec(`INSERT INTO client_apps (id, name, redirect_uris, is_active, created_by, created_at, updated_at) VALUES
		($1, 'Web', '{https://app.example/callback,http://localhost:3000/callback}', TRUE, $2, $3, $3)`,
		webApp, anne, origAt(70))
	exec(`INSERT INTO activity_logs (id, action, actor_id, target_type, target_id, workspace_id, detail, created_at) VALUES
		($1, 'workspace.create', $2, 'workspace', $3, $3, '{"slug": "acme"}', $4),
		($5, 'permission.register', NULL, 'resource', $6, $3, '{"service_name": "notes"}', $7),
		($8, 'user.import', $2, NULL, NULL, NULL, '["a", "b"]', $9)`,
		logWithActor, anne, acme, origAt(80), origID(11, 2), reg1, origAt(81), origID(11, 3), origAt(82))
	return url
}
