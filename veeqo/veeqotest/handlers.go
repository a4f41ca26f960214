package veeqotest

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/xoroerp/veeqoconnect/veeqo"
)

// routes registers Veeqo's endpoints under the prefix. Anything else is
// Rails' unknown-route 404.
func (s *Server) routes() *http.ServeMux {
	m := http.NewServeMux()
	h := func(pattern string, f http.HandlerFunc) {
		method, path, _ := strings.Cut(pattern, " ")
		m.HandleFunc(method+" "+s.cfg.prefix+path, f)
	}
	h("GET /orders", s.listOrders)
	h("POST /orders", s.createOrder)
	h("GET /orders/{id}", s.getOrder)
	h("PUT /orders/{id}", s.updateOrder)
	h("PUT /orders/{id}/cancel", s.cancelOrderHTTP)
	h("POST /orders/{id}/notes", s.addNote)
	h("POST /orders/{id}/allocations", s.createAllocation)
	h("PUT /orders/{id}/allocations/{aid}", s.updateAllocation)
	h("DELETE /orders/{id}/allocations/{aid}", s.deleteAllocation)
	h("POST /shipments", s.createShipment)
	h("DELETE /shipments/{id}", s.deleteShipment)
	h("GET /products", s.listProducts)
	h("GET /products/{id}", s.getProduct)
	h("GET /sellables", s.listSellables)
	h("GET /channels", s.listChannels)
	h("GET /channels/{id}", s.getChannel)
	h("GET /warehouses", s.listWarehouses)
	h("GET /warehouses/{id}", s.getWarehouse)
	h("GET /delivery_methods", s.listDeliveryMethods)
	h("GET /delivery_methods/{id}", s.getDeliveryMethod)
	h("GET /customers", s.listCustomers)
	h("POST /customers", s.createCustomer)
	h("GET /customers/{id}", s.getCustomer)
	h("GET /current_company", s.currentCompany)
	if s.cfg.staffAPI {
		h("POST /_staff/ship", s.staffShip)
		h("POST /_staff/orders", s.staffOrder)
	}
	m.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { writeRouteNotFound(w) })
	return m
}

// listPage answers a paged list: filter returns the matching ids newest
// first (under the lock) and render one item.
func listPage[T any](s *Server, w http.ResponseWriter, r *http.Request, sizeParam string, maxSize int, headers, moneyAsString bool,
	filter func(st *state) []int64, render func(st *state, id int64) T) {
	listPageCapped(s, w, r, sizeParam, maxSize, 0, headers, moneyAsString, filter, render)
}

// listPageCapped is listPage with Veeqo's deep-paging bug when pageCap > 0:
// the page count stops at pageCap and a later page repeats page pageCap.
func listPageCapped[T any](s *Server, w http.ResponseWriter, r *http.Request, sizeParam string, maxSize, pageCap int, headers, moneyAsString bool,
	filter func(st *state) []int64, render func(st *state, id int64) T) {
	page, total, pg := pageOf(s, r.URL.Query(), sizeParam, maxSize, pageCap, headers, filter, render)
	if headers {
		setPageHeaders(w, pg, total)
	}
	if pg.bad {
		writeErrors(w, http.StatusBadRequest, []string{"Infinity"})
		return
	}
	writeEncoded(w, http.StatusOK, page, moneyAsString)
}

// pageOf reads one page of a list under the lock: the items of the page
// the query asks for, the total count and the paging read (pg.bad: a page
// size Veeqo answers with 400). It is the one home of the list endpoints'
// paging, for the HTTP handlers and for Direct alike. pageCap > 0 is
// Veeqo's deep-paging bug (see listPageCapped).
func pageOf[T any](s *Server, q url.Values, sizeParam string, maxSize, pageCap int, headers bool,
	filter func(st *state) []int64, render func(st *state, id int64) T) (page []T, total int, pg paging) {
	pg = parsePaging(q, sizeParam, maxSize)
	pg.capPages = pageCap
	if !headers && pg.bad {
		pg = paging{page: pg.page, size: maxSize}
	}
	page = []T{}
	s.withState(func(st *state) {
		ids := filter(st)
		total = len(ids)
		if pg.bad {
			return
		}
		lo, hi := pg.window(total)
		if !headers && q.Get(sizeParam) == "" {
			lo, hi = 0, total
		}
		page = make([]T, 0, hi-lo)
		for _, id := range ids[lo:hi] {
			page = append(page, render(st, id))
		}
	})
	return page, total, pg
}

func (s *Server) listProducts(w http.ResponseWriter, r *http.Request) {
	listPage(s, w, r, "page_size", 100, true, false, productFilter(r.URL.Query()), renderProduct)
}

// productFilter is GET /products' filters: the matching ids, newest first.
func productFilter(q url.Values) func(st *state) []int64 {
	query := strings.TrimSpace(q.Get("query"))
	sinceID, _ := strconv.ParseInt(q.Get("since_id"), 10, 64)
	updatedMin, hasUpdated := parseTimeFilter(q.Get("updated_at_min"))
	createdMin, hasCreated := parseTimeFilter(q.Get("created_at_min"))
	return func(st *state) []int64 {
		var out []int64
		for _, id := range sortedKeys(st.products, true) {
			p := st.products[id]
			if p.p.DeletedAt != nil || id <= sinceID ||
				hasUpdated && p.p.UpdatedAt.Before(updatedMin) ||
				hasCreated && p.p.CreatedAt.Before(createdMin) {
				continue
			}
			if query != "" && !st.productMatches(p, query) {
				continue
			}
			out = append(out, id)
		}
		return out
	}
}

