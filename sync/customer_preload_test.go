package sync_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	vsync "github.com/xoroerp/veeqoconnect/sync"
	"github.com/xoroerp/veeqoconnect/veeqo"
)

// newCustomersWave returns n waved one-line orders, each with its own new
// customer email (new-NNNN@example.com).
func newCustomersWave(n int) []vsync.ERPOrder {
	out := make([]vsync.ERPOrder, n)
	for i := range out {
		out[i] = order(fmt.Sprintf("SO-%04d", i), "MUG-1:1")
		out[i].Customer.Email = fmt.Sprintf("new-%04d@example.com", i)
	}
	return out
}

// seedCustomers adds n customers to the fake, other-NNNN@example.com, the
// first added being the oldest (last in Veeqo's newest-first list).
func (e *env) seedCustomers(n int) []veeqo.Customer {
	out := make([]veeqo.Customer, n)
	for i := range out {
		out[i] = e.srv.AddCustomer(veeqo.Customer{Email: fmt.Sprintf("other-%04d@example.com", i)})
	}
	return out
}

// customerLookups counts the email lookups (GET /customers?query=...) the
// fake received; listCalls the reads of the list itself (no query).
func (e *env) customerLookups() (lookups, listCalls int) {
	for _, r := range e.srv.Requests() {
		if r.Method != "GET" || r.Path != "/customers" {
			continue
		}
		if r.Query.Get("query") != "" {
			lookups++
		} else {
			listCalls++
		}
	}
	return lookups, listCalls
}

// customersByEmail reads every customer of the fake, by folded email.
func (e *env) customersByEmail() map[string][]int64 {
	e.t.Helper()
	out := map[string][]int64{}
	for c, err := range e.client.Customers.ListIter(context.Background(), &veeqo.CustomerListOptions{ListOptions: veeqo.ListOptions{PageSize: 100}}) {
		require.NoError(e.t, err)
		k := strings.ToLower(strings.TrimSpace(c.Email))
		out[k] = append(out[k], c.ID)
	}
	return out
}

// TestColdWaveCustomerCallBudget: a cold wave of n orders with n new
// customers costs n creates plus a few calls (per batch of candidates the
// count and the pages of Veeqo's customer list; channels, delivery methods,
// items, the confirmation poll), not a customer lookup per order.
func TestColdWaveCustomerCallBudget(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.seedCustomers(250) // three pages of customers the wave does not use
	const n = 450        // three batches of candidates
	e.erp.Put(newCustomersWave(n)...)
	puts := &customerPuts{Store: e.st}
	rep := e.run(e.engine(withStore(puts)))
	require.Equal(t, n, rep.Exported)
	calls := e.srv.TotalRequests()
	lookups, listCalls := e.customerLookups()
	t.Logf("cold wave: %d orders, %d Veeqo calls (%.3f per order): %d creates, %d customer list calls, %d email lookups",
		n, calls, float64(calls)/n, e.srv.Count("POST", "/orders"), listCalls, lookups)
	assert.Equal(t, n, e.srv.Count("POST", "/orders"))
	assert.Zero(t, lookups, "no email looked up one by one")
	// Each batch counts and reads the list as it then is: 250, 450 and 650
	// customers.
	assert.Equal(t, (1+3)+(1+5)+(1+7), listCalls, "per batch one count and the list's pages")
	assert.LessOrEqual(t, calls, n+30, "n creates and a few calls")
	// Each new customer is cached once, after its create; none of the 250
	// listed customers the wave does not use is written.
	assert.Equal(t, n, int(puts.n.Load()), "customer cache writes")
}

