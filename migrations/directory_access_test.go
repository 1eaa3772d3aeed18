package migrations

import "testing"

// TestDirectoryAccessCarriedOver: migration 00013 gives directory access
// to exactly the services whose current model opts in to the directory
// (so an upgrade changes no answer), and to no other: a service whose
// older version opted in but whose current one does not, a service
// without a model, and the system service stay without it.
func TestDirectoryAccessCarriedOver(t *testing.T) {
	t.Parallel()
	for _, dialect := range []string{SQLite, Postgres} {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			db := openDB(t, dialect)
			p, err := newProvider(ctx, db, dialect)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.UpTo(ctx, 12); err != nil {
				t.Fatalf("up to 12: %v", err)
			}
			// Times in each dialect's stored form (SQLite: unix µs).
			var at any = "2026-01-01T00:00:00Z"
			yes, no := any(true), any(false)
			if dialect == SQLite {
				at, yes, no = int64(1), 1, 0
			}
			const system = "00000000-0000-0000-0000-000000000000"
			services := []struct {
				id     string
				models []any // directory of each version, oldest first
				want   bool
			}{
				{"opted-in", []any{no, yes}, true},
				{"opted-out-since", []any{yes, no}, false},
				{"never", []any{no}, false},
				{"no-model", nil, false},
				{system, []any{yes}, false}, // cannot happen; never granted
			}
			q := func(sqlite, postgres string) string {
				if dialect == SQLite {
					return sqlite
				}
				return postgres
			}
			for _, s := range services {
				// The system service exists already (migration 00003).
				if s.id != system {
					if _, err := db.ExecContext(ctx, q(`INSERT INTO services (id, name, created_at) VALUES (?, ?, ?)`,
						`INSERT INTO services (id, name, created_at) VALUES ($1, $2, $3)`), s.id, "n-"+s.id, at); err != nil {
						t.Fatalf("insert service %s: %v", s.id, err)
					}
				}
				for v, dir := range s.models {
					if _, err := db.ExecContext(ctx, q(`INSERT INTO models (id, service_id, version, dsl, json, created_at, revision, directory) VALUES (?, ?, ?, '', '{}', ?, 1, ?)`,
						`INSERT INTO models (id, service_id, version, dsl, json, created_at, revision, directory) VALUES ($1, $2, $3, '', '{}', $4, 1, $5)`),
						s.id+"-"+string(rune('a'+v)), s.id, v+1, at, dir); err != nil {
						t.Fatalf("insert model of %s: %v", s.id, err)
					}
				}
			}
			if err := Apply(ctx, db, dialect); err != nil {
				t.Fatalf("Apply: %v", err)
			}
			for _, s := range services {
				var got bool
				if err := db.QueryRowContext(ctx, q(`SELECT directory_access FROM services WHERE id = ?`,
					`SELECT directory_access FROM services WHERE id = $1`), s.id).Scan(&got); err != nil {
					t.Fatalf("read %s: %v", s.id, err)
				}
				if got != s.want {
					t.Errorf("service %s: directory_access %v, want %v", s.id, got, s.want)
				}
			}
		})
	}
}
