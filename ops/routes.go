package ops

import (
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"strings"

	vsync "github.com/xoroerp/veeqoconnect/sync"
)

// routes registers every view: a JSON route under api/ and an HTML page
// over the same functions.
// It is one piece on purpose: a route table, one line per route, read as
// the map of the operations page's URL space.
func (h *Handler) routes() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))

	// JSON API.
	mux.HandleFunc("GET /api/accounts", h.apiAccounts)
	mux.HandleFunc("POST /api/accounts", h.apiAddAccount)
	mux.HandleFunc("PATCH /api/accounts/{account}", h.apiChangeAccount)
	mux.HandleFunc("DELETE /api/accounts/{account}", h.apiRemoveAccount)
	mux.HandleFunc("GET /api/accounts/{account}/records", h.withAccount(func(w http.ResponseWriter, r *http.Request, a *acct) error {
		d, err := h.records(r.Context(), a, r.URL.Query())
		return h.json(w, d, err)
	}))
	mux.HandleFunc("POST /api/accounts/{account}/records/{action}", h.withAccount(h.apiRecordAction))
	mux.HandleFunc("GET /api/accounts/{account}/pending", h.withAccount(func(w http.ResponseWriter, r *http.Request, a *acct) error {
		d, err := h.pending(r.Context(), a, r.URL.Query())
		return h.json(w, d, err)
	}))
	mux.HandleFunc("GET /api/accounts/{account}/runs", h.withAccount(func(w http.ResponseWriter, r *http.Request, a *acct) error {
		d, err := h.runs(r.Context(), a, r.URL.Query())
		return h.json(w, d, err)
	}))
	mux.HandleFunc("GET /api/accounts/{account}/runs/{id}", h.withAccount(func(w http.ResponseWriter, r *http.Request, a *acct) error {
		d, err := h.runDetail(r.Context(), a, r.PathValue("id"))
		return h.json(w, d, err)
	}))
	mux.HandleFunc("GET /api/accounts/{account}/logs", h.withAccount(func(w http.ResponseWriter, r *http.Request, a *acct) error {
		d, err := h.logs(r.Context(), a, r.URL.Query())
		return h.json(w, d, err)
	}))
	mux.HandleFunc("GET /api/accounts/{account}/settings", h.withAccount(func(w http.ResponseWriter, r *http.Request, a *acct) error {
		return h.json(w, a.current(), nil)
	}))
	mux.HandleFunc("PUT /api/accounts/{account}/settings", h.withAccount(h.apiSaveSettings))
	mux.HandleFunc("POST /api/accounts/{account}/mode", h.withAccount(h.apiSwitchMode))
	mux.HandleFunc("GET /api/accounts/{account}/sync", h.withAccount(h.apiJobs))
	mux.HandleFunc("POST /api/accounts/{account}/sync", h.withAccount(h.apiStartSync))
	mux.HandleFunc("GET /api/accounts/{account}/sync/{job}", h.withAccount(h.apiJob))
	mux.HandleFunc("POST /api/accounts/{account}/sync/{job}/cancel", h.withAccount(h.apiCancelJob))

	// HTML pages.
	mux.HandleFunc("GET /{$}", h.pageHome)
	mux.HandleFunc("GET /accounts", h.pageAccounts)
	mux.HandleFunc("POST /accounts", h.postAddAccount)
	mux.HandleFunc("POST /accounts/{account}/change", h.postChangeAccount)
	mux.HandleFunc("POST /accounts/{account}/remove", h.postRemoveAccount)
	mux.HandleFunc("GET /a/{account}/{$}", h.withAccount(func(w http.ResponseWriter, r *http.Request, a *acct) error {
		w.Header().Set("Location", "orders")
		w.WriteHeader(http.StatusSeeOther)
		return nil
	}))
	mux.HandleFunc("GET /a/{account}/orders", h.withAccount(h.pageOrders))
	mux.HandleFunc("POST /a/{account}/orders", h.withAccount(h.postOrders))
	mux.HandleFunc("GET /a/{account}/pending", h.withAccount(h.pagePending))
	mux.HandleFunc("GET /a/{account}/runs", h.withAccount(h.pageRuns))
	mux.HandleFunc("GET /a/{account}/runs/{id}", h.withAccount(h.pageRun))
	mux.HandleFunc("GET /a/{account}/logs", h.withAccount(h.pageLogs))
	mux.HandleFunc("GET /a/{account}/settings", h.withAccount(h.pageSettings))
	mux.HandleFunc("POST /a/{account}/settings", h.withAccount(h.postSettings))
	mux.HandleFunc("POST /a/{account}/mode", h.withAccount(h.postMode))
	mux.HandleFunc("GET /a/{account}/sync", h.withAccount(h.pageSync))
	mux.HandleFunc("POST /a/{account}/sync", h.withAccount(h.postSync))
	mux.HandleFunc("GET /a/{account}/sync/{job}", h.withAccount(h.pageJob))
	mux.HandleFunc("POST /a/{account}/sync/{job}/cancel", h.withAccount(h.postCancelJob))

	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		h.fail(w, r, &httpError{status: http.StatusNotFound, msg: fmt.Sprintf("no page %s %s", r.Method, visible(truncate(r.URL.Path, 200)))})
	})
	return mux
}