// TestListedCustomerUsedByID: an email Veeqo's customer list has (in another
// case, with spaces) is sent by that customer's id: no second customer with
// that email is created, and its id is cached; the new emails are created
// inline, each once even when two orders of the wave share one.
func TestListedCustomerUsedByID(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	seeded := e.seedCustomers(119)
	spaced := e.srv.AddCustomer(veeqo.Customer{Email: " Spaced@Example.com "})
	wave := newCustomersWave(8)
	wave[0].Customer.Email = "OTHER-0003@Example.COM"
	wave[1].Customer.Email = "spaced@example.com"
	wave[2].Customer.Email = wave[3].Customer.Email // two orders, one new customer
	e.erp.Put(wave...)
	puts := &customerPuts{Store: e.st}
	rep := e.run(e.engine(withStore(puts)))
	require.Equal(t, len(wave), rep.Exported)

	lookups, listCalls := e.customerLookups()
	assert.Zero(t, lookups)
	assert.Equal(t, 1+2, listCalls, "one count and two pages")
	assert.Equal(t, seeded[3].ID, e.veeqoOrder("SO-0000").Customer.ID)
	assert.Equal(t, spaced.ID, e.veeqoOrder("SO-0001").Customer.ID)
	assert.Equal(t, e.veeqoOrder("SO-0002").Customer.ID, e.veeqoOrder("SO-0003").Customer.ID)
	byEmail := e.customersByEmail()
	assert.Len(t, byEmail, 120+5, "the seeded customers and the wave's 5 new emails")
	for email, ids := range byEmail {
		assert.Len(t, ids, 1, "customers with email %s", email)
	}
	id, err := e.st.CustomerID(context.Background(), testAccount, seeded[3].Email)
	require.NoError(t, err)
	assert.Equal(t, seeded[3].ID, id)
	// The 2 listed customers the wave uses and the 5 created: never the
	// 118 others.
	assert.Equal(t, 2+5, int(puts.n.Load()), "customer cache writes")
}

// TestCustomerListingCutByDeepPaging: when Veeqo's paging stops before the
// end of its customer list (its deep-paging bug), the listing is not whole:
// what it found is used, and the emails it did not find are looked up one by
// one instead of being taken as new, so a customer past the cut is found
// and not created twice.
func TestCustomerListingCutByDeepPaging(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	seeded := e.seedCustomers(250)
	e.srv.SetCustomerPageCap(1) // newest first: page 1 holds seeded[150:]
	wave := newCustomersWave(6)
	wave[0].Customer.Email = seeded[200].Email // on page 1
	wave[1].Customer.Email = seeded[10].Email  // past the cut
	e.erp.Put(wave...)
	rep := e.run(e.engine())
	require.Equal(t, len(wave), rep.Exported)

	lookups, listCalls := e.customerLookups()
	assert.Equal(t, 1+1, listCalls, "the count and the one page Veeqo says there is")
	assert.Equal(t, 5, lookups, "every email the cut listing did not find is looked up")
	assert.Equal(t, seeded[200].ID, e.veeqoOrder("SO-0000").Customer.ID)
	assert.Equal(t, seeded[10].ID, e.veeqoOrder("SO-0001").Customer.ID, "found by its lookup, not created again")
	e.srv.SetCustomerPageCap(0)
	for email, ids := range e.customersByEmail() {
		assert.Len(t, ids, 1, "customers with email %s", email)
	}
}

// listingFails fails Veeqo's customer list after its first customers, or
// the count.
type listingFails struct {
	vsync.VeeqoAPI
	countFails bool
	after      int
}

func (a listingFails) CountCustomers(ctx context.Context) (int, error) {
	if a.countFails {
		return 0, errors.New("injected count failure")
	}
	return a.VeeqoAPI.CountCustomers(ctx)
}

func (a listingFails) Customers(ctx context.Context) iter.Seq2[veeqo.Customer, error] {
	return func(yield func(veeqo.Customer, error) bool) {
		n := 0
		for c, err := range a.VeeqoAPI.Customers(ctx) {
			if err == nil && n == a.after {
				yield(veeqo.Customer{}, errors.New("injected listing failure"))
				return
			}
			n++
			if !yield(c, err) {
				return
			}
		}
	}
}

