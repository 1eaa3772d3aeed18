package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/sentinel-auth/sentinel/revision"
	"github.com/sentinel-auth/sentinel/store"
	"github.com/sentinel-auth/sentinel/tuple"
)

// maxTuplesPerWrite bounds one tuple request (writes plus deletes).
const maxTuplesPerWrite = 100

type writeTuplesRequest struct {
	Writes      []tuple.Key `json:"writes"`
	Deletes     []tuple.Key `json:"deletes"`
	OnDuplicate string      `json:"on_duplicate"`
	OnMissing   string      `json:"on_missing"`
}

type revisionResponse struct {
	Revision string `json:"revision"`
}

func token(rev uint64) string { return revision.Encode(rev) }

func policy(field, v string) (store.Policy, error) {
	switch v {
	case "", "error":
		return store.Fail, nil
	case "ignore":
		return store.Ignore, nil
	}
	return 0, fmt.Errorf(`%s must be "error" or "ignore", not %q`, field, v)
}

// parseTuples parses keys and rejects repeats (within the list and against seen).
func parseTuples(list string, keys []tuple.Key, seen map[tuple.Tuple]string) ([]tuple.Tuple, error) {
	out := make([]tuple.Tuple, 0, len(keys))
	for i, k := range keys {
		t, err := tuple.Parse(k)
		if err != nil {
			return nil, fmt.Errorf("%s[%d]: %w", list, i, err)
		}
		if prev, ok := seen[t]; ok {
			return nil, fmt.Errorf("%s[%d]: tuple %s is repeated (also in %s)", list, i, t, prev)
		}
		seen[t] = fmt.Sprintf("%s[%d]", list, i)
		out = append(out, t)
	}
	return out, nil
}

// writeTuples applies writes and deletes all-or-nothing. Writes are
// validated against the current model; the store refuses the write if the
// model changed meanwhile, and it is validated again.
func (s *Server) writeTuples(c *gin.Context) {
	var req writeTuplesRequest
	if !bind(c, &req) {
		return
	}
	n := len(req.Writes) + len(req.Deletes)
	if n == 0 {
		fail(c, http.StatusBadRequest, codeInvalidArgument, `nothing to do: "writes" and "deletes" are both empty`)
		return
	}
	if n > maxTuplesPerWrite {
		fail(c, http.StatusBadRequest, codeInvalidArgument,
			fmt.Sprintf("too many tuples: %d writes and deletes, at most %d per request", n, maxTuplesPerWrite))
		return
	}
	w := store.TupleWrite{}
	var err error
	if w.OnDuplicate, err = policy("on_duplicate", req.OnDuplicate); err == nil {
		w.OnMissing, err = policy("on_missing", req.OnMissing)
	}
	seen := map[tuple.Tuple]string{}
	if err == nil {
		w.Writes, err = parseTuples("writes", req.Writes, seen)
	}
	if err == nil {
		w.Deletes, err = parseTuples("deletes", req.Deletes, seen)
	}
	if err != nil {
		fail(c, http.StatusBadRequest, codeInvalidArgument, err.Error())
		return
	}
	ctx := c.Request.Context()
	svc := service(c)
	for attempt := 0; ; attempt++ {
		// Writes are validated against the current model. Deletes are
		// not, but they read it too if they name a directory type: an
		// opted-in service's workspace and group tuples are the
		// directory's.
		if len(w.Writes) > 0 || hasDirectoryType(w.Deletes) {
			sm, err := s.cfg.Store.CurrentModel(ctx, svc.ID)
			if err != nil && (len(w.Writes) > 0 || !errors.Is(err, store.ErrNoModel)) {
				s.failErr(c, err)
				return
			}
			if sm.Directory && !refuseDirectoryTuples(c, w) {
				return
			}
			if len(w.Writes) > 0 {
				m, err := s.models.get(sm)
				if err != nil {
					s.failErr(c, fmt.Errorf("parse current model %s: %w", sm.ID, err))
					return
				}
				for i, t := range w.Writes {
					if err := m.ValidateTuple(t); err != nil {
						fail(c, http.StatusBadRequest, codeInvalidArgument, fmt.Sprintf("writes[%d]: %v", i, err))
						return
					}
				}
				w.ModelID = sm.ID
			}
		}
		rev, err := s.cfg.Store.WriteTuples(ctx, svc.ID, w)
		if errors.Is(err, store.ErrModelChanged) && attempt < 3 {
			continue
		}
		if err != nil {
			s.failErr(c, err)
			return
		}
		s.settle(ctx, rev)
		c.JSON(http.StatusOK, revisionResponse{Revision: token(rev)})
		return
	}
}

