package veeqo

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestGetWithoutRecordIsAnError: a 200 whose body holds no record (empty,
// null, {}) came back as a zero Order/Product/Channel with a nil error, so a
// caller saw an order with no id, no lines and no allocations as if Veeqo
// had said so.
func TestGetWithoutRecordIsAnError(t *testing.T) {
	t.Parallel()
	for _, body := range []string{"", "null", "{}", `{"id":null}`} {
		t.Run(body, func(t *testing.T) {
			t.Parallel()
			c, mux := setup(t)
			for _, p := range []string{"GET /orders/7", "GET /products/7", "GET /channels/7"} {
				mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "application/json")
					_, _ = w.Write([]byte(body))
				})
			}
			ctx := context.Background()
			o, _, err := c.Orders.Get(ctx, 7)
			require.Nil(t, o)
			var de *DecodeError
			require.ErrorAs(t, err, &de)
			require.Contains(t, err.Error(), "GET /orders/7")
			require.NotErrorIs(t, err, ErrOutcomeUnknown)
			p, _, err := c.Products.Get(ctx, 7)
			require.Nil(t, p)
			require.ErrorContains(t, err, "GET /products/7")
			ch, _, err := c.Channels.Get(ctx, 7)
			require.Nil(t, ch)
			require.ErrorContains(t, err, "GET /channels/7")
		})
	}
}
