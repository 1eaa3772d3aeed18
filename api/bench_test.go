package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/sentinel-auth/sentinel/api"
	"github.com/sentinel-auth/sentinel/app"
	"github.com/sentinel-auth/sentinel/engine"
	"github.com/sentinel-auth/sentinel/internal/apptest"
	"github.com/sentinel-auth/sentinel/internal/testenv"
	"github.com/sentinel-auth/sentinel/tuple"
)

// BenchmarkBatchCheck measures one batch of 100 checks, served in process,
// at each worker count (batchWorkers).
func BenchmarkBatchCheck(b *testing.B) {
	a, srv, key, _ := benchServer(b)
	var writes []any
	for i := range 100 {
		writes = append(writes, tk(fmt.Sprintf("doc:%d", i), "viewer", fmt.Sprintf("user:u%d", i%10)))
	}
	testenv.Must(b, 200, testenv.Do(b, "POST", srv.URL+"/v1/tuples", key, map[string]any{"writes": writes}))
	checks := make([]any, 100)
	for i := range checks {
		checks[i] = map[string]any{"correlation_id": fmt.Sprint(i), "object": fmt.Sprintf("doc:%d", i),
			"relation": "viewer", "user": fmt.Sprintf("user:u%d", i%7)}
	}
	body, _ := json.Marshal(map[string]any{"checks": checks})
	defer func(w int) { *api.BatchWorkers = w }(*api.BatchWorkers)
	for _, workers := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			*api.BatchWorkers = workers
			for b.Loop() {
				req := httptest.NewRequest("POST", "/v1/check/batch", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+key)
				rec := httptest.NewRecorder()
				a.Handler.ServeHTTP(rec, req)
				if rec.Code != 200 {
					b.Fatalf("%d %s", rec.Code, rec.Body)
				}
			}
		})
	}
}

// BenchmarkCheckHTTP measures one /v1/check served in process (no network),
// against the engine alone answering the same question: the difference is
// the HTTP layer's cost (routing, key authentication, JSON, metrics).
func BenchmarkCheckHTTP(b *testing.B) {
	ctx := context.Background()
	a, srv, key, svcID := benchServer(b)
	testenv.Must(b, 200, testenv.Do(b, "POST", srv.URL+"/v1/tuples", key, map[string]any{"writes": []any{tk("doc:1", "viewer", "user:anne")}}))
	body := []byte(`{"object":"doc:1","relation":"viewer","user":"user:anne"}`)
	b.Run("http", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			req := httptest.NewRequest("POST", "/v1/check", bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+key)
			rec := httptest.NewRecorder()
			a.Handler.ServeHTTP(rec, req)
			if rec.Code != 200 {
				b.Fatalf("%d %s", rec.Code, rec.Body)
			}
		}
	})
	b.Run("engine", func(b *testing.B) {
		q := engine.CheckRequest{Object: tuple.Object{Type: "doc", ID: "1"}, Relation: "viewer", User: tuple.User{Type: "user", ID: "anne"}}
		b.ReportAllocs()
		for b.Loop() {
			if res, err := a.Engine.Check(ctx, svcID, q); err != nil || !res.Allowed {
				b.Fatal(res, err)
			}
		}
	})
}

// benchServer starts a server on a fresh SQLite store with one service
// holding docsModel, and returns it with the service's key and id.
func benchServer(b *testing.B) (*app.App, *httptest.Server, string, string) {
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	a, err := app.New(ctx, testenv.SQLiteStore(b), app.Config{AdminKey: adminKey, Identity: apptest.Identity(b)})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler)
	b.Cleanup(srv.Close)
	issued := testenv.Must(b, 201, testenv.Do(b, "POST", srv.URL+"/v1/admin/services", adminKey, map[string]any{"name": "bench"}))
	key := issued.Body["secret"].(string)
	testenv.Must(b, 201, testenv.Do(b, "PUT", srv.URL+"/v1/model", key, map[string]any{"dsl": docsModel}))
	return a, srv, key, issued.Body["service"].(map[string]any)["id"].(string)
}
