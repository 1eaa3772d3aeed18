package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/sentinel-auth/sentinel/store"
)

// The original's CSV import of members and its CSV exports (see
// compat_admin_users.go for the rules they share).
//
// Import: POST /admin/import/csv/preview and /admin/import/csv/execute take
// a CSV file, as the "file" field of a multipart/form-data body or as the
// whole body (text/csv or anything else that is not multipart). Its header
// names the columns, in any order and any case: email and workspace_slug
// are required, name and role optional (role defaults to viewer); other
// columns are ignored. At most admCSVMaxRows data rows.
//
// Users come from IdP sign-in here, so a row does not create a user: an
// email that is a user's is added to the workspace at once; any other gets
// an invitation that becomes a membership at that user's first sign-in
// (store.Invite). A member already is skipped, role unchanged. The name
// column is checked (at most 255 characters) and echoed but not stored: the
// IdP gives users their names.
//
// Preview writes nothing and reports each row: its errors and what execute
// would do ("add_member", "invite", "already_member"). Execute refuses the
// whole file (422, nothing written) if any row has an error, with the same
// per-row report; otherwise it applies each row and reports "added",
// "invited", "skipped" or "failed" per row.
//
// Exports: GET /admin/export/users.csv and /admin/export/workspaces.csv
// (text/csv). A cell that a spreadsheet would read as a formula (starting
// with =, +, -, @, tab or carriage return) is prefixed with ', the usual
// guard against CSV injection: names come from IdPs and users.

// admCSVMaxRows bounds the data rows of one import.
const admCSVMaxRows = 1000

// admCSVRow is one data row of an import and what became of it.
type admCSVRow struct {
	Row           int      `json:"row"` // the line of the file, the header being line 1
	Email         string   `json:"email"`
	Name          string   `json:"name"`
	WorkspaceSlug string   `json:"workspace_slug"`
	Role          string   `json:"role"`
	Errors        []string `json:"errors"`
	// Action is what execute does (preview) or did (execute).
	Action string `json:"action,omitempty"`
	Detail string `json:"detail,omitempty"` // why a row was skipped or failed

	workspaceID string
}

// admCSVRead reads the uploaded file: the multipart field "file", or the
// whole body. An unreadable body is a 422.
func admCSVRead(c *gin.Context) ([]byte, bool) {
	if strings.HasPrefix(c.ContentType(), "multipart/form-data") {
		fh, err := c.FormFile("file")
		if err != nil {
			failDetail(c, http.StatusUnprocessableEntity, "Send the CSV as the multipart field \"file\": "+err.Error())
			return nil, false
		}
		f, err := fh.Open()
		if err == nil {
			defer f.Close()
			var b []byte
			if b, err = io.ReadAll(f); err == nil {
				return b, true
			}
		}
		failDetail(c, http.StatusUnprocessableEntity, "Unreadable file: "+err.Error())
		return nil, false
	}
	b, err := io.ReadAll(c.Request.Body)
	if err != nil {
		failDetail(c, http.StatusUnprocessableEntity, "Unreadable body: "+err.Error())
		return nil, false
	}
	return b, true
}

