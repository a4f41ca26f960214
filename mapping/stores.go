package mapping

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/xoroerp/veeqoconnect/veeqo"
)

// StoreRow maps one XoroERP store to a Veeqo channel ("Third Party Store").
//
// JSON: {"erp_store": "Retail", "veeqo_channel": "Shopify US"}, optionally
// with "channel_id": 123 to pick one of several channels with the same name
// (Amazon and Amazon FBA). When decoding, "store" / "xoro_store" are accepted
// for erp_store and "third_party_store" / "veeqo_store" / "channel" for
// veeqo_channel.
type StoreRow struct {
	ERPStore     string `json:"erp_store"`
	VeeqoChannel string `json:"veeqo_channel"`
	ChannelID    int64  `json:"channel_id,omitempty"`
}

// UnmarshalJSON decodes a row, accepting the aliases described on StoreRow.
func (r *StoreRow) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("store mapping row: %w", err)
	}
	var out StoreRow
	var err error
	if out.ERPStore, err = pick(m, "erp_store", "store", "xoro_store", "store_name"); err != nil {
		return err
	}
	if out.VeeqoChannel, err = pick(m, "veeqo_channel", "third_party_store", "veeqo_store", "channel", "channel_name"); err != nil {
		return err
	}
	for k, raw := range m {
		if strings.EqualFold(k, "channel_id") && !bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
			var id json.Number
			if err := json.Unmarshal(raw, &id); err != nil {
				return fmt.Errorf("store mapping row: channel_id must be a number")
			}
			if out.ChannelID, err = id.Int64(); err != nil {
				return fmt.Errorf("store mapping row: channel_id %q is not a whole number", id)
			}
		}
	}
	*r = out
	return nil
}

// StoreConfig is the third-party store mapping as a settings page stores it:
// a plain array of rows (an object {"rows": [...]} is accepted too). It
// encodes as a plain array.
type StoreConfig struct {
	Rows []StoreRow
}

// UnmarshalJSON accepts a plain array of rows or {"rows": [...]}.
func (c *StoreConfig) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*c = StoreConfig{}
		return nil
	case len(b) > 0 && b[0] == '[':
		return json.Unmarshal(b, &c.Rows)
	case len(b) > 0 && b[0] == '{':
		var p struct {
			Rows []StoreRow `json:"rows"`
		}
		if err := json.Unmarshal(b, &p); err != nil {
			return err
		}
		c.Rows = p.Rows
		return nil
	}
	return fmt.Errorf("mapping: store mapping: want an array of rows, got %.20q", b)
}

// MarshalJSON writes the rows as a plain array.
func (c StoreConfig) MarshalJSON() ([]byte, error) {
	rows := c.Rows
	if rows == nil {
		rows = []StoreRow{}
	}
	return json.Marshal(rows)
}

// StoreMap maps XoroERP stores to Veeqo channels and back. Rows are checked
// when the map is built; channel names are resolved to ids against Veeqo's
// channel list, read with one list call on first use and cached until
// Refresh. A row whose channel Veeqo does not have fails only the stores it
// maps, with an error naming the row. Safe for concurrent use.
type StoreMap struct {
	cfg      StoreConfig
	rows     []storeRow
	byStore  map[string]int // normalised ERP store -> index into rows
	src      ChannelSource
	resolved lazy[*storeIndex]
}

type storeRow struct {
	StoreRow
	num int
}

type storeIndex struct {
	channel   map[int]veeqo.Channel // row index -> channel
	rowErr    map[int]error         // row index -> why it did not resolve
	byChannel map[int64]int         // channel id -> row index
	names     map[int64]string      // every channel's name, for messages
	problems  []RowProblem
}

