package sync_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"errors"
	"iter"

	"github.com/xoroerp/veeqoconnect/filter"
	"github.com/xoroerp/veeqoconnect/store"
	vsync "github.com/xoroerp/veeqoconnect/sync"
	"github.com/xoroerp/veeqoconnect/veeqo"
)

func TestExportFlow(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.settings.Filters = filter.Rows(filter.Row{Field: "source", Operator: "Not Equals", Value: "Phone"})
	phone := order("SO-4", "MUG-1:1")
	phone.Source = "Phone"
	unmapped := order("SO-5", "MUG-1:1")
	unmapped.ShipService = "Pigeon"
	noStore := order("SO-6", "MUG-1:1")
	noStore.Store = "Outlet"
	notWaved := order("SO-7", "MUG-1:1")
	notWaved.Wave = ""
	custom := order("SO-3", "MUG-1:2", "GIFTCARD:1", "TEE-1:1")
	custom.Lines[1].SKU = "GIFTCARD" // not in Veeqo: default SKU
	e.erp.Put(order("SO-1", "MUG-1:2", "TEE-1:1"), order("SO-2", "CAP-1:3"), custom, phone, unmapped, noStore, notWaved)

	rep := e.run(e.engine())
	assert.Equal(t, 3, rep.Exported)
	assert.Equal(t, 1, rep.Skipped)
	assert.Equal(t, 2, rep.Failed)
	assert.Equal(t, store.RunPartial, rep.Status)

	o1 := e.veeqoOrder("SO-1")
	assert.Equal(t, e.web.ID, o1.Channel.ID)
	require.Len(t, o1.LineItems, 2)
	require.NotNil(t, o1.DeliveryMethod)
	assert.Equal(t, "Standard", o1.DeliveryMethod.Name)
	ex, err := e.st.GetExport(context.Background(), testAccount, "SO-1")
	require.NoError(t, err)
	assert.Equal(t, store.ExportExported, ex.State)
	assert.Equal(t, o1.ID, ex.VeeqoOrderID)
	for _, l := range ex.Lines {
		assert.NotZero(t, l.VeeqoLineItemID, "line %s linked", l.ERPLine)
	}
	assert.Equal(t, store.RecordSuccess, e.record(vsync.ProcessExport, "SO-1").Status)

	// Default SKU: the order is exported, the substitution is recorded per line.
	r3 := e.record(vsync.ProcessExport, "SO-3")
	assert.Equal(t, store.RecordWarning, r3.Status)
	assert.Contains(t, r3.Message, `line 2: sku "GIFTCARD" is not in Veeqo's catalogue (sku_code); default SKU "DEFAULT" used`)
	ex3, err := e.st.GetExport(context.Background(), testAccount, "SO-3")
	require.NoError(t, err)
	assert.Equal(t, []bool{false, true, false}, []bool{ex3.Lines[0].Substituted, ex3.Lines[1].Substituted, ex3.Lines[2].Substituted})
	assert.Equal(t, e.sku["DEFAULT"], ex3.Lines[1].SellableID)

	// Filtered: a skipped record with the rejecting row.
	r4 := e.record(vsync.ProcessExport, "SO-4")
	assert.Equal(t, store.RecordSkipped, r4.Status)
	assert.Equal(t, `filtered out: row 1: source "Phone" equals "Phone"`, r4.Message)
	assert.Empty(t, e.srv.OrdersByNumber("SO-4"))

	// Unmapped ship service and store: errors naming the setting.
	r5 := e.record(vsync.ProcessExport, "SO-5")
	assert.Equal(t, store.RecordError, r5.Status)
	assert.Contains(t, r5.Message, `ship service "Pigeon" is not mapped (ship_service_mapping)`)
	r6 := e.record(vsync.ProcessExport, "SO-6")
	assert.Contains(t, r6.Message, `store "Outlet" is not mapped to a Veeqo channel (store_mapping)`)
	assert.Empty(t, e.srv.OrdersByNumber("SO-7"), "not waved: not a candidate")

	// A second run exports nothing again.
	before := e.srv.Count("POST", "/orders")
	rep2 := e.run(e.engine())
	assert.Equal(t, 0, rep2.Exported)
	assert.Equal(t, before, e.srv.Count("POST", "/orders"))
}

