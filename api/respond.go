package api

import (
	"encoding/json"

	"github.com/gin-gonic/gin"
)

// jsonContentType is the Content-Type of every JSON answer, shared by all
// of them: net/http copies the handler's header values when it writes the
// header and never changes them, and len == cap, so an Add elsewhere would
// copy rather than write into it. gin's c.JSON allocates a new one per
// answer.
var jsonContentType = []string{"application/json; charset=utf-8"}[:1:1]

// respond writes v as the JSON body of a successful answer on the query
// routes (check, batch check, list, list-users, expand), which answer many
// times a second. The bytes are c.JSON's; the header value is shared.
func (s *Server) respond(c *gin.Context, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		s.failErr(c, err)
		return
	}
	c.Writer.Header()["Content-Type"] = jsonContentType
	c.Status(status)
	// A failed write means the client went away: no one to answer.
	_, _ = c.Writer.Write(body)
}
