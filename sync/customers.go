package sync

import (
	"context"
	"iter"
	"strings"

	"github.com/xoroerp/veeqoconnect/mapping"
	"github.com/xoroerp/veeqoconnect/store"
	"github.com/xoroerp/veeqoconnect/veeqo"
)

// The export's customers and items, a batch of candidates at a time: the
// emails the store's cache does not know are matched against one read of
// Veeqo's customer list when that costs fewer calls than looking each one
// up (customerID then looks up only what the read could not settle), and
// the batch's item identifiers go to the item resolver's Prefetch, which
// makes the same choice for the catalogue.

// exportReadAhead is how many export candidates are read from the ERP ahead
// of their export, so that their customers and items are settled together:
// what a pass holds in memory beyond the order in hand.
const exportReadAhead = 200

// minCustomerPreload is the fewest unknown emails worth a count: with
// fewer, a count and a page never cost less than the lookups.
const minCustomerPreload = 3

// maxCustomerPages is where Veeqo's paging of /customers stops: with
// page_size=100 the page count is capped at 100 and later pages repeat page
// 100, so a list of more customers is never read whole.
const maxCustomerPages = 100

// batchBook is what an export pass learned, for the batch of candidates
// being exported, about their earlier exports (from the store) and their
// customers (from Veeqo's customer list).
type batchBook struct {
	// exports are the batch's earlier exports as prefetch read them, by
	// ERP reference: each is taken once, by the export of its order, which
	// then does not read it again (see takeExport).
	exports map[string]priorRead
	// customers are the customer ids of the batch's emails (folded) as the
	// store's cache gave them or this pass cached them, so that the batch
	// reads each email's once. An email whose cached id a create replaces
	// is forgotten (forgetCustomer) and read again.
	customers map[string]int64
	// absent are the batch's emails (folded) that a whole listing did not
	// have: the order creates the customer inline, without a lookup.
	absent map[string]bool
	// total is Veeqo's customer count as this pass last read it, -1 before
	// (or when Veeqo did not say).
	total int
}

func newBatchBook() *batchBook { return &batchBook{total: -1} }

// priorRead is one reference's export as the batch's prefetch read it:
// have is false when the store had none.
type priorRead struct {
	ex   store.Export
	have bool
}

// readExports reads the earlier exports of the batch's candidates with one
// query. When it fails, the book knows none of them, and each order's
// export reads its own.
func (b *batchBook) readExports(ctx context.Context, e *Engine, batch []candidate) {
	b.exports = make(map[string]priorRead, len(batch))
	refs := make([]string, 0, len(batch))
	for _, c := range batch {
		if c.err == nil && c.o.Ref != "" {
			if _, dup := b.exports[c.o.Ref]; !dup {
				b.exports[c.o.Ref] = priorRead{}
				refs = append(refs, c.o.Ref)
			}
		}
	}
	if len(refs) == 0 {
		return
	}
	found, err := e.cfg.Store.ListExports(ctx, store.ExportQuery{Account: e.cfg.Account, Refs: refs, Limit: len(refs)})
	if err != nil {
		if ctx.Err() == nil {
			e.log.Warn("vsync: read the batch's exports; reading them one by one", "err", err)
		}
		clear(b.exports)
		return
	}
	for _, ex := range found {
		if _, want := b.exports[ex.ERPRef]; want {
			b.exports[ex.ERPRef] = priorRead{ex: ex, have: true}
		}
	}
}

// takeExport returns the export of ref as the batch's prefetch read it, and
// forgets it; ok is false when the prefetch did not read it (or failed to),
// and the caller reads it itself. A read made before the batch's first
// export is as good as one made just before the order's own: no other
// order's export writes this reference's row, and the claim that follows
// is an insert-if-absent or a compare-and-set on the version read, so a
// row another process wrote meanwhile is never overwritten.
func (b *batchBook) takeExport(ref string) (ex store.Export, have, ok bool) {
	if b == nil {
		return store.Export{}, false, false
	}
	p, ok := b.exports[ref]
	if !ok {
		return store.Export{}, false, false
	}
	delete(b.exports, ref)
	return p.ex, p.have, true
}

// takeAbsent reports whether the batch's listing showed Veeqo has no
// customer with email, and forgets it: the order that asks creates the
// customer inline, and a later order of the batch with the same email finds
// its id in the store's cache (or, if that create failed or is in doubt,
// looks it up), so one email never makes two customers.
func (b *batchBook) takeAbsent(email string) bool {
	if b == nil {
		return false
	}
	key := foldEmail(email)
	if !b.absent[key] {
		return false
	}
	delete(b.absent, key)
	return true
}

