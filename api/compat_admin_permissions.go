package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/sentinel-auth/sentinel/store"
)

// The original's /admin routes over what services hold: registered
// resources (this file), service actions and custom roles
// (compat_admin_roles.go), client apps (compat_admin_apps.go) and service
// apps (compat_admin_service_apps.go). They share the conventions of
// compat_admin_users.go: compatAdminAuth, FastAPI's order of refusals (401,
// 403 without X-Requested-With on a mutation, 422 for a malformed path id,
// query or body, then 404/409), lists paginated as {items, total, page,
// page_size}, and every mutation settled on this replica's engine and
// recorded in the activity log with actor_type "admin". The admin acts as
// no user: what the original stamped with the admin's user id (granted_by,
// created_by, assigned_by) is null here.

// compatAdminAccessRoutes registers the routes of the files above.
func (s *Server) compatAdminAccessRoutes(r *gin.Engine) {
	a := r.Group("/admin", s.compatAdminAuth)

	a.GET("/permissions", s.admListPermissions)
	a.GET("/permissions/:id", s.admGetPermission)
	a.PATCH("/permissions/:id/visibility", s.admSetVisibility)
	a.POST("/permissions/:id/share", s.admShare)
	a.DELETE("/permissions/:id/share", s.admUnshare)
	a.DELETE("/permissions/service/:service_name", s.admPurgeService)

	a.GET("/service-actions", s.admListServiceActions)
	a.DELETE("/service-actions/:id", s.admDeleteServiceAction)

	a.GET("/workspaces/:id/roles", s.admListRoles)
	a.POST("/workspaces/:id/roles", s.admCreateRole)
	a.GET("/roles/:id", s.admGetRole)
	a.PATCH("/roles/:id", s.admUpdateRole)
	a.DELETE("/roles/:id", s.admDeleteRole)
	a.GET("/roles/:id/actions", s.admRoleActions)
	a.POST("/roles/:id/actions", s.admAddRoleActions)
	a.DELETE("/roles/:id/actions/:action_id", s.admRemoveRoleAction)
	a.GET("/roles/:id/members", s.admRoleMembers)
	a.POST("/roles/:id/members/:user_id", s.admAssign(store.AssigneeUser, "user_id"))
	a.DELETE("/roles/:id/members/:user_id", s.admUnassign(store.AssigneeUser, "user_id"))
	a.GET("/roles/:id/groups", s.admRoleGroups)
	a.POST("/roles/:id/groups/:group_id", s.admAssign(store.AssigneeGroup, "group_id"))
	a.DELETE("/roles/:id/groups/:group_id", s.admUnassign(store.AssigneeGroup, "group_id"))

	a.GET("/client-apps", s.admListClientApps)
	a.POST("/client-apps", s.admCreateClientApp)
	a.GET("/client-apps/:id", s.admGetClientApp)
	a.PATCH("/client-apps/:id", s.admUpdateClientApp)
	a.DELETE("/client-apps/:id", s.admDeleteClientApp)

	a.GET("/service-apps", s.admListServiceApps)
	a.POST("/service-apps", s.admCreateServiceApp)
	a.GET("/service-apps/:id", s.admGetServiceApp)
	a.PATCH("/service-apps/:id", s.admUpdateServiceApp)
	a.POST("/service-apps/:id/rotate-key", s.admRotateServiceAppKey)
	a.POST("/service-apps/:id/deactivate", s.admDeactivateServiceApp)
	a.DELETE("/service-apps/:id", s.admDeleteServiceApp)
}

// Activity of the admin permission routes besides the resource ACL's own
// (compat_permissions_acl.go).
const actionResourcesPurged = "resources.purged"

// admResourceJSON is the original's AdminResourcePermissionResponse: a
// ResourcePermission with its owner's email and its number of shares.
type admResourceJSON struct {
	resourcePermissionJSON
	OwnerEmail *string `json:"owner_email"`
	ShareCount int     `json:"share_count"`
}

