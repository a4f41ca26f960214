package sync

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/xoroerp/veeqoconnect/mapping"
	"github.com/xoroerp/veeqoconnect/store"
	"github.com/xoroerp/veeqoconnect/veeqo"
)

// exportPass exports the eligible ERP orders: first it reconciles claims
// left in doubt by an earlier run, then walks the ERP's candidates.
func (r *run) exportPass(ctx context.Context) {
	e := r.e
	refs := r.refsSet()
	if !r.opts.DryRun {
		r.reconcileLeftovers(ctx, refs)
		// Creates this pass left in doubt are settled together, with one
		// walk of the order list, once the candidates are done.
		defer r.settleOwnDoubts(ctx)
	}
	if r.stopped(ctx) {
		return
	}
	q := CandidateQuery{From: r.opts.From, To: r.opts.To, Search: r.opts.Search, Refs: slices.Clone(r.opts.Refs)}
	if !e.settings.StartDate.IsZero() {
		q.Since = e.settings.StartDate.In(e.loc).UTC()
	}
	seen := map[string]bool{}
	book := newBatchBook()
	for o, err := range r.readAhead(ctx, e.cfg.ERP.Candidates(ctx, q), book) {
		if ctx.Err() != nil {
			return
		}
		if oe := (*OrderError)(nil); errors.As(err, &oe) && oe.Ref != "" && oe.Err != nil {
			// One order the ERP cannot read: its own error; the others go on.
			if !seen[oe.Ref] {
				seen[oe.Ref] = true
				r.failRef(ctx, ProcessExport, oe.Ref, oe.Err.Error(), 0)
			}
			continue
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			r.logEntry(ctx, store.LevelError, ProcessExport, "", "reading export candidates from the ERP failed: "+err.Error())
			r.fail(fmt.Errorf("vsync: ERP candidates: %w", err))
			return
		}
		if seen[o.Ref] {
			continue
		}
		seen[o.Ref] = true
		r.exportOne(ctx, o, book)
		if r.stopped(ctx) {
			return
		}
	}
	for _, ref := range r.opts.Refs {
		if !seen[ref] && !r.opts.DryRun {
			seen[ref] = true
			if ex, err := e.cfg.Store.GetExport(ctx, e.cfg.Account, ref); err == nil && ex.State == store.ExportExported {
				continue // confirmations of exported refs are looked at by confirmPass
			}
			r.failRef(ctx, ProcessExport, ref, fmt.Sprintf("order %s was not found in the ERP", ref), 0)
		}
	}
}

// reconcileLeftovers settles every claim whose outcome is unknown (a crash
// or a timeout after the POST) before any new create, a batch at a time,
// each batch with one walk of Veeqo's order list (see settleDoubts).
func (r *run) reconcileLeftovers(ctx context.Context, refs map[string]bool) {
	e := r.e
	after := ""
	for {
		list, err := e.cfg.Store.ListExports(ctx, store.ExportQuery{Account: e.cfg.Account,
			States: []store.ExportState{store.ExportClaimed, store.ExportUnknown}, AfterRef: after, Limit: 200})
		if err != nil {
			r.fail(fmt.Errorf("vsync: list unfinished exports: %w", err))
			return
		}
		var batch []store.Export
		for _, ex := range list {
			after = ex.ERPRef
			if refs == nil || refs[ex.ERPRef] {
				batch = append(batch, ex)
			}
		}
		if r.stopped(ctx) {
			return
		}
		r.settleDoubts(ctx, batch, nil)
		if len(list) < 200 {
			return
		}
	}
}

