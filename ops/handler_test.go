package ops_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/filter"
	"github.com/xoroerp/veeqoconnect/ops"
	"github.com/xoroerp/veeqoconnect/store"
	vsync "github.com/xoroerp/veeqoconnect/sync"
)

type recordsBody struct {
	Records []ops.RecordJSON `json:"records"`
	Next    string           `json:"next"`
	Total   int              `json:"total"`
	Counts  map[string]int   `json:"counts"`
}

type errBody struct {
	Error  string `json:"error"`
	Fields []struct {
		Field   string `json:"field"`
		Problem string `json:"problem"`
	} `json:"fields"`
}

func (e errBody) fields() []string {
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Field)
	}
	return out
}

// expectError checks a JSON error response: its status and the fields it
// names.
func expectError(t *testing.T, r response, status int, fields ...string) errBody {
	t.Helper()
	require.Equal(t, status, r.status, r.body)
	var e errBody
	r.json(t, &e)
	assert.NotEmpty(t, e.Error)
	if len(fields) > 0 {
		assert.Equal(t, fields, e.fields(), r.body)
	}
	return e
}

func TestNewHandlerRequiresAuthentication(t *testing.T) {
	t.Parallel()
	cfg := vsync.Config{Account: "a", Store: nil}
	_, err := ops.NewHandler(ops.Options{Accounts: []ops.Account{{Config: cfg}}})
	require.ErrorIs(t, err, ops.ErrOptions)
	assert.Contains(t, err.Error(), "Authenticate is required")
	assert.Contains(t, err.Error(), "Config.Store is required")

	_, err = ops.NewHandler(ops.Options{InsecureDevelopmentNoAuth: true})
	require.ErrorIs(t, err, ops.ErrOptions)
	assert.Contains(t, err.Error(), "Accounts or Store is required")

	w := newWorld(t)
	_, err = ops.NewHandler(ops.Options{Authenticate: ops.TokenAuth("x"), Accounts: []ops.Account{{Config: vsync.Config{Account: account, Store: w.st}}, {Config: vsync.Config{Account: account, Store: w.st}}}})
	require.ErrorIs(t, err, ops.ErrOptions)
	assert.Contains(t, err.Error(), "listed twice")

	h, err := ops.NewHandler(ops.Options{InsecureDevelopmentNoAuth: true, Store: w.st})
	require.NoError(t, err)
	rec := httptestDo(h, "GET", "/api/accounts")
	assert.Equal(t, http.StatusOK, rec.Code, "the development option lets requests in without credentials")
}

func TestAuthenticationIsRequiredOnEveryRoute(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	for _, path := range []string{"", "accounts", "a/acme/orders", "a/acme/settings", "api/accounts", "api/accounts/acme/records", "static/ops.css", "nowhere"} {
		r := w.do(t, "GET", path, nil, noAuth())
		assert.Equal(t, http.StatusUnauthorized, r.status, path)
		assert.Contains(t, r.header.Get("WWW-Authenticate"), "Basic realm=", path)
		r = w.do(t, "GET", path, nil, func(req *http.Request) { req.SetBasicAuth(opUser, "wrong") })
		assert.Equal(t, http.StatusUnauthorized, r.status, path)
	}
	r := w.do(t, "POST", "api/accounts/acme/records/resolve", map[string]any{"records": []map[string]string{{"process": "export_order", "reference": "SO-9"}}}, noAuth())
	assert.Equal(t, http.StatusUnauthorized, r.status)
	rec, err := w.st.GetRecord(context.Background(), account, vsync.ProcessExport, "SO-9")
	require.NoError(t, err)
	assert.False(t, rec.Resolved, "a refused request changes nothing")

	// TokenAuth: bearer for scripts, basic with the token for browsers.
	h, err := ops.NewHandler(ops.Options{Authenticate: ops.TokenAuth("tok-123"), Store: w.st})
	require.NoError(t, err)
	req := httptestReq("GET", "/api/accounts")
	req.Header.Set("Authorization", "Bearer tok-123")
	assert.Equal(t, http.StatusOK, serve(h, req).Code)
	req = httptestReq("GET", "/api/accounts")
	req.Header.Set("Authorization", "Bearer nope")
	assert.Equal(t, http.StatusUnauthorized, serve(h, req).Code)
	req = httptestReq("GET", "/api/accounts")
	req.SetBasicAuth("bob", "tok-123")
	assert.Equal(t, http.StatusOK, serve(h, req).Code)
	assert.Equal(t, http.StatusUnauthorized, serve(h, httptestReq("GET", "/api/accounts")).Code)
	h, err = ops.NewHandler(ops.Options{Authenticate: ops.TokenAuth(""), Store: w.st})
	require.NoError(t, err)
	req = httptestReq("GET", "/api/accounts")
	req.SetBasicAuth("bob", "")
	assert.Equal(t, http.StatusUnauthorized, serve(h, req).Code, "an empty token refuses everything")
	w.scanSecrets(t)
}

func TestCrossSitePostsAreRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	body := "action=resolve&sel=export_order:SO-9&note=x"
	for name, o := range map[string]reqOpt{
		"sec-fetch-site": header("Sec-Fetch-Site", "cross-site"),
		"origin":         header("Origin", "https://evil.example"),
	} {
		r := w.do(t, "POST", "a/acme/orders", body, o)
		assert.Equal(t, http.StatusForbidden, r.status, name)
		assert.Contains(t, r.body, "cross-origin request refused", name)
		r = w.do(t, "PUT", "api/accounts/acme/settings", settings(), o)
		assert.Equal(t, http.StatusForbidden, r.status, name)
	}
	rec, err := w.st.GetRecord(context.Background(), account, vsync.ProcessExport, "SO-9")
	require.NoError(t, err)
	assert.False(t, rec.Resolved)
	// The same POST from the page itself is allowed.
	r := w.do(t, "POST", "a/acme/orders", body, header("Sec-Fetch-Site", "same-origin"))
	assert.Equal(t, http.StatusSeeOther, r.status, r.body)
	// A GET from another site is fine (it changes nothing).
	r = w.do(t, "GET", "a/acme/orders", nil, header("Sec-Fetch-Site", "cross-site"))
	assert.Equal(t, http.StatusOK, r.status)
}

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	for _, path := range []string{"a/acme/orders", "api/accounts", "static/ops.js", "nowhere"} {
		r := w.do(t, "GET", path, nil)
		csp := r.header.Get("Content-Security-Policy")
		assert.Contains(t, csp, "default-src 'none'", path)
		assert.Contains(t, csp, "script-src 'self'", path)
		assert.NotContains(t, csp, "unsafe-inline", path)
		assert.Equal(t, "nosniff", r.header.Get("X-Content-Type-Options"), path)
		assert.Equal(t, "DENY", r.header.Get("X-Frame-Options"), path)
		assert.Equal(t, "no-referrer", r.header.Get("Referrer-Policy"), path)
	}
	r := w.do(t, "GET", "nowhere", nil)
	assert.Equal(t, http.StatusNotFound, r.status)
	assert.Contains(t, r.header.Get("Content-Type"), "text/html")
	expectError(t, w.do(t, "GET", "api/nowhere", nil), http.StatusNotFound)
	expectError(t, w.do(t, "GET", "api/accounts/nobody/records", nil), http.StatusNotFound)
}

func TestRecordsViewFiltersAndPages(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	var all recordsBody
	r := w.do(t, "GET", "api/accounts/acme/records", nil)
	require.Equal(t, http.StatusOK, r.status, r.body)
	r.json(t, &all)
	refs := map[string]string{}
	for _, rec := range all.Records {
		refs[rec.Reference] = rec.Status
	}
	assert.Equal(t, map[string]string{"SO-1": "success", "SO-2": "success", "SO-4": "skipped", "SO-9": "error"}, refs)
	assert.Equal(t, 4, all.Total)

	var errs recordsBody
	w.do(t, "GET", "api/accounts/acme/records?errors_only=1", nil).json(t, &errs)
	require.Len(t, errs.Records, 1)
	assert.Equal(t, "SO-9", errs.Records[0].Reference)
	assert.Contains(t, errs.Records[0].Message, "Nowhere")

	var search recordsBody
	w.do(t, "GET", "api/accounts/acme/records?search=so-4", nil).json(t, &search)
	require.Len(t, search.Records, 1)

	// Paging: one at a time, each record once.
	seen := map[string]bool{}
	q := "limit=1"
	for range 10 {
		var page recordsBody
		w.do(t, "GET", "api/accounts/acme/records?"+q, nil).json(t, &page)
		for _, rec := range page.Records {
			assert.False(t, seen[rec.Reference], rec.Reference)
			seen[rec.Reference] = true
		}
		if page.Next == "" {
			break
		}
		q = "limit=1&after=" + url.QueryEscape(page.Next)
	}
	assert.Len(t, seen, 4)

	for q, field := range map[string]string{
		"limit=abc": "limit", "limit=0": "limit", "limit=5000": "limit", "status=bogus": "status", "process=x": "process",
		"from=2026-13-01": "from", "from=2026-03-05&to=2026-03-01": "to", "errors_only=maybe": "errors_only",
		"search=" + strings.Repeat("x", 201): "search", "after=not-a-cursor": "after",
	} {
		expectError(t, w.do(t, "GET", "api/accounts/acme/records?"+q, nil), http.StatusUnprocessableEntity, field)
		page := w.do(t, "GET", "a/acme/orders?"+q, nil)
		assert.Equal(t, http.StatusUnprocessableEntity, page.status, q)
		assert.Contains(t, page.body, "<code>"+field+"</code>", q)
	}
	w.scanSecrets(t)
}

