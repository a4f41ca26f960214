package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strings"
	stdsync "sync"
	"time"

	"github.com/shopspring/decimal"
	"github.com/xoroerp/veeqoconnect/internal/display"
	vsync "github.com/xoroerp/veeqoconnect/sync"
)

// The files use the library's JSON, one shape for both: the orders file is
// a JSON array of vsync.ERPOrder, and the shipments journal is JSON Lines of
// vsync.ShipmentUpdate, each with the time it was applied (journalLine).

// fileDefaults fills what an orders file may leave out: the number is the
// reference, a line's allocated quantity its quantity, and the total the
// lines plus the delivery cost.
func fileDefaults(o vsync.ERPOrder) vsync.ERPOrder {
	o.CreatedAt = o.CreatedAt.UTC()
	if o.Number == "" {
		o.Number = o.Ref
	}
	sum := o.DeliveryCost
	lines := make([]vsync.ERPLine, len(o.Lines))
	for i, l := range o.Lines {
		if l.Allocated == 0 {
			l.Allocated = l.Quantity
		}
		lines[i] = l
		sum = sum.Add(l.UnitPrice.Mul(decimal.NewFromInt(int64(l.Quantity))))
	}
	o.Lines = lines
	if o.Total.IsZero() {
		o.Total = sum
	}
	return o
}

// renamedOrderFields are the orders file's field names before it used
// vsync.ERPOrder's JSON: an old file gets an error naming the new name.
var renamedOrderFields = map[string]string{"reference": "ref", "price": "unit_price"}

// journalLine is one line of the shipments journal: the update as the
// library encodes it, and when it was applied.
type journalLine struct {
	vsync.ShipmentUpdate
	AppliedAt time.Time `json:"applied_at"`
}

// legacyJournalFields are the journal's field names before it used
// vsync.ShipmentUpdate's JSON (top level, then a line's). A journal written
// by an earlier veeqoctl is read with them renamed: it is the record of
// what was applied, and must keep every key.
var legacyJournalFields = [2]map[string]string{
	{"service": "ship_service"},
	{"shipped": "ship_quantity", "closed": "close", "reopened": "reopen", "unallocated": "unallocate"},
}

// upgradeLegacyLine rewrites a journal line in the earlier shape (it has
// "key": the shipment id, or the Veeqo order id for kind cancel) into the
// current one; ok is false for a line that is not in the earlier shape.
func upgradeLegacyLine(line []byte) (out []byte, ok bool) {
	var top map[string]json.RawMessage
	if json.Unmarshal(line, &top) != nil {
		return nil, false
	}
	key, has := top["key"]
	if !has {
		return nil, false
	}
	delete(top, "key")
	var kind string
	_ = json.Unmarshal(top["kind"], &kind)
	if kind == vsync.KindCancel {
		if _, set := top["veeqo_order_id"]; !set {
			top["veeqo_order_id"] = key
		}
	} else {
		top["shipment_id"] = key
	}
	rename(top, legacyJournalFields[0])
	if raw, has := top["lines"]; has {
		var lines []map[string]json.RawMessage
		if json.Unmarshal(raw, &lines) != nil {
			return nil, false
		}
		for _, l := range lines {
			rename(l, legacyJournalFields[1])
		}
		top["lines"], _ = json.Marshal(lines)
	}
	out, err := json.Marshal(top)
	return out, err == nil
}

// journalForm is an update as the journal writes it: times in UTC, lines
// an empty list rather than null.
func journalForm(u vsync.ShipmentUpdate) vsync.ShipmentUpdate {
	u.ShippedAt = u.ShippedAt.UTC()
	if u.Lines == nil {
		u.Lines = []vsync.LineUpdate{}
	}
	return u
}

// rename moves the fields of m named in names' keys to their new names.
func rename(m map[string]json.RawMessage, names map[string]string) {
	for old, name := range names {
		if v, has := m[old]; has {
			delete(m, old)
			m[name] = v
		}
	}
}

// invalidOrder is an order of the orders file that cannot be used. It is
// reported as its own error record (the engine's *vsync.OrderError) while
// the valid orders go on.
type invalidOrder struct {
	// Ref is the order's reference, or where it is ("orders.json[3]") when
	// it has none.
	Ref string
	// Problems name their fields from the file's top ("[3].lines[1].quantity").
	Problems []problem
}