// hasDirectoryType reports whether any tuple's object is of a directory type.
func hasDirectoryType(ts []tuple.Tuple) bool {
	for _, t := range ts {
		if slices.Contains(store.DirectoryTypes, t.Object.Type) {
			return true
		}
	}
	return false
}

// refuseDirectoryTuples answers 400 if w writes or deletes a tuple of a
// directory type, for a service whose model opted in to the directory:
// those tuples are the directory's, changed through the workspace and
// group routes. It reports whether to go on.
func refuseDirectoryTuples(c *gin.Context, w store.TupleWrite) bool {
	for _, l := range []struct {
		name string
		ts   []tuple.Tuple
	}{{"writes", w.Writes}, {"deletes", w.Deletes}} {
		for i, t := range l.ts {
			if slices.Contains(store.DirectoryTypes, t.Object.Type) {
				fail(c, http.StatusBadRequest, codeInvalidArgument, fmt.Sprintf(
					"%s[%d]: %s: the service's model opted in to the directory, so its %s tuples are the directory's "+
						"(workspaces and groups, changed through their routes) and the service cannot write or delete them",
					l.name, i, t, t.Object.Type))
				return false
			}
		}
	}
	return true
}

type readTuplesResponse struct {
	Tuples            []tuple.Key `json:"tuples"`
	ContinuationToken string      `json:"continuation_token"`
}

// pageSize reads page_size: default def, between 1 and max.
func pageSize(c *gin.Context, def, max int) (int, bool) {
	v := c.Query("page_size")
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		fail(c, http.StatusBadRequest, codeInvalidArgument, fmt.Sprintf("page_size must be a number from 1 to %d", max))
		return 0, false
	}
	return n, true
}

// tupleFilter reads object ("type" or "type:id"), relation and user
// ("type", "type:id", "type:id#relation" or "type:*") from the query.
func tupleFilter(c *gin.Context) (store.TupleFilter, error) {
	var f store.TupleFilter
	if obj := c.Query("object"); obj != "" {
		if !strings.Contains(obj, ":") {
			if !tuple.ValidType(obj) {
				return f, fmt.Errorf("object filter %q: invalid type", obj)
			}
			f.ObjectType = obj
		} else {
			o, err := tuple.ParseObject(obj)
			if err != nil {
				return f, fmt.Errorf("object filter: %w", err)
			}
			f.ObjectType, f.ObjectID = o.Type, o.ID
		}
	}
	if rel := c.Query("relation"); rel != "" {
		if !tuple.ValidRelation(rel) {
			return f, fmt.Errorf("relation filter %q is invalid", rel)
		}
		f.Relation = rel
	}
	if u := c.Query("user"); u != "" {
		if !strings.Contains(u, ":") {
			if !tuple.ValidType(u) {
				return f, fmt.Errorf("user filter %q: invalid type", u)
			}
			f.User.Type = u
		} else {
			user, err := tuple.ParseUser(u)
			if err != nil {
				return f, fmt.Errorf("user filter: %w", err)
			}
			f.User = user
		}
	}
	return f, nil
}

func (s *Server) readTuples(c *gin.Context) {
	f, err := tupleFilter(c)
	if err != nil {
		fail(c, http.StatusBadRequest, codeInvalidArgument, err.Error())
		return
	}
	size, ok := pageSize(c, 50, 1000)
	if !ok {
		return
	}
	ts, next, err := s.cfg.Store.ReadTuples(c.Request.Context(), service(c).ID, f, c.Query("continuation_token"), size)
	if errors.Is(err, store.ErrInvalidCursor) {
		fail(c, http.StatusBadRequest, codeInvalidArgument, "continuation_token is not one this server issued")
		return
	}
	if err != nil {
		s.failErr(c, err)
		return
	}
	out := readTuplesResponse{Tuples: make([]tuple.Key, len(ts)), ContinuationToken: next}
	for i, t := range ts {
		out.Tuples[i] = t.Key()
	}
	c.JSON(http.StatusOK, out)
}

// settle waits, bounded by the consistency timeout, until this replica has
// applied a write's revision, so the writer reads its own write here without
// passing a token. The write is committed either way; other replicas need
// consistency.at_least.
func (s *Server) settle(ctx context.Context, rev uint64) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.ConsistencyTimeout)
	defer cancel()
	if err := s.cfg.Sync.WaitFor(ctx, rev); err != nil {
		s.log.Warn("write committed but not yet applied locally", "revision", rev, "err", err)
	}
}
