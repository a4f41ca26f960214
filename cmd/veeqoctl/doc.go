// Command veeqoctl runs the XoroERP <-> Veeqo integration from the command
// line, with the library's real defaults (SQLite state, SMTP mail) and an ERP
// kept in two files. XoroERP's developers and support staff use it to check a
// Veeqo key, find the channel and delivery-method names to map, dry-run
// filters, and run or inspect a sync without writing Go.
//
// Usage:
//
//	veeqoctl [--config veeqoctl.json] [--account NAME] COMMAND [flags]
//
// Commands: init, check, channels, warehouses, delivery-methods, products,
// sync, records, logs, resolve, unresolve, run, schedule, serve. `veeqoctl
// help` lists them and `veeqoctl COMMAND --help` shows a command's flags.
//
// # Configuration
//
// One JSON file (default ./veeqoctl.json) with a list of accounts, each with
// its Veeqo base URL, the name of the environment variable holding its API
// key (a key written in the file is accepted with a warning), the engine's
// settings (sync.Settings JSON), its state (an SQLite file, or a PostgreSQL
// DSN), SMTP settings, and its ERP files. Every problem of a bad config is
// reported at once, each naming its field; unknown fields are errors.
// `veeqoctl init` writes a starter config, a Markdown file explaining it, and
// sample files.
//
// # The ERP files
//
// The orders file is a JSON array of ERP orders, read again whenever it
// changes. The shipments file is JSON Lines, one applied shipment update per
// line keyed by the Veeqo shipment id; veeqoctl appends to it (O_APPEND,
// fsync per line) and an update whose key is already there changes nothing,
// so an update the engine offers again after a crash is not applied twice. An
// order's current data is the orders file with every shipments line applied.
//
// # Runs
//
// sync and run print a progress bar on a terminal (plain lines otherwise)
// and a summary; --json prints the run report as one JSON object on stdout.
// The first SIGINT/SIGTERM stops the run after the order in hand; a second
// stops it at once (an interrupted create is reconciled by number on the next
// run, never created twice). serve runs each account with auto_sync on when
// its schedule is due, under the account's lease, logging to stderr.
//
// Exit status: 0 ok, 1 failure (including a rejected API key and check
// problems), 2 usage or config error, 3 a sync in which some references
// failed, 130 interrupted.
package main
