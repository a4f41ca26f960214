package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/xoroerp/veeqoconnect/notify"
	vsync "github.com/xoroerp/veeqoconnect/sync"
	"github.com/xoroerp/veeqoconnect/veeqo"
)

// defaultConfigPath is where the config is looked for without --config.
const defaultConfigPath = "veeqoctl.json"

// defaultStatePath is the SQLite state file when an account names neither
// state nor postgres_dsn.
const defaultStatePath = "veeqoctl.db"

// fileConfig is the config file: one JSON object.
type fileConfig struct {
	// Comment is free text, ignored (JSON has no comments).
	Comment  any             `json:"_comment,omitempty"`
	Accounts []accountConfig `json:"accounts"`
}

// accountConfig is one Veeqo account: how to reach it, its engine settings,
// its state and its ERP files.
type accountConfig struct {
	Comment any    `json:"_comment,omitempty"`
	Name    string `json:"name"`
	// BaseURL defaults to https://api.veeqo.com.
	BaseURL string `json:"base_url,omitempty"`
	// APIKeyEnv names the environment variable that holds the API key.
	APIKeyEnv string `json:"api_key_env,omitempty"`
	// APIKey is accepted with a warning: prefer APIKeyEnv.
	APIKey string `json:"api_key,omitempty"`
	// RateLimit is the client's pace in requests per second (default the
	// client's: Veeqo's 5/s, adapting to 429s).
	RateLimit float64 `json:"rate_limit,omitempty"`
	// LeaseTTL is how long the account's run lease lasts without renewal:
	// after a crash on another machine, the next run waits at most this long
	// (default 30s; on the same machine it takes the lease over at once).
	LeaseTTL vsync.Duration `json:"lease_ttl,omitempty"`
	// InDoubtSettle is how long after a create whose outcome is unknown
	// the order is looked for in Veeqo's order list before it is created
	// again (default 15m; see vsync.Config.InDoubtSettle).
	InDoubtSettle vsync.Duration `json:"in_doubt_settle,omitempty"`
	// Settings are the engine's settings (sync.Settings JSON).
	Settings json.RawMessage `json:"settings"`
	// State is the SQLite file (default veeqoctl.db beside the config).
	State string `json:"state,omitempty"`
	// PostgresDSN selects the PostgreSQL store instead.
	PostgresDSN string `json:"postgres_dsn,omitempty"`
	// SMTP sends the error emails the settings ask for.
	SMTP *smtpConfig `json:"smtp,omitempty"`
	// OrdersFile is the ERP's orders (a JSON array).
	OrdersFile string `json:"orders_file"`
	// ShipmentsFile is the ERP's applied shipment updates (JSON Lines).
	ShipmentsFile string `json:"shipments_file"`
}

// smtpConfig is the mail server for error emails.
type smtpConfig struct {
	Host string `json:"host"`
	Port int    `json:"port,omitempty"`
	// TLS is starttls (default), starttls-opportunistic, tls or none
	// (loopback only).
	TLS      string `json:"tls,omitempty"`
	Username string `json:"username,omitempty"`
	// PasswordEnv names the environment variable holding the password.
	PasswordEnv string `json:"password_env,omitempty"`
	// Password is accepted with a warning: prefer PasswordEnv.
	Password string `json:"password,omitempty"`
	From     string `json:"from"`
	// DailyAt is the local time of the daily digest, "HH:MM" (default 08:00).
	DailyAt string `json:"daily_at,omitempty"`
	// IncludeWarnings mails warnings too.
	IncludeWarnings bool `json:"include_warnings,omitempty"`
	// NoSuccessAfter alerts after this long without a successful run ("24h").
	NoSuccessAfter vsync.Duration `json:"no_success_after,omitempty"`
	// StaleExportAfterDays alerts on exported orders without a confirmation.
	StaleExportAfterDays int `json:"stale_export_after_days,omitempty"`
}

// config is a loaded, checked config file.
type config struct {
	Path     string
	Dir      string
	Accounts []*account
	// Warnings are things that work but should be changed (a key in the
	// file); printed on stderr.
	Warnings []string
	// Secrets are the fields holding a secret written in the file (an API
	// key, an SMTP password, a password in a PostgreSQL DSN), with what
	// to use instead.
	Secrets []inlineSecret
}

// inlineSecret is a secret written in the config file.
type inlineSecret struct {
	Field   string // "accounts[0].api_key"
	Instead string // "api_key_env"
}

// account is one checked account.
type account struct {
	Field    string // "accounts[1]" for messages (rows numbered from 1)
	Raw      accountConfig
	Settings vsync.Settings
	// StatePath is the absolute SQLite path ("" with PostgresDSN).
	StatePath     string
	PostgresDSN   string
	OrdersPath    string
	ShipmentsPath string
}