func TestExportLineNoIdentifierNoDefault(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.settings.DefaultSKU = ""
	bad := order("SO-1", "MUG-1:1", "NOPE-9:2", ":1")
	e.erp.Put(bad, order("SO-2", "TEE-1:1"))
	rep := e.run(e.engine())
	assert.Equal(t, 1, rep.Exported, "the bad order fails alone")
	assert.Equal(t, 1, rep.Failed)
	r := e.record(vsync.ProcessExport, "SO-1")
	assert.Equal(t, store.RecordError, r.Status)
	assert.Contains(t, r.Message, `line 2: sku "NOPE-9" is not in Veeqo's catalogue (sku_code) and no default SKU is set`)
	assert.Contains(t, r.Message, `line 3: has no sku and no default SKU is set`)
	assert.Empty(t, e.srv.OrdersByNumber("SO-1"))
	e.veeqoOrder("SO-2")
}

func TestExportCustomerReusedByEmail(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, b, c := order("SO-1", "MUG-1:1"), order("SO-2", "MUG-1:1"), order("SO-3", "MUG-1:1")
	b.Customer.Email = a.Customer.Email
	c.Customer.Email = strings.ToUpper(a.Customer.Email)
	e.erp.Put(a, b, c)
	puts := &customerPuts{Store: e.st}
	e.run(e.engine(withStore(puts)))
	o1, o2, o3 := e.veeqoOrder("SO-1"), e.veeqoOrder("SO-2"), e.veeqoOrder("SO-3")
	require.NotNil(t, o1.Customer)
	assert.Equal(t, o1.Customer.ID, o2.Customer.ID)
	assert.Equal(t, o1.Customer.ID, o3.Customer.ID)
	id, err := e.st.CustomerID(context.Background(), testAccount, a.Customer.Email)
	require.NoError(t, err)
	assert.Equal(t, o1.Customer.ID, id)
	// The first order created the customer and cached it; the others were
	// sent by the cached id, which needs no second write.
	assert.Equal(t, 1, int(puts.n.Load()), "customer cache writes")
}

// customerPuts counts the customer cache writes.
type customerPuts struct {
	store.Store
	n atomic.Int32
}

func (s *customerPuts) PutCustomerID(ctx context.Context, account, email string, id int64) error {
	s.n.Add(1)
	return s.Store.PutCustomerID(ctx, account, email, id)
}

func TestExportManualRunOptions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	old := order("SO-OLD", "MUG-1:1")
	old.CreatedAt = old.CreatedAt.AddDate(0, -2, 0)
	notWaved := order("SO-NW", "MUG-1:1")
	notWaved.Wave = ""
	e.erp.Put(order("SO-1", "MUG-1:1"), order("SO-2", "MUG-1:1"), old, notWaved)
	e.settings.StartDate = vsync.Date{Year: 2026, Month: 10, Day: 1}
	eng := e.engine()

	rep, err := eng.Run(context.Background(), vsync.RunOptions{Search: "so-2"})
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Exported)
	assert.Empty(t, e.srv.OrdersByNumber("SO-1"))

	// Explicit refs: exported from current data, even when not waved.
	rep, err = eng.RunRefs(context.Background(), "SO-NW", "SO-2", "SO-MISSING")
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Exported)
	e.veeqoOrder("SO-NW")
	got := map[string]store.RecordStatus{}
	for _, o := range rep.Outcomes {
		got[o.Reference] = o.Status
	}
	assert.Equal(t, map[string]store.RecordStatus{"SO-NW": store.RecordSuccess, "SO-2": store.RecordSuccess, "SO-MISSING": store.RecordError}, got)

	// The start date keeps older orders out of scheduled runs.
	e.run(eng)
	e.veeqoOrder("SO-1")
	assert.Empty(t, e.srv.OrdersByNumber("SO-OLD"))
}

