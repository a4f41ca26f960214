package mapping

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/xoroerp/veeqoconnect/veeqo"
)

// DeliveryMethods resolves Veeqo ship-service names to delivery methods
// (the seller's shipping-method labels, which an order's delivery_method_id
// references). The list is read with one list call on first use and cached
// until Refresh. Names match after Normalize. Safe for concurrent use.
type DeliveryMethods struct {
	src   DeliveryMethodSource
	cache lazy[*methodIndex]
}

type methodIndex struct {
	byName map[string][]veeqo.DeliveryMethod
	known  string
}

// NewDeliveryMethods returns a resolver reading from src.
func NewDeliveryMethods(src DeliveryMethodSource) *DeliveryMethods {
	return &DeliveryMethods{src: src}
}

// Refresh forgets the cached list; the next Find reads it again.
func (d *DeliveryMethods) Refresh() { d.cache.reset() }

func (d *DeliveryMethods) load(ctx context.Context) (*methodIndex, error) {
	ix := &methodIndex{byName: map[string][]veeqo.DeliveryMethod{}}
	var names []string
	for m, err := range d.src.DeliveryMethods(ctx) {
		if err != nil {
			return nil, fmt.Errorf("mapping: list Veeqo delivery methods: %w", err)
		}
		key := Normalize(m.Name)
		if len(ix.byName[key]) == 0 {
			names = append(names, fmt.Sprintf("%q", m.Name))
		}
		ix.byName[key] = append(ix.byName[key], m)
	}
	slices.Sort(names)
	ix.known = strings.Join(names, ", ")
	if ix.known == "" {
		ix.known = "none"
	}
	return ix, nil
}

// Find returns the delivery method named name. No match is an error
// matching ErrUnknownDeliveryMethod that lists the known names; two methods
// with the same name are ErrAmbiguous (Veeqo allows it; which one to use is
// the user's call, so it is not guessed).
func (d *DeliveryMethods) Find(ctx context.Context, name string) (veeqo.DeliveryMethod, error) {
	if d == nil || d.src == nil {
		return veeqo.DeliveryMethod{}, fmt.Errorf("mapping: delivery methods have no source")
	}
	ix, err := d.cache.get(ctx, d.load)
	if err != nil {
		return veeqo.DeliveryMethod{}, err
	}
	var buf [64]byte
	found := ix.byName[string(appendNormal(buf[:0], name))]
	switch len(found) {
	case 0:
		return veeqo.DeliveryMethod{}, fmt.Errorf("%w %q (Veeqo has: %s)", ErrUnknownDeliveryMethod, name, ix.known)
	case 1:
		return found[0], nil
	}
	ids := make([]string, len(found))
	for i, m := range found {
		ids[i] = fmt.Sprint(m.ID)
	}
	return veeqo.DeliveryMethod{}, fmt.Errorf("%w: delivery method %q matches Veeqo delivery methods %s",
		ErrAmbiguous, name, strings.Join(ids, ", "))
}