// NewStoreMap checks the rows (empty names, duplicate stores, two stores on
// one channel) and returns a map that resolves channels through src. Every
// problem is reported at once in a *LoadError naming each row.
func NewStoreMap(cfg StoreConfig, src ChannelSource) (*StoreMap, error) {
	m := &StoreMap{cfg: cfg, byStore: map[string]int{}, src: src}
	var problems []RowProblem
	add := func(row int, err error, format string, args ...any) {
		problems = append(problems, RowProblem{Row: row, Msg: fmt.Sprintf(format, args...), Err: err})
	}
	byChannelName := map[string]int{}
	byChannelID := map[int64]int{}
	for i, r := range cfg.Rows {
		n := i + 1
		store, channel := Normalize(r.ERPStore), Normalize(r.VeeqoChannel)
		if store == "" && channel == "" && r.ChannelID == 0 {
			continue
		}
		bad := false
		if store == "" {
			add(n, ErrBadRow, "erp_store is empty (veeqo_channel %q)", r.VeeqoChannel)
			bad = true
		}
		if channel == "" && r.ChannelID == 0 {
			add(n, ErrBadRow, "veeqo_channel is empty (erp_store %q)", r.ERPStore)
			bad = true
		}
		if r.ChannelID < 0 {
			add(n, ErrBadRow, "channel_id %d is negative", r.ChannelID)
			bad = true
		}
		if bad {
			continue
		}
		if prev, dup := m.byStore[store]; dup {
			add(n, ErrDuplicate, "erp_store %q is already mapped by row %d", r.ERPStore, m.rows[prev].num)
			continue
		}
		if r.ChannelID != 0 {
			if prev, dup := byChannelID[r.ChannelID]; dup {
				add(n, ErrConflict, "channel id %d is already mapped from store %q by row %d; a second store "+
					"would make the reverse direction (Veeqo -> ERP) ambiguous", r.ChannelID, m.rows[prev].ERPStore, m.rows[prev].num)
				continue
			}
		} else if prev, dup := byChannelName[channel]; dup {
			add(n, ErrConflict, "veeqo_channel %q is already mapped from store %q by row %d; a second store "+
				"would make the reverse direction (Veeqo -> ERP) ambiguous", r.VeeqoChannel, m.rows[prev].ERPStore, m.rows[prev].num)
			continue
		}
		m.rows = append(m.rows, storeRow{StoreRow: r, num: n})
		idx := len(m.rows) - 1
		m.byStore[store] = idx
		if r.ChannelID != 0 {
			byChannelID[r.ChannelID] = idx
		} else {
			byChannelName[channel] = idx
		}
	}
	if len(problems) > 0 {
		return nil, &LoadError{Table: "store", Problems: problems}
	}
	return m, nil
}

// Config returns the rows as loaded, for saving.
func (m *StoreMap) Config() StoreConfig { return m.cfg }

// withSource returns a map with the same rows that resolves channels
// through src, with an empty cache.
func (m *StoreMap) withSource(src ChannelSource) *StoreMap {
	return &StoreMap{cfg: m.cfg, rows: m.rows, byStore: m.byStore, src: src}
}

// Channels returns every mapped channel that resolved, in row order, as
// Veeqo lists it (name, type): the channels fetch mode polls.
func (m *StoreMap) Channels(ctx context.Context) ([]veeqo.Channel, error) {
	ix, err := m.index(ctx)
	if err != nil {
		return nil, err
	}
	var out []veeqo.Channel
	for i := range m.rows {
		if ch, ok := ix.channel[i]; ok {
			out = append(out, ch)
		}
	}
	return out, nil
}

// Refresh forgets the cached channel list; the next lookup reads it again.
func (m *StoreMap) Refresh() { m.resolved.reset() }

func (m *StoreMap) index(ctx context.Context) (*storeIndex, error) {
	if m.src == nil {
		return nil, fmt.Errorf("mapping: store map has no channel source")
	}
	return m.resolved.get(ctx, m.resolve)
}

func (m *StoreMap) resolve(ctx context.Context) (*storeIndex, error) {
	var channels []veeqo.Channel
	for ch, err := range m.src.Channels(ctx) {
		if err != nil {
			return nil, fmt.Errorf("mapping: list Veeqo channels: %w", err)
		}
		channels = append(channels, ch)
	}
	ix := &storeIndex{
		channel:   map[int]veeqo.Channel{},
		rowErr:    map[int]error{},
		byChannel: map[int64]int{},
		names:     map[int64]string{},
	}
	byName := map[string][]veeqo.Channel{}
	byID := map[int64]veeqo.Channel{}
	var known []string
	for _, ch := range channels {
		byName[Normalize(ch.Name)] = append(byName[Normalize(ch.Name)], ch)
		byID[ch.ID] = ch
		ix.names[ch.ID] = ch.Name
		known = append(known, fmt.Sprintf("%q", ch.Name))
	}
	slices.Sort(known)
	knownList := strings.Join(known, ", ")
	if knownList == "" {
		knownList = "none"
	}
	fail := func(i int, err error, format string, args ...any) {
		p := RowProblem{Row: m.rows[i].num, Msg: fmt.Sprintf(format, args...), Err: err}
		ix.problems = append(ix.problems, p)
		ix.rowErr[i] = &LoadError{Table: "store", Problems: []RowProblem{p}}
	}
	for i, r := range m.rows {
		ch, fault := channelOf(r, byID, byName, knownList)
		if fault != nil {
			fail(i, fault.err, "%s", fault.msg)
			continue
		}
		if prev, dup := ix.byChannel[ch.ID]; dup {
			fail(i, ErrConflict, "channel %q (id %d) is already mapped from store %q by row %d",
				ch.Name, ch.ID, m.rows[prev].ERPStore, m.rows[prev].num)
			continue
		}
		ix.channel[i] = ch
		ix.byChannel[ch.ID] = i
	}
	return ix, nil
}

