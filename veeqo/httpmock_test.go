package veeqo

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"
)

// mockClient returns a client whose transport is its own httpmock
// transport: never the global httpmock.Activate.
func mockClient(t *testing.T) (*Client, *httpmock.MockTransport) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	c, err := New(testKey,
		WithHTTPClient(&http.Client{Transport: mt}),
		WithRateLimit(rate.Inf, 1),
		WithRetryPolicy(RetryPolicy{MaxAttempts: 3, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}))
	require.NoError(t, err)
	return c, mt
}

func TestHTTPMockChannelListEncoding(t *testing.T) {
	t.Parallel()
	c, mt := mockClient(t)
	mt.RegisterResponderWithQuery(http.MethodGet, "https://api.veeqo.com/channels",
		"page=3&page_size=20&type_code=amazon_fba",
		func(r *http.Request) (*http.Response, error) {
			if r.Header.Get("x-api-key") != testKey {
				return httpmock.NewStringResponse(401, `{"error_messages":"You're not authorized"}`), nil
			}
			return httpmock.NewStringResponse(200, `[{"id":2,"type_code":"amazon_fba","name":"FBA"}]`), nil
		})
	chs, resp, err := c.Channels.List(context.Background(), &ChannelListOptions{ListOptions: ListOptions{Page: 3, PageSize: 20}, TypeCode: ChannelAmazonFBA})
	require.NoError(t, err)
	require.Equal(t, "FBA", chs[0].Name)
	require.Zero(t, resp.NextPage, "a short page")
	require.Equal(t, 1, mt.GetTotalCallCount())
}

func TestHTTPMockTransportErrorOnPOSTIsNotReplayed(t *testing.T) {
	t.Parallel()
	c, mt := mockClient(t)
	// A custom transport reports no connection events, so the client cannot
	// prove the request stayed local: it must assume Veeqo may have it.
	mt.RegisterResponder(http.MethodPost, "https://api.veeqo.com/shipments", httpmock.NewErrorResponder(io.ErrUnexpectedEOF))
	mt.RegisterResponder(http.MethodDelete, "https://api.veeqo.com/shipments/5", httpmock.NewErrorResponder(io.ErrUnexpectedEOF))
	_, _, err := c.Shipments.Create(context.Background(), &ShipmentInput{OrderID: 1, AllocationID: 2, CarrierID: 3})
	require.ErrorIs(t, err, ErrOutcomeUnknown)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	require.Equal(t, 1, mt.GetCallCountInfo()["POST https://api.veeqo.com/shipments"])

	_, err = c.Shipments.Delete(context.Background(), 5)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	require.False(t, errors.Is(err, ErrOutcomeUnknown), "a DELETE can be repeated safely")
	require.Equal(t, 3, mt.GetCallCountInfo()["DELETE https://api.veeqo.com/shipments/5"], "retried up to MaxAttempts")
	require.Contains(t, err.Error(), "after 3 attempts")
}