// admCSVParse splits the file into rows and checks each one on its own
// (email, name, role, duplicates); msg says why the whole file is refused.
func admCSVParse(data []byte) (rows []*admCSVRow, msg string) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark
	if !utf8.Valid(data) {
		return nil, "The CSV must be UTF-8 text"
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.TrimLeadingSpace = true
	records, err := r.ReadAll()
	if err != nil {
		return nil, "Invalid CSV: " + err.Error()
	}
	if len(records) == 0 {
		return nil, "The CSV is empty: it needs the header email,name,workspace_slug,role"
	}
	col := map[string]int{}
	for i, h := range records[0] {
		h = strings.ToLower(strings.TrimSpace(h))
		if _, dup := col[h]; dup && h != "" {
			return nil, fmt.Sprintf("The CSV header names the column %q twice", h)
		}
		col[h] = i
	}
	for _, need := range []string{"email", "workspace_slug"} {
		if _, ok := col[need]; !ok {
			return nil, "The CSV header must name the columns email and workspace_slug (and optionally name, role)"
		}
	}
	if len(records) == 1 {
		return nil, "The CSV has no rows"
	}
	if len(records)-1 > admCSVMaxRows {
		return nil, fmt.Sprintf("The CSV has %d rows; at most %d per import", len(records)-1, admCSVMaxRows)
	}
	cell := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	firstRow := map[string]int{} // email and slug → the row that names them first
	for i, rec := range records[1:] {
		row := &admCSVRow{Row: i + 2, Email: strings.ToLower(cell(rec, "email")), Name: cell(rec, "name"),
			WorkspaceSlug: cell(rec, "workspace_slug"), Role: strings.ToLower(cell(rec, "role")), Errors: []string{}}
		if row.Role == "" {
			row.Role = string(store.RoleViewer)
		}
		if !validEmail(row.Email) {
			row.Errors = append(row.Errors, "email must be an email address")
		}
		if utf8.RuneCountInString(row.Name) > 255 {
			row.Errors = append(row.Errors, "name must be at most 255 characters")
		}
		if row.WorkspaceSlug == "" {
			row.Errors = append(row.Errors, "workspace_slug is required")
		}
		if !store.Role(row.Role).Valid() {
			row.Errors = append(row.Errors, "role must be one of owner, admin, editor, viewer")
		}
		key := row.Email + "\x00" + row.WorkspaceSlug
		if prev, dup := firstRow[key]; dup && row.Email != "" && row.WorkspaceSlug != "" {
			row.Errors = append(row.Errors, fmt.Sprintf("duplicate of row %d", prev))
		} else {
			firstRow[key] = row.Row
		}
		rows = append(rows, row)
	}
	return rows, ""
}

// validEmail is the invitation routes' loose email check (one @ with text
// on both sides, no spaces, at most 320 characters).
func validEmail(v string) bool {
	local, domain, ok := strings.Cut(v, "@")
	return ok && local != "" && domain != "" && !strings.ContainsAny(v, " \t\r\n") &&
		!strings.Contains(domain, "@") && len(v) <= 320
}

// admCSVCheck reads the file and checks every row against the store
// (workspace, user, membership), setting each valid row's Action. ok is
// false if the request was answered (the whole file refused, or a store
// failure).
func (s *Server) admCSVCheck(c *gin.Context) ([]*admCSVRow, bool) {
	data, ok := admCSVRead(c)
	if !ok {
		return nil, false
	}
	rows, msg := admCSVParse(data)
	if msg != "" {
		failDetail(c, http.StatusUnprocessableEntity, msg)
		return nil, false
	}
	ctx := c.Request.Context()
	workspaces := map[string]string{} // slug → id, "" for none
	for _, row := range rows {
		if row.WorkspaceSlug != "" {
			wid, seen := workspaces[row.WorkspaceSlug]
			if !seen {
				w, err := s.cfg.Store.WorkspaceBySlug(ctx, row.WorkspaceSlug)
				if err != nil && !errors.Is(err, store.ErrNotFound) {
					s.admInternal(c, "read workspace", err)
					return nil, false
				}
				wid, workspaces[row.WorkspaceSlug] = w.ID, w.ID
			}
			if wid == "" {
				row.Errors = append(row.Errors, "no workspace has the slug "+strconv.Quote(row.WorkspaceSlug))
			}
			row.workspaceID = wid
		}
		if len(row.Errors) > 0 {
			continue
		}
		action, err := s.admCSVAction(ctx, row)
		if err != nil {
			s.admInternal(c, "check a CSV row", err)
			return nil, false
		}
		row.Action = action
	}
	return rows, true
}

