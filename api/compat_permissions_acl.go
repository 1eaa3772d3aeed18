package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/sentinel-auth/sentinel/store"
)

// The original's resource ACL routes: register, visibility, shares,
// deregistration and the ACL itself. Every mutation is a store call (rows,
// system tuples and the activity entry attached with permRecord, in one
// transaction), then settleHead, so the caller's next check on this
// replica sees it.

// Activity of these routes.
const (
	actionResourceRegistered   = "resource.registered"
	actionResourceVisibility   = "resource.visibility_changed"
	actionResourceShared       = "resource.shared"
	actionResourceUnshared     = "resource.unshared"
	actionResourceDeregistered = "resource.deregistered"
	targetResource             = "resource_permission"
)

type shareJSON struct {
	ID          string    `json:"id"`
	GranteeType string    `json:"grantee_type"`
	GranteeID   string    `json:"grantee_id"`
	Permission  string    `json:"permission"`
	GrantedBy   *string   `json:"granted_by"`
	GrantedAt   time.Time `json:"granted_at"`
}

// resourcePermissionJSON is the original's ResourcePermission.
type resourcePermissionJSON struct {
	ID           string      `json:"id"`
	ServiceName  string      `json:"service_name"`
	ResourceType string      `json:"resource_type"`
	ResourceID   string      `json:"resource_id"`
	WorkspaceID  string      `json:"workspace_id"`
	OwnerID      string      `json:"owner_id"`
	Visibility   string      `json:"visibility"`
	CreatedAt    time.Time   `json:"created_at"`
	Shares       []shareJSON `json:"shares"`
}

func shareOut(sh store.ResourceShare) shareJSON {
	return shareJSON{ID: sh.ID, GranteeType: string(sh.GranteeType), GranteeID: sh.GranteeID,
		Permission: string(sh.Permission), GrantedBy: permNullable(sh.GrantedBy), GrantedAt: sh.GrantedAt}
}

func resourceOut(r store.Resource) resourcePermissionJSON {
	out := resourcePermissionJSON{ID: r.ID, ServiceName: r.Key.Service, ResourceType: r.Key.Type,
		ResourceID: r.Key.ID, WorkspaceID: r.WorkspaceID, OwnerID: r.OwnerID, Visibility: string(r.Visibility),
		CreatedAt: r.CreatedAt, Shares: make([]shareJSON, len(r.Shares))}
	for i, sh := range r.Shares {
		out.Shares[i] = shareOut(sh)
	}
	return out
}

// permBy is who a mutation of these routes is recorded as: the user of the
// token if there is one (SK+U routes), labelled with the service, else the
// service.
func permBy(c *gin.Context, userID *string) actor {
	svc := service(c)
	if userID != nil {
		return userBy(*userID, svc.Name)
	}
	return serviceBy(svc)
}

// permRecord returns the request's context with the entry of its mutation
// attached (record), by permBy: for the store call that makes it.
func permRecord(c *gin.Context, userID *string, e store.ActivityEntry, detail map[string]any) context.Context {
	return record(c.Request.Context(), permBy(c, userID), act{e, detail})
}

// unavailable answers 503 for a store failure and logs it.
func (p *compatPerm) unavailable(c *gin.Context, what string, err error) {
	p.s.log.Error(what, "err", err)
	failDetail(c, http.StatusServiceUnavailable, "Service unavailable")
}

type registerRequest struct {
	ServiceName  string `json:"service_name"`
	ResourceType string `json:"resource_type"`
	ResourceID   string `json:"resource_id"`
	WorkspaceID  string `json:"workspace_id"`
	OwnerID      string `json:"owner_id"`
	Visibility   string `json:"visibility"`
}

