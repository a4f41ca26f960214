// Package ops is the Operations page of the integration as an
// http.Handler a host mounts in its own admin (the way River ships
// riverui): accounts, settings, "Sync now", the Orders records with Run /
// Mark as Resolved / Mark as Unresolved, the orders pending export, the
// previous runs and the log, each as a server-rendered HTML page and as a
// JSON route under api/ over the same code.
//
// Mount it under any prefix with http.StripPrefix; every link, form and
// redirect in it is relative:
//
//	h, err := ops.NewHandler(ops.Options{
//		Accounts:     []ops.Account{{Config: engineConfig}},
//		Authenticate: hostAuth, // yields the user of each request
//	})
//	mux.Handle("/admin/veeqo/", http.StripPrefix("/admin/veeqo", h))
//
// Security: Authenticate is required (a build without it fails unless
// InsecureDevelopmentNoAuth is set); the user it yields is recorded on
// resolve, unresolve, settings changes, mode switches and manual runs.
// State-changing requests are refused cross-origin
// (http.CrossOriginProtection); bodies are size-limited; every page has a
// Content-Security-Policy without inline script; control and
// bidirectional-override characters in references and messages are shown
// as ⟨U+XXXX⟩. API keys are write-only and never appear in a response.
//
// JSON routes (ACCOUNT is path-escaped):
//
//	GET    api/accounts                         list
//	POST   api/accounts                         add {name, base_url, api_key}
//	PATCH  api/accounts/ACCOUNT                 change {base_url, api_key}
//	DELETE api/accounts/ACCOUNT?confirm=ACCOUNT remove with all its state
//	GET    api/accounts/ACCOUNT/records         ?process= &status= &errors_only= &hide_resolved= &search= &from= &to= &after= &limit=
//	POST   api/accounts/ACCOUNT/records/ACTION  run|resolve|unresolve {records: [{process, reference}], note}
//	GET    api/accounts/ACCOUNT/pending         ?reason= &search= &from= &to= &limit=
//	GET    api/accounts/ACCOUNT/runs            ?status= &before= &limit=
//	GET    api/accounts/ACCOUNT/runs/ID         the run, its records and log lines
//	GET    api/accounts/ACCOUNT/logs            ?level= &process= &run= &reference= &search= &from= &to= &hide_resolved= &before= &limit=
//	GET    api/accounts/ACCOUNT/settings
//	PUT    api/accounts/ACCOUNT/settings        a sync.Settings document; 422 lists problems by field
//	POST   api/accounts/ACCOUNT/mode            {to, reason}
//	GET    api/accounts/ACCOUNT/sync            manual runs started here
//	POST   api/accounts/ACCOUNT/sync            start one {from, to, search, refs, dry_run}; 202
//	GET    api/accounts/ACCOUNT/sync/JOB        its progress and result
//	POST   api/accounts/ACCOUNT/sync/JOB/cancel
//
// Errors are {"error": "...", "fields": [{"field", "problem"}]} with a
// 4xx status naming what is wrong.
package ops