func (o invalidOrder) err(path string) *vsync.OrderError {
	parts := make([]string, 0, len(o.Problems))
	for _, p := range o.Problems {
		parts = append(parts, p.String())
	}
	return &vsync.OrderError{Ref: o.Ref, Err: fmt.Errorf("orders file %s: %s", filepath.Base(path), strings.Join(parts, "; "))}
}

// ordersFile is a parsed orders file: its valid orders (in file order),
// each valid order's 1-based position, and the invalid ones.
type ordersFile struct {
	orders  []vsync.ERPOrder
	index   map[string]int
	invalid []invalidOrder
}

// problems lists every problem of the file's orders.
func (f ordersFile) problems() []problem {
	var out []problem
	for _, o := range f.invalid {
		out = append(out, o.Problems...)
	}
	return out
}

// parseOrders decodes and checks an orders file. Each order is checked on
// its own, so one invalid order (reported with its index and field) does
// not block the others; only a file that is not a JSON array stops
// everything (the error).
func parseOrders(path string, data []byte) (ordersFile, error) {
	what := "orders file " + path
	out := ordersFile{index: map[string]int{}}
	if len(bytes.TrimSpace(data)) == 0 {
		return out, nil
	}
	if p, bad := utf8Problem(data); bad {
		return out, &problemsError{What: what, Problems: []problem{p}}
	}
	if !json.Valid(data) {
		var v any
		return out, &problemsError{What: what, Problems: []problem{syntaxProblem(data, json.Unmarshal(data, &v))}}
	}
	var items []json.RawMessage
	if err := json.Unmarshal(data, &items); err != nil {
		return out, &problemsError{What: what, Problems: []problem{{Problem: "want a JSON array of orders, got " + kindOf(data)}}}
	}
	list := make([]parsedOrder, len(items))
	for i, raw := range items {
		list[i] = parseFileOrder(i, raw)
	}
	markDuplicateRefs(list)
	out.collect(path, list)
	return out, nil
}

// parsedOrder is one entry of the orders file with what is wrong with it.
type parsedOrder struct {
	o        vsync.ERPOrder
	problems []problem
}

// parseFileOrder decodes and checks the i'th order (0-based) of the file.
func parseFileOrder(i int, raw json.RawMessage) parsedOrder {
	f := fmt.Sprintf("[%d]", i+1)
	d := &strictDecoder{renamed: renamedOrderFields}
	var o vsync.ERPOrder
	d.decode(f, raw, &o)
	// Check what decoded too, so every problem is reported at once; a
	// field already reported is not reported again.
	reported := map[string]bool{}
	for _, p := range d.problems {
		reported[p.Field] = true
	}
	add := func(field, format string, args ...any) {
		if !reported[field] {
			d.add(field, format, args...)
		}
	}
	if strings.TrimSpace(o.Ref) == "" {
		add(f+".ref", "is required")
	}
	if o.CreatedAt.IsZero() {
		add(f+".created_at", "is required (RFC 3339, e.g. 2026-11-02T15:04:05Z)")
	}
	if len(o.Lines) == 0 {
		add(f+".lines", "an order needs at least one line")
	}
	lrefs := map[string]bool{}
	for j, l := range o.Lines {
		lf := fmt.Sprintf("%s.lines[%d]", f, j+1)
		if strings.TrimSpace(l.Ref) == "" {
			add(lf+".ref", "is required")
		} else if lrefs[l.Ref] {
			add(lf+".ref", "%q is used by another line of the order", l.Ref)
		}
		lrefs[l.Ref] = true
		if l.Quantity <= 0 {
			add(lf+".quantity", "must be positive, got %d", l.Quantity)
		}
		if l.UnitPrice.IsNegative() {
			add(lf+".unit_price", "must not be negative")
		}
		if l.Shipped < 0 || l.Shipped > l.Quantity {
			add(lf+".shipped", "must be between 0 and the quantity (%d), got %d", l.Quantity, l.Shipped)
		}
		if l.Allocated < 0 || l.Allocated > l.Quantity {
			add(lf+".allocated", "must be between 0 and the quantity (%d), got %d", l.Quantity, l.Allocated)
		}
	}
	return parsedOrder{o: o, problems: d.problems}
}