func TestRecordActionsResolveUnresolveAndRun(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	item := []map[string]string{{"process": vsync.ProcessExport, "reference": "SO-9"}}

	r := w.do(t, "POST", "api/accounts/acme/records/resolve", map[string]any{"records": item, "note": "store fixed by hand"})
	require.Equal(t, http.StatusOK, r.status, r.body)
	rec, err := w.st.GetRecord(ctx, account, vsync.ProcessExport, "SO-9")
	require.NoError(t, err)
	assert.True(t, rec.Resolved)
	assert.Equal(t, opUser, rec.ResolvedBy, "the authenticated user is recorded")
	assert.Equal(t, "store fixed by hand", rec.ResolutionNote)

	var hidden recordsBody
	w.do(t, "GET", "api/accounts/acme/records?errors_only=1&hide_resolved=1", nil).json(t, &hidden)
	assert.Empty(t, hidden.Records)

	r = w.do(t, "POST", "api/accounts/acme/records/unresolve", map[string]any{"records": item})
	require.Equal(t, http.StatusOK, r.status, r.body)
	rec, _ = w.st.GetRecord(ctx, account, vsync.ProcessExport, "SO-9")
	assert.False(t, rec.Resolved)
	logs, err := w.st.QueryLogs(ctx, store.LogQuery{Account: account, Reference: "SO-9", Search: "unresolved by " + opUser})
	require.NoError(t, err)
	assert.Len(t, logs.Entries, 1)

	// Fix the order in the ERP and run it again: the record turns success,
	// and the run names who started it.
	o, err := w.erp.Order(ctx, "SO-9")
	require.NoError(t, err)
	o.Store = "Web"
	w.erp.Put(o)
	r = w.do(t, "POST", "api/accounts/acme/records/run", map[string]any{"records": item})
	require.Equal(t, http.StatusOK, r.status, r.body)
	var res struct {
		Results []struct {
			Reference, Status string
			OK                bool
		} `json:"results"`
		Message string `json:"message"`
	}
	r.json(t, &res)
	require.Len(t, res.Results, 1)
	assert.True(t, res.Results[0].OK, r.body)
	assert.Equal(t, "success", res.Results[0].Status)
	rec, _ = w.st.GetRecord(ctx, account, vsync.ProcessExport, "SO-9")
	assert.Equal(t, store.RecordSuccess, rec.Status)
	assert.Len(t, w.srv.OrdersByNumber("SO-9"), 1)
	runs, err := w.st.QueryRuns(ctx, store.RunQuery{Account: account, Limit: 1})
	require.NoError(t, err)
	assert.Equal(t, "manual by "+opUser, runs[0].Trigger)

	// Bad input, each named.
	expectError(t, w.do(t, "POST", "api/accounts/acme/records/resolve", map[string]any{"records": []any{}}), http.StatusUnprocessableEntity, "records")
	expectError(t, w.do(t, "POST", "api/accounts/acme/records/explode", map[string]any{"records": item}), http.StatusUnprocessableEntity, "action")
	expectError(t, w.do(t, "POST", "api/accounts/acme/records/resolve", map[string]any{"records": []map[string]string{{"process": "nope", "reference": "SO-9"}}}), http.StatusUnprocessableEntity, "records[1].process")
	expectError(t, w.do(t, "POST", "api/accounts/acme/records/resolve", map[string]any{"records": []map[string]string{{"process": "export_order"}}}), http.StatusUnprocessableEntity, "records[1]")
	expectError(t, w.do(t, "POST", "api/accounts/acme/records/resolve", map[string]any{"records": item, "extra": 1}), http.StatusBadRequest)
	expectError(t, w.do(t, "POST", "api/accounts/acme/records/resolve", map[string]any{"records": "SO-9"}), http.StatusUnprocessableEntity, "records")
	expectError(t, w.do(t, "POST", "api/accounts/acme/records/resolve", nil, header("Content-Type", "application/json")), http.StatusBadRequest)
	expectError(t, w.do(t, "POST", "api/accounts/acme/records/resolve", "{}", header("Content-Type", "text/plain")), http.StatusUnsupportedMediaType)
	big := `{"records": [], "note": "` + strings.Repeat("x", ops.DefaultMaxBodyBytes) + `"}`
	expectError(t, w.do(t, "POST", "api/accounts/acme/records/resolve", big, header("Content-Type", "application/json")), http.StatusRequestEntityTooLarge)
	r = w.do(t, "POST", "api/accounts/acme/records/resolve", map[string]any{"records": []map[string]string{{"process": "export_order", "reference": "SO-404"}}})
	require.Equal(t, http.StatusOK, r.status)
	assert.Contains(t, r.body, "no such record")
	w.scanSecrets(t)
}

