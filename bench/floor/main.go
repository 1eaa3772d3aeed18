// Command floor is the HTTP stack's floor for `sentinel bench`: a gin
// server on net/http with Sentinel's server timeouts whose POST /v1/check
// decodes the request strictly and answers a fixed allowed decision,
// without authentication, engine or store. What `sentinel bench --mode
// check` measures against it is what the stack and the load tool cost on
// this machine before Sentinel does any work:
//
//	go run ./bench/floor 127.0.0.1:9500 &
//	sentinel bench --url http://127.0.0.1:9500 --key sk_floor --skip-load --tuples 10000 --duration 10s
//
// (Every answer is "allowed", so about half differ from the generator's.)
package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/gin-gonic/gin"
)

type checkRequest struct {
	Object   string `json:"object"`
	Relation string `json:"relation"`
	User     string `json:"user"`
	// The load tool asks its first check at the revision it loaded.
	Consistency json.RawMessage `json:"consistency"`
}

type checkResponse struct {
	Allowed    bool   `json:"allowed"`
	Revision   string `json:"revision"`
	DecisionID string `json:"decision_id"`
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: floor HOST:PORT")
		os.Exit(2)
	}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.POST("/v1/check", func(c *gin.Context) {
		var q checkRequest
		dec := json.NewDecoder(c.Request.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&q); err != nil {
			c.JSON(http.StatusBadRequest, gin.H{"error": err.Error()})
			return
		}
		c.JSON(http.StatusOK, checkResponse{Allowed: true, Revision: "AQ", DecisionID: "00000000-0000-4000-8000-000000000000"})
	})
	// The timeouts of Sentinel's own server (app.New): each costs deadline
	// updates per request.
	srv := &http.Server{Addr: os.Args[1], Handler: r, ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second}
	if err := srv.ListenAndServe(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
