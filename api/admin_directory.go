package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/sentinel-auth/sentinel/store"
)

// Directory access: whether a service's model may opt in to the directory
// (PUT /v1/model with "directory": true). An opted-in service's key can
// read every workspace's and group's members, so only an administrator
// grants it (store.DirectoryAccessStore); without it the opt-in is 403.

// Actions of the directory access route.
const (
	actionDirectoryGranted = "service.directory_granted"
	actionDirectoryRevoked = "service.directory_revoked"
)

// directoryNotGrantedMessage is the message of the 403 to an opt-in
// without directory access.
const directoryNotGrantedMessage = `this service may not opt in to the directory ("directory": true): ` +
	`an administrator must grant it directory access first (PUT /v1/admin/services/{name}/directory {"allowed": true})`

type directoryAccessRequest struct {
	// Allowed is required: a pointer, so that {} is refused rather than
	// read as a revocation.
	Allowed *bool `json:"allowed"`
}

type directoryAccessResponse struct {
	Service serviceResponse `json:"service"`
	// Model is the version a revocation wrote to opt the service's model
	// out of the directory; absent when none was needed.
	Model *modelResponse `json:"model,omitempty"`
}

// setDirectoryAccess serves PUT /v1/admin/services/{name}/directory:
// grants ({"allowed": true}) or revokes ({"allowed": false}) the service's
// directory access. A revocation from a service whose current model opts
// in also writes, in the same transaction, a new version that opts out
// (returned as "model"); the answer waits until this server has applied
// it, so the service's next check here no longer sees the directory. The
// activity entry commits with the change; a call that changes nothing
// records nothing.
func (s *Server) setDirectoryAccess(c *gin.Context) {
	var req directoryAccessRequest
	if !bind(c, &req) {
		return
	}
	if req.Allowed == nil {
		fail(c, http.StatusBadRequest, codeInvalidArgument, `send {"allowed": true} to grant directory access or {"allowed": false} to revoke it`)
		return
	}
	ctx, name, allowed := c.Request.Context(), c.Param("name"), *req.Allowed
	svc, err := s.cfg.Store.ServiceByName(ctx, name) // not the system service
	if err != nil {
		s.failErr(c, err)
		return
	}
	ch, err := s.cfg.Store.SetDirectoryAccess(recordOf(ctx, adminBy(ctx), func(ch store.DirectoryAccessChange) []act {
		return []act{directoryAccessAct(ch)}
	}), svc.ID, allowed)
	if err != nil {
		s.failErr(c, err)
		return
	}
	out := directoryAccessResponse{Service: toService(ch.Service)}
	if ch.OptedOut != nil {
		s.settle(ctx, ch.OptedOut.Revision)
		m := toModelResponse(*ch.OptedOut)
		out.Model = &m
	}
	c.JSON(http.StatusOK, out)
}

// directoryAccessAct is the activity entry of a change of directory
// access; a revocation names the version that opted the model out.
func directoryAccessAct(ch store.DirectoryAccessChange) act {
	action := actionDirectoryGranted
	if !ch.Service.DirectoryAccess {
		action = actionDirectoryRevoked
	}
	detail := map[string]any{"name": ch.Service.Name, "allowed": ch.Service.DirectoryAccess}
	if m := ch.OptedOut; m != nil {
		detail["opted_out_model_id"], detail["opted_out_version"] = m.ID, m.Version
	}
	return act{store.ActivityEntry{Action: action, TargetType: "service", TargetID: ch.Service.ID}, detail}
}
