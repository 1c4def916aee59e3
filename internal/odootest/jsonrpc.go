package odootest

import (
	"fmt"
	"io"
	"net/http"
	"strings"
)

func readBody(r *http.Request) ([]byte, error) {
	return io.ReadAll(io.LimitReader(r.Body, 128<<20))
}

// serveJSONRPC is POST /jsonrpc: {"jsonrpc":"2.0","method":"call",
// "params":{"service":..., "method":..., "args":[...]},"id":N}.
func (s *Server) serveJSONRPC(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r)
	if err != nil {
		writeRaw(w, http.StatusBadRequest, "text/plain; charset=utf-8", []byte("Invalid JSON data"))
		return
	}
	req, err := decodeJSON(body)
	if err != nil {
		writeRaw(w, http.StatusBadRequest, "text/plain; charset=utf-8", []byte("Invalid JSON data"))
		return
	}
	obj, ok := req.(map[string]any)
	if !ok {
		writeRaw(w, http.StatusBadRequest, "text/plain; charset=utf-8", []byte("Invalid JSON-RPC data"))
		return
	}
	id := obj["id"]
	writeErr := func(e *Error) {
		code := 200
		if s.opts.Version >= 19 {
			code = 0
		}
		writeJSON(w, http.StatusOK, object{{"jsonrpc", "2.0"}, {"id", id}, {"error", object{
			{"code", code}, {"message", "Odoo Server Error"}, {"data", e.data()}}}})
	}
	if s.injectFault(w, r, "jsonrpc", writeErr) {
		return
	}
	params, _ := obj["params"].(map[string]any)
	service, _ := params["service"].(string)
	method, _ := params["method"].(string)
	args, _ := params["args"].([]any)
	res, call, rpcErr := s.dispatchRPC(remoteHost(r), service, method, args)
	call.Protocol = "jsonrpc"
	if rpcErr != nil {
		call.Error = rpcErr.Name
	}
	s.logCall(call)
	if rpcErr != nil {
		writeErr(rpcErr)
		return
	}
	out := object{{"jsonrpc", "2.0"}, {"id", id}}
	if _, none := res.(pyNone); !none {
		out = append(out, member{"result", res})
	}
	writeJSON(w, http.StatusOK, out)
}

// dispatchRPC runs a call of the common, object or db service, shared by
// JSON-RPC and XML-RPC.
func (s *Server) dispatchRPC(remote, service, method string, args []any) (any, Call, *Error) {
	call := Call{Service: service, Method: method}
	arg := func(i int) any {
		if i < len(args) {
			return args[i]
		}
		return nil
	}
	need := func(fn string, names ...string) *Error {
		if len(args) >= len(names) {
			return nil
		}
		miss := names[len(args):]
		quoted := make([]string, len(miss))
		for i, n := range miss {
			quoted[i] = "'" + n + "'"
		}
		list := quoted[0]
		if len(quoted) > 1 {
			list = strings.Join(quoted[:len(quoted)-1], ", ") + " and " + quoted[len(quoted)-1]
		}
		plural := "argument"
		if len(miss) > 1 {
			plural = "arguments"
		}
		return typeErr("%s() missing %d required positional %s: %s", fn, len(miss), plural, list)
	}
	switch service {
	case "common":
		switch method {
		case "version":
			return object{
				{"server_version", s.serverVersion()},
				{"server_version_info", s.versionInfo()},
				{"server_serie", s.serverVersion()},
				{"protocol_version", 1},
			}, call, nil
		case "login", "authenticate":
			names := []string{"db", "login", "password"}
			if method == "authenticate" {
				names = append(names, "user_agent_env")
			}
			if err := need("exp_"+method, names...); err != nil {
				return nil, call, err
			}
			if err := s.checkDB(arg(0)); err != nil {
				return nil, call, err
			}
			res := s.login(remote, arg(1), arg(2))
			if uid, ok := res.(int); ok {
				call.UID = uid
			}
			return res, call, nil
		}
		return nil, call, newErr(KeyError, "'exp_%s'", method)
	case "db":
		switch method {
		case "list":
			return []any{s.opts.Database}, call, nil
		case "server_version":
			return s.serverVersion(), call, nil
		}
		return nil, call, accessDenied()
	case "object":
		var model, modelMethod string
		var margs []any
		var kwargs map[string]any
		switch method {
		case "execute_kw":
			if err := need("execute_kw", "db", "uid", "passwd", "obj", "method", "args"); err != nil {
				return nil, call, err
			}
			l, ok := args[5].([]any)
			if !ok && !isFalse(args[5]) {
				return nil, call, typeErr("args must be a list, not %s", pyRepr(args[5]))
			}
			margs = l
			if len(args) > 6 && !isFalse(args[6]) {
				kw, ok := args[6].(map[string]any)
				if !ok {
					return nil, call, typeErr("kwargs must be a dict, not %s", pyRepr(args[6]))
				}
				kwargs = kw
			}
		case "execute":
			if err := need("execute", "db", "uid", "passwd", "obj", "method"); err != nil {
				return nil, call, err
			}
			margs = args[5:]
		default:
			return nil, call, newErr(NameError, "Method not available %s", method)
		}
		model, _ = args[3].(string)
		modelMethod, _ = args[4].(string)
		call.Model, call.Method = model, modelMethod
		if err := s.checkDB(args[0]); err != nil {
			return nil, call, err
		}
		uid, err := s.checkCredentials(args[1], args[2])
		if err != nil {
			return nil, call, err
		}
		call.UID = uid
		m, spec, lerr := s.lookupMethod(model, modelMethod)
		if lerr != nil {
			return nil, call, lerr
		}
		c, ctx, berr := bindPositional(m, spec, margs, kwargs)
		if berr != nil {
			return nil, call, berr
		}
		res, ierr := s.invoke(uid, ctx, c)
		if ierr != nil {
			return nil, call, asError(ierr)
		}
		return res, call, nil
	}
	return nil, call, newErr(KeyError, "%s", pyRepr(service))
}

