package veeqotest_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/veeqo"
	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

func staffPost(t *testing.T, srv *veeqotest.Server, key, path string, body any) (*http.Response, []byte) {
	t.Helper()
	b, err := json.Marshal(body)
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, srv.URL()+path, bytes.NewReader(b))
	require.NoError(t, err)
	req.Header.Set("X-Api-Key", key)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	return resp, buf.Bytes()
}

// The staff API ships orders by number and SKU and creates marketplace
// orders, behind the API key; without WithStaffAPI it does not exist.
func TestStaffAPI(t *testing.T) {
	t.Parallel()
	srv := veeqotest.NewServer(t, veeqotest.WithStaffAPI(), veeqotest.WithoutRateLimit())
	seeded := srv.Seed(veeqotest.DemoCatalog())
	require.Len(t, seeded.SKUs, 4)
	ch := seeded.Channels["Web Store"]
	o := srv.AddOrder(veeqo.Order{Number: "SO-1", Channel: &ch, LineItems: []veeqo.LineItem{{Sellable: &veeqo.Sellable{ID: seeded.SKUs["MUG-1"]}, Quantity: 2}}})

	resp, _ := staffPost(t, srv, "wrong", "/_staff/ship", veeqotest.StaffShipRequest{Number: "SO-1"})
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	resp, body := staffPost(t, srv, srv.APIKey(), "/_staff/ship", veeqotest.StaffShipRequest{Number: "SO-1", Lines: map[string]int{"MUG-1": 1}, TrackingNumber: "T1", Carrier: "UPS"})
	require.Equal(t, http.StatusCreated, resp.StatusCode, string(body))
	got, _ := srv.Order(o.ID)
	require.Equal(t, veeqo.StatusAwaitingFulfillment, got.Status, "one of two shipped")
	resp, body = staffPost(t, srv, srv.APIKey(), "/_staff/ship", veeqotest.StaffShipRequest{Number: "SO-1", Lines: map[string]int{"CAP-1": 1}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, string(body), `has no line with SKU \"CAP-1\"`)
	resp, _ = staffPost(t, srv, srv.APIKey(), "/_staff/ship", veeqotest.StaffShipRequest{Number: "SO-1"})
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	got, _ = srv.Order(o.ID)
	require.Equal(t, veeqo.StatusShipped, got.Status)

	resp, body = staffPost(t, srv, srv.APIKey(), "/_staff/orders", veeqotest.StaffOrderRequest{Number: "113-1", Channel: "Amazon US",
		Lines: map[string]int{"TEE-1": 1}, Ship: &veeqotest.StaffShipRequest{TrackingNumber: "T2"}})
	require.Equal(t, http.StatusCreated, resp.StatusCode, string(body))
	mk := srv.OrdersByNumber("113-1")
	require.Len(t, mk, 1)
	require.Equal(t, veeqo.StatusShipped, mk[0].Status)
	require.Equal(t, seeded.Channels["Amazon US"].ID, mk[0].Channel.ID)
	resp, body = staffPost(t, srv, srv.APIKey(), "/_staff/orders", veeqotest.StaffOrderRequest{Number: "113-2", Channel: "Etsy", Lines: map[string]int{"NOPE": 1}})
	require.Equal(t, http.StatusNotFound, resp.StatusCode, string(body))

	plain := veeqotest.NewServer(t)
	resp, _ = staffPost(t, plain, plain.APIKey(), "/_staff/ship", veeqotest.StaffShipRequest{Number: "SO-1"})
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
}

// The fake listens only on loopback.
func TestListenAddrIsLoopbackOnly(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"0.0.0.0:8765", "192.0.2.1:80", "example.com:80", "8765"} {
		_, err := veeqotest.Start(veeqotest.WithListenAddr(bad))
		require.Error(t, err, bad)
	}
	srv, err := veeqotest.Start(veeqotest.WithListenAddr("127.0.0.1:0"))
	require.NoError(t, err)
	require.NoError(t, srv.Close())
}
