package store

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// SealedPrefix starts every value Seal returns. The "v1" names the format
// (AES-256-GCM, 12-byte random nonce, base64url without padding of nonce ||
// ciphertext || tag), so a later format can be told apart.
const SealedPrefix = "v1:"

// SealerKeySize is the size in bytes of the key NewSealer takes (AES-256).
const SealerKeySize = 32

// ErrSealed is returned by Open when the value cannot be opened: it is not
// sealed (while a key is set), it is malformed, or it was sealed under
// another key. The error never contains the value.
var ErrSealed = errors.New("store: cannot open sealed value")

// Sealer seals secrets (Account.APIKey) at rest with AES-GCM. A nil *Sealer
// is valid and means "no encryption key": Seal returns the text as given and
// Open returns stored clear text as is, so a host that passes no key stores
// its API keys in clear (documented on Account.APIKey).
//
// A Sealer is safe for concurrent use.
type Sealer struct {
	aead cipher.AEAD
}

// NewSealer returns a Sealer for a 32-byte key (AES-256). The key should come
// from a secret store or a KMS, never from source code.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != SealerKeySize {
		return nil, fmt.Errorf("store: sealer key must be %d bytes, got %d", SealerKeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("store: sealer: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("store: sealer: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// NewSealerFromPassphrase returns a Sealer whose key is the SHA-256 of
// passphrase. SHA-256 is not a password hash: the passphrase must be long
// and random (a generated secret), not something a person remembers. An
// empty passphrase is an error.
func NewSealerFromPassphrase(passphrase string) (*Sealer, error) {
	if passphrase == "" {
		return nil, errors.New("store: sealer passphrase is empty")
	}
	key := sha256.Sum256([]byte(passphrase))
	return NewSealer(key[:])
}

// Seal encrypts plaintext with a fresh random nonce and returns
// SealedPrefix + base64url(nonce || ciphertext). Sealing the same text twice
// gives different values. The empty string is stored as the empty string
// (there is no secret to hide). A nil Sealer returns plaintext unchanged.
func (s *Sealer) Seal(plaintext string) (string, error) {
	if s == nil || plaintext == "" {
		return plaintext, nil
	}
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plaintext)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("store: seal: reading random nonce: %w", err)
	}
	out := s.aead.Seal(nonce, nonce, []byte(plaintext), []byte(SealedPrefix))
	return SealedPrefix + base64.RawURLEncoding.EncodeToString(out), nil
}

// Open decrypts a value Seal returned. The empty string opens to the empty
// string. With a key, a value that is not sealed is refused (ErrSealed)
// rather than returned: it would be a secret stored in clear where the host
// asked for encryption, or a corrupted value. A nil Sealer returns the value
// unchanged, whatever it looks like (a clear API key may start with
// SealedPrefix too); a host that loses its key therefore reads ciphertext
// back as the API key, and Veeqo refuses it.
func (s *Sealer) Open(sealed string) (string, error) {
	if s == nil || sealed == "" {
		return sealed, nil
	}
	rest, ok := strings.CutPrefix(sealed, SealedPrefix)
	if !ok {
		return "", fmt.Errorf("%w: value is not sealed (missing %q prefix)", ErrSealed, SealedPrefix)
	}
	raw, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil {
		// The decoder's error quotes an offset, never the input.
		return "", fmt.Errorf("%w: malformed base64", ErrSealed)
	}
	ns := s.aead.NonceSize()
	if len(raw) < ns+s.aead.Overhead() {
		return "", fmt.Errorf("%w: value too short", ErrSealed)
	}
	plain, err := s.aead.Open(nil, raw[:ns], raw[ns:], []byte(SealedPrefix))
	if err != nil {
		return "", fmt.Errorf("%w: wrong key or tampered value", ErrSealed)
	}
	return string(plain), nil
}