func TestOrdersPageFormsRedirectRelativeWithANotice(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.do(t, "GET", "a/acme/orders?errors_only=1", nil)
	require.Equal(t, http.StatusOK, r.status)
	assert.Contains(t, r.body, `href="../../static/ops.css"`, "links are relative to the page")
	assert.Contains(t, r.body, "SO-9")
	assert.NotContains(t, r.body, "SO-1<")

	form := url.Values{"action": {"resolve"}, "sel": {"export_order:SO-9"}, "note": {"checked <b>by</b> hand"}, "q": {"errors_only=1"}}
	r = w.do(t, "POST", "a/acme/orders", form.Encode())
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	loc := r.header.Get("Location")
	assert.True(t, strings.HasPrefix(loc, "../../a/acme/orders?errors_only=1&flash="), loc)
	target, err := url.Parse(w.base + "a/acme/orders")
	require.NoError(t, err)
	next := target.ResolveReference(&url.URL{Path: strings.SplitN(loc, "?", 2)[0], RawQuery: strings.SplitN(loc, "?", 2)[1]})
	assert.Equal(t, prefix+"/a/acme/orders", next.Path, "the redirect stays under the mount prefix")
	r = w.do(t, "GET", strings.TrimPrefix(next.Path, prefix+"/")+"?"+next.RawQuery, nil)
	assert.Contains(t, r.body, "1 of 1 records marked resolved by alice")
	assert.Contains(t, r.body, "resolved by alice: checked &lt;b&gt;by&lt;/b&gt; hand", "the note is escaped")

	r = w.do(t, "POST", "a/acme/orders", url.Values{"action": {"resolve"}}.Encode())
	require.Equal(t, http.StatusSeeOther, r.status)
	r = w.do(t, "GET", "a/acme/orders?"+strings.SplitN(r.header.Get("Location"), "?", 2)[1], nil)
	assert.Contains(t, r.body, "not done: records: select at least one record")
	w.scanSecrets(t)
}

func TestControlAndBidiCharactersAreShownNotObeyed(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	ref := "SO-\u202eevil\u0007"
	_, err := w.st.UpsertRecord(ctx, store.RecordUpdate{Account: account, Process: vsync.ProcessExport, Reference: ref,
		Status: store.RecordError, Message: "bad \u2066thing\u2069 <script>alert(1)</script>", RunID: "r", At: time.Now()})
	require.NoError(t, err)
	r := w.do(t, "GET", "a/acme/orders?errors_only=1", nil)
	require.Equal(t, http.StatusOK, r.status)
	assert.Contains(t, r.body, "SO-⟨U&#43;202E⟩evil⟨U&#43;0007⟩")
	assert.Contains(t, r.body, "bad ⟨U&#43;2066⟩thing⟨U&#43;2069⟩ &lt;script&gt;")
	assert.NotContains(t, r.body, "\u0007")
	assert.NotContains(t, r.body, "\u2066")
	assert.NotContains(t, r.body, "\u202e")
	assert.NotContains(t, r.body, "<script>alert")
}