// withAccount resolves the account of the path and reports errors.
func (h *Handler) withAccount(f func(http.ResponseWriter, *http.Request, *acct) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, err := h.account(r)
		if err == nil {
			err = f(w, r, a)
		}
		if err != nil {
			h.fail(w, r, err)
		}
	}
}

// json writes d, or returns err.
func (h *Handler) json(w http.ResponseWriter, d any, err error) error {
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

// page renders a page for an account.
func (h *Handler) page(w http.ResponseWriter, r *http.Request, a *acct, tab, title string, data any) {
	v := &view{Title: title, Account: a.name, Tab: tab, Loc: a.location(), Data: data, Notice: h.takeFlash(r.URL.Query().Get("flash"))}
	h.render(w, r, http.StatusOK, tab, v)
}

// pageError renders an account page's error in its layout (the filters
// stay usable).
func (h *Handler) pageError(w http.ResponseWriter, r *http.Request, a *acct, tab string, err error) {
	he := h.asHTTPError(r, err)
	v := &view{Title: http.StatusText(he.status), Account: a.name, Tab: tab, Loc: a.location(), Error: he.msg, Problems: he.fields}
	h.render(w, r, he.status, "error", v)
}

// ---- accounts

func (h *Handler) apiAccounts(w http.ResponseWriter, r *http.Request) {
	list, err := h.listAccounts(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"accounts": list})
}