func renderProduct(st *state, id int64) veeqo.Product { return st.product(id) }

// productMatches is the products query: title, SKU or UPC substring.
func (st *state) productMatches(p *productRec, q string) bool {
	if containsFold(p.p.Title, q) {
		return true
	}
	for _, sid := range p.sellableIDs {
		s := st.sellables[sid]
		if containsFold(s.SKUCode, q) || s.UPCCode != "" && containsFold(s.UPCCode, q) || containsFold(s.Title, q) {
			return true
		}
	}
	return false
}

func (s *Server) getProduct(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	s.act(w, http.StatusOK, func(st *state) (any, *apiError) {
		if st.products[id] == nil {
			return nil, errNotFound()
		}
		return st.product(id), nil
	})
}

// listSellables honours per_page (up to 1000), as only /sellables does;
// page_size is not read there.
func (s *Server) listSellables(w http.ResponseWriter, r *http.Request) {
	listPage(s, w, r, "per_page", 1000, true, false, func(st *state) []int64 {
		return sortedKeys(st.sellables, true)
	}, func(st *state, id int64) veeqo.Sellable { return *st.sellable(id) })
}

// listChannels sends no pagination headers, like live Veeqo, and returns
// every channel unless page_size is given.
func (s *Server) listChannels(w http.ResponseWriter, r *http.Request) {
	listPage(s, w, r, "page_size", 100, false, false, channelFilter(r.URL.Query()), renderChannel)
}

// channelFilter is GET /channels' filter (type_code): the matching ids,
// newest first.
func channelFilter(q url.Values) func(st *state) []int64 {
	typeCode := strings.TrimSpace(q.Get("type_code"))
	return func(st *state) []int64 {
		var out []int64
		for _, id := range sortedKeys(st.channels, true) {
			if typeCode == "" || string(st.channels[id].ch.TypeCode) == typeCode {
				out = append(out, id)
			}
		}
		return out
	}
}

func renderChannel(st *state, id int64) veeqo.Channel { return st.channel(id) }

func (s *Server) getChannel(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	s.act(w, http.StatusOK, func(st *state) (any, *apiError) {
		if st.channels[id] == nil {
			return nil, errNotFound()
		}
		return st.channel(id), nil
	})
}

func (s *Server) listWarehouses(w http.ResponseWriter, r *http.Request) {
	listPage(s, w, r, "page_size", 100, true, false, func(st *state) []int64 {
		return sortedKeys(st.warehouses, true)
	}, func(st *state, id int64) veeqo.Warehouse { return *st.warehouse(id) })
}

func (s *Server) getWarehouse(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	s.act(w, http.StatusOK, func(st *state) (any, *apiError) {
		if st.warehouses[id] == nil {
			return nil, errNotFound()
		}
		return st.warehouse(id), nil
	})
}

// Delivery methods carry cost as a string in these endpoints (and as a
// number inside an order), as Veeqo does.
func (s *Server) listDeliveryMethods(w http.ResponseWriter, r *http.Request) {
	listPage(s, w, r, "page_size", 100, true, true, allDeliveryMethods, renderDeliveryMethod)
}

func allDeliveryMethods(st *state) []int64 { return sortedKeys(st.deliveryMethods, true) }

func renderDeliveryMethod(st *state, id int64) veeqo.DeliveryMethod { return *st.deliveryMethods[id] }

func (s *Server) getDeliveryMethod(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	s.actEncoded(w, http.StatusOK, true, func(st *state) (any, *apiError) {
		if st.deliveryMethods[id] == nil {
			return nil, errNotFound()
		}
		return *st.deliveryMethods[id], nil
	})
}

func (s *Server) listCustomers(w http.ResponseWriter, r *http.Request) {
	listPageCapped(s, w, r, "page_size", 100, s.customerPageCap(), true, false, customerFilter(r.URL.Query()), renderCustomer)
}

// customerPageCap is the deep-paging cap set on /customers (0: off).
func (s *Server) customerPageCap() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.custPageCap
}

// customerFilter is GET /customers' filter (query: an email substring):
// the matching ids, newest first.
func customerFilter(q url.Values) func(st *state) []int64 {
	query := strings.TrimSpace(q.Get("query"))
	return func(st *state) []int64 {
		var out []int64
		for _, id := range sortedKeys(st.customers, true) {
			if query == "" || containsFold(st.customers[id].Email, query) {
				out = append(out, id)
			}
		}
		return out
	}
}

func renderCustomer(st *state, id int64) veeqo.Customer { return st.customer(id) }

func (s *Server) getCustomer(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	s.act(w, http.StatusOK, func(st *state) (any, *apiError) {
		if st.customers[id] == nil {
			return nil, errNotFound()
		}
		return st.customer(id), nil
	})
}

func (s *Server) createCustomer(w http.ResponseWriter, r *http.Request) {
	in, ok := readBody(w, r, "customer")
	if !ok {
		return
	}
	c := customerFrom(in)
	now := s.now()
	s.act(w, http.StatusCreated, func(st *state) (any, *apiError) {
		switch {
		case strings.TrimSpace(c.Email) == "":
			return nil, errInvalid("Email can't be blank")
		case len(c.Notes) > 255:
			return nil, errInvalid("Notes is too long (maximum is 255 characters)")
		}
		out := st.addCustomer(c, now)
		w.Header().Set("Location", s.URL()+"/customers/"+itoa(out.ID))
		return out, nil
	})
}

func (s *Server) currentCompany(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, veeqo.Company{ID: 1, Name: s.cfg.company})
}