func TestPendingRunsAndLogsViews(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	var pend struct {
		Orders []ops.PendingJSON `json:"orders"`
	}
	r := w.do(t, "GET", "api/accounts/acme/pending", nil)
	require.Equal(t, http.StatusOK, r.status, r.body)
	r.json(t, &pend)
	reasons := map[string]string{}
	for _, o := range pend.Orders {
		reasons[o.Ref] = o.Reason
	}
	assert.Equal(t, map[string]string{"SO-4": "filtered", "SO-9": "failed"}, reasons)
	w.do(t, "GET", "api/accounts/acme/pending?reason=failed", nil).json(t, &pend)
	assert.Len(t, pend.Orders, 1)
	expectError(t, w.do(t, "GET", "api/accounts/acme/pending?reason=soon", nil), http.StatusUnprocessableEntity, "reason")
	page := w.do(t, "GET", "a/acme/pending", nil)
	assert.Contains(t, page.body, "filtered out")

	var runs struct {
		Runs []ops.RunJSON `json:"runs"`
	}
	w.do(t, "GET", "api/accounts/acme/runs", nil).json(t, &runs)
	require.Len(t, runs.Runs, 1)
	run := runs.Runs[0]
	assert.Equal(t, "schedule", run.Trigger)
	assert.Equal(t, "partial", run.Status)
	assert.Equal(t, 2, run.Counts["exported"])
	assert.Positive(t, run.VeeqoCalls)
	expectError(t, w.do(t, "GET", "api/accounts/acme/runs?before=yesterday", nil), http.StatusUnprocessableEntity, "before")

	var detail struct {
		Run     ops.RunJSON      `json:"run"`
		Records []ops.RecordJSON `json:"records"`
		Logs    []ops.LogJSON    `json:"logs"`
	}
	w.do(t, "GET", "api/accounts/acme/runs/"+url.PathEscape(run.ID), nil).json(t, &detail)
	assert.Equal(t, run.ID, detail.Run.ID)
	assert.NotEmpty(t, detail.Logs)
	assert.NotEmpty(t, detail.Records)
	expectError(t, w.do(t, "GET", "api/accounts/acme/runs/no-such-run", nil), http.StatusNotFound)
	page = w.do(t, "GET", "a/acme/runs/"+url.PathEscape(run.ID), nil)
	assert.Equal(t, http.StatusOK, page.status)
	assert.Contains(t, page.body, "Log lines of this run")
	page = w.do(t, "GET", "a/acme/runs", nil)
	assert.Contains(t, page.body, run.ID)

	var logs struct {
		Entries []ops.LogJSON `json:"entries"`
	}
	w.do(t, "GET", "api/accounts/acme/logs?level=error", nil).json(t, &logs)
	require.NotEmpty(t, logs.Entries)
	for _, e := range logs.Entries {
		assert.Equal(t, "error", e.Level)
	}
	w.do(t, "GET", "api/accounts/acme/logs?run="+url.QueryEscape(run.ID)+"&search=SO-9", nil).json(t, &logs)
	require.NotEmpty(t, logs.Entries)
	expectError(t, w.do(t, "GET", "api/accounts/acme/logs?level=debug", nil), http.StatusUnprocessableEntity, "level")
	expectError(t, w.do(t, "GET", "api/accounts/acme/logs?to=03/02/2026", nil), http.StatusUnprocessableEntity, "to")
	page = w.do(t, "GET", "a/acme/logs?level=error", nil)
	assert.Regexp(t, `\d\d:\d\d:\d\d P[SD]T<`, page.body, "times are shown in the account's zone")
	w.scanSecrets(t)
}

