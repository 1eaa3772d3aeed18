package sentinel.check_test

import data.sentinel.check

tuples := {"svc": {"doc:1": {"viewer": {"user:anne": true, "group:eng#member": true}}, "doc:2": {"viewer": {"user:*": true}}}}

test_direct_user_allowed if {
	check.allowed with data.sentinel.tuples as tuples
		with input as {"service": "svc", "object": "doc:1", "relation": "viewer", "user": "user:anne", "wildcard": "user:*"}
}

test_other_user_denied if {
	not check.allowed with data.sentinel.tuples as tuples
		with input as {"service": "svc", "object": "doc:1", "relation": "viewer", "user": "user:bob", "wildcard": "user:*"}
}

test_userset_allowed if {
	check.allowed with data.sentinel.tuples as tuples
		with input as {"service": "svc", "object": "doc:1", "relation": "viewer", "user": "group:eng#member", "wildcard": ""}
}

test_wildcard_allowed if {
	check.allowed with data.sentinel.tuples as tuples
		with input as {"service": "svc", "object": "doc:2", "relation": "viewer", "user": "user:bob", "wildcard": "user:*"}
}

test_other_service_denied if {
	not check.allowed with data.sentinel.tuples as tuples
		with input as {"service": "other", "object": "doc:1", "relation": "viewer", "user": "user:anne", "wildcard": "user:*"}
}