// settleOwnDoubts settles the creates this pass left in doubt. When the run
// is stopping it cannot ask Veeqo: each is recorded as in doubt, and the
// next run settles it.
func (r *run) settleOwnDoubts(ctx context.Context) {
	if len(r.doubts) == 0 {
		return
	}
	batch := r.doubts
	r.doubts = nil
	if ctx.Err() == nil && r.runErr == nil {
		r.settleDoubts(ctx, batch, nil)
		return
	}
	bg := context.WithoutCancel(ctx)
	for _, ex := range batch {
		r.failRef(bg, ProcessExport, ex.ERPRef, fmt.Sprintf("outcome of the create is unknown (%s); it will be looked up by number %s in Veeqo's order list before any new create", ex.LastError, ex.Number), 0)
	}
}

// ours splits the orders a lookup by number found into those this account
// can have created for an ERP order (on channelID, and with email when
// Veeqo returns a customer email), oldest first, and the others. An order
// whose channel Veeqo leaves out is judged by the email alone.
func ours(found []veeqo.Order, channelID int64, email string) (mine, foreign []veeqo.Order) {
	for _, f := range found {
		switch {
		case f.Channel != nil && f.Channel.ID != 0 && f.Channel.ID != channelID:
			foreign = append(foreign, f)
		case email != "" && f.Customer != nil && strings.TrimSpace(f.Customer.Email) != "" &&
			!strings.EqualFold(strings.TrimSpace(f.Customer.Email), email):
			foreign = append(foreign, f)
		default:
			mine = append(mine, f)
		}
	}
	slices.SortFunc(mine, func(a, b veeqo.Order) int { return cmp.Compare(a.ID, b.ID) })
	return mine, foreign
}

// describeForeign names same-number orders that are not ours.
func describeForeign(foreign []veeqo.Order) string {
	parts := make([]string, len(foreign))
	for i, f := range foreign {
		where := "another channel"
		if f.Channel != nil && f.Channel.Name != "" {
			where = fmt.Sprintf("channel %q", f.Channel.Name)
		}
		parts[i] = fmt.Sprintf("Veeqo order %d on %s", f.ID, where)
	}
	return "same number but not this account's order: " + strings.Join(parts, ", ")
}

// orderEmail is the email an export sends as the customer's.
func orderEmail(o ERPOrder) string {
	if email := strings.TrimSpace(o.Customer.Email); email != "" {
		return email
	}
	return strings.TrimSpace(o.ShipTo.Email)
}

// exportOne exports one ERP order, as the export flow goes: look at its
// earlier export (settling one in doubt), filter, build, claim, create.
// book is what the pass knows of its batch's exports and customers.
func (r *run) exportOne(ctx context.Context, o ERPOrder, book *batchBook) {
	ex, have, ok := r.priorExport(ctx, o, book)
	if !ok || !r.passesFilter(ctx, o) {
		return
	}
	in, links, warns, err := r.buildOrder(ctx, o, book)
	if err != nil {
		if ctx.Err() == nil {
			// The same mapping error on every run is one log line and one
			// notification, not one per run; the record counts the attempts.
			r.note(ctx, entry{process: ProcessExport, ref: o.Ref, status: store.RecordError, msg: "not exported: " + err.Error(), failed: true, once: onceRecount})
		}
		return
	}
	if r.opts.DryRun {
		msg := fmt.Sprintf("would export to channel %d with %d lines", in.ChannelID, len(in.LineItems))
		if len(warns) > 0 {
			msg += "; " + joinWarnings(warns)
		}
		r.outcome(Outcome{Process: ProcessExport, Reference: o.Ref, Status: store.RecordPending, Message: msg})
		return
	}
	if ctx.Err() != nil {
		return
	}
	if ex, ok = r.claim(ctx, o, ex, have, in.Number, links); !ok {
		return
	}
	if ctx.Err() != nil {
		// Claimed but not sent: the next run finds it and settles it
		// (nothing in Veeqo, so it is created then).
		return
	}
	if !r.holdsLease(ctx) {
		// Another process may hold the account and have settled this claim
		// already: send nothing; the claim is settled from Veeqo's list.
		return
	}
	r.create(ctx, o, ex, in, warns, book)
}

