package ops_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzRequests sends the handler arbitrary requests as the signed-in
// operator, over every route: whatever the method, path, query, content
// type and body, it answers with a status below 500 (a panic or an
// unhandled error would be a 500), and no answer carries a secret.
func FuzzRequests(f *testing.F) {
	w := newWorld(f)
	seeds := []struct{ method, path, ctype, body string }{
		{"GET", "/api/accounts/" + account + "/records?status=error&limit=2", "", ""},
		{"POST", "/api/accounts/" + account + "/records/resolve", "application/json", `{"process":"export_order","references":["SO-9"],"note":"x"}`},
		{"PUT", "/api/accounts/" + account + "/settings", "application/json", `{"hour":99}`},
		{"POST", "/a/" + account + "/orders", "application/x-www-form-urlencoded", "action=unresolve&ref=export_order%00SO-9"},
		{"POST", "/a/" + account + "/settings", "application/x-www-form-urlencoded", "hour=8&minute=%ff"},
		{"POST", "/api/accounts/" + account + "/mode", "application/json", `{"to":"fetch","reason":""}`},
		{"GET", "/a/" + account + "/logs?from=2026-13-01&level=%00", "", ""},
		{"PATCH", "/api/accounts/" + account, "application/json", `{"api_key":null}`},
		{"POST", "/accounts", "application/x-www-form-urlencoded", "name=%E2%80%AEx&api_key=1"},
		{"GET", "/a/" + account + "/runs/../../etc/passwd", "", ""},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.ctype, s.body)
	}
	methods := []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"}
	f.Fuzz(func(t *testing.T, method, path, ctype, body string) {
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		valid := false
		for _, m := range methods {
			valid = valid || m == method
		}
		if !valid {
			method = "GET"
		}
		req, err := http.NewRequest(method, "http://ops.example"+path, strings.NewReader(body))
		if err != nil {
			return // not a request a client could send
		}
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		req.SetBasicAuth(opUser, opPass)
		rec := httptest.NewRecorder()
		w.h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s (%q, %q): status %d: %s", method, path, ctype, body, rec.Code, rec.Body.String())
		}
		out := rec.Body.String() + headerText(rec.Header())
		for _, secret := range []string{veeqoKey, storeKey, opPass} {
			if strings.Contains(out, secret) {
				t.Fatalf("%s %s: the answer carries a secret", method, path)
			}
		}
	})
}
