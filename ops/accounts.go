package ops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/xoroerp/veeqoconnect/store"
	vsync "github.com/xoroerp/veeqoconnect/sync"
)

// AccountJSON is one account in the JSON API. The API key is write-only:
// only whether one is set is ever returned.
type AccountJSON struct {
	Name          string    `json:"name"`
	BaseURL       string    `json:"base_url,omitempty"`
	HasAPIKey     bool      `json:"has_api_key"`
	Mode          string    `json:"mode"`
	ModeChangedAt time.Time `json:"mode_changed_at,omitzero"`
	// InStore is false for a configured account that has not run yet.
	InStore bool `json:"in_store"`
	// Runnable is true when the page can run the account (it was given
	// its engine Config, or Options.Connect builds one).
	Runnable bool     `json:"runnable"`
	LastRun  *RunJSON `json:"last_run,omitempty"`
}

// redactURL drops user info from a URL, whatever else it holds; text that
// does not parse is not shown at all.
func redactURL(s string) string {
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil {
		return "(unreadable URL)"
	}
	u.User = nil
	return u.String()
}

func (h *Handler) listAccounts(ctx context.Context) ([]AccountJSON, error) {
	var out []AccountJSON
	seen := map[string]bool{}
	describe := func(st store.Store, name string, runnable bool) (AccountJSON, error) {
		aj := AccountJSON{Name: name, Runnable: runnable, Mode: "none"}
		row, err := st.GetAccount(ctx, name)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return aj, nil
		case err != nil:
			return aj, fmt.Errorf("read account %q: %w", name, err)
		}
		aj.InStore, aj.BaseURL, aj.HasAPIKey, aj.ModeChangedAt = true, redactURL(row.BaseURL), row.APIKey != "", row.ModeChangedAt
		if row.Mode != store.ModeNone {
			aj.Mode = string(row.Mode)
		}
		runs, err := st.QueryRuns(ctx, store.RunQuery{Account: name, Limit: 1})
		if err != nil {
			return aj, fmt.Errorf("read runs of %q: %w", name, err)
		}
		if len(runs) > 0 {
			r := RunOf(runs[0])
			aj.LastRun = &r
		}
		return aj, nil
	}
	for _, a := range h.configured() {
		aj, err := describe(a.cfg.Store, a.name, true)
		if err != nil {
			return nil, err
		}
		seen[a.name] = true
		out = append(out, aj)
	}
	if h.store != nil {
		rows, err := h.store.ListAccounts(ctx)
		if err != nil {
			return nil, fmt.Errorf("list accounts: %w", err)
		}
		for _, row := range rows {
			if seen[row.Name] {
				continue
			}
			aj, err := describe(h.store, row.Name, h.opts.Connect != nil)
			if err != nil {
				return nil, err
			}
			out = append(out, aj)
		}
	}
	slices.SortFunc(out, func(a, b AccountJSON) int { return strings.Compare(a.Name, b.Name) })
	if out == nil {
		out = []AccountJSON{}
	}
	return out, nil
}

// accountInput is the body of add and change. Nil fields are left as they
// are on change.
type accountInput struct {
	Name    string  `json:"name"`
	BaseURL *string `json:"base_url"`
	APIKey  *string `json:"api_key"`
}

func checkAccountName(name string) *httpError {
	switch {
	case name == "":
		return fieldError("name", "is required")
	case len([]rune(name)) > 100:
		return fieldError("name", "is longer than 100 characters")
	case strings.TrimSpace(name) != name:
		return fieldError("name", "has surrounding spaces")
	case strings.ContainsFunc(name, hidden) || strings.ContainsAny(name, "/\\"):
		return fieldError("name", "may not contain control characters or slashes")
	}
	return nil
}

func checkBaseURL(s string) *httpError {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	switch {
	case err != nil || u.Host == "":
		return fieldError("base_url", "is not an absolute URL (want e.g. https://api.veeqo.com)")
	case u.Scheme != "https" && u.Scheme != "http":
		return fieldError("base_url", "scheme must be https (or http for a local test server)")
	case u.User != nil:
		return fieldError("base_url", "must not hold a user or password (the API key goes in api_key)")
	}
	return nil
}

func checkAPIKey(k string) *httpError {
	switch {
	case len(k) > 512:
		return fieldError("api_key", "is longer than 512 characters")
	case strings.ContainsFunc(k, func(r rune) bool { return unicode.IsSpace(r) || hidden(r) }):
		return fieldError("api_key", "must not contain spaces or control characters")
	}
	return nil
}