// admResources renders resources with their owners' emails (null for an
// owner gone since), reading each owner once.
func (s *Server) admResources(c *gin.Context, rs []store.Resource) ([]admResourceJSON, error) {
	emails := map[string]*string{}
	out := make([]admResourceJSON, len(rs))
	for i, r := range rs {
		email, seen := emails[r.OwnerID]
		if !seen {
			u, err := s.cfg.Store.UserByID(c.Request.Context(), r.OwnerID)
			switch {
			case err == nil:
				email = &u.Email
			case !errors.Is(err, store.ErrNotFound):
				return nil, fmt.Errorf("owner %s of resource %s: %w", r.OwnerID, r.ID, err)
			}
			emails[r.OwnerID] = email
		}
		out[i] = admResourceJSON{resourcePermissionJSON: resourceOut(r), OwnerEmail: email, ShareCount: len(r.Shares)}
	}
	return out, nil
}

// admListPermissions is GET /admin/permissions?service_name=&resource_type=
// &workspace_id=&owner_id=&page=&page_size=: the registered resources
// matching every filter given, newest first, with their shares.
func (s *Server) admListPermissions(c *gin.Context) {
	page, size, ok := admPaging(c)
	if !ok {
		return
	}
	var f store.ResourceFilter
	var errs []error
	for _, q := range []struct {
		name string
		dst  *string
		uuid bool
	}{
		{"service_name", &f.Service, false}, {"resource_type", &f.Type, false},
		{"workspace_id", &f.WorkspaceID, true}, {"owner_id", &f.OwnerID, true},
	} {
		v := c.Query(q.name)
		if v == "" {
			continue
		}
		var err error
		if q.uuid {
			v, err = permUUID(q.name, v)
		} else {
			err = permName(q.name, v)
		}
		*q.dst = v
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		failDetail(c, http.StatusUnprocessableEntity, err.Error())
		return
	}
	rs, total, err := s.cfg.Store.ListResources(c.Request.Context(), f, page, size)
	if err != nil {
		s.admInternal(c, "list resources", err)
		return
	}
	items, err := s.admResources(c, rs)
	if err != nil {
		s.admInternal(c, "list resources", err)
		return
	}
	c.JSON(http.StatusOK, admPage[admResourceJSON]{Items: items, Total: total, Page: page, PageSize: size})
}

// admResourceParam parses the {id} of a permission route (422) and reads
// the registration (404).
func (s *Server) admResourceParam(c *gin.Context) (store.Resource, bool) {
	ids, ok := wsPathIDs(c, "id")
	if !ok {
		return store.Resource{}, false
	}
	r, err := s.cfg.Store.ResourceByID(c.Request.Context(), ids[0])
	switch {
	case errors.Is(err, store.ErrNotFound):
		failDetail(c, http.StatusNotFound, "Permission not found")
		return store.Resource{}, false
	case err != nil:
		s.admInternal(c, "read resource", err)
		return store.Resource{}, false
	}
	return r, true
}

// admGetPermission is GET /admin/permissions/{id}.
func (s *Server) admGetPermission(c *gin.Context) {
	r, ok := s.admResourceParam(c)
	if !ok {
		return
	}
	out, err := s.admResources(c, []store.Resource{r})
	if err != nil {
		s.admInternal(c, "read resource", err)
		return
	}
	c.JSON(http.StatusOK, out[0])
}

// admSetVisibility is PATCH /admin/permissions/{id}/visibility
// {visibility} → {"status": "ok", "visibility"}.
func (s *Server) admSetVisibility(c *gin.Context) {
	if _, ok := wsPathIDs(c, "id"); !ok {
		return
	}
	vis, ok := bindVisibility(c)
	if !ok {
		return
	}
	res, ok := s.admResourceParam(c)
	if !ok {
		return
	}
	rec := admRecordOf(c, func(updated store.Resource) []act {
		return []act{{store.ActivityEntry{Action: actionResourceVisibility, TargetType: targetResource,
			TargetID: res.ID, WorkspaceID: res.WorkspaceID}, resourceDetail(res, map[string]any{
			"from": res.Visibility, "to": updated.Visibility})}}
	})
	updated, err := s.cfg.Store.SetResourceVisibility(rec, res.ID, vis)
	switch {
	case errors.Is(err, store.ErrNotFound):
		failDetail(c, http.StatusNotFound, "Permission not found")
		return
	case err != nil:
		s.admInternal(c, "set visibility", err)
		return
	}
	if updated.Visibility != res.Visibility {
		s.admCommitted(c)
	}
	c.JSON(http.StatusOK, gin.H{"status": "ok", "visibility": updated.Visibility})
}