// customer returns the id the batch knows for email (see customers).
func (b *batchBook) customer(email string) (int64, bool) {
	if b == nil {
		return 0, false
	}
	id, ok := b.customers[foldEmail(email)]
	return id, ok
}

// rememberCustomer notes the id the store's cache has for email.
func (b *batchBook) rememberCustomer(email string, id int64) {
	if b == nil || id == 0 {
		return
	}
	if b.customers == nil {
		b.customers = map[string]int64{}
	}
	b.customers[foldEmail(email)] = id
}

// forgetCustomer drops what the batch knows of email's id: the store's
// cache is about to be written.
func (b *batchBook) forgetCustomer(email string) {
	if b != nil {
		delete(b.customers, foldEmail(email))
	}
}

// foldEmail is the key emails are matched by, as FindCustomerByEmail
// matches them: trimmed, case-insensitive.
func foldEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// readAhead yields seq's candidates in order, reading up to exportReadAhead
// of them ahead of the consumer: before the first of each batch is yielded,
// the batch's customers are settled (prefetchCustomers). Errors are yielded
// in their place; the ERP's iterator ends after an error that stops the
// pass, so what was read before it is exported first.
func (r *run) readAhead(ctx context.Context, seq iter.Seq2[ERPOrder, error], book *batchBook) iter.Seq2[ERPOrder, error] {
	return func(yield func(ERPOrder, error) bool) {
		batch := make([]candidate, 0, exportReadAhead)
		flush := func() bool {
			r.prefetch(ctx, batch, book)
			for _, c := range batch {
				if !yield(c.o, c.err) {
					return false
				}
			}
			batch = batch[:0]
			return true
		}
		for o, err := range seq {
			batch = append(batch, candidate{o, err})
			if len(batch) >= exportReadAhead && !flush() {
				return
			}
		}
		flush()
	}
}

// candidate is one export candidate as the ERP yields it.
type candidate struct {
	o   ERPOrder
	err error
}

// prefetch prepares a batch of candidates for export: their earlier
// exports are read into the book with one query (each order's export takes
// its own), and
// the customers and the items of those still to export that the filter rows
// pass are settled together. An order exported earlier (still a candidate
// until it ships) needs neither, so it does not count towards reading a
// list.
func (r *run) prefetch(ctx context.Context, batch []candidate, book *batchBook) {
	e := r.e
	orders := make([]ERPOrder, 0, len(batch))
	book.customers = nil
	book.readExports(ctx, e, batch)
	for _, c := range batch {
		if c.err != nil || !e.exportFilter.Explain(c.o).Pass {
			continue
		}
		if p, ok := book.exports[c.o.Ref]; ok && p.have && p.ex.State == store.ExportExported {
			continue
		}
		orders = append(orders, c.o)
	}
	r.prefetchCustomers(ctx, orders, book)
	r.prefetchItems(ctx, orders)
}

// prefetchItems hands the batch's open lines to the item resolver, which
// reads Veeqo's catalogue once when that takes fewer calls than looking the
// identifiers it does not know up one by one (mapping.Resolver.Prefetch).
// A failed read leaves the lines to those lookups.
func (r *run) prefetchItems(ctx context.Context, orders []ERPOrder) {
	var lines []mapping.Line
	for _, o := range orders {
		for _, l := range o.Lines {
			if !l.Closed && l.Quantity-l.Shipped > 0 {
				lines = append(lines, l.mappingLine())
			}
		}
	}
	if len(lines) == 0 || ctx.Err() != nil {
		return
	}
	if err := r.e.boundMapper().Items.Prefetch(ctx, lines); err != nil && ctx.Err() == nil {
		r.e.log.Warn("vsync: read Veeqo's catalogue for the batch; looking items up one by one", "err", err)
	}
}

