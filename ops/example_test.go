package ops_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/xoroerp/veeqoconnect/ops"
	"github.com/xoroerp/veeqoconnect/store/memstore"
	vsync "github.com/xoroerp/veeqoconnect/sync"
	"github.com/xoroerp/veeqoconnect/veeqo"
	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

// ExampleNewHandler mounts the operations page under /admin/veeqo/ of a
// host's admin, behind the host's own authentication, and reads the
// Orders view as JSON.
func ExampleNewHandler() {
	srv, err := veeqotest.Start()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	client, err := veeqo.New(srv.APIKey(), veeqo.WithBaseURL(srv.URL()))
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg := vsync.Config{
		Account:  "acme",
		Settings: vsync.Settings{Account: "acme", ExportOrders: true},
		Store:    memstore.New(),
		ERP:      vsync.NewMemoryERP(),
		Veeqo:    vsync.ClientAPI(client),
	}

	page, err := ops.NewHandler(ops.Options{
		Accounts: []ops.Account{{Config: cfg}},
		// The host's authentication: here one operator with a password.
		Authenticate: ops.BasicAuth("alice", "a long operator password"),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer page.Close()
	admin := http.NewServeMux()
	admin.Handle("/admin/veeqo/", http.StripPrefix("/admin/veeqo", page))

	host := httptest.NewServer(admin)
	defer host.Close()
	req, _ := http.NewRequestWithContext(context.Background(), "GET", host.URL+"/admin/veeqo/api/accounts/acme/records", nil)
	req.SetBasicAuth("alice", "a long operator password")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	fmt.Println(res.Status)
	fmt.Println(strings.Join(strings.Fields(string(body)), " "))

	res, err = http.Get(host.URL + "/admin/veeqo/a/acme/orders")
	if err != nil {
		fmt.Println(err)
		return
	}
	res.Body.Close()
	fmt.Println("without credentials:", res.Status)
	// Output:
	// 200 OK
	// { "records": [], "counts": {}, "total": 0 }
	// without credentials: 401 Unauthorized
}
