# Unit tests of rbac.rego over a hand-built index (the shape datasync
# keeps: engine/engine.go). Run by TestRBACRego (rbac_rego_test.go), or
# `opa test policies/rbac.rego policies/rbac_test.rego`.
package sentinel.rbac_test

import rego.v1

import data.sentinel.rbac

sys := "00000000-0000-0000-0000-000000000000"

# Workspace w1: anne owner, bob viewer, cara editor, dan viewer.
#   groups: eng ⊃ core ∋ cara (nested), ops ∋ dan
#   roles:  exporter (assigned to bob) grants export
#           sharer   (assigned to group eng) grants share and export
#           printer  (assigned to nobody) grants print
#           outsider (assigned to group far, of w2) grants delete
# Workspace w2: bob viewer, erin owner.
#   groups: far ∋ bob
#   roles:  w2-admin (assigned to bob) grants print and delete in w2
#   a forged grant: action:w1/a-print granted to w2-admin (a role of w2)
# Eve is in no workspace but holds exporter's tuple (a stale row).
t := {
	"workspace": {
		"w1": {
			"owner": {"user": {"anne": true}},
			"viewer": {"user": {"bob": true, "dan": true}},
			"editor": {"user": {"cara": true}},
		},
		"w2": {
			"owner": {"user": {"erin": true}},
			"viewer": {"user": {"bob": true}},
		},
	},
	"group": {
		"eng": {"workspace": {"workspace": {"w1": true}}},
		"core": {"workspace": {"workspace": {"w1": true}}, "member": {"user": {"cara": true}}},
		"ops": {"workspace": {"workspace": {"w1": true}}, "member": {"user": {"dan": true}}},
		"far": {"workspace": {"workspace": {"w2": true}}, "member": {"user": {"bob": true}}},
	},
	"role": {
		"exporter": {
			"workspace": {"workspace": {"w1": true}},
			"assignee": {"user": {"bob": true, "eve": true}},
		},
		"sharer": {"workspace": {"workspace": {"w1": true}}},
		"printer": {"workspace": {"workspace": {"w1": true}}},
		"outsider": {"workspace": {"workspace": {"w1": true}}},
		"w2-admin": {
			"workspace": {"workspace": {"w2": true}},
			"assignee": {"user": {"bob": true}},
		},
	},
}

s := {
	"group": {"eng": {"member": {"group": {"member": {"core": true}}}}},
	"role": {
		"sharer": {"assignee": {"group": {"member": {"eng": true}}}},
		"outsider": {"assignee": {"group": {"member": {"far": true}}}},
	},
	"action": {
		"w1/a-export": {"granted": {"role": {"assignee": {"exporter": true, "sharer": true}}}},
		"w1/a-share": {"granted": {"role": {"assignee": {"sharer": true}}}},
		"w1/a-print": {"granted": {"role": {"assignee": {"printer": true, "w2-admin": true}}}},
		"w1/a-delete": {"granted": {"role": {"assignee": {"outsider": true}}}},
		"w2/a-print": {"granted": {"role": {"assignee": {"w2-admin": true}}}},
		"w2/a-delete": {"granted": {"role": {"assignee": {"w2-admin": true}}}},
	},
}

# Membership closures of group#member: every user, with their distance.
c := {"group": {
	"eng": {"member": {"user": {"cara": 1}}},
	"core": {"member": {"user": {"cara": 0}}},
	"ops": {"member": {"user": {"dan": 0}}},
	"far": {"member": {"user": {"bob": 0}}},
}}

index := {"t": {sys: t}, "s": {sys: s}, "c": {sys: c}}

empty := {"t": {}, "s": {}, "c": {}}

notes := {
	"notes:export": "a-export",
	"notes:share": "a-share",
	"notes:print": "a-print",
	"notes:delete": "a-delete",
}

ask(workspace, user, action) := {"workspace": workspace, "user": user, "action": action, "actions": notes}

# The policy's outputs for an input over an index. (The index is mocked
# root by root: this package lives under data.sentinel too.)
allowed(idx, request) if {
	rbac.allowed with data.sentinel.t as idx.t with data.sentinel.s as idx.s with data.sentinel.c as idx.c with input as request
}

roles(idx, request) := r if {
	r := rbac.roles with data.sentinel.t as idx.t with data.sentinel.s as idx.s with data.sentinel.c as idx.c with input as request
}

actions(idx, request) := a if {
	a := rbac.actions with data.sentinel.t as idx.t with data.sentinel.s as idx.s with data.sentinel.c as idx.c with input as request
}

test_direct_role if {
	allowed(index, ask("w1", "bob", "notes:export"))
	roles(index, ask("w1", "bob", "notes:export")) == {"exporter"}
}

test_role_not_granting_the_action if {
	not allowed(index, ask("w1", "bob", "notes:share"))
	roles(index, ask("w1", "bob", "notes:share")) == set()
}

test_role_through_a_nested_group if {
	# cara ∈ core ⊂ eng, and sharer is assigned to eng.
	allowed(index, ask("w1", "cara", "notes:share"))
	roles(index, ask("w1", "cara", "notes:export")) == {"sharer"}
}

test_role_through_a_direct_group if {
	with_dan := json.patch(index, [{"op": "add", "path": concat("/", ["", "c", sys, "group", "eng", "member", "user", "dan"]), "value": 0}])
	allowed(with_dan, ask("w1", "dan", "notes:share"))
	not allowed(index, ask("w1", "dan", "notes:share"))
}

test_group_without_the_role if {
	# dan is in ops, which holds no role.
	actions(index, ask("w1", "dan", "")) == set()
}

test_unassigned_role if {
	# printer grants print but nobody holds it; anne owns the workspace,
	# which grants no custom action by itself.
	not allowed(index, ask("w1", "anne", "notes:print"))
}

test_role_of_another_workspace if {
	# bob holds w2-admin, which grants print in w2 ...
	allowed(index, ask("w2", "bob", "notes:print"))

	# ... not in w1, even with a (forged) w1 grant naming it.
	not allowed(index, ask("w1", "bob", "notes:print"))
}

test_group_of_another_workspace if {
	# outsider (a w1 role) is assigned to far, a group of w2 that bob is in.
	not allowed(index, ask("w1", "bob", "notes:delete"))
}

test_non_member_holds_nothing if {
	# eve still has exporter's assignee tuple but is in no workspace.
	not allowed(index, ask("w1", "eve", "notes:export"))
	actions(index, ask("w1", "eve", "")) == set()

	# erin is a member of w2 only.
	not allowed(index, ask("w1", "erin", "notes:export"))
}

test_unknown_action if {
	not allowed(index, ask("w1", "bob", "notes:unregistered"))
	not allowed(index, {"workspace": "w1", "user": "bob", "action": "notes:export", "actions": {}})
	not allowed(index, {"workspace": "w1", "user": "bob", "action": "notes:export"})
}

test_action_list if {
	actions(index, ask("w1", "bob", "")) == {"notes:export"}
	actions(index, ask("w1", "cara", "")) == {"notes:export", "notes:share"}
	actions(index, ask("w2", "bob", "")) == {"notes:print", "notes:delete"}
	actions(index, ask("w1", "anne", "")) == set()
}

test_empty_index if {
	not allowed(empty, ask("w1", "bob", "notes:export"))
	actions(empty, ask("w1", "bob", "")) == set()
}

test_missing_input if {
	not allowed(index, {})
	actions(index, {}) == set()
}
