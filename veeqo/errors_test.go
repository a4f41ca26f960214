package veeqo

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
)

func TestDecodeErrorMessagesShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		want []string
	}{
		{"error_string.json", []string{"Not found"}},
		{"error_array.json", []string{"Channel can't be blank", "Line items is invalid"}},
		{"error_status.json", []string{"Not Found"}},
		{"error_status_string.json", []string{"Not Found"}},
		{"error_rails.json", []string{"email: is invalid", "email: has already been taken"}},
		{"error_empty.json", nil},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			got := decodeErrorMessages(readTestdata(t, tt.file))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("messages (-want +got):\n%s", diff)
			}
		})
	}
	for _, junk := range []string{"<html>502 Bad Gateway</html>", "[1,2]", `{"error_messages":null}`, `{"error_messages":`, "null"} {
		require.Empty(t, decodeErrorMessages([]byte(junk)), junk)
	}
	require.Equal(t, []string{"a", `{"nested":"JSON"}`}, decodeErrorMessages([]byte(`{"error_messages":["a","{\"nested\":\"JSON\"}"]}`)))
}

func TestAPIErrorStatuses(t *testing.T) {
	t.Parallel()
	sentinels := []error{ErrNotFound, ErrUnauthorized, ErrForbidden, ErrRateLimited, ErrInvalidRequest, ErrServer, ErrOutcomeUnknown}
	tests := []struct {
		method string
		status int
		body   string
		want   []error
		msgs   []string
	}{
		{"GET", 404, `{"error_messages":"Not found"}`, []error{ErrNotFound}, []string{"Not found"}},
		{"GET", 404, `{"status":404,"error":"Not Found"}`, []error{ErrNotFound}, []string{"Not Found"}},
		{"GET", 401, `{"error_messages":"You're not authorized"}`, []error{ErrUnauthorized}, []string{"You're not authorized"}},
		{"GET", 403, `{"error_messages":"Feature not available on your current plan"}`, []error{ErrForbidden}, []string{"Feature not available on your current plan"}},
		{"POST", 400, `{"error_messages":["Infinity"]}`, []error{ErrInvalidRequest}, []string{"Infinity"}},
		{"POST", 422, `{"error_messages":["Channel can't be blank"]}`, []error{ErrInvalidRequest}, []string{"Channel can't be blank"}},
		{"POST", 500, ``, []error{ErrServer, ErrOutcomeUnknown}, nil},
		{"PUT", 500, ``, []error{ErrServer}, nil},
		{"GET", 418, `teapot`, nil, nil},
	}
	for _, tt := range tests {
		c, mux := setup(t, WithRetryPolicy(RetryPolicy{MaxAttempts: 1}))
		mux.HandleFunc("/current_company", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, tt.status, tt.body)
		})
		_, err := c.do(context.Background(), request{method: tt.method, path: "current_company", body: map[string]int{}}, nil)
		var apiErr *APIError
		require.ErrorAs(t, err, &apiErr)
		require.Equal(t, tt.status, apiErr.StatusCode)
		require.Equal(t, tt.msgs, apiErr.Messages)
		require.Equal(t, 1, apiErr.Attempts)
		require.Equal(t, tt.method, apiErr.Method)
		require.Contains(t, apiErr.URL, "/api-v1/current_company")
		for _, s := range sentinels {
			want := false
			for _, w := range tt.want {
				if w == s {
					want = true
				}
			}
			require.Equal(t, want, errors.Is(err, s), "%s %d is %v", tt.method, tt.status, s)
		}
	}
}

func TestAPIErrorBodySnippetIsBounded(t *testing.T) {
	t.Parallel()
	big := make([]byte, 10000)
	for i := range big {
		big[i] = 'x'
	}
	s := snippet(big, maxErrorSnippet)
	require.LessOrEqual(t, len(s), maxErrorSnippet+len("…"))
	require.Equal(t, "é", snippet([]byte("é"), 10))
	require.Equal(t, "…", snippet([]byte("é"), 1), "never cuts a rune in half")
}

