package veeqotest

import (
	"strconv"
	"strings"
)

// carrierTable is Veeqo's carrier id list from its legacy shipment docs
// (reference §4.4). A function, not a package variable, so that nothing in
// the package is mutable.
func carrierTable() map[int64]string {
	return map[int64]string{
		1: "Royal Mail", 2: "FedEx", 3: "Other", 4: "DPD", 5: "UPS", 6: "CityLink", 7: "USPS",
		8: "Interlink Express", 9: "DHL", 10: "MyHermes", 11: "Australia Post", 12: "Parcelforce",
		13: "TNT", 14: "Yodel", 15: "APC", 16: "DX", 17: "UK Mail", 18: "Israel Post",
		19: "Canada Post", 23: "Hermes World", 24: "DHL DE (Deutsche Post)",
	}
}

// carrierName returns the name of a Veeqo carrier id.
func carrierName(id int64) (string, bool) {
	n, ok := carrierTable()[id]
	return n, ok
}

// carrierByName finds a Veeqo carrier id by name, ignoring case.
func carrierByName(name string) (int64, bool) {
	for id, n := range carrierTable() {
		if strings.EqualFold(n, strings.TrimSpace(name)) {
			return id, true
		}
	}
	return 0, false
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
