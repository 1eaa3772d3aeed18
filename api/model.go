package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/sentinel-auth/sentinel/model"
	"github.com/sentinel-auth/sentinel/policies"
	"github.com/sentinel-auth/sentinel/store"
)

type putModelRequest struct {
	DSL  string          `json:"dsl"`
	JSON json.RawMessage `json:"json"`
	// Directory opts the version in to the directory: the service's
	// checks see the workspaces and groups of the system service as its
	// own workspace and group tuples (engine/directory.go).
	Directory bool `json:"directory"`
}

type modelResponse struct {
	ID        string          `json:"id"`
	Version   int             `json:"version"`
	DSL       string          `json:"dsl"`
	JSON      json.RawMessage `json:"json"`
	CreatedAt time.Time       `json:"created_at"`
	Revision  string          `json:"revision"`
	Directory bool            `json:"directory"`
}

func toModelResponse(m store.Model) modelResponse {
	return modelResponse{ID: m.ID, Version: m.Version, DSL: m.DSL, JSON: json.RawMessage(m.JSON),
		CreatedAt: m.CreatedAt, Revision: token(m.Revision), Directory: m.Directory}
}

// putModel validates and stores a new model version (DSL or JSON). With
// "directory": true the service must have been granted directory access
// by an administrator (403 otherwise, before the model is looked at), the
// model must admit every workspace and group tuple the store writes (400
// naming the type and relation otherwise), and the service must hold no
// workspace or group tuples of its own (409).
func (s *Server) putModel(c *gin.Context) {
	var req putModelRequest
	if !bind(c, &req) {
		return
	}
	hasJSON := len(req.JSON) > 0 && string(req.JSON) != "null"
	if (req.DSL == "") == !hasJSON {
		fail(c, http.StatusBadRequest, codeInvalidArgument, `send exactly one of "dsl" (OpenFGA DSL 1.1 text) or "json" (the model object)`)
		return
	}
	svc := service(c)
	if req.Directory && !s.directoryGranted(c, svc.ID) {
		return
	}
	var (
		m   *model.Model
		err error
	)
	if hasJSON {
		m, err = model.ParseJSON(req.JSON)
	} else {
		m, err = model.ParseDSL(req.DSL)
	}
	if err != nil {
		detail := errorDetail{Code: codeInvalidModel, Message: err.Error()}
		var me *model.Error
		if errors.As(err, &me) {
			detail.Line, detail.Column = me.Line, me.Column
		}
		c.AbortWithStatusJSON(http.StatusUnprocessableEntity, errorBody{Error: detail})
		return
	}
	if req.Directory {
		if err := policies.CheckDirectory(m, store.DirectoryTypes); err != nil {
			fail(c, http.StatusBadRequest, codeInvalidArgument, err.Error())
			return
		}
	}
	saved, err := s.cfg.Store.WriteModel(recordOf(c.Request.Context(), serviceBy(svc), func(saved store.Model) []act {
		return []act{{store.ActivityEntry{Action: actionModelWritten, TargetType: "model", TargetID: saved.ID},
			map[string]any{"service": svc.Name, "service_id": svc.ID, "version": saved.Version, "directory": saved.Directory}}}
	}), svc.ID, m.DSL(), m.JSON(), store.ModelOptions{Directory: req.Directory})
	if err != nil {
		s.failErr(c, err)
		return
	}
	s.models.put(saved.ID, m)
	s.settle(c.Request.Context(), saved.Revision)
	c.JSON(http.StatusCreated, toModelResponse(saved))
}

// directoryGranted reports whether the service has directory access, and
// answers 403 (or the store's error) itself if not. It reads the service
// afresh: the key's cached service may predate a grant or a revocation.
// It only orders the refusal first; the store checks the access again in
// the transaction that writes the model, so a revocation racing with the
// opt-in cannot be missed.
func (s *Server) directoryGranted(c *gin.Context, serviceID string) bool {
	svc, err := s.cfg.Store.ServiceByID(c.Request.Context(), serviceID)
	if err == nil && !svc.DirectoryAccess {
		err = store.ErrDirectoryNotGranted
	}
	if err != nil {
		s.failErr(c, err)
		return false
	}
	return true
}

func (s *Server) getModel(c *gin.Context) {
	m, err := s.cfg.Store.CurrentModel(c.Request.Context(), service(c).ID)
	if errors.Is(err, store.ErrNoModel) {
		fail(c, http.StatusNotFound, codeNotFound, "the service has no authorization model yet; PUT /v1/model first")
		return
	}
	if err != nil {
		s.failErr(c, err)
		return
	}
	c.JSON(http.StatusOK, toModelResponse(m))
}

// modelCache keeps parsed models by id: model versions are immutable, so a
// parsed version never goes stale.
type modelCache struct {
	mu sync.Mutex
	m  map[string]*model.Model
}

func newModelCache() *modelCache { return &modelCache{m: map[string]*model.Model{}} }

func (mc *modelCache) put(id string, m *model.Model) {
	mc.mu.Lock()
	mc.m[id] = m
	mc.mu.Unlock()
}

func (mc *modelCache) get(sm store.Model) (*model.Model, error) {
	mc.mu.Lock()
	m, ok := mc.m[sm.ID]
	mc.mu.Unlock()
	if ok {
		return m, nil
	}
	m, err := model.ParseJSON([]byte(sm.JSON))
	if err != nil {
		return nil, err
	}
	mc.put(sm.ID, m)
	return m, nil
}