// addAccount creates an account in the accounts store.
func (h *Handler) addAccount(ctx context.Context, in accountInput) (AccountJSON, error) {
	if h.store == nil {
		return AccountJSON{}, &httpError{status: http.StatusConflict, msg: "this page has no accounts store (Options.Store) to add accounts to"}
	}
	if he := checkAccountName(in.Name); he != nil {
		return AccountJSON{}, he
	}
	var row store.Account
	row.Name = in.Name
	if in.BaseURL != nil {
		row.BaseURL = strings.TrimSpace(*in.BaseURL)
		if he := checkBaseURL(row.BaseURL); he != nil {
			return AccountJSON{}, he
		}
	}
	if in.APIKey == nil || *in.APIKey == "" {
		return AccountJSON{}, fieldError("api_key", "is required")
	}
	if he := checkAPIKey(*in.APIKey); he != nil {
		return AccountJSON{}, he
	}
	row.APIKey = *in.APIKey
	doc, err := json.Marshal(vsync.Settings{Account: in.Name})
	if err != nil {
		return AccountJSON{}, err
	}
	row.Settings = doc
	if _, err := h.store.AddAccount(ctx, row); err != nil {
		if errors.Is(err, store.ErrExists) {
			return AccountJSON{}, &httpError{status: http.StatusConflict, msg: fmt.Sprintf("name: account %q already exists", in.Name),
				fields: []vsync.FieldProblem{{Field: "name", Problem: "already exists"}}}
		}
		return AccountJSON{}, fmt.Errorf("add account: %w", err)
	}
	return h.accountJSON(ctx, in.Name)
}

// accountStore is the store holding an account's row: its own store when
// configured, else the accounts store.
func (h *Handler) accountStore(name string) store.Store {
	h.mu.Lock()
	defer h.mu.Unlock()
	if a := h.accounts[name]; a != nil {
		return a.cfg.Store
	}
	return h.store
}

func (h *Handler) accountJSON(ctx context.Context, name string) (AccountJSON, error) {
	list, err := h.listAccounts(ctx)
	if err != nil {
		return AccountJSON{}, err
	}
	for _, a := range list {
		if a.Name == name {
			return a, nil
		}
	}
	return AccountJSON{}, &httpError{status: http.StatusNotFound, msg: fmt.Sprintf("no account %q", visible(name))}
}

// changeAccount sets the base URL and, when given, the API key.
func (h *Handler) changeAccount(ctx context.Context, name string, in accountInput) (AccountJSON, error) {
	st := h.accountStore(name)
	if st == nil {
		return AccountJSON{}, &httpError{status: http.StatusNotFound, msg: fmt.Sprintf("no account %q", visible(name))}
	}
	if in.Name != "" && in.Name != name {
		return AccountJSON{}, fieldError("name", "cannot be changed (remove the account and add it under the new name)")
	}
	if in.BaseURL != nil {
		if he := checkBaseURL(strings.TrimSpace(*in.BaseURL)); he != nil {
			return AccountJSON{}, he
		}
	}
	if in.APIKey != nil && *in.APIKey != "" {
		if he := checkAPIKey(*in.APIKey); he != nil {
			return AccountJSON{}, he
		}
	}
	for attempt := 1; ; attempt++ {
		row, err := st.GetAccount(ctx, name)
		if errors.Is(err, store.ErrNotFound) {
			return AccountJSON{}, &httpError{status: http.StatusNotFound, msg: fmt.Sprintf("account %q is not in the store yet (it is added on its first run)", visible(name))}
		}
		if err != nil {
			return AccountJSON{}, fmt.Errorf("read account: %w", err)
		}
		if in.BaseURL != nil {
			row.BaseURL = strings.TrimSpace(*in.BaseURL)
		}
		if in.APIKey != nil && *in.APIKey != "" {
			row.APIKey = *in.APIKey
		}
		_, err = st.UpdateAccount(ctx, row)
		if errors.Is(err, store.ErrConflict) && attempt < 3 {
			continue
		}
		if err != nil {
			return AccountJSON{}, fmt.Errorf("change account: %w", err)
		}
		return h.accountJSON(ctx, name)
	}
}

// removeAccount deletes an account and all of its state; confirm must
// repeat its name.
func (h *Handler) removeAccount(ctx context.Context, name, confirm string) error {
	if confirm != name {
		return fieldError("confirm", "type the account name %q to confirm removing it and all of its state", visible(name))
	}
	h.mu.Lock()
	_, running := h.activeJob(name)
	h.mu.Unlock()
	if running {
		return &httpError{status: http.StatusConflict, msg: "a manual run of this account is in progress: cancel it first"}
	}
	st := h.accountStore(name)
	if st == nil {
		return &httpError{status: http.StatusNotFound, msg: fmt.Sprintf("no account %q", visible(name))}
	}
	if err := st.RemoveAccount(ctx, name); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return &httpError{status: http.StatusNotFound, msg: fmt.Sprintf("account %q is not in the store", visible(name))}
		}
		return fmt.Errorf("remove account: %w", err)
	}
	h.mu.Lock()
	if a := h.accounts[name]; a != nil && !h.isConfigured(name) {
		delete(h.accounts, name)
	}
	h.mu.Unlock()
	return nil
}

// isConfigured reports whether name is one of Options.Accounts.
func (h *Handler) isConfigured(name string) bool {
	for _, a := range h.opts.Accounts {
		if strings.TrimSpace(a.Config.Account) == name {
			return true
		}
	}
	return false
}
