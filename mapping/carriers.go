package mapping

import (
	"fmt"

	"github.com/xoroerp/veeqoconnect/veeqo"
)

// CarrierMatch is an ERP carrier resolved to a Veeqo carrier id.
type CarrierMatch struct {
	// ID is the Veeqo carrier id; veeqo.CarrierOther when the Veeqo name has no id.
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
		other := fmt.Sprintf("carrier %q has no Veeqo carrier id; sent as Other (%d)", m.VeeqoName, veeqo.CarrierOther)
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
	if id, ok := veeqo.CarrierID(res.Name); ok {
		m.ID = id
	} else {
		m.ID, m.Other = veeqo.CarrierOther, true
	}
	return m, nil
}

// CarrierFromVeeqo maps a Veeqo shipment's carrier back to the ERP carrier
// name: by its name, or, when Veeqo sent only an id, by the name of that id
// in Veeqo's list.
func (t *NameTable) CarrierFromVeeqo(id int64, name string) (Result, error) {
	if Normalize(name) == "" {
		if n, ok := veeqo.CarrierName(id); ok {
			name = n
		} else if id != 0 {
			name = fmt.Sprintf("carrier id %d", id)
		}
	}
	return t.ToERP("", name)
}
