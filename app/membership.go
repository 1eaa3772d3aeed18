package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/sentinel-auth/sentinel/engine"
	"github.com/sentinel-auth/sentinel/identity/exchange"
	"github.com/sentinel-auth/sentinel/policies"
	"github.com/sentinel-auth/sentinel/store"
)

// membership answers the AuthZ exchange's workspace questions from the
// store (memberships, groups) and the RBAC policy (actions), so an authz
// token carries wid, wrole, groups and actions.
type membership struct {
	st  store.Store
	eng *engine.Engine

	once    sync.Once
	actions *engine.Policy
	err     error
}

func newMembership(st store.Store, eng *engine.Engine) *membership {
	return &membership{st: st, eng: eng}
}

func (m *membership) WorkspacesOf(ctx context.Context, _, userID string) ([]exchange.Workspace, error) {
	ws, err := m.st.WorkspacesOf(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := make([]exchange.Workspace, 0, len(ws))
	for _, w := range ws {
		out = append(out, exchange.Workspace{ID: w.ID, Name: w.Name, Slug: w.Slug, Role: string(w.Role)})
	}
	return out, nil
}

func (m *membership) Grant(ctx context.Context, serviceName, userID, workspaceID string) (exchange.Workspace, []string, []string, error) {
	mem, err := m.st.Membership(ctx, workspaceID, userID)
	if errors.Is(err, store.ErrNotMember) || errors.Is(err, store.ErrNotFound) {
		return exchange.Workspace{}, nil, nil, exchange.ErrNotMember
	}
	if err != nil {
		return exchange.Workspace{}, nil, nil, err
	}
	w, err := m.st.Workspace(ctx, workspaceID)
	if err != nil {
		return exchange.Workspace{}, nil, nil, err
	}
	groups, err := m.st.GroupsOfUser(ctx, workspaceID, userID)
	if err != nil {
		return exchange.Workspace{}, nil, nil, fmt.Errorf("groups of user %s: %w", userID, err)
	}
	actions, err := m.userActions(ctx, serviceName, workspaceID, userID)
	if err != nil {
		return exchange.Workspace{}, nil, nil, err
	}
	return exchange.Workspace{ID: w.ID, Name: w.Name, Slug: w.Slug, Role: string(mem.Role)}, groups, actions, nil
}

// userActions asks the RBAC policy which of the service's actions the
// user has in the workspace.
func (m *membership) userActions(ctx context.Context, serviceName, workspaceID, userID string) ([]string, error) {
	m.once.Do(func() {
		m.actions, m.err = m.eng.PreparePolicy(ctx, map[string]string{policies.RBACModuleFile: policies.RBACModule}, policies.RBACActionsQuery)
	})
	if m.err != nil {
		return nil, fmt.Errorf("prepare the RBAC policy: %w", m.err)
	}
	sas, err := m.st.ServiceActions(ctx, serviceName)
	if err != nil {
		return nil, fmt.Errorf("actions of service %s: %w", serviceName, err)
	}
	ids := make(map[string]string, len(sas))
	for _, sa := range sas {
		ids[sa.Action] = sa.ID
	}
	rs, err := m.actions.Eval(ctx, policies.RBACInput{Workspace: workspaceID, User: userID, Actions: ids})
	if err != nil {
		return nil, fmt.Errorf("evaluate the RBAC policy: %w", err)
	}
	out := []string{}
	if len(rs) > 0 && len(rs[0].Expressions) > 0 {
		if list, ok := rs[0].Expressions[0].Value.([]any); ok {
			for _, a := range list {
				if s, ok := a.(string); ok {
					out = append(out, s)
				}
			}
		}
	}
	slices.Sort(out)
	return out, nil
}
