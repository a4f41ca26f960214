package mapping

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/xoroerp/veeqoconnect/veeqo"
)

// IdentifierKind is which ERP item identifier matches Veeqo's catalogue.
type IdentifierKind uint8

// The identifier kinds. The zero value is SKU, the settings page's default.
const (
	IdentSKU        IdentifierKind = iota // the item's SKU, matched to sku_code
	IdentItemNumber                       // the item number, matched to sku_code
	IdentUPC                              // the UPC, matched to upc_code
	IdentCustom                           // a named custom field, matched to sku_code
)

// Identifier is the "Item Identifier Code" setting: sku, item_number, upc or
// custom:<field>. It encodes in JSON as that text.
type Identifier struct {
	Kind  IdentifierKind
	Field string // the custom field's name, for IdentCustom
}

// ParseIdentifier reads the setting: "sku", "item_number" (or "item
// number", "itemnumber"), "upc", or "custom:<field>". Case does not matter
// for the kind; the custom field name is kept as written. "" means sku.
func ParseIdentifier(s string) (Identifier, error) {
	t := strings.TrimSpace(s)
	if k, f, ok := strings.Cut(t, ":"); ok && strings.EqualFold(strings.TrimSpace(k), "custom") {
		f = strings.TrimSpace(f)
		if f == "" {
			return Identifier{}, fmt.Errorf("%w %q: custom: needs a field name, e.g. custom:style_code", ErrBadIdentifier, s)
		}
		return Identifier{Kind: IdentCustom, Field: f}, nil
	}
	switch strings.NewReplacer(" ", "", "_", "", "-", "").Replace(strings.ToLower(t)) {
	case "", "sku", "skucode":
		return Identifier{Kind: IdentSKU}, nil
	case "itemnumber", "itemno", "item":
		return Identifier{Kind: IdentItemNumber}, nil
	case "upc", "upccode", "barcode":
		return Identifier{Kind: IdentUPC}, nil
	}
	return Identifier{}, fmt.Errorf("%w %q (use sku, item_number, upc or custom:<field>)", ErrBadIdentifier, s)
}

// String returns the setting's text: sku, item_number, upc or custom:<field>.
func (id Identifier) String() string {
	switch id.Kind {
	case IdentSKU:
		return "sku"
	case IdentItemNumber:
		return "item_number"
	case IdentUPC:
		return "upc"
	case IdentCustom:
		return "custom:" + id.Field
	}
	return fmt.Sprintf("IdentifierKind(%d)", uint8(id.Kind))
}

// MarshalText encodes the identifier as its setting text.
func (id Identifier) MarshalText() ([]byte, error) {
	if id.Kind > IdentCustom || (id.Kind == IdentCustom && strings.TrimSpace(id.Field) == "") {
		return nil, fmt.Errorf("%w: %s", ErrBadIdentifier, id)
	}
	return []byte(id.String()), nil
}

// UnmarshalText decodes the setting text with ParseIdentifier.
func (id *Identifier) UnmarshalText(b []byte) error {
	v, err := ParseIdentifier(string(b))
	if err != nil {
		return err
	}
	*id = v
	return nil
}

// VeeqoField is the sellable field the identifier matches: "upc_code" for
// UPC, "sku_code" otherwise.
func (id Identifier) VeeqoField() string {
	if id.Kind == IdentUPC {
		return "upc_code"
	}
	return "sku_code"
}

// Value returns the line's identifier, trimmed; "" when it has none. A
// custom field is found by exact name first, then by its normalised name.
func (id Identifier) Value(l Line) string {
	switch id.Kind {
	case IdentSKU:
		return strings.TrimSpace(l.SKU)
	case IdentItemNumber:
		return strings.TrimSpace(l.ItemNumber)
	case IdentUPC:
		return strings.TrimSpace(l.UPC)
	case IdentCustom:
		if v, ok := l.Custom[id.Field]; ok {
			return strings.TrimSpace(v)
		}
		want := Normalize(id.Field)
		for k, v := range l.Custom {
			if Normalize(k) == want {
				return strings.TrimSpace(v)
			}
		}
	}
	return ""
}

// FromSellable returns the ERP identifier a Veeqo sellable stands for (its
// upc_code for UPC, else its sku_code): the reverse direction, for
// confirmations and fetch mode.
func (id Identifier) FromSellable(s veeqo.Sellable) string {
	if id.Kind == IdentUPC {
		return s.UPCCode
	}
	return s.SKUCode
}

