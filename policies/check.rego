# Direct relationship check: does the tuple object#relation@user exist,
# either for the user itself or through a wildcard of the user's type?
#
# Data layout (maintained by datasync, see package engine):
#   data.sentinel.tuples[<service id>][<object "type:id">][<relation>][<user>] = true
#
# Input:
#   service   service id
#   object    "type:id"
#   relation  relation name
#   user      "type:id", "type:id#relation" or "type:*"
#   wildcard  "type:*" for a concrete user (matches public tuples), else ""
package sentinel.check

default allowed := false

allowed if data.sentinel.tuples[input.service][input.object][input.relation][input.user]

allowed if {
	input.wildcard != ""
	data.sentinel.tuples[input.service][input.object][input.relation][input.wildcard]
}