// loadConfig reads and checks the config file at path. Every problem is
// reported at once in a *problemsError.
func loadConfig(path string) (*config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, fmt.Errorf("config file %s not found (run `veeqoctl init` to write a starter config, or pass --config): %w", path, err)
		}
		return nil, fmt.Errorf("read config: %w", err)
	}
	cfg, err := parseConfig(path, data)
	if cfg == nil {
		return nil, err
	}
	perr := checkPrivate(path, cfg)
	var pe, se *problemsError
	switch {
	case perr == nil:
		return cfg, err
	case err == nil:
		return cfg, perr
	case errors.As(err, &pe) && errors.As(perr, &se):
		pe.Problems = append(pe.Problems, se.Problems...)
		return cfg, pe
	}
	return cfg, err
}

// checkPrivate refuses a config that holds a secret and that others than
// its owner can read: the key would be theirs too.
func checkPrivate(path string, cfg *config) error {
	if len(cfg.Secrets) == 0 || runtime.GOOS == "windows" {
		return nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	perm := fi.Mode().Perm()
	if perm&0o077 == 0 {
		return nil
	}
	pe := &problemsError{What: "config " + path}
	for _, s := range cfg.Secrets {
		pe.Problems = append(pe.Problems, problem{Field: s.Field, Problem: fmt.Sprintf(
			"a secret is written in the config file, and others can read the file (mode %04o): make it private with `chmod 600 %s`, or move the secret out of the file (%s)",
			perm, path, s.Instead)})
	}
	return pe
}

// dsnHasPassword reports whether a PostgreSQL DSN, URL or key=value, holds
// a password.
func dsnHasPassword(dsn string) bool {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			return true
		}
	}
	// key=value form, or a URL's ?password= parameter.
	return strings.Contains(strings.ToLower(dsn), "password=")
}

// parseConfig checks a config document; path is used for messages and to
// resolve relative file names.
func parseConfig(path string, data []byte) (*config, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	what := "config " + path
	fc, d, err := decodeConfig(what, data)
	if err != nil {
		return nil, err
	}
	cfg := &config{Path: path, Dir: filepath.Dir(abs)}
	if len(fc.Accounts) == 0 && len(d.problems) == 0 {
		d.add("accounts", "at least one account is required")
	}
	names := map[string]int{}
	for i, ac := range fc.Accounts {
		f := fmt.Sprintf("accounts[%d]", i+1)
		a := &account{Field: f, Raw: ac}
		name := checkAccountName(d, names, f, i, ac.Name)
		cfg.checkAccess(d, f, ac)
		checkLimits(d, f, ac)
		cfg.placeFiles(d, a)
		checkSettings(d, a, name)
		checkSMTP(d, cfg, a)
		cfg.Accounts = append(cfg.Accounts, a)
	}
	if len(d.problems) > 0 {
		return cfg, &problemsError{What: what, Problems: d.problems}
	}
	return cfg, nil
}

// decodeConfig decodes the document strictly: bad UTF-8 or JSON syntax is
// an error at once, an unknown or mistyped field a problem in d.
func decodeConfig(what string, data []byte) (fileConfig, *strictDecoder, error) {
	var fc fileConfig
	if p, bad := utf8Problem(data); bad {
		return fc, nil, &problemsError{What: what, Problems: []problem{p}}
	}
	if !json.Valid(data) {
		var v any
		err := json.Unmarshal(data, &v)
		return fc, nil, &problemsError{What: what, Problems: []problem{syntaxProblem(data, err)}}
	}
	d := &strictDecoder{}
	d.decode("", data, &fc)
	if len(d.problems) == 0 {
		// Belt and braces: encoding/json's own check, in case a custom
		// decoder hid an unknown field from the walk above.
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&fileConfig{}); err != nil {
			d.add("", "%v", err)
		}
	}
	return fc, d, nil
}

// checkAccountName checks the i'th account's name (required, unpadded,
// unique) and returns it trimmed.
func checkAccountName(d *strictDecoder, names map[string]int, f string, i int, raw string) string {
	name := strings.TrimSpace(raw)
	switch {
	case name == "":
		d.add(f+".name", "is required")
	case name != raw:
		d.add(f+".name", "%q has surrounding spaces", raw)
	default:
		if j, dup := names[name]; dup {
			d.add(f+".name", "%q is already the name of accounts[%d]", name, j)
		}
		names[name] = i + 1
	}
	return name
}