// register is POST /permissions/register (SK): 201 with the registration,
// new or the stored one (idempotent). The same key registered to another
// workspace or owner is a 409: a caller is never handed a resource of a
// workspace it did not name.
func (p *compatPerm) register(c *gin.Context) {
	var req registerRequest
	if !bindLenient(c, &req) {
		return
	}
	if req.Visibility == "" {
		req.Visibility = string(store.VisibilityWorkspace)
	}
	defaultService(c, &req.ServiceName)
	var rid, wid, owner string
	var e1, e2, e3, e4 error
	rid, e1 = permUUID("resource_id", req.ResourceID)
	wid, e2 = permUUID("workspace_id", req.WorkspaceID)
	owner, e3 = permUUID("owner_id", req.OwnerID)
	e4 = permVisibility(req.Visibility)
	if err := errors.Join(permName("service_name", req.ServiceName), permName("resource_type", req.ResourceType), e1, e2, e3, e4); err != nil {
		failDetail(c, http.StatusUnprocessableEntity, err.Error())
		return
	}
	svc := service(c)
	if req.ServiceName != svc.Name {
		failDetail(c, http.StatusForbidden, "Service key does not match service_name "+req.ServiceName)
		return
	}
	ctx := c.Request.Context()
	if _, err := p.s.cfg.Store.Workspace(ctx, wid); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			failDetail(c, http.StatusNotFound, "Workspace not found")
			return
		}
		p.unavailable(c, "permissions/register: workspace", err)
		return
	}
	// Recorded only if the resource is new: a repeat produces nothing.
	rec := recordOf(ctx, permBy(c, nil), func(res store.Resource) []act {
		return []act{{store.ActivityEntry{Action: actionResourceRegistered, TargetType: targetResource,
			TargetID: res.ID, WorkspaceID: res.WorkspaceID}, resourceDetail(res, map[string]any{
			"owner_id": res.OwnerID, "visibility": res.Visibility})}}
	})
	res, created, err := p.s.cfg.Store.RegisterResource(rec, store.ResourceRegistration{
		Key:         store.ResourceKey{Service: req.ServiceName, Type: req.ResourceType, ID: rid},
		WorkspaceID: wid, OwnerID: owner, Visibility: store.Visibility(req.Visibility)})
	switch {
	case errors.Is(err, store.ErrAlreadyExists):
		failDetail(c, http.StatusConflict, "Resource is already registered in another workspace or to another owner")
		return
	case errors.Is(err, store.ErrNotFound):
		failDetail(c, http.StatusNotFound, "Owner not found")
		return
	case errors.Is(err, store.ErrInvalidResource):
		failDetail(c, http.StatusUnprocessableEntity, err.Error())
		return
	case err != nil:
		p.unavailable(c, "permissions/register", err)
		return
	}
	if created {
		p.s.settleHead(ctx)
	}
	c.JSON(http.StatusCreated, resourceOut(res))
}

// resourceDetail is an activity detail naming the resource, plus more.
func resourceDetail(r store.Resource, more map[string]any) map[string]any {
	d := map[string]any{"service_name": r.Key.Service, "resource_type": r.Key.Type, "resource_id": r.Key.ID}
	for k, v := range more {
		d[k] = v
	}
	return d
}

// byID loads the resource of the path's registration id, answering 422
// (not a UUID) or 404 (none, or another service's: not revealed) itself.
func (p *compatPerm) byID(c *gin.Context) (store.Resource, bool) {
	id, err := permUUID("permission_id", c.Param("id"))
	if err != nil {
		failDetail(c, http.StatusUnprocessableEntity, err.Error())
		return store.Resource{}, false
	}
	res, err := p.s.cfg.Store.ResourceByID(c.Request.Context(), id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && res.Key.Service != service(c).Name) {
		failDetail(c, http.StatusNotFound, "Resource permission not found")
		return store.Resource{}, false
	}
	if err != nil {
		p.unavailable(c, "permissions: load resource", err)
		return store.Resource{}, false
	}
	return res, true
}

// setVisibility is PATCH /permissions/{id}/visibility (SK).
func (p *compatPerm) setVisibility(c *gin.Context) {
	vis, ok := bindVisibility(c)
	if !ok {
		return
	}
	if res, ok := p.byID(c); ok {
		p.applyVisibility(c, res, vis)
	}
}

// applyVisibility sets the resource's visibility and answers with it: the
// core of both visibility routes (by registration id here, by key on the
// native API).
func (p *compatPerm) applyVisibility(c *gin.Context, res store.Resource, vis store.Visibility) {
	ctx := c.Request.Context()
	rec := recordOf(ctx, permBy(c, nil), func(updated store.Resource) []act {
		return []act{{store.ActivityEntry{Action: actionResourceVisibility, TargetType: targetResource,
			TargetID: res.ID, WorkspaceID: res.WorkspaceID}, resourceDetail(res, map[string]any{
			"from": res.Visibility, "to": updated.Visibility})}}
	})
	updated, err := p.s.cfg.Store.SetResourceVisibility(rec, res.ID, vis)
	if errors.Is(err, store.ErrNotFound) {
		failDetail(c, http.StatusNotFound, "Resource permission not found")
		return
	}
	if err != nil {
		p.unavailable(c, "permissions/visibility", err)
		return
	}
	if updated.Visibility != res.Visibility {
		p.s.settleHead(ctx)
	}
	c.JSON(http.StatusOK, resourceOut(updated))
}

