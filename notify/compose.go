package notify

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xoroerp/veeqoconnect/internal/display"
)

const (
	subjectMax     = 160 // runes; long subjects get cut with "..."
	messageMax     = 2000
	referenceMax   = 120
	mailTimeLayout = "2006-01-02 15:04:05 MST"
)

// sanitizeLine makes s safe for a header or a single body line: control characters (CR, LF, TAB, NUL, ...) and
// Unicode line separators become spaces, runs of spaces collapse, and the ends are trimmed; bidirectional
// formatting characters, which would make a reference read as another, are written as visible escapes
// (display.Escape).
func sanitizeLine(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if isControl(r) || r == ' ' || r == '\u0085' {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		if display.Bidi(r) {
			b.WriteString(display.Escape(string(r)))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// SanitizeHeader returns s as a single safe header value: no CR, LF or other control characters, at most
// subjectMax runes. It is what the policy applies to every subject it builds.
func SanitizeHeader(s string) string { return truncate(sanitizeLine(s), subjectMax) }

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-3]) + "..."
}

// bodyText makes a multi-line message safe and readable inside a plain-text body: CRs go, each further line is
// indented so it cannot be mistaken for a new entry.
func bodyText(s, indent string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = truncate(s, messageMax)
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i, l := range lines {
		l = strings.Map(func(r rune) rune {
			if isControl(r) {
				return ' '
			}
			return r
		}, l)
		l = display.Escape(l) // what is left to escape: bidirectional formatting characters
		if i > 0 {
			l = indent + l
		}
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// countLabel is "3 errors", "2 errors, 1 warning" or "1 warning".
func countLabel(errs, warns int) string {
	switch {
	case warns == 0:
		return plural(errs, "error", "errors")
	case errs == 0:
		return plural(warns, "warning", "warnings")
	}
	return plural(errs, "error", "errors") + ", " + plural(warns, "warning", "warnings")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func prefix(account string) string { return "[Veeqo][" + truncate(sanitizeLine(account), 40) + "] " }

// instantMessage builds one coalesced mail for events (already in order). listed is how many are detailed.
func instantMessage(v *validated, events []Event, listed int) Message {
	errs, warns := 0, 0
	byProc := map[string]int{}
	first, last := events[0].Time, events[0].Time
	for _, e := range events {
		if e.Level == LevelWarning {
			warns++
		} else {
			errs++
		}
		byProc[orDash(sanitizeLine(e.Process))]++
		if e.Time.Before(first) {
			first = e.Time
		}
		if e.Time.After(last) {
			last = e.Time
		}
	}
	// Subject: counts, then the first few "process reference" pairs; sorts by account then time in an inbox.
	var refs []string
	for _, e := range events {
		r := sanitizeLine(e.Process)
		if ref := sanitizeLine(e.Reference); ref != "" {
			r += " " + truncate(ref, 40)
		}
		refs = append(refs, r)
		if len(refs) == 3 {
			break
		}
	}
	subj := prefix(v.cfg.Account) + countLabel(errs, warns) + ": " + strings.Join(refs, ", ")
	if len(events) > len(refs) {
		subj += ", ..."
	}

	var b strings.Builder
	fmt.Fprintf(&b, "Veeqo integration: %s for account %s.\n", countLabel(errs, warns), sanitizeLine(v.cfg.Account))
	fmt.Fprintf(&b, "Logged between %s and %s.\n\n", first.In(v.loc).Format(mailTimeLayout), last.In(v.loc).Format(mailTimeLayout))
	b.WriteString("By process:\n")
	for _, p := range sortedKeys(byProc) {
		fmt.Fprintf(&b, "  %s: %d\n", p, byProc[p])
	}
	b.WriteString("\n")
	if listed > len(events) {
		listed = len(events)
	}
	for i, e := range events[:listed] {
		writeEntry(&b, v, i+1, e)
	}
	if more := len(events) - listed; more > 0 {
		fmt.Fprintf(&b, "... and %d more (see the Operations page for the full list).\n\n", more)
	}
	b.WriteString("Fix the cause, then retry the failed records from the Operations page.\n")
	return Message{From: v.from, To: v.instantTo, Subject: SanitizeHeader(subj), Text: b.String()}
}

func writeEntry(b *strings.Builder, v *validated, n int, e Event) {
	fmt.Fprintf(b, "%d. %s %s %s\n", n, strings.ToUpper(orDash(sanitizeLine(string(e.Level)))),
		orDash(sanitizeLine(e.Process)), orDash(truncate(sanitizeLine(e.Reference), referenceMax)))
	fmt.Fprintf(b, "   Time:    %s\n", e.Time.In(v.loc).Format(mailTimeLayout))
	if e.RunID != "" {
		fmt.Fprintf(b, "   Run:     %s\n", truncate(sanitizeLine(e.RunID), 80))
	}
	fmt.Fprintf(b, "   Message: %s\n\n", bodyText(e.Message, "            "))
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// digest accumulates a day's events grouped by process and reference.
type digest struct {
	errs, warns, excluded int
	groups                map[string]map[string]*digestGroup
	ngroups               int
	overflow              int // events not grouped because of the group cap
}

type digestGroup struct {
	count       int
	last        time.Time
	lastMessage string
	level       Level
}

const maxDigestGroups = 5000

func newDigest() *digest { return &digest{groups: map[string]map[string]*digestGroup{}} }

func (d *digest) add(e Event) {
	if e.Level == LevelWarning {
		d.warns++
	} else {
		d.errs++
	}
	proc := orDash(sanitizeLine(e.Process))
	ref := orDash(truncate(sanitizeLine(e.Reference), referenceMax))
	refs := d.groups[proc]
	if refs == nil {
		refs = map[string]*digestGroup{}
		d.groups[proc] = refs
	}
	g := refs[ref]
	if g == nil {
		if d.ngroups >= maxDigestGroups {
			d.overflow++
			return
		}
		d.ngroups++
		g = &digestGroup{}
		refs[ref] = g
	}
	g.count++
	if !e.Time.Before(g.last) {
		g.last, g.lastMessage, g.level = e.Time, e.Message, e.Level
	}
}

const digestRefsPerProcess = 50

func digestMessage(v *validated, d *digest, from, to time.Time, extra string) Message {
	day := to.In(v.loc).Format("2006-01-02")
	subj := fmt.Sprintf("%sDaily error summary %s (%s)", prefix(v.cfg.Account), day, countLabel(d.errs, d.warns))
	var b strings.Builder
	fmt.Fprintf(&b, "Veeqo integration daily summary for account %s.\n", sanitizeLine(v.cfg.Account))
	fmt.Fprintf(&b, "Period: %s to %s (%s).\n", from.In(v.loc).Format(mailTimeLayout), to.In(v.loc).Format(mailTimeLayout), v.loc)
	if d.errs+d.warns == 0 {
		b.WriteString("\nNo errors were logged in this period.\n")
	} else {
		fmt.Fprintf(&b, "Total: %s.\n", countLabel(d.errs, d.warns))
	}
	if d.excluded > 0 {
		fmt.Fprintf(&b, "Not counted: %s matching the Exclude Logs patterns.\n", plural(d.excluded, "entry", "entries"))
	}
	for _, proc := range sortedKeys(d.groups) {
		refs := d.groups[proc]
		total := 0
		for _, g := range refs {
			total += g.count
		}
		fmt.Fprintf(&b, "\n%s: %s, %s\n", proc, plural(total, "entry", "entries"), plural(len(refs), "reference", "references"))
		keys := sortedKeys(refs)
		// Most frequent first, then by reference, so the worst offenders lead.
		slices.SortStableFunc(keys, func(a, c string) int { return cmp.Compare(refs[c].count, refs[a].count) })
		for i, ref := range keys {
			if i == digestRefsPerProcess {
				fmt.Fprintf(&b, "  ... and %d more references\n", len(keys)-i)
				break
			}
			g := refs[ref]
			fmt.Fprintf(&b, "  %s  x%d  last %s  %s: %s\n", ref, g.count, g.last.In(v.loc).Format(mailTimeLayout),
				strings.ToUpper(string(g.level)), truncate(sanitizeLine(g.lastMessage), 200))
		}
	}
	if d.overflow > 0 {
		fmt.Fprintf(&b, "\n... and %d more entries not grouped.\n", d.overflow)
	}
	if extra != "" {
		b.WriteString("\n" + extra + "\n")
	}
	if d.errs+d.warns > 0 {
		b.WriteString("\nDetails and retry: the Operations page.\n")
	}
	return Message{From: v.from, To: v.dailyTo, Subject: SanitizeHeader(subj), Text: b.String()}
}