// priorExport reads the ERP order's export, if any, and reports whether to
// go on: not when it is exported already (noted in a run of references),
// or when it is in doubt and stays so (a dry run only notes it). An export
// in doubt that Veeqo's order list settles as absent is returned ready to
// be created again. The export is the one the batch's prefetch read (book),
// else read now.
func (r *run) priorExport(ctx context.Context, o ERPOrder, book *batchBook) (ex store.Export, have, ok bool) {
	e := r.e
	ex, have, read := book.takeExport(o.Ref)
	var err error
	switch {
	case read && !have:
		err = store.ErrNotFound
	case !read:
		ex, err = e.cfg.Store.GetExport(ctx, e.cfg.Account, o.Ref)
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.Export{}, false, true
	case err != nil:
		r.failRef(ctx, ProcessExport, o.Ref, "reading the export state failed: "+err.Error(), 0)
		return ex, true, false
	}
	switch ex.State {
	case store.ExportExported:
		if len(r.opts.Refs) > 0 {
			r.outcome(Outcome{Process: ProcessExport, Reference: o.Ref, Status: store.RecordSuccess,
				Message: fmt.Sprintf("already exported as Veeqo order %d", ex.VeeqoOrderID), VeeqoOrderID: ex.VeeqoOrderID})
		}
		return ex, true, false
	case store.ExportClaimed, store.ExportUnknown:
		if r.opts.DryRun {
			r.outcome(Outcome{Process: ProcessExport, Reference: o.Ref, Status: store.RecordPending, Message: "earlier export in doubt; a real run reconciles it by number"})
			return ex, true, false
		}
		if r.looked[o.Ref] {
			return ex, true, false // looked up this run and still in doubt (or failed to look)
		}
		nex, ready := r.settleDoubts(ctx, []store.Export{ex}, map[string]*ERPOrder{o.Ref: &o})[o.Ref]
		return nex, true, ready
	}
	return ex, true, true
}

// passesFilter applies the filter rows; a skipped order is recorded with
// the row that rejected it, logged once.
func (r *run) passesFilter(ctx context.Context, o ERPOrder) bool {
	v := r.e.exportFilter.Explain(o)
	if v.Pass {
		return true
	}
	r.rep.Skipped++
	r.note(ctx, entry{process: ProcessExport, ref: o.Ref, status: store.RecordSkipped, msg: "filtered out: " + v.Reason, once: onceQuiet})
	return false
}

// claim writes the write-ahead claim: nothing is sent to Veeqo unless this
// row exists. It reports false when the order must not be created now (the
// claim failed, or another run claimed it meanwhile).
func (r *run) claim(ctx context.Context, o ERPOrder, ex store.Export, have bool, number string, links []store.LineLink) (store.Export, bool) {
	e := r.e
	if !have {
		claimed, inserted, err := e.cfg.Store.ClaimExport(ctx, store.Export{Account: e.cfg.Account, ERPRef: o.Ref, Number: number,
			State: store.ExportClaimed, Attempts: 1, Lines: links})
		if err != nil {
			r.failRef(ctx, ProcessExport, o.Ref, "could not claim the export: "+err.Error(), 0)
			return ex, false
		}
		if !inserted {
			// Claimed meanwhile by someone else: leave it to its owner or
			// to the next run's reconcile.
			r.logEntry(ctx, store.LevelWarning, ProcessExport, o.Ref, fmt.Sprintf("export already claimed (state %s); left for reconcile", claimed.State))
			return ex, false
		}
		return claimed, true
	}
	ex.State, ex.Number, ex.Lines, ex.LastError = store.ExportClaimed, number, links, ""
	ex.Attempts++
	ex, err := e.cfg.Store.UpdateExport(ctx, ex)
	if err != nil {
		r.failRef(ctx, ProcessExport, o.Ref, "could not claim the export: "+err.Error(), 0)
		return ex, false
	}
	return ex, true
}