// serveJSON2 is Odoo 19's POST /json/2/<model>/<method>: named arguments
// plus ids and context in a JSON object body, the bare result on success,
// the bare serialized exception with a real HTTP status on failure.
func (s *Server) serveJSON2(w http.ResponseWriter, r *http.Request) {
	writeErr := func(e *Error) { writeJSON(w, e.status(), e.data()) }
	if s.injectFault(w, r, "json2", func(e *Error) { writeJSON(w, http.StatusInternalServerError, e.data()) }) {
		return
	}
	rest := strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, "/json/2"), "/")
	parts := strings.Split(rest, "/")
	if len(parts) != 2 || parts[0] == "" || parts[1] == "" || r.Method != http.MethodPost {
		writeErr(httpErr(werkzeugNotFound, 404, "Did you mean POST /json/2/<model>/<method>?"))
		return
	}
	model, method := parts[0], parts[1]
	call := Call{Protocol: "json2", Service: "object", Model: model, Method: method}
	fail := func(e *Error) {
		call.Error = e.Name
		s.logCall(call)
		writeErr(e)
	}

	auth := r.Header.Get("Authorization")
	scheme, key, _ := strings.Cut(strings.TrimSpace(auth), " ")
	if auth == "" || !strings.EqualFold(scheme, "bearer") {
		w.Header().Set("WWW-Authenticate", `Bearer realm="", error="invalid_token"`)
		fail(httpErr(werkzeugUnauthorized, 401, `User not authenticated, use the "Authorization" header`))
		return
	}
	uid, ok := s.userByAPIKey(strings.TrimSpace(key))
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="", error="invalid_token"`)
		fail(httpErr(werkzeugUnauthorized, 401, "Invalid apikey"))
		return
	}
	call.UID = uid
	if db := r.Header.Get("X-Odoo-Database"); db != "" && db != s.opts.Database {
		fail(httpErr(werkzeugNotFound, 404, fmt.Sprintf("database %s not found", pyRepr(db))))
		return
	}

	params := map[string]any{}
	body, err := readBody(r)
	if err != nil {
		fail(httpErr(werkzeugBadRequest, 400, "could not read the body"))
		return
	}
	if len(strings.TrimSpace(string(body))) > 0 {
		v, err := decodeJSON(body)
		if err != nil {
			fail(httpErr(werkzeugBadRequest, 400, "could not parse the body as json: "+err.Error()))
			return
		}
		obj, ok := v.(map[string]any)
		if !ok {
			fail(httpErr(werkzeugBadRequest, 400, "could not parse the body, expecting a json object"))
			return
		}
		params = obj
	}
	ids, ok := toIDs(params["ids"])
	if !ok {
		fail(httpErr(werkzeugUnprocessable, 422, "ids must be a list of integers"))
		return
	}
	ctx := map[string]any{}
	if c, isMap := params["context"].(map[string]any); isMap {
		ctx = c
	}
	delete(params, "ids")
	delete(params, "context")

	if s.models[model] == nil {
		fail(httpErr(werkzeugNotFound, 404, fmt.Sprintf("the model %s does not exist", pyRepr(model))))
		return
	}
	m, spec, lerr := s.lookupMethod(model, method)
	if lerr != nil {
		if lerr.Name == AttributeError {
			lerr = httpErr(werkzeugNotFound, 404, lerr.Message)
		}
		fail(lerr)
		return
	}
	c, berr := bindNamed(m, spec, ids, params)
	if berr != nil {
		fail(berr)
		return
	}
	res, ierr := s.invoke(uid, ctx, c)
	if ierr != nil {
		fail(asError(ierr))
		return
	}
	s.logCall(call)
	if _, none := res.(pyNone); none {
		res = nil
	}
	writeJSON(w, http.StatusOK, res)
}
