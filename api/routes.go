package api

import "github.com/gin-gonic/gin"

// Routes lists every route the server registered (method, path pattern,
// handler name), so tests and tools can check the whole surface: the
// tenant-isolation test requires each one to be covered or justified.
func (s *Server) Routes() []gin.RouteInfo { return s.router.Routes() }
