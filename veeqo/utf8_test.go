package veeqo

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestAnswerNotUTF8IsAnError: a Veeqo answer holding bytes that are not
// UTF-8 is a DecodeError giving their position, not a record whose names
// hold U+FFFD. For a create it is an unknown outcome (Veeqo may have
// created the order).
func TestAnswerNotUTF8IsAnError(t *testing.T) {
	t.Parallel()
	c, mux := setup(t)
	body := "{\"id\":7,\"number\":\"SO-\xff1\",\"line_items\":[]}"
	for _, p := range []string{"GET /orders/7", "POST /orders"} {
		mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			if r.Method == "POST" {
				w.WriteHeader(http.StatusCreated)
			}
			_, _ = w.Write([]byte(body))
		})
	}
	o, _, err := c.Orders.Get(context.Background(), 7)
	require.Nil(t, o)
	var de *DecodeError
	require.ErrorAs(t, err, &de)
	require.ErrorContains(t, err, "GET /orders/7")
	require.ErrorContains(t, err, "not valid UTF-8 at byte offset 21")
	require.NotErrorIs(t, err, ErrOutcomeUnknown)

	_, _, err = c.Orders.Create(context.Background(), &OrderInput{ChannelID: 1, CustomerID: 2, DeliverToID: 3, LineItems: []LineItemInput{{SellableID: 4, Quantity: 1}}})
	require.ErrorIs(t, err, ErrOutcomeUnknown)
	require.ErrorContains(t, err, "not valid UTF-8")
}
