package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/gin-gonic/gin"

	sentineltoken "github.com/sentinel-auth/sentinel/identity/token"

	"github.com/sentinel-auth/sentinel/policies"
	"github.com/sentinel-auth/sentinel/store"
)

// The original's custom RBAC routes. Services register actions; whether a
// user may do one is decided by the RBAC policy (policies/rbac.rego) over
// the role tuples the store writes, never by SQL.

const (
	rbacRolesQuery   = policies.RBACRolesQuery
	rbacActionsQuery = policies.RBACActionsQuery
)

// Activity of these routes.
const actionActionsRegistered = "service_actions.registered"

func rbacPolicy(query string) lazyPolicy {
	return lazyPolicy{modules: map[string]string{policies.RBACModuleFile: policies.RBACModule}, query: query}
}

type actionSpecJSON struct {
	Action      string  `json:"action"`
	Description *string `json:"description"`
}

type serviceActionJSON struct {
	ID          string    `json:"id"`
	ServiceName string    `json:"service_name"`
	Action      string    `json:"action"`
	Description *string   `json:"description"`
	CreatedAt   time.Time `json:"created_at"`
}

// registerActions is POST /roles/actions/register (SK): an upsert of the
// service's actions, answered 201 with them in request order.
func (p *compatPerm) registerActions(c *gin.Context) {
	var req struct {
		ServiceName string            `json:"service_name"`
		Actions     *[]actionSpecJSON `json:"actions"`
	}
	if !bindLenient(c, &req) {
		return
	}
	defaultService(c, &req.ServiceName)
	err := permName("service_name", req.ServiceName)
	if req.Actions == nil {
		err = errors.Join(err, errors.New("actions: field required"))
	} else {
		for i, a := range *req.Actions {
			if a.Action == "" {
				err = errors.Join(err, fmt.Errorf("actions[%d].action: field required", i))
			}
		}
	}
	if err != nil {
		failDetail(c, http.StatusUnprocessableEntity, err.Error())
		return
	}
	svc := service(c)
	if req.ServiceName != svc.Name {
		failDetail(c, http.StatusForbidden, "Service key does not match service_name "+req.ServiceName)
		return
	}
	specs := make([]store.ActionSpec, len(*req.Actions))
	names := make([]string, len(*req.Actions))
	for i, a := range *req.Actions {
		specs[i], names[i] = store.ActionSpec{Action: a.Action, Description: a.Description}, a.Action
	}
	ctx := c.Request.Context()
	saved, err := p.s.cfg.Store.RegisterActions(permRecord(c, nil, store.ActivityEntry{Action: actionActionsRegistered,
		TargetType: "service", TargetID: svc.ID}, map[string]any{"service_name": svc.Name, "actions": names}), svc.Name, specs)
	if errors.Is(err, store.ErrInvalidRBAC) {
		failDetail(c, http.StatusUnprocessableEntity, err.Error())
		return
	}
	if err != nil {
		p.s.log.Error("roles/actions/register", "service", svc.Name, "err", err)
		failDetail(c, http.StatusServiceUnavailable, "Action registration unavailable")
		return
	}
	p.s.settleHead(ctx)
	out := make([]serviceActionJSON, len(saved))
	for i, a := range saved {
		out[i] = serviceActionJSON{ID: a.ID, ServiceName: a.ServiceName, Action: a.Action,
			Description: permNullable(a.Description), CreatedAt: a.CreatedAt}
	}
	c.JSON(http.StatusCreated, out)
}

// permNullable is nil for "" (the original's null).
func permNullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// rbacScope validates the service and workspace of an RBAC question
// against the service key and the token; it answers 422/403 itself.
func (p *compatPerm) rbacScope(c *gin.Context, serviceName, workspaceID string, more error) (string, bool) {
	wid, idErr := permUUID("workspace_id", workspaceID)
	if err := errors.Join(permName("service_name", serviceName), idErr, more); err != nil {
		failDetail(c, http.StatusUnprocessableEntity, err.Error())
		return "", false
	}
	if serviceName != service(c).Name {
		failDetail(c, http.StatusForbidden, "Service key does not match service_name "+serviceName)
		return "", false
	}
	if wid != permClaims(c).WorkspaceID {
		failDetail(c, http.StatusForbidden, "Workspace mismatch: the token is for another workspace")
		return "", false
	}
	return wid, true
}