// permVisibility checks a visibility field: "workspace" or "private", the
// original's two values.
func permVisibility(v string) error {
	if vis := store.Visibility(v); vis != store.VisibilityWorkspace && vis != store.VisibilityPrivate {
		return fmt.Errorf(`visibility: %q must be "workspace" or "private"`, v)
	}
	return nil
}

// bindVisibility reads the {visibility} body of both PATCH
// …/permissions/{id}/visibility routes (the service's and the admin's); a
// bad body or value is a 422 written here.
func bindVisibility(c *gin.Context) (store.Visibility, bool) {
	var req struct {
		Visibility string `json:"visibility"`
	}
	if !bindLenient(c, &req) {
		return "", false
	}
	if err := permVisibility(req.Visibility); err != nil {
		failDetail(c, http.StatusUnprocessableEntity, err.Error())
		return "", false
	}
	return store.Visibility(req.Visibility), true
}

type shareRequest struct {
	GranteeType string `json:"grantee_type"`
	GranteeID   string `json:"grantee_id"`
	Permission  string `json:"permission"`
}

// parseShare validates a share body; withPermission also requires a
// permission (unsharing ignores it).
func parseShare(req shareRequest, withPermission bool) (shareRequest, error) {
	var errs []error
	if t := store.GranteeType(req.GranteeType); t != store.GranteeUser && t != store.GranteeGroup {
		errs = append(errs, fmt.Errorf(`grantee_type: %q must be "user" or "group"`, req.GranteeType))
	}
	id, err := permUUID("grantee_id", req.GranteeID)
	errs = append(errs, err)
	req.GranteeID = id
	if withPermission {
		errs = append(errs, permAction("permission", req.Permission))
	}
	return req, errors.Join(errs...)
}

// share is POST /permissions/{id}/share (SK+U): grant, or change, a
// user's or group's permission. The caller must be a member of the
// resource's workspace (the token's) who may edit the resource, as the
// engine decides now.
func (p *compatPerm) share(c *gin.Context) {
	var req shareRequest
	if !bindLenient(c, &req) {
		return
	}
	req, err := parseShare(req, true)
	if err != nil {
		failDetail(c, http.StatusUnprocessableEntity, err.Error())
		return
	}
	if res, ok := p.byID(c); ok {
		p.shareWith(c, res, req)
	}
}

// shareWith grants the share of a validated request on the resource, for
// the token's user: the core of both share routes (by registration id
// here, by key on the native API).
func (p *compatPerm) shareWith(c *gin.Context, res store.Resource, req shareRequest) {
	claims := permClaims(c)
	if res.WorkspaceID != claims.WorkspaceID {
		failDetail(c, http.StatusForbidden, "Resource belongs to another workspace")
		return
	}
	ctx := c.Request.Context()
	allowed, err := p.decide(ctx, claims, []resourceQuestion{{object: permObject(res.Key.Service, res.Key.Type, res.Key.ID), action: "edit"}})
	if err != nil {
		p.unavailable(c, "permissions/share: check edit", err)
		return
	}
	if !allowed[0] {
		failDetail(c, http.StatusForbidden, "Only those who may edit the resource can share it")
		return
	}
	rec := permRecord(c, &claims.Subject, store.ActivityEntry{Action: actionResourceShared, TargetType: targetResource,
		TargetID: res.ID, WorkspaceID: res.WorkspaceID}, resourceDetail(res, map[string]any{
		"grantee_type": req.GranteeType, "grantee_id": req.GranteeID, "permission": req.Permission}))
	sh, err := p.s.cfg.Store.ShareResource(rec, res.ID, store.ResourceGrant{GranteeType: store.GranteeType(req.GranteeType),
		GranteeID: req.GranteeID, Permission: store.SharePermission(req.Permission), GrantedBy: claims.Subject})
	switch {
	case errors.Is(err, store.ErrGranteeNotInWorkspace):
		failDetail(c, http.StatusBadRequest, "Grantee is not in the resource's workspace")
		return
	case errors.Is(err, store.ErrNotFound):
		failDetail(c, http.StatusNotFound, "Resource permission not found")
		return
	case err != nil:
		p.unavailable(c, "permissions/share", err)
		return
	}
	p.s.settleHead(ctx)
	c.JSON(http.StatusOK, shareOut(sh))
}

