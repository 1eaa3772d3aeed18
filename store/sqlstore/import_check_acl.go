package sqlstore

import (
	"regexp"
	"strings"
	"time"

	"github.com/sentinel-auth/sentinel/store"
)

// Validation of an import snapshot, continued: resources and shares, custom
// RBAC, services and keys, client apps and the activity log.

func (c *importCheck) checkResources(in store.ImportSnapshot) error {
	keys := map[store.ResourceKey]bool{}
	shareIDs := map[string]bool{}
	for _, r := range in.Resources {
		id, err := importID("resource", r.ID)
		if err != nil {
			return err
		}
		if _, dup := c.resources[id]; dup {
			return invalidImport("resource %s appears twice", id)
		}
		key, err := checkKey(r.Key)
		if err != nil {
			c.skip(store.ImportResources, id, "%v", err)
			continue
		}
		vis, err := checkVisibility(r.Visibility)
		if err != nil {
			c.skip(store.ImportResources, id, "%v", err)
			continue
		}
		wid, err := importID("resource's workspace", r.WorkspaceID)
		if err != nil {
			return err
		}
		owner, err := importID("resource's owner", r.OwnerID)
		if err != nil {
			return err
		}
		if _, ok := c.users[owner]; !ok || !c.workspaces[wid] {
			c.skip(store.ImportResources, id, "its workspace %s or its owner %s is not imported", wid, owner)
			continue
		}
		if err := unique(keys, key, "resource %s is registered twice", keyString(key)); err != nil {
			return err
		}
		r.ID, r.Key, r.Visibility, r.WorkspaceID, r.OwnerID = id, key, vis, wid, owner
		r.CreatedAt = stamp(r.CreatedAt, c.at)
		if r.ParentID != "" {
			pid := optionalID(r.ParentID)
			if p, ok := c.resources[pid]; ok && p.Key.Service == key.Service && p.WorkspaceID == wid {
				r.ParentID = pid
			} else {
				c.skip(store.ImportResources, id, "parent %s dropped: not an earlier resource of the same service and workspace", r.ParentID)
				r.ParentID = ""
			}
		}
		if r.Shares, err = c.checkShares(r, shareIDs); err != nil {
			return err
		}
		c.resources[id] = r
		c.out.Resources = append(c.out.Resources, r)
	}
	return nil
}

// checkShares returns the shares of r that are kept: to a member of its
// workspace, or to a group of it (the rule of ShareResource).
func (c *importCheck) checkShares(r store.Resource, ids map[string]bool) ([]store.ResourceShare, error) {
	var (
		out   []store.ResourceShare
		heirs = map[[2]string]bool{}
	)
	for _, sh := range r.Shares {
		id, err := importID("share", sh.ID)
		if err != nil {
			return nil, err
		}
		if err := unique(ids, id, "share %s appears twice", id); err != nil {
			return nil, err
		}
		gid, err := checkGrantee(sh.GranteeType, sh.GranteeID)
		if err != nil {
			c.skip(store.ImportShares, id, "%v", err)
			continue
		}
		if sh.Permission != store.ShareView && sh.Permission != store.ShareEdit {
			c.skip(store.ImportShares, id, "permission %q is neither view nor edit", sh.Permission)
			continue
		}
		inWorkspace := c.members[[2]string{r.WorkspaceID, gid}]
		if sh.GranteeType == store.GranteeGroup {
			inWorkspace = c.groups[gid] == r.WorkspaceID
		}
		if !inWorkspace {
			c.skip(store.ImportShares, id, "%s %s is not in the resource's workspace %s", sh.GranteeType, gid, r.WorkspaceID)
			continue
		}
		if err := unique(heirs, [2]string{string(sh.GranteeType), gid}, "resource %s is shared twice with %s %s", r.ID, sh.GranteeType, gid); err != nil {
			return nil, err
		}
		sh.ID, sh.GranteeID, sh.GrantedBy = id, gid, optionalID(sh.GrantedBy)
		sh.GrantedAt = stamp(sh.GrantedAt, r.CreatedAt)
		out = append(out, sh)
	}
	return out, nil
}