// rowFault is why a row does not resolve: the sentinel and the message.
type rowFault struct {
	err error
	msg string
}

// channelOf finds a store row's channel: by channel_id (whose name, when
// the row gives one too, must match) or by a name no other channel has.
func channelOf(r storeRow, byID map[int64]veeqo.Channel, byName map[string][]veeqo.Channel, knownList string) (veeqo.Channel, *rowFault) {
	if r.ChannelID != 0 {
		c, ok := byID[r.ChannelID]
		if !ok {
			return c, &rowFault{ErrUnknownChannel, fmt.Sprintf("Veeqo has no channel with id %d (store %q; channels: %s)", r.ChannelID, r.ERPStore, knownList)}
		}
		if Normalize(r.VeeqoChannel) != "" && Normalize(r.VeeqoChannel) != Normalize(c.Name) {
			return c, &rowFault{ErrUnknownChannel, fmt.Sprintf("Veeqo channel %d is named %q, not %q (store %q)", c.ID, c.Name, r.VeeqoChannel, r.ERPStore)}
		}
		return c, nil
	}
	found := byName[Normalize(r.VeeqoChannel)]
	switch len(found) {
	case 0:
		return veeqo.Channel{}, &rowFault{ErrUnknownChannel, fmt.Sprintf("Veeqo has no channel named %q (store %q; channels: %s)", r.VeeqoChannel, r.ERPStore, knownList)}
	case 1:
		return found[0], nil
	}
	var ids []string
	for _, c := range found {
		ids = append(ids, fmt.Sprintf("%d (%s)", c.ID, c.TypeCode))
	}
	return veeqo.Channel{}, &rowFault{ErrAmbiguous, fmt.Sprintf("Veeqo channel name %q matches channels %s; set channel_id on the row",
		r.VeeqoChannel, strings.Join(ids, ", "))}
}

// Check resolves every row against Veeqo's channel list and returns a
// *LoadError listing each row whose channel is unknown or ambiguous, or nil.
// A settings page can call it to validate before saving.
func (m *StoreMap) Check(ctx context.Context) error {
	ix, err := m.index(ctx)
	if err != nil {
		return err
	}
	if len(ix.problems) == 0 {
		return nil
	}
	return &LoadError{Table: "store", Problems: slices.Clone(ix.problems)}
}

// ChannelFor returns the Veeqo channel an ERP store's orders go to. A store
// without a row is an *UnmappedError; a row whose channel did not resolve is
// a *LoadError naming the row.
func (m *StoreMap) ChannelFor(ctx context.Context, erpStore string) (veeqo.Channel, error) {
	var buf [64]byte
	i, ok := m.byStore[string(appendNormal(buf[:0], erpStore))]
	if !ok {
		return veeqo.Channel{}, &UnmappedError{Table: "store", Name: erpStore, Direction: ToVeeqo}
	}
	ix, err := m.index(ctx)
	if err != nil {
		return veeqo.Channel{}, err
	}
	if err := ix.rowErr[i]; err != nil {
		return veeqo.Channel{}, err
	}
	return ix.channel[i], nil
}

// StoreFor returns the ERP store mapped to a Veeqo channel id (fetch mode).
// A channel without a row is an *UnmappedError naming the channel.
func (m *StoreMap) StoreFor(ctx context.Context, channelID int64) (string, error) {
	ix, err := m.index(ctx)
	if err != nil {
		return "", err
	}
	i, ok := ix.byChannel[channelID]
	if !ok {
		name := fmt.Sprintf("channel id %d", channelID)
		if n, known := ix.names[channelID]; known {
			name = fmt.Sprintf("%s (channel id %d)", n, channelID)
		}
		return "", &UnmappedError{Table: "store", Name: name, Direction: ToERP}
	}
	return strings.TrimSpace(m.rows[i].ERPStore), nil
}

// ChannelIDs returns the ids of every mapped channel that resolved, in row
// order: the channels fetch mode polls.
func (m *StoreMap) ChannelIDs(ctx context.Context) ([]int64, error) {
	chs, err := m.Channels(ctx)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(chs))
	for i, ch := range chs {
		ids[i] = ch.ID
	}
	return ids, nil
}
