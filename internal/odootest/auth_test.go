package odootest

import (
	"strings"
	"testing"
	"time"
)

func TestAuthenticate(t *testing.T) {
	f := newFixture(t, Options{Users: []User{
		{Login: "admin", Password: "admin", APIKey: "admin-key", Admin: true},
		{Login: "clerk", Password: "s3cret", APIKey: "clerk-key"},
	}})
	for _, tc := range []struct {
		method     string
		args       []any
		want       any
		wantErrNam string
	}{
		{"authenticate", l{"odoo", "admin", "admin", m{}}, 2, ""},
		{"authenticate", l{"odoo", "clerk", "s3cret", m{}}, 6, ""},
		{"authenticate", l{"odoo", "clerk", "clerk-key", m{}}, 6, ""},
		{"authenticate", l{"odoo", "clerk", "admin", m{}}, false, ""},
		{"authenticate", l{"odoo", "nobody", "x", m{}}, false, ""},
		{"authenticate", l{"odoo", "clerk", "", m{}}, false, ""},
		{"login", l{"odoo", "clerk", "s3cret"}, 6, ""},
		{"login", l{"odoo", "clerk", "nope"}, false, ""},
		{"authenticate", l{"other", "admin", "admin", m{}}, nil, OperationalError},
		{"authenticate", l{"odoo", "admin"}, nil, TypeError},
	} {
		res, _, err := jsonrpcCall(t, f.url, "common", tc.method, tc.args...)
		switch {
		case tc.wantErrNam != "":
			if err == nil || err.Data.Name != tc.wantErrNam {
				t.Errorf("%s%v: got %v %v, want %s", tc.method, tc.args, res, err, tc.wantErrNam)
			}
		case err != nil:
			t.Errorf("%s%v: %s", tc.method, tc.args, err.Data.Message)
		case res != tc.want:
			t.Errorf("%s%v = %v, want %v", tc.method, tc.args, res, tc.want)
		}
	}
}

func TestExecuteKWCredentials(t *testing.T) {
	f := newFixture(t, Options{Users: []User{
		{Login: "admin", Password: "admin", APIKey: "admin-key", Admin: true},
		{Login: "clerk", Password: "s3cret", APIKey: "clerk-key"},
	}})
	call := func(uid any, pw string) *rpcError {
		_, _, err := jsonrpcCall(t, f.url, "object", "execute_kw", "odoo", uid, pw, "res.partner", "search_count", l{l{}})
		return err
	}
	for _, ok := range []struct {
		uid any
		pw  string
	}{{2, "admin"}, {2, "admin-key"}, {6, "s3cret"}, {6, "clerk-key"}} {
		if err := call(ok.uid, ok.pw); err != nil {
			t.Errorf("uid %v %q: %s", ok.uid, ok.pw, err.Data.Name)
		}
	}
	for _, bad := range []struct {
		uid any
		pw  string
	}{{2, "wrong"}, {6, "admin"}, {99, "admin"}, {2, ""}, {"2", "admin"}, {false, "admin"}} {
		err := call(bad.uid, bad.pw)
		if err == nil || err.Data.Name != AccessDenied || err.Data.Message != "Access Denied" {
			t.Errorf("uid %v %q: got %v, want AccessDenied", bad.uid, bad.pw, err)
		}
	}
	// A plain user may work with orders but not with external ids.
	_, _, err := jsonrpcCall(t, f.url, "object", "execute_kw", "odoo", 6, "s3cret", "ir.model.data", "create",
		l{m{"module": "m", "name": "n", "model": "res.partner", "res_id": 1}}, m{})
	if err == nil || err.Data.Name != AccessError {
		t.Errorf("plain user creating ir.model.data: %v", err)
	}
	_, _, err = jsonrpcCall(t, f.url, "object", "execute_kw", "odoo", 6, "s3cret", "sale.order", "action_confirm", l{l{1}}, m{})
	if err != nil {
		t.Errorf("plain user confirming: %v", err.Data.Message)
	}
	// The MissingError names the calling user.
	_, _, err = jsonrpcCall(t, f.url, "object", "execute_kw", "odoo", 6, "s3cret", "res.partner", "write", l{l{77}, m{"name": "x"}}, m{})
	if err == nil || !strings.Contains(err.Data.Message, "User: 6") {
		t.Errorf("missing error: %v", err)
	}
}