// checkRBAC checks service actions, roles, their actions and assignments.
func (c *importCheck) checkRBAC(in store.ImportSnapshot) error {
	names := map[[2]string]bool{}
	for _, a := range in.ServiceActions {
		id, err := importID("service action", a.ID)
		if err != nil {
			return err
		}
		if c.actions[id] {
			return invalidImport("service action %s appears twice", id)
		}
		if err := checkServiceName(a.ServiceName); err != nil {
			c.skip(store.ImportServiceActions, id, "%v", err)
			continue
		}
		if err := checkActionName(a.Action); err != nil {
			c.skip(store.ImportServiceActions, id, "%v", err)
			continue
		}
		if err := unique(names, [2]string{a.ServiceName, a.Action}, "action %q of service %q appears twice", a.Action, a.ServiceName); err != nil {
			return err
		}
		a.ID, a.CreatedAt = id, stamp(a.CreatedAt, c.at)
		c.actions[id] = true
		c.out.ServiceActions = append(c.out.ServiceActions, a)
	}

	roleNames := map[[2]string]bool{}
	for _, r := range in.Roles {
		id, err := importID("role", r.ID)
		if err != nil {
			return err
		}
		wid, err := importID("role's workspace", r.WorkspaceID)
		if err != nil {
			return err
		}
		if _, dup := c.roles[id]; dup {
			return invalidImport("role %s appears twice", id)
		}
		if !c.workspaces[wid] {
			c.skip(store.ImportRoles, id, "workspace %s is not imported", wid)
			continue
		}
		if err := checkRoleName(r.Name); err != nil {
			c.skip(store.ImportRoles, id, "%v", err)
			continue
		}
		if err := unique(roleNames, [2]string{wid, r.Name}, "workspace %s has two roles named %q", wid, r.Name); err != nil {
			return err
		}
		r.ID, r.WorkspaceID, r.CreatedBy, r.CreatedAt = id, wid, optionalID(r.CreatedBy), stamp(r.CreatedAt, c.at)
		c.roles[id] = wid
		c.out.Roles = append(c.out.Roles, r)
	}

	grants := map[store.ImportRoleAction]bool{}
	for _, ra := range in.RoleActions {
		rid, err := importID("role action's role", ra.RoleID)
		if err != nil {
			return err
		}
		aid, err := importID("role action's service action", ra.ServiceActionID)
		if err != nil {
			return err
		}
		ra = store.ImportRoleAction{RoleID: rid, ServiceActionID: aid}
		if _, ok := c.roles[rid]; !ok || !c.actions[aid] {
			c.skip(store.ImportRoleActions, rid+"/"+aid, "role %s or service action %s is not imported", rid, aid)
			continue
		}
		if !grants[ra] { // a repeated pair is one grant
			grants[ra] = true
			c.out.RoleActions = append(c.out.RoleActions, ra)
		}
	}
	return c.checkAssignments(in)
}

// checkAssignments keeps the role assignments to a member of the role's
// workspace or a group of it (the rule of AssignRole).
func (c *importCheck) checkAssignments(in store.ImportSnapshot) error {
	seen := map[[3]string]bool{}
	for _, a := range in.RoleAssignments {
		rid, err := importID("assignment's role", a.RoleID)
		if err != nil {
			return err
		}
		aid, err := importID("assignee", a.Assignee.ID)
		if err != nil {
			return err
		}
		key := rid + "/" + string(a.Assignee.Type) + "/" + aid
		wid, ok := c.roles[rid]
		switch {
		case !ok:
			c.skip(store.ImportRoleAssignments, key, "role %s is not imported", rid)
			continue
		case a.Assignee.Type == store.AssigneeUser && !c.members[[2]string{wid, aid}],
			a.Assignee.Type == store.AssigneeGroup && c.groups[aid] != wid:
			c.skip(store.ImportRoleAssignments, key, "%s %s is not in the role's workspace %s", a.Assignee.Type, aid, wid)
			continue
		case a.Assignee.Type != store.AssigneeUser && a.Assignee.Type != store.AssigneeGroup:
			c.skip(store.ImportRoleAssignments, key, "assignee type %q is neither user nor group", a.Assignee.Type)
			continue
		}
		if err := unique(seen, [3]string{rid, string(a.Assignee.Type), aid}, "assignment %s appears twice", key); err != nil {
			return err
		}
		a.RoleID, a.Assignee.ID, a.AssignedBy, a.AssignedAt = rid, aid, optionalID(a.AssignedBy), stamp(a.AssignedAt, c.at)
		c.out.RoleAssignments = append(c.out.RoleAssignments, a)
	}
	return nil
}

