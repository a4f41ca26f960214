// Package notify tells people when the Veeqo integration fails, instead of failing silently.
//
// The engine reports error and warning events through the small [Notifier] seam as they happen. What is done
// with them is pluggable: [NewSlogNotifier] logs them, [Multi] fans out, [Func] adapts a function, and
// [EmailPolicy] implements the integration's settings "Receive Import Error Notifications by Email", "Send Daily
// Error Email" and "Exclude Logs", plus health alerts that connectors of this kind usually lack.
//
// # Email policy
//
// [NewEmailPolicy] validates an [EmailConfig] (every problem at once, each naming its field) and returns an
// [EmailPolicy] for one account. Its Notify only buffers the event; the work happens in [EmailPolicy.Tick], which a
// host scheduler calls, or in [EmailPolicy.Run], a loop that calls Tick. [EmailPolicy.Flush] sends what is buffered
// right away; the engine calls it at the end of a run.
//
//   - Instant mail: errors are coalesced for a short window and sent as one mail that lists the first few in detail
//     and counts the rest ("and 480 more"), so a run with 500 failing orders sends a handful of mails, not 500.
//     The highest log sequence number sent is kept per account in the host's [State]; after a restart the policy
//     catches up from the durable [Source] log and never resends an entry below that mark.
//   - Daily digest: at a local wall-clock time in the account's zone, one mail covering every error since the
//     previous digest, grouped by process and reference with counts. A process that was down sends the missed
//     digest once. DST is handled: a skipped local time fires at the first instant after the gap, a repeated one
//     fires once (at its first occurrence).
//   - Exclude patterns: comma-separated keywords (case-insensitive substring) and wildcards (* and ?, matched
//     against the whole message, case-insensitively). Excluded entries are not emailed; they remain in the log.
//   - Health: "no successful run for N hours" and "exported orders without confirmation for N days", at most once
//     per condition per local day.
//
// # Delivery guarantees
//
// Instant mail and digests are at-least-once with a small window: the bookkeeping is saved after the SMTP server
// accepted the mail. If that save fails, the same process remembers what it sent and saves it again on the next
// tick without resending; only a crash (or a restart) between the mail and a successful save resends that one
// mail. Exactly-once is impossible here: an SMTP server's acceptance and a store write cannot be one transaction.
// A mail failure never fails a sync: it is logged and retried on the next tick, and the mark is not advanced.
// Events without a sequence number (Seq 0) cannot be deduplicated across restarts and are mailed from memory only.
//
// Run one policy per account at a time (for example in the process that holds the account's run lock). Digests
// are claimed in the State with compare-and-set, so concurrent instances send each digest once; instant mail is
// not claimed, so two instances ticking at the same moment may both mail the same burst.
//
// The first digest after the daily email is (re-)enabled covers everything since the last digest that was
// recorded, however long ago; the first tick ever only starts the period.
//
// # Sending
//
// A [Mailer] delivers [Message] values. [NewSMTPMailer] is one on github.com/wneessen/go-mail: STARTTLS (required
// or opportunistic), implicit TLS, or plain text to a loopback host; authentication with the strongest mechanism the server offers
// (never in clear text); timeouts; bounded retries
// with context-aware backoff. The password never appears in errors, logs or formatted output.
//
// All header values built from order data are sanitised: a CR or LF in a reference or message cannot add a
// header. Bodies are plain text.
//
// Package notifytest has a [Notifier] recorder, a recording [Mailer], and in-memory [State] and [Source] for tests.
package notify
