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
	"github.com/sentinel-auth/sentinel/internal/testenv"
)

// BenchmarkBatchCheck measures one batch of 100 checks, served in process,
// at each worker count (batchWorkers).
func BenchmarkBatchCheck(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := testenv.SQLiteStore(b)
	a, err := app.New(ctx, st, app.Config{AdminKey: adminKey})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()
	key := testenv.Must(b, 201, testenv.Do(b, "POST", srv.URL+"/v1/admin/services", adminKey, map[string]any{"name": "bench"})).Body["secret"].(string)
	testenv.Must(b, 201, testenv.Do(b, "PUT", srv.URL+"/v1/model", key, map[string]any{"dsl": docsModel}))
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
