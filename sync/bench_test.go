package sync_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	vsync "github.com/xoroerp/veeqoconnect/sync"
)

// BenchmarkExportRun measures a steady-state export run of 100 orders
// against veeqotest on loopback (no rate limit: this is the engine's and
// the store's own cost, not Veeqo's 5 requests/s).
func BenchmarkExportRun(b *testing.B) {
	e := newEnv(b)
	eng := e.engine()
	e.erp.Put(manyOrders("WARM", 10)...)
	if _, err := eng.Run(context.Background(), vsync.RunOptions{}); err != nil {
		b.Fatal(err)
	}
	calls := 0
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		e.clk.Advance(time.Minute)
		e.erp.Put(manyOrders(fmt.Sprintf("B%d", i), 100)...)
		b.StartTimer()
		rep, err := eng.Run(context.Background(), vsync.RunOptions{})
		if err != nil || rep.Exported != 100 {
			b.Fatalf("exported %d: %v", rep.Exported, err)
		}
		calls += int(rep.VeeqoCalls)
	}
	b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "orders/s")
	b.ReportMetric(float64(calls)/float64(b.N*100), "calls/order")
}
