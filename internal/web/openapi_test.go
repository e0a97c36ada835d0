package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// apiDoc parses the embedded OpenAPI document.
func apiDoc(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	return doc
}

var apiParamRE = regexp.MustCompile(`\{([^}]+)\}`)

// apiNormalPath writes a path template with its parameters unnamed, so that
// /users/{id} and /users/{user} compare equal.
func apiNormalPath(p string) string { return apiParamRE.ReplaceAllString(p, "{}") }

var apiMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// TestOpenAPIRoutes: every /api/v1 route the server registers is in the
// document, and every operation of the document is a registered route.
func TestOpenAPIRoutes(t *testing.T) {
	doc := apiDoc(t)
	e := newTestEnv(t)
	registered := map[string]bool{}
	for _, rt := range e.srv.Routes() {
		method, path, _ := strings.Cut(rt.Pattern, " ")
		if !strings.HasPrefix(path, "/api/v1/") {
			continue
		}
		registered[method+" "+apiNormalPath(path)] = true
	}
	documented := map[string]bool{}
	paths, _ := doc["paths"].(map[string]any)
	for path, item := range paths {
		ops, _ := item.(map[string]any)
		for m := range ops {
			if slices.Contains(apiMethods, m) {
				documented[strings.ToUpper(m)+" "+apiNormalPath(path)] = true
			}
		}
	}
	var missing, extra []string
	for k := range registered {
		if !documented[k] {
			missing = append(missing, k)
		}
	}
	for k := range documented {
		if !registered[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	for _, k := range missing {
		t.Errorf("route %s is not in openapi.json", k)
	}
	for _, k := range extra {
		t.Errorf("openapi.json describes %s, which the server does not serve", k)
	}
}

// TestOpenAPIServed: the document is served to a signed-in user, as JSON.
func TestOpenAPIServed(t *testing.T) {
	e := newTestEnv(t)
	res := e.do(e.signIn("viewer"), "GET", "/api/v1/openapi.json", nil)
	var doc map[string]any
	decode(t, res, http.StatusOK, &doc)
	if doc["openapi"] == nil || res.Header.Get("Content-Type") != "application/json" {
		t.Errorf("openapi.json: Content-Type %q, openapi %v", res.Header.Get("Content-Type"), doc["openapi"])
	}
}

// TestOpenAPIValid checks the document against the rules of OpenAPI 3.1
// that a client generator trips on.
func TestOpenAPIValid(t *testing.T) {
	doc := apiDoc(t)
	v := &apiValidator{doc: doc}
	v.check()
	for _, p := range v.problems {
		t.Error(p)
	}
}

// apiValidator gathers what is wrong with an OpenAPI 3.1 document.
type apiValidator struct {
	doc      map[string]any
	problems []string
	opIDs    map[string]string
}

func (v *apiValidator) errorf(format string, args ...any) {
	v.problems = append(v.problems, fmt.Sprintf(format, args...))
}

func (v *apiValidator) check() {
	if s, _ := v.doc["openapi"].(string); !regexp.MustCompile(`^3\.1\.\d+$`).MatchString(s) {
		v.errorf("openapi: %q, want 3.1.x", s)
	}
	info, _ := v.doc["info"].(map[string]any)
	for _, k := range []string{"title", "version"} {
		if s, _ := info[k].(string); s == "" {
			v.errorf("info.%s: missing", k)
		}
	}
	comps, _ := v.doc["components"].(map[string]any)
	schemes, _ := comps["securitySchemes"].(map[string]any)
	v.checkSchemes(schemes)
	v.checkSecurity("security", v.doc["security"], schemes)
	if sc, ok := comps["schemas"].(map[string]any); ok {
		for name, s := range sc {
			v.checkSchema("components.schemas."+name, s)
		}
	}
	if rs, ok := comps["responses"].(map[string]any); ok {
		for name, r := range rs {
			v.checkResponse("components.responses."+name, r)
		}
	}
	paths, ok := v.doc["paths"].(map[string]any)
	if !ok || len(paths) == 0 {
		v.errorf("paths: missing or empty")
	}
	v.opIDs = map[string]string{}
	seen := map[string]string{}
	for path, item := range paths {
		if !strings.HasPrefix(path, "/") {
			v.errorf("path %q: does not start with /", path)
		}
		if other, dup := seen[apiNormalPath(path)]; dup {
			v.errorf("paths %q and %q are the same template", path, other)
		}
		seen[apiNormalPath(path)] = path
		ops, _ := item.(map[string]any)
		for k, o := range ops {
			switch {
			case slices.Contains(apiMethods, k):
				v.checkOperation(path, k, o, ops["parameters"], schemes)
			case k == "parameters" || k == "summary" || k == "description" || k == "servers" || strings.HasPrefix(k, "x-"):
			default:
				v.errorf("%s: %q is not a field of a path item", path, k)
			}
		}
	}
	v.checkRefs("#", v.doc)
}

func (v *apiValidator) checkSchemes(schemes map[string]any) {
	for name, s := range schemes {
		m, _ := s.(map[string]any)
		switch typ, _ := m["type"].(string); typ {
		case "http":
			if m["scheme"] == nil {
				v.errorf("securitySchemes.%s: http without a scheme", name)
			}
		case "apiKey":
			if in, _ := m["in"].(string); in != "query" && in != "header" && in != "cookie" || m["name"] == nil {
				v.errorf("securitySchemes.%s: apiKey needs name and in (query, header or cookie)", name)
			}
		case "oauth2", "openIdConnect", "mutualTLS":
		default:
			v.errorf("securitySchemes.%s: type %q", name, typ)
		}
	}
}

func (v *apiValidator) checkSecurity(where string, sec any, schemes map[string]any) {
	if sec == nil {
		return
	}
	reqs, ok := sec.([]any)
	if !ok {
		v.errorf("%s: not a list", where)
		return
	}
	for _, r := range reqs {
		m, _ := r.(map[string]any)
		for name := range m {
			if schemes[name] == nil {
				v.errorf("%s: security scheme %q is not defined", where, name)
			}
		}
	}
}

// apiStatusRE is what a key of responses may be.
var apiStatusRE = regexp.MustCompile(`^([1-5][0-9][0-9]|[1-5]XX|default)$`)

func (v *apiValidator) checkOperation(path, method string, o any, shared any, schemes map[string]any) {
	where := strings.ToUpper(method) + " " + path
	op, ok := o.(map[string]any)
	if !ok {
		v.errorf("%s: not an object", where)
		return
	}
	if id, _ := op["operationId"].(string); id == "" {
		v.errorf("%s: no operationId", where)
	} else if other, dup := v.opIDs[id]; dup {
		v.errorf("%s: operationId %q is %s's too", where, id, other)
	} else {
		v.opIDs[id] = where
	}
	v.checkSecurity(where+" security", op["security"], schemes)
	resps, _ := op["responses"].(map[string]any)
	if len(resps) == 0 {
		v.errorf("%s: no responses", where)
	}
	for code, r := range resps {
		if !apiStatusRE.MatchString(code) {
			v.errorf("%s: response %q is not a status code", where, code)
		}
		v.checkResponse(where+" "+code, r)
	}
	if rb, ok := op["requestBody"].(map[string]any); ok {
		v.checkContent(where+" requestBody", v.resolve(rb)["content"], true)
	}
	// Parameters: each unique by name and place; the path's template and
	// its in:path parameters name the same things.
	inPath := map[string]bool{}
	seen := map[string]bool{}
	var params []any
	if ps, ok := shared.([]any); ok {
		params = append(params, ps...)
	}
	if ps, ok := op["parameters"].([]any); ok {
		params = append(params, ps...)
	}
	for i, p := range params {
		pm := v.resolve(p)
		name, _ := pm["name"].(string)
		in, _ := pm["in"].(string)
		pw := fmt.Sprintf("%s parameter %d (%s)", where, i, name)
		if name == "" {
			v.errorf("%s: no name", pw)
		}
		switch in {
		case "path":
			if req, _ := pm["required"].(bool); !req {
				v.errorf("%s: a path parameter must be required: true", pw)
			}
			inPath[name] = true
		case "query", "header", "cookie":
		default:
			v.errorf("%s: in %q", pw, in)
		}
		if seen[in+" "+name] {
			v.errorf("%s: declared twice", pw)
		}
		seen[in+" "+name] = true
		_, hasSchema := pm["schema"]
		_, hasContent := pm["content"]
		if hasSchema == hasContent {
			v.errorf("%s: want schema or content, one of them", pw)
		}
		if hasSchema {
			v.checkSchema(pw+" schema", pm["schema"])
		}
	}
	inTemplate := map[string]bool{}
	for _, m := range apiParamRE.FindAllStringSubmatch(path, -1) {
		inTemplate[m[1]] = true
		if !inPath[m[1]] {
			v.errorf("%s: {%s} is not declared as a path parameter", where, m[1])
		}
	}
	for name := range inPath {
		if !inTemplate[name] {
			v.errorf("%s: path parameter %s is not in the template", where, name)
		}
	}
}

func (v *apiValidator) checkResponse(where string, r any) {
	m := v.resolve(r)
	if m == nil {
		v.errorf("%s: not a response object", where)
		return
	}
	if _, isRef := r.(map[string]any)["$ref"]; isRef {
		return // checked where it is defined
	}
	if s, _ := m["description"].(string); s == "" {
		v.errorf("%s: a response needs a description", where)
	}
	if c, ok := m["content"]; ok {
		v.checkContent(where, c, false)
	}
	if hs, ok := m["headers"].(map[string]any); ok {
		for name, h := range hs {
			if hm := v.resolve(h); hm["schema"] != nil {
				v.checkSchema(where+" header "+name, hm["schema"])
			}
		}
	}
}

func (v *apiValidator) checkContent(where string, c any, required bool) {
	cm, ok := c.(map[string]any)
	if !ok || len(cm) == 0 {
		if required || c != nil {
			v.errorf("%s: content missing or empty", where)
		}
		return
	}
	for mt, m := range cm {
		if !strings.Contains(mt, "/") {
			v.errorf("%s: %q is not a media type", where, mt)
		}
		mm, _ := m.(map[string]any)
		for k := range mm {
			if k != "schema" && k != "example" && k != "examples" && k != "encoding" && !strings.HasPrefix(k, "x-") {
				v.errorf("%s %s: %q is not a field of a media type", where, mt, k)
			}
		}
		if s, ok := mm["schema"]; ok {
			v.checkSchema(where+" "+mt, s)
		}
	}
}

// apiSchemaKeywords are the JSON Schema 2020-12 keywords (and OpenAPI's
// own) a schema here may use.
var apiSchemaKeywords = map[string]bool{
	"$ref": true, "$id": true, "$schema": true, "$defs": true, "$comment": true, "$anchor": true,
	"type": true, "enum": true, "const": true, "format": true, "title": true, "description": true,
	"default": true, "examples": true, "example": true, "deprecated": true, "readOnly": true, "writeOnly": true,
	"properties": true, "required": true, "additionalProperties": true, "patternProperties": true,
	"propertyNames": true, "minProperties": true, "maxProperties": true, "unevaluatedProperties": true,
	"items": true, "prefixItems": true, "minItems": true, "maxItems": true, "uniqueItems": true, "contains": true,
	"minLength": true, "maxLength": true, "pattern": true, "contentMediaType": true, "contentEncoding": true,
	"minimum": true, "maximum": true, "exclusiveMinimum": true, "exclusiveMaximum": true, "multipleOf": true,
	"allOf": true, "anyOf": true, "oneOf": true, "not": true, "if": true, "then": true, "else": true,
	"discriminator": true, "xml": true, "externalDocs": true,
}

var apiTypes = []string{"string", "number", "integer", "boolean", "object", "array", "null"}

func (v *apiValidator) checkSchema(where string, s any) {
	if _, ok := s.(bool); ok {
		return
	}
	m, ok := s.(map[string]any)
	if !ok {
		v.errorf("%s: a schema must be an object", where)
		return
	}
	for k := range m {
		if !apiSchemaKeywords[k] && !strings.HasPrefix(k, "x-") {
			v.errorf("%s: %q is not a JSON Schema keyword", where, k)
		}
	}
	switch t := m["type"].(type) {
	case nil:
	case string:
		if !slices.Contains(apiTypes, t) {
			v.errorf("%s: type %q", where, t)
		}
	case []any:
		for _, x := range t {
			if s, _ := x.(string); !slices.Contains(apiTypes, s) {
				v.errorf("%s: type %v", where, x)
			}
		}
	default:
		v.errorf("%s: type %v", where, t)
	}
	if p, ok := m["pattern"].(string); ok {
		if _, err := regexp.Compile(p); err != nil {
			v.errorf("%s: pattern: %v", where, err)
		}
	}
	props, _ := m["properties"].(map[string]any)
	for name, p := range props {
		v.checkSchema(where+"."+name, p)
	}
	if req, ok := m["required"].([]any); ok {
		for _, r := range req {
			if name, _ := r.(string); props != nil && props[name] == nil {
				v.errorf("%s: required %q is not among its properties", where, name)
			}
		}
	}
	for _, k := range []string{"items", "additionalProperties", "not", "propertyNames", "contains", "if", "then", "else", "unevaluatedProperties"} {
		if x, ok := m[k]; ok {
			v.checkSchema(where+" "+k, x)
		}
	}
	for _, k := range []string{"allOf", "anyOf", "oneOf", "prefixItems"} {
		if xs, ok := m[k]; ok {
			list, ok := xs.([]any)
			if !ok || len(list) == 0 {
				v.errorf("%s: %s must be a non-empty list", where, k)
			}
			for i, x := range list {
				v.checkSchema(where+" "+k+"["+strconv.Itoa(i)+"]", x)
			}
		}
	}
	if e, ok := m["enum"]; ok {
		if list, ok := e.([]any); !ok || len(list) == 0 {
			v.errorf("%s: enum must be a non-empty list", where)
		}
	}
}

// resolve follows a $ref within the document; it returns the object itself
// when there is none, and nil when the ref leads nowhere.
func (v *apiValidator) resolve(x any) map[string]any {
	m, _ := x.(map[string]any)
	for i := 0; m != nil && i < 10; i++ {
		ref, ok := m["$ref"].(string)
		if !ok {
			return m
		}
		target, _ := v.pointer(ref).(map[string]any)
		m = target
	}
	return m
}

// pointer follows a local JSON pointer ("#/components/schemas/User").
func (v *apiValidator) pointer(ref string) any {
	rest, ok := strings.CutPrefix(ref, "#")
	if !ok {
		return nil
	}
	var cur any = v.doc
	for _, tok := range strings.Split(strings.TrimPrefix(rest, "/"), "/") {
		if tok == "" {
			continue
		}
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		switch c := cur.(type) {
		case map[string]any:
			cur = c[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return nil
			}
			cur = c[i]
		default:
			return nil
		}
		if cur == nil {
			return nil
		}
	}
	return cur
}

// checkRefs finds every $ref in the document and checks it leads
// somewhere.
func (v *apiValidator) checkRefs(where string, x any) {
	switch c := x.(type) {
	case map[string]any:
		if ref, ok := c["$ref"].(string); ok && v.pointer(ref) == nil {
			v.errorf("%s: $ref %q leads nowhere", where, ref)
		}
		for k, y := range c {
			v.checkRefs(where+"/"+k, y)
		}
	case []any:
		for i, y := range c {
			v.checkRefs(where+"/"+strconv.Itoa(i), y)
		}
	}
}

// TestOpenAPIValidatorCatches: the validator finds what it looks for.
func TestOpenAPIValidatorCatches(t *testing.T) {
	bad := `{"openapi": "3.0.3", "info": {"title": ""},
	  "paths": {"/a/{id}": {"get": {"operationId": "x", "responses": {"200": {"description": "ok",
	    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Nope"}}}}}},
	    "post": {"operationId": "x", "parameters": [{"name": "other", "in": "path", "schema": {"type": "text"}}], "responses": {}}}},
	  "components": {"schemas": {"S": {"type": "object", "propertys": {}}}}}`
	var doc map[string]any
	if err := json.Unmarshal([]byte(bad), &doc); err != nil {
		t.Fatal(err)
	}
	v := &apiValidator{doc: doc}
	v.check()
	all := strings.Join(v.problems, "\n")
	for _, want := range []string{"want 3.1.x", "info.title", "info.version", "leads nowhere", "operationId \"x\"",
		"no responses", "{id} is not declared", "must be required", "not in the template", `type "text"`, `"propertys" is not a JSON Schema keyword`} {
		if !strings.Contains(all, want) {
			t.Errorf("the validator missed %q; it said:\n%s", want, all)
		}
	}
	// An answer is held to its schema.
	v = &apiValidator{doc: apiDoc(t)}
	var user any
	_ = json.Unmarshal([]byte(`{"id": 1.5, "name": "x", "role": "owner", "created_at": "2026-01-01T00:00:00Z", "extra": true}`), &user)
	got := strings.Join(v.conform("user", map[string]any{"$ref": "#/components/schemas/User"}, user), "\n")
	for _, want := range []string{`1.5 is not [integer]`, `"owner" is not one of`, `required "disabled" missing`, `"extra" is not in the schema`} {
		if !strings.Contains(got, want) {
			t.Errorf("conform missed %q; it said:\n%s", want, got)
		}
	}
}

// conform checks a JSON value against a schema of the document: $ref,
// type, enum, pattern, properties, required, additionalProperties, items,
// anyOf and oneOf (one that fits is enough). It returns what does not fit.
func (v *apiValidator) conform(where string, schema, value any) []string {
	s, ok := schema.(map[string]any)
	if !ok {
		return nil // true, or not a schema: anything fits
	}
	if ref, ok := s["$ref"].(string); ok {
		return v.conform(where, v.pointer(ref), value)
	}
	var out []string
	if alts, ok := s["anyOf"].([]any); ok {
		if !slices.ContainsFunc(alts, func(a any) bool { return len(v.conform(where, a, value)) == 0 }) {
			out = append(out, fmt.Sprintf("%s: %s fits none of anyOf", where, apiShort(value)))
		}
	}
	if alts, ok := s["oneOf"].([]any); ok {
		if !slices.ContainsFunc(alts, func(a any) bool { return len(v.conform(where, a, value)) == 0 }) {
			out = append(out, fmt.Sprintf("%s: %s fits none of oneOf", where, apiShort(value)))
		}
	}
	if t, ok := s["type"]; ok {
		var types []string
		switch t := t.(type) {
		case string:
			types = []string{t}
		case []any:
			for _, x := range t {
				types = append(types, fmt.Sprint(x))
			}
		}
		if !slices.ContainsFunc(types, func(t string) bool { return apiIsType(t, value) }) {
			return append(out, fmt.Sprintf("%s: %s is not %v", where, apiShort(value), types))
		}
	}
	if e, ok := s["enum"].([]any); ok && !slices.Contains(e, value) {
		out = append(out, fmt.Sprintf("%s: %s is not one of %v", where, apiShort(value), e))
	}
	if p, ok := s["pattern"].(string); ok {
		if str, ok := value.(string); ok && !regexp.MustCompile(p).MatchString(str) {
			out = append(out, fmt.Sprintf("%s: %q does not match %s", where, str, p))
		}
	}
	switch val := value.(type) {
	case map[string]any:
		props, _ := s["properties"].(map[string]any)
		for _, r := range apiStrings(s["required"]) {
			if _, ok := val[r]; !ok {
				out = append(out, fmt.Sprintf("%s: required %q missing", where, r))
			}
		}
		for k, x := range val {
			if p, ok := props[k]; ok {
				out = append(out, v.conform(where+"."+k, p, x)...)
				continue
			}
			switch ap := s["additionalProperties"].(type) {
			case bool:
				if !ap {
					out = append(out, fmt.Sprintf("%s: %q is not in the schema", where, k))
				}
			case map[string]any:
				out = append(out, v.conform(where+"."+k, ap, x)...)
			}
		}
	case []any:
		if items, ok := s["items"]; ok {
			for i, x := range val {
				out = append(out, v.conform(where+"["+strconv.Itoa(i)+"]", items, x)...)
			}
		}
	}
	return out
}

func apiIsType(t string, v any) bool {
	switch t {
	case "null":
		return v == nil
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "number":
		_, ok := v.(float64)
		return ok
	case "integer":
		f, ok := v.(float64)
		return ok && f == float64(int64(f))
	case "array":
		_, ok := v.([]any)
		return ok
	case "object":
		_, ok := v.(map[string]any)
		return ok
	}
	return false
}

func apiStrings(x any) []string {
	var out []string
	list, _ := x.([]any)
	for _, s := range list {
		out = append(out, fmt.Sprint(s))
	}
	return out
}

func apiShort(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 80 {
		b = append(b[:77], "..."...)
	}
	return string(b)
}

// apiExchange is a request a client sent and the answer it got.
type apiExchange struct {
	method, path string
	request      []byte // a JSON body sent, or nil
	status       int
	ctype        string
	body         []byte
}

// apiLog keeps exchanges, safe for concurrent use.
type apiLog struct {
	mu   sync.Mutex
	list []apiExchange
}

func (l *apiLog) add(x apiExchange) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.list = append(l.list, x)
}

// apiConformAll checks each JSON answer against the schema the document
// gives its route and status.
func apiConformAll(t *testing.T, exchanges []apiExchange) {
	t.Helper()
	doc := apiDoc(t)
	v := &apiValidator{doc: doc}
	paths, _ := doc["paths"].(map[string]any)
	type tmpl struct {
		re   *regexp.Regexp
		item map[string]any
	}
	var tmpls []tmpl
	for p, item := range paths {
		// QuoteMeta escapes the braces: undone for the parameters.
		re := regexp.MustCompile("^" + apiParamRE.ReplaceAllString(strings.NewReplacer(`\{`, "{", `\}`, "}").Replace(regexp.QuoteMeta(p)), `[^/]+`) + "$")
		m, _ := item.(map[string]any)
		tmpls = append(tmpls, tmpl{re, m})
	}
	checked := map[string]bool{}
	for _, x := range exchanges {
		path, _, _ := strings.Cut(x.path, "?")
		var op map[string]any
		for _, tp := range tmpls {
			if tp.re.MatchString(path) {
				op, _ = tp.item[strings.ToLower(x.method)].(map[string]any)
				if op != nil {
					break
				}
			}
		}
		where := fmt.Sprintf("%s %s %d", x.method, path, x.status)
		if op == nil {
			t.Errorf("%s: no operation in openapi.json", where)
			continue
		}
		// A request the server took fits the document's request body.
		if x.status < 300 && x.request != nil {
			rb := v.resolve(op["requestBody"])
			content, _ := rb["content"].(map[string]any)
			media, _ := content["application/json"].(map[string]any)
			var req any
			switch {
			case media == nil:
				t.Errorf("%s: openapi.json takes no JSON body", where)
			case json.Unmarshal(x.request, &req) != nil:
			default:
				for _, p := range v.conform("request", media["schema"], req) {
					t.Errorf("%s: %s", where, p)
				}
			}
		}
		if !strings.HasPrefix(x.ctype, "application/json") {
			continue
		}
		resps, _ := op["responses"].(map[string]any)
		resp := v.resolve(resps[strconv.Itoa(x.status)])
		if resp == nil {
			resp = v.resolve(resps["default"])
		}
		if resp == nil {
			t.Errorf("%s: openapi.json gives no response %d", where, x.status)
			continue
		}
		content, _ := resp["content"].(map[string]any)
		media, _ := content["application/json"].(map[string]any)
		if media == nil {
			t.Errorf("%s: openapi.json gives response %d no JSON body", where, x.status)
			continue
		}
		var val any
		if err := json.Unmarshal(x.body, &val); err != nil {
			t.Errorf("%s: %v", where, err)
			continue
		}
		for _, p := range v.conform("answer", media["schema"], val) {
			if !checked[where+p] {
				t.Errorf("%s: %s", where, p)
				checked[where+p] = true
			}
		}
	}
}