// prefetchCustomers settles the customers of a batch of orders. The emails
// neither the store's cache (or a dry run's) knows are counted; when
// Veeqo's customer list takes fewer pages than there are such emails, and
// fits in the pages Veeqo serves, it is read once and only the batch's
// emails are kept: each found one is cached as a lookup would cache it, and
// when the listing was whole (as many distinct customers as the count) the
// others are noted absent, to be created inline without a lookup. A count
// or listing that fails, or a listing that is not whole, leaves what it did
// not settle to customerID's lookups: nothing is lost.
func (r *run) prefetchCustomers(ctx context.Context, orders []ERPOrder, book *batchBook) {
	e := r.e
	book.absent = nil
	if ctx.Err() != nil {
		return
	}
	wanted := r.unknownEmails(ctx, orders)
	unknown := len(wanted)
	if unknown < minCustomerPreload {
		return
	}
	if book.total >= 0 && customerPages(book.total) >= unknown {
		return // this pass's count showed lookups cheaper: not counted again
	}
	n, err := e.cfg.Veeqo.CountCustomers(ctx)
	if err != nil {
		e.log.Warn("vsync: count Veeqo's customers; looking emails up one by one", "err", err)
		return
	}
	book.total = n
	pages := customerPages(n)
	switch {
	case n < 0:
		e.log.Debug("vsync: Veeqo did not say how many customers it has; looking emails up one by one", "unknown", unknown)
		return
	case pages > maxCustomerPages:
		e.log.Debug("vsync: Veeqo's customer list is too long to read whole; looking emails up one by one", "customers", n, "unknown", unknown)
		return
	case pages >= unknown:
		e.log.Debug("vsync: looking customers up is cheaper than reading the list", "customers", n, "unknown", unknown)
		return
	}
	found, whole := map[string]int64{}, true
	if n > 0 {
		found, whole = r.listCustomers(ctx, wanted, n)
	}
	e.log.Debug("vsync: read Veeqo's customer list", "customers", n, "unknown", unknown, "found", len(found), "whole", whole)
	r.settleCustomers(ctx, wanted, found, whole, book)
}

// unknownEmails are the batch's emails that neither the store's cache nor
// a dry run's memory knows, by folded email (the value is the email as the
// order sends it).
func (r *run) unknownEmails(ctx context.Context, orders []ERPOrder) map[string]string {
	wanted := map[string]string{}
	for _, o := range orders {
		email := orderEmail(o)
		key := foldEmail(email)
		if key == "" || wanted[key] != "" || r.knownCustomer(ctx, email) {
			continue
		}
		wanted[key] = email
	}
	return wanted
}

// settleCustomers caches the customers the listing found, as a lookup
// would; when the listing was whole the other wanted emails are noted
// absent in book, to be created inline without a lookup.
func (r *run) settleCustomers(ctx context.Context, wanted map[string]string, found map[string]int64, whole bool, book *batchBook) {
	e := r.e
	bg := context.WithoutCancel(ctx)
	for key, id := range found {
		r.cacheDryCustomer(wanted[key], id)
		if !r.opts.DryRun {
			if err := e.cfg.Store.PutCustomerID(bg, e.cfg.Account, wanted[key], id); err != nil {
				e.log.Warn("vsync: cache customer", "err", err)
			}
		}
	}
	if !whole {
		return
	}
	book.absent = make(map[string]bool, len(wanted)-len(found))
	for key, email := range wanted {
		if _, ok := found[key]; !ok {
			book.absent[key] = true
			r.cacheDryCustomer(email, 0)
		}
	}
}

// listCustomers reads Veeqo's customer list once and returns the ids of the
// wanted emails it has (the first listed, as FindCustomerByEmail takes),
// and whether the listing was whole: read to its end with as many distinct
// customers as total. Only the wanted emails and the ids seen are kept.
func (r *run) listCustomers(ctx context.Context, wanted map[string]string, total int) (found map[string]int64, whole bool) {
	found = map[string]int64{}
	seen := make(map[int64]struct{}, total)
	for c, err := range r.e.cfg.Veeqo.Customers(ctx) {
		if err != nil {
			if ctx.Err() == nil {
				r.e.log.Warn("vsync: read Veeqo's customer list; looking the rest up one by one", "err", err)
			}
			return found, false
		}
		seen[c.ID] = struct{}{}
		key := foldEmail(c.Email)
		if _, want := wanted[key]; !want || c.ID == 0 {
			continue
		}
		if _, dup := found[key]; !dup {
			found[key] = c.ID
		}
	}
	return found, len(seen) == total
}

// customerPages is how many calls a listing of n customers takes.
func customerPages(n int) int { return (n + veeqo.MaxPageSize - 1) / veeqo.MaxPageSize }

// knownCustomer reports whether email's customer id is cached already (in
// the store, or for a dry run in memory), so that it needs no lookup.
func (r *run) knownCustomer(ctx context.Context, email string) bool {
	if _, ok := r.dryCustomers[email]; ok && r.opts.DryRun {
		return true
	}
	id, err := r.e.cfg.Store.CustomerID(ctx, r.e.cfg.Account, email)
	return err == nil && id != 0
}