// create sends the claimed order to Veeqo and settles the claim: linked on
// success, failed when Veeqo refused it (nothing was created), in doubt
// otherwise (settled with the pass's other doubts from Veeqo's order list,
// settleOwnDoubts, never by creating again now).
func (r *run) create(ctx context.Context, o ERPOrder, ex store.Export, in *veeqo.OrderInput, warns []string, book *batchBook) {
	e := r.e
	created, err := e.cfg.Veeqo.CreateOrder(ctx, in)
	bg := context.WithoutCancel(ctx)
	if err == nil && created != nil {
		email := o.Customer.Email
		if in.CustomerID != 0 && in.CustomerID == createdCustomer(created) && email == orderEmail(o) {
			// Sent by the id the cache gave for this email: the cache
			// has it already, so no write.
			email = ""
		}
		if email != "" {
			book.forgetCustomer(email)
		}
		r.complete(bg, ex, created, warns, email)
		return
	}
	if err == nil {
		err = errors.New("no order in the answer to the create")
	}
	if refused(err) && ctx.Err() == nil {
		ex.State = store.ExportFailed
		ex.LastError = e.scrub(err.Error())
		if _, uerr := e.cfg.Store.UpdateExport(bg, ex); uerr != nil {
			e.log.Warn("vsync: update export", "ref", o.Ref, "err", uerr)
		}
		r.failRef(bg, ProcessExport, o.Ref, "Veeqo refused the order: "+err.Error(), 0)
		if errors.Is(err, veeqo.ErrUnauthorized) || errors.Is(err, veeqo.ErrForbidden) {
			r.fail(fmt.Errorf("vsync: Veeqo refused the credentials: %w", err))
		}
		return
	}
	ex.State = store.ExportUnknown
	ex.LastError = e.scrub(err.Error())
	if nex, uerr := e.cfg.Store.UpdateExport(bg, ex); uerr != nil {
		e.log.Warn("vsync: update export", "ref", o.Ref, "err", uerr)
	} else {
		ex = nex
	}
	r.doubts = append(r.doubts, ex)
}

// refused reports whether Veeqo certainly did not create anything: a 4xx
// answer (or input refused before sending), never an unknown outcome.
func refused(err error) bool {
	if errors.Is(err, veeqo.ErrOutcomeUnknown) {
		return false
	}
	var ae *veeqo.APIError
	if errors.As(err, &ae) {
		return ae.StatusCode >= 400 && ae.StatusCode < 500
	}
	return errors.Is(err, veeqo.ErrInvalidRequest) || errors.Is(err, veeqo.ErrRateLimited) ||
		errors.Is(err, veeqo.ErrUnauthorized) || errors.Is(err, veeqo.ErrForbidden) || errors.Is(err, veeqo.ErrNotFound)
}

