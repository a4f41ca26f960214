package sync

import (
	"fmt"

	"github.com/xoroerp/veeqoconnect/notify"
)

// EmailConfig builds the notify email policy's configuration from the
// settings page: instant_error_emails and daily_error_emails (switch and
// recipients), exclude_logs, the account, and time_zone. The daily digest is
// sent at the schedule's local hour and minute (hour, minute). from is the
// sender address, which the settings page does not hold. Pass the result to
// notify.NewEmailPolicy, which validates the addresses; set the remaining
// fields (IncludeWarnings, the health alerts) on the result as needed.
func (s Settings) EmailConfig(from string) (notify.EmailConfig, error) {
	loc, err := LoadLocation(s.TimeZone)
	if err != nil {
		return notify.EmailConfig{}, fmt.Errorf("%w: time_zone: %v", ErrInvalidSettings, err)
	}
	if s.Hour < 0 || s.Hour > 23 || s.Minute < 0 || s.Minute > 59 {
		return notify.EmailConfig{}, fmt.Errorf("%w: hour and minute %d:%d are not a time of day", ErrInvalidSettings, s.Hour, s.Minute)
	}
	return notify.EmailConfig{
		Account:         s.Account,
		From:            from,
		InstantEnabled:  s.InstantErrorEmails.Enabled,
		InstantTo:       s.InstantErrorEmails.Recipients,
		DailyEnabled:    s.DailyErrorEmails.Enabled,
		DailyTo:         s.DailyErrorEmails.Recipients,
		DailyAt:         notify.TimeOfDay{Hour: s.Hour, Minute: s.Minute},
		ExcludePatterns: s.ExcludeLogs,
		Location:        loc,
	}, nil
}