// checkAccess checks the base URL and where the API key comes from; a key
// written in the file is a warning and a secret to report.
func (cfg *config) checkAccess(d *strictDecoder, f string, ac accountConfig) {
	if ac.BaseURL != "" {
		if _, err := veeqo.New("check", veeqo.WithBaseURL(ac.BaseURL)); err != nil {
			d.add(f+".base_url", "%v", err)
		}
	}
	switch {
	case ac.APIKeyEnv != "" && ac.APIKey != "":
		d.add(f+".api_key", "set only one of api_key_env and api_key")
	case ac.APIKey != "":
		cfg.Warnings = append(cfg.Warnings, fmt.Sprintf("%s.api_key: the API key is written in the config file; put it in an environment variable and name it in api_key_env", f))
		cfg.Secrets = append(cfg.Secrets, inlineSecret{f + ".api_key", "put the key in an environment variable and name it in api_key_env"})
	case ac.APIKeyEnv == "":
		d.add(f+".api_key_env", "is required: the name of the environment variable holding the Veeqo API key")
	case strings.ContainsAny(ac.APIKeyEnv, "= \t\r\n"):
		d.add(f+".api_key_env", "%q is not an environment variable name", ac.APIKeyEnv)
	}
}

// checkLimits checks the lease TTL, in-doubt settle time and rate limit.
func checkLimits(d *strictDecoder, f string, ac accountConfig) {
	if ac.LeaseTTL != 0 && (ac.LeaseTTL < vsync.Duration(time.Second) || ac.LeaseTTL > vsync.Duration(time.Hour)) {
		d.add(f+".lease_ttl", "%s is not between 1s and 1h", time.Duration(ac.LeaseTTL))
	}
	if ac.InDoubtSettle != 0 && (ac.InDoubtSettle < 0 || ac.InDoubtSettle > vsync.Duration(24*time.Hour)) {
		d.add(f+".in_doubt_settle", "%s is not between 0 and 24h", time.Duration(ac.InDoubtSettle))
	}
	if ac.RateLimit < 0 {
		d.add(f+".rate_limit", "must not be negative")
	}
}

// placeFiles resolves the account's state (SQLite file or PostgreSQL DSN)
// and its ERP files against the config's directory.
func (cfg *config) placeFiles(d *strictDecoder, a *account) {
	f, ac := a.Field, a.Raw
	switch {
	case ac.State != "" && ac.PostgresDSN != "":
		d.add(f+".postgres_dsn", "set only one of state (SQLite file) and postgres_dsn")
	case ac.PostgresDSN != "":
		a.PostgresDSN = ac.PostgresDSN
		if dsnHasPassword(ac.PostgresDSN) {
			cfg.Secrets = append(cfg.Secrets, inlineSecret{f + ".postgres_dsn", "leave the password out of the DSN and set PGPASSWORD or use a ~/.pgpass file"})
		}
	default:
		st := ac.State
		if st == "" {
			st = defaultStatePath
		}
		a.StatePath = resolve(cfg.Dir, st)
	}
	if strings.TrimSpace(ac.OrdersFile) == "" {
		d.add(f+".orders_file", "is required (a JSON array of ERP orders)")
	} else {
		a.OrdersPath = resolve(cfg.Dir, ac.OrdersFile)
	}
	if strings.TrimSpace(ac.ShipmentsFile) == "" {
		d.add(f+".shipments_file", "is required (JSON Lines of applied shipment updates; created on first use)")
	} else {
		a.ShipmentsPath = resolve(cfg.Dir, ac.ShipmentsFile)
	}
	if a.OrdersPath != "" && a.OrdersPath == a.ShipmentsPath {
		d.add(f+".shipments_file", "must not be the orders file")
	}
}

// checkSettings decodes and validates the engine settings of a.
func checkSettings(d *strictDecoder, a *account, name string) {
	f := a.Field + ".settings"
	raw := a.Raw.Settings
	if len(bytes.TrimSpace(raw)) == 0 || isNull(raw) {
		d.add(f, "is required (the engine's settings: export_orders or fetch_fulfillments, mappings, schedule, ...)")
		return
	}
	sd := &strictDecoder{}
	var s vsync.Settings
	sd.decode(f, raw, &s)
	d.problems = append(d.problems, sd.problems...)
	// Validate even when some fields did not decode, so every problem is
	// reported at once; a field already reported is not reported again.
	reported := map[string]bool{}
	for _, p := range sd.problems {
		reported[p.Field] = true
	}
	if s.Account == "" {
		s.Account = name
		if name == "" {
			s.Account = "-" // the missing name is reported already
		}
	} else if s.Account != name && name != "" {
		d.add(f+".account", "%q differs from the account's name %q (leave it out)", s.Account, name)
	}
	if err := s.Validate(); err != nil {
		if se, ok := err.(*vsync.SettingsError); ok {
			for _, p := range se.Problems {
				if !reported[f+"."+p.Field] {
					d.add(f+"."+p.Field, "%s", p.Problem)
				}
			}
		} else {
			d.add(f, "%v", err)
		}
	}
	if !s.ExportOrders && !s.FetchFulfillments && !reported[f+".export_orders"] && !reported[f+".fetch_fulfillments"] {
		d.add(f+".export_orders", "turn on export_orders or fetch_fulfillments: the account must have a direction")
	}
	if len(sd.problems) == 0 {
		a.Settings = s
	}
}

