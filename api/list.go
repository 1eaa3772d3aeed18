package api

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/sentinel-auth/sentinel/engine"
	"github.com/sentinel-auth/sentinel/store"
	"github.com/sentinel-auth/sentinel/tuple"
)

const (
	defaultListPageSize = 100
	maxListPageSize     = 1000
	// listTokenPrefix marks a /v1/list continuation token (after base64).
	listTokenPrefix = "o1:"
)

type listRequest struct {
	User              string       `json:"user"`
	Relation          string       `json:"relation"`
	Type              string       `json:"type"`
	Contextual        []tuple.Key  `json:"contextual_tuples"`
	PageSize          int          `json:"page_size"`
	ContinuationToken string       `json:"continuation_token"`
	Consistency       *consistency `json:"consistency"`
}

type listResponse struct {
	Objects           []string `json:"objects"`
	ContinuationToken string   `json:"continuation_token"`
	Revision          string   `json:"revision"`
}

// list answers every object of a type on which the user has the relation,
// a page at a time. The engine returns the whole sorted id list; a page is
// the next page_size ids after the one the token names, so the pages
// together are complete and never repeat an object. Each page is evaluated
// at the revision it reports; pass the first page's revision as
// consistency.at_least to read later pages at least as fresh.
func (s *Server) list(c *gin.Context, svc store.Service) {
	var req listRequest
	if !bindQuery(c, &req) {
		return
	}
	ereq, size, after, err := parseList(req)
	if err != nil {
		fail(c, http.StatusBadRequest, codeInvalidArgument, err.Error())
		return
	}
	rev, ok := s.readScope(c, svc, req.Consistency)
	if !ok {
		return
	}
	ids, err := s.cfg.Engine.ListObjects(c.Request.Context(), svc.ID, ereq)
	if err != nil {
		s.failErr(c, err)
		return
	}
	ids = s.sortedSet("list objects", ids)
	page, next := listPage(ids, after, size)
	out := listResponse{Objects: make([]string, len(page)), ContinuationToken: next, Revision: token(rev)}
	for i, id := range page {
		out.Objects[i] = ereq.Type + ":" + id
	}
	s.respond(c, http.StatusOK, out)
}

func parseList(req listRequest) (ereq engine.ListObjectsRequest, size int, after string, err error) {
	if req.Type == "" {
		return ereq, 0, "", fmt.Errorf("type is required")
	}
	if !tuple.ValidType(req.Type) {
		return ereq, 0, "", fmt.Errorf("type %q is invalid", req.Type)
	}
	if err = parseRelation("relation", req.Relation); err != nil {
		return ereq, 0, "", err
	}
	user, err := tuple.ParseUser(req.User)
	if err != nil {
		return ereq, 0, "", err
	}
	ctx, err := parseContextual(req.Contextual)
	if err != nil {
		return ereq, 0, "", err
	}
	size = req.PageSize
	if size == 0 {
		size = defaultListPageSize
	}
	if size < 1 || size > maxListPageSize {
		return ereq, 0, "", fmt.Errorf("page_size must be from 1 to %d (0 or absent: %d)", maxListPageSize, defaultListPageSize)
	}
	if after, err = decodeListToken(req.ContinuationToken); err != nil {
		return ereq, 0, "", err
	}
	return engine.ListObjectsRequest{Type: req.Type, Relation: req.Relation, User: user, Contextual: ctx}, size, after, nil
}

// listPage returns up to size ids greater than after (all from the start
// when after is empty) and the token of the next page ("" when done).
func listPage(ids []string, after string, size int) ([]string, string) {
	start := 0
	if after != "" {
		start = sort.Search(len(ids), func(i int) bool { return ids[i] > after })
	}
	end := min(start+size, len(ids))
	page := ids[start:end]
	if end == len(ids) {
		return page, ""
	}
	return page, encodeListToken(ids[end-1])
}

func encodeListToken(lastID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(listTokenPrefix + lastID))
}

func decodeListToken(tok string) (string, error) {
	if tok == "" {
		return "", nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	id, ok := strings.CutPrefix(string(raw), listTokenPrefix)
	if err != nil || !ok || id == "" {
		return "", fmt.Errorf("continuation_token is not one this endpoint issued")
	}
	return id, nil
}

type userFilter struct {
	Type     string `json:"type"`
	Relation string `json:"relation"`
}

type listUsersRequest struct {
	Object      string       `json:"object"`
	Relation    string       `json:"relation"`
	UserFilters []userFilter `json:"user_filters"`
	Contextual  []tuple.Key  `json:"contextual_tuples"`
	Consistency *consistency `json:"consistency"`
}

type listUsersResponse struct {
	Users    []string `json:"users"`
	Revision string   `json:"revision"`
}

// listUsers answers every user matching the filters that has the relation
// on the object: "user:anne", "user:*" for a wildcard grant,
// "group:eng#member" for a userset filter.
func (s *Server) listUsers(c *gin.Context, svc store.Service) {
	var req listUsersRequest
	if !bindQuery(c, &req) {
		return
	}
	ereq, err := parseListUsers(req)
	if err != nil {
		fail(c, http.StatusBadRequest, codeInvalidArgument, err.Error())
		return
	}
	rev, ok := s.readScope(c, svc, req.Consistency)
	if !ok {
		return
	}
	users, err := s.cfg.Engine.ListUsers(c.Request.Context(), svc.ID, ereq)
	if err != nil {
		s.failErr(c, err)
		return
	}
	users = s.sortedSet("list users", users)
	if users == nil {
		users = []string{}
	}
	s.respond(c, http.StatusOK, listUsersResponse{Users: users, Revision: token(rev)})
}

func parseListUsers(req listUsersRequest) (engine.ListUsersRequest, error) {
	var ereq engine.ListUsersRequest
	obj, err := tuple.ParseObject(req.Object)
	if err != nil {
		return ereq, err
	}
	if err := parseRelation("relation", req.Relation); err != nil {
		return ereq, err
	}
	if len(req.UserFilters) == 0 {
		return ereq, fmt.Errorf(`user_filters is empty; give at least one, e.g. [{"type":"user"}]`)
	}
	filters := make([]engine.UserFilter, len(req.UserFilters))
	for i, f := range req.UserFilters {
		if !tuple.ValidType(f.Type) {
			return ereq, fmt.Errorf("user_filters[%d]: type %q is invalid", i, f.Type)
		}
		if f.Relation != "" && !tuple.ValidRelation(f.Relation) {
			return ereq, fmt.Errorf("user_filters[%d]: relation %q is invalid", i, f.Relation)
		}
		filters[i] = engine.UserFilter{Type: f.Type, Relation: f.Relation}
	}
	ctx, err := parseContextual(req.Contextual)
	if err != nil {
		return ereq, err
	}
	return engine.ListUsersRequest{Object: obj, Relation: req.Relation, Filters: filters, Contextual: ctx}, nil
}
