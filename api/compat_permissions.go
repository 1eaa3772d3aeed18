package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sync"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"github.com/open-policy-agent/opa/v1/ast"

	sentineltoken "github.com/sentinel-auth/sentinel/identity/token"

	"github.com/sentinel-auth/sentinel/engine"
	"github.com/sentinel-auth/sentinel/store"
	"github.com/sentinel-auth/sentinel/tuple"
)

// The original's resource permission routes (accessible in
// compat_permissions_accessible.go, the ACL in compat_permissions_acl.go),
// decided by the engine on the system service's default model
// (policies/README.md): no SQL on the check path. The token's workspace is
// compared here, before the engine is asked, because the model does not
// (see "Isolation" in policies/README.md).

// maxPermissionChecks bounds the checks of one POST /permissions/check.
const maxPermissionChecks = 100

// permNameRe is the form of service names and resource types (COMPAT.md).
var permNameRe = regexp.MustCompile(`^[a-z][a-z0-9_.-]*$`)

// permMaxName bounds service names and resource types, as the store does.
const permMaxName = 100

// compatPerm serves the original's /permissions/* and /roles/* routes. It
// holds the Rego queries they evaluate, each prepared once, on first use.
type compatPerm struct {
	s           *Server
	inWorkspace lazyPolicy // which resources are registered in a workspace
	rbacRoles   lazyPolicy // custom roles granting an action
	rbacActions lazyPolicy // every action a user may do
}

// lazyPolicy is a Rego query of the engine prepared on first use. A failed
// preparation is not kept: the next request tries again.
type lazyPolicy struct {
	modules map[string]string
	query   string

	mu sync.Mutex
	p  *engine.Policy
}

func (l *lazyPolicy) get(ctx context.Context, eng *engine.Engine) (*engine.Policy, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.p != nil {
		return l.p, nil
	}
	// Not the request's context: a client that hangs up must not make
	// the preparation fail for the next one.
	p, err := eng.PreparePolicy(context.WithoutCancel(ctx), l.modules, l.query)
	if err != nil {
		return nil, err
	}
	l.p = p
	return p, nil
}

// inWorkspaceModule selects, of input.ids (resource object ids
// "<svc>/<type>/<rid>"), those registered in input.workspace: the store
// writes resource:<id>#workspace@workspace:<wid> for every registration.
// One evaluation answers a whole batch from the engine's index.
const inWorkspaceModule = `package sentinel.compat.resources

import rego.v1

in_workspace contains id if {
	some id in input.ids
	data.sentinel.t["` + store.SystemServiceID + `"].resource[id].workspace.workspace[input.workspace]
}
`

func newCompatPerm(s *Server) *compatPerm {
	return &compatPerm{
		s: s,
		inWorkspace: lazyPolicy{
			modules: map[string]string{"api/compat_resources.rego": inWorkspaceModule},
			query:   "data.sentinel.compat.resources.in_workspace",
		},
		rbacRoles:   rbacPolicy(rbacRolesQuery),
		rbacActions: rbacPolicy(rbacActionsQuery),
	}
}

// compatPermissionRoutes registers the original's /permissions/* and
// /roles/* routes: SK routes take the service key only; SK+U routes also
// the user's token, which must not be another service's.
func (s *Server) compatPermissionRoutes(r *gin.Engine) {
	p := newCompatPerm(s)
	sk := func(h gin.HandlerFunc) []gin.HandlerFunc { return []gin.HandlerFunc{s.compatServiceAuth, h} }
	skU := func(h gin.HandlerFunc) []gin.HandlerFunc {
		return []gin.HandlerFunc{s.compatServiceAuth, s.compatUserAuth, s.compatTokenService, h}
	}
	r.POST("/permissions/check", skU(p.check)...)
	r.POST("/permissions/accessible", skU(p.accessible)...)
	r.POST("/permissions/register", sk(p.register)...)
	r.PATCH("/permissions/:id/visibility", sk(p.setVisibility)...)
	r.POST("/permissions/:id/share", skU(p.share)...)
	r.DELETE("/permissions/:id/share", sk(p.unshare)...)
	r.GET("/permissions/resource/:service/:type/:rid", sk(p.getResource)...)
	r.DELETE("/permissions/resource/:service/:type/:rid", sk(p.deregister)...)
	r.GET("/permissions/resource/:service/:type/:rid/enriched", sk(p.enriched)...)

	r.POST("/roles/actions/register", sk(p.registerActions)...)
	r.POST("/roles/check-action", skU(p.checkAction)...)
	r.GET("/roles/user-actions", skU(p.userActions)...)
}

