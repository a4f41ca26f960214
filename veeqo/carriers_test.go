package veeqo

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCarriers(t *testing.T) {
	t.Parallel()
	list := Carriers()
	require.Len(t, list, 21)
	for _, c := range list {
		name, ok := CarrierName(c.ID)
		require.True(t, ok)
		require.Equal(t, c.Name, name)
		id, ok := CarrierID(c.Name)
		require.True(t, ok)
		require.Equal(t, c.ID, id)
	}
	list[0].Name = "changed"
	require.Equal(t, "Royal Mail", Carriers()[0].Name, "the built-in list is read-only")

	for name, want := range map[string]int64{"  usps ": 7, "OTHER": 3, "Fed Ex": 2, "Deutsche Post": 24, "dhl de": 24, "UPS": 5,
		"united  parcel service": 5, "Royal Mail Group": 1} {
		id, ok := CarrierID(name)
		require.True(t, ok, name)
		require.Equal(t, want, id, name)
	}
	_, ok := CarrierID("Speedy Couriers")
	require.False(t, ok)
	_, ok = CarrierID("")
	require.False(t, ok)
	_, ok = CarrierName(20)
	require.False(t, ok)
	require.Equal(t, int64(3), CarrierOther)
}