func TestDecodeRealisticOrders(t *testing.T) {
	t.Parallel()
	var o Order
	require.NoError(t, decodeOrder(readTestdata(t, "order_shipped.json"), &o))
	require.Equal(t, int64(447345401), o.ID)
	require.Equal(t, "25.5", o.TotalPrice.String())
	require.Equal(t, "20", o.SubtotalPrice.String(), "money as a string")
	require.True(t, o.TotalDiscounts.IsZero(), "money null is zero")
	require.Nil(t, o.CancelledAt)
	require.NotNil(t, o.ShippedAt)
	require.Equal(t, 123_000_000, o.ShippedAt.Nanosecond())
	require.Equal(t, "", o.CancelReason, "null string")
	require.Equal(t, "WID-RED", o.LineItems[0].Sellable.SKUCode)
	require.Equal(t, "0.2", o.LineItems[0].TaxRate.String())

	a1, a2 := o.Allocations[0], o.Allocations[1]
	require.Nil(t, a1.PackedCompletely)
	require.True(t, *a2.PackedCompletely)
	require.Equal(t, "1Z999", a1.Shipment.Tracking(), "tracking number as an object")
	require.Equal(t, "Other", a1.Shipment.Carrier.Name, "carrier as an object")
	require.Equal(t, "Ground", a1.Shipment.Service())
	require.Equal(t, "5.52", a1.Shipment.OutboundLabelCharges.Value.String())
	require.Nil(t, a1.Shipment.UpdateRemoteOrder)
	require.Equal(t, "1Z888", a2.Shipment.Tracking(), "tracking number as a bare string")
	require.Equal(t, "UPS", a2.Shipment.Carrier.Name, "carrier as a bare string")
	require.Equal(t, "UPS Ground", a2.Shipment.Service(), "falls back to service_carrier_name")
	require.Nil(t, a2.Warehouse)

	var fba Order
	require.NoError(t, decodeOrder(readTestdata(t, "order_fba_pending.json"), &fba))
	require.Nil(t, fba.Customer)
	require.Nil(t, fba.DeliverTo)
	require.Nil(t, fba.Payment)
	require.Equal(t, ChannelAmazonFBA, fba.Channel.TypeCode)
	require.Equal(t, "12345678901234", fba.LineItems[0].RemoteID)
	sh := fba.Allocations[0].Shipment
	require.Nil(t, sh.TrackingNumber, "tracking null")
	require.Equal(t, "", sh.Tracking())
	require.Equal(t, "", sh.Service())
	require.Equal(t, "Amazon", sh.Carrier.Name)
}

func TestLooselyTypedFields(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		want       LineItem
		wantErr    bool
	}{
		{"string", `{"id":1,"remote_id":"12345678901234","quantity":2}`, LineItem{ID: 1, RemoteID: "12345678901234", Quantity: 2}, false},
		{"number", `{"id":1,"remote_id":12345678901234567890}`, LineItem{ID: 1, RemoteID: "12345678901234567890"}, false},
		{"null", `{"id":1,"remote_id":null,"title":"x"}`, LineItem{ID: 1, Title: "x"}, false},
		{"object is refused", `{"id":1,"remote_id":{}}`, LineItem{}, true},
	}
	for _, tt := range tests {
		var got LineItem
		err := json.Unmarshal([]byte(tt.body), &got)
		if tt.wantErr {
			require.Error(t, err, tt.name)
			continue
		}
		require.NoError(t, err, tt.name)
		if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b decimal.Decimal) bool { return a.Equal(b) })); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
	var a AmazonChannelSpecific
	require.NoError(t, json.Unmarshal([]byte(`{"id":1,"seller_id":"A1B2","marketplace_id":1,"channel_id":5,"fba_channel_id":6}`), &a))
	require.Equal(t, AmazonChannelSpecific{ID: 1, SellerID: "A1B2", MarketplaceID: "1", ChannelID: 5, FBAChannelID: 6}, a)
}

// The fields of orders that change after export: merge, cancel, and a voided
// label's cancelled tracking number.
func TestDecodeMergedCancelledOrder(t *testing.T) {
	t.Parallel()
	var o Order
	require.NoError(t, decodeOrder(readTestdata(t, "order_merged_cancelled.json"), &o))
	require.Equal(t, StatusCancelled, o.Status)
	require.Equal(t, "Merged into SO-1001", o.CancelReason)
	require.NotNil(t, o.CancelledAt)
	require.Equal(t, int64(447345401), o.MergedToID)
	require.True(t, o.MergedOrder)
	require.Equal(t, "US62701", o.MergeableID)
	void, live, none := o.Allocations[0].Shipment, o.Allocations[1].Shipment, o.Allocations[2].Shipment
	require.True(t, void.Voided())
	require.True(t, void.TrackingNumber.Cancelled)
	require.NotNil(t, void.TrackingNumber.CancelledAt)
	require.False(t, live.Voided())
	require.False(t, none.Voided(), "no tracking number is not a void")
	require.False(t, (*Shipment)(nil).Voided())
}