// permClaims returns the user authenticated by compatUserAuth.
func permClaims(c *gin.Context) sentineltoken.Claims {
	return c.MustGet(userClaimsCtx).(sentineltoken.Claims)
}

// compatTokenService refuses (403) a token issued for another service than
// the service key's: an authz token carries its service (svc), and the
// original accepted it with any key (COMPAT.md, fix). Run it after
// compatServiceAuth and compatUserAuth.
func (s *Server) compatTokenService(c *gin.Context) {
	if svc := permClaims(c).Service; svc != "" && svc != service(c).Name {
		failDetail(c, http.StatusForbidden, "Token was issued for another service")
		return
	}
	c.Next()
}

// permName validates a service name or resource type.
func permName(what, v string) error {
	if v == "" {
		return fmt.Errorf("%s: field required", what)
	}
	if len(v) > permMaxName || !permNameRe.MatchString(v) {
		return fmt.Errorf("%s: %q must match %s (at most %d characters)", what, v, permNameRe, permMaxName)
	}
	return nil
}

// permUUID returns v in canonical form, as the original's UUID fields
// accept it (hyphenated or not, braces, urn:uuid:, any case).
func permUUID(what, v string) (string, error) {
	if v == "" {
		return "", fmt.Errorf("%s: field required", what)
	}
	id, err := uuid.Parse(v)
	if err != nil {
		return "", fmt.Errorf("%s: %q is not a valid UUID", what, v)
	}
	return id.String(), nil
}

// permAction validates a permission check's action.
func permAction(what, v string) error {
	if v != "view" && v != "edit" {
		return fmt.Errorf(`%s: %q must be "view" or "edit"`, what, v)
	}
	return nil
}

// permObject is the system tuples' object id of a resource.
func permObject(service, resourceType, resourceID string) string {
	return service + "/" + resourceType + "/" + resourceID
}

type permCheckItem struct {
	ServiceName  string `json:"service_name"`
	ResourceType string `json:"resource_type"`
	ResourceID   string `json:"resource_id"`
	Action       string `json:"action"`
}

type permCheckResult struct {
	permCheckItem
	Allowed bool `json:"allowed"`
}

// check is POST /permissions/check (SK+U). The batch is refused whole for
// a malformed check (422) or a check of another service (403); otherwise
// every check is answered, denied unless the engine allows it.
func (p *compatPerm) check(c *gin.Context) {
	var req struct {
		Checks *[]permCheckItem `json:"checks"`
	}
	if !bindLenient(c, &req) {
		return
	}
	if req.Checks == nil {
		failDetail(c, http.StatusUnprocessableEntity, "checks: field required")
		return
	}
	items := *req.Checks
	if len(items) > maxPermissionChecks {
		failDetail(c, http.StatusUnprocessableEntity, fmt.Sprintf("checks: at most %d per request, got %d", maxPermissionChecks, len(items)))
		return
	}
	for i := range items {
		it := &items[i]
		defaultService(c, &it.ServiceName)
		err := errors.Join(
			permName(fmt.Sprintf("checks[%d].service_name", i), it.ServiceName),
			permName(fmt.Sprintf("checks[%d].resource_type", i), it.ResourceType),
			permAction(fmt.Sprintf("checks[%d].action", i), it.Action))
		var idErr error
		it.ResourceID, idErr = permUUID(fmt.Sprintf("checks[%d].resource_id", i), it.ResourceID)
		if err = errors.Join(err, idErr); err != nil {
			failDetail(c, http.StatusUnprocessableEntity, err.Error())
			return
		}
	}
	svc := service(c)
	for _, it := range items {
		if it.ServiceName != svc.Name {
			failDetail(c, http.StatusForbidden, "Service key does not match service_name "+it.ServiceName)
			return
		}
	}
	qs := make([]resourceQuestion, len(items))
	for i, it := range items {
		qs[i] = resourceQuestion{object: permObject(it.ServiceName, it.ResourceType, it.ResourceID), action: it.Action}
	}
	allowed, err := p.decide(c.Request.Context(), permClaims(c), qs)
	if err != nil {
		p.s.log.Error("permissions/check", "err", err)
		failDetail(c, http.StatusServiceUnavailable, "Permission check unavailable")
		return
	}
	out := make([]permCheckResult, len(items))
	for i, it := range items {
		out[i] = permCheckResult{permCheckItem: it, Allowed: allowed[i]}
	}
	c.JSON(http.StatusOK, gin.H{"results": out})
}