func TestJSON2Auth(t *testing.T) {
	f := newFixture(t, Options{Users: []User{
		{Login: "admin", Password: "admin", APIKey: "admin-key", Admin: true},
		{Login: "nokey", Password: "pw"},
	}})
	for _, tc := range []struct {
		header map[string]string
		status int
	}{
		{map[string]string{"Authorization": "bearer admin-key"}, 200},
		{map[string]string{"Authorization": "Bearer admin-key", "X-Odoo-Database": "odoo"}, 200},
		{map[string]string{"Authorization": "bearer admin"}, 401}, // passwords are not API keys
		{map[string]string{"Authorization": "bearer pw"}, 401},
		{map[string]string{"Authorization": "bearer "}, 401},
		{map[string]string{"Authorization": "Basic YWRtaW46YWRtaW4="}, 401},
		{map[string]string{}, 401},
		{map[string]string{"Authorization": "bearer admin-key", "X-Odoo-Database": "prod"}, 404},
	} {
		status, _, body := post(t, f.url+"/json/2/res.partner/search_count", "application/json", tc.header, []byte(`{"domain": []}`))
		if status != tc.status {
			t.Errorf("%v: HTTP %d %s, want %d", tc.header, status, body, tc.status)
		}
	}
}

func TestLoginLockout(t *testing.T) {
	f := newFixture(t, Options{LoginAttempts: 3})
	auth := func(pw string) any {
		res, _, err := jsonrpcCall(t, f.url, "common", "authenticate", "odoo", "admin", pw, m{})
		if err != nil {
			t.Fatal(err.Data.Message)
		}
		return res
	}
	for i := 0; i < 3; i++ {
		if got := auth("wrong"); got != false {
			t.Fatalf("attempt %d: %v", i, got)
		}
	}
	if got := auth("admin"); got != false {
		t.Errorf("right password during lockout = %v, want false", got)
	}
	// execute_kw checks credentials, not the login cooldown.
	if _, err := f.kw("res.partner", "search_count", l{l{}}, nil); err != nil {
		t.Errorf("execute_kw during lockout: %v", err.Data.Name)
	}
	f.clock.Advance(61 * time.Second)
	if got := auth("admin"); got != 2 {
		t.Errorf("after the cooldown = %v, want 2", got)
	}
	// A success resets the counter.
	auth("wrong")
	if got := auth("admin"); got != 2 {
		t.Errorf("after one failure = %v", got)
	}

	// Disabled lockout.
	f2 := newFixture(t, Options{LoginAttempts: -1})
	for i := 0; i < 20; i++ {
		jsonrpcCall(t, f2.url, "common", "authenticate", "odoo", "admin", "wrong", m{})
	}
	if res, _, _ := jsonrpcCall(t, f2.url, "common", "authenticate", "odoo", "admin", "admin", m{}); res != 2 {
		t.Errorf("lockout disabled: %v", res)
	}
}

func TestXMLRPCAuth(t *testing.T) {
	f := newFixture(t, Options{})
	status, _, body := post(t, f.url+"/xmlrpc/2/common", "text/xml", nil, []byte(xmlCall("authenticate",
		`<string>odoo</string>`, `<string>admin</string>`, `<string>nope</string>`, `<struct></struct>`)))
	if status != 200 || !strings.Contains(string(body), "<boolean>0</boolean>") {
		t.Errorf("xmlrpc wrong password: %d %s", status, body)
	}
	// Untyped values are strings; <i4> is an int.
	status, _, body = post(t, f.url+"/xmlrpc/2/object", "text/xml", nil, []byte(xmlCall("execute_kw",
		`odoo`, `<i4>2</i4>`, `admin`, `res.partner`, `search_count`, `<array><data><value><array><data/></array></value></data></array>`)))
	if status != 200 || !strings.Contains(string(body), "<int>4</int>") {
		t.Errorf("xmlrpc search_count: %d %s", status, body)
	}
	status, _, body = post(t, f.url+"/xmlrpc/2/object", "text/xml", nil, []byte(`<methodCall><methodName>execute_kw</methodName><params>`))
	if status != 200 || !strings.Contains(string(body), "<name>faultCode</name>\n<value><int>1</int>") {
		t.Errorf("malformed xml: %d %s", status, body)
	}
	req := f.url + "/xmlrpc/2/object"
	resp, err := httpGet(req)
	if err != nil || resp != 405 {
		t.Errorf("GET xmlrpc: %v %v", resp, err)
	}
}