func TestSettingsSaveShowsEveryProblemByField(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	bad := settings()
	bad.Hour, bad.InstantErrorEmails = 24, vsync.EmailSetting{Enabled: true, Recipients: "not-an-address"}
	e := expectError(t, w.do(t, "PUT", "api/accounts/acme/settings", bad), http.StatusUnprocessableEntity)
	assert.Subset(t, e.fields(), []string{"hour", "instant_error_emails.recipients"})
	assert.Subset(t, []string{"hour", "instant_error_emails.recipients"}, e.fields())
	expectError(t, w.do(t, "PUT", "api/accounts/acme/settings", `{"hour": "six"}`, header("Content-Type", "application/json")), http.StatusUnprocessableEntity, "hour")
	expectError(t, w.do(t, "PUT", "api/accounts/acme/settings", `{"hours": 6}`, header("Content-Type", "application/json")), http.StatusBadRequest)
	other := settings()
	other.Account = "someone"
	expectError(t, w.do(t, "PUT", "api/accounts/acme/settings", other), http.StatusUnprocessableEntity, "account")

	good := settings()
	good.Hour = 7
	r := w.do(t, "PUT", "api/accounts/acme/settings", good)
	require.Equal(t, http.StatusOK, r.status, r.body)
	var got vsync.Settings
	w.do(t, "GET", "api/accounts/acme/settings", nil).json(t, &got)
	assert.Equal(t, 7, got.Hour)
	logs, err := w.st.QueryLogs(ctx, store.LogQuery{Account: account, Process: vsync.ProcessSettings})
	require.NoError(t, err)
	require.Len(t, logs.Entries, 1)
	assert.Equal(t, "settings changed by alice: hour", logs.Entries[0].Message)

	// The HTML form: a bad value is shown beside its field, what was typed
	// is kept, nothing is saved.
	form := url.Values{}
	for k, v := range map[string]string{"export_orders": "on", "fetch_ship_confirmation": "on", "time_zone": "America/Los_Angeles",
		"hour": "25", "minute": "x", "default_sku": "MUG-1", "store_mapping": `[{"erp_store": "Web", "veeqo_channel": "Web Shop"}]`,
		"ship_service_mapping": `[{"erp_name": "Ground", "veeqo_name": "Standard"}]`, "carrier_mapping": "[{", "filters": ""} {
		form.Set(k, v)
	}
	r = w.do(t, "POST", "a/acme/settings", form.Encode())
	require.Equal(t, http.StatusUnprocessableEntity, r.status)
	assert.Contains(t, r.body, `id="f-hour-err"`)
	assert.Contains(t, r.body, "25 is not in 0-23")
	assert.Contains(t, r.body, `id="f-minute-err"`)
	assert.Contains(t, r.body, `id="f-carrier_mapping-err"`)
	assert.Contains(t, r.body, `value="25"`)
	w.do(t, "GET", "api/accounts/acme/settings", nil).json(t, &got)
	assert.Equal(t, 7, got.Hour)

	form.Set("hour", "5")
	form.Set("minute", "30")
	form.Set("carrier_mapping", `[{"erp_name": "UPS Inc", "veeqo_name": "UPS"}]`)
	r = w.do(t, "POST", "a/acme/settings", form.Encode())
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	w.do(t, "GET", "api/accounts/acme/settings", nil).json(t, &got)
	assert.Equal(t, 5, got.Hour)
	assert.Equal(t, 30, got.Minute)
	page := w.do(t, "GET", "a/acme/settings", nil)
	assert.Contains(t, page.body, `value="5"`)
	for _, label := range []string{"Export Orders to Veeqo", "Disable Multishipment", "Integration Start Date", "Exclude Logs", "Daily Error Email(s)"} {
		assert.Contains(t, page.body, label)
	}
	w.scanSecrets(t)
}

func TestModeSwitchNeedsAReasonAndRecordsWho(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	fetch := settings()
	fetch.ExportOrders, fetch.FetchFulfillments, fetch.Filters = false, true, filter.Group{}
	r := w.do(t, "PUT", "api/accounts/acme/settings", fetch)
	require.Equal(t, http.StatusOK, r.status, r.body)
	page := w.do(t, "GET", "a/acme/settings", nil)
	assert.Contains(t, page.body, "locked to <strong>export</strong>")
	assert.Contains(t, page.body, "2 exported order(s) awaiting confirmation")

	expectError(t, w.do(t, "POST", "api/accounts/acme/mode", map[string]string{"to": "fetch"}), http.StatusUnprocessableEntity, "reason")
	expectError(t, w.do(t, "POST", "api/accounts/acme/mode", map[string]string{"to": "export", "reason": "x"}), http.StatusUnprocessableEntity, "to")
	expectError(t, w.do(t, "POST", "api/accounts/acme/mode", map[string]string{"to": "sideways", "reason": "x"}), http.StatusUnprocessableEntity, "to")
	r = w.do(t, "POST", "api/accounts/acme/mode", map[string]string{"to": "fetch", "reason": "marketplace orders now"})
	require.Equal(t, http.StatusOK, r.status, r.body)
	row, err := w.st.GetAccount(ctx, account)
	require.NoError(t, err)
	assert.Equal(t, store.ModeFetch, row.Mode)
	logs, err := w.st.QueryLogs(ctx, store.LogQuery{Account: account, Process: vsync.ProcessMode})
	require.NoError(t, err)
	require.NotEmpty(t, logs.Entries)
	assert.Contains(t, logs.Entries[0].Message, "alice: marketplace orders now")
	expectError(t, w.do(t, "GET", "api/accounts/acme/pending", nil), http.StatusConflict)
}

