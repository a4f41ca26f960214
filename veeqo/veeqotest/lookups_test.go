package veeqotest_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/veeqo"
	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

func TestCustomers(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tests := []struct {
		name   string
		body   any
		status int
		email  string
	}{
		{"wrapped", map[string]any{"customer": map[string]any{"email": "w@example.com", "phone": "1",
			"billing_address_attributes": map[string]any{"first_name": "Wes", "last_name": "Lo", "country": "GB"}}}, 201, "w@example.com"},
		{"flat", map[string]any{"email": "flat@example.com", "customer_type": "business"}, 201, "flat@example.com"},
		{"missing email", map[string]any{"customer": map[string]any{"phone": "1"}}, 422, ""},
		{"notes too long", map[string]any{"customer": map[string]any{"email": "n@example.com", "notes": strings.Repeat("x", 256)}}, 422, ""},
		{"malformed", `{"customer":`, 400, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, f.srv, "POST", "/customers", tc.body)
			require.Equal(t, tc.status, r.status, "%s", r.body)
			if tc.status != 201 {
				return
			}
			var c veeqo.Customer
			r.decode(t, &c)
			require.Equal(t, tc.email, c.Email)
			require.NotZero(t, c.ID)
			require.Equal(t, f.srv.URL()+path("/customers/%d", c.ID), r.header.Get("Location"))
			r = call(t, f.srv, "GET", path("/customers/%d", c.ID), nil)
			require.Equal(t, 200, r.status)
			var again veeqo.Customer
			r.decode(t, &again)
			require.Equal(t, c, again)
		})
	}
	r := call(t, f.srv, "GET", "/customers?query=w@example", nil)
	var list []veeqo.Customer
	r.decode(t, &list)
	require.Len(t, list, 1)
	require.Equal(t, "Wes Lo", list[0].FullName)
	require.Equal(t, "GB", list[0].BillingAddress.Country)
}

func TestGetByID(t *testing.T) {
	t.Parallel()
	f := newFixture(t, veeqotest.WithCompanyName("Acme"))
	tests := []struct {
		path string
		want string
	}{
		{path("/channels/%d", f.amazon.ID), `"type_code":"amazon"`},
		{path("/warehouses/%d", f.wh2.ID), `"name":"Overflow"`},
		{path("/delivery_methods/%d", f.delivery.ID), `"cost":"0"`},
		{path("/products/%d", f.cup.ProductID), `"sku_code":"CUP-1"`},
		{path("/customers/%d", f.customer.ID), `"email":"ann@example.com"`},
		{"/current_company", `"name":"Acme"`},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			r := call(t, f.srv, "GET", tc.path, nil)
			require.Equal(t, 200, r.status)
			require.Contains(t, string(r.body), tc.want)
		})
	}
}

// TestRailsInputForms covers the looser input Rails accepts: the
// hash-of-index form of nested arrays, booleans as strings, and the
// singular employee_note_attributes spelling.
func TestRailsInputForms(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	body := map[string]any{"order": map[string]any{
		"channel_id": f.direct.ID, "customer_id": f.customer.ID, "send_notification_email": "true",
		"deliver_to_attributes":    map[string]any{"first_name": "Ann"},
		"employee_note_attributes": []any{map[string]any{"text": "singular spelling"}},
		"line_items_attributes": map[string]any{
			"1": map[string]any{"sellable_id": f.cup.ID, "quantity": "1", "price_per_unit": "2"},
			"0": map[string]any{"sellable_id": f.mug.ID, "quantity": "3", "price_per_unit": "1"},
		},
	}}
	r := call(t, f.srv, "POST", "/orders", body)
	require.Equal(t, 201, r.status, "%s", r.body)
	var o veeqo.Order
	r.decode(t, &o)
	require.True(t, o.SendNotificationEmail)
	require.Len(t, o.EmployeeNotes, 1)
	require.Len(t, o.LineItems, 2)
	require.Equal(t, f.mug.ID, o.LineItems[0].Sellable.ID, "index order kept")
	require.Equal(t, 3, o.LineItems[0].Quantity)
	require.Equal(t, path("#%d", o.ID), o.Number, "a generated number when none is sent")
}

func TestTouchOrder(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	o := f.create(t, "T-1")
	f.clock.Advance(time.Hour)
	require.NoError(t, f.srv.TouchOrder(o.ID))
	got, _ := f.srv.Order(o.ID)
	require.Equal(t, o.UpdatedAt.Add(time.Hour), got.UpdatedAt)
	require.ErrorIs(t, f.srv.TouchOrder(1), veeqotest.ErrNotFound)
}

// TestCustomerDeepPaging: GET /customers pages with X-Total-Count like
// Veeqo, and with the deep-paging bug on the page count stops at the cap and
// a page past it repeats the last one, while X-Total-Count stays true.
func TestCustomerDeepPaging(t *testing.T) {
	t.Parallel()
	f := newFixture(t) // one customer already
	for i := range 24 {
		f.srv.AddCustomer(veeqo.Customer{Email: fmt.Sprintf("c%02d@example.com", i)})
	}
	page := func(n int) (ids []int64, pages string) {
		r := call(t, f.srv, "GET", fmt.Sprintf("/customers?page=%d&page_size=10", n), nil)
		require.Equal(t, 200, r.status, "%s", r.body)
		require.Equal(t, "25", r.header.Get("X-Total-Count"))
		var cs []veeqo.Customer
		r.decode(t, &cs)
		for _, c := range cs {
			ids = append(ids, c.ID)
		}
		return ids, r.header.Get("X-Total-Pages-Count")
	}
	seen := map[int64]bool{}
	for n := 1; n <= 3; n++ {
		ids, pages := page(n)
		require.Equal(t, "3", pages)
		for _, id := range ids {
			seen[id] = true
		}
	}
	require.Len(t, seen, 25, "without the bug the pages hold every customer once")

	f.srv.SetCustomerPageCap(2)
	second, pages := page(2)
	require.Equal(t, "2", pages, "the page count stops at the cap")
	third, _ := page(3)
	require.Equal(t, second, third, "a page past the cap repeats the last one")

	f.srv.SetCustomerPageCap(0)
	third, pages = page(3)
	require.Equal(t, "3", pages)
	require.Len(t, third, 5)
}

// TestDirectCustomersHonourTheDeepPagingCap: the in-process Direct lists
// customers as the HTTP client does, the deep-paging cap included: the
// count stays true and the listing stops at the capped page count.
func TestDirectCustomersHonourTheDeepPagingCap(t *testing.T) {
	t.Parallel()
	f := newFixture(t) // one customer already
	for i := range 249 {
		f.srv.AddCustomer(veeqo.Customer{Email: fmt.Sprintf("c%03d@example.com", i)})
	}
	d := f.srv.Direct()
	ctx := t.Context()
	list := func() int {
		n := 0
		for _, err := range d.Customers(ctx) {
			require.NoError(t, err)
			n++
		}
		return n
	}
	require.Equal(t, 250, list())
	f.srv.SetCustomerPageCap(1)
	n, err := d.CountCustomers(ctx)
	require.NoError(t, err)
	require.Equal(t, 250, n, "the count stays true")
	require.Equal(t, 100, list(), "the listing stops at the capped page count")
	f.srv.SetCustomerPageCap(0)
	require.Equal(t, 250, list())
}