// complete links an export to its Veeqo order: the id, the line links, the
// record and the log land in one store transaction. The customer's id is
// cached for email, unless email is empty.
func (r *run) complete(ctx context.Context, ex store.Export, o *veeqo.Order, warns []string, email string) (store.Export, bool) {
	e := r.e
	ctx = context.WithoutCancel(ctx)
	ex.State = store.ExportExported
	ex.VeeqoOrderID = o.ID
	ex.ExportedAt = e.clock()
	ex.LastError = ""
	ex.Lines = linkLines(ex.Lines, o.LineItems)
	status := store.RecordSuccess
	msg := fmt.Sprintf("exported as Veeqo order %d (number %s)", o.ID, o.Number)
	if len(warns) > 0 {
		status = store.RecordWarning
		msg += "; " + joinWarnings(warns)
	}
	msg = e.scrub(msg)
	now := e.clock()
	// The log line and each warning land with the link, in its write; the
	// warnings are notified once it has landed, with the Seqs it gave them.
	logs := make([]store.LogEntry, 0, 1+len(warns))
	logs = append(logs, store.LogEntry{Time: now, Account: e.cfg.Account, RunID: r.id, Process: ProcessExport, Level: store.LevelInfo, Reference: ex.ERPRef,
		Message: fmt.Sprintf("exported as Veeqo order %d (number %s)", o.ID, o.Number)})
	for _, w := range warns {
		logs = append(logs, store.LogEntry{Time: now, Account: e.cfg.Account, RunID: r.id, Process: ProcessExport, Level: store.LevelWarning, Reference: ex.ERPRef,
			Message: e.scrub(w)})
	}
	nex, appended, err := e.cfg.Store.CompleteExport(ctx, ex,
		store.RecordUpdate{Account: e.cfg.Account, Process: ProcessExport, Reference: ex.ERPRef, Status: status, Message: msg,
			VeeqoOrderID: o.ID, RunID: r.id, At: now, CountAttempt: true},
		logs...)
	if err != nil {
		// The order exists in Veeqo but the link did not land: the claim
		// stays in doubt and the next run links it by number.
		r.failRef(ctx, ProcessExport, ex.ERPRef, fmt.Sprintf("created Veeqo order %d but could not record it (%v); the next run links it by number", o.ID, err), o.ID)
		return ex, false
	}
	r.rep.Exported++
	r.rep.Warnings += len(warns)
	r.outcome(Outcome{Process: ProcessExport, Reference: ex.ERPRef, Status: status, Message: msg, VeeqoOrderID: o.ID})
	if len(appended) == len(logs) {
		logs = appended
	}
	for _, l := range logs[1:] {
		r.notify(ctx, l)
	}
	if email != "" && o.Customer != nil && o.Customer.ID != 0 {
		if err := e.cfg.Store.PutCustomerID(ctx, e.cfg.Account, email, o.Customer.ID); err != nil {
			e.log.Warn("vsync: cache customer", "err", err)
		}
	}
	return nex, true
}

// createdCustomer is the id of the customer Veeqo gave a created order, or
// 0.
func createdCustomer(o *veeqo.Order) int64 {
	if o.Customer == nil {
		return 0
	}
	return o.Customer.ID
}

// linkLines fills each link's Veeqo line item id by matching sellables in
// line order.
func linkLines(links []store.LineLink, items []veeqo.LineItem) []store.LineLink {
	out := slices.Clone(links)
	used := make([]bool, len(items))
	for i := range out {
		for j, it := range items {
			if used[j] || it.Sellable == nil || it.Sellable.ID != out[i].SellableID {
				continue
			}
			used[j] = true
			out[i].VeeqoLineItemID = it.ID
			break
		}
	}
	return out
}

// buildOrder maps an ERP order to a Veeqo order input. It returns the line
// links to remember and the warnings (default-SKU substitutions), or an
// error that names what cannot be mapped.
func (r *run) buildOrder(ctx context.Context, o ERPOrder, book *batchBook) (*veeqo.OrderInput, []store.LineLink, []string, error) {
	e := r.e
	var warns, problems []string
	ch, err := e.channelFor(ctx, o.Store)
	if err != nil {
		problems = append(problems, err.Error())
	}
	dm, err := e.deliveryMethodFor(ctx, o.Store, o.ShipService)
	if err != nil {
		problems = append(problems, err.Error())
	}
	if o.Carrier != "" && e.tables.Carriers.Len() > 0 {
		if res, err := e.tables.Carriers.ToVeeqo(o.Store, o.Carrier); err != nil || res.PassedThrough {
			warns = append(warns, fmt.Sprintf("carrier %q is not in carrier_mapping; Veeqo picks the carrier when shipping", o.Carrier))
		}
	}
	in := &veeqo.OrderInput{ChannelID: ch.ID, Number: strings.TrimSpace(o.Number), DeliveryMethodID: dm}
	if in.Number == "" {
		in.Number = o.Ref
	}
	lines, links, lineWarns, lineProblems, err := r.orderLines(ctx, o)
	if err != nil {
		return nil, nil, warns, err
	}
	in.LineItems = lines
	warns, problems = append(warns, lineWarns...), append(problems, lineProblems...)
	if len(in.LineItems) == 0 && len(problems) == 0 {
		problems = append(problems, "the order has no open line to export")
	}
	email := orderEmail(o)
	if email == "" {
		problems = append(problems, "the customer has no email address")
	}
	if len(problems) > 0 {
		return nil, nil, warns, errors.New(strings.Join(problems, "; "))
	}
	if err := r.addParties(ctx, in, o, email, book); err != nil {
		return nil, nil, warns, err
	}
	return in, links, warns, nil
}

