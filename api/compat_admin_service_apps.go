package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/sentinel-auth/sentinel/identity/servicekey"
	"github.com/sentinel-auth/sentinel/store"
)

// The original's /admin/service-apps. Its "service app" is our service
// and its key: the app's id is the service's id, its service_name the
// service's name, its key the service's newest key (shown once, when
// created or rotated). The display name, allowed origins and deactivation
// are the service's app record (store.ServiceApp). The allowed_origins of
// active apps are the browser origins CORS admits (cors.go), as in the
// original.

// maxRotateGrace bounds rotate-key's grace_seconds.
const maxRotateGrace = 30 * 24 * time.Hour

// admServiceAppJSON is the original's ServiceAppResponse.
type admServiceAppJSON struct {
	ID             string     `json:"id"`
	Name           string     `json:"name"`
	ServiceName    string     `json:"service_name"`
	KeyPrefix      string     `json:"key_prefix"`
	IsActive       bool       `json:"is_active"`
	AllowedOrigins []string   `json:"allowed_origins"`
	LastUsedAt     *time.Time `json:"last_used_at"`
	CreatedBy      *string    `json:"created_by"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
}

// admServiceAppCreatedJSON is the original's ServiceAppCreateResponse: the
// app and its new key, shown this once.
type admServiceAppCreatedJSON struct {
	admServiceAppJSON
	APIKey string `json:"api_key"`
}

// admServiceAppOf renders an app from its service, record and keys. It is
// active if it was not deactivated and one of its keys authenticates now;
// its key prefix is the newest such key's (else the newest key's); it was
// last used when any of its keys was.
func admServiceAppOf(svc store.Service, app store.ServiceApp, keys []store.Key) admServiceAppJSON {
	out := admServiceAppJSON{ID: svc.ID, Name: app.Name, ServiceName: svc.Name, AllowedOrigins: app.AllowedOrigins,
		CreatedAt: svc.CreatedAt, UpdatedAt: app.UpdatedAt}
	if out.AllowedOrigins == nil {
		out.AllowedOrigins = []string{}
	}
	now := time.Now()
	var newestActive *store.Key
	for i := range keys { // oldest first
		k := &keys[i]
		out.KeyPrefix = k.Prefix
		if k.Active(now) {
			newestActive = k
		}
		if k.LastUsedAt != nil && (out.LastUsedAt == nil || k.LastUsedAt.After(*out.LastUsedAt)) {
			out.LastUsedAt = k.LastUsedAt
		}
	}
	if newestActive != nil {
		out.KeyPrefix = newestActive.Prefix
	}
	out.IsActive = app.Active && newestActive != nil
	return out
}

// admServiceAppOut reads the service's keys and renders its app.
func (s *Server) admServiceAppOut(ctx context.Context, svc store.Service, app store.ServiceApp) (admServiceAppJSON, error) {
	keys, err := s.cfg.Store.ListKeys(ctx, svc.ID)
	if err != nil {
		return admServiceAppJSON{}, fmt.Errorf("keys of service %s: %w", svc.ID, err)
	}
	return admServiceAppOf(svc, app, keys), nil
}

// admListServiceApps is GET /admin/service-apps?page=&page_size=: every
// service as an app, by service name.
func (s *Server) admListServiceApps(c *gin.Context) {
	page, size, ok := admPaging(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	svcs, err := s.cfg.Store.ListServices(ctx)
	if err != nil {
		s.admInternal(c, "list services", err)
		return
	}
	apps, err := s.cfg.Store.ServiceApps(ctx)
	if err != nil {
		s.admInternal(c, "list service apps", err)
		return
	}
	p := admSlice(svcs, page, size)
	out := admPage[admServiceAppJSON]{Items: make([]admServiceAppJSON, 0, len(p.Items)), Total: p.Total, Page: p.Page, PageSize: p.PageSize}
	for _, svc := range p.Items {
		app, ok := apps[svc.ID]
		if !ok { // created after the list of apps was read
			app = store.ServiceApp{ServiceID: svc.ID, Name: svc.Name, Active: true, UpdatedAt: svc.CreatedAt}
		}
		a, err := s.admServiceAppOut(ctx, svc, app)
		if err != nil {
			s.admInternal(c, "list service apps", err)
			return
		}
		out.Items = append(out.Items, a)
	}
	c.JSON(http.StatusOK, out)
}

// admServiceAppParam parses the {id} of a service app route (422) and
// reads its service and app (404; the system service is none).
func (s *Server) admServiceAppParam(c *gin.Context) (store.Service, store.ServiceApp, bool) {
	ids, ok := wsPathIDs(c, "id")
	if !ok {
		return store.Service{}, store.ServiceApp{}, false
	}
	ctx := c.Request.Context()
	app, err := s.cfg.Store.ServiceApp(ctx, ids[0])
	var svc store.Service
	if err == nil {
		svc, err = s.cfg.Store.ServiceByID(ctx, ids[0])
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		failDetail(c, http.StatusNotFound, "Service app not found")
		return store.Service{}, store.ServiceApp{}, false
	case err != nil:
		s.admInternal(c, "read service app", err)
		return store.Service{}, store.ServiceApp{}, false
	}
	return svc, app, true
}

// admServiceAppAnswer answers status with the service's app.
func (s *Server) admServiceAppAnswer(c *gin.Context, status int, svc store.Service, app store.ServiceApp) {
	out, err := s.admServiceAppOut(c.Request.Context(), svc, app)
	if err != nil {
		s.admInternal(c, "read service app", err)
		return
	}
	c.JSON(status, out)
}

// admGetServiceApp is GET /admin/service-apps/{id}.
func (s *Server) admGetServiceApp(c *gin.Context) {
	if svc, app, ok := s.admServiceAppParam(c); ok {
		s.admServiceAppAnswer(c, http.StatusOK, svc, app)
	}
}

// admServiceAppRequest is the body of POST and PATCH.
type admServiceAppRequest struct {
	Name           *string   `json:"name"`
	ServiceName    *string   `json:"service_name"`
	AllowedOrigins *[]string `json:"allowed_origins"`
}

// admCheckServiceApp validates the name and origins given (422 otherwise).
func admCheckServiceApp(c *gin.Context, req admServiceAppRequest) bool {
	var errs []error
	if req.Name != nil {
		errs = append(errs, store.CheckServiceAppName(*req.Name))
	}
	if req.AllowedOrigins != nil {
		for _, o := range *req.AllowedOrigins {
			errs = append(errs, store.CheckOrigin(o))
		}
	}
	if err := errors.Join(errs...); err != nil {
		failDetail(c, http.StatusUnprocessableEntity, err.Error())
		return false
	}
	return true
}

// appKeys creates services as service apps (service and record in one
// transaction) for servicekey.CreateServiceWith.
type appKeys struct {
	store.Store
	spec store.ServiceAppSpec
	app  *store.ServiceApp
}

func (k appKeys) CreateService(ctx context.Context, name string) (store.Service, error) {
	svc, app, err := k.CreateServiceApp(ctx, name, k.spec)
	*k.app = app
	return svc, err
}

// admCreateServiceApp is POST /admin/service-apps {name, service_name,
// allowed_origins?} → 201 with the app and its key (api_key), shown this
// once. A service name taken is a 409.
func (s *Server) admCreateServiceApp(c *gin.Context) {
	var req admServiceAppRequest
	if !bindLenient(c, &req) {
		return
	}
	switch {
	case req.Name == nil:
		failDetail(c, http.StatusUnprocessableEntity, "name: field required")
		return
	case req.ServiceName == nil:
		failDetail(c, http.StatusUnprocessableEntity, "service_name: field required")
		return
	case !ValidServiceName(*req.ServiceName):
		failDetail(c, http.StatusUnprocessableEntity, fmt.Sprintf("service_name: %q must match %s", *req.ServiceName, serviceNameRe))
		return
	}
	if !admCheckServiceApp(c, req) {
		return
	}
	spec := store.ServiceAppSpec{Name: *req.Name}
	if req.AllowedOrigins != nil {
		spec.AllowedOrigins = *req.AllowedOrigins
	}
	key, err := servicekey.New()
	if err != nil {
		s.admInternal(c, "generate a service key", err)
		return
	}
	// Recorded with the app's write, the first of two (the key's is the
	// second): the key is named by its prefix.
	var app store.ServiceApp
	rec := admRecordOf(c, func(app store.ServiceApp) []act {
		return []act{{store.ActivityEntry{Action: "service_app.created", TargetType: "service_app", TargetID: app.ServiceID},
			map[string]any{"name": app.Name, "service_name": *req.ServiceName, "key_prefix": key.Display}}}
	})
	is, err := servicekey.CreateServiceWith(rec, appKeys{Store: s.cfg.Store, spec: spec, app: &app}, *req.ServiceName, key)
	switch {
	case errors.Is(err, store.ErrAlreadyExists):
		failDetail(c, http.StatusConflict, fmt.Sprintf("A service named %q exists already", *req.ServiceName))
		return
	case err != nil:
		s.admInternal(c, "create service app", err)
		return
	}
	s.origins.invalidate()
	s.admCommitted(c)
	c.JSON(http.StatusCreated, admServiceAppCreatedJSON{admServiceAppJSON: admServiceAppOf(is.Service, app, []store.Key{is.Key}), APIKey: is.Secret})
}

// admUpdateServiceApp is PATCH /admin/service-apps/{id} {name?,
// allowed_origins?}.
func (s *Server) admUpdateServiceApp(c *gin.Context) {
	if _, ok := wsPathIDs(c, "id"); !ok {
		return
	}
	var req admServiceAppRequest
	if !bindLenient(c, &req) || !admCheckServiceApp(c, req) {
		return
	}
	svc, before, ok := s.admServiceAppParam(c)
	if !ok {
		return
	}
	rec := admRecordOf(c, func(app store.ServiceApp) []act {
		if app.UpdatedAt.Equal(before.UpdatedAt) {
			return nil // nothing changed
		}
		return []act{{store.ActivityEntry{Action: "service_app.updated", TargetType: "service_app", TargetID: svc.ID},
			map[string]any{"name": app.Name, "allowed_origins": app.AllowedOrigins}}}
	})
	app, err := s.cfg.Store.UpdateServiceApp(rec, svc.ID, store.ServiceAppUpdate{Name: req.Name, AllowedOrigins: req.AllowedOrigins})
	switch {
	case errors.Is(err, store.ErrNotFound):
		failDetail(c, http.StatusNotFound, "Service app not found")
		return
	case err != nil:
		s.admInternal(c, "update service app", err)
		return
	}
	s.origins.invalidate()
	if !app.UpdatedAt.Equal(before.UpdatedAt) {
		s.admCommitted(c)
	}
	s.admServiceAppAnswer(c, http.StatusOK, svc, app)
}

// admRotateServiceAppKey is POST /admin/service-apps/{id}/rotate-key
// ?grace_seconds= → the app and its new key (api_key), shown this once.
// The app's other keys stop working after grace_seconds (default 0: at
// once; at most 30 days). A deactivated app is active again with the new
// key: asking for a key is asking for the app to work.
func (s *Server) admRotateServiceAppKey(c *gin.Context) {
	if _, ok := wsPathIDs(c, "id"); !ok {
		return
	}
	grace := time.Duration(0)
	if v, given := c.GetQuery("grace_seconds"); given {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 || time.Duration(n) > maxRotateGrace/time.Second {
			failDetail(c, http.StatusUnprocessableEntity, fmt.Sprintf("grace_seconds must be an integer from 0 to %d", int64(maxRotateGrace/time.Second)))
			return
		}
		grace = time.Duration(n) * time.Second
	}
	svc, app, ok := s.admServiceAppParam(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	key, err := servicekey.New()
	if err != nil {
		s.admInternal(c, "generate a service key", err)
		return
	}
	// One entry for up to two writes (the activation, the key), recorded
	// by the first that commits (store.WithActivity).
	rec := admRecord(c, act{store.ActivityEntry{Action: "service_app.key_rotated", TargetType: "service_app", TargetID: svc.ID},
		map[string]any{"service_name": svc.Name, "key_prefix": key.Display, "grace_seconds": int64(grace / time.Second)}})
	if !app.Active {
		// Before the key: if this fails no key is issued; if the key
		// then fails the app shows inactive (it has no working key).
		if app, err = s.cfg.Store.SetServiceAppActive(rec, svc.ID, true); err != nil {
			s.admInternal(c, "activate service app", err)
			return
		}
	}
	is, err := servicekey.RotateWith(rec, s.cfg.Store, svc.Name, grace, key)
	if err != nil {
		s.admInternal(c, "rotate service app key", err)
		return
	}
	s.origins.invalidate() // the app may have been activated
	s.cfg.Keys.Invalidate(svc.ID)
	s.admCommitted(c)
	out, err := s.admServiceAppOut(ctx, svc, app)
	if err != nil {
		s.admInternal(c, "read service app", err)
		return
	}
	c.JSON(http.StatusOK, admServiceAppCreatedJSON{admServiceAppJSON: out, APIKey: is.Secret})
}

// admDeactivateServiceApp is POST /admin/service-apps/{id}/deactivate →
// the app, inactive: every key of it is revoked at once.
func (s *Server) admDeactivateServiceApp(c *gin.Context) {
	svc, _, ok := s.admServiceAppParam(c)
	if !ok {
		return
	}
	app, err := s.cfg.Store.SetServiceAppActive(admRecord(c, act{store.ActivityEntry{Action: "service_app.deactivated",
		TargetType: "service_app", TargetID: svc.ID}, map[string]any{"service_name": svc.Name}}), svc.ID, false)
	switch {
	case errors.Is(err, store.ErrNotFound):
		failDetail(c, http.StatusNotFound, "Service app not found")
		return
	case err != nil:
		s.admInternal(c, "deactivate service app", err)
		return
	}
	s.origins.invalidate()
	s.cfg.Keys.Invalidate(svc.ID)
	s.admCommitted(c)
	s.admServiceAppAnswer(c, http.StatusOK, svc, app)
}

// admDeleteServiceApp is DELETE /admin/service-apps/{id} → 204: the
// service is deleted whole, in one transaction (store.DeleteService): its
// registered resources and their shares, its service actions (and them
// from every role), its tuples, models and keys.
func (s *Server) admDeleteServiceApp(c *gin.Context) {
	svc, app, ok := s.admServiceAppParam(c)
	if !ok {
		return
	}
	_, err := s.cfg.Store.DeleteService(admRecordOf(c, func(del store.ServiceDeletion) []act {
		return []act{{store.ActivityEntry{Action: "service_app.deleted", TargetType: "service_app", TargetID: svc.ID},
			map[string]any{"name": app.Name, "service_name": svc.Name, "resources_deleted": del.Resources,
				"actions_deleted": del.Actions, "tuples_deleted": del.Tuples, "keys_deleted": del.Keys}}}
	}), svc.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		failDetail(c, http.StatusNotFound, "Service app not found")
		return
	case err != nil:
		s.admInternal(c, "delete service app", err)
		return
	}
	s.origins.invalidate()
	s.cfg.Keys.Invalidate(svc.ID)
	s.admCommitted(c)
	c.Status(http.StatusNoContent)
}
