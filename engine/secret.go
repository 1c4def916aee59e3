package engine

import (
	"fmt"
	"log/slog"

	"github.com/zclconf/go-cty/cty"
)

// secretMark is the cty mark carried by every value derived from secret() or
// a sensitive variable; marks survive string interpolation and functions.
type secretMark struct{}

// SecretMark marks secret cty values.
var SecretMark = secretMark{}

// Redacted is how a secret renders everywhere.
const Redacted = "(secret)"

// Secret holds a credential. Every way of printing it — fmt, JSON, slog —
// yields "(secret)"; only Reveal returns the value, at the point of use.
type Secret struct{ v *string }

// NewSecret wraps a value.
func NewSecret(s string) Secret { return Secret{v: &s} }

// Reveal returns the secret value for use on the wire.
func (s Secret) Reveal() string {
	if s.v == nil {
		return ""
	}
	return *s.v
}

// IsSet reports whether a non-empty value is held.
func (s Secret) IsSet() bool { return s.v != nil && *s.v != "" }

func (Secret) String() string                  { return Redacted }
func (Secret) GoString() string                { return Redacted }
func (Secret) MarshalJSON() ([]byte, error)    { return []byte(`"` + Redacted + `"`), nil }
func (Secret) MarshalText() ([]byte, error)    { return []byte(Redacted), nil }
func (Secret) LogValue() slog.Value            { return slog.StringValue(Redacted) }
func (s Secret) Format(f fmt.State, verb rune) { _, _ = f.Write([]byte(Redacted)) }

// IsSecret reports whether a cty value is, or contains, a secret.
func IsSecret(v cty.Value) bool {
	if v == cty.NilVal {
		return false
	}
	return v.HasMark(SecretMark) || hasMarkDeep(v)
}

func hasMarkDeep(v cty.Value) bool {
	_, pvm := v.UnmarkDeepWithPaths()
	for _, p := range pvm {
		if _, ok := p.Marks[SecretMark]; ok {
			return true
		}
	}
	return false
}
