package notify

import (
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"time"
)

// TimeOfDay is a local wall-clock time (hour 0-23, minute 0-59).
type TimeOfDay struct {
	Hour, Minute int
}

// String formats t as HH:MM.
func (t TimeOfDay) String() string { return fmt.Sprintf("%02d:%02d", t.Hour, t.Minute) }

// EmailConfig mirrors the integration's "Error Handling & Notifications" settings for one account.
type EmailConfig struct {
	// Account is the account whose events this policy mails; events of other accounts are ignored.
	Account string
	// DailyAt is the local time of the daily digest, in Location.
	DailyAt TimeOfDay
	// DailyEnabled is "Send Daily Error Email".
	DailyEnabled bool
	// DailyTo is "Daily Error Email(s)": comma-separated addresses.
	DailyTo string
	// ExcludePatterns is "Exclude Logs": comma-separated keywords or wildcard patterns (* and ?).
	ExcludePatterns string
	// From is the sender address.
	From string
	// IncludeWarnings mails warnings too (instant and daily); by default only errors are mailed.
	IncludeWarnings bool
	// InstantEnabled is "Receive Import Error Notifications by Email".
	InstantEnabled bool
	// InstantTo is "Instant Error Email(s)": comma-separated addresses.
	InstantTo string
	// Location is the account's time zone for the digest time and for dates in mails; nil means UTC.
	Location *time.Location
	// NoSuccessAfter, when positive, alerts when the account has had no successful run for this long
	// (needs a Health source). Health alerts go to InstantTo, or to DailyTo when InstantTo is empty.
	NoSuccessAfter time.Duration
	// StaleExportAfterDays, when positive, alerts when exported orders have had no confirmation for this many
	// days (needs a Health source).
	StaleExportAfterDays int
}

// FieldError is one validation problem.
type FieldError struct {
	Field   string
	Problem string
}

// String is "Field: problem".
func (f FieldError) String() string { return f.Field + ": " + f.Problem }

// ConfigError lists every problem found in a configuration. It matches ErrInvalidConfig.
type ConfigError struct {
	Problems []FieldError
}

// Error lists the problems.
func (e *ConfigError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return "notify: invalid configuration: " + strings.Join(parts, "; ")
}

// Is makes errors.Is(err, ErrInvalidConfig) true.
func (e *ConfigError) Is(target error) bool { return target == ErrInvalidConfig }

func (e *ConfigError) add(field, format string, args ...any) {
	e.Problems = append(e.Problems, FieldError{Field: field, Problem: fmt.Sprintf(format, args...)})
}

func (e *ConfigError) err() error {
	if len(e.Problems) == 0 {
		return nil
	}
	return e
}

// ParseRecipients splits a comma-separated address list (semicolons are accepted too) and validates each
// address with net/mail. Empty items are ignored. The result holds the bare addresses, in order, without
// duplicates.
func ParseRecipients(list string) ([]string, error) {
	out, bad := SplitRecipients(list)
	if len(bad) > 0 {
		quoted := make([]string, len(bad))
		for i, b := range bad {
			quoted[i] = fmt.Sprintf("%q", sanitizeLine(b))
		}
		return out, fmt.Errorf("%w: not a valid email address: %s", ErrInvalidConfig, strings.Join(quoted, ", "))
	}
	return out, nil
}

// SplitRecipients splits a recipients list (comma- or semicolon-separated,
// "Name <addr>" allowed) into its valid addresses, each once whatever its
// case, and the items that are not valid addresses, as written. The one
// parser of recipient lists: ParseRecipients and the settings validation
// use it.
func SplitRecipients(list string) (addrs, bad []string) {
	seen := map[string]bool{}
	for _, item := range strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ';' }) {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		a, err := mail.ParseAddress(item)
		if err != nil || strings.ContainsAny(item, "\r\n") || !strings.Contains(a.Address, "@") {
			bad = append(bad, item)
			continue
		}
		key := strings.ToLower(a.Address)
		if !seen[key] {
			seen[key] = true
			addrs = append(addrs, a.Address)
		}
	}
	return addrs, bad
}

// validated is an EmailConfig after validation.
type validated struct {
	cfg       EmailConfig
	from      string
	instantTo []string
	dailyTo   []string
	loc       *time.Location
	exclude   *Exclude
}

// LogValue logs the switches and the digest time; recipients and patterns are left out of logs.
func (c EmailConfig) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("account", c.Account),
		slog.Bool("instant", c.InstantEnabled),
		slog.Bool("daily", c.DailyEnabled),
		slog.String("daily_at", c.DailyAt.String()),
	)
}

func validate(c EmailConfig) (*validated, error) {
	var ce ConfigError
	v := &validated{cfg: c, loc: c.Location}
	if v.loc == nil {
		v.loc = time.UTC
	}
	if strings.TrimSpace(c.Account) == "" {
		ce.add("Account", "is required")
	} else if strings.ContainsFunc(c.Account, isControl) {
		ce.add("Account", "contains control characters")
	}
	anyMail := c.InstantEnabled || c.DailyEnabled || c.NoSuccessAfter > 0 || c.StaleExportAfterDays > 0
	if strings.TrimSpace(c.From) == "" {
		if anyMail {
			ce.add("From", "is required when any email is enabled")
		}
	} else if a, err := mail.ParseAddress(strings.TrimSpace(c.From)); err != nil {
		ce.add("From", "%q is not a valid email address", sanitizeLine(c.From))
	} else {
		v.from = a.String()
	}
	parse := func(field, list string, enabled bool) []string {
		addrs, err := ParseRecipients(list)
		if err != nil {
			ce.add(field, "%s", strings.TrimPrefix(err.Error(), ErrInvalidConfig.Error()+": "))
		} else if enabled && len(addrs) == 0 {
			ce.add(field, "needs at least one address when enabled")
		}
		return addrs
	}
	v.instantTo = parse("InstantTo", c.InstantTo, c.InstantEnabled)
	v.dailyTo = parse("DailyTo", c.DailyTo, c.DailyEnabled)
	if c.DailyAt.Hour < 0 || c.DailyAt.Hour > 23 {
		ce.add("DailyAt.Hour", "%d is not in 0-23", c.DailyAt.Hour)
	}
	if c.DailyAt.Minute < 0 || c.DailyAt.Minute > 59 {
		ce.add("DailyAt.Minute", "%d is not in 0-59", c.DailyAt.Minute)
	}
	ex, err := CompileExclude(c.ExcludePatterns)
	if err != nil {
		ce.add("ExcludePatterns", "%s", strings.TrimPrefix(err.Error(), ErrInvalidConfig.Error()+": "))
	}
	v.exclude = ex
	if c.NoSuccessAfter < 0 {
		ce.add("NoSuccessAfter", "must not be negative")
	} else if c.NoSuccessAfter > 0 && c.NoSuccessAfter < time.Minute {
		ce.add("NoSuccessAfter", "%s is shorter than a minute", c.NoSuccessAfter)
	}
	if c.StaleExportAfterDays < 0 {
		ce.add("StaleExportAfterDays", "must not be negative")
	}
	if (c.NoSuccessAfter > 0 || c.StaleExportAfterDays > 0) && strings.TrimSpace(c.InstantTo) == "" && strings.TrimSpace(c.DailyTo) == "" {
		ce.add("InstantTo", "health alerts need instant or daily recipients")
	}
	return v, ce.err()
}

// healthTo is where health alerts go: the instant recipients, else the daily ones.
func (v *validated) healthTo() []string {
	if len(v.instantTo) > 0 {
		return v.instantTo
	}
	return v.dailyTo
}