// markDuplicateRefs makes both orders of a reference used twice invalid:
// neither can be told apart from the other.
func markDuplicateRefs(list []parsedOrder) {
	byRef := map[string][]int{}
	for i, p := range list {
		if strings.TrimSpace(p.o.Ref) != "" {
			byRef[p.o.Ref] = append(byRef[p.o.Ref], i)
		}
	}
	for i := range list {
		if at := byRef[list[i].o.Ref]; len(at) > 1 {
			var others []string
			for _, j := range at {
				if j != i {
					others = append(others, fmt.Sprintf("[%d]", j+1))
				}
			}
			list[i].problems = append(list[i].problems, problem{Field: fmt.Sprintf("[%d].ref", i+1),
				Problem: fmt.Sprintf("%q is also the reference of %s", list[i].o.Ref, strings.Join(others, ", "))})
		}
	}
}

// collect files each parsed order as valid (indexed by reference) or
// invalid; an invalid order's problems are grouped by its reference (or
// its place in the file, without one).
func (out *ordersFile) collect(path string, list []parsedOrder) {
	invalid := map[string]int{} // ref -> index into out.invalid
	for i, p := range list {
		if len(p.problems) == 0 {
			out.index[p.o.Ref] = i + 1
			out.orders = append(out.orders, fileDefaults(p.o))
			continue
		}
		ref := p.o.Ref
		if strings.TrimSpace(ref) == "" {
			ref = fmt.Sprintf("%s[%d]", filepath.Base(path), i+1)
		}
		if k, ok := invalid[ref]; ok {
			out.invalid[k].Problems = append(out.invalid[k].Problems, p.problems...)
			continue
		}
		invalid[ref] = len(out.invalid)
		out.invalid = append(out.invalid, invalidOrder{Ref: ref, Problems: p.problems})
	}
}

// fileERP is the engine's ERP backed by two files: the orders (a JSON array,
// read again whenever it changes) and the shipments journal (JSON Lines,
// appended with O_APPEND and fsync per line). An order's current data is
// the orders file with every journal line applied, so an update is applied
// exactly once per key however often the engine offers it.
type fileERP struct {
	ordersPath, shipmentsPath string
	// applyDelay is a test hook: a pause after a line is durable, so a test
	// can kill the process between the ERP write and the engine's mark.
	applyDelay time.Duration
	now        func() time.Time

	mu       stdsync.Mutex
	ordersAt fileStamp
	loaded   bool
	mem      *vsync.MemoryERP
	file     ordersFile // the orders file as last parsed
	journal  []vsync.ShipmentUpdate
	keys     map[string]bool // ShipmentUpdate.Key of every line
	offset   int64           // bytes of complete journal lines read
	lineNo   int             // complete journal lines read
	tornTail bool            // bytes after offset without a newline (a crash mid-write)
}

type fileStamp struct {
	size int64
	mod  time.Time
}

func newFileERP(ordersPath, shipmentsPath string) *fileERP {
	return &fileERP{ordersPath: ordersPath, shipmentsPath: shipmentsPath, now: time.Now, keys: map[string]bool{}}
}

// refresh re-reads the orders file if it changed and any journal lines
// appended since the last read. Callers hold mu.
func (f *fileERP) refresh() error {
	st, err := os.Stat(f.ordersPath)
	if err != nil {
		return fmt.Errorf("orders file: %w", err)
	}
	stamp := fileStamp{size: st.Size(), mod: st.ModTime()}
	if !f.loaded || stamp != f.ordersAt {
		data, err := os.ReadFile(f.ordersPath)
		if err != nil {
			return fmt.Errorf("orders file: %w", err)
		}
		parsed, err := parseOrders(f.ordersPath, data)
		if err != nil {
			return err
		}
		mem := vsync.NewMemoryERP(parsed.orders...)
		for _, u := range f.journal {
			// An update for an order no longer in the file has nothing to
			// change; it stays in the journal.
			_ = mem.ApplyShipment(context.Background(), u)
		}
		f.mem, f.file, f.ordersAt, f.loaded = mem, parsed, stamp, true
	}
	return f.readJournal()
}

