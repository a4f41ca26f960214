package sqlitestore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/xoroerp/veeqoconnect/store"
	"github.com/xoroerp/veeqoconnect/store/sqlitestore"
)

// Example opens a store file, claims an ERP order before exporting it, and
// links it to the Veeqo order in one transaction with its record and log.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "sqlitestore-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	s, err := sqlitestore.Open(ctx, filepath.Join(dir, "veeqoconnect.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()

	// Write-ahead claim: exactly one caller, in any process, gets true.
	e, claimed, err := s.ClaimExport(ctx, store.Export{Account: "acme", ERPRef: "SO-1001", Number: "SO-1001"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("claimed:", claimed, e.State)
	_, claimed, _ = s.ClaimExport(ctx, store.Export{Account: "acme", ERPRef: "SO-1001", Number: "SO-1001"})
	fmt.Println("claimed again:", claimed)

	// ... POST the order to Veeqo, then link it.
	e.State, e.VeeqoOrderID = store.ExportExported, 987654
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	e, _, err = s.CompleteExport(ctx, e,
		store.RecordUpdate{Account: "acme", Process: "export_order", Reference: "SO-1001",
			Status: store.RecordSuccess, Message: "exported", VeeqoOrderID: 987654, RunID: "run-1", At: at},
		store.LogEntry{Account: "acme", RunID: "run-1", Process: "export_order", Reference: "SO-1001",
			Message: "created Veeqo order 987654", Time: at})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("linked:", e.State, e.VeeqoOrderID)

	// A stale version loses the compare-and-set.
	e.Version--
	_, err = s.UpdateExport(ctx, e)
	fmt.Println("stale update conflicts:", errors.Is(err, store.ErrConflict))

	// Output:
	// claimed: true claimed
	// claimed again: false
	// linked: exported 987654
	// stale update conflicts: true
}

// ExampleWithSealer keeps API keys sealed with AES-GCM at rest; the store
// hands them back opened.
func ExampleWithSealer() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "sqlitestore-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	// In production the key comes from a secret store, never from code.
	sealer, err := store.NewSealerFromPassphrase("a long random generated secret, not this one")
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err := sqlitestore.Open(ctx, filepath.Join(dir, "veeqoconnect.db"), sqlitestore.WithSealer(sealer))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()

	if _, err := s.AddAccount(ctx, store.Account{Name: "acme", APIKey: "Vqt/example-key"}); err != nil {
		fmt.Println(err)
		return
	}
	a, err := s.GetAccount(ctx, "acme")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(a.Name, a.APIKey == "Vqt/example-key", a.Version)
	// Output:
	// acme true 1
}