// Line is an ERP order line as the resolver needs it.
type Line struct {
	Ref        string            // the ERP line reference, for reports
	SKU        string            // the item's SKU
	ItemNumber string            // the item number
	UPC        string            // the UPC
	Custom     map[string]string // custom fields by name
}

// ResolvedLine is a line matched to a Veeqo sellable. The engine remembers
// Ref -> Sellable.ID so that confirmations map back even through the
// default SKU.
type ResolvedLine struct {
	Line     int    // 1-based position in the order
	Ref      string // the ERP line reference
	Wanted   string // the line's identifier value ("" when it had none)
	Sellable veeqo.Sellable
	// Substitution is set when the default SKU stands in for the line's
	// item; the engine records it as a warning on the order.
	Substitution *Substitution
}

// Substitution reports a line served by the default SKU.
type Substitution struct {
	Line       int
	Ref        string
	Identifier string // the identifier setting, e.g. "sku"
	Wanted     string // the identifier value looked for ("" when the line had none)
	DefaultSKU string
	Reason     string // e.g. `sku "ABC-1" is not in Veeqo's catalogue`
}

// String words the substitution for the order's record.
func (s Substitution) String() string {
	return fmt.Sprintf("line %d%s: %s; default SKU %q used", s.Line, refSuffix(s.Ref), s.Reason, s.DefaultSKU)
}

// ResolverStats counts what a Resolver did.
type ResolverStats struct {
	ExactLookups      int // FindSellableBySKU/UPC calls made
	Counts            int // catalogue counts made (at most one per Resolver)
	Preloads          int // full catalogue reads
	PreloadedProducts int // products read by preloads
	CacheHits         int // lookups answered from the cache
}

// minPreloadCandidates is the fewest unknown identifiers worth a count: with
// fewer, count + one page is never cheaper than exact lookups.
const minPreloadCandidates = 3

// Resolver matches ERP lines to Veeqo sellables, falling back to the default
// SKU. It never creates products. It caches every answer, negative ones too:
// each distinct identifier costs at most one exact lookup, or the whole
// catalogue is read once (100 products a call) when a cheap count shows that
// to take fewer calls than the identifiers still unknown. Matching is exact
// and case-sensitive on sku_code or upc_code, after trimming white space
// around the ERP value.
//
// The count is made at most once per Resolver, and only for a batch with at
// least three unknown identifiers; when it shows exact lookups to be
// cheaper, it is the one call spent beyond one per distinct identifier.
//
// A Resolver is meant to live for one run: it does not see catalogue
// changes made after it cached an answer. It is safe for concurrent use, and
// concurrent lookups of one identifier share one call.
type Resolver struct {
	cat        Catalogue
	id         Identifier
	defaultSKU string
	log        *slog.Logger

	count lazy[int]

	mu         sync.Mutex
	cache      map[itemKey]*veeqo.Sellable // nil: known not to exist
	inflight   map[itemKey]chan struct{}
	preloaded  bool
	preloading chan struct{}
	stats      ResolverStats
}

type itemKey struct {
	upc   bool
	value string
}

func (k itemKey) String() string {
	if k.upc {
		return fmt.Sprintf("upc %q", k.value)
	}
	return fmt.Sprintf("sku %q", k.value)
}

// Option configures New and NewResolver.
type Option func(*options)

type options struct {
	log *slog.Logger
}

// WithLogger logs the resolver's decisions (preload or exact lookups) at
// debug level and catalogue oddities (two sellables with one SKU) at warn.
// Silent by default.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.log = l
		}
	}
}

func buildOptions(opts []Option) options {
	o := options{log: slog.New(slog.DiscardHandler)}
	for _, f := range opts {
		if f != nil {
			f(&o)
		}
	}
	return o
}

// NewResolver returns a resolver over cat for the given identifier setting
// and default SKU ("" for none).
func NewResolver(cat Catalogue, id Identifier, defaultSKU string, opts ...Option) (*Resolver, error) {
	if cat == nil {
		return nil, errors.New("mapping: NewResolver: catalogue is nil")
	}
	if _, err := id.MarshalText(); err != nil {
		return nil, err
	}
	o := buildOptions(opts)
	return &Resolver{
		cat:        cat,
		id:         id,
		defaultSKU: strings.TrimSpace(defaultSKU),
		log:        o.log,
		cache:      map[itemKey]*veeqo.Sellable{},
		inflight:   map[itemKey]chan struct{}{},
	}, nil
}

