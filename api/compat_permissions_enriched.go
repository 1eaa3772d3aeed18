package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/sentinel-auth/sentinel/store"
)

// The enriched ACL of a resource: GET
// /permissions/resource/{svc}/{type}/{id}/enriched, and GET
// /v1/resources/{type}/{id}/acl on the native API.

type enrichedShareJSON struct {
	shareJSON
	GranteeName   *string `json:"grantee_name"`
	GranteeEmail  *string `json:"grantee_email"`
	GrantedByName *string `json:"granted_by_name"`
}

type enrichedResourceJSON struct {
	resourcePermissionJSON
	OwnerName  *string             `json:"owner_name"`
	OwnerEmail *string             `json:"owner_email"`
	Shares     []enrichedShareJSON `json:"shares"`
}

// enriched is GET /permissions/resource/{svc}/{type}/{id}/enriched (SK):
// the ACL with the names and emails of the owner, the grantees (a group's
// name; no email) and the granters; null for a user or group gone since.
func (p *compatPerm) enriched(c *gin.Context) {
	res, ok := p.byKey(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	users := map[string]*store.User{}
	user := func(id string) (*store.User, error) {
		if u, ok := users[id]; ok || id == "" {
			return u, nil
		}
		u, err := p.s.cfg.Store.UserByID(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			users[id] = nil
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("user %s: %w", id, err)
		}
		users[id] = &u
		return &u, nil
	}
	name := func(u *store.User) *string {
		if u == nil {
			return nil
		}
		return &u.Name
	}
	email := func(u *store.User) *string {
		if u == nil {
			return nil
		}
		return &u.Email
	}
	base := resourceOut(res)
	owner, err := user(res.OwnerID)
	if err != nil {
		p.unavailable(c, "permissions/enriched", err)
		return
	}
	out := enrichedResourceJSON{resourcePermissionJSON: base, OwnerName: name(owner), OwnerEmail: email(owner),
		Shares: make([]enrichedShareJSON, len(res.Shares))}
	for i, sh := range res.Shares {
		e := enrichedShareJSON{shareJSON: base.Shares[i]}
		if sh.GranteeType == store.GranteeUser {
			u, err := user(sh.GranteeID)
			if err != nil {
				p.unavailable(c, "permissions/enriched", err)
				return
			}
			e.GranteeName, e.GranteeEmail = name(u), email(u)
		} else {
			g, err := p.s.cfg.Store.Group(ctx, sh.GranteeID)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				p.unavailable(c, "permissions/enriched: group", err)
				return
			}
			if err == nil {
				e.GranteeName = &g.Name
			}
		}
		by, err := user(sh.GrantedBy)
		if err != nil {
			p.unavailable(c, "permissions/enriched", err)
			return
		}
		e.GrantedByName = name(by)
		out.Shares[i] = e
	}
	c.JSON(http.StatusOK, out)
}
