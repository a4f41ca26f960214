package pgstore_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/xoroerp/veeqoconnect/store"
	"github.com/xoroerp/veeqoconnect/store/pgstore"
)

// ExampleOpen opens the store, claims an ERP order before posting it to
// Veeqo, and completes it. It needs a database, so it has no checked output;
// TestConformance and the other tests run the same calls.
func ExampleOpen() {
	ctx := context.Background()
	dsn := os.Getenv("VEEQOCONNECT_PG_DSN") // e.g. postgres://app@127.0.0.1:5432/erp?sslmode=disable
	if dsn == "" {
		return
	}
	s, err := pgstore.Open(ctx, dsn, pgstore.WithSchema("veeqoconnect_example"))
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	lease, err := s.AcquireLease(ctx, "main", store.Holder{ID: "worker-1"}, time.Minute)
	if err != nil {
		log.Fatal(err) // store.ErrLeaseHeld: another worker runs this account
	}
	defer s.ReleaseLease(ctx, lease)

	e, claimed, err := s.ClaimExport(ctx, store.Export{Account: "main", ERPRef: "SO-1001", Number: "SO-1001"})
	if err != nil {
		log.Fatal(err)
	}
	if !claimed {
		fmt.Println("already claimed, state", e.State)
		return
	}
	// ... POST the order to Veeqo, then link it, record it and log it at once:
	e.State, e.VeeqoOrderID = store.ExportExported, 123456
	e, _, err = s.CompleteExport(ctx, e,
		store.RecordUpdate{Account: "main", Process: "export_order", Reference: "SO-1001", Status: store.RecordSuccess},
		store.LogEntry{Account: "main", Process: "export_order", Level: store.LevelInfo, Reference: "SO-1001", Message: "exported"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("exported as Veeqo order", e.VeeqoOrderID)
}