// orderLines resolves the ERP order's open lines to Veeqo sellables by the
// item identifier, with the default SKU as the fallback (mapping.Resolver:
// one exact lookup per distinct identifier, or one catalogue read when that
// is cheaper). It returns the line items and their links, a warning per
// default-SKU substitution, a problem per line that cannot be mapped, and an
// error when the resolver cannot be built.
func (r *run) orderLines(ctx context.Context, o ERPOrder) ([]veeqo.LineItemInput, []store.LineLink, []string, []string, error) {
	open := make([]ERPLine, 0, len(o.Lines))
	lines := make([]mapping.Line, 0, len(o.Lines))
	for i, l := range o.Lines {
		if l.Ref == "" {
			l.Ref = fmt.Sprint(i + 1)
		}
		if l.Closed || l.Quantity-l.Shipped <= 0 {
			continue
		}
		open = append(open, l)
		lines = append(lines, l.mappingLine())
	}
	items := r.e.boundMapper().Items
	var warns, problems []string
	resolved, err := items.Resolve(ctx, lines)
	if err != nil {
		var lineErrs []*mapping.LineError
		for _, x := range unwrapAll(err) {
			var le *mapping.LineError
			if errors.As(x, &le) {
				lineErrs = append(lineErrs, le)
			}
		}
		if len(lineErrs) == 0 {
			problems = append(problems, fmt.Sprintf("looking up the order's items in Veeqo failed: %v", err))
		}
		for _, le := range lineErrs {
			problems = append(problems, fmt.Sprintf("line %s: %s", le.Ref, strings.TrimPrefix(le.Reason, "line ")))
		}
	}
	byRef := make(map[string]mapping.ResolvedLine, len(resolved))
	for _, rl := range resolved {
		byRef[rl.Ref] = rl
	}
	out := make([]veeqo.LineItemInput, 0, len(resolved))
	links := make([]store.LineLink, 0, len(resolved))
	for _, l := range open {
		rl, ok := byRef[l.Ref]
		if !ok {
			continue
		}
		qty := l.Quantity - l.Shipped
		li := veeqo.LineItemInput{SellableID: rl.Sellable.ID, Quantity: qty, PricePerUnit: l.UnitPrice}
		if !l.TaxRate.IsZero() {
			tr := l.TaxRate
			li.TaxRate = &tr
		}
		if rl.Substitution != nil {
			warns = append(warns, fmt.Sprintf("line %s: %s; default SKU %q used", l.Ref, strings.TrimPrefix(rl.Substitution.Reason, "line "), rl.Substitution.DefaultSKU))
			if l.Description != "" {
				li.AdditionalOptions = l.Description
			}
		}
		out = append(out, li)
		links = append(links, store.LineLink{ERPLine: l.Ref, SellableID: rl.Sellable.ID, SKU: rl.Sellable.SKUCode, Quantity: qty, Substituted: rl.Substitution != nil})
	}
	return out, links, warns, problems, nil
}

