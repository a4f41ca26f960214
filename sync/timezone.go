package sync

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	_ "time/tzdata" // zones load on a bare machine

	"github.com/xoroerp/veeqoconnect/mapping"
)

// windowsZones maps the names of the Windows-style labels a settings page
// shows ("(UTC-08:00) Pacific Time (US and Canada)") to IANA zones. Keys are
// normalised (norm) label names without the "(UTC±hh:mm)" prefix. It is one
// piece on purpose: a data table, as long as the list of labels.
func windowsZones() map[string]string {
	return map[string]string{
		"dateline standard time":              "Etc/GMT+12",
		"coordinated universal time-11":       "Etc/GMT+11",
		"hawaii":                              "Pacific/Honolulu",
		"alaska":                              "America/Anchorage",
		"pacific time (us and canada)":        "America/Los_Angeles",
		"pacific time (us & canada)":          "America/Los_Angeles",
		"baja california":                     "America/Tijuana",
		"arizona":                             "America/Phoenix",
		"mountain time (us and canada)":       "America/Denver",
		"mountain time (us & canada)":         "America/Denver",
		"chihuahua, la paz, mazatlan":         "America/Chihuahua",
		"central time (us and canada)":        "America/Chicago",
		"central time (us & canada)":          "America/Chicago",
		"central america":                     "America/Guatemala",
		"guadalajara, mexico city, monterrey": "America/Mexico_City",
		"saskatchewan":                        "America/Regina",
		"eastern time (us and canada)":        "America/New_York",
		"eastern time (us & canada)":          "America/New_York",
		"indiana (east)":                      "America/Indiana/Indianapolis",
		"bogota, lima, quito, rio branco":     "America/Bogota",
		"atlantic time (canada)":              "America/Halifax",
		"caracas":                             "America/Caracas",
		"santiago":                            "America/Santiago",
		"newfoundland":                        "America/St_Johns",
		"brasilia":                            "America/Sao_Paulo",
		"buenos aires":                        "America/Argentina/Buenos_Aires",
		"city of buenos aires":                "America/Argentina/Buenos_Aires",
		"coordinated universal time":          "UTC",
		"utc":                                 "UTC",
		"dublin, edinburgh, lisbon, london":   "Europe/London",
		"monrovia, reykjavik":                 "Atlantic/Reykjavik",
		"amsterdam, berlin, bern, rome, stockholm, vienna":  "Europe/Berlin",
		"belgrade, bratislava, budapest, ljubljana, prague": "Europe/Budapest",
		"brussels, copenhagen, madrid, paris":               "Europe/Paris",
		"sarajevo, skopje, warsaw, zagreb":                  "Europe/Warsaw",
		"west central africa":                               "Africa/Lagos",
		"athens, bucharest":                                 "Europe/Bucharest",
		"cairo":                                             "Africa/Cairo",
		"helsinki, kyiv, riga, sofia, tallinn, vilnius":     "Europe/Kiev",
		"jerusalem":                             "Asia/Jerusalem",
		"istanbul":                              "Europe/Istanbul",
		"moscow, st. petersburg":                "Europe/Moscow",
		"moscow, st. petersburg, volgograd":     "Europe/Moscow",
		"nairobi":                               "Africa/Nairobi",
		"baghdad":                               "Asia/Baghdad",
		"kuwait, riyadh":                        "Asia/Riyadh",
		"tehran":                                "Asia/Tehran",
		"abu dhabi, muscat":                     "Asia/Dubai",
		"kabul":                                 "Asia/Kabul",
		"islamabad, karachi":                    "Asia/Karachi",
		"chennai, kolkata, mumbai, new delhi":   "Asia/Kolkata",
		"kathmandu":                             "Asia/Kathmandu",
		"dhaka":                                 "Asia/Dhaka",
		"bangkok, hanoi, jakarta":               "Asia/Bangkok",
		"beijing, chongqing, hong kong, urumqi": "Asia/Shanghai",
		"kuala lumpur, singapore":               "Asia/Singapore",
		"perth":                                 "Australia/Perth",
		"taipei":                                "Asia/Taipei",
		"osaka, sapporo, tokyo":                 "Asia/Tokyo",
		"seoul":                                 "Asia/Seoul",
		"adelaide":                              "Australia/Adelaide",
		"darwin":                                "Australia/Darwin",
		"brisbane":                              "Australia/Brisbane",
		"canberra, melbourne, sydney":           "Australia/Sydney",
		"hobart":                                "Australia/Hobart",
		"auckland, wellington":                  "Pacific/Auckland",
		"fiji":                                  "Pacific/Fiji",
	}
}

var utcPrefix = regexp.MustCompile(`^\(\s*(?:UTC|GMT)\s*(?:[+-]\s*\d{1,2}(?::?\d{2})?)?\s*\)\s*`)

// LoadLocation resolves a settings-page time zone: an IANA name
// ("America/Los_Angeles"), a Windows-style label ("(UTC-08:00) Pacific Time
// (US and Canada)", with or without the prefix), or "" / "UTC" for UTC.
func LoadLocation(name string) (*time.Location, error) {
	n := strings.TrimSpace(name)
	if n == "" || strings.EqualFold(n, "utc") || strings.EqualFold(n, "z") {
		return time.UTC, nil
	}
	rest := utcPrefix.ReplaceAllString(n, "")
	if iana, ok := windowsZones()[mapping.Normalize(rest)]; ok {
		return time.LoadLocation(iana)
	}
	if rest == "" { // a bare "(UTC)"
		return time.UTC, nil
	}
	if !strings.ContainsAny(n, "()") {
		if loc, err := time.LoadLocation(n); err == nil {
			return loc, nil
		}
	}
	return nil, fmt.Errorf("unknown time zone %q (use an IANA name such as America/Los_Angeles or a label such as \"(UTC-08:00) Pacific Time (US and Canada)\")", name)
}
