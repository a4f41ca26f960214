package sync

import (
	"fmt"
	"strings"
	"time"

	"github.com/xoroerp/veeqoconnect/store"
)

// DefaultReportOutcomes is how many per-reference outcomes a Report keeps
// by default (see Report.Outcomes).
const DefaultReportOutcomes = 1000

// Outcome is what a run did with one reference.
type Outcome struct {
	Process      string
	Reference    string
	Status       store.RecordStatus
	Message      string
	VeeqoOrderID int64
}

// Report summarises a run.
type Report struct {
	RunID    string
	Account  string
	Mode     store.Mode
	Trigger  string
	DryRun   bool
	Status   store.RunStatus
	Started  time.Time
	Finished time.Time
	Duration time.Duration

	Exported             int // orders created in Veeqo (or linked by reconcile)
	Reconciled           int // of which found by number after an unknown outcome
	InDoubt              int // of Failed: creates still in doubt, waiting out the settle time
	Twins                int // references found with more than one Veeqo order (reported)
	Skipped              int // filtered out by the filter rows
	Excluded             int // fetch mode: left out for their channel, counted only
	Failed               int // references that ended in error
	ConfirmationsApplied int // shipments applied to the ERP
	ShipmentsIgnored     int // shipments not applied on purpose (late under disabled multishipment, none of the order's lines, ERP order gone)
	ShipmentsVoided      int // applied shipments withdrawn because Veeqo voided them
	Warnings             int // warning log entries
	// VeeqoCalls is the number of HTTP requests sent to Veeqo by the run.
	VeeqoCalls int64
	// Outcomes lists each reference's last outcome, in processing order: at
	// most Config.ReportOutcomes of them (default DefaultReportOutcomes), so
	// that a run's memory does not grow with its size. When the list is
	// full, a failure, skip or warning takes the place of the oldest success;
	// what does not fit is counted in OutcomesOmitted. Every reference's
	// outcome is in the store's records either way.
	Outcomes []Outcome
	// OutcomesOmitted counts the outcomes left out of Outcomes.
	OutcomesOmitted int
	// Error is the run-level error, if any (a listing failure, a lost lease).
	Error string
}

// Summary is the report's counters in words, for the run's mode: "3
// exported, 1 skipped, 0 failed, 2 confirmations applied, 0 ignored, 1
// warning, 15 Veeqo calls" (fetch mode: fulfillments applied, skipped,
// excluded, failed, ignored).
func (r *Report) Summary() string {
	n := func(v int, one, many string) string {
		if v == 1 {
			return "1 " + one
		}
		return fmt.Sprintf("%d %s", v, many)
	}
	var parts []string
	if r.Mode == store.ModeFetch {
		parts = append(parts, n(r.ConfirmationsApplied, "fulfillment applied", "fulfillments applied"),
			fmt.Sprintf("%d skipped", r.Skipped), fmt.Sprintf("%d excluded", r.Excluded), fmt.Sprintf("%d failed", r.Failed),
			fmt.Sprintf("%d ignored", r.ShipmentsIgnored))
	} else {
		exported := fmt.Sprintf("%d exported", r.Exported)
		if r.Reconciled > 0 {
			exported += fmt.Sprintf(" (%d reconciled)", r.Reconciled)
		}
		parts = append(parts, exported, fmt.Sprintf("%d skipped", r.Skipped), fmt.Sprintf("%d failed", r.Failed),
			n(r.ConfirmationsApplied, "confirmation applied", "confirmations applied"), fmt.Sprintf("%d ignored", r.ShipmentsIgnored))
	}
	parts = append(parts, n(r.Warnings, "warning", "warnings"), n(int(r.VeeqoCalls), "Veeqo call", "Veeqo calls"))
	return strings.Join(parts, ", ")
}

// Counts returns the report's counters by name, as stored on the run.
func (r *Report) Counts() map[string]int {
	return map[string]int{
		"exported":      r.Exported,
		"reconciled":    r.Reconciled,
		"in_doubt":      r.InDoubt,
		"twins":         r.Twins,
		"skipped":       r.Skipped,
		"excluded":      r.Excluded,
		"failed":        r.Failed,
		"confirmations": r.ConfirmationsApplied,
		"ignored":       r.ShipmentsIgnored,
		"voided":        r.ShipmentsVoided,
		"warnings":      r.Warnings,
	}
}
