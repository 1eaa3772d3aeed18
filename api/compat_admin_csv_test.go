package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/sentinel-auth/sentinel/internal/testenv"
	"github.com/sentinel-auth/sentinel/store"
)

// multipartCSV is a multipart/form-data body with the CSV in field.
func multipartCSV(t *testing.T, field, content string) (body []byte, contentType string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile(field, "members.csv")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(fw, content); err != nil {
		t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), mw.FormDataContentType()
}

// csvHeaders are admHeaders with the given content type.
func csvHeaders(contentType string) map[string]string {
	h := map[string]string{"Content-Type": contentType}
	for k, v := range admHeaders {
		h[k] = v
	}
	return h
}

// csvRows returns the rows of an import answer.
func csvRows(t *testing.T, r testenv.Response) []map[string]any {
	t.Helper()
	raw, _ := json.Marshal(r.Body["rows"])
	var out []map[string]any
	if err := json.Unmarshal(raw, &out); err != nil || out == nil {
		t.Fatalf("rows is not an array: %s", r.Raw)
	}
	return out
}

// rowErrors returns each row's errors joined by "; ".
func rowErrors(rows []map[string]any) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		var errs []string
		for _, e := range r["errors"].([]any) {
			errs = append(errs, e.(string))
		}
		out[i] = strings.Join(errs, "; ")
	}
	return out
}

func TestCompatAdminCSVImport(t *testing.T) {
	t.Parallel()
	w := startWS(t, testenv.SQLiteStore(t))
	ctx := context.Background()
	owner, bob, carl := w.user("owner"), w.user("bob"), w.user("carl")
	team := w.createWorkspace(owner, "team")
	lab := w.createWorkspace(owner, "lab")
	w.addMember(team, bob, store.RoleViewer)
	_ = carl

	good := "\xef\xbb\xbfEmail, Name ,WORKSPACE_SLUG,Role,notes\n" +
		"carl@example.com,Carl,team,editor,x\n" +
		"bob@example.com,Bob,team,,\n" +
		"new@example.com,New Person,team,Admin,\n" +
		"NEW@example.com,,lab,,\n"
	preview := w.must(200, admSend(t, "POST", w.srv.URL+"/admin/import/csv/preview", csvHeaders("text/csv"), good))
	wantKeys(t, "preview", preview.Body, "rows", "total", "valid", "invalid")
	if preview.Body["total"] != float64(4) || preview.Body["valid"] != float64(4) || preview.Body["invalid"] != float64(0) {
		t.Fatalf("preview counts %s", preview.Raw)
	}
	rows := csvRows(t, preview)
	wantKeys(t, "row", rows[0], "row", "email", "name", "workspace_slug", "role", "errors", "action")
	if got := field(rows, "action"); !slices.Equal(got, []string{"add_member", "already_member", "invite", "invite"}) {
		t.Fatalf("preview actions %v", got)
	}
	if got := field(rows, "role"); !slices.Equal(got, []string{"editor", "viewer", "admin", "viewer"}) {
		t.Fatalf("preview roles %v", got)
	}
	if rows[3]["email"] != "new@example.com" || rows[3]["row"] != float64(5) || rows[0]["name"] != "Carl" {
		t.Fatalf("preview rows %v", rows)
	}

	bad := "email,name,workspace_slug,role\n" +
		"not-an-email,A,team,viewer\n" +
		"a@example.com,A,nowhere,viewer\n" +
		"b@example.com,B,team,boss\n" +
		"c@example.com,C,team,viewer\n" +
		"C@example.com,C,team,editor\n" +
		"d@example.com," + strings.Repeat("n", 256) + ",team,\n" +
		"e@example.com,E,,\n"
	r := w.must(200, admSend(t, "POST", w.srv.URL+"/admin/import/csv/preview", csvHeaders("text/csv"), bad))
	if r.Body["valid"] != float64(1) || r.Body["invalid"] != float64(6) {
		t.Fatalf("preview of a bad file: %s", r.Raw)
	}
	wantErrs := []string{"email must be an email address", `no workspace has the slug "nowhere"`,
		"role must be one of owner, admin, editor, viewer", "", "duplicate of row 5",
		"name must be at most 255 characters", "workspace_slug is required"}
	if got := rowErrors(csvRows(t, r)); !slices.Equal(got, wantErrs) {
		t.Fatalf("row errors\n got  %q\n want %q", got, wantErrs)
	}

	tooMany := "email,workspace_slug\n" + strings.Repeat("x@example.com,team\n", 1001)
	noFile, noFileType := multipartCSV(t, "upload", good)
	w.wantRefusals([]admRefusal{
		{"execute: an invalid row", "POST", "/admin/import/csv/execute", csvHeaders("text/csv"), bad, 422, "6 of 7 rows are invalid"},
		{"empty", "POST", "/admin/import/csv/preview", csvHeaders("text/csv"), "", 422, "empty"},
		{"header only", "POST", "/admin/import/csv/execute", csvHeaders("text/csv"), "email,workspace_slug\n", 422, "no rows"},
		{"no workspace_slug column", "POST", "/admin/import/csv/execute", csvHeaders("text/csv"), "email,name\na@example.com,A\n", 422, "workspace_slug"},
		{"a column twice", "POST", "/admin/import/csv/execute", csvHeaders("text/csv"), "email,email,workspace_slug\n", 422, "twice"},
		{"too many rows", "POST", "/admin/import/csv/execute", csvHeaders("text/csv"), tooMany, 422, "at most 1000"},
		{"bare quote", "POST", "/admin/import/csv/execute", csvHeaders("text/csv"), "email,workspace_slug\na\"b@example.com,team\n", 422, "Invalid CSV"},
		{"ragged row", "POST", "/admin/import/csv/execute", csvHeaders("text/csv"), "email,workspace_slug\na@example.com\n", 422, "Invalid CSV"},
		{"not UTF-8", "POST", "/admin/import/csv/execute", csvHeaders("text/csv"), "email,workspace_slug\n\xff@example.com,team\n", 422, "UTF-8"},
		{"multipart without the file field", "POST", "/admin/import/csv/execute", csvHeaders(noFileType), noFile, 422, "file"},
		{"no X-Requested-With", "POST", "/admin/import/csv/execute",
			map[string]string{"X-Admin-Key": adminKey, "Content-Type": "text/csv"}, good, 403, "X-Requested-With"},
		{"no credential", "POST", "/admin/import/csv/preview", map[string]string{"Content-Type": "text/csv"}, good, 401, "Not authenticated"},
	})
	// The refused execute reports its rows as preview does.
	r = admSend(t, "POST", w.srv.URL+"/admin/import/csv/execute", csvHeaders("text/csv"), bad)
	if got := rowErrors(csvRows(t, r)); r.Status != 422 || !slices.Equal(got, wantErrs) {
		t.Fatalf("refused execute: %d %s", r.Status, r.Raw)
	}

	// Execute, as a multipart upload: existing users join, others are
	// invited, members are skipped.
	body, contentType := multipartCSV(t, "file", good)
	r = w.must(200, admSend(t, "POST", w.srv.URL+"/admin/import/csv/execute", csvHeaders(contentType), body))
	wantKeys(t, "execute", r.Body, "rows", "total", "added", "invited", "skipped", "failed")
	if r.Body["added"] != float64(1) || r.Body["invited"] != float64(2) || r.Body["skipped"] != float64(1) || r.Body["failed"] != float64(0) {
		t.Fatalf("execute counts %s", r.Raw)
	}
	if got := field(csvRows(t, r), "action"); !slices.Equal(got, []string{"added", "skipped", "invited", "invited"}) {
		t.Fatalf("execute actions %v", got)
	}
	if m, err := w.st.Membership(ctx, team, carl.ID); err != nil || m.Role != store.RoleEditor {
		t.Fatalf("carl's membership %+v %v", m, err)
	}
	if m, _ := w.st.Membership(ctx, team, bob.ID); m.Role != store.RoleViewer {
		t.Fatalf("bob's role changed to %s", m.Role)
	}
	invited := func(wid string) []string {
		invs, err := w.st.Invitations(ctx, wid)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, inv := range invs {
			out = append(out, inv.Email+" "+string(inv.Role))
		}
		return out
	}
	if got, got2 := invited(team), invited(lab); !slices.Equal(got, []string{"new@example.com admin"}) ||
		!slices.Equal(got2, []string{"new@example.com viewer"}) {
		t.Fatalf("invitations %v %v", got, got2)
	}
	for action, n := range map[string]int{"member.added": 1, "member.invited": 2, "csv.imported": 1} {
		if es := w.adminEntries(action); len(es) != n {
			t.Fatalf("%d %s entries, want %d: %+v", len(es), action, n, es)
		}
	}
	// A second run changes nothing but the log: everyone is in or invited.
	r = w.must(200, admSend(t, "POST", w.srv.URL+"/admin/import/csv/execute", csvHeaders("text/csv"), good))
	if r.Body["added"] != float64(0) || r.Body["skipped"] != float64(2) || r.Body["invited"] != float64(2) {
		t.Fatalf("second execute %s", r.Raw)
	}
}

