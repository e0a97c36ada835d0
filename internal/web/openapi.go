package web

import (
	_ "embed"
	"net/http"
)

func init() { routeSets = append(routeSets, (*Server).openAPIRoutes) }

// openAPI describes the JSON API (/api/v1) in OpenAPI 3.1: every route, its
// parameters, bodies and answers. TestOpenAPI keeps it and the routes in
// step.
//
//go:embed openapi.json
var openAPI []byte

func (s *Server) openAPIRoutes() {
	s.handle("GET /api/v1/openapi.json", Viewer, func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-cache")
		_, err := w.Write(openAPI)
		return err
	})
}