// admCSVAction says what importing a valid row would do now.
func (s *Server) admCSVAction(ctx context.Context, row *admCSVRow) (string, error) {
	u, err := s.cfg.Store.UserByEmail(ctx, row.Email)
	if errors.Is(err, store.ErrNotFound) {
		return "invite", nil
	}
	if err != nil {
		return "", err
	}
	_, err = s.cfg.Store.Membership(ctx, row.workspaceID, u.ID)
	switch {
	case err == nil:
		return "already_member", nil
	case errors.Is(err, store.ErrNotMember):
		return "add_member", nil
	}
	return "", err
}

type admCSVReport struct {
	Rows    []*admCSVRow `json:"rows"`
	Total   int          `json:"total"`
	Valid   int          `json:"valid"`
	Invalid int          `json:"invalid"`
}

func admCSVReportOf(rows []*admCSVRow) admCSVReport {
	rep := admCSVReport{Rows: rows, Total: len(rows)}
	for _, r := range rows {
		if len(r.Errors) == 0 {
			rep.Valid++
		} else {
			rep.Invalid++
		}
	}
	return rep
}

// admCSVPreview is POST /admin/import/csv/preview: the per-row report,
// nothing written.
func (s *Server) admCSVPreview(c *gin.Context) {
	rows, ok := s.admCSVCheck(c)
	if !ok {
		return
	}
	c.JSON(http.StatusOK, admCSVReportOf(rows))
}

type admCSVExecuteJSON struct {
	Rows    []*admCSVRow `json:"rows"`
	Total   int          `json:"total"`
	Added   int          `json:"added"`
	Invited int          `json:"invited"`
	Skipped int          `json:"skipped"`
	Failed  int          `json:"failed"`
}

// admCSVExecute is POST /admin/import/csv/execute: all rows valid, or
// nothing is written (422 with the per-row report).
func (s *Server) admCSVExecute(c *gin.Context) {
	rows, ok := s.admCSVCheck(c)
	if !ok {
		return
	}
	if rep := admCSVReportOf(rows); rep.Invalid > 0 {
		c.AbortWithStatusJSON(http.StatusUnprocessableEntity, gin.H{
			"detail": fmt.Sprintf("%d of %d rows are invalid; nothing was imported", rep.Invalid, rep.Total),
			"rows":   rows, "total": rep.Total, "valid": rep.Valid, "invalid": rep.Invalid})
		return
	}
	// The rows are applied even if the client goes away meanwhile: each
	// one is its own transaction, with its entry, and the report is the
	// only record of which ones ran.
	ctx := context.WithoutCancel(c.Request.Context())
	by := adminBy(ctx)
	out := admCSVExecuteJSON{Rows: rows, Total: len(rows)}
	for _, row := range rows {
		rec := recordOf(ctx, by, func(res store.InviteResult) []act {
			return []act{admCSVAct(row, res)}
		})
		res, err := s.cfg.Store.Invite(rec, row.workspaceID, row.Email, store.Role(row.Role), "")
		switch {
		case errors.Is(err, store.ErrAlreadyExists):
			row.Action, row.Detail = "skipped", "already a member of the workspace"
			out.Skipped++
		case err != nil:
			s.log.Error("compat admin: CSV import row", "row", row.Row, "err", err)
			row.Action, row.Detail = "failed", "internal error"
			out.Failed++
		case res.Member != nil:
			row.Action = "added"
			out.Added++
		default:
			row.Action = "invited"
			out.Invited++
		}
	}
	s.admCommitted(c)
	// The summary is no write's record (each row's entry went with the
	// row), so it is appended on its own, after the rows. The rows are
	// committed whatever happens to it, and the report below is the
	// client's only account of them: a failure is logged, not answered.
	summary, err := by.entries([]act{{store.ActivityEntry{Action: "csv.imported"}, map[string]any{"total": out.Total,
		"added": out.Added, "invited": out.Invited, "skipped": out.Skipped, "failed": out.Failed}}})
	if err == nil {
		_, err = s.cfg.Store.AppendActivity(ctx, summary[0])
	}
	if err != nil {
		s.log.Error("compat admin: CSV import summary not recorded", "err", err)
	}
	c.JSON(http.StatusOK, out)
}