// checkSMTP checks the mail settings when the account's settings ask for
// email.
func checkSMTP(d *strictDecoder, cfg *config, a *account) {
	f := a.Field + ".smtp"
	s := a.Settings
	wantMail := s.InstantErrorEmails.Enabled || s.DailyErrorEmails.Enabled
	m := a.Raw.SMTP
	if m == nil {
		if wantMail {
			d.add(f, "is required: the settings turn on error emails (instant_error_emails or daily_error_emails)")
		}
		return
	}
	if strings.TrimSpace(m.Host) == "" {
		d.add(f+".host", "is required")
	}
	if m.Port < 0 || m.Port > 65535 {
		d.add(f+".port", "%d is not a port", m.Port)
	}
	switch notify.TLSMode(m.TLS) {
	case "", notify.TLSStartTLS, notify.TLSOpportunistic, notify.TLSImplicit, notify.TLSNone:
	default:
		d.add(f+".tls", "%q is not one of starttls, starttls-opportunistic, tls, none", m.TLS)
	}
	if a, err := mail.ParseAddress(m.From); err != nil || !strings.Contains(a.Address, "@") {
		d.add(f+".from", "%q is not an email address", m.From)
	}
	switch {
	case m.Password != "" && m.PasswordEnv != "":
		d.add(f+".password", "set only one of password_env and password")
	case m.Password != "":
		cfg.Warnings = append(cfg.Warnings, fmt.Sprintf("%s.password: the SMTP password is written in the config file; put it in an environment variable and name it in password_env", f))
		cfg.Secrets = append(cfg.Secrets, inlineSecret{f + ".password", "put the password in an environment variable and name it in password_env"})
	case m.Username != "" && m.PasswordEnv == "":
		d.add(f+".password_env", "is required with a username: the name of the environment variable holding the SMTP password")
	}
	if m.DailyAt != "" {
		if _, err := parseTimeOfDay(m.DailyAt); err != nil {
			d.add(f+".daily_at", "%v", err)
		}
	}
	if m.NoSuccessAfter < 0 {
		d.add(f+".no_success_after", "must not be negative")
	}
	if m.StaleExportAfterDays < 0 {
		d.add(f+".stale_export_after_days", "must not be negative")
	}
}

func parseTimeOfDay(s string) (notify.TimeOfDay, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || hh < 0 || hh > 23 || mm < 0 || mm > 59 {
		return notify.TimeOfDay{}, fmt.Errorf("%q is not a time of day HH:MM", s)
	}
	return notify.TimeOfDay{Hour: hh, Minute: mm}, nil
}

func resolve(dir, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

// pick returns the account named name, or the only one.
func (c *config) pick(name string) (*account, error) {
	if name == "" {
		if len(c.Accounts) == 1 {
			return c.Accounts[0], nil
		}
		return nil, fmt.Errorf("the config has %d accounts (%s): choose one with --account", len(c.Accounts), strings.Join(c.names(), ", "))
	}
	for _, a := range c.Accounts {
		if a.Raw.Name == name {
			return a, nil
		}
	}
	return nil, fmt.Errorf("no account named %q in the config (accounts: %s)", name, strings.Join(c.names(), ", "))
}

func (c *config) names() []string {
	out := make([]string, len(c.Accounts))
	for i, a := range c.Accounts {
		out[i] = a.Raw.Name
	}
	return out
}

// apiKey returns the account's key from its environment variable (or the
// file). The key itself never appears in an error.
func (a *account) apiKey(getenv func(string) string) (string, error) {
	if a.Raw.APIKey != "" {
		return a.Raw.APIKey, nil
	}
	k := strings.TrimSpace(getenv(a.Raw.APIKeyEnv))
	if k == "" {
		return "", &problemsError{What: "account " + a.Raw.Name, Problems: []problem{{Field: a.Field + ".api_key_env",
			Problem: fmt.Sprintf("environment variable %s is not set (it must hold the Veeqo API key)", a.Raw.APIKeyEnv)}}}
	}
	return k, nil
}

// smtpPassword returns the SMTP password from its environment variable.
func (a *account) smtpPassword(getenv func(string) string) (string, error) {
	m := a.Raw.SMTP
	if m == nil || m.Username == "" {
		return "", nil
	}
	if m.Password != "" {
		return m.Password, nil
	}
	p := getenv(m.PasswordEnv)
	if p == "" {
		return "", &problemsError{What: "account " + a.Raw.Name, Problems: []problem{{Field: a.Field + ".smtp.password_env",
			Problem: fmt.Sprintf("environment variable %s is not set (it must hold the SMTP password)", m.PasswordEnv)}}}
	}
	return p, nil
}