func (h *Handler) apiAddAccount(w http.ResponseWriter, r *http.Request) {
	var in accountInput
	if err := decodeJSON(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	a, err := h.addAccount(r.Context(), in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, a)
}

func (h *Handler) apiChangeAccount(w http.ResponseWriter, r *http.Request) {
	var in accountInput
	if err := decodeJSON(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	a, err := h.changeAccount(r.Context(), r.PathValue("account"), in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

func (h *Handler) apiRemoveAccount(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("account")
	if err := h.removeAccount(r.Context(), name, r.URL.Query().Get("confirm")); err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"removed": name})
}

func (h *Handler) pageHome(w http.ResponseWriter, r *http.Request) {
	if list := h.configured(); len(list) > 0 {
		seeOther(w, r, "a/"+esc(list[0].name)+"/orders")
		return
	}
	seeOther(w, r, "accounts")
}

func (h *Handler) pageAccounts(w http.ResponseWriter, r *http.Request) {
	h.accountsPage(w, r, http.StatusOK, "", nil)
}

func (h *Handler) accountsPage(w http.ResponseWriter, r *http.Request, status int, errMsg string, probs []vsync.FieldProblem) {
	list, err := h.listAccounts(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := &view{Title: "Accounts", Tab: "accounts", Data: list, Notice: h.takeFlash(r.URL.Query().Get("flash")), Error: errMsg, Problems: probs}
	h.render(w, r, status, "accounts", v)
}

// formError shows a form's error on the accounts page.
func (h *Handler) accountsFormError(w http.ResponseWriter, r *http.Request, err error) {
	he := h.asHTTPError(r, err)
	h.accountsPage(w, r, he.status, he.msg, he.fields)
}

func (h *Handler) postAddAccount(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(r); err != nil {
		h.accountsFormError(w, r, err)
		return
	}
	base, key := r.PostForm.Get("base_url"), r.PostForm.Get("api_key")
	if _, err := h.addAccount(r.Context(), accountInput{Name: strings.TrimSpace(r.PostForm.Get("name")), BaseURL: &base, APIKey: &key}); err != nil {
		h.accountsFormError(w, r, err)
		return
	}
	seeOther(w, r, "accounts?flash="+h.flash(fmt.Sprintf("account %s added by %s", r.PostForm.Get("name"), userOf(r))))
}

func (h *Handler) postChangeAccount(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(r); err != nil {
		h.accountsFormError(w, r, err)
		return
	}
	name := r.PathValue("account")
	base, key := r.PostForm.Get("base_url"), r.PostForm.Get("api_key")
	if _, err := h.changeAccount(r.Context(), name, accountInput{BaseURL: &base, APIKey: &key}); err != nil {
		h.accountsFormError(w, r, err)
		return
	}
	seeOther(w, r, "accounts?flash="+h.flash(fmt.Sprintf("account %s changed by %s", name, userOf(r))))
}

func (h *Handler) postRemoveAccount(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(r); err != nil {
		h.accountsFormError(w, r, err)
		return
	}
	name := r.PathValue("account")
	if err := h.removeAccount(r.Context(), name, r.PostForm.Get("confirm")); err != nil {
		h.accountsFormError(w, r, err)
		return
	}
	h.log.Info("ops: account removed", "account", name, "by", userOf(r))
	seeOther(w, r, "accounts?flash="+h.flash(fmt.Sprintf("account %s removed by %s", name, userOf(r))))
}

// ---- orders (records)

func (h *Handler) apiRecordAction(w http.ResponseWriter, r *http.Request, a *acct) error {
	var in struct {
		Records []actionItem `json:"records"`
		Note    string       `json:"note"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	res, msg, err := h.recordAction(r.Context(), a, userOf(r), r.PathValue("action"), in.Records, in.Note)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": res, "message": msg})
	return nil
}

func (h *Handler) pageOrders(w http.ResponseWriter, r *http.Request, a *acct) error {
	d, err := h.records(r.Context(), a, r.URL.Query())
	if err != nil {
		h.pageError(w, r, a, "orders", err)
		return nil
	}
	h.page(w, r, a, "orders", "Orders", d)
	return nil
}

// ordersReturn is the Orders page with the filters of the form's q field.
func ordersReturn(a *acct, q string) string {
	v, err := url.ParseQuery(q)
	if err != nil {
		v = url.Values{}
	}
	v.Del("flash")
	v.Del("after")
	return "a/" + esc(a.name) + "/orders?" + v.Encode()
}

func (h *Handler) postOrders(w http.ResponseWriter, r *http.Request, a *acct) error {
	if err := parseForm(r); err != nil {
		return err
	}
	var items []actionItem
	for _, k := range r.PostForm["sel"] {
		p, esc, ok := strings.Cut(k, ":")
		ref, err := url.QueryUnescape(esc)
		if !ok || err != nil {
			return fieldError("sel", "%q is not process:reference", visible(truncate(k, 60)))
		}
		items = append(items, actionItem{Process: p, Reference: ref})
	}
	res, msg, err := h.recordAction(r.Context(), a, userOf(r), r.PostForm.Get("action"), items, r.PostForm.Get("note"))
	if err != nil {
		he := h.asHTTPError(r, err)
		msg = "not done: " + he.msg
	}
	for _, x := range res {
		if x.Error != "" {
			msg += fmt.Sprintf("; %s %s: %s", x.Process, x.Reference, x.Error)
		}
	}
	back := ordersReturn(a, r.PostForm.Get("q"))
	seeOther(w, r, back+"&flash="+h.flash(msg))
	return nil
}

// ---- pending, runs, logs

func (h *Handler) pagePending(w http.ResponseWriter, r *http.Request, a *acct) error {
	d, err := h.pending(r.Context(), a, r.URL.Query())
	if err != nil {
		h.pageError(w, r, a, "pending", err)
		return nil
	}
	h.page(w, r, a, "pending", "Pending", d)
	return nil
}

func (h *Handler) pageRuns(w http.ResponseWriter, r *http.Request, a *acct) error {
	d, err := h.runs(r.Context(), a, r.URL.Query())
	if err != nil {
		h.pageError(w, r, a, "runs", err)
		return nil
	}
	h.page(w, r, a, "runs", "Previous runs", d)
	return nil
}

func (h *Handler) pageRun(w http.ResponseWriter, r *http.Request, a *acct) error {
	d, err := h.runDetail(r.Context(), a, r.PathValue("id"))
	if err != nil {
		h.pageError(w, r, a, "runs", err)
		return nil
	}
	h.page(w, r, a, "run", "Run "+d.Run.ID, d)
	return nil
}

func (h *Handler) pageLogs(w http.ResponseWriter, r *http.Request, a *acct) error {
	d, err := h.logs(r.Context(), a, r.URL.Query())
	if err != nil {
		h.pageError(w, r, a, "logs", err)
		return nil
	}
	h.page(w, r, a, "logs", "Logs", d)
	return nil
}

// ---- settings and mode

func (h *Handler) apiSaveSettings(w http.ResponseWriter, r *http.Request, a *acct) error {
	var s vsync.Settings
	if err := decodeJSON(r, &s); err != nil {
		return err
	}
	saved, err := h.saveSettings(r.Context(), a, s, userOf(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, saved)
	return nil
}

func (h *Handler) apiSwitchMode(w http.ResponseWriter, r *http.Request, a *acct) error {
	var in struct {
		To     string `json:"to"`
		Reason string `json:"reason"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	rep, err := h.switchMode(r.Context(), a, in.To, in.Reason, userOf(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"from": rep.From, "to": rep.To, "awaiting_confirmation": rep.AwaitingConfirmation,
		"in_doubt": rep.InDoubt, "pending_shipments": rep.PendingShipments, "message": rep.Message})
	return nil
}

func (h *Handler) pageSettings(w http.ResponseWriter, r *http.Request, a *acct) error {
	d := h.settingsView(r.Context(), a, a.current(), nil)
	h.page(w, r, a, "settings", "Settings", d)
	return nil
}

func (h *Handler) postSettings(w http.ResponseWriter, r *http.Request, a *acct) error {
	if err := parseForm(r); err != nil {
		return err
	}
	s, probs := settingsFromForm(a.name, r.PostForm)
	if len(probs) == 0 {
		_, err := h.saveSettings(r.Context(), a, s, userOf(r))
		if err == nil {
			seeOther(w, r, "a/"+esc(a.name)+"/settings?flash="+h.flash("settings saved by "+userOf(r)))
			return nil
		}
		he := h.asHTTPError(r, err)
		if len(he.fields) == 0 {
			return err
		}
		probs = he.fields
	} else if err := s.Validate(); err != nil {
		if se, ok := err.(*vsync.SettingsError); ok {
			for _, p := range se.Problems {
				if !hasField(probs, formField(p.Field)) {
					probs = append(probs, p)
				}
			}
		}
	}
	d := h.settingsView(r.Context(), a, s, probs)
	d.formValues(r.PostForm)
	v := &view{Title: "Settings", Account: a.name, Tab: "settings", Loc: a.location(), Data: d,
		Error: fmt.Sprintf("The settings were not saved: %d problem(s), shown beside their fields.", len(probs))}
	h.render(w, r, http.StatusUnprocessableEntity, "settings", v)
	return nil
}

func hasField(probs []vsync.FieldProblem, field string) bool {
	for _, p := range probs {
		if formField(p.Field) == field {
			return true
		}
	}
	return false
}

func (h *Handler) postMode(w http.ResponseWriter, r *http.Request, a *acct) error {
	if err := parseForm(r); err != nil {
		return err
	}
	rep, err := h.switchMode(r.Context(), a, r.PostForm.Get("to"), r.PostForm.Get("reason"), userOf(r))
	if err != nil {
		he := h.asHTTPError(r, err)
		d := h.settingsView(r.Context(), a, a.current(), nil)
		v := &view{Title: "Settings", Account: a.name, Tab: "settings", Loc: a.location(), Data: d, Error: "The mode was not switched: " + he.msg}
		h.render(w, r, he.status, "settings", v)
		return nil
	}
	seeOther(w, r, "a/"+esc(a.name)+"/settings?flash="+h.flash(rep.Message))
	return nil
}

// ---- sync now

func (h *Handler) apiJobs(w http.ResponseWriter, r *http.Request, a *acct) error {
	out := []JobJSON{}
	for _, j := range h.accountJobs(a.name) {
		s, err := h.state(r.Context(), a, j, false)
		if err != nil {
			return err
		}
		out = append(out, s)
	}
	writeJSON(w, http.StatusOK, map[string]any{"runs": out})
	return nil
}

func (h *Handler) apiStartSync(w http.ResponseWriter, r *http.Request, a *acct) error {
	var in syncInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	j, err := h.startSync(a, userOf(r), in)
	if err != nil {
		return err
	}
	s, err := h.state(r.Context(), a, j, false)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "sync/"+esc(j.id))
	writeJSON(w, http.StatusAccepted, s)
	return nil
}

func (h *Handler) apiJob(w http.ResponseWriter, r *http.Request, a *acct) error {
	j, err := h.job(a.name, r.PathValue("job"))
	if err != nil {
		return err
	}
	s, err := h.state(r.Context(), a, j, true)
	return h.json(w, s, err)
}

func (h *Handler) apiCancelJob(w http.ResponseWriter, r *http.Request, a *acct) error {
	j, err := h.job(a.name, r.PathValue("job"))
	if err != nil {
		return err
	}
	if !h.cancelJob(j) {
		return &httpError{status: http.StatusConflict, msg: errJobNotRunning.Error()}
	}
	<-j.done
	s, err := h.state(r.Context(), a, j, false)
	return h.json(w, s, err)
}

// syncPage is the Sync now view.
type syncPage struct {
	Mode string
	Jobs []JobJSON
}

func (h *Handler) pageSync(w http.ResponseWriter, r *http.Request, a *acct) error {
	d := syncPage{Mode: string(a.current().Mode())}
	for _, j := range h.accountJobs(a.name) {
		s, err := h.state(r.Context(), a, j, false)
		if err != nil {
			return err
		}
		d.Jobs = append(d.Jobs, s)
	}
	h.page(w, r, a, "sync", "Sync now", d)
	return nil
}

func (h *Handler) postSync(w http.ResponseWriter, r *http.Request, a *acct) error {
	if err := parseForm(r); err != nil {
		return err
	}
	in := syncInput{From: r.PostForm.Get("from"), To: r.PostForm.Get("to"), Search: r.PostForm.Get("search")}
	for _, ref := range strings.FieldsFunc(r.PostForm.Get("refs"), func(c rune) bool { return c == ',' || c == '\n' || c == '\r' }) {
		if ref = strings.TrimSpace(ref); ref != "" {
			in.Refs = append(in.Refs, ref)
		}
	}
	p := &params{v: r.PostForm}
	in.DryRun = p.boolean("dry_run")
	if p.err != nil {
		return p.err
	}
	j, err := h.startSync(a, userOf(r), in)
	if err != nil {
		he := h.asHTTPError(r, err)
		d := syncPage{Mode: string(a.current().Mode())}
		v := &view{Title: "Sync now", Account: a.name, Tab: "sync", Loc: a.location(), Data: d, Error: "The run was not started: " + he.msg, Problems: he.fields}
		h.render(w, r, he.status, "sync", v)
		return nil
	}
	seeOther(w, r, "a/"+esc(a.name)+"/sync/"+esc(j.id))
	return nil
}

func (h *Handler) pageJob(w http.ResponseWriter, r *http.Request, a *acct) error {
	j, err := h.job(a.name, r.PathValue("job"))
	if err != nil {
		return err
	}
	s, err := h.state(r.Context(), a, j, true)
	if err != nil {
		return err
	}
	h.page(w, r, a, "job", "Manual run", s)
	return nil
}

func (h *Handler) postCancelJob(w http.ResponseWriter, r *http.Request, a *acct) error {
	j, err := h.job(a.name, r.PathValue("job"))
	if err != nil {
		return err
	}
	msg := "cancel asked by " + userOf(r) + ": the run stops after the reference in hand"
	if !h.cancelJob(j) {
		msg = errJobNotRunning.Error()
	}
	seeOther(w, r, "a/"+esc(a.name)+"/sync/"+esc(j.id)+"?flash="+h.flash(msg))
	return nil
}
