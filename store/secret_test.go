package store_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/xoroerp/veeqoconnect/store"
)

const testKey = "Vqt/0123456789abcdef-secret-api-key"

func testSealer(t *testing.T, fill byte) *store.Sealer {
	t.Helper()
	s, err := store.NewSealer(bytes.Repeat([]byte{fill}, store.SealerKeySize))
	require.NoError(t, err)
	return s
}

func TestNewSealerKeySize(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 16, 24, 31, 33, 64} {
		_, err := store.NewSealer(make([]byte, n))
		if err == nil {
			t.Errorf("NewSealer(%d-byte key): no error, want one", n)
			continue
		}
		if !strings.Contains(err.Error(), fmt.Sprint(n)) {
			t.Errorf("NewSealer(%d-byte key) error %q does not name the size", n, err)
		}
	}
	if _, err := store.NewSealer(make([]byte, 32)); err != nil {
		t.Errorf("NewSealer(32-byte key): %v", err)
	}
}

func TestNewSealerFromPassphrase(t *testing.T) {
	t.Parallel()
	if _, err := store.NewSealerFromPassphrase(""); err == nil {
		t.Error("NewSealerFromPassphrase(\"\"): no error, want one")
	}
	a, err := store.NewSealerFromPassphrase("correct horse battery staple")
	require.NoError(t, err)
	b, err := store.NewSealerFromPassphrase("correct horse battery staple")
	require.NoError(t, err)
	c, err := store.NewSealerFromPassphrase("another passphrase")
	require.NoError(t, err)
	sealed, err := a.Seal(testKey)
	require.NoError(t, err)
	got, err := b.Open(sealed)
	require.NoError(t, err, "same passphrase must derive the same key")
	if got != testKey {
		t.Errorf("Open = %q, want %q", got, testKey)
	}
	if _, err := c.Open(sealed); !errors.Is(err, store.ErrSealed) {
		t.Errorf("Open with another passphrase: err = %v, want ErrSealed", err)
	}
}

func TestSealOpenRoundTrip(t *testing.T) {
	t.Parallel()
	s := testSealer(t, 7)
	for _, plain := range []string{"", "x", testKey, "ünïcødé 🔑", strings.Repeat("k", 4096)} {
		sealed, err := s.Seal(plain)
		require.NoError(t, err)
		if plain != "" {
			if !strings.HasPrefix(sealed, store.SealedPrefix) {
				t.Errorf("Seal(%.10q) = %.20q, want prefix %q", plain, sealed, store.SealedPrefix)
			}
			if len(plain) >= 8 && strings.Contains(sealed, plain) {
				t.Errorf("Seal(%.10q) contains the plaintext", plain)
			}
		} else if sealed != "" {
			t.Errorf("Seal(\"\") = %q, want \"\"", sealed)
		}
		got, err := s.Open(sealed)
		require.NoError(t, err)
		if got != plain {
			t.Errorf("Open(Seal(%.10q)) = %.10q", plain, got)
		}
	}
}

func TestSealRandomNonce(t *testing.T) {
	t.Parallel()
	s := testSealer(t, 1)
	a, err := s.Seal(testKey)
	require.NoError(t, err)
	b, err := s.Seal(testKey)
	require.NoError(t, err)
	if a == b {
		t.Error("sealing the same text twice gave the same value: nonce is not random")
	}
}

func TestNilSealer(t *testing.T) {
	t.Parallel()
	var s *store.Sealer
	sealed, err := s.Seal(testKey)
	require.NoError(t, err)
	if sealed != testKey {
		t.Errorf("nil Seal = %q, want the text unchanged", sealed)
	}
	got, err := s.Open(testKey)
	require.NoError(t, err)
	if got != testKey {
		t.Errorf("nil Open = %q, want the text unchanged", got)
	}
	// Even a value that looks sealed passes through: a clear key may start
	// with the prefix.
	sealedElsewhere, err := testSealer(t, 2).Seal(testKey)
	require.NoError(t, err)
	got, err = s.Open(sealedElsewhere)
	require.NoError(t, err)
	if got != sealedElsewhere {
		t.Errorf("nil Open(sealed-looking value) = %q, want it unchanged", got)
	}
}

func TestOpenRefusesBadInput(t *testing.T) {
	t.Parallel()
	s := testSealer(t, 3)
	good, err := s.Seal(testKey)
	require.NoError(t, err)
	other, err := testSealer(t, 4).Seal(testKey)
	require.NoError(t, err)
	// Flip one character of the ciphertext, staying within the alphabet.
	last := good[len(good)-1]
	flip := byte('A')
	if last == 'A' {
		flip = 'B'
	}
	tampered := good[:len(good)-1] + string(flip)

	tests := []struct {
		name, in string
	}{
		{"clear text with a key", testKey},
		{"wrong key", other},
		{"tampered", tampered},
		{"not base64", store.SealedPrefix + "!!!" + testKey},
		{"too short", store.SealedPrefix + "AAAA"},
		{"prefix only", store.SealedPrefix},
		{"truncated", good[:len(good)-5]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := s.Open(tt.in)
			if !errors.Is(err, store.ErrSealed) {
				t.Fatalf("Open = %q, %v; want ErrSealed", got, err)
			}
			if strings.Contains(err.Error(), testKey) || strings.Contains(err.Error(), "!!!") {
				t.Errorf("error %q leaks the input", err)
			}
			if got != "" {
				t.Errorf("Open returned %q with its error, want \"\"", got)
			}
		})
	}
}

func FuzzSealOpen(f *testing.F) {
	f.Add("", []byte{})
	f.Add(testKey, []byte("v1:AAAA"))
	s, err := store.NewSealer(bytes.Repeat([]byte{9}, store.SealerKeySize))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, plain string, junk []byte) {
		sealed, err := s.Seal(plain)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Open(sealed)
		if err != nil || got != plain {
			t.Fatalf("Open(Seal(%q)) = %q, %v", plain, got, err)
		}
		// Arbitrary input never panics, and an error never echoes it.
		_, err = s.Open(string(junk))
		if err != nil && len(junk) > 8 && strings.Contains(err.Error(), string(junk)) {
			t.Fatalf("error %q echoes its input", err)
		}
	})
}

// ExampleSealer shows an API key sealed at rest and opened again.
func ExampleSealer() {
	sealer, err := store.NewSealerFromPassphrase("a long random secret from the host's vault")
	if err != nil {
		fmt.Println(err)
		return
	}
	sealed, err := sealer.Seal("Vqt/my-api-key")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(strings.HasPrefix(sealed, store.SealedPrefix), strings.Contains(sealed, "my-api-key"))
	plain, err := sealer.Open(sealed)
	fmt.Println(plain, err)

	var none *store.Sealer // no key: stored clear
	clear, _ := none.Seal("Vqt/my-api-key")
	fmt.Println(clear)
	// Output:
	// true false
	// Vqt/my-api-key <nil>
	// Vqt/my-api-key
}