// checkAction is POST /roles/check-action (SK+U): may the token's user do
// the action in the workspace, and through which of their roles.
func (p *compatPerm) checkAction(c *gin.Context) {
	var req struct {
		ServiceName string `json:"service_name"`
		Action      string `json:"action"`
		WorkspaceID string `json:"workspace_id"`
	}
	if !bindLenient(c, &req) {
		return
	}
	defaultService(c, &req.ServiceName)
	var more error
	if req.Action == "" {
		more = errors.New("action: field required")
	}
	wid, ok := p.rbacScope(c, req.ServiceName, req.WorkspaceID, more)
	if !ok {
		return
	}
	roles, err := p.rolesGranting(c.Request.Context(), req.ServiceName, wid, permClaims(c).Subject, req.Action)
	if err != nil {
		p.s.log.Error("roles/check-action", "err", err)
		failDetail(c, http.StatusServiceUnavailable, "Role check unavailable")
		return
	}
	c.JSON(http.StatusOK, gin.H{"allowed": len(roles) > 0, "roles": roles})
}

// rolesGranting returns the names of the user's roles in the workspace
// that grant the service's action, sorted; none if the service did not
// register the action.
func (p *compatPerm) rolesGranting(ctx context.Context, serviceName, workspaceID, userID, action string) ([]string, error) {
	actions, err := p.s.cfg.Store.ServiceActions(ctx, serviceName)
	if err != nil {
		return nil, fmt.Errorf("actions of service %s: %w", serviceName, err)
	}
	ids := map[string]string{}
	for _, a := range actions {
		if a.Action == action {
			ids[a.Action] = a.ID
		}
	}
	names := []string{}
	if len(ids) == 0 {
		return names, nil
	}
	roleIDs, err := p.evalRBAC(ctx, &p.rbacRoles, policies.RBACInput{Workspace: workspaceID, User: userID, Action: action, Actions: ids})
	if err != nil || len(roleIDs) == 0 {
		return names, err
	}
	roles, err := p.s.cfg.Store.Roles(ctx, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("roles of workspace %s: %w", workspaceID, err)
	}
	for _, r := range roles {
		if slices.Contains(roleIDs, r.ID) {
			names = append(names, r.Name)
		}
	}
	slices.Sort(names)
	return names, nil
}

// userActions is GET /roles/user-actions (SK+U): every action of the
// service the token's user may do in the workspace.
func (p *compatPerm) userActions(c *gin.Context) {
	name := c.Query("service_name")
	defaultService(c, &name)
	wid, ok := p.rbacScope(c, name, c.Query("workspace_id"), nil)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	svc := service(c).Name
	out, err := p.actionsOf(ctx, svc, wid, permClaims(c))
	if err != nil {
		p.s.log.Error("roles/user-actions", "err", err)
		failDetail(c, http.StatusServiceUnavailable, "Role lookup unavailable")
		return
	}
	c.JSON(http.StatusOK, gin.H{"actions": out})
}

func (p *compatPerm) actionsOf(ctx context.Context, serviceName, workspaceID string, claims sentineltoken.Claims) ([]string, error) {
	actions, err := p.s.cfg.Store.ServiceActions(ctx, serviceName)
	if err != nil {
		return nil, fmt.Errorf("actions of service %s: %w", serviceName, err)
	}
	out := []string{}
	if len(actions) == 0 {
		return out, nil
	}
	ids := make(map[string]string, len(actions))
	for _, a := range actions {
		ids[a.Action] = a.ID
	}
	names, err := p.evalRBAC(ctx, &p.rbacActions, policies.RBACInput{Workspace: workspaceID, User: claims.Subject, Actions: ids})
	if err != nil {
		return nil, err
	}
	out = append(out, names...)
	slices.Sort(out)
	return out, nil
}

// evalRBAC evaluates an RBAC query whose value is a set of strings.
func (p *compatPerm) evalRBAC(ctx context.Context, l *lazyPolicy, in policies.RBACInput) ([]string, error) {
	pol, err := l.get(ctx, p.s.cfg.Engine)
	if err != nil {
		return nil, fmt.Errorf("prepare the RBAC policy: %w", err)
	}
	rs, err := pol.Eval(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("evaluate the RBAC policy: %w", err)
	}
	var out []string
	if len(rs) > 0 && len(rs[0].Expressions) > 0 {
		list, ok := rs[0].Expressions[0].Value.([]any)
		if !ok {
			return nil, fmt.Errorf("evaluate the RBAC policy: unexpected result %T", rs[0].Expressions[0].Value)
		}
		for _, v := range list {
			if s, ok := v.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out, nil
}