// readJournal reads complete journal lines after offset. A last line
// without its newline is a write cut short by a crash: it is left alone
// (and cut off before the next append). A complete line that does not
// decode is an error naming it: it was edited by hand, and skipping it
// could apply its shipment twice.
func (f *fileERP) readJournal() error {
	// Most calls find nothing appended: a stat answers that without opening
	// the file (the engine asks three times per shipment).
	if st, err := os.Stat(f.shipmentsPath); err == nil && st.Size() == f.offset && !f.tornTail {
		return nil
	}
	fh, err := os.Open(f.shipmentsPath)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("shipments file: %w", err)
	}
	defer fh.Close()
	if _, err := fh.Seek(f.offset, io.SeekStart); err != nil {
		return fmt.Errorf("shipments file: %w", err)
	}
	rest, err := io.ReadAll(fh)
	if err != nil {
		return fmt.Errorf("shipments file: %w", err)
	}
	for len(rest) > 0 {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			f.tornTail = true
			return nil
		}
		line := rest[:i]
		rest = rest[i+1:]
		f.offset += int64(i + 1)
		f.lineNo++
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		u, err := decodeJournalLine(line)
		if err != nil {
			// The line is read again next time, and fails again.
			f.offset -= int64(i + 1)
			f.lineNo--
			return fmt.Errorf("shipments file %s line %d: %w", f.shipmentsPath, f.lineNo+1, err)
		}
		if f.keys[u.Key()] {
			continue
		}
		f.keys[u.Key()] = true
		f.journal = append(f.journal, u)
		_ = f.mem.ApplyShipment(context.Background(), u)
	}
	f.tornTail = false
	return nil
}

// decodeJournalLine decodes one complete journal line strictly: UTF-8,
// known fields only, a key and a known kind. A line an earlier veeqoctl
// wrote is read in its shape (upgradeLegacyLine).
func decodeJournalLine(line []byte) (vsync.ShipmentUpdate, error) {
	if off := display.InvalidUTF8(line); off >= 0 {
		return vsync.ShipmentUpdate{}, fmt.Errorf("not valid UTF-8 at column %d (byte 0x%02x)", off+1, line[off])
	}
	if up, ok := upgradeLegacyLine(line); ok {
		line = up
	}
	var s journalLine
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return vsync.ShipmentUpdate{}, err
	}
	u := s.ShipmentUpdate
	switch u.Kind {
	case vsync.KindShipment, vsync.KindVoid:
		if u.ShipmentID == 0 {
			return u, errors.New("shipment_id (the Veeqo shipment id) is missing")
		}
	case vsync.KindCancel:
		if u.VeeqoOrderID == 0 {
			return u, errors.New("veeqo_order_id (the key of kind cancel) is missing")
		}
	default:
		return u, fmt.Errorf("kind %q is not \"\", void or cancel", u.Kind)
	}
	return u, nil
}

// Candidates implements vsync.ERP.
func (f *fileERP) Candidates(ctx context.Context, q vsync.CandidateQuery) iter.Seq2[vsync.ERPOrder, error] {
	return func(yield func(vsync.ERPOrder, error) bool) {
		f.mu.Lock()
		err := f.refresh()
		mem, file := f.mem, f.file
		f.mu.Unlock()
		if err != nil {
			yield(vsync.ERPOrder{}, err)
			return
		}
		// Each invalid order is its own error (the engine records it and
		// goes on), when the run would have looked at it.
		for _, bad := range file.invalid {
			if invalidInQuery(bad.Ref, q) && !yield(vsync.ERPOrder{}, bad.err(f.ordersPath)) {
				return
			}
		}
		for o, err := range mem.Candidates(ctx, q) {
			if !yield(o, err) || err != nil {
				return
			}
		}
	}
}

// invalidInQuery reports whether a run with q would look at an invalid
// order with this reference: every run over the waves does, a manual run
// only when it names or searches for it.
func invalidInQuery(ref string, q vsync.CandidateQuery) bool {
	if len(q.Refs) > 0 {
		return slices.Contains(q.Refs, ref)
	}
	s := strings.ToLower(strings.TrimSpace(q.Search))
	return s == "" || strings.Contains(strings.ToLower(ref), s)
}

// Order implements vsync.ERP.
func (f *fileERP) Order(ctx context.Context, ref string) (vsync.ERPOrder, error) {
	f.mu.Lock()
	err := f.refresh()
	mem, file := f.mem, f.file
	f.mu.Unlock()
	if err != nil {
		return vsync.ERPOrder{}, err
	}
	for _, bad := range file.invalid {
		if bad.Ref == ref {
			return vsync.ERPOrder{}, bad.err(f.ordersPath)
		}
	}
	return mem.Order(ctx, ref)
}

