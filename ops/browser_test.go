package ops_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/store"
	vsync "github.com/xoroerp/veeqoconnect/sync"
)

// browserPath finds Debian's chromium (or another Chrome). In CI a
// missing browser fails the test; elsewhere it skips, saying so.
func browserPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no chromium on PATH: .ci/run installs Debian's chromium; the browser test must run in CI")
	}
	t.Skip("skipping the browser test: no chromium on PATH (apt-get install chromium)")
	return ""
}

// screenshotDir is where the browser test leaves its screenshots:
// $VEEQOCONNECT_ARTIFACTS/ops-browser, else testdata/screenshots (ignored
// by git).
func screenshotDir(t *testing.T) string {
	dir := filepath.Join("testdata", "screenshots")
	if a := os.Getenv("VEEQOCONNECT_ARTIFACTS"); a != "" {
		dir = filepath.Join(a, "ops-browser")
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	return dir
}

// unlabelled lists the form fields of the page that have no label.
const unlabelled = `Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea'))
	.filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
	.map(e => e.name || e.id)`

// TestOperationsPageInABrowser drives the page in a real chromium at
// 1280x800: the Orders tab filtered to errors, one marked resolved and
// one run again, a manual run watched to its end, a bad setting shown
// beside its field and a good one saved; every page's fields have
// labels, and the settings form is reachable with the keyboard alone.
func TestOperationsPageInABrowser(t *testing.T) {
	exe := browserPath(t)
	w := newWorld(t)
	shots := screenshotDir(t)

	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.Headless, chromedp.DisableGPU,
			chromedp.WindowSize(1280, 800), chromedp.Flag("disable-dev-shm-usage", true))...)
	defer cancelAlloc()
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	defer cancelCtx()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(opUser+":"+opPass))
	_, err := chromedp.Call(ctx, network.Enable, network.EnableParams{})
	if err == nil {
		_, err = chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Authorization": auth}})
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the browser did not start: %v", err)
		}
		t.Skipf("skipping the browser test: the browser did not start: %v", err)
	}

	n := 0
	shot := func(name string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			// The run's progress page reloads itself every second: a
			// capture that meets a reload is taken again.
			var buf []byte
			var err error
			for range 20 {
				if buf, err = chromedp.FullScreenshot(100)(ctx, tg); err == nil {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			if err != nil {
				return err
			}
			n++
			return os.WriteFile(filepath.Join(shots, strings.ReplaceAll(filepath.Base(name), " ", "-")), buf, 0o644)
		})
	}
	labels := func(page string) {
		t.Helper()
		missing, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](unlabelled))
		require.NoError(t, err)
		assert.Empty(t, missing, "fields without a label on %s", page)
	}
	text := func(sel string) string {
		t.Helper()
		var s string
		var err error
		for range 20 { // again if a reload came in between
			if s, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel))); err == nil {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		require.NoError(t, err, sel)
		return s
	}
	waitFor := func(js string) chromedp.Action[chromedp.Void] {
		// Evaluate again and again: a navigation in between destroys the
		// page's context, which is not a failure here.
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			deadline := time.Now().Add(30 * time.Second)
			for {
				ok, err := chromedp.Evaluate[bool](js)(ctx, tg)
				if err == nil && ok {
					return nil
				}
				if time.Now().After(deadline) {
					return fmt.Errorf("waited 30s for %s (last error: %v)", js, err)
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}

	// 1. The Orders tab.
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(w.base+"a/acme/orders"), chromedp.WaitVisible(chromedp.CSS("#records")), shot("01-orders.png")))
	all := text("#records tbody")
	for _, ref := range []string{"SO-1", "SO-2", "SO-4", "SO-9"} {
		assert.Contains(t, all, ref)
	}
	labels("orders")

	// 2. Filter to errors, with the keyboard: Space ticks the box, Enter
	// submits.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Focus(chromedp.CSS("#f-errors")), chromedp.KeyEvent(" "),
		chromedp.Focus(chromedp.CSS("#apply-filters")), chromedp.KeyEvent(kb.Enter),
		waitFor(`location.search.includes("errors_only=1") && document.readyState === "complete"`),
		chromedp.WaitVisible(chromedp.CSS("#records")), shot("02-errors-only.png")))
	errorsOnly := text("#records tbody")
	assert.Contains(t, errorsOnly, "SO-9")
	assert.Contains(t, errorsOnly, `store "Nowhere" is not mapped`)
	assert.NotContains(t, errorsOnly, "SO-1")
	assert.Equal(t, "1 record(s) · error 1", strings.TrimSpace(text("#summary")))

	// 3. Mark it resolved with a note.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#sel-0")),
		chromedp.SendKeys(chromedp.CSS("#note"), "store mapped by hand"),
		chromedp.Click(chromedp.CSS("#do-resolve")),
		chromedp.WaitVisible(chromedp.CSS("#notice")), shot("03-resolved.png")))
	assert.Contains(t, text("#notice"), "1 of 1 records marked resolved by alice")
	assert.Contains(t, text("#records tbody"), "resolved by alice: store mapped by hand")
	rec, err := w.st.GetRecord(context.Background(), account, vsync.ProcessExport, "SO-9")
	require.NoError(t, err)
	assert.True(t, rec.Resolved)

	// 4. Fix the order in the ERP and run it again from the page.
	o, err := w.erp.Order(context.Background(), "SO-9")
	require.NoError(t, err)
	o.Store = "Web"
	w.erp.Put(o)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#sel-0")),
		chromedp.Click(chromedp.CSS("#do-run")),
		waitFor(`document.querySelector("#notice") && document.querySelector("#notice").textContent.includes("run ")`),
		shot("04-run-again.png")))
	assert.Contains(t, text("#notice"), "succeeded: 1 exported, 0 failed")
	assert.Contains(t, text("#records tbody"), "No records match.", "SO-9 is no longer an error")
	assert.Len(t, w.srv.OrdersByNumber("SO-9"), 1)

	// 5. Start a manual run and watch it to its end (Veeqo is slowed so the
	// progress page is seen while it runs).
	w.erp.Put(order("SO-30", "Web", "MUG-1"), order("SO-31", "Web", "MUG-1"))
	w.srv.SetLatency(200 * time.Millisecond)
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(w.base+"a/acme/sync"), chromedp.WaitVisible(chromedp.CSS("#sync-form"))))
	labels("sync now")
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#start-sync")),
		chromedp.WaitVisible(chromedp.CSS("#job-status")), shot("05-run-progress.png")))
	assert.Contains(t, text("#job-status"), "running")
	require.NoError(t, chromedp.Do(ctx,
		waitFor(`document.querySelector("#job-status") && document.querySelector("#job-status").textContent.includes("succeeded")`),
		chromedp.WaitVisible(chromedp.CSS("#run-link")), shot("06-run-finished.png")))
	w.srv.SetLatency(0)
	assert.Contains(t, text("#job-counts"), "exported 2")
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#run-link")), chromedp.WaitVisible(chromedp.CSS("#run-facts")), shot("07-run-page.png")))
	assert.Equal(t, "succeeded", strings.TrimSpace(text("#run-status")))
	assert.Contains(t, text("#run-facts"), "manual by alice")
	assert.Contains(t, text("#run-logs"), "SO-30")

	// 6. Settings: a bad hour is shown beside its field; a good one saves.
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(w.base+"a/acme/settings"), chromedp.WaitVisible(chromedp.CSS("#settings-form"))))
	labels("settings")
	// Keyboard only: Tab from the hour field reaches the Save button.
	var reached bool
	require.NoError(t, chromedp.Do(ctx, chromedp.Focus(chromedp.CSS("#f-hour"))))
	for range 40 {
		require.NoError(t, chromedp.Do(ctx, chromedp.KeyEvent(kb.Tab)))
		id, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.id`))
		require.NoError(t, err)
		if id == "save-settings" {
			reached = true
			break
		}
	}
	assert.True(t, reached, "Tab reaches Save settings")
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#f-hour"), ""), chromedp.SendKeys(chromedp.CSS("#f-hour"), "99"),
		chromedp.Click(chromedp.CSS("#save-settings")),
		chromedp.WaitVisible(chromedp.CSS("#f-hour-err")), shot("08-settings-error.png")))
	assert.Contains(t, text("#f-hour-err"), "99 is not in 0-23")
	assert.Contains(t, text("#error"), "not saved")
	invalid, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("#f-hour"), "aria-invalid"))
	require.NoError(t, err)
	assert.Equal(t, "true", invalid.Value)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#f-hour"), ""), chromedp.SendKeys(chromedp.CSS("#f-hour"), "8"),
		chromedp.Click(chromedp.CSS("#save-settings")),
		chromedp.WaitVisible(chromedp.CSS("#notice")), shot("09-settings-saved.png")))
	assert.Contains(t, text("#notice"), "settings saved by alice")
	hour, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#f-hour")))
	require.NoError(t, err)
	assert.Equal(t, "8", hour)
	row, err := w.st.GetAccount(context.Background(), account)
	require.NoError(t, err)
	stored, err := vsync.ParseSettings(row.Settings)
	require.NoError(t, err)
	assert.Equal(t, 8, stored.Hour)

	// The other views render with labelled fields too.
	for _, page := range []string{"a/acme/pending", "a/acme/runs", "a/acme/logs", "accounts"} {
		require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(w.base+page), chromedp.WaitVisible(chromedp.CSS("main")),
			shot("10-"+strings.ReplaceAll(page, "/", "-")+".png")))
		labels(page)
	}
	logs, err := w.st.QueryLogs(context.Background(), store.LogQuery{Account: account, Process: vsync.ProcessSettings})
	require.NoError(t, err)
	assert.Len(t, logs.Entries, 1, "only the good save was written")
	t.Logf("%d screenshots in %s", n, shots)
	w.scanSecrets(t)
}