// admShare is POST /admin/permissions/{id}/share {grantee_type,
// grantee_id, permission} → 201 {"status": "ok"}: grant, or change, a
// share, granted by the admin credential (granted_by null). A grantee
// outside the resource's workspace is a 400, as in the original.
func (s *Server) admShare(c *gin.Context) {
	if _, ok := wsPathIDs(c, "id"); !ok {
		return
	}
	var req shareRequest
	if !bindLenient(c, &req) {
		return
	}
	req, err := parseShare(req, true)
	if err != nil {
		failDetail(c, http.StatusUnprocessableEntity, err.Error())
		return
	}
	res, ok := s.admResourceParam(c)
	if !ok {
		return
	}
	rec := admRecord(c, act{store.ActivityEntry{Action: actionResourceShared, TargetType: targetResource,
		TargetID: res.ID, WorkspaceID: res.WorkspaceID}, resourceDetail(res, map[string]any{
		"grantee_type": req.GranteeType, "grantee_id": req.GranteeID, "permission": req.Permission})})
	_, err = s.cfg.Store.ShareResource(rec, res.ID, store.ResourceGrant{
		GranteeType: store.GranteeType(req.GranteeType), GranteeID: req.GranteeID, Permission: store.SharePermission(req.Permission)})
	switch {
	case errors.Is(err, store.ErrGranteeNotInWorkspace):
		failDetail(c, http.StatusBadRequest, "Grantee is not in the resource's workspace")
		return
	case errors.Is(err, store.ErrNotFound):
		failDetail(c, http.StatusNotFound, "Permission not found")
		return
	case err != nil:
		s.admInternal(c, "share resource", err)
		return
	}
	s.admCommitted(c)
	c.JSON(http.StatusCreated, gin.H{"status": "ok"})
}

// admUnshare is DELETE /admin/permissions/{id}/share?grantee_type=
// &grantee_id= (the original's admin form), or with those fields in a JSON
// body (the SDK's form) → {"status": "ok"}; 404 if the grantee has no
// share.
func (s *Server) admUnshare(c *gin.Context) {
	if _, ok := wsPathIDs(c, "id"); !ok {
		return
	}
	req := shareRequest{GranteeType: c.Query("grantee_type"), GranteeID: c.Query("grantee_id")}
	if req.GranteeType == "" && req.GranteeID == "" && c.Request.ContentLength != 0 {
		if !bindLenient(c, &req) {
			return
		}
	}
	req, err := parseShare(req, false)
	if err != nil {
		failDetail(c, http.StatusUnprocessableEntity, err.Error())
		return
	}
	res, ok := s.admResourceParam(c)
	if !ok {
		return
	}
	rec := admRecord(c, act{store.ActivityEntry{Action: actionResourceUnshared, TargetType: targetResource,
		TargetID: res.ID, WorkspaceID: res.WorkspaceID}, resourceDetail(res, map[string]any{
		"grantee_type": req.GranteeType, "grantee_id": req.GranteeID})})
	err = s.cfg.Store.UnshareResource(rec, res.ID, store.GranteeType(req.GranteeType), req.GranteeID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		failDetail(c, http.StatusNotFound, "Share not found")
		return
	case err != nil:
		s.admInternal(c, "unshare resource", err)
		return
	}
	s.admCommitted(c)
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// admPurgeService is DELETE /admin/permissions/service/{service_name} →
// {"status": "ok", "deleted_count"}: every resource the service registered
// is deregistered, with its shares, whether or not the service exists.
func (s *Server) admPurgeService(c *gin.Context) {
	name := c.Param("service_name")
	if err := permName("service_name", name); err != nil {
		failDetail(c, http.StatusUnprocessableEntity, err.Error())
		return
	}
	n, err := s.cfg.Store.PurgeServiceResources(admRecordOf(c, func(n int) []act {
		return []act{{store.ActivityEntry{Action: actionResourcesPurged, TargetType: "service"},
			map[string]any{"service_name": name, "deleted_count": n}}}
	}), name)
	if err != nil {
		s.admInternal(c, "purge resources", err)
		return
	}
	s.admCommitted(c)
	c.JSON(http.StatusOK, gin.H{"status": "ok", "deleted_count": n})
}
