package engine

import (
	"encoding/json"
	"errors"

	"github.com/sentinel-auth/sentinel/tuple"
)

// Errors of the query methods; callers test with errors.Is.
var (
	// ErrNoModel: the service has no authorization model loaded.
	ErrNoModel = errors.New("no authorization model")
	// ErrInvalidRequest: the request names a type or relation the model
	// lacks, a user the model cannot relate, or a malformed contextual
	// tuple. Maps to 400.
	ErrInvalidRequest = errors.New("invalid request")
	// ErrTooComplex: resolving the request needs more than the configured
	// depth of nested relations. The request is refused rather than
	// answered, since a partial answer could be wrong.
	ErrTooComplex = errors.New("resolution too complex")
)

// CheckRequest asks whether User has Relation on Object.
type CheckRequest struct {
	Object   tuple.Object
	Relation string
	User     tuple.User
	// Contextual tuples are considered for this request only, as if
	// written; they are validated against the model like writes.
	Contextual []tuple.Tuple
	// Explain asks for the path that granted access, or the branches that
	// failed.
	Explain bool
}

// CheckResult is the answer of a check.
type CheckResult struct {
	Allowed     bool
	Explanation *Explanation // set when requested
}

// Explanation is how a decision was reached.
type Explanation struct {
	// Path lists, for an allowed check, the steps from the question to the
	// tuple that granted it, e.g. "doc:1#viewer ← computed from editor",
	// "doc:1#editor@user:anne (tuple)".
	Path []string `json:"path,omitempty"`
	// Tried lists, for a denied check, the branches evaluated (each false).
	Tried []string `json:"tried,omitempty"`
}

// ListObjectsRequest asks for every object of Type on which User has Relation.
type ListObjectsRequest struct {
	Type       string
	Relation   string
	User       tuple.User
	Contextual []tuple.Tuple
}

// UserFilter selects users in ListUsers: plain objects of Type, or
// usersets Type#Relation when Relation is set.
type UserFilter struct {
	Type     string
	Relation string
}

// ListUsersRequest asks for every user matching Filters that has Relation
// on Object. A wildcard grant is returned as the user "type:*".
type ListUsersRequest struct {
	Object     tuple.Object
	Relation   string
	Filters    []UserFilter
	Contextual []tuple.Tuple
}

// ExpandRequest asks for the userset tree of Object#Relation, one level
// deep (as OpenFGA's Expand): leaves name users, usersets to expand next,
// computed relations and tuple-to-userset hops.
type ExpandRequest struct {
	Object   tuple.Object
	Relation string
}

// UsersetTree is a node of an Expand answer. Exactly one of its fields
// besides Name is set.
type UsersetTree struct {
	// Name is "object#relation" of the node.
	Name string `json:"name"`
	// Users are the direct users: "user:anne", "user:*", "group:eng#member".
	Users []string `json:"users,omitempty"`
	// Computed names a relation of the same object to expand: "doc:1#editor".
	Computed string `json:"computed,omitempty"`
	// TupleToUserset: the tupleset "doc:1#parent" and the computed
	// usersets it leads to ("folder:x#viewer" for each parent).
	TupleToUserset *TupleToUserset `json:"tuple_to_userset,omitempty"`
	Union          []*UsersetTree  `json:"union,omitempty"`
	Intersection   []*UsersetTree  `json:"intersection,omitempty"`
	Difference     *Difference     `json:"difference,omitempty"`

	direct bool // a direct-assignment leaf: "users" is always present
}

// MarshalJSON writes "users" on every direct-assignment leaf, even when it
// has no users, so an empty leaf is told apart from other nodes.
func (t *UsersetTree) MarshalJSON() ([]byte, error) {
	type plain UsersetTree
	if !t.direct {
		return json.Marshal((*plain)(t))
	}
	users := t.Users
	if users == nil {
		users = []string{}
	}
	return json.Marshal(struct {
		*plain
		Users []string `json:"users"`
	}{(*plain)(t), users})
}

// TupleToUserset is an expanded "relation from tupleset" node.
type TupleToUserset struct {
	Tupleset string   `json:"tupleset"`
	Computed []string `json:"computed"`
}

// Difference is an expanded "base but not subtract" node.
type Difference struct {
	Base     *UsersetTree `json:"base"`
	Subtract *UsersetTree `json:"subtract"`
}
