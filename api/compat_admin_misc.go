package api

import (
	"context"
	"encoding/json"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/gin-gonic/gin"
)

// The original's /admin activity log, dashboard counts and system health
// (see compat_admin_users.go for the rules they share).

// admActivity is GET /admin/activity?action=&target_type=&workspace_id=
// &actor_id=&from_date=&to_date=&page=&page_size=: the activity log,
// newest first, with the filters and dates of GET /v1/admin/activity
// (dates inclusive; a date without a time covers its whole day in UTC).
// Items are {id, action, actor_id, actor_type, actor_label, target_type,
// target_id, workspace_id, detail, created_at}; a bad query is a 422.
func (s *Server) admActivity(c *gin.Context) {
	f, page, size, msg := parseActivityQuery(c)
	if msg != "" {
		failDetail(c, http.StatusUnprocessableEntity, msg)
		return
	}
	entries, total, err := s.cfg.Store.ListActivity(c.Request.Context(), f, page, size)
	if err != nil {
		s.admInternal(c, "list activity", err)
		return
	}
	out := admPage[activityItem]{Items: make([]activityItem, len(entries)), Total: total, Page: page, PageSize: size}
	for i, e := range entries {
		out.Items[i] = activityItem{ID: e.ID, Action: e.Action, ActorID: e.ActorID, ActorType: string(e.ActorType),
			ActorLabel: e.ActorLabel, TargetType: e.TargetType, TargetID: e.TargetID, WorkspaceID: e.WorkspaceID,
			Detail: json.RawMessage(e.Detail), CreatedAt: e.CreatedAt}
	}
	c.JSON(http.StatusOK, out)
}

// admStatsJSON is the dashboard: totals of each kind of row. Service apps
// are our services (the system service excluded).
type admStatsJSON struct {
	TotalUsers          int `json:"total_users"`
	ActiveUsers         int `json:"active_users"`
	AdminUsers          int `json:"admin_users"`
	TotalWorkspaces     int `json:"total_workspaces"`
	TotalMemberships    int `json:"total_memberships"`
	PendingInvitations  int `json:"pending_invitations"`
	TotalGroups         int `json:"total_groups"`
	TotalResources      int `json:"total_resources"`
	TotalShares         int `json:"total_shares"`
	TotalServiceApps    int `json:"total_service_apps"`
	TotalServiceActions int `json:"total_service_actions"`
	TotalRoles          int `json:"total_roles"`
	TotalClientApps     int `json:"total_client_apps"`
	TotalActivity       int `json:"total_activity"`
}

// admStats is GET /admin/stats.
func (s *Server) admStats(c *gin.Context) {
	st, err := s.cfg.Store.Stats(c.Request.Context())
	if err != nil {
		s.admInternal(c, "stats", err)
		return
	}
	c.JSON(http.StatusOK, admStatsJSON{
		TotalUsers: st.Users, ActiveUsers: st.ActiveUsers, AdminUsers: st.AdminUsers, TotalWorkspaces: st.Workspaces,
		TotalMemberships: st.Memberships, PendingInvitations: st.PendingInvitations, TotalGroups: st.Groups,
		TotalResources: st.Resources, TotalShares: st.Shares, TotalServiceApps: st.Services,
		TotalServiceActions: st.ServiceActions, TotalRoles: st.Roles, TotalClientApps: st.ClientApps,
		TotalActivity: st.ActivityEntries,
	})
}

// Values of the health checks.
const (
	checkOK            = "ok"
	checkError         = "error"
	checkNotConfigured = "not_configured"
)

// admHealthTimeout bounds each health check.
const admHealthTimeout = 2 * time.Second

type admHealthJSON struct {
	Status        string            `json:"status"` // "ok", or "degraded" if a configured dependency fails
	Checks        map[string]string `json:"checks"`
	UptimeSeconds int64             `json:"uptime_seconds"`
	Version       string            `json:"version"`
}

// admHealth is GET /admin/health → {status, checks: {database, redis},
// uptime_seconds, version}. It answers 200 either way: the dashboard shows
// what failed. Errors are not described (they may name hosts).
func (s *Server) admHealth(c *gin.Context) {
	ctx := c.Request.Context()
	check := func(ping func(context.Context) error) string {
		cctx, cancel := context.WithTimeout(ctx, admHealthTimeout)
		defer cancel()
		if err := ping(cctx); err != nil {
			s.log.Warn("admin health check failed", "err", err)
			return checkError
		}
		return checkOK
	}
	out := admHealthJSON{Status: "ok", Checks: map[string]string{"database": check(s.cfg.Store.Ping),
		"redis": checkNotConfigured}, UptimeSeconds: int64(time.Since(s.started).Seconds()), Version: s.version()}
	if s.cfg.RedisPing != nil {
		out.Checks["redis"] = check(s.cfg.RedisPing)
	}
	for _, v := range out.Checks {
		if v == checkError {
			out.Status = "degraded"
		}
	}
	c.JSON(http.StatusOK, out)
}

// version is Config.Version, else the main module's version from the
// build information, else "dev".
func (s *Server) version() string {
	if s.cfg.Version != "" {
		return s.cfg.Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