// csvGet fetches an export and parses it.
func csvGet(t *testing.T, url string) [][]string {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adminKey)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/csv; charset=utf-8" ||
		!strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment;") {
		b, _ := io.ReadAll(res.Body)
		t.Fatalf("GET %s = %d %v %s", url, res.StatusCode, res.Header, b)
	}
	records, err := csv.NewReader(res.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return records
}

func TestCompatAdminCSVExport(t *testing.T) {
	t.Parallel()
	w := startWS(t, testenv.SQLiteStore(t))
	owner := w.user("owner")
	evil, _, err := w.st.ProvisionUser(context.Background(), store.IdentitySighting{Provider: "p", Subject: "p|evil",
		Email: "evil@example.com", Name: `=HYPERLINK("http://x.example","click")`})
	if err != nil {
		t.Fatal(err)
	}
	team := w.createWorkspace(owner, "team")
	w.addMember(team, evil, store.RoleViewer)

	users := csvGet(t, w.srv.URL+"/admin/export/users.csv")
	if !slices.Equal(users[0], []string{"id", "email", "name", "is_active", "is_admin", "created_at"}) || len(users) != 3 {
		t.Fatalf("users.csv %q", users)
	}
	if users[1][0] != evil.ID || users[1][2] != `'=HYPERLINK("http://x.example","click")` || users[1][3] != "true" ||
		users[2][0] != owner.ID || users[2][2] != "Name owner" {
		t.Fatalf("users.csv rows %q", users[1:])
	}
	ws := csvGet(t, w.srv.URL+"/admin/export/workspaces.csv")
	if !slices.Equal(ws[0], []string{"id", "slug", "name", "description", "member_count", "group_count", "created_by", "created_at"}) ||
		len(ws) != 2 || ws[1][0] != team || ws[1][1] != "team" || ws[1][4] != "2" || ws[1][6] != owner.ID {
		t.Fatalf("workspaces.csv %q", ws)
	}
	w.wantRefusals([]admRefusal{{"no credential", "GET", "/admin/export/users.csv", map[string]string{}, nil, 401, "Not authenticated"}})
}