// Stats returns what the resolver has done so far.
func (r *Resolver) Stats() ResolverStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stats
}

func (r *Resolver) key(value string) itemKey {
	return itemKey{upc: r.id.Kind == IdentUPC, value: value}
}

// Prefetch prepares for lines that will be resolved later, typically every
// line of every candidate order of a run: when the distinct identifiers not
// yet known outnumber the calls a full catalogue read takes, it reads the
// catalogue now. Otherwise it does nothing, and Resolve looks identifiers up
// one by one.
func (r *Resolver) Prefetch(ctx context.Context, lines []Line) error {
	keys := make([]itemKey, 0, len(lines))
	for _, l := range lines {
		if v := r.id.Value(l); v != "" {
			keys = append(keys, r.key(v))
		}
	}
	return r.prepare(ctx, keys)
}

// prepare preloads the catalogue when that is cheaper than looking up the
// unknown keys one by one.
func (r *Resolver) prepare(ctx context.Context, keys []itemKey) error {
	r.mu.Lock()
	if r.preloaded {
		r.mu.Unlock()
		return nil
	}
	seen := make(map[itemKey]bool, len(keys))
	for _, k := range keys {
		if _, known := r.cache[k]; !known {
			seen[k] = true
		}
	}
	r.mu.Unlock()
	unknown := len(seen)
	if unknown < minPreloadCandidates {
		return nil
	}
	n, err := r.count.get(ctx, func(ctx context.Context) (int, error) {
		r.mu.Lock()
		r.stats.Counts++
		r.mu.Unlock()
		return r.cat.CountProducts(ctx)
	})
	if err != nil {
		return fmt.Errorf("mapping: count Veeqo's catalogue: %w", err)
	}
	if n < 0 {
		r.log.DebugContext(ctx, "catalogue size unknown; exact lookups", "unknown", unknown)
		return nil
	}
	pages := max(1, (n+veeqo.MaxPageSize-1)/veeqo.MaxPageSize)
	if pages >= unknown {
		r.log.DebugContext(ctx, "exact lookups are cheaper than a preload", "unknown", unknown, "products", n, "pages", pages)
		return nil
	}
	r.log.DebugContext(ctx, "preloading the catalogue", "unknown", unknown, "products", n, "pages", pages)
	return r.preload(ctx)
}