func TestExportDryRun(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.erp.Put(order("SO-1", "MUG-1:1"), order("SO-2", "GIFT:1"))
	rep, err := e.engine().Run(context.Background(), vsync.RunOptions{DryRun: true})
	require.NoError(t, err)
	assert.Equal(t, 0, e.srv.Count("POST", "/orders"))
	require.Len(t, rep.Outcomes, 2)
	assert.Equal(t, store.RecordPending, rep.Outcomes[0].Status)
	assert.Contains(t, rep.Outcomes[1].Message, "default SKU")
	page, err := e.st.QueryRecords(context.Background(), store.RecordQuery{Account: testAccount})
	require.NoError(t, err)
	assert.Empty(t, page.Records, "a dry run records nothing")
}

func TestLinkLinesThroughDefaultSKU(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// Two lines both served by the default SKU: the links keep them apart.
	o := order("SO-1", "X-1:2", "X-2:3")
	e.erp.Put(o)
	e.run(e.engine())
	ex, err := e.st.GetExport(context.Background(), testAccount, "SO-1")
	require.NoError(t, err)
	want := []store.LineLink{
		{ERPLine: "1", SellableID: e.sku["DEFAULT"], SKU: "DEFAULT", Quantity: 2, Substituted: true},
		{ERPLine: "2", SellableID: e.sku["DEFAULT"], SKU: "DEFAULT", Quantity: 3, Substituted: true},
	}
	for i := range ex.Lines {
		assert.NotZero(t, ex.Lines[i].VeeqoLineItemID)
		ex.Lines[i].VeeqoLineItemID = 0
	}
	if d := cmp.Diff(want, ex.Lines); d != "" {
		t.Errorf("links (-want +got):\n%s", d)
	}
}

// unreadableERP yields an *OrderError for one reference among good orders.
type unreadableERP struct {
	*vsync.MemoryERP
	bad string
}

func (u unreadableERP) Candidates(ctx context.Context, q vsync.CandidateQuery) iter.Seq2[vsync.ERPOrder, error] {
	return func(yield func(vsync.ERPOrder, error) bool) {
		if !yield(vsync.ERPOrder{}, &vsync.OrderError{Ref: u.bad, Err: errors.New("[2].lines[1].quantity: must be positive, got 0")}) {
			return
		}
		for o, err := range u.MemoryERP.Candidates(ctx, q) {
			if !yield(o, err) {
				return
			}
		}
	}
}

// One order the ERP cannot read is that order's error record; the others
// are exported in the same run.
func TestUnreadableOrderFailsAloneOthersExport(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.erp.Put(order("SO-1", "MUG-1:1"), order("SO-3", "TEE-1:1"))
	eng := e.engine(withERP(unreadableERP{MemoryERP: e.erp, bad: "SO-2"}))
	rep, err := eng.Run(context.Background(), vsync.RunOptions{Trigger: "test"})
	require.NoError(t, err)
	require.Equal(t, store.RunPartial, rep.Status)
	require.Equal(t, 2, rep.Exported)
	require.Equal(t, 1, rep.Failed)
	rec := e.record(vsync.ProcessExport, "SO-2")
	require.Equal(t, store.RecordError, rec.Status)
	require.Equal(t, "[2].lines[1].quantity: must be positive, got 0", rec.Message)
	require.Len(t, e.srv.OrdersByNumber("SO-1"), 1)
	require.Len(t, e.srv.OrdersByNumber("SO-3"), 1)
}

// Two Veeqo delivery methods with the name a ship service maps to: the
// order fails alone with an error naming both ids and the mapping row,
// rather than going out with whichever came first.
func TestAmbiguousDeliveryMethodFailsTheOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	second := e.srv.AddDeliveryMethod(veeqo.DeliveryMethod{Name: "standard"})
	e.erp.Put(order("SO-1", "MUG-1:1"))
	rep := e.run(e.engine())
	assert.Equal(t, 1, rep.Failed)
	assert.Empty(t, e.srv.OrdersByNumber("SO-1"))
	r := e.record(vsync.ProcessExport, "SO-1")
	assert.Equal(t, store.RecordError, r.Status)
	assert.Contains(t, r.Message, `ship service "Ground"`)
	assert.Contains(t, r.Message, fmt.Sprint(second.ID))
	assert.Contains(t, r.Message, "ship_service_mapping row 1")
}