// admCSVAct is the entry of an imported row: the member added, or the
// invitation stored.
func admCSVAct(row *admCSVRow, res store.InviteResult) act {
	e := store.ActivityEntry{Action: "member.invited", TargetType: "invitation", WorkspaceID: row.workspaceID}
	if res.Member != nil {
		e.Action, e.TargetType, e.TargetID = "member.added", "user", res.Member.UserID
	} else if res.Invitation != nil {
		e.TargetID = res.Invitation.ID
	}
	return act{e, map[string]any{"email": row.Email, "role": row.Role, "source": "csv"}}
}

// admCSVCell guards a text cell against formula injection.
func admCSVCell(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// admWriteCSV answers 200 with the records as a CSV attachment.
func admWriteCSV(c *gin.Context, filename string, records [][]string) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.WriteAll(records) // a bytes.Buffer does not fail
	c.Header("Content-Disposition", `attachment; filename="`+filename+`"`)
	c.Data(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}

// admExportPages reads every page of a directory list; a row seen on an
// earlier page (the list shifted under a concurrent insert) is dropped.
func admExportPages[T any](ctx context.Context, list func(ctx context.Context, page, size int) ([]T, int, error),
	id func(T) string) ([]T, error) {
	var (
		out  []T
		seen = map[string]bool{}
	)
	for page := 1; ; page++ {
		items, total, err := list(ctx, page, store.MaxDirectoryPageSize)
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			if !seen[id(it)] {
				seen[id(it)] = true
				out = append(out, it)
			}
		}
		if len(items) == 0 || page*store.MaxDirectoryPageSize >= total {
			return out, nil
		}
	}
}

func admTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// admExportUsers is GET /admin/export/users.csv: every user, newest first,
// as id,email,name,is_active,is_admin,created_at.
func (s *Server) admExportUsers(c *gin.Context) {
	users, err := admExportPages(c.Request.Context(), func(ctx context.Context, page, size int) ([]store.User, int, error) {
		return s.cfg.Store.ListUsers(ctx, "", page, size)
	}, func(u store.User) string { return u.ID })
	if err != nil {
		s.admInternal(c, "export users", err)
		return
	}
	records := [][]string{{"id", "email", "name", "is_active", "is_admin", "created_at"}}
	for _, u := range users {
		records = append(records, []string{u.ID, admCSVCell(u.Email), admCSVCell(u.Name),
			strconv.FormatBool(u.Active), strconv.FormatBool(u.Admin), admTime(u.CreatedAt)})
	}
	admWriteCSV(c, "users.csv", records)
}

// admExportWorkspaces is GET /admin/export/workspaces.csv: every workspace,
// newest first, as id,slug,name,description,member_count,group_count,
// created_by,created_at.
func (s *Server) admExportWorkspaces(c *gin.Context) {
	ws, err := admExportPages(c.Request.Context(), func(ctx context.Context, page, size int) ([]store.WorkspaceSummary, int, error) {
		return s.cfg.Store.ListWorkspaces(ctx, "", page, size)
	}, func(w store.WorkspaceSummary) string { return w.ID })
	if err != nil {
		s.admInternal(c, "export workspaces", err)
		return
	}
	records := [][]string{{"id", "slug", "name", "description", "member_count", "group_count", "created_by", "created_at"}}
	for _, w := range ws {
		records = append(records, []string{w.ID, admCSVCell(w.Slug), admCSVCell(w.Name), admCSVCell(w.Description),
			strconv.Itoa(w.MemberCount), strconv.Itoa(w.GroupCount), w.CreatedBy, admTime(w.CreatedAt)})
	}
	admWriteCSV(c, "workspaces.csv", records)
}