func TestSyncNowRunsInTheBackgroundAndCanBeCancelled(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	w.erp.Put(order("SO-20", "Web", "MUG-1"))
	r := w.do(t, "POST", "api/accounts/acme/sync", map[string]any{"from": "2026-03-01", "to": "2026-03-02"})
	require.Equal(t, http.StatusAccepted, r.status, r.body)
	var job ops.JobJSON
	r.json(t, &job)
	assert.Equal(t, opUser, job.By)
	done := waitJob(t, w, job.ID)
	assert.Equal(t, "partial", done.Status, "SO-9 still fails: %+v", done)
	assert.Equal(t, 1, done.Counts["exported"])
	assert.Equal(t, 1, done.Counts["failed"])
	require.NotEmpty(t, done.RunID)
	run, err := w.st.GetRun(ctx, done.RunID)
	require.NoError(t, err)
	assert.Equal(t, "manual by alice", run.Trigger)
	page := w.do(t, "GET", "a/acme/sync/"+job.ID, nil)
	assert.Contains(t, page.body, `href="../runs/`+url.PathEscape(done.RunID)+`"`)
	assert.NotContains(t, page.body, `http-equiv="refresh"`, "a finished run's page does not refresh")

	// Dry run: nothing recorded.
	r = w.do(t, "POST", "api/accounts/acme/sync", map[string]any{"dry_run": true})
	require.Equal(t, http.StatusAccepted, r.status, r.body)
	r.json(t, &job)
	done = waitJob(t, w, job.ID)
	assert.True(t, done.DryRun)
	_, err = w.st.GetRun(ctx, done.RunID)
	assert.ErrorIs(t, err, store.ErrNotFound)

	// A slow run, cancelled: it stops and says so; a second start while it
	// runs is refused.
	w.srv.SetLatency(300 * time.Millisecond)
	o := order("SO-21", "Web", "MUG-1")
	w.erp.Put(o, order("SO-22", "Web", "MUG-1"), order("SO-23", "Web", "MUG-1"))
	r = w.do(t, "POST", "api/accounts/acme/sync", map[string]any{})
	require.Equal(t, http.StatusAccepted, r.status, r.body)
	r.json(t, &job)
	expectError(t, w.do(t, "POST", "api/accounts/acme/sync", map[string]any{}), http.StatusConflict)
	page = w.do(t, "GET", "a/acme/sync/"+job.ID, nil)
	assert.Contains(t, page.body, `http-equiv="refresh"`)
	r = w.do(t, "POST", "api/accounts/acme/sync/"+job.ID+"/cancel", nil)
	require.Equal(t, http.StatusOK, r.status, r.body)
	var cancelled ops.JobJSON
	r.json(t, &cancelled)
	assert.Equal(t, "cancelled", cancelled.Status, r.body)
	w.srv.SetLatency(0)
	expectError(t, w.do(t, "POST", "api/accounts/acme/sync/"+job.ID+"/cancel", nil), http.StatusConflict)

	// Bad input.
	expectError(t, w.do(t, "POST", "api/accounts/acme/sync", map[string]any{"from": "2026-02-30"}), http.StatusUnprocessableEntity, "from")
	expectError(t, w.do(t, "POST", "api/accounts/acme/sync", map[string]any{"from": "2026-03-05", "to": "2026-03-01"}), http.StatusUnprocessableEntity, "to")
	expectError(t, w.do(t, "POST", "api/accounts/acme/sync", map[string]any{"refs": []string{strings.Repeat("r", 201)}}), http.StatusUnprocessableEntity, "refs[1]")
	expectError(t, w.do(t, "POST", "api/accounts/acme/sync", map[string]any{"dry_run": "yes"}), http.StatusUnprocessableEntity, "dry_run")
	expectError(t, w.do(t, "GET", "api/accounts/acme/sync/job-nope", nil), http.StatusNotFound)
	var list struct {
		Runs []ops.JobJSON `json:"runs"`
	}
	w.do(t, "GET", "api/accounts/acme/sync", nil).json(t, &list)
	assert.Len(t, list.Runs, 3)
	w.scanSecrets(t)
}