// resourceQuestion is one resource check: object "<svc>/<type>/<rid>", action
// view or edit.
type resourceQuestion struct {
	object string
	action string
}

// decide answers the original's check semantics for the token's user: a
// user who is not (or no longer) a member of the token's workspace is
// denied everything; a resource not registered in that workspace is denied
// (unregistered, or another workspace's); the rest is the engine's check
// of resource:<object>#<action>@user:<sub> on the default model (owner,
// admins, visibility, shares, nested groups, parents).
func (p *compatPerm) decide(ctx context.Context, claims sentineltoken.Claims, qs []resourceQuestion) ([]bool, error) {
	out := make([]bool, len(qs))
	if len(qs) == 0 {
		return out, nil
	}
	member, err := p.hasRole(ctx, claims, "member")
	if err != nil || !member {
		return out, err
	}
	objects := make([]string, 0, len(qs))
	seen := make(map[string]bool, len(qs))
	for _, q := range qs {
		if !seen[q.object] {
			seen[q.object] = true
			objects = append(objects, q.object)
		}
	}
	in, err := p.registeredIn(ctx, claims.WorkspaceID, objects)
	if err != nil {
		return nil, err
	}
	var todo []int
	for i, q := range qs {
		if in[q.object] {
			todo = append(todo, i)
		}
	}
	errs := make([]error, len(qs))
	user := tuple.User{Type: "user", ID: claims.Subject}
	eval := func(i int) {
		res, err := p.s.cfg.Engine.Check(ctx, store.SystemServiceID, engine.CheckRequest{
			Object: tuple.Object{Type: "resource", ID: qs[i].object}, Relation: qs[i].action, User: user})
		out[i], errs[i] = res.Allowed, err
	}
	permParallel(len(todo), func(k int) { eval(todo[k]) })
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("check resources: %w", err)
	}
	return out, nil
}

// permParallel calls f(0..n-1) on up to batchWorkers goroutines.
func permParallel(n int, f func(int)) {
	workers := min(batchWorkers, n)
	if workers <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				f(i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// hasRole asks the engine whether the token's user has relation (member,
// admin: admin or owner, …) on the token's workspace, as the system tuples
// say now: a member removed or demoted since the token was issued loses
// its rights at once. A token without a workspace has none.
func (p *compatPerm) hasRole(ctx context.Context, claims sentineltoken.Claims, relation string) (bool, error) {
	if claims.WorkspaceID == "" || claims.Subject == "" {
		return false, nil
	}
	res, err := p.s.cfg.Engine.Check(ctx, store.SystemServiceID, engine.CheckRequest{
		Object: tuple.Object{Type: "workspace", ID: claims.WorkspaceID}, Relation: relation,
		User: tuple.User{Type: "user", ID: claims.Subject}})
	if err != nil {
		return false, fmt.Errorf("workspace %s#%s for user %s: %w", claims.WorkspaceID, relation, claims.Subject, err)
	}
	return res.Allowed, nil
}

// registeredIn returns which of objects are registered in the workspace,
// in one evaluation over the engine's index.
func (p *compatPerm) registeredIn(ctx context.Context, workspaceID string, objects []string) (map[string]bool, error) {
	out := make(map[string]bool, len(objects))
	if len(objects) == 0 {
		return out, nil
	}
	pol, err := p.inWorkspace.get(ctx, p.s.cfg.Engine)
	if err != nil {
		return nil, fmt.Errorf("prepare the workspace filter: %w", err)
	}
	ids := make([]*ast.Term, len(objects))
	for i, o := range objects {
		ids[i] = ast.StringTerm(o)
	}
	input := ast.NewObject(
		ast.Item(ast.StringTerm("workspace"), ast.StringTerm(workspaceID)),
		ast.Item(ast.StringTerm("ids"), ast.ArrayTerm(ids...)))
	rs, err := pol.Eval(ctx, input)
	if err != nil {
		return nil, fmt.Errorf("filter resources of workspace %s: %w", workspaceID, err)
	}
	if len(rs) > 0 && len(rs[0].Expressions) > 0 {
		list, ok := rs[0].Expressions[0].Value.([]any)
		if !ok {
			return nil, fmt.Errorf("filter resources of workspace %s: unexpected result %T", workspaceID, rs[0].Expressions[0].Value)
		}
		for _, v := range list {
			if id, ok := v.(string); ok {
				out[id] = true
			}
		}
	}
	return out, nil
}
