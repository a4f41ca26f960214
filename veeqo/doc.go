// Package veeqo is a typed client for Veeqo's REST API (https://api.veeqo.com):
// orders, allocations, shipments, products and sellables, channels (stores),
// warehouses, delivery methods, customers and the current company.
//
// # Quick start
//
//	c, err := veeqo.New(apiKey)
//	if err != nil { ... }
//	if _, _, err := c.Company.Current(ctx); errors.Is(err, veeqo.ErrUnauthorized) { ... }
//	for o, err := range c.Orders.ListIter(ctx, &veeqo.OrderListOptions{UpdatedAtMin: since}) {
//		if err != nil { ... }
//		...
//	}
//
// Every call takes a context first. Single-record calls return (T, *Response,
// error); *Response embeds the *http.Response (its body already read and
// closed) and decodes the paging headers.
//
// # Authentication
//
// New(apiKey) sends the key as the x-api-key header. Apps installed through
// Veeqo's OAuth flow pass WithBearerToken(accessToken) instead (and may give
// New an empty key). Credentials are only ever sent in headers: they appear in
// no URL, error, log line or panic; as a belt-and-braces measure any error
// text or logged message that would contain one is redacted. Redirects to
// another host are not followed, so a header cannot leak there.
//
// WithBaseURL points the client elsewhere (a proxy, the veeqotest fake). It
// must be https; plain http is accepted only for loopback hosts. A path
// prefix (https://proxy.example/veeqo/) is kept.
//
// # Rate limits
//
// Veeqo allows 5 requests per second per key through a leaky bucket of 100
// and answers 429 (empty body, no Retry-After) when the bucket is full. The
// client paces itself with a golang.org/x/time/rate token bucket, by default
// at Veeqo's drain rate, DefaultRateLimit (5/s), with a burst of
// DefaultBurst (50, half of Veeqo's bucket): a client alone on the key runs
// at the full rate without a 429, and Veeqo's bucket never holds more than
// the burst. The pacing adapts: a 429 halves the limiter's rate (down to a
// thirty-second of the configured rate at most) and empties its bucket;
// each answer that is not a 429 raises the rate again by a two-hundredth of
// the configured rate, so one 429 costs about half a minute at a lower pace
// while Veeqo's bucket drains, and a client sharing the key with another
// caller settles below what the other leaves. Veeqo counts per key, not per
// client: give every client (in every goroutine) that shares a key the same
// limiter with WithLimiter, e.g. c2, _ := veeqo.New(key,
// veeqo.WithLimiter(c1.Limiter())), and they slow down and recover
// together. After a 429 the client also backs off before retrying. Waiting
// for the limiter ends with the context; a wait that would pass the
// context's deadline fails at once with an error matching
// context.DeadlineExceeded.
//
// # Retries and the POST rule
//
// Retries use hashicorp/go-retryablehttp with this package's own policy
// (WithRetryPolicy; MaxAttempts counts the first attempt, default 4):
//
//   - 429 is retried for every method: Veeqo refused the request, so it was
//     not applied.
//   - 5xx and transport errors are retried for GET, PUT and DELETE, which are
//     safe to repeat.
//   - A POST (create order, customer, shipment, allocation, note) is never
//     sent again once it may have reached Veeqo: after a timeout, a dropped
//     connection or a 5xx its outcome is unknown and the error matches
//     ErrOutcomeUnknown. Veeqo has no idempotency keys, so replaying it could
//     create a duplicate order. Look the record up first (for orders:
//     Orders.FindByNumber, by the number you sent) and create it again only
//     if it is absent. A POST whose connection failed before anything was sent
//     (connection refused, DNS) is retried.
//
// Waits use exponential backoff with jitter between MinBackoff and
// MaxBackoff; a Retry-After header, which Veeqo is not known to send, is
// honoured and clamped to MaxRetryAfter (30 s by default). Every wait ends
// when the context does. Each attempt is bounded by WithAttemptTimeout
// (default 60 s, from sending to reading the whole body, not counting the
// rate-limiter wait); a GET, PUT or DELETE whose attempt timed out is retried
// while the caller's context lives, a POST is not (outcome unknown).
//
// # Pagination
//
// List methods return one page and take Page and PageSize (the client always
// sends page_size: 100 unless told otherwise, Veeqo's maximum). The Response
// carries X-Total-Count, X-Total-Pages-Count, X-Page-Index and X-Per-Page
// (zero when absent, as on /channels) and NextPage. ListIter methods return
// an iter.Seq2 that streams every page: they copy the caller's options, stop
// on a short page (judged by X-Per-Page when Veeqo sends it, so a page it
// capped below the size asked for is not taken for the last) or at the page
// count, stop at the first error (yielding
// it), and stop when the loop breaks. Veeqo lists newest first, so records
// created while you page push older ones onto later pages: expect
// duplicates, dedupe by id, and prefer since_id / updated_at_min windows over
// deep paging. List filters that take times send them in UTC with an explicit
// zone ("YYYY-MM-DDTHH:MM:SSZ"): Veeqo does not document the zone of its
// zone-less format, and a wrong guess would skip hours of updates.
//
// Veeqo has no exact lookups; the Find methods page through its fuzzy
// ?query= results and filter exactly: Orders.FindByNumber (exact number, also
// among cancelled orders), Products.FindSellableBySKU and FindSellableByUPC
// (exact, case-sensitive), Customers.FindByEmail (case-insensitive).
//
// # Errors
//
// A non-2xx answer is an *APIError with the method, the URL (no credential),
// the status, Veeqo's error_messages (a string, an array or the
// {"status":404,"error":"Not Found"} shape, all flattened into Messages), a
// snippet of the body and the number of attempts. Match with errors.Is:
// ErrNotFound (404), ErrUnauthorized (401), ErrForbidden (403),
// ErrRateLimited (429 after every retry), ErrInvalidRequest (400, 422, or
// input the client refused to send), ErrServer (5xx) and ErrOutcomeUnknown
// (see above). A 2xx body that is not the expected JSON is a *DecodeError
// naming the endpoint; for a POST it also matches ErrOutcomeUnknown, as does
// a create answered without the new record's id. Bodies are read through a size limit
// (WithMaxResponseBytes, default 32 MiB).
//
// # Decoding
//
// Veeqo sends null for almost anything and is loose with types: money is
// decoded into decimal.Decimal from a number, a string or null; a
// shipment's tracking_number and carrier may be an object, a bare string or
// null; remote_id and Amazon marketplace/seller ids may be strings or
// numbers. Fields the types do not name are ignored.
//
// # Logging
//
// The client is silent unless given a logger (WithLogger). With one it writes
// a debug line per HTTP attempt (method, path, status, attempt, duration) and
// one per retry decision; never a header, a body or a credential.
//
// The fake server in package veeqotest behaves like Veeqo (its lists,
// headers, error shapes and rate limit) for tests and examples.
package veeqo
