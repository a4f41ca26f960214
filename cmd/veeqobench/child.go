package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"time"

	"github.com/xoroerp/veeqoconnect/veeqo"
	"github.com/xoroerp/veeqoconnect/veeqo/veeqotest"
)

// The fetch scenarios run the fake Veeqo in a child process (this program
// with -child-fetch), so that the peak heap they report is the library's
// and not the fake's 100,000 orders. The child prints a fakeReady line,
// serves until its stdin says "report", then prints a fakeReport line and
// exits.

// fakeReady is the child's first line.
type fakeReady struct {
	URL string `json:"url"`
	Key string `json:"key"`
	Err string `json:"err,omitempty"`
}

// fakeReport is the child's last line: the requests its log holds.
type fakeReport struct {
	Requests  int `json:"requests"`
	Throttled int `json:"throttled"`
	Lists     int `json:"lists"`
}

// fetchNumber is the i-th marketplace order's number.
func fetchNumber(i int) string { return fmt.Sprintf("111-%07d", i) }

// runChild is the child's main: a fake with the catalogue and n shipped
// marketplace orders of lines lines each on the Amazon channel, created
// an hour before the epoch the parent's clock starts at.
func runChild(cfg config, n, lines int, stdin io.Reader, stdout io.Writer) error {
	enc := json.NewEncoder(stdout)
	clk := &clock{}
	srv, err := veeqotest.Start(veeqotest.WithRateLimit(cfg.capacity, cfg.drain), veeqotest.WithClock(clk.Now))
	if err != nil {
		_ = enc.Encode(fakeReady{Err: err.Error()})
		return err
	}
	defer srv.Close()
	seeded := seedCatalog(srv, cfg.skus)
	ch := seeded.Channels[amazonChannel]
	created := clk.Now().Add(-time.Hour)
	for i := range n {
		o := veeqo.Order{Number: fetchNumber(i), Channel: &ch, CreatedAt: created, UpdatedAt: created,
			Customer:  &veeqo.Customer{Email: fmt.Sprintf("mp-%07d@marketplace.example", i)},
			DeliverTo: &veeqo.Address{FirstName: "Mp", LastName: "Buyer", Address1: "1 Market St", City: "Seattle", Zip: "98101", Country: "US"}}
		for l := range lines {
			sku := skuName((i*lines + l) % cfg.skus)
			o.LineItems = append(o.LineItems, veeqo.LineItem{Quantity: 1, Sellable: &veeqo.Sellable{ID: seeded.SKUs[sku], SKUCode: sku}})
		}
		got := srv.AddOrder(o)
		if _, err := srv.ShipAll(got.ID, veeqotest.ShipInfo{TrackingNumber: fmt.Sprintf("1Z%09d", i), CarrierID: upsCarrierID, ServiceName: "Standard"}); err != nil {
			_ = enc.Encode(fakeReady{Err: err.Error()})
			return err
		}
	}
	srv.ResetRequests()
	if err := enc.Encode(fakeReady{URL: srv.URL(), Key: srv.APIKey()}); err != nil {
		return err
	}
	sc := bufio.NewScanner(stdin)
	for sc.Scan() {
		if sc.Text() != "report" {
			continue
		}
		rep := fakeReport{}
		for _, r := range srv.Requests() {
			rep.Requests++
			if r.Status == http.StatusTooManyRequests {
				rep.Throttled++
			}
			if r.Method == http.MethodGet && r.Path == "/orders" {
				rep.Lists++
			}
		}
		return enc.Encode(rep)
	}
	return sc.Err()
}

// childFake is the parent's handle on a child's fake.
type childFake struct {
	cmd   *exec.Cmd
	in    io.WriteCloser
	out   *bufio.Scanner
	ready fakeReady
}

// startChildFake starts this program as a fake with n orders and waits
// until it serves.
func startChildFake(ctx context.Context, cfg config, n, lines int) (*childFake, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, exe, "-child-fetch", fmt.Sprint(n), "-lines", fmt.Sprint(lines),
		"-drain", fmt.Sprint(cfg.drain), "-capacity", fmt.Sprint(cfg.capacity), "-skus", fmt.Sprint(cfg.skus))
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &childFake{cmd: cmd, in: in, out: bufio.NewScanner(outPipe)}
	c.out.Buffer(make([]byte, 64<<10), 1<<20)
	if !c.out.Scan() {
		c.kill()
		return nil, fmt.Errorf("child fake: no ready line: %v", c.out.Err())
	}
	if err := json.Unmarshal(c.out.Bytes(), &c.ready); err != nil || c.ready.Err != "" {
		c.kill()
		return nil, fmt.Errorf("child fake: %s %v", c.ready.Err, err)
	}
	return c, nil
}

// report asks the child for its request counts and waits for it to exit.
func (c *childFake) report() (fakeReport, error) {
	var rep fakeReport
	if _, err := io.WriteString(c.in, "report\n"); err != nil {
		c.kill()
		return rep, err
	}
	if !c.out.Scan() {
		c.kill()
		return rep, fmt.Errorf("child fake: no report: %v", c.out.Err())
	}
	err := json.Unmarshal(c.out.Bytes(), &rep)
	_ = c.in.Close()
	if werr := c.cmd.Wait(); err == nil && werr != nil {
		err = werr
	}
	return rep, err
}

func (c *childFake) kill() {
	_ = c.in.Close()
	if c.cmd.Process != nil {
		_ = c.cmd.Process.Kill()
	}
	_ = c.cmd.Wait()
}