// unshare is DELETE /permissions/{id}/share (SK), body {grantee_type,
// grantee_id}: 204, or 404 if the grantee has no share.
func (p *compatPerm) unshare(c *gin.Context) {
	var req shareRequest
	if !bindLenient(c, &req) {
		return
	}
	req, err := parseShare(req, false)
	if err != nil {
		failDetail(c, http.StatusUnprocessableEntity, err.Error())
		return
	}
	if res, ok := p.byID(c); ok {
		p.unshareFrom(c, res, req)
	}
}

// unshareFrom removes the grantee's share of the resource: the core of
// both unshare routes (by registration id here, by key on the native API).
func (p *compatPerm) unshareFrom(c *gin.Context, res store.Resource, req shareRequest) {
	ctx := c.Request.Context()
	rec := permRecord(c, nil, store.ActivityEntry{Action: actionResourceUnshared, TargetType: targetResource,
		TargetID: res.ID, WorkspaceID: res.WorkspaceID}, resourceDetail(res, map[string]any{
		"grantee_type": req.GranteeType, "grantee_id": req.GranteeID}))
	err := p.s.cfg.Store.UnshareResource(rec, res.ID, store.GranteeType(req.GranteeType), req.GranteeID)
	if errors.Is(err, store.ErrNotFound) {
		failDetail(c, http.StatusNotFound, "Share not found")
		return
	}
	if err != nil {
		p.unavailable(c, "permissions/unshare", err)
		return
	}
	p.s.settleHead(ctx)
	c.Status(http.StatusNoContent)
}

// byKey loads the resource of the path /permissions/resource/{svc}/{type}/{id}:
// 422 for an id that is not a UUID (FastAPI validates the path first), 403
// for another service than the key's, 404 if it is not registered. The
// native paths (/v1/resources/{type}/{id}) have no service: it is the
// key's.
func (p *compatPerm) byKey(c *gin.Context) (store.Resource, bool) {
	svc, typ := c.Param("service"), c.Param("type")
	if svc == "" {
		svc = service(c).Name
	}
	rid, err := permUUID("resource_id", c.Param("rid"))
	if err != nil {
		failDetail(c, http.StatusUnprocessableEntity, err.Error())
		return store.Resource{}, false
	}
	if svc != service(c).Name {
		failDetail(c, http.StatusForbidden, "Service key does not match service_name "+svc)
		return store.Resource{}, false
	}
	if permName("resource_type", typ) != nil {
		failDetail(c, http.StatusNotFound, "Resource permission not found")
		return store.Resource{}, false
	}
	res, err := p.s.cfg.Store.ResourceByKey(c.Request.Context(), store.ResourceKey{Service: svc, Type: typ, ID: rid})
	if errors.Is(err, store.ErrNotFound) {
		failDetail(c, http.StatusNotFound, "Resource permission not found")
		return store.Resource{}, false
	}
	if err != nil {
		p.unavailable(c, "permissions/resource: load", err)
		return store.Resource{}, false
	}
	return res, true
}

// getResource is GET /permissions/resource/{svc}/{type}/{id} (SK).
func (p *compatPerm) getResource(c *gin.Context) {
	if res, ok := p.byKey(c); ok {
		c.JSON(http.StatusOK, resourceOut(res))
	}
}

// deregister is DELETE /permissions/resource/{svc}/{type}/{id} (SK): 204;
// its shares go with it.
func (p *compatPerm) deregister(c *gin.Context) {
	res, ok := p.byKey(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	err := p.s.cfg.Store.DeregisterResource(permRecord(c, nil, store.ActivityEntry{Action: actionResourceDeregistered,
		TargetType: targetResource, TargetID: res.ID, WorkspaceID: res.WorkspaceID},
		resourceDetail(res, map[string]any{"shares": len(res.Shares)})), res.Key)
	if errors.Is(err, store.ErrNotFound) {
		failDetail(c, http.StatusNotFound, "Resource permission not found")
		return
	}
	if err != nil {
		p.unavailable(c, "permissions/resource: deregister", err)
		return
	}
	p.s.settleHead(ctx)
	c.Status(http.StatusNoContent)
}
