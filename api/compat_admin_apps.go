package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/sentinel-auth/sentinel/store"
)

// The original's /admin/client-apps: the applications allowed to start a
// proxy-mode login, and the redirect URIs each may ask for (absolute http
// or https, no fragment; store.CheckRedirectURI). Proxy-mode login does
// not exist yet, so nothing reads them but these routes and `sentinel
// import`; the original's revoke_sessions (revoking the app's refresh
// tokens on deactivation) waits for it.

// admClientAppJSON is the original's ClientAppResponse.
type admClientAppJSON struct {
	ID           string    `json:"id"`
	Name         string    `json:"name"`
	RedirectURIs []string  `json:"redirect_uris"`
	IsActive     bool      `json:"is_active"`
	CreatedBy    *string   `json:"created_by"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

func admClientAppOf(a store.ClientApp) admClientAppJSON {
	uris := a.RedirectURIs
	if uris == nil {
		uris = []string{}
	}
	return admClientAppJSON{ID: a.ID, Name: a.Name, RedirectURIs: uris, IsActive: a.Active,
		CreatedBy: permNullable(a.CreatedBy), CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
}

// admClientAppRequest is the body of POST and PATCH.
type admClientAppRequest struct {
	Name         *string   `json:"name"`
	RedirectURIs *[]string `json:"redirect_uris"`
	IsActive     *bool     `json:"is_active"`
}

// admCheckClientApp validates the fields given (422 otherwise).
func admCheckClientApp(c *gin.Context, req admClientAppRequest) bool {
	var errs []error
	if req.Name != nil {
		errs = append(errs, store.CheckClientAppName(*req.Name))
	}
	if req.RedirectURIs != nil {
		for _, u := range *req.RedirectURIs {
			errs = append(errs, store.CheckRedirectURI(u))
		}
	}
	if err := errors.Join(errs...); err != nil {
		failDetail(c, http.StatusUnprocessableEntity, err.Error())
		return false
	}
	return true
}

// admListClientApps is GET /admin/client-apps?page=&page_size=: by name.
func (s *Server) admListClientApps(c *gin.Context) {
	page, size, ok := admPaging(c)
	if !ok {
		return
	}
	apps, err := s.cfg.Store.ClientApps(c.Request.Context())
	if err != nil {
		s.admInternal(c, "list client apps", err)
		return
	}
	out := make([]admClientAppJSON, len(apps))
	for i, a := range apps {
		out[i] = admClientAppOf(a)
	}
	c.JSON(http.StatusOK, admSlice(out, page, size))
}

// admCreateClientApp is POST /admin/client-apps {name, redirect_uris} →
// 201 with the new, active app.
func (s *Server) admCreateClientApp(c *gin.Context) {
	var req admClientAppRequest
	if !bindLenient(c, &req) {
		return
	}
	switch {
	case req.Name == nil:
		failDetail(c, http.StatusUnprocessableEntity, "name: field required")
		return
	case req.RedirectURIs == nil:
		failDetail(c, http.StatusUnprocessableEntity, "redirect_uris: field required")
		return
	}
	if !admCheckClientApp(c, req) {
		return
	}
	rec := admRecordOf(c, func(a store.ClientApp) []act {
		return []act{{store.ActivityEntry{Action: "client_app.created", TargetType: "client_app", TargetID: a.ID},
			map[string]any{"name": a.Name, "redirect_uris": a.RedirectURIs}}}
	})
	a, err := s.cfg.Store.CreateClientApp(rec, store.ClientAppSpec{Name: *req.Name, RedirectURIs: *req.RedirectURIs})
	if err != nil {
		s.admInternal(c, "create client app", err)
		return
	}
	s.admCommitted(c)
	c.JSON(http.StatusCreated, admClientAppOf(a))
}

// admClientAppParam parses the {id} of a client app route (422) and reads
// the app (404).
func (s *Server) admClientAppParam(c *gin.Context) (store.ClientApp, bool) {
	ids, ok := wsPathIDs(c, "id")
	if !ok {
		return store.ClientApp{}, false
	}
	a, err := s.cfg.Store.ClientApp(c.Request.Context(), ids[0])
	switch {
	case errors.Is(err, store.ErrNotFound):
		failDetail(c, http.StatusNotFound, "Client app not found")
		return store.ClientApp{}, false
	case err != nil:
		s.admInternal(c, "read client app", err)
		return store.ClientApp{}, false
	}
	return a, true
}

// admGetClientApp is GET /admin/client-apps/{id}.
func (s *Server) admGetClientApp(c *gin.Context) {
	if a, ok := s.admClientAppParam(c); ok {
		c.JSON(http.StatusOK, admClientAppOf(a))
	}
}

// admUpdateClientApp is PATCH /admin/client-apps/{id} {name?,
// redirect_uris?, is_active?}.
func (s *Server) admUpdateClientApp(c *gin.Context) {
	if _, ok := wsPathIDs(c, "id"); !ok {
		return
	}
	var req admClientAppRequest
	if !bindLenient(c, &req) || !admCheckClientApp(c, req) {
		return
	}
	before, ok := s.admClientAppParam(c)
	if !ok {
		return
	}
	rec := admRecordOf(c, func(a store.ClientApp) []act {
		if a.UpdatedAt.Equal(before.UpdatedAt) {
			return nil // nothing changed
		}
		return []act{{store.ActivityEntry{Action: "client_app.updated", TargetType: "client_app", TargetID: a.ID},
			map[string]any{"name": a.Name, "redirect_uris": a.RedirectURIs, "is_active": a.Active}}}
	})
	a, err := s.cfg.Store.UpdateClientApp(rec, before.ID,
		store.ClientAppUpdate{Name: req.Name, RedirectURIs: req.RedirectURIs, Active: req.IsActive})
	switch {
	case errors.Is(err, store.ErrNotFound):
		failDetail(c, http.StatusNotFound, "Client app not found")
		return
	case err != nil:
		s.admInternal(c, "update client app", err)
		return
	}
	if !a.UpdatedAt.Equal(before.UpdatedAt) {
		s.admCommitted(c)
	}
	c.JSON(http.StatusOK, admClientAppOf(a))
}

// admDeleteClientApp is DELETE /admin/client-apps/{id} → 204.
func (s *Server) admDeleteClientApp(c *gin.Context) {
	a, ok := s.admClientAppParam(c)
	if !ok {
		return
	}
	err := s.cfg.Store.DeleteClientApp(admRecord(c, act{store.ActivityEntry{Action: "client_app.deleted",
		TargetType: "client_app", TargetID: a.ID}, map[string]any{"name": a.Name}}), a.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		failDetail(c, http.StatusNotFound, "Client app not found")
		return
	case err != nil:
		s.admInternal(c, "delete client app", err)
		return
	}
	s.admCommitted(c)
	c.Status(http.StatusNoContent)
}
