package api

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/sentinel-auth/sentinel/store"
)

// ActivityLog is the part of the store the activity routes use. The store
// passed in Config.Store provides it.
type ActivityLog interface {
	AppendActivity(ctx context.Context, e store.ActivityEntry) (store.ActivityEntry, error)
	ListActivity(ctx context.Context, f store.ActivityFilter, page, pageSize int) ([]store.ActivityEntry, int, error)
}

// Actions recorded by the handlers of this package (the compat handlers
// name theirs in place). Every handler records its entry inside the
// transaction of its write (activity_record.go).
const (
	actionServiceCreated  = "service.created"
	actionKeyRotated      = "service.key_rotated"
	actionKeyRevoked      = "service.key_revoked"
	actionUserActivated   = "user.activated"
	actionUserDeactivated = "user.deactivated"
	actionModelWritten    = "model.written"
)

// adminLabel is the actor label of entries made with the admin credential.
const adminLabel = "admin credential"

// Pagination of GET /v1/admin/activity (the original's: pages from 1,
// page_size at most 100, 50 by default).
const (
	defaultActivityPageSize = 50
	maxActivityPageSize     = 100
)

// activityLog returns the store's activity log, or nil if the store has
// none.
func (s *Server) activityLog() ActivityLog {
	al, _ := s.cfg.Store.(ActivityLog)
	return al
}

type activityItem struct {
	ID          string          `json:"id"`
	Action      string          `json:"action"`
	ActorID     string          `json:"actor_id"`
	ActorType   string          `json:"actor_type"`
	ActorLabel  string          `json:"actor_label"`
	TargetType  string          `json:"target_type"`
	TargetID    string          `json:"target_id"`
	WorkspaceID string          `json:"workspace_id"`
	Detail      json.RawMessage `json:"detail"`
	CreatedAt   time.Time       `json:"created_at"`
}

type activityPage struct {
	Items    []activityItem `json:"items"`
	Total    int            `json:"total"`
	Page     int            `json:"page"`
	PageSize int            `json:"page_size"`
}

// listActivity serves GET /v1/admin/activity: the activity log, newest
// first, filtered by action, target_type, workspace_id, actor_id, from_date
// and to_date (both inclusive; a date without a time covers its whole day,
// in UTC), paginated by page and page_size.
func (s *Server) listActivity(c *gin.Context) {
	f, page, size, msg := parseActivityQuery(c)
	if msg != "" {
		fail(c, http.StatusBadRequest, codeInvalidArgument, msg)
		return
	}
	al := s.activityLog()
	if al == nil {
		fail(c, http.StatusServiceUnavailable, codeUnavailable, "this store has no activity log")
		return
	}
	entries, total, err := al.ListActivity(c.Request.Context(), f, page, size)
	if err != nil {
		s.failErr(c, err)
		return
	}
	out := activityPage{Items: make([]activityItem, len(entries)), Total: total, Page: page, PageSize: size}
	for i, e := range entries {
		out.Items[i] = activityItem{ID: e.ID, Action: e.Action, ActorID: e.ActorID, ActorType: string(e.ActorType),
			ActorLabel: e.ActorLabel, TargetType: e.TargetType, TargetID: e.TargetID, WorkspaceID: e.WorkspaceID,
			Detail: json.RawMessage(e.Detail), CreatedAt: e.CreatedAt}
	}
	c.JSON(http.StatusOK, out)
}

// parseActivityQuery reads the filter and page of GET /v1/admin/activity;
// msg says what is wrong with them, if anything.
func parseActivityQuery(c *gin.Context) (f store.ActivityFilter, page, size int, msg string) {
	f = store.ActivityFilter{
		Action:      c.Query("action"),
		TargetType:  c.Query("target_type"),
		WorkspaceID: c.Query("workspace_id"),
		ActorID:     c.Query("actor_id"),
	}
	var err error
	if page, err = intParam(c, "page", 1); err != nil || page < 1 {
		return f, 0, 0, fmt.Sprintf("page %q must be an integer >= 1", c.Query("page"))
	}
	if size, err = intParam(c, "page_size", defaultActivityPageSize); err != nil || size < 1 || size > maxActivityPageSize {
		return f, 0, 0, fmt.Sprintf("page_size %q must be an integer from 1 to %d", c.Query("page_size"), maxActivityPageSize)
	}
	if page-1 > math.MaxInt64/size {
		return f, 0, 0, fmt.Sprintf("page %d is too large", page)
	}
	if f.From, err = dateParam(c, "from_date", false); err != nil {
		return f, 0, 0, err.Error()
	}
	if f.To, err = dateParam(c, "to_date", true); err != nil {
		return f, 0, 0, err.Error()
	}
	if !f.From.IsZero() && !f.To.IsZero() && f.From.After(f.To) {
		return f, 0, 0, "from_date is after to_date"
	}
	return f, page, size, ""
}

// intParam returns the integer query parameter name, or def if it is absent.
func intParam(c *gin.Context, name string, def int) (int, error) {
	v, ok := c.GetQuery(name)
	if !ok {
		return def, nil
	}
	return strconv.Atoi(v)
}

// dateLayouts are the accepted forms of from_date and to_date: RFC 3339,
// and ISO 8601 without a zone (UTC) or without a time.
var dateLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999"}

// dateParam parses the date query parameter name; the zero time when it is
// absent or empty. A date without a time is the start of that day in UTC,
// or its last microsecond if endOfDay (an inclusive upper bound).
func dateParam(c *gin.Context, name string, endOfDay bool) (time.Time, error) {
	v := strings.TrimSpace(c.Query(name))
	if v == "" {
		return time.Time{}, nil
	}
	if d, err := time.Parse(time.DateOnly, v); err == nil {
		if endOfDay {
			return d.AddDate(0, 0, 1).Add(-time.Microsecond), nil
		}
		return d, nil
	}
	// An unescaped "+" of a zone offset arrives as a space.
	candidates := []string{v}
	if i := strings.LastIndexByte(v, ' '); i > len(time.DateOnly) {
		candidates = append(candidates, v[:i]+"+"+v[i+1:])
	}
	for _, s := range candidates {
		for _, layout := range dateLayouts {
			if t, err := time.Parse(layout, s); err == nil {
				return t.UTC(), nil
			}
		}
	}
	return time.Time{}, fmt.Errorf("%s %q must be a date (2024-01-31) or a date and time (2024-01-31T15:04:05Z, RFC 3339)", name, v)
}
