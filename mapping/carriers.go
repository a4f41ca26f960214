package mapping

import "fmt"

// CarrierOther is Veeqo's carrier id for a carrier it does not support
// ("Other"), the default when a carrier name has no id.
const CarrierOther int64 = 3

// Carrier is one entry of Veeqo's built-in carrier list.
type Carrier struct {
	ID   int64
	Name string
}

// Carriers returns Veeqo's carrier list (its legacy shipment documentation,
// reference/veeqo-api.md §4.4), ordered by id. The list is built in and
// read-only: each call returns a fresh slice.
func Carriers() []Carrier {
	return []Carrier{
		{1, "Royal Mail"}, {2, "FedEx"}, {3, "Other"}, {4, "DPD"}, {5, "UPS"}, {6, "CityLink"}, {7, "USPS"},
		{8, "Interlink Express"}, {9, "DHL"}, {10, "MyHermes"}, {11, "Australia Post"}, {12, "Parcelforce"},
		{13, "TNT"}, {14, "Yodel"}, {15, "APC"}, {16, "DX"}, {17, "UK Mail"}, {18, "Israel Post"},
		{19, "Canada Post"}, {23, "Hermes World"}, {24, "DHL DE (Deutsche Post)"},
	}
}

// CarrierName returns the Veeqo name of a carrier id.
func CarrierName(id int64) (string, bool) {
	switch id {
	case 1:
		return "Royal Mail", true
	case 2:
		return "FedEx", true
	case 3:
		return "Other", true
	case 4:
		return "DPD", true
	case 5:
		return "UPS", true
	case 6:
		return "CityLink", true
	case 7:
		return "USPS", true
	case 8:
		return "Interlink Express", true
	case 9:
		return "DHL", true
	case 10:
		return "MyHermes", true
	case 11:
		return "Australia Post", true
	case 12:
		return "Parcelforce", true
	case 13:
		return "TNT", true
	case 14:
		return "Yodel", true
	case 15:
		return "APC", true
	case 16:
		return "DX", true
	case 17:
		return "UK Mail", true
	case 18:
		return "Israel Post", true
	case 19:
		return "Canada Post", true
	case 23:
		return "Hermes World", true
	case 24:
		return "DHL DE (Deutsche Post)", true
	}
	return "", false
}

// CarrierID returns the Veeqo carrier id for a Veeqo carrier name, matched
// after Normalize. A few common spellings are accepted too ("Fed Ex",
// "Deutsche Post", "DHL DE", "Royal Mail Group").
func CarrierID(name string) (int64, bool) {
	var buf [64]byte
	switch string(appendNormal(buf[:0], name)) {
	case "royal mail", "royal mail group":
		return 1, true
	case "fedex", "fed ex", "federal express":
		return 2, true
	case "other":
		return 3, true
	case "dpd":
		return 4, true
	case "ups", "united parcel service":
		return 5, true
	case "citylink", "city link":
		return 6, true
	case "usps", "united states postal service", "us postal service":
		return 7, true
	case "interlink express":
		return 8, true
	case "dhl":
		return 9, true
	case "myhermes", "my hermes":
		return 10, true
	case "australia post":
		return 11, true
	case "parcelforce", "parcel force":
		return 12, true
	case "tnt":
		return 13, true
	case "yodel":
		return 14, true
	case "apc":
		return 15, true
	case "dx":
		return 16, true
	case "uk mail":
		return 17, true
	case "israel post":
		return 18, true
	case "canada post":
		return 19, true
	case "hermes world":
		return 23, true
	case "dhl de (deutsche post)", "dhl de", "deutsche post", "dhl deutsche post":
		return 24, true
	}
	return 0, false
}

// CarrierMatch is an ERP carrier resolved to a Veeqo carrier id.
type CarrierMatch struct {
	// ID is the Veeqo carrier id; CarrierOther when the Veeqo name has no id.
	ID int64
	// VeeqoName is the name the carrier table gave (or the ERP name, when
	// passed through).
	VeeqoName string
	// Other is set when ID fell back to CarrierOther.
	Other bool
	// Mapping is the carrier table's result (PassedThrough, Row, Warning).
	Mapping Result
}

// Warning returns the words to record when the carrier was passed through
// the table or fell back to Other, or "".
func (m CarrierMatch) Warning() string {
	w := m.Mapping.Warning()
	if m.Other && Normalize(m.VeeqoName) != "other" {
		other := fmt.Sprintf("carrier %q has no Veeqo carrier id; sent as Other (%d)", m.VeeqoName, CarrierOther)
		if w == "" {
			return other
		}
		return w + "; " + other
	}
	return w
}

// CarrierID maps an ERP carrier name through the carrier table to a Veeqo
// carrier name and then to Veeqo's carrier id, defaulting to CarrierOther
// (3) when that name is not in Veeqo's list. The table's policy applies to
// names without a row: an *UnmappedError, or (pass_through) the ERP name
// itself is tried against Veeqo's list.
func (t *NameTable) CarrierID(erpCarrier string) (CarrierMatch, error) {
	res, err := t.ToVeeqo("", erpCarrier)
	if err != nil {
		return CarrierMatch{}, err
	}
	m := CarrierMatch{VeeqoName: res.Name, Mapping: res}
	if id, ok := CarrierID(res.Name); ok {
		m.ID = id
	} else {
		m.ID, m.Other = CarrierOther, true
	}
	return m, nil
}

// CarrierFromVeeqo maps a Veeqo shipment's carrier back to the ERP carrier
// name: by its name, or, when Veeqo sent only an id, by the name of that id
// in Veeqo's list.
func (t *NameTable) CarrierFromVeeqo(id int64, name string) (Result, error) {
	if Normalize(name) == "" {
		if n, ok := CarrierName(id); ok {
			name = n
		} else if id != 0 {
			name = fmt.Sprintf("carrier id %d", id)
		}
	}
	return t.ToERP("", name)
}