// waitJob polls a manual run until it finished.
func waitJob(t *testing.T, w *world, id string) ops.JobJSON {
	t.Helper()
	for range 500 {
		var j ops.JobJSON
		r := w.do(t, "GET", "api/accounts/acme/sync/"+id, nil)
		require.Equal(t, http.StatusOK, r.status, r.body)
		r.json(t, &j)
		if !j.Running {
			return j
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("manual run %s did not finish", id)
	return ops.JobJSON{}
}

func TestAccountsKeepTheAPIKeyWriteOnly(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	const newKey = "k-NEW-account-key-77aa88bb99"
	const changedKey = "k-CHANGED-key-1234567890ab"
	var list struct {
		Accounts []ops.AccountJSON `json:"accounts"`
	}
	w.do(t, "GET", "api/accounts", nil).json(t, &list)
	require.Len(t, list.Accounts, 1)
	assert.Equal(t, "export", list.Accounts[0].Mode)
	assert.True(t, list.Accounts[0].HasAPIKey)
	require.NotNil(t, list.Accounts[0].LastRun)

	r := w.do(t, "POST", "api/accounts", map[string]string{"name": "beta", "base_url": "https://api.veeqo.com", "api_key": newKey})
	require.Equal(t, http.StatusCreated, r.status, r.body)
	row, err := w.st.GetAccount(ctx, "beta")
	require.NoError(t, err)
	assert.Equal(t, newKey, row.APIKey)
	expectError(t, w.do(t, "POST", "api/accounts", map[string]string{"name": "beta", "api_key": newKey}), http.StatusConflict, "name")
	expectError(t, w.do(t, "POST", "api/accounts", map[string]string{"name": "", "api_key": newKey}), http.StatusUnprocessableEntity, "name")
	expectError(t, w.do(t, "POST", "api/accounts", map[string]string{"name": "a/b", "api_key": newKey}), http.StatusUnprocessableEntity, "name")
	expectError(t, w.do(t, "POST", "api/accounts", map[string]string{"name": "gamma"}), http.StatusUnprocessableEntity, "api_key")
	expectError(t, w.do(t, "POST", "api/accounts", map[string]string{"name": "gamma", "api_key": "has space"}), http.StatusUnprocessableEntity, "api_key")
	e := expectError(t, w.do(t, "POST", "api/accounts", map[string]string{"name": "gamma", "api_key": newKey, "base_url": "https://u:" + newKey + "@x.example"}), http.StatusUnprocessableEntity, "base_url")
	assert.NotContains(t, e.Error, newKey)
	expectError(t, w.do(t, "POST", "api/accounts", map[string]string{"name": "gamma", "api_key": newKey, "base_url": "ftp://x"}), http.StatusUnprocessableEntity, "base_url")

	r = w.do(t, "PATCH", "api/accounts/beta", map[string]string{"api_key": changedKey})
	require.Equal(t, http.StatusOK, r.status, r.body)
	row, _ = w.st.GetAccount(ctx, "beta")
	assert.Equal(t, changedKey, row.APIKey)
	assert.Equal(t, "https://api.veeqo.com", row.BaseURL, "a change without base_url keeps it")
	expectError(t, w.do(t, "PATCH", "api/accounts/nobody", map[string]string{"api_key": changedKey}), http.StatusNotFound)

	page := w.do(t, "GET", "accounts", nil)
	assert.Contains(t, page.body, "beta")
	assert.Contains(t, page.body, "(not connected)", "an account without a Config is listed but not runnable")
	expectError(t, w.do(t, "GET", "api/accounts/beta/records", nil), http.StatusConflict)

	// The HTML forms.
	r = w.do(t, "POST", "accounts", url.Values{"name": {"delta"}, "api_key": {newKey}}.Encode())
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	r = w.do(t, "POST", "accounts", url.Values{"name": {"delta"}, "api_key": {newKey}}.Encode())
	assert.Equal(t, http.StatusConflict, r.status)
	assert.Contains(t, r.body, "already exists")

	expectError(t, w.do(t, "DELETE", "api/accounts/beta", nil), http.StatusUnprocessableEntity, "confirm")
	r = w.do(t, "DELETE", "api/accounts/beta?confirm=beta", nil)
	require.Equal(t, http.StatusOK, r.status, r.body)
	_, err = w.st.GetAccount(ctx, "beta")
	assert.ErrorIs(t, err, store.ErrNotFound)
	r = w.do(t, "POST", "accounts/delta/remove", url.Values{"confirm": {"delta"}}.Encode())
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	w.scanSecrets(t, newKey, changedKey)
}

func TestConnectRunsAnAccountAddedOnThePage(t *testing.T) {
	t.Parallel()
	w0 := newWorld(t)
	w := newWorld(t, func(o *ops.Options) {
		o.Store = w0.st
		o.Connect = func(ctx context.Context, a store.Account) (vsync.Config, error) {
			if a.Name == "broken" {
				return vsync.Config{}, fmt.Errorf("no ERP for %s", a.Name)
			}
			s := settings()
			s.Account = a.Name
			return vsync.Config{Settings: s, ERP: w0.erp, Veeqo: vsync.ClientAPI(nil)}, nil
		}
	})
	for _, name := range []string{"zeta", "broken"} {
		r := w.do(t, "POST", "api/accounts", map[string]string{"name": name, "api_key": "k-zeta-0000000000"})
		require.Equal(t, http.StatusCreated, r.status, r.body)
	}
	// zeta's Config is unusable (ClientAPI(nil)): the page says why.
	e := expectError(t, w.do(t, "GET", "api/accounts/zeta/records", nil), http.StatusConflict)
	assert.Contains(t, e.Error, "Veeqo is ClientAPI(nil)")
	e = expectError(t, w.do(t, "GET", "api/accounts/broken/records", nil), http.StatusConflict)
	assert.Contains(t, e.Error, "no ERP for broken")
}
