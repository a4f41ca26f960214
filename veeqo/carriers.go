package veeqo

import "strings"

// Veeqo carrier ids from its documented list (reference/veeqo-api.md §4.4).
// Use CarrierOther when the carrier is not on it.
const (
	CarrierRoyalMail        int64 = 1
	CarrierFedEx            int64 = 2
	CarrierOther            int64 = 3
	CarrierDPD              int64 = 4
	CarrierUPS              int64 = 5
	CarrierCityLink         int64 = 6
	CarrierUSPS             int64 = 7
	CarrierInterlinkExpress int64 = 8
	CarrierDHL              int64 = 9
	CarrierMyHermes         int64 = 10
	CarrierAustraliaPost    int64 = 11
	CarrierParcelforce      int64 = 12
	CarrierTNT              int64 = 13
	CarrierYodel            int64 = 14
	CarrierAPC              int64 = 15
	CarrierDX               int64 = 16
	CarrierUKMail           int64 = 17
	CarrierIsraelPost       int64 = 18
	CarrierCanadaPost       int64 = 19
	CarrierHermesWorld      int64 = 23
	CarrierDHLDE            int64 = 24
)

// carrierEntry is one carrier of the built-in list with the other
// spellings CarrierID accepts for it (in normal form).
type carrierEntry struct {
	Carrier
	aliases []string
}

// carrierList is the one table of Veeqo's carriers; a function, not a
// package variable, so that nothing in the package is mutable.
func carrierList() []carrierEntry {
	return []carrierEntry{
		{Carrier{ID: CarrierRoyalMail, Name: "Royal Mail"}, []string{"royal mail group"}},
		{Carrier{ID: CarrierFedEx, Name: "FedEx"}, []string{"fed ex", "federal express"}},
		{Carrier{ID: CarrierOther, Name: "Other"}, nil},
		{Carrier{ID: CarrierDPD, Name: "DPD"}, nil},
		{Carrier{ID: CarrierUPS, Name: "UPS"}, []string{"united parcel service"}},
		{Carrier{ID: CarrierCityLink, Name: "CityLink"}, []string{"city link"}},
		{Carrier{ID: CarrierUSPS, Name: "USPS"}, []string{"united states postal service", "us postal service"}},
		{Carrier{ID: CarrierInterlinkExpress, Name: "Interlink Express"}, nil},
		{Carrier{ID: CarrierDHL, Name: "DHL"}, nil},
		{Carrier{ID: CarrierMyHermes, Name: "MyHermes"}, []string{"my hermes"}},
		{Carrier{ID: CarrierAustraliaPost, Name: "Australia Post"}, nil},
		{Carrier{ID: CarrierParcelforce, Name: "Parcelforce"}, []string{"parcel force"}},
		{Carrier{ID: CarrierTNT, Name: "TNT"}, nil},
		{Carrier{ID: CarrierYodel, Name: "Yodel"}, nil},
		{Carrier{ID: CarrierAPC, Name: "APC"}, nil},
		{Carrier{ID: CarrierDX, Name: "DX"}, nil},
		{Carrier{ID: CarrierUKMail, Name: "UK Mail"}, nil},
		{Carrier{ID: CarrierIsraelPost, Name: "Israel Post"}, nil},
		{Carrier{ID: CarrierCanadaPost, Name: "Canada Post"}, nil},
		{Carrier{ID: CarrierHermesWorld, Name: "Hermes World"}, nil},
		{Carrier{ID: CarrierDHLDE, Name: "DHL DE (Deutsche Post)"}, []string{"dhl de", "deutsche post", "dhl deutsche post"}},
	}
}

// Carriers returns Veeqo's built-in carrier list, ordered by id. Each call
// returns a fresh slice.
func Carriers() []Carrier {
	list := carrierList()
	out := make([]Carrier, len(list))
	for i, c := range list {
		out[i] = c.Carrier
	}
	return out
}

// CarrierName returns the Veeqo name of a carrier id.
func CarrierName(id int64) (string, bool) {
	for _, c := range carrierList() {
		if c.ID == id {
			return c.Name, true
		}
	}
	return "", false
}

// CarrierID returns the Veeqo carrier id for a carrier name, ignoring case
// and extra spaces; a few common spellings are accepted too ("Fed Ex",
// "Deutsche Post", "DHL DE", "Royal Mail Group").
func CarrierID(name string) (int64, bool) {
	n := strings.ToLower(strings.Join(strings.Fields(name), " "))
	if n == "" {
		return 0, false
	}
	for _, c := range carrierList() {
		if strings.ToLower(c.Name) == n {
			return c.ID, true
		}
		for _, a := range c.aliases {
			if a == n {
				return c.ID, true
			}
		}
	}
	return 0, false
}
