package api

import (
	"context"
	"fmt"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
)

// What the /admin routes share (their rules are in compat_admin_users.go):
// paging, search, the 500 answer, and the record of a mutation.

// Pagination of the admin lists: ?page= from 1, ?page_size= from 1 to 100
// (50 by default), answered as {items, total, page, page_size}.
const (
	admDefaultPageSize = 50
	admMaxPageSize     = 100
)

type admPage[T any] struct {
	Items    []T `json:"items"`
	Total    int `json:"total"`
	Page     int `json:"page"`
	PageSize int `json:"page_size"`
}

// admPaging reads ?page= and ?page_size=; a bad one is a 422.
func admPaging(c *gin.Context) (page, size int, ok bool) {
	page, err := intParam(c, "page", 1)
	if err != nil || page < 1 {
		failDetail(c, http.StatusUnprocessableEntity, "page must be an integer >= 1")
		return 0, 0, false
	}
	size, err = intParam(c, "page_size", admDefaultPageSize)
	if err != nil || size < 1 || size > admMaxPageSize {
		failDetail(c, http.StatusUnprocessableEntity, fmt.Sprintf("page_size must be an integer from 1 to %d", admMaxPageSize))
		return 0, 0, false
	}
	return page, size, true
}

// admSearch reads ?search= (at most 100 characters; a longer one is a 422).
func admSearch(c *gin.Context) (string, bool) {
	q := c.Query("search")
	if utf8.RuneCountInString(q) > 100 {
		failDetail(c, http.StatusUnprocessableEntity, "search must be at most 100 characters")
		return "", false
	}
	return q, true
}

// admSlice returns page of items as an admPage (lists the store returns
// whole).
func admSlice[T any](items []T, page, size int) admPage[T] {
	out := admPage[T]{Items: []T{}, Total: len(items), Page: page, PageSize: size}
	if page-1 < (len(items)+size-1)/size { // compared before multiplying: no overflow
		start := (page - 1) * size
		out.Items = items[start:min(start+size, len(items))]
	}
	return out
}

// admInternal answers an unexpected failure with a 500 and logs it.
func (s *Server) admInternal(c *gin.Context, what string, err error) {
	s.log.Error("compat admin: "+what, "path", c.FullPath(), "err", err)
	failDetail(c, http.StatusInternalServerError, "Internal server error")
}

// admCommitted runs after a successful mutation: it lets this replica's
// engine catch up, so a check right after sees the change, even if the
// client has gone. (The mutation's activity entry was written in its
// transaction: admRecord.)
func (s *Server) admCommitted(c *gin.Context) {
	s.settleHead(context.WithoutCancel(c.Request.Context()))
}

// admRecord returns the request's context with the entries of its
// mutation, by the administrator, attached (record): for the store call
// that makes it.
func admRecord(c *gin.Context, acts ...act) context.Context {
	ctx := c.Request.Context()
	return record(ctx, adminBy(ctx), acts...)
}

// admRecordOf is admRecord with entries built from the write's result
// (recordOf).
func admRecordOf[T any](c *gin.Context, build func(T) []act) context.Context {
	ctx := c.Request.Context()
	return recordOf(ctx, adminBy(ctx), build)
}

// userTokenRevoker is the store's per-user token revocation
// (store.UserRevocationStore), asserted rather than required so this file
// does not depend on which stores have it.
type userTokenRevoker interface {
	RevokeUserTokens(ctx context.Context, userID string, at time.Time) error
}

// admRevoke revokes every token of the user after an admin changed or
// removed their membership (the original did the same). The change is
// committed already: a failure is logged at error level.
func (s *Server) admRevoke(ctx context.Context, userID string) {
	r, ok := s.cfg.Store.(userTokenRevoker)
	if !ok {
		return
	}
	if err := r.RevokeUserTokens(context.WithoutCancel(ctx), userID, time.Now()); err != nil {
		s.log.Error("revoke the tokens of a user whose membership changed", "user_id", userID, "err", err)
	}
}
