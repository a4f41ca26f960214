package veeqotest_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/veeqo"
	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

// The order search trails the database by the configured lag, while reads by
// id and listings without a query see every order at once.
func TestSearchLag(t *testing.T) {
	t.Parallel()
	f := newFixture(t, veeqotest.WithSearchLag(2*time.Second))
	o := f.create(t, "LAG-1")

	search := func() []string {
		var got []veeqo.Order
		call(t, f.srv, "GET", "/orders?query=LAG-1", nil).decode(t, &got)
		return numbers(got)
	}
	require.Empty(t, search(), "a search must not see an order younger than the lag")

	var listed []veeqo.Order
	since := o.CreatedAt.Add(-time.Minute).Format(time.RFC3339)
	call(t, f.srv, "GET", "/orders?created_at_min="+since, nil).decode(t, &listed)
	require.Equal(t, []string{"LAG-1"}, numbers(listed), "a listing without query sees it at once")

	r := call(t, f.srv, "GET", fmt.Sprintf("/orders/%d", o.ID), nil)
	require.Equal(t, 200, r.status, "a read by id sees it at once")

	f.clock.Advance(2*time.Second - time.Millisecond)
	require.Empty(t, search(), "still inside the lag")
	f.clock.Advance(time.Millisecond)
	require.Equal(t, []string{"LAG-1"}, search(), "visible once the lag has passed")

	// SetSearchLag changes it while the server runs; 0 makes search current.
	f.srv.SetSearchLag(5 * time.Minute)
	require.Empty(t, search())
	f.srv.SetSearchLag(0)
	require.Equal(t, []string{"LAG-1"}, search())
}

func TestSearchLagRejectsNegative(t *testing.T) {
	t.Parallel()
	_, err := veeqotest.Start(veeqotest.WithSearchLag(-time.Second))
	require.ErrorContains(t, err, "must not be negative")
}