// addParties fills the order's customer (by id when Veeqo knows the email,
// else inline), addresses, delivery cost, payment and note.
func (r *run) addParties(ctx context.Context, in *veeqo.OrderInput, o ERPOrder, email string, book *batchBook) error {
	cid, err := r.customerID(ctx, email, book)
	if err != nil {
		return err
	}
	ship := veeqoAddress(o.ShipTo, o.Customer)
	if cid != 0 {
		in.CustomerID = cid
	} else {
		bill := veeqoAddress(o.BillTo, o.Customer)
		if bill.Address1 == "" {
			bill = ship
		}
		in.Customer = &veeqo.CustomerInput{Email: email, Phone: o.Customer.Phone, CustomerType: "retail", BillingAddress: &bill}
	}
	in.DeliverTo = &ship
	if !o.DeliveryCost.IsZero() {
		dc := o.DeliveryCost
		in.DeliveryCost = &dc
	}
	in.Payment = &veeqo.Payment{PaymentType: veeqo.PaymentNone, ReferenceNumber: o.Number}
	if o.Notes != "" {
		in.CustomerNote = &veeqo.NoteInput{Text: o.Notes}
	}
	return nil
}

// customerID returns the Veeqo customer id for an email: from the store's
// cache, else by an exact lookup in Veeqo (then cached), else 0 (the order
// creates the customer inline and its id is cached after the create). An
// email the batch's read of Veeqo's customer list found is in the cache
// already; one it showed absent (book) is 0 without a lookup. What the
// cache says is read once per batch (book).
func (r *run) customerID(ctx context.Context, email string, book *batchBook) (int64, error) {
	e := r.e
	if id, ok := r.dryCustomers[email]; ok && r.opts.DryRun {
		return id, nil // a dry run caches in memory what a run caches in the store
	}
	if id, ok := book.customer(email); ok {
		return id, nil
	}
	id, err := e.cfg.Store.CustomerID(ctx, e.cfg.Account, email)
	if err == nil && id != 0 {
		book.rememberCustomer(email, id)
		return id, nil
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return 0, fmt.Errorf("customer cache: %w", err)
	}
	if book.takeAbsent(email) {
		return 0, nil
	}
	c, err := e.cfg.Veeqo.FindCustomerByEmail(ctx, email)
	if errors.Is(err, veeqo.ErrNotFound) || (err == nil && c == nil) {
		r.cacheDryCustomer(email, 0)
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("looking up customer %s in Veeqo failed: %w", email, err)
	}
	r.cacheDryCustomer(email, c.ID)
	if !r.opts.DryRun {
		if err := e.cfg.Store.PutCustomerID(context.WithoutCancel(ctx), e.cfg.Account, email, c.ID); err != nil {
			e.log.Warn("vsync: cache customer", "err", err)
		} else {
			book.rememberCustomer(email, c.ID)
		}
	}
	return c.ID, nil
}

// cacheDryCustomer remembers a dry run's customer lookup (0: not in Veeqo,
// which a real run's first create would settle), so the run looks each
// email up once, as a real run does through the store's cache.
func (r *run) cacheDryCustomer(email string, id int64) {
	if !r.opts.DryRun {
		return
	}
	if r.dryCustomers == nil {
		r.dryCustomers = map[string]int64{}
	}
	r.dryCustomers[email] = id
}

func veeqoAddress(a Address, c Customer) veeqo.Address {
	out := veeqo.Address{FirstName: a.FirstName, LastName: a.LastName, Company: a.Company, Address1: a.Address1, Address2: a.Address2,
		City: a.City, State: a.State, Zip: a.Zip, Country: a.Country, Phone: a.Phone, Email: a.Email}
	if out.FirstName == "" && out.LastName == "" && c.Name != "" {
		first, last, _ := strings.Cut(strings.TrimSpace(c.Name), " ")
		out.FirstName, out.LastName = first, last
	}
	if out.Phone == "" {
		out.Phone = c.Phone
	}
	if out.Email == "" {
		out.Email = c.Email
	}
	return out
}

// unwrapAll flattens joined errors.
func unwrapAll(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, x := range j.Unwrap() {
			out = append(out, unwrapAll(x)...)
		}
		return out
	}
	return []error{err}
}