// FindOrder implements vsync.ERP.
func (f *fileERP) FindOrder(ctx context.Context, q vsync.FindQuery) (vsync.ERPOrder, error) {
	f.mu.Lock()
	err := f.refresh()
	mem := f.mem
	f.mu.Unlock()
	if err != nil {
		return vsync.ERPOrder{}, err
	}
	return mem.FindOrder(ctx, q)
}

// ApplyShipment implements vsync.ERP: one journal line per shipment key,
// durable (fsync) before it returns; a key already in the journal changes
// nothing.
func (f *fileERP) ApplyShipment(ctx context.Context, u vsync.ShipmentUpdate) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if u.ShipmentID == 0 && !(u.Kind == vsync.KindCancel && u.VeeqoOrderID != 0) {
		return errors.New("shipment update without a shipment id")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.refresh(); err != nil {
		return err
	}
	if f.keys[u.Key()] {
		return nil
	}
	if _, err := f.mem.Order(ctx, u.OrderRef); err != nil {
		return err
	}
	line, err := json.Marshal(journalLine{ShipmentUpdate: journalForm(u), AppliedAt: f.now().UTC()})
	if err != nil {
		return fmt.Errorf("encode shipment %d: %w", u.ShipmentID, err)
	}
	line = append(line, '\n')
	if err := f.appendLine(line); err != nil {
		return err
	}
	f.offset += int64(len(line))
	f.lineNo++
	f.keys[u.Key()] = true
	f.journal = append(f.journal, u)
	if err := f.mem.ApplyShipment(ctx, u); err != nil {
		return err
	}
	if f.applyDelay > 0 {
		t := time.NewTimer(f.applyDelay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			// The line is durable: the shipment is applied, whatever the
			// caller does with the context now.
		}
	}
	return nil
}

// appendLine appends one line to the journal and makes it durable (the
// file, and the directory when the file is new), first cutting off a torn
// last line.
func (f *fileERP) appendLine(line []byte) error {
	_, statErr := os.Stat(f.shipmentsPath)
	created := errors.Is(statErr, os.ErrNotExist)
	// Owner-only: the lines name customers' orders and tracking.
	fh, err := os.OpenFile(f.shipmentsPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("shipments file: %w", err)
	}
	if f.tornTail {
		// Cut off the half line a crash left, so the new line starts clean.
		if err := fh.Truncate(f.offset); err != nil {
			fh.Close()
			return fmt.Errorf("shipments file: cut torn last line: %w", err)
		}
		f.tornTail = false
	}
	if _, err := fh.Write(line); err != nil {
		fh.Close()
		return fmt.Errorf("shipments file: %w", err)
	}
	if err := fh.Sync(); err != nil {
		fh.Close()
		return fmt.Errorf("shipments file: sync: %w", err)
	}
	if err := fh.Close(); err != nil {
		return fmt.Errorf("shipments file: %w", err)
	}
	if created {
		syncDir(filepath.Dir(f.shipmentsPath))
	}
	return nil
}

// countCandidates counts what Candidates would yield (for the progress
// total).
func (f *fileERP) countCandidates(ctx context.Context, q vsync.CandidateQuery) int {
	n := 0
	for _, err := range f.Candidates(ctx, q) {
		var oe *vsync.OrderError
		if errors.As(err, &oe) {
			continue
		}
		if err != nil {
			break
		}
		n++
	}
	return n
}

// notCandidates says why the orders file's other orders are not export
// candidates for q (reason -> count), invalid orders included.
func (f *fileERP) notCandidates(q vsync.CandidateQuery) map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.mem == nil {
		return nil
	}
	out := f.mem.NotCandidates(q)
	for _, bad := range f.file.invalid {
		if invalidInQuery(bad.Ref, q) {
			out["invalid (see the errors)"]++
		}
	}
	return out
}

// load reads both files once, reporting the first problem (check uses it).
func (f *fileERP) load() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.refresh()
}

// syncDir makes a new file's directory entry durable (best effort).
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}

var _ vsync.ERP = (*fileERP)(nil)
