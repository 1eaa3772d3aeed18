# Custom RBAC: may a user perform a service's action in a workspace?
#
# Services register actions ("notes:export"); a workspace defines roles as
# sets of actions and assigns them to members and to groups. The store
# mirrors those rows as tuples of the system service, and this policy
# decides from those tuples alone, as datasync applied them:
#
#   role:<role>#workspace@workspace:<workspace>          the role belongs to the workspace
#   role:<role>#assignee@user:<user>                      the role is assigned to a user
#   role:<role>#assignee@group:<group>#member             ... or to every member of a group
#   action:<workspace>/<action id>#granted@role:<role>#assignee
#                                                         holders of the role may do the action
#
# plus the workspace and group tuples of the default model:
#
#   workspace:<workspace>#owner|admin|editor|viewer@user:<user>   membership, with its role
#   group:<group>#workspace@workspace:<workspace>
#   group:<group>#member@user:<user> | @group:<nested>#member
#
# Input:
#   workspace  the workspace id (the caller's token's, checked by the API)
#   user       the user id
#   actions    {action name: service action id} for every action the
#              service registered (names are what callers use; tuples carry ids)
#   action     the action name to decide (for allowed and roles)
#
# Output:
#   allowed    true iff the user holds, in the workspace, a role granting action
#   roles      the ids of those roles
#   actions    the names of every action of the service the user may do there
#
# Everything fails closed: a user who is not a member of the workspace, a
# role of another workspace, a group of another workspace, an action the
# service did not register — none grants anything.
package sentinel.rbac

import rego.v1

# The reserved system service whose tuples describe workspaces, groups and
# roles (store.SystemServiceID).
system := "00000000-0000-0000-0000-000000000000"

# The index (engine/engine.go): plain users, usersets, and membership
# closures. Every lookup below spells the whole path, so that OPA reads one
# small map rather than the whole index.
#
#   data.sentinel.t[svc][type][id][relation][userType][userId]
#   data.sentinel.s[svc][type][id][relation][userType][userRel][userId]
#   data.sentinel.c[svc][type][id][relation][userType][userId] = distance
#
# c holds, for group#member, every user of the group directly (distance 0)
# or through nested groups.

default allowed := false

allowed if count(roles) > 0

# The user's roles in the workspace that grant the action.
roles contains role if {
	member
	some role in granting(input.actions[input.action])
	holds(role)
}

# Every action of the service the user may do in the workspace.
actions contains name if {
	member
	some name, id in input.actions
	some role in granting(id)
	holds(role)
}

# The user is a member of the workspace, whatever their built-in role.
member if {
	some relation in {"owner", "admin", "editor", "viewer"}
	data.sentinel.t[system].workspace[input.workspace][relation].user[input.user]
}

# The roles whose holders may do the action (by id) in the workspace.
granting(action_id) := {role |
	some role
	data.sentinel.s[system].action[concat("/", [input.workspace, action_id])].granted.role.assignee[role]
}

# The user holds the role in the workspace: it is assigned to them...
holds(role) if {
	in_workspace(role)
	data.sentinel.t[system].role[role].assignee.user[input.user]
}

# ... or to a group of the workspace they are in, directly or nested.
holds(role) if {
	in_workspace(role)
	some group
	data.sentinel.s[system].role[role].assignee.group.member[group]
	data.sentinel.t[system].group[group].workspace.workspace[input.workspace]
	is_number(data.sentinel.c[system].group[group].member.user[input.user])
}

# The role belongs to the workspace.
in_workspace(role) if data.sentinel.t[system].role[role].workspace.workspace[input.workspace]