// TestCustomerListingFailureFallsBack: a customer list that fails part way,
// or a count that fails, costs lookups and nothing else: every order is
// exported, existing customers are used by id, none is created twice.
func TestCustomerListingFailureFallsBack(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		api         listingFails
		wantLookups int
	}{
		{"listing fails after 150 customers", listingFails{after: 150}, 5}, // seeded[200] was read
		{"count fails", listingFails{countFails: true}, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			seeded := e.seedCustomers(250)
			wave := newCustomersWave(6)
			wave[0].Customer.Email = seeded[200].Email
			wave[1].Customer.Email = seeded[10].Email
			e.erp.Put(wave...)
			api := tc.api
			api.VeeqoAPI = vsync.ClientAPI(e.client)
			rep := e.run(e.engine(withAPI(api)))
			require.Equal(t, len(wave), rep.Exported)
			lookups, _ := e.customerLookups()
			assert.Equal(t, tc.wantLookups, lookups)
			assert.Equal(t, seeded[200].ID, e.veeqoOrder("SO-0000").Customer.ID)
			assert.Equal(t, seeded[10].ID, e.veeqoOrder("SO-0001").Customer.ID)
			for email, ids := range e.customersByEmail() {
				assert.Len(t, ids, 1, "customers with email %s", email)
			}
		})
	}
}

// TestDryRunCustomerPreloadWritesNothing: a dry run settles its customers
// from the list as a real run does, and writes nothing to the store's
// customer cache.
func TestDryRunCustomerPreloadWritesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	seeded := e.seedCustomers(120)
	wave := newCustomersWave(6)
	wave[0].Customer.Email = seeded[5].Email
	e.erp.Put(wave...)
	puts := &customerPuts{Store: e.st}
	rep, err := e.engine(withStore(puts)).Run(context.Background(), vsync.RunOptions{Trigger: "test", DryRun: true})
	require.NoError(t, err)
	require.Len(t, rep.Outcomes, len(wave))
	lookups, listCalls := e.customerLookups()
	assert.Zero(t, lookups)
	assert.Equal(t, 1+2, listCalls)
	assert.Zero(t, puts.n.Load(), "a dry run writes no customer")
	_, err = e.st.CustomerID(context.Background(), testAccount, seeded[5].Email)
	assert.Error(t, err, "not cached")
}

// TestColdWaveOneLineOrdersReadCatalogueOnce: one-line orders over more
// distinct SKUs than Veeqo's catalogue has pages are resolved from one read
// of the catalogue for the batch, not a product search per SKU (no single
// order has enough lines to make the resolver preload by itself).
func TestColdWaveOneLineOrdersReadCatalogueOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	skus := []string{"MUG-1", "TEE-1", "CAP-1", "DEFAULT"}
	wave := newCustomersWave(20)
	for i := range wave {
		wave[i] = order(wave[i].Ref, skus[i%len(skus)]+":1")
	}
	e.erp.Put(wave...)
	rep := e.run(e.engine())
	require.Equal(t, len(wave), rep.Exported)
	searches, reads := 0, 0
	for _, r := range e.srv.Requests() {
		if r.Method == "GET" && r.Path == "/products" {
			if r.Query.Get("query") != "" {
				searches++
			} else {
				reads++
			}
		}
	}
	assert.Zero(t, searches, "no product search per SKU")
	assert.Equal(t, 1+1, reads, "one count and the catalogue's one page")
	for i, o := range wave {
		got := e.veeqoOrder(o.Ref)
		require.Len(t, got.LineItems, 1)
		assert.Equal(t, e.sku[skus[i%len(skus)]], got.LineItems[0].Sellable.ID, o.Ref)
	}
}

// TestExportedCandidatesReadNoLists: orders exported earlier stay
// candidates until they ship; a later run (after the catalogue's TTL) does
// not read Veeqo's catalogue or customer list for them.
func TestExportedCandidatesReadNoLists(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	skus := []string{"MUG-1", "TEE-1", "CAP-1", "DEFAULT"}
	wave := newCustomersWave(12)
	for i := range wave {
		o := order(wave[i].Ref, skus[i%len(skus)]+":1")
		o.Customer = wave[i].Customer
		wave[i] = o
	}
	e.erp.Put(wave...)
	eng := e.engine()
	require.Equal(t, len(wave), e.run(eng).Exported)
	e.clk.Advance(time.Hour)
	e.srv.ResetRequests()
	rep := e.run(eng)
	require.Zero(t, rep.Exported)
	assert.Zero(t, e.srv.Count("GET", "/products"), "no catalogue read")
	assert.Zero(t, e.srv.Count("GET", "/customers"), "no customer read")
}