func (r *Resolver) preload(ctx context.Context) error {
	for {
		r.mu.Lock()
		if r.preloaded {
			r.mu.Unlock()
			return nil
		}
		if ch := r.preloading; ch != nil {
			r.mu.Unlock()
			select {
			case <-ch:
				continue
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		ch := make(chan struct{})
		r.preloading = ch
		r.mu.Unlock()

		index, products, err := r.readCatalogue(ctx)

		r.mu.Lock()
		r.preloading = nil
		r.stats.Preloads++
		r.stats.PreloadedProducts += products
		if err == nil {
			for k, s := range index {
				r.cache[k] = s
			}
			r.preloaded = true
		}
		r.mu.Unlock()
		close(ch)
		if err != nil {
			return fmt.Errorf("mapping: read Veeqo's catalogue: %w", err)
		}
		return nil
	}
}

func (r *Resolver) readCatalogue(ctx context.Context) (map[itemKey]*veeqo.Sellable, int, error) {
	index := map[itemKey]*veeqo.Sellable{}
	products := 0
	put := func(k itemKey, s *veeqo.Sellable) {
		if prev, dup := index[k]; dup {
			if prev.ID != s.ID {
				r.log.WarnContext(ctx, "two Veeqo sellables share an identifier; keeping the first",
					"identifier", k.String(), "kept", prev.ID, "ignored", s.ID)
			}
			return
		}
		index[k] = s
	}
	for p, err := range r.cat.Products(ctx) {
		if err != nil {
			return nil, products, err
		}
		products++
		if p.DeletedAt != nil {
			continue
		}
		for i := range p.Sellables {
			s := p.Sellables[i]
			if s.ProductID == 0 {
				s.ProductID = p.ID
			}
			if s.ProductTitle == "" {
				s.ProductTitle = p.Title
			}
			if s.SKUCode != "" {
				put(itemKey{value: s.SKUCode}, &s)
			}
			if s.UPCCode != "" {
				put(itemKey{upc: true, value: s.UPCCode}, &s)
			}
		}
	}
	return index, products, nil
}

// lookup returns the sellable for k, nil when Veeqo has none.
func (r *Resolver) lookup(ctx context.Context, k itemKey) (*veeqo.Sellable, error) {
	for {
		r.mu.Lock()
		if s, ok := r.cache[k]; ok {
			r.stats.CacheHits++
			r.mu.Unlock()
			return s, nil
		}
		if r.preloaded {
			r.cache[k] = nil
			r.mu.Unlock()
			return nil, nil
		}
		wait := r.preloading
		if wait == nil {
			wait = r.inflight[k]
		}
		if wait != nil {
			r.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		ch := make(chan struct{})
		r.inflight[k] = ch
		r.stats.ExactLookups++
		r.mu.Unlock()

		var s *veeqo.Sellable
		var err error
		if k.upc {
			s, err = r.cat.FindSellableByUPC(ctx, k.value)
		} else {
			s, err = r.cat.FindSellableBySKU(ctx, k.value)
		}

		r.mu.Lock()
		delete(r.inflight, k)
		switch {
		case err == nil && s != nil:
			cp := *s
			s = &cp
			r.cache[k] = s
		case err == nil || errors.Is(err, veeqo.ErrNotFound):
			s, err = nil, nil
			r.cache[k] = nil
		}
		r.mu.Unlock()
		close(ch)
		if err != nil {
			return nil, fmt.Errorf("mapping: look up %s in Veeqo: %w", k, err)
		}
		return s, nil
	}
}

// Resolve matches each line to a Veeqo sellable by the identifier setting,
// using the default SKU for a line without an identifier or whose item
// Veeqo does not have (reported in ResolvedLine.Substitution). Lines that
// neither can serve are reported together: the error joins one *LineError
// per line (each matching ErrItemNotFound), and the returned slice still
// holds every line that resolved. Any other error is Veeqo's (network,
// auth, rate limit) and leaves the lines unresolved; retry later.
func (r *Resolver) Resolve(ctx context.Context, lines []Line) ([]ResolvedLine, error) {
	keys := make([]itemKey, 0, len(lines))
	for _, l := range lines {
		if v := r.id.Value(l); v != "" {
			keys = append(keys, r.key(v))
		}
	}
	if err := r.prepare(ctx, keys); err != nil {
		return nil, err
	}
	out := make([]ResolvedLine, 0, len(lines))
	var lineErrs []error
	for i, l := range lines {
		n := i + 1
		want := r.id.Value(l)
		res := ResolvedLine{Line: n, Ref: l.Ref, Wanted: want}
		var reason string
		if want == "" {
			reason = fmt.Sprintf("line has no %s", r.id)
		} else {
			s, err := r.lookup(ctx, r.key(want))
			if err != nil {
				return nil, err
			}
			if s != nil {
				res.Sellable = *s
				out = append(out, res)
				continue
			}
			reason = fmt.Sprintf("%s %q is not in Veeqo's catalogue (%s)", r.id, want, r.id.VeeqoField())
		}
		if r.defaultSKU == "" {
			lineErrs = append(lineErrs, &LineError{Line: n, Ref: l.Ref, Wanted: want, Reason: reason + " and no default SKU is set"})
			continue
		}
		s, err := r.lookup(ctx, itemKey{value: r.defaultSKU})
		if err != nil {
			return nil, err
		}
		if s == nil {
			lineErrs = append(lineErrs, &LineError{Line: n, Ref: l.Ref, Wanted: want,
				Reason: fmt.Sprintf("%s, and the default SKU %q is not in Veeqo's catalogue either", reason, r.defaultSKU)})
			continue
		}
		res.Sellable = *s
		res.Substitution = &Substitution{Line: n, Ref: l.Ref, Identifier: r.id.String(), Wanted: want,
			DefaultSKU: r.defaultSKU, Reason: reason}
		out = append(out, res)
	}
	return out, errors.Join(lineErrs...)
}