// keyHashRe is the stored form of a service key: hex SHA-256.
var keyHashRe = regexp.MustCompile(`^[0-9a-f]{64}$`)

func (c *importCheck) checkServices(in store.ImportSnapshot) error {
	ids, names, hashes := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, svc := range in.Services {
		id, err := importID("service", svc.ID)
		if err != nil {
			return err
		}
		if err := unique(ids, id, "service %s appears twice", id); err != nil {
			return err
		}
		if err := checkServiceName(svc.Name); err != nil {
			c.skip(store.ImportServices, id, "%v", err)
			continue
		}
		if err := unique(names, svc.Name, "two services are named %q", svc.Name); err != nil {
			return err
		}
		svc.ID, svc.CreatedAt = id, stamp(svc.CreatedAt, c.at)
		keys := svc.Keys
		svc.Keys = nil
		for _, k := range keys {
			k.Hash = strings.ToLower(k.Hash)
			if !keyHashRe.MatchString(k.Hash) {
				c.skip(store.ImportKeys, k.Prefix, "the key hash of service %q is not a hex SHA-256", svc.Name)
				continue
			}
			if err := unique(hashes, k.Hash, "two keys have the hash %s…", k.Hash[:8]); err != nil {
				return err
			}
			k.CreatedAt = stamp(k.CreatedAt, svc.CreatedAt)
			k.LastUsedAt, k.RevokedAt = normPtr(k.LastUsedAt), normPtr(k.RevokedAt)
			svc.Keys = append(svc.Keys, k)
		}
		c.out.Services = append(c.out.Services, svc)
	}
	return nil
}

// normPtr is normTime for an optional time.
func normPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := normTime(*t)
	return &v
}

func (c *importCheck) checkClientApps(in store.ImportSnapshot) error {
	ids := map[string]bool{}
	for _, a := range in.ClientApps {
		id, err := importID("client app", a.ID)
		if err != nil {
			return err
		}
		if err := unique(ids, id, "client app %s appears twice", id); err != nil {
			return err
		}
		if a.Name = strings.TrimSpace(a.Name); a.Name == "" {
			c.skip(store.ImportClientApps, id, "name is required")
			continue
		}
		if a.RedirectURIs == nil {
			a.RedirectURIs = []string{}
		}
		a.ID, a.CreatedBy, a.CreatedAt = id, optionalID(a.CreatedBy), stamp(a.CreatedAt, c.at)
		a.UpdatedAt = stamp(a.UpdatedAt, a.CreatedAt)
		c.out.ClientApps = append(c.out.ClientApps, a)
	}
	return nil
}

// checkActivity keeps the entries AppendActivity would accept.
func (c *importCheck) checkActivity(in store.ImportSnapshot) error {
	ids := map[string]bool{}
	for _, e := range in.Activity {
		if e.ID != "" {
			id, err := importID("activity entry", e.ID)
			if err != nil {
				return err
			}
			e.ID = id
		}
		if e.CreatedAt.IsZero() {
			e.CreatedAt = c.at
		}
		e, err := normActivity(e)
		if err != nil {
			c.skip(store.ImportActivity, e.ID, "%v", err)
			continue
		}
		if err := unique(ids, e.ID, "activity entry %s appears twice", e.ID); err != nil {
			return err
		}
		c.out.Activity = append(c.out.Activity, e)
	}
	return nil
}
